//! Authoring: `explain` (snapshot), `init`, the JSON Schema, and every bundled scenario.

use std::path::Path;

use crate::common::steppe_in;

const PARENT: &str = r#"[scenario]
name = "base"
title = "A small base"
start = 2022
end = 2030
[actors]
russia = { label = "Russia" }
china = { label = "China" }
[targets]
kazakhstan = { label = "Kazakhstan", weight = 3 }
uzbekistan = { label = "Uzbekistan" }
[channels]
security = {}
economy = {}
[initial.kazakhstan.security]
russia = 0.6
china = 0.05
[initial.kazakhstan.economy]
russia = 0.3
china = 0.2
[initial.uzbekistan.security]
russia = 0.4
china = 0.2
[initial.uzbekistan.economy]
russia = 0.2
china = 0.3
[params.decline]
dist = "normal(-0.04, 0.02)"
description = "Russia's trend"
source = "C14"
[[dynamics]]
actors = ["russia"]
drift = "decline"
volatility = 0.1
floor = 0.05
description = "Russia declines"
[[dynamics]]
actors = ["china"]
targets = ["kazakhstan"]
drift = "pert(0, 0.03, 0.06)"
[drivers.war]
type = "regime"
states = ["stalemate", "setback"]
initial = "stalemate"
[drivers.war.transitions]
stalemate = { stalemate = 0.8, setback = 0.2 }
setback = { stalemate = 0.3, setback = 0.7 }
[[drivers.war.effects]]
state = "setback"
actors = ["russia"]
drift = -0.05
[events.coercion]
description = "Russia coerces Kazakhstan"
source = "C3"
hazard = 0.05
window = [2023, 2028]
when = 'regime("war") == "setback"'
[[events.coercion.effects]]
targets = ["kazakhstan"]
actors = ["russia"]
channels = ["security"]
jump = 0.2
[metrics.overtake]
kind = "first"
expr = 'share("kazakhstan", "china") > share("kazakhstan", "russia")'
"#;

const CHILD: &str = r#"extends = "base.toml"
[scenario]
name = "rebound"
title = "Russia rebounds"
[params.decline]
dist = "normal(0.01, 0.02)"
[events.coercion]
hazard = 0.3
[[dynamics]]
actors = ["russia"]
targets = ["kazakhstan"]
drift = 0.02
description = "Moscow courts Astana"
[metrics.russia_2030]
kind = "at"
year = 2030
expr = 'share("kazakhstan", "russia")'
"#;

#[test]
fn explain_says_what_an_extending_scenario_changes_and_assumes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("base.toml"), PARENT).unwrap();
    std::fs::write(dir.path().join("child.toml"), CHILD).unwrap();
    let out = steppe_in(dir.path(), &["explain", "child.toml"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let expected = "rebound — Russia rebounds
2022 → 2030 by year; 10,000 runs, seed 0 (--runs, --seed override)

What rebound changes relative to base (base.toml)
  - parameter decline: now normal(0.01, 0.02); was normal(-0.04, 0.02)
  - adds a rule for russia in kazakhstan (all channels): drift 0.02 — Moscow
    courts Astana
  - event coercion: now probability 0.3 per year; was probability 0.05 per year
  - adds metric russia_2030: at 2030: share(\"kazakhstan\", \"russia\")

Who, where, through what
  Actors: Russia, China, and each target's own autonomy
  Targets (weight in the region): Kazakhstan 75%, Uzbekistan 25%
  Channels (weight in a composite): security 50%, economy 50%

Assumptions: parameters, each drawn once per run
  decline = normal(0.01, 0.02)
      5 %: -0.0229   50 %: 0.01   95 %: 0.0429
      Russia's trend [source: C14]

How strengths move (per year, in log-strength)
  1. russia in all targets (all channels): drift decline; volatility 0.1; share
    at least 0.05
      Russia declines
  2. china in kazakhstan (all channels): drift pert(0, 0.03, 0.06) (5–95 %:
    0.01136 to 0.04864)
  3. russia in kazakhstan (all channels): drift 0.02
      Moscow courts Astana

Drivers
  war (regime; starts in stalemate)
      from stalemate, a year later: stalemate 80%, setback 20%
      from setback, a year later: stalemate 30%, setback 70%
      while setback: drift -0.05 for russia in all targets (all channels)

Events
  coercion
      Russia coerces Kazakhstan [source: C3]
      probability 0.3 per year, in 2023–2028, at most once, when regime(\"war\")
        == \"setback\"
      jump 0.2 in log-strength for russia in kazakhstan (security)

Questions (metrics)
  overtake: first year that share(\"kazakhstan\", \"china\") > share(\"kazakhstan\",
    \"russia\")
  russia_2030: value in 2030 of share(\"kazakhstan\", \"russia\")
";
    assert_eq!(text, expected, "\n--- got ---\n{text}");
}

#[test]
fn init_writes_a_scenario_that_validates_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = steppe_in(dir.path(), &["init", "my_story"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = steppe_in(
        dir.path(),
        &["run", "my_story.toml", "--runs", "500", "--json", "--quiet"],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(json["scenario"]["name"], "my_story");
    assert!(json["metrics"].as_array().unwrap().len() >= 3);
    // An existing file is not replaced without --force; a bad name is refused.
    std::fs::write(dir.path().join("my_story.toml"), "mine").unwrap();
    assert_eq!(
        steppe_in(dir.path(), &["init", "my_story"]).status.code(),
        Some(2)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("my_story.toml")).unwrap(),
        "mine"
    );
    assert!(
        steppe_in(dir.path(), &["init", "my_story", "--force"])
            .status
            .success()
    );
    assert_eq!(
        steppe_in(dir.path(), &["init", "9lives"]).status.code(),
        Some(2)
    );
}

#[test]
fn every_bundled_scenario_validates_runs_and_references_the_schema() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        count += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("#:schema ../docs/steppe.schema.json\n"),
            "{} lacks the schema line",
            path.display()
        );
        let out = steppe_in(
            &dir,
            &[
                "run",
                path.file_name().unwrap().to_str().unwrap(),
                "--runs",
                "200",
                "--quiet",
                "--json",
            ],
        );
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let value: toml::Value = toml::from_str(&text).unwrap();
        let json = serde_json::to_value(value).unwrap();
        let errors = crate::schema_check::validate(&steppe::scenario::schema::schema(), &json);
        assert!(
            errors.is_empty(),
            "{} does not fit the schema: {errors:?}",
            path.display()
        );
    }
    assert!(count >= 1);
}

#[test]
fn the_schema_in_docs_is_the_one_the_program_prints() {
    let docs = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/steppe.schema.json"),
    )
    .unwrap();
    assert_eq!(
        docs,
        steppe::scenario::schema::render(),
        "run `steppe schema > docs/steppe.schema.json`"
    );
    let out = crate::common::command().arg("schema").output().unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), docs);
}

#[test]
fn the_schema_rejects_unknown_keys_and_wrong_types() {
    let schema = steppe::scenario::schema::schema();
    let bad = [
        ("[scenario]\nname = \"x\"\nstpe = \"year\"\n", "stpe"),
        ("[scenario]\nname = \"x\"\nstart = \"2022\"\n", "start"),
        (
            "[scenario]\nname = \"x\"\n[events.e]\nhazard = 0.1\nrepeat = \"yes\"\n",
            "repeat",
        ),
        (
            "[scenario]\nname = \"x\"\n[[dynamics]]\nactors = \"russia\"\n",
            "actors",
        ),
        (
            "[scenario]\nname = \"x\"\n[metrics.m]\nkind = \"sometimes\"\n",
            "kind",
        ),
    ];
    for (text, key) in bad {
        let json = serde_json::to_value(toml::from_str::<toml::Value>(text).unwrap()).unwrap();
        let errors = crate::schema_check::validate(&schema, &json);
        assert!(errors.iter().any(|e| e.contains(key)), "{key}: {errors:?}");
    }
}

#[test]
fn explain_adds_up_effects_that_fall_on_the_same_cells() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("base.toml"), PARENT).unwrap();
    let doubled = "extends = \"base.toml\"\n[scenario]\nname = \"doubled\"\n\
        [[events.coercion.effects]]\ntargets = [\"kazakhstan\"]\nactors = [\"russia\"]\nchannels = [\"security\"]\njump = 0.2\n\
        [[events.coercion.effects]]\ntargets = [\"kazakhstan\"]\nactors = [\"russia\"]\njump = 0.2\n";
    std::fs::write(dir.path().join("doubled.toml"), doubled).unwrap();
    let out = steppe_in(dir.path(), &["explain", "doubled.toml"]);
    let text = String::from_utf8(out.stdout).unwrap();
    // Security gets both jumps (0.4), economy one (0.2); and it is a change.
    assert!(
        text.contains("jump 0.4 in log-strength for russia in kazakhstan (security)"),
        "{text}"
    );
    assert!(
        text.contains("jump 0.2 in log-strength for russia in kazakhstan (economy)"),
        "{text}"
    );
    assert!(text.contains("- event coercion: now"), "{text}");
}

#[test]
fn a_device_or_huge_file_is_refused_not_read_forever() {
    let out = crate::common::command()
        .args(["validate", "/dev/zero"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("/dev/zero is not a regular file"), "{said}");
    // A regular file past 4 MiB is refused where it crosses the limit.
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.toml");
    let mut text =
        "# a comment line of 63 characters, then a newline: 64 bytes....\n".repeat(65_536);
    text.push_str("[scenario]\n");
    std::fs::write(&big, text).unwrap();
    let out = crate::common::command()
        .args(["validate", &big.display().to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("big.toml:65537:1: the file goes on past 4194304 bytes"),
        "{said}"
    );
}
