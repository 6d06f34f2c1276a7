//! The metric kinds `always`, `duration` and `count`, against closed forms and at every step
//! length.

use crate::common::{load, metric, one_cell, run};

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn variance(v: &[f64]) -> f64 {
    let m = mean(v);
    v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64
}

/// The problems of a one-cell scenario with `extra`, which must be refused with `message`, at
/// a place in the file.
fn refusal(base: &str, extra: &str, message: &str) -> String {
    let error = steppe::scenario::load("bad.toml", &one_cell(base, extra))
        .err()
        .unwrap_or_else(|| panic!("accepted: {extra}"))
        .to_string();
    assert!(error.contains(message), "{extra}: {error}");
    assert!(error.contains("bad.toml:"), "{extra}: {error}");
    error
}

#[test]
fn duration_of_a_deterministic_fall_counts_the_grid_points_past_the_crossing() {
    // a starts at 0.3 against autonomy's 0.7 and loses 0.1 a year in log-strength, nothing
    // else moves: its share falls below 0.2 at t* = ln(0.24/0.14)/0.1 ≈ 5.39 years. Over ten years
    // a step of length dt counts dt for each grid point t = k·dt ≥ t* up to 10: 5 years at
    // yearly steps, 19 quarters, 56 months.
    let t_star = (0.24f64 / 0.14).ln() / 0.1;
    for (step, per_year) in [("year", 1.0), ("quarter", 4.0), ("month", 12.0)] {
        let text = one_cell(
            &format!("start = 2020\nend = 2030\nstep = \"{step}\""),
            "[[dynamics]]\nactors = [\"a\"]\ndrift = -0.1\n\
             [metrics.below]\nkind = \"duration\"\nexpr = 'share(\"t\", \"a\") < 0.2'\n",
        );
        let (s, outcome) = run(&text, 3, 1);
        let first = (t_star * per_year).ceil();
        let expected = (10.0 * per_year - first + 1.0) / per_year;
        for v in metric(&s, &outcome, "below") {
            assert!(
                (v - expected).abs() < 1e-9,
                "{step}: {v} against {expected}"
            );
        }
    }
}

#[test]
fn duration_of_a_coin_flipping_regime_is_binomial_at_every_step_length() {
    // The war is hot in each year with probability 1/2 whatever came before, and holds for the
    // year: over 13 years the years it is hot are Binomial(13, 1/2) — mean 6.5, variance 3.25
    // — at one, four or twelve steps a year.
    let n = 20_000;
    for step in ["year", "quarter", "month"] {
        let text = one_cell(
            &format!("start = 2020\nend = 2033\nstep = \"{step}\""),
            "[drivers.war]\ntype = \"regime\"\nstates = [\"calm\", \"hot\"]\ninitial = \"calm\"\n\
             [drivers.war.transitions]\ncalm = { calm = 0.5, hot = 0.5 }\nhot = { calm = 0.5, hot = 0.5 }\n\
             [metrics.hot_years]\nkind = \"duration\"\nexpr = 'regime(\"war\") == \"hot\"'\n",
        );
        let (s, outcome) = run(&text, n, 2);
        let years = metric(&s, &outcome, "hot_years");
        let se = (3.25 / n as f64).sqrt();
        assert!(
            (mean(years) - 6.5).abs() < 4.0 * se,
            "{step}: {}",
            mean(years)
        );
        let var_se = 3.25 * (2.0 / n as f64).sqrt();
        assert!(
            (variance(years) - 3.25).abs() < 5.0 * var_se,
            "{step}: {}",
            variance(years)
        );
    }
}

#[test]
fn always_is_one_minus_ever_of_the_negation_in_every_run() {
    let text = one_cell(
        "start = 2020\nend = 2030\nstep = \"quarter\"",
        "[[dynamics]]\nactors = [\"a\"]\nvolatility = 0.3\n\
         [metrics.stays]\nkind = \"always\"\nexpr = 'share(\"t\", \"a\") > 0.2'\n\
         [metrics.dips]\nkind = \"ever\"\nexpr = 'share(\"t\", \"a\") <= 0.2'\n",
    );
    let (s, outcome) = run(&text, 5_000, 3);
    let (stays, dips) = (metric(&s, &outcome, "stays"), metric(&s, &outcome, "dips"));
    assert!(stays.iter().zip(dips).all(|(a, b)| *a == 1.0 - *b));
    // Both outcomes occur, so the test can tell them apart.
    let p = mean(stays);
    assert!(p > 0.05 && p < 0.95, "{p}");
    // The summary reads it as a probability.
    assert!(s.metrics[0].kind.is_probability());
}

#[test]
fn count_of_a_repeatable_event_is_poisson_and_of_a_once_only_event_is_ever() {
    // Hazard h = 0.3 a year: a Poisson process of rate −ln(0.7) a year, so over 10 years the
    // count has mean and variance 10·(−ln 0.7) = 3.567, at any step length.
    let rate = 10.0 * -(0.7f64).ln();
    let n = 20_000;
    for step in ["year", "month"] {
        let text = one_cell(
            &format!("start = 2020\nend = 2030\nstep = \"{step}\""),
            "[events.e]\nhazard = 0.3\nrepeat = true\n[[events.e.effects]]\nactors = [\"a\"]\njump = 0.01\n\
             [events.once]\nhazard = 0.3\n[[events.once.effects]]\nactors = [\"a\"]\njump = 0.01\n\
             [metrics.firings]\nkind = \"count\"\nevent = \"e\"\n\
             [metrics.once_count]\nkind = \"count\"\nevent = \"once\"\n\
             [metrics.once_ever]\nkind = \"ever\"\nexpr = 'fired(\"once\")'\n",
        );
        let (s, outcome) = run(&text, n, 4);
        let firings = metric(&s, &outcome, "firings");
        let se = (rate / n as f64).sqrt();
        assert!(
            (mean(firings) - rate).abs() < 4.0 * se,
            "{step}: {}",
            mean(firings)
        );
        assert!(
            (variance(firings) - rate).abs() < 0.1 * rate,
            "{step}: {}",
            variance(firings)
        );
        assert_eq!(
            metric(&s, &outcome, "once_count"),
            metric(&s, &outcome, "once_ever"),
            "{step}"
        );
    }
}

#[test]
fn the_new_kinds_refuse_what_does_not_fit_where_it_is_written() {
    let base = "start = 2020\nend = 2030";
    for (extra, message) in [
        (
            "[metrics.q]\nkind = \"count\"\n",
            "metric `q` of kind \"count\" has no `event`",
        ),
        (
            "[events.e]\nhazard = 0.1\n[[events.e.effects]]\nactors = [\"a\"]\njump = 0.1\n[metrics.q]\nkind = \"count\"\nevent = \"f\"\n",
            "there is no event `f`",
        ),
        (
            "[events.e]\nhazard = 0.1\n[[events.e.effects]]\nactors = [\"a\"]\njump = 0.1\n[metrics.q]\nkind = \"count\"\nevent = \"e\"\nexpr = 'fired(\"e\")'\n",
            "a metric of kind \"count\" takes no `expr`",
        ),
        (
            "[metrics.q]\nkind = \"duration\"\nexpr = 'share(\"t\", \"a\")'\n",
            "a metric of kind \"duration\" needs a condition, but this is a number",
        ),
        (
            "[events.e]\nhazard = 0.1\n[[events.e.effects]]\nactors = [\"a\"]\njump = 0.1\n[metrics.q]\nkind = \"ever\"\nevent = \"e\"\nexpr = 'fired(\"e\")'\n",
            "`event` is only for metrics of kind \"count\"",
        ),
        (
            "[metrics.q]\nkind = \"alway\"\nexpr = 'true'\n",
            "did you mean `always`",
        ),
    ] {
        refusal(base, extra, message);
    }
    // And a good one loads.
    load(&one_cell(
        base,
        "[metrics.q]\nkind = \"always\"\nexpr = 'share(\"t\", \"a\") > 0.1'\n",
    ));
}

#[test]
fn fired_year_follows_the_geometric_first_year_law_at_every_step_length() {
    // Hazard 0.2 a year from 2021: the event first fires in year 2020 + k (its step ending in
    // (2020 + k − 1, 2020 + k]) with probability 0.8^(k−1)·0.2; never by 2030 with 0.8^10.
    let n = 20_000;
    for (step, per_year) in [("year", 1.0), ("month", 12.0)] {
        let text = one_cell(
            &format!("start = 2020\nend = 2030\nstep = \"{step}\""),
            "[events.e]\nhazard = 0.2\n[[events.e.effects]]\nactors = [\"a\"]\njump = 0.1\n\
             [metrics.when]\nkind = \"at\"\nexpr = 'fired_year(\"e\")'\n\
             [metrics.within_two]\nkind = \"at\"\nexpr = 'year - fired_year(\"e\") < 1.5'\n",
        );
        let (s, outcome) = run(&text, n, 5);
        let when = metric(&s, &outcome, "when");
        for k in 1..=10 {
            let p = 0.8f64.powi(k - 1) * 0.2;
            let hi = 2020.0 + f64::from(k);
            let got = when.iter().filter(|y| **y > hi - 1.0 && **y <= hi).count() as f64 / n as f64;
            let se = (p * (1.0 - p) / n as f64).sqrt();
            assert!(
                (got - p).abs() < 4.0 * se,
                "{step}, year {hi}: {got} against {p}"
            );
        }
        // Steps fall on the grid: a firing time is a multiple of the step.
        assert!(
            when.iter()
                .filter(|y| !y.is_nan())
                .all(
                    |y| ((y - 2020.0) * per_year - ((y - 2020.0) * per_year).round()).abs() < 1e-9
                )
        );
        let never = when.iter().filter(|y| y.is_nan()).count() as f64 / n as f64;
        let p_never = 0.8f64.powi(10);
        assert!((never - p_never).abs() < 4.0 * (p_never * (1.0 - p_never) / n as f64).sqrt());
        // "Never" compares false: within 1.5 years of a firing that never came is false.
        let within = metric(&s, &outcome, "within_two");
        let p_within = within.iter().sum::<f64>() / n as f64;
        // Fired after 2028.5: the first year's steps end in (2020, 2021], so 8.5 years of
        // exposure come first at monthly steps and 8 whole years at yearly ones.
        let truth = if per_year == 1.0 {
            0.8f64.powi(8) * (1.0 - 0.8f64.powi(2))
        } else {
            0.8f64.powf(8.5) * (1.0 - 0.8f64.powf(1.5))
        };
        assert!((p_within - truth).abs() < 4.0 * (truth * (1.0 - truth) / n as f64).sqrt());
    }
}

/// a at 0.3 against autonomy's 0.7, drifting by −0.1 a year with nothing else moving: its
/// share at time t (years after the start) in closed form.
fn falling_share(t: f64) -> f64 {
    let a = 0.3 * (-0.1 * t).exp();
    a / (a + 0.7)
}

#[test]
fn windows_and_lags_of_a_deterministic_series_are_their_closed_forms_on_the_grid() {
    // At 2030 (t = 10): lag 2 years is the share at t = 8; the mean over 3 years is the mean
    // of the grid points in (7, 10]; min and max over them are the ends (the share falls);
    // `year` over 3 years has mean 2030 − 1.5 + dt/2. A window needs its points after the
    // start: lag(·, 3) in 2022 (t = 2) is NaN, and so is a 3-year mean in 2021 (2 of its 3
    // yearly points).
    for (step, per_year) in [("year", 1usize), ("quarter", 4), ("month", 12)] {
        let text = one_cell(
            &format!("start = 2020\nend = 2030\nstep = \"{step}\""),
            "[[dynamics]]\nactors = [\"a\"]\ndrift = -0.1\n\
             [metrics.lagged]\nkind = \"at\"\nexpr = 'lag(share(\"t\", \"a\"), 2)'\n\
             [metrics.mean3]\nkind = \"at\"\nexpr = 'mean_over(share(\"t\", \"a\"), 3)'\n\
             [metrics.min3]\nkind = \"at\"\nexpr = 'min_over(share(\"t\", \"a\"), 3)'\n\
             [metrics.max3]\nkind = \"at\"\nexpr = 'max_over(share(\"t\", \"a\"), 3)'\n\
             [metrics.year3]\nkind = \"at\"\nexpr = 'mean_over(year, 3)'\n\
             [metrics.early_lag]\nkind = \"at\"\nyear = 2022\nexpr = 'lag(share(\"t\", \"a\"), 3)'\n\
             [metrics.early_mean]\nkind = \"at\"\nyear = 2021\nexpr = 'mean_over(share(\"t\", \"a\"), 3)'\n",
        );
        let (s, outcome) = run(&text, 2, 1);
        let dt = 1.0 / per_year as f64;
        let points: Vec<f64> = (0..3 * per_year).map(|j| 10.0 - j as f64 * dt).collect();
        let mean = points.iter().map(|t| falling_share(*t)).sum::<f64>() / points.len() as f64;
        let checks = [
            ("lagged", falling_share(8.0)),
            ("mean3", mean),
            ("min3", falling_share(10.0)),
            ("max3", falling_share(10.0 - 3.0 + dt)),
            ("year3", 2030.0 - 1.5 + dt / 2.0),
        ];
        for (name, truth) in checks {
            let got = metric(&s, &outcome, name)[0];
            assert!(
                (got - truth).abs() < 1e-9,
                "{step} {name}: {got} against {truth}"
            );
        }
        let early = metric(&s, &outcome, "early_lag")[0];
        assert!(early.is_nan(), "{step}: {early}");
        assert!(metric(&s, &outcome, "early_mean")[0].is_nan(), "{step}");
    }
}

#[test]
fn a_window_off_the_step_grid_or_without_plain_years_is_refused_where_written() {
    for (step, expr, message) in [
        (
            "year",
            "lag(share(\"t\", \"a\"), 0.5)",
            "0.5 years is not a whole number of steps (at least one) at 1 a year",
        ),
        (
            "quarter",
            "mean_over(share(\"t\", \"a\"), 0.1)",
            "0.1 years is not a whole number of steps (at least one) at 4 a year",
        ),
        (
            "year",
            "lag(share(\"t\", \"a\"))",
            "lag(x, years) takes 2 arguments, got 1",
        ),
        (
            "year",
            "max_over(share(\"t\", \"a\"), param(\"n\"))",
            "the years of max_over(x, years) must be a plain number",
        ),
        (
            "year",
            "start(lag(share(\"t\", \"a\"), 1))",
            "lag(...) inside start(...) or another window",
        ),
    ] {
        let text = one_cell(
            &format!("start = 2020\nend = 2030\nstep = \"{step}\""),
            &format!("[params]\nn = 2\n[metrics.q]\nkind = \"at\"\nexpr = '{expr}'\n"),
        );
        let error = steppe::scenario::load("bad.toml", &text)
            .err()
            .unwrap_or_else(|| panic!("accepted: {expr}"))
            .to_string();
        assert!(error.contains(message), "{expr}: {error}");
        assert!(error.contains("bad.toml:"), "{expr}: {error}");
    }
}

#[test]
fn leader_follows_the_chance_an_event_has_fired_and_its_categories_sum_to_one() {
    // a holds 0.3 against autonomy's 0.7 until an event of hazard 0.2 a year multiplies its
    // strength by e³ (a then holds 0.9): a leads in 2030 exactly when the event has fired by
    // then, with probability 1 − 0.8^10, at yearly and monthly steps. Listed autonomy first.
    let n = 20_000;
    let p = 1.0 - 0.8f64.powi(10);
    for step in ["year", "month"] {
        let text = one_cell(
            &format!("start = 2020\nend = 2030\nstep = \"{step}\""),
            "[events.e]\nhazard = 0.2\n[[events.e.effects]]\nactors = [\"a\"]\njump = 3.0\n\
             [metrics.lead]\nkind = \"leader\"\nyear = 2030\namong = [\"autonomy\", \"a\"]\nexpr = 'share(\"t\", actor)'\n\
             [metrics.fired]\nkind = \"at\"\nyear = 2030\nexpr = 'fired(\"e\")'\n",
        );
        let (s, outcome) = run(&text, n, 11);
        let (a, autonomy) = (
            metric(&s, &outcome, "lead.a"),
            metric(&s, &outcome, "lead.autonomy"),
        );
        assert_eq!(a, metric(&s, &outcome, "fired"), "{step}");
        assert!(a.iter().zip(autonomy).all(|(x, y)| x + y == 1.0), "{step}");
        let summary = steppe::summary::summarize(&s, "t.toml", &outcome);
        let lead = summary.metrics.iter().find(|m| m.name == "lead").unwrap();
        assert_eq!((lead.kind, lead.year), ("leader", Some(2030)));
        let steppe::summary::MetricResult::Categorical {
            categories,
            undefined,
        } = &lead.result
        else {
            panic!("{:?}", lead.result)
        };
        let names: Vec<&str> = categories.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["autonomy", "a"]);
        let se = (p * (1.0 - p) / n as f64).sqrt();
        assert!(
            (categories[1].probability - p).abs() < 4.0 * se,
            "{step}: {}",
            categories[1].probability
        );
        assert!((categories[1].se - se).abs() < 0.05 * se);
        assert!((categories[0].probability + categories[1].probability - 1.0).abs() < 1e-12);
        assert_eq!(*undefined, 0.0);
    }
}

#[test]
fn a_leader_with_a_value_that_is_not_a_number_counts_the_run_as_led_by_none() {
    // Until the event fires the compared value is ln(−1), not a number: those runs (0.8^10 of
    // them by 2030) have no leader; after it, a leads.
    let n = 20_000;
    let never = 0.8f64.powi(10);
    let text = one_cell(
        "start = 2020\nend = 2030",
        "[events.e]\nhazard = 0.2\n[[events.e.effects]]\nactors = [\"a\"]\njump = 3.0\n\
         [metrics.lead]\nkind = \"leader\"\nexpr = 'if(fired(\"e\"), share(\"t\", actor), ln(0 - 1))'\n",
    );
    let (s, outcome) = run(&text, n, 12);
    let summary = steppe::summary::summarize(&s, "t.toml", &outcome);
    let steppe::summary::MetricResult::Categorical {
        categories,
        undefined,
    } = &summary.metrics[0].result
    else {
        panic!("{:?}", summary.metrics[0].result)
    };
    let se = (never * (1.0 - never) / n as f64).sqrt();
    assert!((undefined - never).abs() < 4.0 * se, "{undefined}");
    assert!((categories[0].probability + undefined - 1.0).abs() < 1e-12);
    assert_eq!(categories[1].probability, 0.0);
}

#[test]
fn leader_mistakes_are_refused_where_written() {
    let base = "start = 2020\nend = 2030";
    for (extra, message) in [
        (
            "[metrics.q]\nkind = \"leader\"\nexpr = 'share(\"t\", \"a\")'\n",
            "does not name `actor`",
        ),
        (
            "[metrics.q]\nkind = \"leader\"\namong = [\"a\", \"b\"]\nexpr = 'share(\"t\", actor)'\n",
            "unknown actor `b`",
        ),
        (
            "[metrics.q]\nkind = \"leader\"\namong = [\"a\"]\nexpr = 'share(\"t\", actor)'\n",
            "at least two categories",
        ),
        (
            "[metrics.q]\nkind = \"leader\"\namong = [\"a\", \"a\"]\nexpr = 'share(\"t\", actor)'\n",
            "`a` is listed twice",
        ),
        (
            "[metrics.q]\nkind = \"leader\"\nexpr = 'share(\"t\", actor) > 0.5'\n",
            "compares numbers, but this is a condition",
        ),
        (
            "[metrics.q]\nkind = \"leader\"\nyear = 2040\nexpr = 'share(\"t\", actor)'\n",
            "year 2040 is outside the scenario's years 2020–2030",
        ),
        (
            "[metrics.q]\nkind = \"at\"\namong = [\"a\", \"autonomy\"]\nexpr = 'share(\"t\", \"a\")'\n",
            "`among` is only for metrics of kind \"leader\"",
        ),
        (
            "[metrics.q]\nkind = \"at\"\nexpr = 'share(\"t\", actor)'\n",
            "only in a metric of kind \"leader\"",
        ),
        (
            "[metrics.q]\nkind = \"leader\"\nexpr = 'share(\"u\", actor)'\n",
            "unknown target `u`",
        ),
    ] {
        let error = refusal(base, extra, message);
        // A mistake in the expression is reported once, not once per category.
        assert_eq!(error.matches("bad.toml:").count(), 1, "{extra}: {error}");
    }
}
