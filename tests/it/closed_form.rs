//! The engine against closed-form answers. Tolerances are 4 Monte Carlo standard errors (a
//! false alarm about once in 16,000 checks) with fixed seeds, so these tests are deterministic
//! and fail only if the engine's law is wrong.

use crate::common::{metric, one_cell, probability, run};
use statrs::distribution::{ContinuousCDF, Normal};

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// Checks that `values` follow the law whose quantile function is `quantile`, at five levels:
/// the fraction of values below the q-quantile is q within 4 standard errors √(q(1−q)/n).
fn assert_quantiles(values: &[f64], quantile: impl Fn(f64) -> f64, what: &str) {
    let n = values.len() as f64;
    for q in [0.05, 0.25, 0.5, 0.75, 0.95] {
        let x = quantile(q);
        let below = values.iter().filter(|v| **v <= x).count() as f64 / n;
        let se = (q * (1.0 - q) / n).sqrt();
        assert!(
            (below - q).abs() < 4.0 * se,
            "{what}: P(X <= {x:.5}) = {below:.4}, expected {q} ± {:.4}",
            4.0 * se
        );
    }
}

const RUNS: u64 = 20_000;

#[test]
fn random_walk_share_is_logit_normal_at_any_step_length() {
    // logit(share) = logit(0.3) + μT + σ√T·Z against a still autonomy, T = 10 years.
    let (mu, sigma, years) = (0.1, 0.4, 10.0);
    let standard = Normal::new(0.0, 1.0).unwrap();
    for step in ["year", "quarter", "month"] {
        let text = one_cell(
            &format!("start = 2020\nend = 2030\nstep = \"{step}\""),
            &format!(
                "[[dynamics]]\nactors = [\"a\"]\ndrift = {mu}\nvolatility = {sigma}\n\
                 [metrics.end]\nkind = \"at\"\nexpr = 'share(\"t\", \"a\")'"
            ),
        );
        let (scenario, outcome) = run(&text, RUNS, 11);
        let values = metric(&scenario, &outcome, "end");
        let quantile = |q: f64| {
            logistic(logit(0.3) + mu * years + sigma * years.sqrt() * standard.inverse_cdf(q))
        };
        assert_quantiles(values, quantile, step);

        // The histogram of the series agrees with the exact quantiles of the same runs to
        // within one bin (0.0005).
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let end = outcome.series.n_points - 1;
        for q in [0.05, 0.5, 0.95] {
            let exact = steppe::stats::quantile_sorted(&sorted, q);
            let binned = outcome.series.quantile(end, 0, q);
            assert!(
                (exact - binned).abs() <= 1.0 / 2000.0 + 1e-9,
                "{step} q={q}: {binned} vs {exact}"
            );
        }
    }
}

#[test]
fn mean_reversion_follows_the_exact_ornstein_uhlenbeck_law_at_any_step_length() {
    // x_T ~ N(m + (x0 − m)e^{−κT}, σ²(1 − e^{−2κT})/(2κ)), m = ln L + μ/κ; autonomy stays at
    // ln 0.7, so share = logistic(x_T − ln 0.7).
    let (mu, sigma, kappa, level, years) = (0.05, 0.3, 0.5, 0.5, 6.0);
    let m = f64::ln(level) + mu / kappa;
    let mean = m + (f64::ln(0.3) - m) * (-kappa * years).exp();
    let sd = sigma * ((1.0 - (-2.0 * kappa * years).exp()) / (2.0 * kappa)).sqrt();
    let law = Normal::new(mean, sd).unwrap();
    for step in ["year", "month"] {
        let text = one_cell(
            &format!("start = 2020\nend = 2026\nstep = \"{step}\""),
            &format!(
                "[[dynamics]]\nactors = [\"a\"]\ndrift = {mu}\nvolatility = {sigma}\nreversion = {{ level = {level}, speed = {kappa} }}\n\
                 [metrics.end]\nkind = \"at\"\nexpr = 'share(\"t\", \"a\")'"
            ),
        );
        let (scenario, outcome) = run(&text, RUNS, 12);
        let values = metric(&scenario, &outcome, "end");
        assert_quantiles(
            values,
            |q| logistic(law.inverse_cdf(q) - f64::ln(0.7)),
            step,
        );
    }
}

#[test]
fn once_only_event_fires_with_probability_one_minus_survival() {
    // Annual hazard p over n years of window: 1 − (1 − p)^n, at yearly and monthly steps.
    let p: f64 = 0.15;
    for (step, window, years) in [
        ("year", "", 10),
        ("month", "", 10),
        ("year", "window = [2025, 2027]", 3),
        ("quarter", "window = [2025, 2027]", 3),
    ] {
        let text = one_cell(
            &format!("start = 2020\nend = 2030\nstep = \"{step}\""),
            &format!(
                "[events.e]\nhazard = {p}\n{window}\n[[events.e.effects]]\nactors = [\"a\"]\njump = 0.1\n\
                 [metrics.fired]\nkind = \"ever\"\nexpr = 'fired(\"e\")'"
            ),
        );
        let (scenario, outcome) = run(&text, RUNS, 13);
        let (estimate, se) = probability(metric(&scenario, &outcome, "fired"));
        let expected = 1.0 - (1.0 - p).powi(years);
        let tolerance = 4.0 * (expected * (1.0 - expected) / RUNS as f64).sqrt();
        assert!(
            (estimate - expected).abs() < tolerance,
            "{step} {window}: {estimate} ± {se}, expected {expected}"
        );
    }
}

#[test]
fn regime_chain_settles_into_its_stationary_distribution() {
    let rows = [[0.8, 0.15, 0.05], [0.2, 0.7, 0.1], [0.1, 0.3, 0.6]];
    // Stationary distribution by power iteration: π = πP.
    let mut pi = [1.0 / 3.0; 3];
    for _ in 0..10_000 {
        let mut next = [0.0; 3];
        for (i, row) in rows.iter().enumerate() {
            for (j, p) in row.iter().enumerate() {
                next[j] += pi[i] * p;
            }
        }
        pi = next;
    }
    let text = one_cell(
        "start = 2000\nend = 2100",
        r#"[drivers.r]
type = "regime"
states = ["s0", "s1", "s2"]
initial = "s2"
[drivers.r.transitions]
s0 = { s0 = 0.8, s1 = 0.15, s2 = 0.05 }
s1 = { s0 = 0.2, s1 = 0.7, s2 = 0.1 }
s2 = { s0 = 0.1, s1 = 0.3, s2 = 0.6 }
[metrics.in_s0]
kind = "at"
expr = 'regime("r") == "s0"'
[metrics.in_s1]
kind = "at"
expr = 'regime("r") == "s1"'
[metrics.in_s2]
kind = "at"
expr = 'regime("r") == "s2"'"#,
    );
    // Regimes move once a year whatever the step, so their law is the same at every step.
    for step in ["year", "quarter", "month"] {
        let text = text.replace("start = 2000", &format!("start = 2000\nstep = \"{step}\""));
        let (scenario, outcome) = run(&text, RUNS, 14);
        for (s, expected) in pi.iter().enumerate() {
            let (estimate, _) = probability(metric(&scenario, &outcome, &format!("in_s{s}")));
            let tolerance = 4.0 * (expected * (1.0 - expected) / RUNS as f64).sqrt();
            assert!(
                (estimate - expected).abs() < tolerance,
                "{step}, state {s}: {estimate}, expected {expected}"
            );
        }
    }
}

#[test]
fn ar1_factor_has_its_stationary_sd_at_any_step_length() {
    // Started from 0, after T years the variance is sd²(1 − φ^{2T}).
    let (phi, sd, years) = (0.6f64, 2.0, 5);
    let expected_sd = sd * (1.0 - phi.powi(2 * years)).sqrt();
    let law = Normal::new(0.0, expected_sd).unwrap();
    for step in ["year", "month"] {
        let text = one_cell(
            &format!("start = 2020\nend = 2025\nstep = \"{step}\""),
            &format!(
                "[drivers.f]\ntype = \"factor\"\npersistence = {phi}\nsd = {sd}\n\
                 [metrics.f]\nkind = \"at\"\nexpr = 'factor(\"f\")'"
            ),
        );
        let (scenario, outcome) = run(&text, RUNS, 15);
        assert_quantiles(
            metric(&scenario, &outcome, "f"),
            |q| law.inverse_cdf(q),
            step,
        );
    }
}

#[test]
fn deterministic_crossing_gives_its_first_year_and_never() {
    // logit(s_t) = logit(0.3) + 0.1·t crosses 0 at t = 8.47: first in calendar year 2022 + 9.
    let text = one_cell(
        "start = 2022\nend = 2035",
        r#"[[dynamics]]
actors = ["a"]
drift = 0.1
[metrics.half]
kind = "first"
expr = 'share("t", "a") > 0.5'
[metrics.unreachable]
kind = "first"
expr = 'share("t", "a") > 0.99'"#,
    );
    let (scenario, outcome) = run(&text, 300, 1);
    assert!(
        metric(&scenario, &outcome, "half")
            .iter()
            .all(|y| *y == 2031.0)
    );
    assert!(
        metric(&scenario, &outcome, "unreachable")
            .iter()
            .all(|y| y.is_nan())
    );
}

#[test]
fn floors_and_ceilings_hold_every_step() {
    // `a` is pushed down onto its floor, `b` up against its ceiling; autonomy takes the rest.
    let text = r#"[scenario]
name = "bounds"
start = 2022
end = 2042
step = "quarter"
[actors]
a = {}
b = {}
[targets]
t = {}
[channels]
c = {}
[initial.t.c]
a = 0.3
b = 0.3
[[dynamics]]
actors = ["a"]
drift = -0.5
volatility = 0.5
floor = 0.1
[[dynamics]]
actors = ["b"]
drift = 0.5
volatility = 0.5
ceiling = 0.6
[[dynamics]]
actors = ["autonomy"]
volatility = 0.3
[metrics.a_low]
kind = "min"
expr = 'share("t", "a")'
[metrics.b_high]
kind = "max"
expr = 'share("t", "b")'"#;
    let (scenario, outcome) = run(text, 2000, 3);
    let a_low = metric(&scenario, &outcome, "a_low");
    let b_high = metric(&scenario, &outcome, "b_high");
    assert!(a_low.iter().all(|v| *v >= 0.1 - 1e-12));
    assert!(b_high.iter().all(|v| *v <= 0.6 + 1e-12));
    // The drifts push hard against both bounds: nearly every run touches them.
    let touched =
        |values: &[f64], bound: f64| values.iter().filter(|v| (**v - bound).abs() < 1e-9).count();
    assert!(
        touched(a_low, 0.1) > 1900,
        "{} of 2000 runs reached the floor",
        touched(a_low, 0.1)
    );
    assert!(
        touched(b_high, 0.6) > 1900,
        "{} of 2000 runs reached the ceiling",
        touched(b_high, 0.6)
    );
}
