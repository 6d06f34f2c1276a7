//! A scenario means the same thing at any step length: drivers, repeatable events and bounds
//! checked against closed forms at yearly, quarterly and monthly steps; and event conditions
//! that do not depend on the order in which events are declared.

use crate::common::{metric, one_cell, run};

const RUNS: u64 = 20_000;

#[test]
fn a_factors_effect_on_shares_does_not_depend_on_the_step() {
    // Without cell noise, a factor-driven drift moves log-odds by coefficient × the factor's
    // yearly values, which are the same draws at any step: the runs agree one by one.
    let text = |step: &str| {
        one_cell(
            &format!("start = 2020\nend = 2030\nstep = \"{step}\""),
            "[drivers.f]\ntype = \"factor\"\npersistence = 0.3\nsd = 1\n\
             [[drivers.f.effects]]\nactors = [\"a\"]\ndrift = 0.2\n\
             [metrics.odds]\nkind = \"at\"\nexpr = 'ln(share(\"t\", \"a\") / share(\"t\", \"autonomy\"))'",
        )
    };
    let (sy, yearly) = run(&text("year"), 2000, 16);
    let (sm, monthly) = run(&text("month"), 2000, 16);
    let (a, b) = (metric(&sy, &yearly, "odds"), metric(&sm, &monthly, "odds"));
    assert!(a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-9));
    // The spread is the closed form: Var(0.2 Σ f_y) over 10 yearly values of an AR(1) with
    // φ = 0.3 and unit stationary variance, started at 0:
    // Cov(f_i, f_j) = φ^|i−j| (1 − φ^(2 min(i, j))).
    let phi: f64 = 0.3;
    let mut variance = 0.0;
    for i in 1..=10i32 {
        for j in 1..=10i32 {
            variance += phi.powi((i - j).abs()) * (1.0 - phi.powi(2 * i.min(j)));
        }
    }
    let expected_sd = 0.2 * variance.sqrt();
    let (mean, _) = steppe::stats::mean_and_se(a);
    let sd = (a.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (a.len() - 1) as f64).sqrt();
    // The sample sd of 2000 normal values has a relative standard error of 1/√(2·1999) ≈ 1.6 %.
    assert!(
        (sd / expected_sd - 1.0).abs() < 4.0 * 0.0159,
        "sd {sd}, expected {expected_sd}"
    );
}

#[test]
fn repeatable_events_are_a_poisson_process_at_any_step() {
    // Hazard h per year: at least one firing in a year with probability h, so the rate is
    // λ = −ln(1 − h) and over T years the count is Poisson(λT). Each firing adds 0.1 to a's
    // log-strength and nothing else moves, so the count is read off the log-odds.
    let (h, years): (f64, f64) = (0.6, 5.0);
    let mean_count = -(1.0 - h).ln() * years;
    for step in ["year", "quarter", "month"] {
        let text = one_cell(
            &format!("start = 2020\nend = 2025\nstep = \"{step}\""),
            &format!(
                "[events.e]\nhazard = {h}\nrepeat = true\n[[events.e.effects]]\nactors = [\"a\"]\njump = 0.1\n\
                 [metrics.count]\nkind = \"at\"\nexpr = '(ln(share(\"t\", \"a\") / share(\"t\", \"autonomy\")) - ln(0.3 / 0.7)) / 0.1'"
            ),
        );
        let (scenario, outcome) = run(&text, RUNS, 17);
        let counts = metric(&scenario, &outcome, "count");
        let (mean, _) = steppe::stats::mean_and_se(counts);
        // A Poisson count's variance is its mean.
        let se = (mean_count / RUNS as f64).sqrt();
        assert!(
            (mean - mean_count).abs() < 4.0 * se,
            "{step}: mean count {mean}, expected {mean_count} ± {se}"
        );
        let none = counts.iter().filter(|c| c.abs() < 0.5).count() as f64 / RUNS as f64;
        let expected_none = (1.0 - h).powf(years);
        let tolerance = 4.0 * (expected_none * (1.0 - expected_none) / RUNS as f64).sqrt();
        assert!(
            (none - expected_none).abs() < tolerance,
            "{step}: P(no firing) {none}, expected {expected_none}"
        );
    }
}

#[test]
fn event_conditions_do_not_depend_on_declaration_order() {
    // `second` needs `first` to have fired before the step; both have hazard 1. In the first
    // step `first` had not fired yet, so `second` cannot fire then, whichever comes first.
    let first =
        "[events.first]\nhazard = 1\n[[events.first.effects]]\nactors = [\"a\"]\njump = 0.1\n";
    let second = "[events.second]\nhazard = 1\nwhen = 'fired(\"first\")'\n[[events.second.effects]]\nactors = [\"a\"]\njump = 0.1\n";
    let question = "[metrics.second_in_2021]\nkind = \"at\"\nyear = 2021\nexpr = 'fired(\"second\")'\n\
                    [metrics.second_in_2022]\nkind = \"at\"\nyear = 2022\nexpr = 'fired(\"second\")'\n";
    for events in [format!("{first}{second}"), format!("{second}{first}")] {
        let (scenario, outcome) = run(
            &one_cell("start = 2020\nend = 2022", &format!("{events}{question}")),
            50,
            1,
        );
        assert!(
            metric(&scenario, &outcome, "second_in_2021")
                .iter()
                .all(|v| *v == 0.0)
        );
        assert!(
            metric(&scenario, &outcome, "second_in_2022")
                .iter()
                .all(|v| *v == 1.0)
        );
    }
}

#[test]
fn a_first_year_of_zero_is_zero() {
    let text = one_cell(
        "start = -2\nend = 3",
        "[metrics.z]\nkind = \"first\"\nexpr = 'year >= 0'\n",
    );
    let (scenario, outcome) = run(&text, 20, 1);
    assert!(metric(&scenario, &outcome, "z").iter().all(|v| *v == 0.0));
}

#[test]
fn interacting_ceilings_and_floors_all_hold() {
    // Three actors capped at 0.3 and autonomy at 0.15 (sum 1.05: just feasible) with wild
    // noise: every cap binds often and they constrain each other.
    let text = r#"[scenario]
name = "caps"
start = 2022
end = 2032
step = "month"
[actors]
a = {}
b = {}
c = {}
[targets]
t = {}
[channels]
k = {}
[initial.t.k]
a = 0.25
b = 0.25
c = 0.25
[[dynamics]]
actors = ["a", "b", "c"]
volatility = 2
ceiling = 0.3
[[dynamics]]
actors = ["autonomy"]
volatility = 2
ceiling = 0.15
floor = 0.1
[metrics.highest]
kind = "max"
expr = 'max(share("t", "a"), share("t", "b"), share("t", "c"))'
[metrics.autonomy_high]
kind = "max"
expr = 'share("t", "autonomy")'
[metrics.autonomy_low]
kind = "min"
expr = 'share("t", "autonomy")'"#;
    let (scenario, outcome) = run(text, 2000, 8);
    let highest = metric(&scenario, &outcome, "highest");
    assert!(highest.iter().all(|v| *v <= 0.3 + 1e-12));
    assert!(
        metric(&scenario, &outcome, "autonomy_high")
            .iter()
            .all(|v| *v <= 0.15 + 1e-12)
    );
    assert!(
        metric(&scenario, &outcome, "autonomy_low")
            .iter()
            .all(|v| *v >= 0.1 - 1e-12)
    );
    // The caps did bind: most runs reach 0.3 somewhere.
    assert!(highest.iter().filter(|v| **v > 0.3 - 1e-9).count() > 1900);
}
