//! Rendering a [`Comparison`]: the terminal table (80 columns) (its CSV is in `csv.rs`).

use std::fmt::Write as _;

use crate::compare::{Comparison, Quantity};
use crate::report::format::{
    MISSING, decimal, fixed, percent, signed_decimal, signed_points, thousands,
};
use crate::report::text::{WIDTH, truncate, wrap};

/// The comparison as the terminal shows it: per quantity, each scenario's distribution, then
/// each paired difference from the reference with its interval and tests.
pub fn table(comparison: &Comparison) -> String {
    let mut out = String::new();
    let names: Vec<&str> = comparison
        .scenarios
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    let _ = writeln!(
        out,
        "Comparing {} against {} (reference)",
        names[1..].join(", "),
        comparison.reference
    );
    out.push_str(&wrap(
        &format!(
            "{} paired runs, seed {}: run i of every scenario shares its random numbers",
            thousands(comparison.runs),
            comparison.seed
        ),
        "",
        WIDTH,
    ));
    let _ = writeln!(
        out,
        "Δ = scenario − reference, mean of run-by-run differences [95 % interval]"
    );
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(8)
        .clamp(8, 20)
        + 2;
    for q in &comparison.quantities {
        let _ = writeln!(out);
        out.push_str(&heading(q));
        if q.invalid_runs > 0 {
            let _ = writeln!(
                out,
                "  ({} runs left out: not a number in some scenario)",
                q.invalid_runs
            );
        }
        if q.kind == "first_year" {
            let _ = writeln!(out, "  {:<width$}{:>9}{:>14}", "", "never", "median year");
            for d in &q.per_scenario {
                let median = d
                    .median_year
                    .flatten()
                    .map_or("never".to_string(), |y| y.to_string());
                let _ = writeln!(
                    out,
                    "  {:<width$}{:>9}{:>14}",
                    fit(&d.scenario, width),
                    percent(d.never.unwrap_or(f64::NAN), 1),
                    median
                );
            }
        } else if q.kind == "probability" {
            let _ = writeln!(out, "  {:<width$}{:>12}", "", "probability");
            for d in &q.per_scenario {
                let _ = writeln!(
                    out,
                    "  {:<width$}{:>12}",
                    fit(&d.scenario, width),
                    percent(d.mean, 1)
                );
            }
        } else {
            let _ = writeln!(
                out,
                "  {:<width$}{:>9}{:>9}{:>21}",
                "", "mean", "median", "5–95 %"
            );
            for d in &q.per_scenario {
                let range = format!("{} – {}", decimal(d.p05), decimal(d.p95));
                let _ = writeln!(
                    out,
                    "  {:<width$}{:>9}{:>9}{range:>21}",
                    fit(&d.scenario, width),
                    decimal(d.mean),
                    decimal(d.p50)
                );
            }
        }
        for d in &q.differences {
            let interval = if q.kind == "number" {
                format!(
                    "{} [{}, {}]",
                    signed_decimal(d.difference),
                    signed_decimal(d.ci_low),
                    signed_decimal(d.ci_high)
                )
            } else {
                format!(
                    "{} [{}, {}] points",
                    signed_points(d.difference),
                    signed_points(d.ci_low),
                    signed_points(d.ci_high)
                )
            };
            let what = if q.kind == "first_year" {
                "Δ never"
            } else {
                "Δ"
            };
            let _ = writeln!(out, "  {what} {}: {interval}", d.scenario);
            let mut line = format!(
                "      P(>) {}   KS {}",
                percent(d.p_greater, 1),
                fixed(d.ks, 3)
            );
            if let Some(w1) = d.w1 {
                let _ = write!(line, "   W1 {}", decimal(w1));
            }
            if let Some(shift) = d.median_year_shift {
                let _ = write!(
                    line,
                    "   median year {}",
                    shift.map_or(MISSING.to_string(), |s| format!("{s:+}"))
                );
            }
            let gain = d
                .pairing_gain
                .map_or(MISSING.to_string(), |g| format!("×{}", fixed(g, 1)));
            let _ = write!(line, "   pairing {gain}");
            let _ = writeln!(out, "{line}");
        }
    }
    if !comparison.only_in_some.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "Only in some scenarios (not compared):");
        for p in &comparison.only_in_some {
            out.push_str(&wrap(
                &format!(
                    "{}: in {}",
                    p.quantity,
                    if p.present_in.is_empty() {
                        "none".to_string()
                    } else {
                        p.present_in.join(", ")
                    }
                ),
                "  ",
                WIDTH,
            ));
        }
    }
    out
}

fn heading(q: &Quantity) -> String {
    let text = match (&q.target, &q.actor, q.year) {
        (Some(t), Some(a), Some(y)) => format!("share of {a} in {t}, {y}"),
        // A first-year question asked as "has it happened by this year?".
        (_, _, Some(y)) if q.source == "first" => format!("{} (first, by {y})", q.name),
        (_, _, Some(y)) => format!("{} ({}, {y})", q.name, q.source),
        _ => format!("{} ({})", q.name, q.source),
    };
    format!("{text}\n")
}

/// A scenario's name in a column of `width`, cut so that one space is left after it.
fn fit(name: &str, width: usize) -> String {
    truncate(name, width - 1)
}
