//! Shocks an actor shares across channels and targets (`common = { target, region }` in
//! `[[dynamics]]`), against the closed form of the variance they add, at every step length.

use crate::common::{load, metric, run};
use steppe::sensitivity::{Output, sobol};

/// Actor x in two targets p and q (weights 1/2 each), three channels of weights .5/.3/.2,
/// x at 0.3 and y at 0.2 in every cell at the start, autonomy 0.5; autonomy does not move,
/// y only in one cell (noise of its own). `rule` is the `[[dynamics]]` rule for x. With
/// autonomy's strength fixed, `ln(s_x / s_autonomy) − ln(0.3/0.5)` is exactly the change of
/// x's log-strength in a cell, whatever y does, so `moved_T` is the channel-weighted change
/// in target T after one year.
fn two_targets(step: &str, rule: &str) -> String {
    let moved = |t: &str| {
        [("c1", 0.5), ("c2", 0.3), ("c3", 0.2)]
            .iter()
            .map(|(c, w)| {
                format!(
                    "{w} * (ln(share(\"{t}\", \"x\", \"{c}\") / share(\"{t}\", \"autonomy\", \"{c}\")) - ln(0.3 / 0.5))"
                )
            })
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let initial: String = ["p", "q"]
        .iter()
        .flat_map(|t| {
            ["c1", "c2", "c3"]
                .iter()
                .map(move |c| format!("[initial.{t}.{c}]\nx = 0.3\ny = 0.2\n"))
        })
        .collect();
    format!(
        r#"[scenario]
name = "shared"
start = 2020
end = 2021
step = "{step}"
[actors]
x = {{}}
y = {{}}
[targets]
p = {{ weight = 0.5 }}
q = {{ weight = 0.5 }}
[channels]
c1 = {{ weight = 0.5 }}
c2 = {{ weight = 0.3 }}
c3 = {{ weight = 0.2 }}
{initial}
[[dynamics]]
actors = ["x"]
{rule}
[[dynamics]]
actors = ["y"]
targets = ["p"]
channels = ["c1"]
volatility = 0.2
[metrics.moved_p]
kind = "at"
year = 2021
expr = '{p}'
[metrics.moved_q]
kind = "at"
year = 2021
expr = '{q}'
[metrics.y]
kind = "at"
year = 2021
expr = 'ln(share("p", "y", "c1") / share("p", "autonomy", "c1"))'
"#,
        p = moved("p"),
        q = moved("q"),
    )
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn variance(v: &[f64]) -> f64 {
    let m = mean(v);
    v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64
}

/// `value` within 4 standard errors of a sample variance of n normal values around `truth`
/// (the standard error of a variance is σ²·√(2/(n − 1))).
fn assert_variance(what: &str, value: f64, truth: f64, n: usize) {
    let se = truth * (2.0 / (n - 1) as f64).sqrt();
    assert!(
        (value - truth).abs() < 4.0 * se,
        "{what}: {value} is more than 4 s.e. ({se}) from {truth}"
    );
}

#[test]
fn a_shared_shock_adds_its_variance_to_the_composite_at_every_step_length() {
    // Per cell σ = 0.1, shared in the target 0.08, across the region 0.05. One year on, the
    // weighted change of x in one target has variance σ²·Σw² + σ_T² + σ_R² = 0.01·0.38 +
    // 0.0064 + 0.0025 = 0.0127; its covariance with the other target's is σ_R² = 0.0025, so
    // Var(p − q) = 2·(0.0038 + 0.0064) and Var(p + q) = 2·0.0127 + 2·0.0025 — at one step a
    // year, four or twelve.
    let rule = "volatility = 0.1\ncommon = { target = 0.08, region = 0.05 }";
    let n = 20_000;
    for step in ["year", "quarter", "month"] {
        let (s, outcome) = run(&two_targets(step, rule), n as u64, 3);
        let (p, q) = (
            metric(&s, &outcome, "moved_p"),
            metric(&s, &outcome, "moved_q"),
        );
        assert!(mean(p).abs() < 4.0 * (0.0127f64 / n as f64).sqrt());
        assert_variance(&format!("{step}: Var p"), variance(p), 0.0127, n);
        assert_variance(&format!("{step}: Var q"), variance(q), 0.0127, n);
        let difference: Vec<f64> = p.iter().zip(q).map(|(a, b)| a - b).collect();
        let sum: Vec<f64> = p.iter().zip(q).map(|(a, b)| a + b).collect();
        assert_variance(
            &format!("{step}: Var(p − q)"),
            variance(&difference),
            2.0 * (0.0038 + 0.0064),
            n,
        );
        assert_variance(
            &format!("{step}: Var(p + q)"),
            variance(&sum),
            2.0 * 0.0127 + 2.0 * 0.0025,
            n,
        );
    }
    // Without the shared shocks only the cells' own part is left: 0.0038 per target, and the
    // targets are independent.
    let (s, outcome) = run(&two_targets("year", "volatility = 0.1"), n as u64, 3);
    assert_variance(
        "no shared shock",
        variance(metric(&s, &outcome, "moved_p")),
        0.0038,
        n,
    );
}

#[test]
fn a_shared_shock_reaches_only_the_cells_its_rule_selects_and_leaves_other_streams_alone() {
    // Shared across c1 and c2 only: c3 keeps its own noise, and the shock's variance enters
    // the weighted change as (w1 + w2)²·σ_T² = 0.64·0.0064.
    let rule = "volatility = 0.1\n[[dynamics]]\nactors = [\"x\"]\nchannels = [\"c1\", \"c2\"]\ncommon = { target = 0.08 }";
    let n = 20_000;
    let (s, outcome) = run(&two_targets("year", rule), n as u64, 5);
    assert_variance(
        "c1 and c2",
        variance(metric(&s, &outcome, "moved_p")),
        0.0038 + 0.64 * 0.0064,
        n,
    );
    // y's noise is its own stream: adding x's shared shocks changes none of its log-strengths.
    let (s_plain, plain) = run(&two_targets("year", "volatility = 0.1"), n as u64, 5);
    let (with, without) = (metric(&s, &outcome, "y"), metric(&s_plain, &plain, "y"));
    let moved = with
        .iter()
        .zip(without)
        .filter(|(a, b)| (*a - *b).abs() > 1e-12)
        .count();
    assert_eq!(moved, 0, "{moved} of {n} runs of y moved");
}

#[test]
fn the_shared_shocks_are_a_source_of_chance_of_their_own() {
    // One channel: a cell's own noise (σ = 0.1) and the shock it shares in its target (0.1)
    // add equal variances to its log-strength, so each explains half of the change — and the
    // change is linear in both, so first-order and total indices agree.
    let text = r#"[scenario]
name = "t"
start = 2020
end = 2021
[actors]
a = {}
[targets]
t = {}
[channels]
c = {}
[initial.t.c]
a = 0.3
[[dynamics]]
actors = ["a"]
volatility = 0.1
common = { target = 0.1 }
[metrics.y]
kind = "at"
expr = 'ln(share("t", "a") / (1 - share("t", "a")))'
"#;
    let s = load(&text.replace(
        "[metrics.y]",
        "[params]\nx = \"uniform(0, 1)\"\n[metrics.y]",
    ));
    assert_eq!(
        steppe::engine::chance_sources(&s),
        ["noise", "shared shocks"]
    );
    let r = &sobol(&s, &Output::Metric(0), 1 << 12, 11, 200).unwrap()[0];
    for source in ["noise", "shared shocks"] {
        let i = r.inputs.iter().find(|i| i.input == source).unwrap();
        for (what, value, low, high) in [
            ("first", i.first, i.first_low, i.first_high),
            ("total", i.total, i.total_low, i.total_high),
        ] {
            let se = (high - low) / (2.0 * 1.96);
            assert!(
                (value - 0.5).abs() < 4.0 * se.max(1e-3),
                "{source} {what}: {value} [{low}, {high}]"
            );
        }
    }
}

#[test]
fn common_needs_a_target_or_a_region_and_is_bounded_like_a_volatility() {
    for (rule, message) in [
        ("common = {}", "common sets neither target nor region"),
        (
            "common = { target = -0.1 }",
            "must be within [0, 50] per √year",
        ),
        ("common = { regions = 0.1 }", "regions"),
    ] {
        let text = two_targets("year", rule);
        let error = steppe::scenario::load("bad.toml", &text)
            .err()
            .unwrap_or_else(|| panic!("{rule} was accepted"))
            .to_string();
        assert!(error.contains(message), "{rule}: {error}");
        assert!(error.contains("bad.toml:"), "{rule}: unlocated: {error}");
    }
}
