//! `start(x)`: the value of an expression at the run's first point, in the same run — against
//! the closed form from the file's numbers, against the drawn start where the initial shares
//! or weights are uncertain, and in an event's condition.

use crate::common::{load, metric, run};

/// Two targets (weights 0.6 and 0.4) of two channels (weights 2 and `c2_weight`), Russia and
/// China in every cell, Russia drifting down with noise; `cells` is appended after each
/// `[initial.T.C]` table's shares, `extra` at the end.
fn region_of_two(c2_weight: &str, cells: &str, extra: &str) -> String {
    format!(
        r#"[scenario]
name = "start"
start = 2022
end = 2030
[actors]
russia = {{}}
china = {{}}
[targets]
kz = {{ weight = 0.6 }}
uz = {{ weight = 0.4 }}
[channels]
security = {{ weight = 2 }}
economy = {{ weight = {c2_weight} }}
[initial.kz.security]
russia = 0.5
china = 0.1
{cells}
[initial.kz.economy]
russia = 0.3
china = 0.3
{cells}
[initial.uz.security]
russia = 0.4
china = 0.2
{cells}
[initial.uz.economy]
russia = 0.2
china = 0.4
{cells}
[[dynamics]]
actors = ["russia"]
drift = -0.05
volatility = 0.1
[metrics.start_region]
kind = "at"
expr = 'start(region("russia"))'
[metrics.end_region]
kind = "at"
expr = 'region("russia")'
{extra}
"#
    )
}

/// Russia's regional share from the file's numbers: Σ_t w_t Σ_c w_c share, with the security
/// channel weighing 2 against `economy` in each target.
fn closed_form_region(economy: f64) -> f64 {
    let (security, economy) = (2.0 / (2.0 + economy), economy / (2.0 + economy));
    0.6 * (security * 0.5 + economy * 0.3) + 0.4 * (security * 0.4 + economy * 0.2)
}

fn sd(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

#[test]
fn start_of_the_region_at_the_last_year_is_the_weighted_initial_share_in_every_run() {
    let (s, outcome) = run(&region_of_two("1", "", ""), 500, 1);
    // 0.6 · (2/3 · 0.5 + 1/3 · 0.3) + 0.4 · (2/3 · 0.4 + 1/3 · 0.2) = 0.26 + 0.4/3 = 59/150.
    let expected = closed_form_region(1.0);
    assert!((expected - 59.0 / 150.0).abs() < 1e-15, "{expected}");
    let starts = metric(&s, &outcome, "start_region");
    for &v in starts {
        assert!((v - expected).abs() < 1e-12, "{v} against {expected}");
    }
    // Read at the last year, yet not the last year's value: that one has moved.
    let end = metric(&s, &outcome, "end_region");
    assert!(sd(end) > 0.01, "sd {}", sd(end));
    assert!(end.iter().all(|e| (e - expected).abs() > 1e-9));
    // One start expression, however often it is written.
    assert_eq!(s.starts.len(), 1);
}

#[test]
fn start_follows_a_channel_weight_drawn_in_each_run() {
    let (s, outcome) = run(&region_of_two("\"uniform(0.5, 3)\"", "", ""), 500, 2);
    let w = s
        .params
        .iter()
        .position(|p| p.name == "channels.economy.weight")
        .expect("the weight is an inline parameter");
    let starts = metric(&s, &outcome, "start_region");
    for (&v, &economy) in starts.iter().zip(&outcome.params[w]) {
        let expected = closed_form_region(economy);
        assert!((v - expected).abs() < 1e-12, "{v} against {expected}");
    }
    assert!(sd(starts) > 0.005, "sd {}", sd(starts));
}

#[test]
fn with_dirichlet_initial_cells_start_is_the_drawn_start_of_the_same_run() {
    let extra = r#"[metrics.gap_at_start]
kind = "at"
year = 2022
expr = 'region("russia") - start(region("russia"))'
[metrics.region_at_start]
kind = "at"
year = 2022
expr = 'region("russia")'
[metrics.kz_gap_at_start]
kind = "at"
year = 2022
expr = 'share("kz", "china", "economy") - start(share("kz", "china", "economy"))'
"#;
    let (s, outcome) = run(&region_of_two("1", "concentration = 40", extra), 2_000, 3);
    for &gap in
        metric(&s, &outcome, "gap_at_start")
            .iter()
            .chain(metric(&s, &outcome, "kz_gap_at_start"))
    {
        assert_eq!(gap, 0.0);
    }
    // Read at the last year, start(...) is still the first point's value of this run.
    let starts = metric(&s, &outcome, "start_region");
    assert_eq!(starts, metric(&s, &outcome, "region_at_start"));
    // It varies between runs (drawn cells), around the written means' 59/150: each cell's sd
    // is about √(m(1 − m)/41) ≈ 0.07, the region's less, as the cells are independent.
    let spread = sd(starts);
    assert!(spread > 0.01, "sd {spread}");
    let mean = starts.iter().sum::<f64>() / starts.len() as f64;
    assert!(
        (mean - 59.0 / 150.0).abs() < 4.0 * spread / 2_000f64.sqrt(),
        "{mean}"
    );
    assert_eq!(s.starts.len(), 2);
}

#[test]
fn an_event_waits_for_the_share_to_fall_a_tenth_below_its_drawn_start() {
    // a starts at s0 ~ uniform(0.2, 0.4) against autonomy 1 − s0 and drifts down 0.05 a
    // year: after k years its share is s_k = s0·e^(−0.05k) / (s0·e^(−0.05k) + 1 − s0). The
    // event (hazard 1) fires at the first step whose starting state has s_k < 0.9·s0, i.e.
    // in year 2020 + k* + 1, and its drift of +0.05 stops the fall there: the end share is
    // s_k*.
    let text = crate::common::one_cell(
        "start = 2020\nend = 2032",
        r#"[[dynamics]]
actors = ["a"]
drift = -0.05
[events.e]
hazard = 1
when = 'share("t", "a", "c") < 0.9 * start(share("t", "a", "c"))'
[[events.e.effects]]
actors = ["a"]
drift = 0.05
[metrics.fired]
kind = "first"
expr = 'fired("e")'
[metrics.below]
kind = "first"
expr = 'share("t", "a", "c") < 0.9 * start(share("t", "a", "c"))'
[metrics.end]
kind = "at"
expr = 'share("t", "a", "c")'
"#,
    )
    .replace("a = 0.3", "a = \"uniform(0.2, 0.4)\"");
    let (s, outcome) = run(&text, 1_000, 4);
    let p = s
        .params
        .iter()
        .position(|p| p.name == "initial.t.c.a")
        .expect("the share is an inline parameter");
    let share = |s0: f64, k: i32| {
        let e = s0 * (-0.05 * f64::from(k)).exp();
        e / (e + 1.0 - s0)
    };
    let (fired, below, end) = (
        metric(&s, &outcome, "fired"),
        metric(&s, &outcome, "below"),
        metric(&s, &outcome, "end"),
    );
    let mut years = Vec::new();
    for (run, &s0) in outcome.params[p].iter().enumerate() {
        let k = (0..).find(|&k| share(s0, k) < 0.9 * s0).unwrap();
        // A draw whose share falls within rounding of the threshold says nothing.
        if (share(s0, k) - 0.9 * s0).abs() < 1e-9 || (share(s0, k - 1) - 0.9 * s0).abs() < 1e-9 {
            continue;
        }
        assert_eq!(below[run], f64::from(2020 + k), "run {run}, s0 {s0}");
        assert_eq!(fired[run], f64::from(2020 + k + 1), "run {run}, s0 {s0}");
        let expected = share(s0, k);
        assert!(
            (end[run] - expected).abs() < 1e-12,
            "run {run}: {} against {expected}",
            end[run]
        );
        years.push(k);
    }
    assert!(years.len() > 990, "{} runs checked", years.len());
    // s0 = 0.2 needs 3 years, s0 = 0.4 needs 4: both occur.
    years.sort_unstable();
    years.dedup();
    assert_eq!(years, [3, 4]);
}

#[test]
fn start_with_no_argument_or_two_is_refused_where_it_is_written() {
    let problems = |expr: &str| {
        let text = crate::common::one_cell(
            "start = 2020\nend = 2025",
            &format!("[metrics.m]\nkind = \"at\"\nexpr = '{expr}'\n"),
        );
        steppe::scenario::load("test.toml", &text)
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    // The metric's expr is on line 17, its text from column 9.
    let none = problems("start()");
    assert!(
        none.contains("test.toml:17:9: start(x) takes 1 argument, got 0"),
        "{none}"
    );
    let two = problems("1 + start(1, 2)");
    assert!(
        two.contains("test.toml:17:13: start(x) takes 1 argument, got 2"),
        "{two}"
    );
    let nested = problems("start(start(year))");
    assert!(
        nested.contains("test.toml:17:15: start(...) inside start(...)"),
        "{nested}"
    );
    let regime = problems("start(\"a\")");
    assert!(
        regime.contains("test.toml:17:15: start(x) needs a number or a condition, found a string"),
        "{regime}"
    );
    // A number computed from parameters is fixed before the run starts.
    let text = crate::common::one_cell(
        "start = 2020\nend = 2025",
        "[params]\nx = 'start(2)'\n[metrics.m]\nkind = \"at\"\nexpr = 'param(\"x\")'\n",
    );
    let derived = steppe::scenario::load("test.toml", &text)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(derived.contains("cannot read `start`"), "{derived}");
    // Written well, it loads.
    load(&crate::common::one_cell(
        "start = 2020\nend = 2025",
        "[metrics.m]\nkind = \"at\"\nexpr = 'start(share(\"t\", \"a\"))'\n",
    ));
}
