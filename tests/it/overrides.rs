//! `--set` overrides and `--vary`: what the override layer accepts, what it refuses, and in
//! which words. The CLI cases run the real binary in a temporary folder and compare stderr
//! whole.

use std::process::Output;

use steppe::scenario::{self, Scenario};

/// A small scenario with a title, a description, two correlated parameters and a regime.
const SCENARIO: &str = include_str!("data/small.toml");

fn load(overrides: &[&str]) -> Result<Scenario, String> {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    scenario::load_with_overrides(
        "small.toml",
        SCENARIO,
        &mut |p| Err(format!("{p}: no files here")),
        &overrides,
    )
    .map_err(|d| d.to_string())
}

/// Runs `steppe ARGS` in a folder holding `small.toml`.
fn steppe(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("small.toml"), SCENARIO).unwrap();
    crate::common::command()
        .args(args)
        .current_dir(dir.path())
        .output()
        .unwrap()
}

fn refused(args: &[&str], expected: &str) {
    let out = steppe(args);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr, expected,
        "\n--- got ---\n{stderr}\n--- expected ---\n{expected}"
    );
}

#[test]
fn an_override_of_a_scenario_key_keeps_the_title_and_description() {
    for set in ["seed=5", "runs=50000", "step=quarter", "scenario.end=2030"] {
        let s = load(&[set]).unwrap();
        assert_eq!(s.title, "A small story", "--set {set}");
        assert_eq!(s.description, "Two actors in one place.", "--set {set}");
    }
    let s = load(&["title=Another story"]).unwrap();
    assert_eq!(
        (s.title.as_str(), s.description.as_str()),
        ("Another story", "Two actors in one place.")
    );
    // And the table says so.
    let out = steppe(&["run", "small.toml", "--runs", "20", "--set", "seed=5"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("small — A small story\n"), "{stdout}");
}

#[test]
fn extends_cannot_be_overridden() {
    refused(
        &["run", "small.toml", "--set", "extends=other.toml"],
        "--set:1:1: `extends` cannot be overridden
  |
1 | extends = \"other.toml\"
  | ^^^^^^^
  = help: --set changes values of the scenario, not the file it builds on; to start from another file, write a scenario that extends it

error: 1 problem found
",
    );
}

#[test]
fn an_unknown_override_key_is_answered_with_the_shorthands_too() {
    refused(
        &["run", "small.toml", "--set", "runz=5", "--set", "foo.bar=1"],
        "--set:1:1: unknown key `runz`
  |
1 | runz = 5
  | ^^^^
  = help: did you mean `runs`? --set takes `name`, `title`, `description`, `start`, `end`, `step`, `runs`, `seed`, or a key path into `scenario`, `actors`, `targets`, `channels`, `initial`, `params`, `dynamics`, `drivers`, `events`, `metrics`, `correlations`, such as params.NAME or events.NAME.hazard

--set:2:1: unknown key `foo`
  |
2 | foo.bar = 1
  | ^^^
  = help: --set takes `name`, `title`, `description`, `start`, `end`, `step`, `runs`, `seed`, or a key path into `scenario`, `actors`, `targets`, `channels`, `initial`, `params`, `dynamics`, `drivers`, `events`, `metrics`, `correlations`, such as params.NAME or events.NAME.hazard

error: 2 problems found
",
    );
}

#[test]
fn the_seed_and_the_run_count_cannot_be_swept() {
    for (name, flag) in [("scenario.seed", "seed"), ("scenario.runs", "runs")] {
        let vary = format!("{name}=1..3:3");
        refused(
            &["sweep", "small.toml", "--vary", &vary],
            &format!(
                "error: invalid value '{vary}' for '--vary <NAME=VALUES>': `{name}` cannot be varied: \
                 every point of a sweep runs the same futures, so that the points differ by the \
                 assumption alone; give --{flag} for the whole sweep\n\n\
                 For more information, try '--help'.\n"
            ),
        );
    }
}

/// The correlations of a loaded scenario, as (parameter, parameter, value) by name.
fn correlations(s: &Scenario) -> Vec<(String, String, f64)> {
    let Some(c) = &s.correlations else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, &a) in c.params.iter().enumerate() {
        for (j, &b) in c.params.iter().enumerate().skip(i + 1) {
            out.push((
                s.params[a].name.clone(),
                s.params[b].name.clone(),
                c.matrix[i][j],
            ));
        }
    }
    out
}

#[test]
fn a_correlated_parameter_fixed_by_an_override_leaves_the_matrix_with_a_warning() {
    let s = load(&["params.russia_trend=-0.02"]).unwrap();
    assert_eq!(correlations(&s), []);
    assert_eq!(
        s.warnings,
        ["--set:1:23: `russia_trend` is fixed here, so its correlation with `eu_pull` is dropped"]
    );
    // The other side of the pair, as `sweep --vary eu_pull=…` sets it.
    let s = load(&["params.eu_pull=0.01"]).unwrap();
    assert_eq!(correlations(&s), []);
    assert_eq!(
        s.warnings,
        ["--set:1:18: `eu_pull` is fixed here, so its correlation with `russia_trend` is dropped"]
    );
    // A new distribution keeps the parameter in the matrix.
    let s = load(&["params.russia_trend=normal(0, 0.01)"]).unwrap();
    assert_eq!(
        correlations(&s),
        [("russia_trend".into(), "eu_pull".into(), -0.4)]
    );
    assert!(s.warnings.is_empty());
    // Without overrides, nothing to say.
    assert!(load(&[]).unwrap().warnings.is_empty());
}

#[test]
fn only_the_correlations_of_the_fixed_parameter_are_dropped() {
    let text = SCENARIO.replace(
        "russia_trend = { eu_pull = -0.4 }",
        "russia_trend = { eu_pull = -0.4, other = 0.3 }\neu_pull = { other = 0.2 }",
    );
    let s = scenario::load_with_overrides(
        "small.toml",
        &text,
        &mut |p| Err(p.to_string()),
        &["params.russia_trend=0".to_string()],
    )
    .unwrap();
    assert_eq!(correlations(&s), [("eu_pull".into(), "other".into(), 0.2)]);
    assert_eq!(
        s.warnings,
        [
            "--set:1:23: `russia_trend` is fixed here, so its correlations with `eu_pull`, `other` are dropped"
        ]
    );
}

#[test]
fn correlations_can_be_changed_or_removed_by_an_override() {
    let pair = |value| vec![("russia_trend".to_string(), "eu_pull".to_string(), value)];
    assert_eq!(
        correlations(&load(&["correlations.russia_trend.eu_pull=0.3"]).unwrap()),
        pair(0.3)
    );
    // Written in the other row, it is the same pair.
    assert_eq!(
        correlations(&load(&["correlations.eu_pull.russia_trend=0.3"]).unwrap()),
        vec![("eu_pull".to_string(), "russia_trend".to_string(), 0.3)]
    );
    for removal in [
        "correlations.russia_trend.eu_pull=remove",
        "correlations.eu_pull.russia_trend=remove",
        "correlations.russia_trend.remove=true",
        "correlations.eu_pull.remove=true",
    ] {
        let s = load(&[removal]).unwrap();
        assert_eq!(correlations(&s), [], "{removal}");
    }
    // Removing what is not there is a mistake.
    let error = load(&["correlations.other.remove=true"]).unwrap_err();
    assert_eq!(
        error,
        "--set:1:29: `other` has no inherited correlations, so there is nothing to remove
  |
1 | correlations.other.remove = true
  |                             ^^^^
  = help: \"remove\" drops a correlation given underneath — in the file named by `extends`, or in the file under --set; remove = true drops all of this parameter's
"
    );
}

#[test]
fn sweeping_a_correlated_parameter_works() {
    for vary in ["russia_trend=-0.04..0:3", "eu_pull=0..0.04:3"] {
        let out = steppe(&[
            "sweep",
            "small.toml",
            "--vary",
            vary,
            "--runs",
            "50",
            "--quiet",
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{vary}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stderr.is_empty(), "--quiet printed a warning");
    }
    // Without --quiet the dropped correlation is said once, not once per grid point.
    let out = steppe(&[
        "sweep",
        "small.toml",
        "--vary",
        "russia_trend=-0.04..0:3",
        "--runs",
        "50",
    ]);
    let said = String::from_utf8_lossy(&out.stderr);
    let warnings: Vec<&str> = said.lines().filter(|l| l.starts_with("warning:")).collect();
    assert_eq!(
        warnings,
        [
            "warning: --vary:1:23: `russia_trend` is fixed here, so its correlation with `eu_pull` is dropped"
        ],
        "{said}"
    );
}

#[test]
fn sweeping_one_transition_probability_scales_the_rest_of_its_row() {
    // negotiation = { war = 0.3, negotiation = 0.5, treaty = 0.2 }: treaty at 0.36 leaves
    // 0.64 for war and negotiation, which keep their ratio 3 : 5 (0.24 and 0.40).
    let out = steppe(&[
        "explain",
        "small.toml",
        "--set",
        "drivers.peace.transitions.negotiation.treaty=0.36",
    ]);
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let flat = said.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("now from negotiation a year later: war 24%, negotiation 40%, treaty 36%; was from negotiation a year later: war 30%, negotiation 50%, treaty 20%"),
        "{said}"
    );
    let out = steppe(&[
        "sweep",
        "small.toml",
        "--vary",
        "drivers.peace.transitions.negotiation.treaty=0.1..0.3:3",
        "--runs",
        "200",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A probability out of range is refused at the flag, once.
    refused(
        &[
            "run",
            "small.toml",
            "--set",
            "drivers.peace.transitions.war.negotiation=1.2",
        ],
        "--set:1:45: `negotiation` must be a probability within [0, 1], got 1.2
  |
1 | drivers.peace.transitions.war.negotiation = 1.2
  |                                             ^^^

error: 1 problem found
",
    );
}

#[test]
fn an_override_that_leaves_the_range_where_the_file_uses_it_is_reported_at_the_override() {
    refused(
        &["run", "small.toml", "--set", "params.eu_pull=80"],
        "--set:1:18: parameter `eu_pull` is 80, but it is used as `dynamics[eu;all;all].drift` (small.toml:36:9), which must be within [-50, 50] per year
  |
1 | params.eu_pull = 80
  |                  ^^

error: 1 problem found
",
    );
}

#[test]
fn explain_says_how_an_override_changes_each_correlation() {
    let changes = |set: &str| {
        let out = steppe(&["explain", "small.toml", "--set", set]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        text.lines()
            .filter(|l| l.starts_with("  - rank correlations"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        changes("correlations.russia_trend.eu_pull=-0.1"),
        ["  - rank correlations: russia_trend and eu_pull: -0.1 (was -0.4)"]
    );
    assert_eq!(
        changes("correlations.russia_trend.eu_pull=\"remove\""),
        ["  - rank correlations: russia_trend and eu_pull: independent (was -0.4)"]
    );
    assert_eq!(
        changes("params.russia_trend=-0.02"),
        ["  - rank correlations: russia_trend and eu_pull: independent (was -0.4)"]
    );
    assert_eq!(
        changes("correlations.other.eu_pull=0.3"),
        ["  - rank correlations: eu_pull and other: 0.3 (new)"]
    );
}

#[test]
fn a_problem_in_a_where_condition_is_shown_on_the_condition_as_typed() {
    refused(
        &[
            "discover",
            "small.toml",
            "--where",
            "share(\"kz\", \"rusia\") > 0.3",
        ],
        "--where:1:13: unknown actor `rusia`
  |
1 | share(\"kz\", \"rusia\") > 0.3
  |             ^^^^^^^
  = help: did you mean `russia`? declared actors: `russia`, `eu`, `autonomy`

error: 1 problem found
",
    );
    refused(
        &[
            "discover",
            "small.toml",
            "--where",
            "share(\"kz\", \"russia\") > 0.3",
            "--year",
            "1900",
        ],
        "--year:1:1: year 1900 is outside the scenario's years 2022–2026
  |
1 | 1900
  | ^^^^

error: 1 problem found
",
    );
}

#[test]
fn varying_a_bare_header_key_says_to_write_its_scenario_path() {
    refused(
        &["sweep", "small.toml", "--vary", "end=2025,2026"],
        "--vary:1:8: there is no parameter `end` to override
  |
1 | params.end = 2025
  |        ^^^
  = help: `end` is a key of [scenario], not a parameter: write scenario.end; parameters of the scenario: `russia_trend`, `eu_pull`, `other`

error: 1 problem found
",
    );
}

#[test]
fn a_metric_with_its_kind_may_be_added_from_the_command_line_and_a_kindless_new_name_is_a_typo() {
    // Added: the question is answered like one written in the file, and recorded.
    let s = load(&[
        "metrics.asked.kind=at",
        "metrics.asked.expr=share(\"kz\", \"russia\") > 0.2",
    ])
    .unwrap();
    let asked = s.metrics.iter().find(|m| m.name == "asked").expect("added");
    assert!(asked.kind.is_probability());
    let written = load(&[]).unwrap();
    assert_eq!(s.metrics.len(), written.metrics.len() + 1);
    // A new name without a kind is still taken for a typo, and says how to add one.
    let error = load(&["metrics.askd.expr=share(\"kz\", \"russia\")"]).unwrap_err();
    assert!(
        error.contains("there is no metric `askd` to override"),
        "{error}"
    );
    assert!(
        error.contains("to add a metric, give its kind too: --set metrics.NAME.kind=at"),
        "{error}"
    );
    // An added metric is checked like one in a file: a kind without its expression fails.
    let error = load(&["metrics.asked.kind=at"]).unwrap_err();
    assert!(error.contains("metric `asked` has no `expr`"), "{error}");
}
