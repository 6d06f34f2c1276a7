//! Experimental designs (`--design lhs|sobol`) and run-until-precise (`--precision`).

use std::path::Path;
use std::process::Command;

use crate::common::{load, metric, one_cell};
use steppe::design::Design;
use steppe::engine::{RunConfig, simulate};

const TWO_PARAMS: &str = "[params]\nx = \"uniform(-0.1, 0.1)\"\ny = \"normal(0, 1)\"\n\
    [[dynamics]]\nactors = [\"a\"]\ndrift = \"x\"\n\
    [metrics.end]\nkind = \"at\"\nexpr = 'share(\"t\", \"a\")'\n";

/// The stratum of (0, 1) in which each run's draw of parameter `p` falls, for `n` strata.
fn strata(design: Design, n: u64) -> Vec<Vec<usize>> {
    let scenario = load(&one_cell("start = 2020\nend = 2030", TWO_PARAMS));
    let config = RunConfig {
        runs: n,
        seed: 5,
        design,
        ..RunConfig::from_scenario(&scenario)
    };
    let outcome = simulate(&scenario, &config);
    scenario
        .params
        .iter()
        .zip(&outcome.params)
        .map(|(p, draws)| {
            let mut s: Vec<usize> = draws
                .iter()
                .map(|x| (p.distribution.cdf(*x) * n as f64) as usize)
                .collect();
            s.sort_unstable();
            s
        })
        .collect()
}

#[test]
fn latin_hypercube_and_sobol_put_exactly_one_draw_in_each_stratum() {
    for design in [Design::LatinHypercube, Design::Sobol] {
        for (p, s) in strata(design, 256).into_iter().enumerate() {
            assert_eq!(s, (0..256).collect::<Vec<_>>(), "{design:?}, parameter {p}");
        }
    }
    // Plain Monte Carlo does not (a check that the test can fail).
    let mc = &strata(Design::MonteCarlo, 256)[0];
    assert_ne!(mc, &(0..256).collect::<Vec<_>>());
}

#[test]
fn latin_hypercube_lowers_the_variance_of_a_mean_of_a_monotone_metric() {
    // The share at 2030 rises monotonically with the drift parameter x; over 60 seeds, the
    // mean of 50 runs varies much less under a Latin hypercube than under Monte Carlo.
    let scenario = load(&one_cell("start = 2020\nend = 2030", TWO_PARAMS));
    let variance_of_means = |design: Design| {
        let means: Vec<f64> = (0..60)
            .map(|seed| {
                let config = RunConfig {
                    runs: 50,
                    seed,
                    design,
                    ..RunConfig::from_scenario(&scenario)
                };
                let outcome = simulate(&scenario, &config);
                steppe::stats::mean_and_se(metric(&scenario, &outcome, "end")).0
            })
            .collect();
        let (m, _) = steppe::stats::mean_and_se(&means);
        means.iter().map(|x| (x - m).powi(2)).sum::<f64>() / 59.0
    };
    let (mc, lhs) = (
        variance_of_means(Design::MonteCarlo),
        variance_of_means(Design::LatinHypercube),
    );
    assert!(
        lhs < mc / 10.0,
        "variance of the mean: Monte Carlo {mc:.3e}, Latin hypercube {lhs:.3e}"
    );
}

#[test]
fn designs_are_the_same_on_any_number_of_threads() {
    let scenario = load(&one_cell("start = 2020\nend = 2030", TWO_PARAMS));
    for design in [Design::LatinHypercube, Design::Sobol] {
        let config = RunConfig {
            runs: 1000,
            seed: 3,
            design,
            ..RunConfig::from_scenario(&scenario)
        };
        let on = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| simulate(&scenario, &config))
        };
        assert_eq!(on(1).params, on(2).params);
    }
}

#[test]
fn precision_doubles_runs_until_every_error_is_small_and_equals_a_plain_run() {
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/baseline.toml")
        .display()
        .to_string();
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_steppe"))
            .args(["run", &baseline, "--json", "--quiet"])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let precise = run(&["--precision", "0.01", "--runs", "100"]);
    let json: serde_json::Value = serde_json::from_slice(&precise).unwrap();
    let runs = json["runs"].as_u64().unwrap();
    assert!(runs > 100 && (runs / 100).is_power_of_two(), "{runs}");
    for m in json["metrics"].as_array().unwrap() {
        let se = m["se"].as_f64().or(m["never_se"].as_f64()).unwrap();
        assert!(se <= 0.01, "{}: s.e. {se}", m["name"]);
    }
    // The same runs as a plain run of that size, byte for byte.
    assert_eq!(precise, run(&["--runs", &runs.to_string()]));
}

const CORRELATED: &str = "[params]\nx = \"normal(0, 1)\"\ny = \"pert(0, 0.3, 1)\"\nz = \"uniform(-1, 1)\"\n\
    [correlations]\nx = { y = 0.6, z = -0.4 }\n\
    [[dynamics]]\nactors = [\"a\"]\ndrift = \"x\"\n";

#[test]
fn rank_correlations_are_imposed_and_marginals_kept() {
    let correlated = load(&one_cell("start = 2020\nend = 2030", CORRELATED));
    let independent = load(&one_cell(
        "start = 2020\nend = 2030",
        &CORRELATED.replace("[correlations]\nx = { y = 0.6, z = -0.4 }\n", ""),
    ));
    let config = RunConfig {
        runs: 5000,
        seed: 9,
        ..RunConfig::from_scenario(&correlated)
    };
    let (c, i) = (
        simulate(&correlated, &config),
        simulate(&independent, &config),
    );
    let spearman = |o: &steppe::engine::Outcome, a: usize, b: usize| {
        steppe::correlation::spearman(&o.params[a], &o.params[b])
    };
    // The sample Spearman correlation of 5000 pairs has a standard error of about
    // (1 − ρ²)/√n ≤ 0.015; Iman–Conover removes the scores' own chance correlation, so the
    // achieved values sit well inside 3 of those.
    for ((a, b), wanted) in [((0, 1), 0.6), ((0, 2), -0.4), ((1, 2), 0.0)] {
        let got = spearman(&c, a, b);
        assert!(
            (got - wanted).abs() < 0.045,
            "Spearman({a}, {b}) = {got}, wanted {wanted}"
        );
    }
    // Every marginal is exactly the independent one: the same draws, reordered among runs.
    for p in 0..3 {
        let sorted = |v: &[f64]| {
            let mut v = v.to_vec();
            v.sort_by(f64::total_cmp);
            v
        };
        assert_eq!(sorted(&c.params[p]), sorted(&i.params[p]), "parameter {p}");
    }
    assert!(spearman(&i, 0, 1).abs() < 0.045);
}

#[test]
fn impossible_correlations_are_an_error_unless_repaired() {
    let impossible = "[params]\nx = \"normal(0, 1)\"\ny = \"normal(0, 1)\"\nz = \"normal(0, 1)\"\n\
        [correlations]\nx = { y = -0.9, z = -0.9 }\ny = { z = -0.9 }\n";
    let text = one_cell("start = 2020\nend = 2030", impossible);
    let err = steppe::scenario::load("c.toml", &text)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "these correlations cannot hold together (the matrix is not positive definite)"
        ),
        "{err}"
    );
    assert!(err.contains("repair = true"), "{err}");
    let repaired = load(&text.replace("[correlations]\n", "[correlations]\nrepair = true\n"));
    let c = repaired.correlations.as_ref().unwrap();
    assert!(c.repaired.unwrap() > 0.3);
    assert!(steppe::correlation::cholesky(&c.matrix).is_some());
    // Unknown names and out-of-range values are reported at their place.
    let bad = one_cell(
        "start = 2020\nend = 2030",
        "[params]\nx = \"normal(0, 1)\"\n[correlations]\nx = { q = 0.5 }\n",
    );
    assert!(
        steppe::scenario::load("c.toml", &bad)
            .unwrap_err()
            .to_string()
            .contains("unknown parameter `q`")
    );
    let range = one_cell(
        "start = 2020\nend = 2030",
        "[params]\nx = \"normal(0, 1)\"\ny = \"normal(0, 1)\"\n[correlations]\nx = { y = 1.5 }\n",
    );
    assert!(
        steppe::scenario::load("c.toml", &range)
            .unwrap_err()
            .to_string()
            .contains("a correlation must be within [-1, 1], got 1.5")
    );
}

#[test]
fn precision_can_be_asked_of_chosen_metrics_and_names_the_one_that_binds() {
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/baseline.toml")
        .display()
        .to_string();
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_steppe"))
            .args(["run", &baseline, "--json", "--runs", "100"])
            .args(extra)
            .output()
            .unwrap()
    };
    let runs = |out: &std::process::Output| {
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json["runs"].as_u64().unwrap()
    };
    let all = run(&["--precision", "0.01"]);
    let said = String::from_utf8_lossy(&all.stderr);
    assert!(said.contains("precision 0.01 reached with"), "{said}");
    // A share's standard error is far smaller than a probability's: asking only of the share
    // stops sooner, and the message names it.
    let share = run(&[
        "--precision",
        "0.01",
        "--precision-metric",
        "russia_kz_2035",
    ]);
    let said = String::from_utf8_lossy(&share.stderr);
    assert!(said.contains("of russia_kz_2035 (mean)"), "{said}");
    assert!(
        runs(&share) < runs(&all),
        "{} vs {}",
        runs(&share),
        runs(&all)
    );
    let wrong = run(&[
        "--precision",
        "0.01",
        "--precision-metric",
        "russia_kz_2O35",
    ]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("did you mean `russia_kz_2035`?"));
}
