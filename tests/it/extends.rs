//! `extends`: merging rules and the errors of chains of files.

use std::collections::HashMap;
use steppe::distribution::Distribution;
use steppe::scenario::{self, DriverKind, Row, Scenario, Value};

const PARENT: &str = r#"
[scenario]
name = "parent"
start = 2022
end = 2030
[actors]
a = {}
b = {}
[targets]
t = {}
[channels]
c = {}
[initial.t.c]
a = 0.3
b = 0.2
[params.trend]
dist = "normal(-0.05, 0.01)"
description = "a's trend"
[params.other]
dist = "uniform(0, 1)"
[[dynamics]]
actors = ["a"]
drift = "trend"
volatility = 0.1
[drivers.war]
type = "regime"
states = ["x", "y"]
initial = "x"
[drivers.war.transitions]
x = { x = 0.9, y = 0.1 }
y = { x = 0.5, y = 0.5 }
[events.e]
hazard = 0.1
[[events.e.effects]]
actors = ["a"]
jump = 0.2
[events.gone]
hazard = 0.5
[[events.gone.effects]]
actors = ["b"]
jump = 0.1
[metrics.m1]
kind = "at"
expr = 'share("t", "a")'
"#;

/// Loads `files["main.toml"]`, reading the others from the map.
fn load(files: &[(&str, &str)]) -> Result<Scenario, String> {
    let files: HashMap<String, String> = files
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect();
    let mut read = |path: &str| {
        files
            .get(path)
            .cloned()
            .ok_or_else(|| format!("{path}: no such file"))
    };
    scenario::load_with("main.toml", &files["main.toml"], &mut read).map_err(|d| d.to_string())
}

#[test]
fn an_extending_scenario_changes_only_what_it_says() {
    let child = r#"
extends = "parent.toml"
[scenario]
name = "child"
[params.trend]
dist = "normal(0.05, 0.01)"
[events.e]
hazard = 0.3
[events.gone]
remove = true
[[dynamics]]
actors = ["a"]
drift = 0.02
[drivers.war.transitions]
x = { x = 0.5, y = 0.5 }
[metrics.m2]
kind = "ever"
expr = 'fired("e")'
"#;
    let s = load(&[("main.toml", child), ("parent.toml", PARENT)]).unwrap();
    assert_eq!(s.name, "child");
    assert_eq!(s.extends.as_deref(), Some("parent.toml"));
    assert_eq!((s.start, s.end), (2022, 2030));
    // The parameter's distribution is replaced, its description inherited, its place kept.
    assert_eq!(s.params[0].name, "trend");
    assert_eq!(
        s.params[0].distribution,
        Distribution::Normal {
            mean: 0.05,
            sd: 0.01
        }
    );
    assert_eq!(s.params[0].description, "a's trend");
    assert_eq!(s.params[1].name, "other");
    // The event keeps its effects and takes the new hazard; the removed one is gone.
    let names: Vec<&str> = s.events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["e"]);
    assert_eq!(s.events[0].hazard, Value::Const(0.3));
    assert_eq!(s.events[0].jumps.len(), 1);
    // The appended rule's drift adds to the parent's; the parent's volatility stays.
    let a = s.cell(0, 0, 0);
    assert_eq!(s.cells[a].drift, vec![Value::Param(0), Value::Const(0.02)]);
    assert_eq!(s.cells[a].volatility, Value::Const(0.1));
    // A transition row given whole replaces the inherited row; the other row stays.
    let DriverKind::Regime(war) = &s.drivers[0].kind else {
        panic!("war is a regime")
    };
    assert_eq!(
        war.transitions,
        vec![Row::Fixed(vec![0.5, 0.5]), Row::Fixed(vec![0.5, 0.5])]
    );
    // New metrics come after the inherited ones.
    let metrics: Vec<&str> = s.metrics.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(metrics, ["m1", "m2"]);
}

#[test]
fn chains_of_three_files_merge_in_order() {
    let middle = "extends = \"parent.toml\"\n[scenario]\nname = \"middle\"\nend = 2040\n[params.other]\ndist = \"uniform(0, 2)\"\n";
    let child = "extends = \"sub/../middle.toml\"\n[scenario]\nname = \"child\"\n[params.trend]\ndist = \"fixed(1)\"\n";
    let s = load(&[
        ("main.toml", child),
        ("middle.toml", middle),
        ("parent.toml", PARENT),
    ])
    .unwrap();
    assert_eq!((s.name.as_str(), s.end), ("child", 2040));
    assert_eq!(s.params[0].distribution, Distribution::Fixed { value: 1.0 });
    assert_eq!(
        s.params[1].distribution,
        Distribution::Uniform {
            low: 0.0,
            high: 2.0
        }
    );
}

#[test]
fn a_problem_in_the_parent_is_reported_in_the_parent_file() {
    let parent = PARENT.replace("hazard = 0.1", "hazard = 1.1");
    let child = "extends = \"parent.toml\"\n[scenario]\nname = \"child\"\n";
    let err = load(&[("main.toml", child), ("parent.toml", &parent)]).unwrap_err();
    assert!(
        err.starts_with(
            "parent.toml:33:10: `hazard` must be a probability within [0, 1], got 1.1\n"
        ),
        "{err}"
    );
}

#[test]
fn problems_of_chains_are_clear_errors() {
    let removing_in_a_base = PARENT.replace("[events.gone]", "[events.gone]\nremove = true");
    let cases = [
        (
            vec![(
                "main.toml",
                "extends = \"missing.toml\"\n[scenario]\nname = \"c\"\n",
            )],
            "main.toml:1:11: cannot read the scenario this one extends: missing.toml: no such file",
        ),
        (
            vec![
                (
                    "main.toml",
                    "extends = \"b.toml\"\n[scenario]\nname = \"a\"\n",
                ),
                (
                    "b.toml",
                    "extends = \"./main.toml\"\n[scenario]\nname = \"b\"\n",
                ),
            ],
            "b.toml:1:11: `extends` goes round in a circle: main.toml → b.toml → main.toml",
        ),
        (
            vec![
                ("main.toml", "extends = \"parent.toml\"\n"),
                ("parent.toml", PARENT),
            ],
            "main.toml:1:11: a scenario that extends another needs its own `name`",
        ),
        (
            vec![
                (
                    "main.toml",
                    "extends = \"parent.toml\"\n[scenario]\nname = \"c\"\n[metrics.nope]\nremove = true\n",
                ),
                ("parent.toml", PARENT),
            ],
            "main.toml:5:10: `nope` is not inherited, so there is nothing to remove",
        ),
        (
            vec![("main.toml", removing_in_a_base.as_str())],
            "nothing to remove: this scenario extends no other",
        ),
    ];
    for (files, expected) in cases {
        let err = load(&files).unwrap_err();
        assert!(err.contains(expected), "expected {expected:?} in:\n{err}");
    }
    // A chain deeper than the limit is refused, not followed for ever.
    let mut files: Vec<(String, String)> = (0..20)
        .map(|i| {
            (
                format!("f{i}.toml"),
                format!(
                    "extends = \"f{}.toml\"\n[scenario]\nname = \"s{i}\"\n",
                    i + 1
                ),
            )
        })
        .collect();
    files.push((
        "main.toml".into(),
        "extends = \"f0.toml\"\n[scenario]\nname = \"m\"\n".into(),
    ));
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let err = load(&borrowed).unwrap_err();
    assert!(
        err.contains("`extends` chains deeper than 16 files are refused"),
        "{err}"
    );
}

#[test]
fn merging_keeps_what_the_child_does_not_change_and_refuses_contradictions() {
    // A table over a short-form parameter keeps its value.
    let parent = PARENT.replace(
        "[params.other]\ndist = \"uniform(0, 1)\"",
        "[params]\nother = \"uniform(0, 1)\"",
    );
    let child = "extends = \"parent.toml\"\n[scenario]\nname = \"c\"\n[params.other]\ndescription = \"now documented\"\n";
    let s = load(&[("main.toml", child), ("parent.toml", &parent)]).unwrap();
    let other = s.params.iter().find(|p| p.name == "other").unwrap();
    assert_eq!(
        (other.distribution.clone(), other.description.as_str()),
        (
            Distribution::Uniform {
                low: 0.0,
                high: 1.0
            },
            "now documented"
        )
    );
    // Removing and changing the same item is an error.
    let both = "extends = \"parent.toml\"\n[scenario]\nname = \"c\"\n[events.gone]\nremove = true\nhazard = 0.2\n";
    let err = load(&[("main.toml", both), ("parent.toml", PARENT)]).unwrap_err();
    assert!(
        err.contains("`gone` is removed, so its other keys here would be ignored"),
        "{err}"
    );
    // A metric changed to another kind does not inherit the year of an `at` metric.
    let parent = PARENT.replace(
        "[metrics.m1]\nkind = \"at\"",
        "[metrics.m1]\nkind = \"at\"\nyear = 2025",
    );
    let kind =
        "extends = \"parent.toml\"\n[scenario]\nname = \"c\"\n[metrics.m1]\nkind = \"max\"\n";
    let s = load(&[("main.toml", kind), ("parent.toml", &parent)]).unwrap();
    assert_eq!(s.metrics[0].kind, steppe::scenario::MetricKind::Max);
    // A parent with a byte-order mark reads like any other.
    let bom = format!("\u{feff}{PARENT}");
    let child = "extends = \"parent.toml\"\n[scenario]\nname = \"c\"\n";
    assert!(load(&[("main.toml", child), ("parent.toml", &bom)]).is_ok());
}

#[test]
fn an_extending_file_can_fix_change_and_remove_correlations() {
    let parent = format!("{PARENT}[correlations]\ntrend = {{ other = 0.5 }}\n");
    let child = |body: &str| format!("extends = \"parent.toml\"\n[scenario]\nname = \"c\"\n{body}");
    let with = |body: &str| load(&[("main.toml", &child(body)), ("parent.toml", &parent)]);
    let pair = |s: &Scenario| s.correlations.as_ref().map(|c| c.matrix[0][1]);
    assert_eq!(pair(&with("").unwrap()), Some(0.5));
    // Fixed by the child: the parameter leaves the matrix, and the warning points at the child.
    let s = with("[params.trend]\ndist = -0.02\n").unwrap();
    assert_eq!(pair(&s), None);
    assert_eq!(
        s.warnings,
        ["main.toml:5:8: `trend` is fixed here, so its correlation with `other` is dropped"]
    );
    // Changed in either row, or removed.
    assert_eq!(
        pair(&with("[correlations]\nother = { trend = -0.2 }\n").unwrap()),
        Some(-0.2)
    );
    assert_eq!(
        pair(&with("[correlations]\ntrend = { other = \"remove\" }\n").unwrap()),
        None
    );
    assert_eq!(
        pair(&with("[correlations]\nother = { remove = true }\n").unwrap()),
        None
    );
    // A correlation the child writes for a parameter fixed underneath is the child's mistake.
    let fixed_parent = PARENT.replace("dist = \"uniform(0, 1)\"", "dist = 0.5");
    let err = load(&[
        (
            "main.toml",
            &child("[correlations]\ntrend = { other = 0.5 }\n"),
        ),
        ("parent.toml", &fixed_parent),
    ])
    .unwrap_err();
    assert!(
        err.starts_with("main.toml:5:11: parameter `other` is fixed, so it cannot be correlated\n"),
        "{err}"
    );
}
