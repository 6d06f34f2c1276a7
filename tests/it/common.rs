//! Shared test helpers: building small scenarios in text and running them, in the library
//! or as the real binary.

use std::path::Path;
use std::process::{Command, Output};

use steppe::engine::{Outcome, RunConfig, simulate};
use steppe::scenario::{self, Scenario};

/// The binary under test, not yet started (for arguments, a folder, stdin or signals).
pub fn command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_steppe"))
}

/// Runs the binary with `args` in the working directory, its output captured.
pub fn steppe(args: &[&str]) -> Output {
    command().args(args).output().expect("the binary runs")
}

/// Runs the binary with `args` in `dir`, its output captured.
pub fn steppe_in(dir: &Path, args: &[&str]) -> Output {
    command()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// `output`, after checking that the command succeeded (else its stderr is the message).
pub fn succeeded(output: Output) -> Output {
    assert!(
        output.status.success(),
        "{:?}: {}",
        output.status,
        stderr(&output)
    );
    output
}

/// A path inside the repository, as text (`scenarios/baseline.toml`).
pub fn repo_file(relative: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(relative)
        .display()
        .to_string()
}

/// The path of the baseline scenario.
pub fn baseline() -> String {
    repo_file("scenarios/baseline.toml")
}

/// Loads scenario text, panicking with the rendered problems if it is invalid.
pub fn load(text: &str) -> Scenario {
    match scenario::load("test.toml", text) {
        Ok(s) => s,
        Err(problems) => panic!("invalid test scenario:\n{problems}"),
    }
}

pub fn run(text: &str, runs: u64, seed: u64) -> (Scenario, Outcome) {
    let scenario = load(text);
    let config = RunConfig {
        runs,
        seed,
        ..RunConfig::from_scenario(&scenario)
    };
    let outcome = simulate(&scenario, &config);
    (scenario, outcome)
}

/// Values of the metric called `name`.
pub fn metric<'a>(scenario: &Scenario, outcome: &'a Outcome, name: &str) -> &'a [f64] {
    let index = scenario
        .metrics
        .iter()
        .position(|m| m.name == name)
        .expect("metric exists");
    &outcome.metrics[index]
}

/// Fraction of values that are non-zero (a condition's probability) and its standard error.
pub fn probability(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let p = values.iter().filter(|v| **v != 0.0).count() as f64 / n;
    (p, (p * (1.0 - p) / n).sqrt())
}

/// One actor and one target and channel: the smallest scenario, with `extra` appended.
pub fn one_cell(header: &str, extra: &str) -> String {
    format!(
        r#"[scenario]
name = "t"
{header}

[actors]
a = {{}}
[targets]
t = {{}}
[channels]
c = {{}}
[initial.t.c]
a = 0.3

{extra}
"#
    )
}
