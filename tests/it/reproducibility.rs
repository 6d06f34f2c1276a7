//! Same scenario, seed and run count → the same numbers, whatever the thread count; and each
//! random component keeps its own numbers when others are added (common random numbers).

use crate::common::{load, metric};
use steppe::engine::{RunConfig, simulate};

const SCENARIO: &str = r#"
[scenario]
name = "r"
start = 2022
end = 2032
step = "quarter"

[actors]
x = {}
y = {}
[targets]
t1 = { weight = 2 }
t2 = {}
[channels]
c1 = {}
c2 = { weight = 3 }
[initial.t1.c1]
x = 0.3
y = 0.2
[initial.t1.c2]
x = 0.1
y = 0.5
[initial.t2.c1]
x = 0.4
y = 0.4
[initial.t2.c2]
x = 0.25
y = 0.25

[params]
trend = "normal(-0.05, 0.03)"

[[dynamics]]
drift = "trend"
volatility = "uniform(0.05, 0.2)"

[drivers.war]
type = "regime"
states = ["calm", "hot"]
initial = "calm"
[drivers.war.transitions]
calm = { calm = 0.7, hot = 0.3 }
hot = { calm = 0.4, hot = 0.6 }
[[drivers.war.effects]]
state = "hot"
actors = ["x"]
drift = -0.1

[drivers.cycle]
type = "factor"
persistence = 0.5
[[drivers.cycle.effects]]
actors = ["y"]
drift = 0.05

[events.shock]
hazard = 0.2
when = 'regime("war") == "hot"'
[[events.shock.effects]]
targets = ["t1"]
jump = "normal(0, 0.2)"

[metrics.x_t2]
kind = "at"
expr = 'share("t2", "x", "c1")'
[metrics.hot_ever]
kind = "ever"
expr = 'regime("war") == "hot"'
[metrics.y_first]
kind = "first"
expr = 'region("y") > 0.45'
[metrics.cycle_max]
kind = "max"
expr = 'factor("cycle")'
"#;

#[test]
fn outcome_is_bit_identical_on_1_2_and_8_threads() {
    let scenario = load(SCENARIO);
    let config = RunConfig {
        runs: 3000,
        seed: 42,
        ..RunConfig::from_scenario(&scenario)
    };
    let on = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| simulate(&scenario, &config))
    };
    let one = on(1);
    for threads in [2, 8] {
        let other = on(threads);
        assert_eq!(
            one.series, other.series,
            "series differ on {threads} threads"
        );
        // Compare bits: NaN ("never") must match NaN.
        let bits = |v: &Vec<Vec<f64>>| {
            v.iter()
                .map(|m| m.iter().map(|x| x.to_bits()).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            bits(&one.metrics),
            bits(&other.metrics),
            "metrics differ on {threads} threads"
        );
        assert_eq!(bits(&one.params), bits(&other.params));
    }
}

#[test]
fn a_different_seed_gives_different_numbers() {
    let scenario = load(SCENARIO);
    let a = simulate(
        &scenario,
        &RunConfig {
            runs: 200,
            seed: 1,
            ..RunConfig::from_scenario(&scenario)
        },
    );
    let b = simulate(
        &scenario,
        &RunConfig {
            runs: 200,
            seed: 2,
            ..RunConfig::from_scenario(&scenario)
        },
    );
    assert_ne!(a.params, b.params);
    assert_ne!(a.metrics[0], b.metrics[0]);
}

#[test]
fn adding_an_unrelated_event_leaves_every_other_component_unchanged() {
    // The new event touches only t1, c2; it fires often. Everything that does not depend on
    // that cell must be identical run by run: the parameter draws, the regime path, the factor
    // path, and the noise of t2.
    let extended = format!(
        "{SCENARIO}\n[events.unrelated]\nhazard = 0.5\n[[events.unrelated.effects]]\ntargets = [\"t1\"]\nchannels = [\"c2\"]\njump = 0.3\n\
         [metrics.unrelated_fired]\nkind = \"ever\"\nexpr = 'fired(\"unrelated\")'\n"
    );
    let base = load(SCENARIO);
    let more = load(&extended);
    let config = RunConfig {
        runs: 1000,
        seed: 9,
        ..RunConfig::from_scenario(&base)
    };
    let a = simulate(&base, &config);
    let b = simulate(&more, &config);
    // Named and inline parameters keep their draws (the new event has no parameters).
    assert_eq!(a.params, b.params);
    for name in ["x_t2", "hot_ever", "cycle_max"] {
        assert_eq!(
            metric(&base, &a, name),
            metric(&more, &b, name),
            "{name} changed"
        );
    }
    // The new event did fire, so the equality above is not vacuous.
    assert!(
        metric(&more, &b, "unrelated_fired")
            .iter()
            .filter(|v| **v == 1.0)
            .count()
            > 900
    );
}

#[test]
fn a_changed_distribution_keeps_each_runs_quantile() {
    // normal(-0.05, 0.03) → normal(0, 0.03): every run's draw moves by exactly +0.05.
    let shifted = SCENARIO.replace(
        "trend = \"normal(-0.05, 0.03)\"",
        "trend = \"normal(0, 0.03)\"",
    );
    let a_scenario = load(SCENARIO);
    let b_scenario = load(&shifted);
    let config = RunConfig {
        runs: 500,
        seed: 5,
        ..RunConfig::from_scenario(&a_scenario)
    };
    let a = simulate(&a_scenario, &config);
    let b = simulate(&b_scenario, &config);
    for (x, y) in a.params[0].iter().zip(&b.params[0]) {
        assert!((y - x - 0.05).abs() < 1e-12);
    }
}

#[test]
fn inline_distributions_keep_their_numbers_when_rules_are_inserted_before_them() {
    // An inline distribution is keyed by its rule's selection and key, not by its position.
    let inserted = SCENARIO.replace(
        "[[dynamics]]\ndrift = \"trend\"",
        "[[dynamics]]\nactors = [\"y\"]\ndrift = \"normal(0, 0.5)\"\n\n[[dynamics]]\ndrift = \"trend\"",
    );
    assert_ne!(inserted, SCENARIO);
    let (a, b) = (load(SCENARIO), load(&inserted));
    let config = RunConfig {
        runs: 300,
        seed: 4,
        ..RunConfig::from_scenario(&a)
    };
    let (oa, ob) = (simulate(&a, &config), simulate(&b, &config));
    let volatility = |s: &steppe::Scenario| {
        s.params
            .iter()
            .position(|p| p.name.ends_with(".volatility"))
            .unwrap()
    };
    assert_eq!(oa.params[volatility(&a)], ob.params[volatility(&b)]);
}

/// The base scenario with an inline distribution in an effect of the event, of the regime and
/// of the factor; `before` is inserted before each of those effects.
fn with_inline_effects(before_event: &str, before_regime: &str, before_factor: &str) -> String {
    SCENARIO
        .replace(
            "[[events.shock.effects]]\ntargets = [\"t1\"]\njump = \"normal(0, 0.2)\"",
            &format!(
                "{before_event}[[events.shock.effects]]\ntargets = [\"t1\"]\njump = \"normal(0, 0.2)\""
            ),
        )
        .replace(
            "[[drivers.war.effects]]\nstate = \"hot\"\nactors = [\"x\"]\ndrift = -0.1",
            &format!(
                "{before_regime}[[drivers.war.effects]]\nstate = \"hot\"\nactors = [\"x\"]\ndrift = \"normal(-0.1, 0.05)\""
            ),
        )
        .replace(
            "[[drivers.cycle.effects]]\nactors = [\"y\"]\ndrift = 0.05",
            &format!(
                "{before_factor}[[drivers.cycle.effects]]\nactors = [\"y\"]\ndrift = \"uniform(0, 0.1)\""
            ),
        )
}

#[test]
fn inline_distributions_of_effects_keep_their_numbers_when_effects_are_inserted_before_them() {
    // An effect's inline distribution is keyed by what holds it and what the effect selects,
    // not by its position in the list.
    let base = with_inline_effects("", "", "");
    let inserted = with_inline_effects(
        "[[events.shock.effects]]\nactors = [\"y\"]\njump = \"normal(0.1, 0.3)\"\n\n",
        "[[drivers.war.effects]]\nstate = \"calm\"\nactors = [\"y\"]\ndrift = \"normal(0, 0.1)\"\n\n",
        "[[drivers.cycle.effects]]\nactors = [\"x\"]\ndrift = \"normal(0, 0.02)\"\n\n",
    );
    let (a, b) = (load(&base), load(&inserted));
    assert_eq!(
        b.params.len(),
        a.params.len() + 3,
        "three inline effects added"
    );
    let config = RunConfig {
        runs: 300,
        seed: 4,
        ..RunConfig::from_scenario(&a)
    };
    let (oa, ob) = (simulate(&a, &config), simulate(&b, &config));
    // In each scenario, the last inline distribution of each list is the original effect's.
    let last = |s: &steppe::Scenario, prefix: &str| {
        s.params
            .iter()
            .rposition(|p| p.inline && p.name.starts_with(prefix))
            .unwrap_or_else(|| panic!("no inline parameter under {prefix}"))
    };
    for (prefix, name) in [
        (
            "events.shock.effects",
            "events.shock.effects[all;t1;all].jump",
        ),
        (
            "drivers.war.effects",
            "drivers.war.effects.hot[x;all;all].drift",
        ),
        (
            "drivers.cycle.effects",
            "drivers.cycle.effects[y;all;all].drift",
        ),
    ] {
        let (i, j) = (last(&a, prefix), last(&b, prefix));
        assert_eq!(a.params[i].name, name);
        assert_eq!(b.params[j].name, name);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&oa.params[i]), bits(&ob.params[j]), "{name} changed");
        // Not vacuous: the inserted effect's draws are different numbers.
        assert_ne!(oa.params[i], ob.params[j - 1], "{name}");
    }
}

#[test]
fn effects_with_the_same_selection_are_told_apart_by_their_rank_among_themselves() {
    // Two jumps drawn for the same selection: the second is `#2`. An effect with the same
    // selection but a constant jump, or a distribution for another key, takes no rank.
    let names = |effects: &str| {
        let text = SCENARIO.replace(
            "[[events.shock.effects]]\ntargets = [\"t1\"]\njump = \"normal(0, 0.2)\"",
            effects,
        );
        load(&text)
            .params
            .into_iter()
            .filter(|p| p.inline && p.name.starts_with("events."))
            .map(|p| p.name)
            .collect::<Vec<_>>()
    };
    let effect = |key: &str, value: &str| {
        format!("[[events.shock.effects]]\ntargets = [\"t1\"]\n{key} = {value}\n")
    };
    let two = format!(
        "{}{}",
        effect("jump", "\"normal(0, 0.2)\""),
        effect("jump", "\"normal(0, 0.4)\"")
    );
    assert_eq!(
        names(&two),
        [
            "events.shock.effects[all;t1;all].jump",
            "events.shock.effects[all;t1;all]#2.jump"
        ]
    );
    let with_others = format!(
        "{}{}{}",
        effect("jump", "0.3"),
        effect("drift", "\"normal(0, 0.01)\""),
        two
    );
    assert_eq!(
        names(&with_others),
        [
            "events.shock.effects[all;t1;all].drift",
            "events.shock.effects[all;t1;all].jump",
            "events.shock.effects[all;t1;all]#2.jump"
        ]
    );
}
