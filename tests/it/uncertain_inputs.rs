//! Uncertain inputs beyond `[params]`: initial shares drawn from a distribution or named by a
//! parameter — against their distributions (KS), with common random numbers kept, and the rule
//! that keeps autonomy positive in every draw.

use crate::common::{load, run};

/// Two actors in one cell; `a`'s share as given, `b` at 0.2; `extra` appended.
fn two_actors(a: &str, extra: &str) -> String {
    format!(
        r#"[scenario]
name = "t"
start = 2020
end = 2025
[actors]
a = {{}}
b = {{}}
[targets]
t = {{}}
[channels]
c = {{}}
[initial.t.c]
a = {a}
b = 0.2
[params]
other = "uniform(0, 1)"
[events.e]
hazard = 0.3
[[events.e.effects]]
actors = ["b"]
jump = 0.1
[metrics.start]
kind = "at"
year = 2020
expr = 'share("t", "a")'
[metrics.end]
kind = "at"
expr = 'share("t", "a")'
[metrics.e]
kind = "ever"
expr = 'fired("e")'
{extra}
"#
    )
}

/// The Kolmogorov–Smirnov distance between `values` and the cdf `cdf`.
fn ks(values: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    sorted
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = cdf(x);
            (f - i as f64 / n).abs().max((f - (i + 1) as f64 / n).abs())
        })
        .fold(0.0, f64::max)
}

#[test]
fn an_initial_share_drawn_from_a_distribution_has_that_distribution_at_the_start_and_after() {
    // At the start, a's share is its draw. Nothing but the event moves strengths here (no
    // drift, no volatility), so with the event's hazard at 0 the share keeps its draw to the
    // end.
    let text = two_actors("\"pert(0.3, 0.4, 0.6)\"", "");
    let (s, outcome) = run(&text, 20_000, 1);
    let d = s
        .params
        .iter()
        .find(|p| p.inline)
        .expect("the share is an inline parameter")
        .distribution
        .clone();
    let start = crate::common::metric(&s, &outcome, "start");
    // D at α = 0.001: 1.95/√n = 0.0138 for n = 20,000.
    let distance = ks(start, |x| d.cdf(x));
    assert!(distance < 1.95 / (20_000f64).sqrt(), "KS {distance}");
    // Without any motion, the share keeps its draw to the last step.
    let still = text.replace("hazard = 0.3", "hazard = 0");
    let (s, outcome) = run(&still, 5_000, 2);
    let start = crate::common::metric(&s, &outcome, "start");
    let end = crate::common::metric(&s, &outcome, "end");
    for (a, b) in start.iter().zip(end) {
        assert!((a - b).abs() < 1e-12, "{a} then {b}");
    }
    let distance = ks(end, |x| d.cdf(x));
    assert!(distance < 1.95 / (5_000f64).sqrt(), "KS {distance}");
}

#[test]
fn an_initial_share_may_name_a_parameter_and_then_equals_its_draw() {
    let text = two_actors(
        "\"a_start\"",
        "[params.a_start]\ndist = \"uniform(0.2, 0.5)\"\n",
    );
    let (s, outcome) = run(&text, 2_000, 3);
    let p = s.params.iter().position(|p| p.name == "a_start").unwrap();
    let start = crate::common::metric(&s, &outcome, "start");
    for (share, draw) in start.iter().zip(&outcome.params[p]) {
        assert!((share - draw).abs() < 1e-12, "{share} against {draw}");
    }
}

#[test]
fn making_an_initial_share_uncertain_changes_no_other_components_draws() {
    let (s0, fixed) = run(&two_actors("0.4", ""), 3_000, 4);
    let (s1, drawn) = run(&two_actors("\"pert(0.3, 0.4, 0.6)\"", ""), 3_000, 4);
    let other = |s: &steppe::Scenario| s.params.iter().position(|p| p.name == "other").unwrap();
    assert_eq!(fixed.params[other(&s0)], drawn.params[other(&s1)]);
    // The event fires in the same runs (its stream is keyed by its name, not by position).
    assert_eq!(
        crate::common::metric(&s0, &fixed, "e"),
        crate::common::metric(&s1, &drawn, "e")
    );
}

#[test]
fn shares_that_could_leave_no_autonomy_or_leave_the_unit_interval_are_refused() {
    let problems = |a: &str| {
        steppe::scenario::load("test.toml", &two_actors(a, ""))
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    // 0.9 + 0.2 at their highest: no autonomy left in some draws.
    let too_much = problems("\"uniform(0.5, 0.9)\"");
    assert!(
        too_much.contains(
            "initial shares of t/c can sum to 1.1 (each at its highest), leaving no autonomy"
        ),
        "{too_much}"
    );
    // A normal this wide reaches below 0 and above 1 (steppe's normal stops at its extreme
    // quantiles, so a narrow one whose every draw lies in (0, 1) is accepted).
    let unbounded = problems("\"normal(0.4, 0.2)\"");
    assert!(
        unbounded.contains("must be a share within (0, 1)"),
        "{unbounded}"
    );
    // A share as a quoted number is still told to lose its quotes.
    let quoted = problems("\"0.4\"");
    assert!(quoted.contains("remove the quotes"), "{quoted}");
    // Bounded and below 1 together: accepted.
    load(&two_actors("\"uniform(0.3, 0.7)\"", ""));
}

/// One target, two channels whose weights are as given; `a` holds 0.2 of the first channel
/// and 0.6 of the second, and nothing moves.
fn weighted_channels(first: &str, second: &str) -> String {
    format!(
        r#"[scenario]
name = "w"
start = 2020
end = 2022
[actors]
a = {{}}
[targets]
t = {{}}
[channels]
c1 = {{ weight = {first} }}
c2 = {{ weight = {second} }}
[initial.t.c1]
a = 0.2
[initial.t.c2]
a = 0.6
[params]
other = "uniform(0, 1)"
[metrics.composite]
kind = "at"
expr = 'share("t", "a")'
"#
    )
}

#[test]
fn an_uncertain_channel_weight_is_drawn_each_run_and_the_composite_follows_it() {
    let (s, outcome) = run(&weighted_channels("\"uniform(1, 3)\"", "1"), 2_000, 5);
    let w = s
        .params
        .iter()
        .position(|p| p.name == "channels.c1.weight")
        .expect("the weight is an inline parameter named by where it is written");
    let composite = crate::common::metric(&s, &outcome, "composite");
    for (value, &w1) in composite.iter().zip(&outcome.params[w]) {
        let expected = (w1 * 0.2 + 0.6) / (w1 + 1.0);
        assert!(
            (value - expected).abs() < 1e-12,
            "{value} against {expected}"
        );
    }
    // Its median normalises the weights `explain` and the diff show: 2 against 1.
    assert!(
        (s.channels[0].weight - 2.0 / 3.0).abs() < 1e-9,
        "{}",
        s.channels[0].weight
    );
    // The other parameter draws as it does with constant weights.
    let (s0, fixed) = run(&weighted_channels("2", "1"), 2_000, 5);
    let other = |s: &steppe::Scenario| s.params.iter().position(|p| p.name == "other").unwrap();
    assert_eq!(fixed.params[other(&s0)], outcome.params[other(&s)]);
}

#[test]
fn a_weight_that_can_be_zero_or_negative_is_refused() {
    for weight in ["\"normal(1, 1)\"", "0", "-2"] {
        let problems = steppe::scenario::load("w.toml", &weighted_channels(weight, "1"))
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(problems.contains("must be > 0"), "{weight}: {problems}");
    }
}

#[test]
fn explain_shows_which_starting_shares_and_weights_are_drawn() {
    let scenario = load(&weighted_channels("\"uniform(1, 3)\"", "1").replace(
        "[initial.t.c1]\na = 0.2",
        "[initial.t.c1]\na = \"pert(0.1, 0.2, 0.3)\"",
    ));
    let text = steppe::report::explain::render(&scenario, None);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "c1 66.67% (at the medians; weight uniform(1, 3) (5–95 %: 1.1 to 2.9), drawn per run), c2 33.33%",
        "Starting shares drawn per run (autonomy takes the rest)",
        "a in t/c1: pert(0.1, 0.2, 0.3)",
    ] {
        assert!(flat.contains(needle), "{needle} not in:\n{text}");
    }
}

/// One actor; a regime `w` over states x, y, z starting in x, its row of x as given; metrics:
/// the state one year on.
fn chain(row_x: &str, extra: &str) -> String {
    crate::common::one_cell(
        "start = 2020\nend = 2022",
        &format!(
            r#"[drivers.w]
type = "regime"
states = ["x", "y", "z"]
initial = "x"
[drivers.w.transitions]
x = {row_x}
y = {{ x = 0.1, y = 0.8, z = 0.1 }}
z = {{ x = 0.0, y = 0.0, z = 1.0 }}
[events.e]
hazard = 0.3
[[events.e.effects]]
actors = ["a"]
jump = 0.1
[metrics.x]
kind = "at"
year = 2021
expr = 'regime("w") == "x"'
[metrics.y]
kind = "at"
year = 2021
expr = 'regime("w") == "y"'
[metrics.z]
kind = "at"
year = 2021
expr = 'regime("w") == "z"'
[metrics.e]
kind = "ever"
expr = 'fired("e")'
{extra}
"#
        ),
    )
}

/// Each run's row of `x`, rebuilt from the run's parameter draws as the engine does.
fn rows_of_x(s: &steppe::Scenario, outcome: &steppe::engine::Outcome) -> Vec<Vec<f64>> {
    let steppe::scenario::DriverKind::Regime(r) = &s.drivers[0].kind else {
        panic!("a regime");
    };
    let runs = outcome.params.first().map_or(0, Vec::len);
    (0..runs)
        .map(|run| {
            let params: Vec<f64> = outcome.params.iter().map(|p| p[run]).collect();
            let mut row = vec![0.0; 3];
            r.transitions[0].resolve(&params, &[], &mut row);
            row
        })
        .collect()
}

#[test]
fn a_dirichlet_row_has_beta_margins_its_means_as_frequencies_and_sums_to_one() {
    // Dirichlet(c·m) with m = (0.6, 0.3, 0.1), c = 20: entry i is Beta(c·mᵢ, c·(1 − mᵢ)).
    let text = chain("{ x = 0.6, y = 0.3, z = 0.1, concentration = 20 }", "");
    let n = 20_000;
    let (s, outcome) = run(&text, n, 11);
    let rows = rows_of_x(&s, &outcome);
    for row in &rows {
        let sum: f64 = row.iter().sum();
        assert!((sum - 1.0).abs() <= 4.0 * f64::EPSILON, "sum {sum}");
        assert!(row.iter().all(|p| (0.0..=1.0).contains(p)));
    }
    let critical = 1.95 / (n as f64).sqrt();
    for (i, m) in [0.6, 0.3, 0.1].into_iter().enumerate() {
        let margin = steppe::distribution::Distribution::Beta {
            alpha: 20.0 * m,
            beta: 20.0 * (1.0 - m),
        };
        let entry: Vec<f64> = rows.iter().map(|r| r[i]).collect();
        let distance = ks(&entry, |x| margin.cdf(x));
        assert!(distance < critical, "entry {i}: KS {distance}");
    }
    // A year on, the chain is in each state with the row's mean probability.
    for (state, m) in [("x", 0.6), ("y", 0.3), ("z", 0.1)] {
        let (p, se) = crate::common::probability(crate::common::metric(&s, &outcome, state));
        assert!((p - m).abs() < 4.0 * se, "{state}: {p} ± {se} against {m}");
    }
}

#[test]
fn a_drawn_entry_keeps_its_draw_and_the_rows_plain_numbers_make_room() {
    // y is drawn; x and z (0.6 and 0.2 as written) share the rest 3 : 1.
    let text = chain(r#"{ x = 0.6, y = "uniform(0.1, 0.3)", z = 0.2 }"#, "");
    let (s, outcome) = run(&text, 4_000, 12);
    let y = s.params.iter().position(|p| p.inline).unwrap();
    assert_eq!(s.params[y].name, "drivers.w.transitions.x.y");
    for (row, draw) in rows_of_x(&s, &outcome).iter().zip(&outcome.params[y]) {
        assert_eq!(row[1], *draw);
        let rest = 1.0 - draw;
        assert!((row[0] - 0.75 * rest).abs() < 1e-12 && (row[2] - 0.25 * rest).abs() < 1e-12);
    }
    // E[y] = 0.2, so a year on P(y) = 0.2 and P(x) = 0.75 · 0.8 = 0.6.
    for (state, m) in [("x", 0.6), ("y", 0.2), ("z", 0.2)] {
        let (p, se) = crate::common::probability(crate::common::metric(&s, &outcome, state));
        assert!((p - m).abs() < 4.0 * se, "{state}: {p} ± {se} against {m}");
    }
    // Drawing the row changes no other component's draws.
    let (s0, fixed) = run(&chain("{ x = 0.6, y = 0.2, z = 0.2 }", ""), 4_000, 12);
    assert_eq!(
        crate::common::metric(&s0, &fixed, "e"),
        crate::common::metric(&s, &outcome, "e")
    );
}

#[test]
fn one_entry_set_from_above_scales_the_others_in_proportion() {
    // `--set` of one entry: the row's other entries keep their ratio (0.6 : 0.2) and fill 0.9.
    let text = chain("{ x = 0.6, y = 0.2, z = 0.2 }", "");
    let s = steppe::scenario::load_with_overrides(
        "t.toml",
        &text,
        &mut |p| Err(format!("{p}: no files here")),
        &["drivers.w.transitions.x.y=0.1".to_string()],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let steppe::scenario::DriverKind::Regime(r) = &s.drivers[0].kind else {
        panic!("a regime");
    };
    let steppe::scenario::Row::Fixed(row) = &r.transitions[0] else {
        panic!("a fixed row: {:?}", r.transitions[0]);
    };
    let expected = [0.6 * 0.9 / 0.8, 0.1, 0.2 * 0.9 / 0.8];
    for (got, want) in row.iter().zip(expected) {
        assert!((got - want).abs() < 1e-15, "{row:?}");
    }
}

#[test]
fn rows_that_cannot_sum_to_one_are_refused_where_written() {
    let problems = |row: &str| {
        steppe::scenario::load("t.toml", &chain(row, ""))
            .expect_err("refused")
            .to_string()
    };
    let too_much = problems(r#"{ x = 0.6, y = "uniform(0.5, 0.9)", z = "uniform(0.2, 0.3)" }"#);
    assert!(
        too_much.contains("can sum to 1.2, more than 1"),
        "{too_much}"
    );
    let nothing = problems(r#"{ x = 0, y = "uniform(0.1, 0.3)", z = 0 }"#);
    assert!(nothing.contains("has nothing to scale"), "{nothing}");
    let drawn_means =
        problems(r#"{ x = 0.6, y = "uniform(0.1, 0.3)", z = 0.2, concentration = 5 }"#);
    assert!(
        drawn_means.contains("takes plain numbers as its means"),
        "{drawn_means}"
    );
    let bad_c = problems("{ x = 0.6, y = 0.2, z = 0.2, concentration = 0 }");
    assert!(
        bad_c.contains("`concentration` must be within (0, 1000000]"),
        "{bad_c}"
    );
    let sums = problems("{ x = 0.6, y = 0.2, z = 0.1 }");
    assert!(sums.contains("sums to 0.9, not 1"), "{sums}");
}

#[test]
fn a_hazard_of_the_state_follows_the_closed_form_along_a_known_regime_path() {
    // The chain goes a → b → c and stays: b in the first year, c after. With monthly steps,
    // each step fires with 1 − (1 − h)^(1/12) for the hazard h of the moment, so over
    // 2020–2024: P(fired) = 1 − (1 − 0.1)·(1 − 0.3)³.
    let text = crate::common::one_cell(
        "start = 2020\nend = 2024\nstep = \"month\"",
        r#"[drivers.w]
type = "regime"
states = ["a", "b", "c"]
initial = "a"
[drivers.w.transitions]
a = { a = 0, b = 1, c = 0 }
b = { a = 0, b = 0, c = 1 }
c = { a = 0, b = 0, c = 1 }
[events.e]
hazard = '0.1 * (regime("w") == "b") + if(regime("w") == "c", 0.3, 0)'
[[events.e.effects]]
actors = ["a"]
jump = 0.1
[metrics.fired]
kind = "ever"
expr = 'fired("e")'
"#,
    );
    let (s, outcome) = run(&text, 40_000, 21);
    let (p, se) = crate::common::probability(crate::common::metric(&s, &outcome, "fired"));
    let expected = 1.0 - 0.9 * 0.7f64.powi(3);
    assert!(
        (p - expected).abs() < 4.0 * se,
        "{p} ± {se} against {expected}"
    );
}

/// Two actors; `extra` holds the parameters and what uses them.
fn derived(params: &str, extra: &str) -> String {
    two_actors("0.4", &format!("[params]\n{params}\n{extra}"))
        .replacen("[params]\nother = \"uniform(0, 1)\"\n", "", 1)
        .replacen("[params]\n", "[params]\nother = \"uniform(0, 1)\"\n", 1)
}

#[test]
fn a_derived_parameter_is_its_expression_of_the_draws_and_no_input_of_its_own() {
    let text = derived(
        "pivot = \"normal(0.03, 0.01)\"\ngain = '-param(\"pivot\")'\n",
        "[[dynamics]]\nactors = [\"b\"]\ndrift = \"gain\"\nvolatility = '0.5 * param(\"other\")'\n[metrics.gain]\nkind = \"at\"\nexpr = 'param(\"gain\")'\n",
    );
    let (s, outcome) = run(&text, 2_000, 22);
    // Not an input: the design's parameters are `other` and `pivot` only.
    let names: Vec<&str> = s.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["other", "pivot"]);
    let inline: Vec<&str> = s.derived.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(inline, ["gain", "dynamics[b;all;all].volatility"]);
    let pivot = &outcome.params[1];
    let gain = crate::common::metric(&s, &outcome, "gain");
    for (g, p) in gain.iter().zip(pivot) {
        assert_eq!(*g, -p);
    }
}

#[test]
fn derived_numbers_are_checked_where_written() {
    let problems = |params: &str, extra: &str| {
        steppe::scenario::load("t.toml", &derived(params, extra))
            .expect_err("refused")
            .to_string()
    };
    // The negation of a name points to the expression that negates the draw.
    let negated = problems(
        "pivot = \"normal(0.03, 0.01)\"",
        "[[dynamics]]\nactors = [\"b\"]\ndrift = \"-pivot\"\n",
    );
    assert!(
        negated.contains("write drift = '-param(\"pivot\")'"),
        "{negated}"
    );
    // A derived hazard is bounded over its parameters' ranges.
    let hazard = problems(
        "route = \"uniform(0.1, 0.7)\"",
        "[events.f]\nhazard = '2 * param(\"route\")'\n[[events.f.effects]]\nactors = [\"b\"]\njump = 0.1\n",
    );
    assert!(
        hazard.contains("`hazard` must be a probability within [0, 1], but '2 * param(\"route\")' reaches 0.2 to 1.4"),
        "{hazard}"
    );
    // Only a hazard may read the state.
    let state = problems(
        "",
        "[[dynamics]]\nactors = [\"b\"]\ndrift = '0.1 * share(\"t\", \"a\")'\n",
    );
    assert!(
        state.contains("`drift` is fixed for the whole run, so it cannot read `share`"),
        "{state}"
    );
    // Derived parameters are computed in file order.
    let order = problems("x = '2 * param(\"y\")'\ny = '-param(\"other\")'", "");
    assert!(
        order.contains("parameter `x` reads `y`, which is computed after it"),
        "{order}"
    );
}

/// One actor and the parameters `params` with a metric `p` reading parameter `p`.
fn elicited(params: &str) -> String {
    crate::common::one_cell(
        "start = 2020\nend = 2021",
        &format!("[params]\n{params}\n[metrics.p]\nkind = \"at\"\nexpr = 'param(\"p\")'\n"),
    )
}

#[test]
fn a_distribution_from_quantiles_reproduces_them_in_the_draws() {
    let text = elicited("p = \"quantiles(5% = 0.1, 50% = 0.25, 95% = 0.5, low = 0, high = 1)\"");
    let n = 40_000;
    let (s, outcome) = run(&text, n, 31);
    let mut draws = crate::common::metric(&s, &outcome, "p").to_vec();
    draws.sort_by(f64::total_cmp);
    // The share of draws below each given quantile is its probability, within 4 binomial s.e.
    for (p, q) in [(0.05, 0.1), (0.5, 0.25), (0.95, 0.5)] {
        let below = draws.partition_point(|&x| x < q) as f64 / n as f64;
        let se = (p * (1.0 - p) / n as f64).sqrt();
        assert!((below - p).abs() < 4.0 * se, "{p}: {below}");
    }
    assert!(draws[0] > 0.0 && draws[draws.len() - 1] < 1.0);
}

#[test]
fn a_pool_of_experts_draws_from_their_weighted_mixture() {
    let text = elicited(
        "[params.p]\npool = [\n  { dist = \"pert(0.01, 0.03, 0.06)\", weight = 2, source = \"A\" },\n  { dist = \"uniform(-0.01, 0.01)\", weight = 1, source = \"B\" },\n]",
    );
    let n = 20_000;
    let (s, outcome) = run(&text, n, 32);
    let draws = crate::common::metric(&s, &outcome, "p");
    // The mixture's cdf from its parts: 2/3 of the PERT's plus 1/3 of the uniform's.
    let pert = steppe::distribution::Distribution::new("pert", &[0.01, 0.03, 0.06]).unwrap();
    let mixture = |x: f64| 2.0 / 3.0 * pert.cdf(x) + (x.clamp(-0.01, 0.01) + 0.01) / 0.02 / 3.0;
    let distance = ks(draws, mixture);
    assert!(distance < 1.95 / (n as f64).sqrt(), "KS {distance}");
    // Its mean is the weighted mean of the experts' means: 2/3 · 0.19/6.
    let mean = draws.iter().sum::<f64>() / n as f64;
    let sd = (draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
    let expected = 2.0 / 3.0 * (0.01 + 4.0 * 0.03 + 0.06) / 6.0;
    assert!(
        (mean - expected).abs() < 4.0 * sd / (n as f64).sqrt(),
        "{mean}"
    );
}

#[test]
fn elicitation_mistakes_are_refused_where_written() {
    let problems = |params: &str| {
        steppe::scenario::load("t.toml", &elicited(params))
            .expect_err("refused")
            .to_string()
    };
    let lopsided = problems("p = \"quantiles(5% = 0, 50% = 0.95, 95% = 1)\"");
    assert!(lopsided.contains("too lopsided"), "{lopsided}");
    let order = problems("p = \"quantiles(50% = 0.3, 5% = 0.1, 95% = 0.5)\"");
    assert!(order.contains("increasing order"), "{order}");
    let weight = problems("[params.p]\npool = [{ dist = \"uniform(0, 1)\", weight = 0 }]");
    assert!(
        weight.contains("an expert's weight must be > 0, got 0"),
        "{weight}"
    );
    let both =
        problems("[params.p]\ndist = \"uniform(0, 1)\"\npool = [{ dist = \"uniform(0, 1)\" }]");
    assert!(both.contains("has both `dist` and `pool`"), "{both}");
}

#[test]
fn an_actor_absent_from_a_cell_stays_at_zero_there() {
    // b is absent (0): drift, noise and a jump on it leave its share nil; a's share is then a's
    // part of the rest.
    let text = two_actors(
        "0.4",
        "[[dynamics]]\nactors = [\"b\"]\ndrift = 0.5\nvolatility = 0.3\n",
    )
    .replace("b = 0.2", "b = 0");
    let (s, outcome) = run(&text, 500, 41);
    assert_eq!(s.initial_shares[1], 0.0);
    let start = crate::common::metric(&s, &outcome, "start");
    assert!(start.iter().all(|&a| (a - 0.4).abs() < 1e-12));
    let (s, outcome) = run(
        &text.replace(
            "[metrics.end]\nkind = \"at\"\nexpr = 'share(\"t\", \"a\")'",
            "[metrics.end]\nkind = \"at\"\nexpr = 'share(\"t\", \"b\")'",
        ),
        500,
        41,
    );
    let end = crate::common::metric(&s, &outcome, "end");
    assert!(end.iter().all(|&b| b < 1e-200), "{:?}", &end[..3]);
}

#[test]
fn a_dirichlet_cell_draws_its_shares_with_beta_margins_around_the_numbers_written() {
    // a 0.4, b 0.2, autonomy 0.4 with concentration 30: each share is Beta(30·m, 30·(1 − m)).
    let text = two_actors(
        "0.4",
        "[metrics.b]\nkind = \"at\"\nyear = 2020\nexpr = 'share(\"t\", \"b\")'\n[metrics.autonomy]\nkind = \"at\"\nyear = 2020\nexpr = 'share(\"t\", \"autonomy\")'\n",
    )
    .replace("b = 0.2\n", "b = 0.2\nconcentration = 30\n");
    let n = 20_000;
    let (s, outcome) = run(&text, n, 42);
    let critical = 1.95 / (n as f64).sqrt();
    for (metric, m) in [("start", 0.4), ("b", 0.2), ("autonomy", 0.4)] {
        let margin = steppe::distribution::Distribution::Beta {
            alpha: 30.0 * m,
            beta: 30.0 * (1.0 - m),
        };
        let values = crate::common::metric(&s, &outcome, metric);
        let distance = ks(values, |x| margin.cdf(x));
        assert!(distance < critical, "{metric}: KS {distance}");
    }
    // The cell's drawn shares are positive and leave autonomy positive in every run.
    let (a, b) = (
        crate::common::metric(&s, &outcome, "start"),
        crate::common::metric(&s, &outcome, "b"),
    );
    assert!(
        a.iter()
            .zip(b)
            .all(|(a, b)| *a > 0.0 && *b > 0.0 && a + b < 1.0)
    );
}

#[test]
fn a_target_may_weigh_the_channels_its_own_way() {
    // Channels c1 = 2, c2 = 1 everywhere; target u weighs c2 at 6 (on the same scale): its
    // composite is (2·0.2 + 6·0.6)/8 = 0.5, while t keeps (2·0.2 + 1·0.6)/3 = 1/3. With u's
    // weight drawn from uniform(4, 8), each run's composite follows its draw w: (0.4 + 0.6·w)/(2 + w).
    let two_targets = |own: &str| {
        weighted_channels("2", "1")
            .replace("t = {}", &format!("t = {{}}\nu = {{ channels = {{ c2 = {own} }} }}"))
            .replace(
                "[params]",
                "[initial.u.c1]\na = 0.2\n[initial.u.c2]\na = 0.6\n[metrics.own]\nkind = \"at\"\nexpr = 'share(\"u\", \"a\")'\n[params]",
            )
    };
    let (s, outcome) = run(&two_targets("6"), 50, 6);
    let (t, u) = (
        crate::common::metric(&s, &outcome, "composite"),
        crate::common::metric(&s, &outcome, "own"),
    );
    assert!(t.iter().all(|c| (c - 1.0 / 3.0).abs() < 1e-12), "{}", t[0]);
    assert!(u.iter().all(|c| (c - 0.5).abs() < 1e-12), "{}", u[0]);
    let (s, outcome) = run(&two_targets("\"uniform(4, 8)\""), 500, 7);
    let w = s
        .params
        .iter()
        .position(|p| p.name == "targets.u.channels.c2")
        .unwrap();
    for (c, w) in crate::common::metric(&s, &outcome, "own")
        .iter()
        .zip(&outcome.params[w])
    {
        assert!((c - (0.4 + 0.6 * w) / (2.0 + w)).abs() < 1e-12);
    }
    // Only a target weighs channels.
    let refused = steppe::scenario::load(
        "t.toml",
        &weighted_channels("2", "1").replace("a = {}", "a = { channels = { c1 = 2 } }"),
    )
    .expect_err("refused")
    .to_string();
    assert!(
        refused.contains("an actor has no channel weights"),
        "{refused}"
    );
}

#[test]
fn a_hazard_of_the_state_may_start_with_a_function_and_its_parse_errors_are_shown() {
    let with = |hazard: &str| {
        crate::common::one_cell(
            "start = 2020\nend = 2025",
            &format!(
                "[events.e]\nhazard = '{hazard}'\n[[events.e.effects]]\nactors = [\"a\"]\njump = 0.1\n"
            ),
        )
    };
    for hazard in [
        r#"if(share("t", "a") < 0.3, 0.08, 0.02)"#,
        r#"min(0.5, 0.1 * (share("t", "a") > 0.2))"#,
        r#"share("t", "a") * 0.2"#,
    ] {
        let s = load(&with(hazard));
        assert!(s.events[0].hazard_of_state.is_some(), "{hazard}");
    }
    let broken = steppe::scenario::load("t.toml", &with(r#"0.1 * (share("t", "a") > 0.3"#))
        .expect_err("refused")
        .to_string();
    assert!(!broken.contains("unknown parameter"), "{broken}");
    assert!(broken.contains("t.toml:"), "{broken}");
}

#[test]
fn a_dirichlet_row_whose_means_sum_just_over_one_keeps_its_probable_entries() {
    // The means sum to 1 + 1e-10 (within the tolerance): y must keep its half.
    let text = chain("{ x = 0.5, y = 0.5, z = 1e-10, concentration = 50 }", "");
    let (s, outcome) = run(&text, 4_000, 51);
    let (p, se) = crate::common::probability(crate::common::metric(&s, &outcome, "y"));
    assert!((p - 0.5).abs() < 4.0 * se, "{p} ± {se}");
}

#[test]
fn a_row_given_whole_by_an_extending_file_is_plain_unless_it_says_otherwise() {
    let parent = chain("{ x = 0.6, y = 0.3, z = 0.1, concentration = 20 }", "");
    let child = "extends = \"parent.toml\"\n[scenario]\nname = \"c\"\n[drivers.w.transitions]\nx = { x = 0.2, y = 0.5, z = 0.3 }\n";
    let s = steppe::scenario::load_with("child.toml", child, &mut |_| Ok(parent.clone()))
        .unwrap_or_else(|e| panic!("{e}"));
    let steppe::scenario::DriverKind::Regime(r) = &s.drivers[0].kind else {
        panic!("a regime");
    };
    assert_eq!(
        r.transitions[0],
        steppe::scenario::Row::Fixed(vec![0.2, 0.5, 0.3])
    );
}

#[test]
fn computed_numbers_are_checked_over_every_uncertain_parameter_they_read() {
    // Twelve fixed parameters no longer hide the one that varies.
    let fixed: String = (1..=12)
        .map(|i| format!("[params.f{i}]\ndist = 0\n"))
        .collect();
    let sum: Vec<String> = (1..=12).map(|i| format!("param(\"f{i}\")")).collect();
    let text = two_actors(
        "\"sum\"",
        &format!(
            "[params.big]\ndist = \"uniform(0.1, 0.95)\"\n[params.sum]\ndist = '{} + param(\"big\")'\n{fixed}",
            sum.join(" + ")
        ),
    );
    let refused = steppe::scenario::load("t.toml", &text)
        .expect_err("refused")
        .to_string();
    assert!(refused.contains("can sum to 1.15"), "{refused}");
    // A derived parameter cannot read itself.
    let own = steppe::scenario::load(
        "t.toml",
        &two_actors("0.4", "[params.d1]\ndist = 'param(\"d1\") * 2'\n"),
    )
    .expect_err("refused")
    .to_string();
    assert!(own.contains("parameter `d1` reads itself"), "{own}");
}

/// A regime `war` with states calm and hot, starting as `initial`, and its state at the start
/// and a year on as metrics.
fn uncertain_start(initial: &str) -> String {
    crate::common::one_cell(
        "start = 2020\nend = 2022",
        &format!(
            "[drivers.war]\ntype = \"regime\"\nstates = [\"calm\", \"hot\"]\ninitial = {initial}\n\
             [drivers.war.transitions]\ncalm = {{ calm = 0.9, hot = 0.1 }}\nhot = {{ calm = 0.4, hot = 0.6 }}\n\
             [metrics.hot_at_start]\nkind = \"at\"\nyear = 2020\nexpr = 'regime(\"war\") == \"hot\"'\n\
             [metrics.hot_a_year_on]\nkind = \"at\"\nyear = 2021\nexpr = 'regime(\"war\") == \"hot\"'\n"
        ),
    )
}

#[test]
fn a_regime_may_start_in_a_state_drawn_with_given_probabilities() {
    // P(hot at the start) = 0.7; a year on, 0.3·0.1 + 0.7·0.6 = 0.45.
    let n = 20_000;
    let (s, outcome) = run(&uncertain_start("{ calm = 0.3, hot = 0.7 }"), n, 4);
    for (metric, truth) in [("hot_at_start", 0.7), ("hot_a_year_on", 0.45)] {
        let (p, se) = crate::common::probability(crate::common::metric(&s, &outcome, metric));
        assert!(
            (p - truth).abs() < 4.0 * se,
            "{metric}: {p} ± {se}, expected {truth}"
        );
    }
    // A certain start written as a table is the plain start, run for run.
    let (s_table, table) = run(&uncertain_start("{ hot = 1.0 }"), 2_000, 4);
    let (s_plain, plain) = run(&uncertain_start("\"hot\""), 2_000, 4);
    let table = crate::common::metric(&s_table, &table, "hot_at_start");
    assert!(table.iter().all(|v| *v == 1.0));
    assert_eq!(
        crate::common::metric(&s_plain, &plain, "hot_at_start"),
        table
    );
    let explained = steppe::report::explain::render(&s, None);
    assert!(
        explained.contains("starts in calm (0.3) or hot (0.7)"),
        "{explained}"
    );
}

#[test]
fn an_uncertain_regime_start_must_name_its_states_and_sum_to_one() {
    for (initial, message) in [
        (
            "{ calm = 0.3, hot = 0.6 }",
            "the probabilities of regime `war`'s initial states sum to 0.9, not 1",
        ),
        (
            "{ calm = 0.3, warm = 0.7 }",
            "`warm` is not a state of regime `war`",
        ),
        (
            "{ calm = -0.3, hot = 1.3 }",
            "the probability of starting in `calm` must be within [0, 1], got -0.3",
        ),
    ] {
        let error = steppe::scenario::load("bad.toml", &uncertain_start(initial))
            .err()
            .unwrap_or_else(|| panic!("{initial} was accepted"))
            .to_string();
        assert!(error.contains(message), "{initial}: {error}");
        assert!(error.contains("bad.toml:"), "{initial}: {error}");
    }
}
