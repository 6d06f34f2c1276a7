//! Metric and parameter statistics come from a sketch and exact sums instead of every value:
//! beyond `BINS` distinct values they must still agree with the exact statistics of the same
//! runs — means and standard deviations to rounding, quantiles within a bin of the sketch (far
//! below their Monte Carlo error), probabilities and first-year counts exactly — and not depend
//! on whether the runs' values were kept.

use std::path::Path;

use steppe::engine::values::BINS;
use steppe::engine::{RunConfig, simulate};
use steppe::summary::{Distribution, MetricResult, summarize};

fn baseline() -> steppe::scenario::Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    steppe::command::load_file(&path.display().to_string()).unwrap()
}

/// Checks a sketched distribution against every value.
fn agrees(name: &str, got: &Distribution, width: f64, values: &[f64]) {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let exact = steppe::summary::distribution(values);
    let close = |a: f64, b: f64, tol: f64| (a - b).abs() <= tol * b.abs().max(1e-300);
    assert!(
        close(got.mean, exact.mean, 1e-12),
        "{name}: mean {} vs {}",
        got.mean,
        exact.mean
    );
    assert!(
        close(got.sd, exact.sd, 1e-8),
        "{name}: sd {} vs {}",
        got.sd,
        exact.sd
    );
    assert_eq!(
        (got.min, got.max),
        (exact.min, exact.max),
        "{name}: extremes"
    );
    assert_eq!(got.invalid_runs, exact.invalid_runs, "{name}");
    for (q, value, reference) in [
        (0.05, got.p05, exact.p05),
        (0.25, got.p25, exact.p25),
        (0.5, got.p50, exact.p50),
        (0.75, got.p75, exact.p75),
        (0.95, got.p95, exact.p95),
    ] {
        // Each of the two ranks interpolated between is read within its bin, and a bin's
        // values lie within the relative width `width` of each other (bits of the significand
        // dropped). (A width of 0: every distinct value has its own bin, quantiles are exact.)
        assert!(
            (value - reference).abs() <= width * value.abs().max(reference.abs()),
            "{name}: q{q} {value} vs exact {reference}"
        );
    }
}

#[test]
fn sketched_statistics_agree_with_the_exact_statistics_of_the_same_runs() {
    let scenario = baseline();
    let runs = 2 * BINS as u64 + 1_000;
    let kept = RunConfig {
        runs,
        ..RunConfig::from_scenario(&scenario)
    };
    let outcome = simulate(&scenario, &kept);
    let summary = summarize(&scenario, "baseline.toml", &outcome);
    let mut checked = [0; 4];
    for metric in &summary.metrics {
        let m = metric.columns.start;
        let values = &outcome.metrics[m];
        match &metric.result {
            MetricResult::Number(d) => {
                let width = outcome.metric_values[m].sketch().resolution();
                agrees(&metric.name, d, width, values);
                checked[0] += 1;
            }
            MetricResult::Probability { probability, .. } => {
                let holds = values.iter().filter(|v| **v != 0.0).count();
                assert_eq!(*probability, holds as f64 / runs as f64, "{}", metric.name);
                checked[1] += 1;
            }
            MetricResult::FirstYear {
                never,
                median_year,
                by_year,
                ..
            } => {
                let nan = values.iter().filter(|v| v.is_nan()).count();
                assert_eq!(*never, nan as f64 / runs as f64);
                for y in by_year {
                    let count = values.iter().filter(|v| **v == f64::from(y.year)).count();
                    assert_eq!(y.probability, count as f64 / runs as f64, "{}", y.year);
                }
                assert_eq!(*median_year, steppe::stats::median_first_year(values));
                checked[2] += 1;
            }
            MetricResult::Categorical {
                categories,
                undefined,
            } => {
                let mut led = 0;
                for (c, category) in metric.columns.clone().zip(categories) {
                    let holds = outcome.metrics[c].iter().filter(|v| **v != 0.0).count();
                    assert_eq!(category.probability, holds as f64 / runs as f64);
                    led += holds;
                }
                assert_eq!(*undefined, (runs as usize - led) as f64 / runs as f64);
                checked[3] += 1;
            }
        }
    }
    assert!(
        checked.iter().all(|c| *c > 0),
        "every kind of metric: {checked:?}"
    );
    for (p, param) in summary.params.iter().enumerate() {
        let sketch = outcome.param_values[p].sketch();
        agrees(
            &param.name,
            &param.drawn,
            sketch.resolution(),
            &outcome.params[p],
        );
    }
    // Not keeping the runs' values changes no statistic.
    let flat = simulate(
        &scenario,
        &RunConfig {
            keep_runs: false,
            ..kept
        },
    );
    assert!(flat.metrics.is_empty() && flat.params.is_empty());
    let flat_summary = summarize(&scenario, "baseline.toml", &flat);
    assert_eq!(
        serde_json::to_string(&flat_summary).unwrap(),
        serde_json::to_string(&summary).unwrap()
    );
}

#[test]
fn a_share_spread_over_two_hundred_orders_of_magnitude_summarises_without_a_panic() {
    // The reviewer's reproducer: a drift of up to −20 a year takes shares down to 1e-87 over
    // ten years; bins narrower than an ulp of their values made a quantile's clamp panic.
    let text = r#"[scenario]
name = "b3"
start = 2024
end = 2034
[actors]
a = {}
[targets]
t = {}
[channels]
c = {}
[initial.t.c]
a = 0.5
[params]
trend = "uniform(-20, 0)"
[[dynamics]]
actors = ["a"]
drift = "trend"
[metrics.share_end]
kind = "at"
expr = 'share("t", "a")'
"#;
    let scenario = steppe::scenario::load("b3.toml", text).unwrap();
    let config = RunConfig {
        runs: 100_000,
        seed: 1,
        ..RunConfig::from_scenario(&scenario)
    };
    let outcome = simulate(&scenario, &config);
    let summary = summarize(&scenario, "b3.toml", &outcome);
    let MetricResult::Number(d) = &summary.metrics[0].result else {
        panic!("a number");
    };
    let width = outcome.metric_values[0].sketch().resolution();
    agrees("share_end", d, width, &outcome.metrics[0]);
}
