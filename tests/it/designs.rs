//! Experimental designs (`--design lhs|sobol`) and run-until-precise (`--precision`).

use std::path::Path;

use crate::common::{load, metric, one_cell};
use steppe::design::Design;
use steppe::engine::{RunConfig, simulate};

const TWO_PARAMS: &str = "[params]\nx = \"uniform(-0.1, 0.1)\"\ny = \"normal(0, 1)\"\n\
    [[dynamics]]\nactors = [\"a\"]\ndrift = \"x\"\n\
    [metrics.end]\nkind = \"at\"\nexpr = 'share(\"t\", \"a\")'\n";

/// Each run's draws of every parameter, for `n` runs under `design`.
fn draws(design: Design, n: u64) -> (steppe::Scenario, Vec<Vec<f64>>) {
    let scenario = load(&one_cell("start = 2020\nend = 2030", TWO_PARAMS));
    let config = RunConfig {
        runs: n,
        seed: 5,
        design,
        ..RunConfig::from_scenario(&scenario)
    };
    let outcome = simulate(&scenario, &config);
    (scenario, outcome.params)
}

/// Within every replicate block of the design, the stratum of (0, 1) of each run's draw of
/// each parameter, for as many strata as the block has runs, sorted.
fn strata_per_replicate(design: Design, n: u64) -> Vec<Vec<usize>> {
    let (scenario, params) = draws(design, n);
    let mut out = Vec::new();
    let mut run = 0;
    while run < n {
        let block = design.block(run, n);
        for (p, column) in scenario.params.iter().zip(&params) {
            let m = block.size as usize;
            let mut s: Vec<usize> = column
                [block.first as usize..(block.first + block.size) as usize]
                .iter()
                .map(|x| (p.distribution.cdf(*x) * m as f64) as usize)
                .collect();
            s.sort_unstable();
            out.push(s);
        }
        run = block.first + block.size;
    }
    out
}

#[test]
fn latin_hypercube_and_sobol_put_exactly_one_draw_in_each_stratum_of_each_replicate() {
    // 256 runs of a Latin hypercube: 10 replicates of 25 or 26 runs, each stratified;
    // 2,560 runs of Sobol: 10 replicates of 256 runs (Sobol nets stratify powers of two).
    for (design, n) in [(Design::LatinHypercube, 256), (Design::Sobol, 2560)] {
        assert_eq!(design.replicates(n), 10);
        let blocks = strata_per_replicate(design, n);
        assert_eq!(blocks.len(), 20);
        for s in blocks {
            assert_eq!(s, (0..s.len()).collect::<Vec<_>>(), "{design:?}");
        }
    }
    // Plain Monte Carlo does not (a check that the test can fail).
    let (scenario, mc) = draws(Design::MonteCarlo, 256);
    let mut s: Vec<usize> = mc[0]
        .iter()
        .map(|x| (scenario.params[0].distribution.cdf(*x) * 256.0) as usize)
        .collect();
    s.sort_unstable();
    assert_ne!(s, (0..256).collect::<Vec<_>>());
}

#[test]
fn replicate_blocks_cover_the_runs_once() {
    for design in [Design::LatinHypercube, Design::Sobol] {
        for n in [1, 2, 3, 19, 20, 21, 256, 1001] {
            let mut next = 0;
            while next < n {
                let b = design.block(next, n);
                assert_eq!(b.first, next, "{design:?} {n}");
                for run in b.first..b.first + b.size {
                    assert_eq!(design.block(run, n), b);
                }
                next += b.size;
            }
            assert_eq!(next, n);
        }
    }
    assert_eq!(Design::MonteCarlo.replicates(1000), 1);
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
        let out = crate::common::command()
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
        let se = m["se"].as_f64().or(m["never_se"].as_f64());
        // A leader metric: each category's probability has its own standard error.
        let se = se.unwrap_or_else(|| {
            m["categories"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["se"].as_f64().unwrap())
                .fold(0.0, f64::max)
        });
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

/// A metric that rises with the drift `x` and carries within-run noise: a design removes the
/// part that the assumptions explain, not the noise.
const NOISY: &str = "[params]\nx = \"uniform(-0.1, 0.1)\"\ny = \"normal(0, 1)\"\n\
    [[dynamics]]\nactors = [\"a\"]\ndrift = \"x\"\nvolatility = 0.02\n\
    [metrics.end]\nkind = \"at\"\nexpr = 'share(\"t\", \"a\")'\n\
    [metrics.high]\nkind = \"at\"\nexpr = 'share(\"t\", \"a\") > 0.3'\n";

#[test]
fn the_standard_error_of_a_design_matches_the_spread_of_its_estimates_over_seeds() {
    // Over S = 200 seeds of N = 1,000 runs, the variance of the estimates (relative standard
    // error √(2/199) = 0.10) against the mean of the reported squared standard errors (each
    // from 10 replicates, 9 degrees of freedom: relative error √(2/9)/√200 = 0.033). Their
    // ratio has a relative standard error of about 0.105: it must lie within [0.65, 1.5]. The
    // independent-runs formula, which the design makes far too large, must be off by > 10×.
    let scenario = load(&one_cell("start = 2020\nend = 2030", NOISY));
    for design in [Design::LatinHypercube, Design::Sobol] {
        let (mut means, mut reported, mut independent) = (Vec::new(), Vec::new(), Vec::new());
        let (mut probabilities, mut reported_p) = (Vec::new(), Vec::new());
        let (mut series, mut reported_series) = (Vec::new(), Vec::new());
        for seed in 0..200 {
            let config = RunConfig {
                runs: 1000,
                seed,
                design,
                keep_runs: false,
                ..RunConfig::from_scenario(&scenario)
            };
            let outcome = simulate(&scenario, &config);
            let summary = steppe::summary::summarize(&scenario, "t.toml", &outcome);
            assert_eq!(summary.replicates, 10);
            if seed == 0 {
                // The table names the design and where its standard errors come from.
                let table = steppe::report::table::render(&scenario, &summary);
                let want = if design == Design::Sobol {
                    "1,000 runs (scrambled Sobol, 10 replicates)"
                } else {
                    "1,000 runs (Latin hypercube, 10 replicates)"
                };
                assert!(table.contains(want), "{table}");
                assert!(table.contains("spread of the 10 independent"), "{table}");
            }
            let steppe::summary::MetricResult::Number(d) = &summary.metrics[0].result else {
                panic!("a number");
            };
            means.push(d.mean);
            reported.push(d.se * d.se);
            independent.push(d.sd * d.sd / 1000.0);
            let steppe::summary::MetricResult::Probability { probability, se } =
                summary.metrics[1].result
            else {
                panic!("a probability");
            };
            probabilities.push(probability);
            reported_p.push(se * se);
            let point = summary.series[0].points.last().unwrap();
            series.push(point.mean);
            reported_series.push(point.se * point.se);
        }
        let variance = |v: &[f64]| {
            let m = v.iter().sum::<f64>() / v.len() as f64;
            v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64
        };
        let average = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        for (what, estimates, squared) in [
            ("mean", &means, &reported),
            ("probability", &probabilities, &reported_p),
            ("series mean", &series, &reported_series),
        ] {
            let ratio = average(squared) / variance(estimates);
            println!("{design:?} {what}: reported s.e.² / observed variance = {ratio:.3}");
            assert!(
                (0.65..=1.5).contains(&ratio),
                "{design:?} {what}: reported s.e.² {:.3e} against an observed variance {:.3e}",
                average(squared),
                variance(estimates)
            );
        }
        let naive = average(&independent) / variance(&means);
        println!("{design:?}: independent-runs s.e.² / observed variance = {naive:.1}");
        assert!(naive > 10.0, "{design:?}: {naive}");
    }
}

#[test]
fn explain_shows_the_correlations_actually_imposed() {
    // Rank correlations of −0.49 between three parameters hold, but their normal scores cannot:
    // what is imposed is (6/π)·asin(−1/4) = −0.4826, and explain says so.
    let text = one_cell(
        "start = 2020\nend = 2030",
        "[params]\nx = \"normal(0, 1)\"\ny = \"normal(0, 1)\"\nz = \"normal(0, 1)\"\n\
         [correlations]\nx = { y = -0.49, z = -0.49 }\ny = { z = -0.49 }\n",
    );
    let explained = steppe::report::explain::render(&load(&text), None);
    assert!(
        explained.contains("x and y: -0.49 asked, -0.4826 imposed"),
        "{explained}"
    );
    assert!(explained.contains("normal scores"), "{explained}");
    // Repaired: Higham's nearest correlation matrix, named as such.
    let repaired = text
        .replace("-0.49", "-0.9")
        .replace("[correlations]\n", "[correlations]\nrepair = true\n");
    let explained = steppe::report::explain::render(&load(&repaired), None);
    assert!(
        explained.contains("nearest correlation matrix in the Frobenius norm (Higham 2002)"),
        "{explained}"
    );
}

#[test]
fn precision_can_be_asked_of_chosen_metrics_and_names_the_one_that_binds() {
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/baseline.toml")
        .display()
        .to_string();
    let run = |extra: &[&str]| {
        crate::common::command()
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
