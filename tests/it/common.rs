//! Shared test helpers: building small scenarios in text and running them.

use steppe::engine::{Outcome, RunConfig, simulate};
use steppe::scenario::{self, Scenario};

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
