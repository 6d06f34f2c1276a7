//! Properties over randomly generated valid scenarios: every share is finite and in [0, 1],
//! shares and autonomy sum to 1, and no summary holds NaN.

use proptest::prelude::*;
use std::fmt::Write as _;
use steppe::engine::{RunConfig, simulate};

#[derive(Debug, Clone)]
struct Shape {
    actors: usize,
    targets: usize,
    channels: usize,
    step: &'static str,
    shares: Vec<f64>,
    drifts: Vec<f64>,
    vols: Vec<f64>,
    floor: Option<f64>,
    hazard: f64,
    jump: f64,
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        1usize..4,
        1usize..3,
        1usize..3,
        prop::sample::select(vec!["year", "quarter", "month"]),
    )
        .prop_flat_map(|(actors, targets, channels, step)| {
            let n_pairs = targets * channels;
            (
                prop::collection::vec(0.01f64..(0.95 / actors as f64), n_pairs * actors),
                prop::collection::vec(-3.0f64..3.0, actors + 1),
                prop::collection::vec(0.0f64..3.0, actors + 1),
                prop::option::of(0.0f64..(0.9 / (actors + 1) as f64)),
                0.0f64..=1.0,
                -10.0f64..10.0,
            )
                .prop_map(move |(shares, drifts, vols, floor, hazard, jump)| Shape {
                    actors,
                    targets,
                    channels,
                    step,
                    shares,
                    drifts,
                    vols,
                    floor,
                    hazard,
                    jump,
                })
        })
}

fn scenario_text(shape: &Shape) -> String {
    let mut s = format!(
        "[scenario]\nname = \"p\"\nstart = 2000\nend = 2006\nstep = \"{}\"\n",
        shape.step
    );
    let actor = |a: usize| {
        if a == shape.actors {
            "autonomy".to_string()
        } else {
            format!("a{a}")
        }
    };
    s.push_str("[actors]\n");
    for a in 0..shape.actors {
        let _ = writeln!(s, "a{a} = {{}}");
    }
    s.push_str("[targets]\n");
    for t in 0..shape.targets {
        let _ = writeln!(s, "t{t} = {{ weight = {} }}", t + 1);
    }
    s.push_str("[channels]\n");
    for c in 0..shape.channels {
        let _ = writeln!(s, "c{c} = {{ weight = {} }}", c + 2);
    }
    let mut i = 0;
    for t in 0..shape.targets {
        for c in 0..shape.channels {
            let _ = writeln!(s, "[initial.t{t}.c{c}]");
            for a in 0..shape.actors {
                let _ = writeln!(s, "a{a} = {}", shape.shares[i]);
                i += 1;
            }
        }
    }
    for a in 0..=shape.actors {
        let _ = writeln!(
            s,
            "[[dynamics]]\nactors = [\"{}\"]\ndrift = {}\nvolatility = {}",
            actor(a),
            shape.drifts[a],
            shape.vols[a]
        );
        if let Some(floor) = shape.floor {
            let _ = writeln!(s, "floor = {floor}");
        }
    }
    let _ = writeln!(
        s,
        "[events.e]\nhazard = {}\nrepeat = true\n[[events.e.effects]]\nactors = [\"a0\"]\njump = {}",
        shape.hazard, shape.jump
    );
    for t in 0..shape.targets {
        for c in 0..shape.channels {
            let sum: Vec<String> = (0..=shape.actors)
                .map(|a| format!("share(\"t{t}\", \"{}\", \"c{c}\")", actor(a)))
                .collect();
            let sum = sum.join(" + ");
            let _ = writeln!(
                s,
                "[metrics.sum_min_{t}_{c}]\nkind = \"min\"\nexpr = '{sum}'"
            );
            let _ = writeln!(
                s,
                "[metrics.sum_max_{t}_{c}]\nkind = \"max\"\nexpr = '{sum}'"
            );
            for a in 0..=shape.actors {
                let one = format!("share(\"t{t}\", \"{}\", \"c{c}\")", actor(a));
                let _ = writeln!(
                    s,
                    "[metrics.lo_{t}_{c}_{a}]\nkind = \"min\"\nexpr = '{one}'"
                );
                let _ = writeln!(
                    s,
                    "[metrics.hi_{t}_{c}_{a}]\nkind = \"max\"\nexpr = '{one}'"
                );
            }
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn shares_stay_in_unit_interval_and_sum_to_one(shape in shape()) {
        let text = scenario_text(&shape);
        let scenario = steppe::scenario::load("p.toml", &text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let config = RunConfig { runs: 600, seed: 3, ..RunConfig::from_scenario(&scenario) };
        let outcome = simulate(&scenario, &config);
        // The same numbers, bit for bit, on one thread (the default pool has two or more).
        let single = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(|| simulate(&scenario, &config));
        prop_assert!(single.series == outcome.series, "series differ across thread counts");
        let bits = |o: &steppe::engine::Outcome| o.metrics.iter().flatten().map(|v| v.to_bits()).collect::<Vec<_>>();
        prop_assert_eq!(bits(&single), bits(&outcome));
        for (metric, values) in scenario.metrics.iter().zip(&outcome.metrics) {
            for &v in values {
                prop_assert!(v.is_finite(), "{} gave {}", metric.name, v);
                if let (Some(floor), true) = (shape.floor, metric.name.starts_with("lo_")) {
                    prop_assert!(v >= floor - 1e-12, "{} = {} below the floor {}", metric.name, v, floor);
                }
                if metric.name.starts_with("sum_") {
                    prop_assert!((v - 1.0).abs() < 1e-9, "{} = {}", metric.name, v);
                } else {
                    prop_assert!((0.0..=1.0).contains(&v), "{} = {}", metric.name, v);
                }
            }
        }
        let summary = steppe::summary::summarize(&scenario, "p.toml", &outcome);
        for series in &summary.series {
            for p in &series.points {
                for v in [p.mean, p.se, p.p05, p.p25, p.p50, p.p75, p.p95] {
                    prop_assert!(v.is_finite() && (0.0..=1.0).contains(&v), "{} {} step {}: {}", series.target, series.actor, p.step, v);
                }
            }
        }
    }
}

/// Numerical extremes within the documented limits give finite results: huge drifts and
/// volatilities (±50 a year), hazard 1, long monthly horizons, a single run.
#[test]
fn extremes_within_the_limits_give_finite_results() {
    let text = |header: &str| {
        crate::common::one_cell(
            header,
            "[[dynamics]]\nactors = [\"a\"]\ndrift = 50\nvolatility = 50\nfloor = 0.01\n\
             [[dynamics]]\nactors = [\"autonomy\"]\ndrift = -50\nvolatility = 50\n\
             [events.e]\nhazard = 1\n[[events.e.effects]]\nactors = [\"a\"]\njump = -50\ndrift = -50\n\
             [events.r]\nhazard = 0.999999\nrepeat = true\n[[events.r.effects]]\nactors = [\"a\"]\njump = 50\n\
             [metrics.end]\nkind = \"at\"\nexpr = 'share(\"t\", \"a\")'\n[metrics.low]\nkind = \"min\"\nexpr = 'share(\"t\", \"a\")'\n",
        )
    };
    for (header, runs) in [
        ("start = 2000\nend = 2200\nstep = \"month\"", 40),
        ("start = 2000\nend = 2010", 1),
    ] {
        let scenario = steppe::scenario::load("x.toml", &text(header)).expect("valid");
        let outcome = simulate(
            &scenario,
            &RunConfig {
                runs,
                seed: 1,
                ..RunConfig::from_scenario(&scenario)
            },
        );
        for values in &outcome.metrics {
            assert!(
                values
                    .iter()
                    .all(|v| v.is_finite() && (0.0..=1.0).contains(v)),
                "{values:?}"
            );
        }
        let summary = steppe::summary::summarize(&scenario, "x.toml", &outcome);
        for series in &summary.series {
            for p in &series.points {
                for v in [p.mean, p.p05, p.p50, p.p95] {
                    assert!(v.is_finite(), "{} {}: {v}", series.target, series.actor);
                }
            }
        }
    }
}
