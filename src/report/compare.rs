//! Rendering a [`Comparison`]: the terminal table (80 columns) (its CSV is in `csv.rs`).

use std::fmt::Write as _;

use crate::compare::{Comparison, Quantity};

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
    out.push_str(&crate::report::table::wrap(
        &format!(
            "{} paired runs, seed {}: run i of every scenario shares its random numbers",
            crate::report::table::thousands(comparison.runs),
            comparison.seed
        ),
        "",
        80,
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
                    pct(d.never.unwrap_or(f64::NAN)),
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
                    pct(d.mean)
                );
            }
        } else {
            let _ = writeln!(
                out,
                "  {:<width$}{:>9}{:>9}{:>21}",
                "", "mean", "median", "5–95 %"
            );
            for d in &q.per_scenario {
                let range = format!("{} – {}", num(d.p05), num(d.p95));
                let _ = writeln!(
                    out,
                    "  {:<width$}{:>9}{:>9}{range:>21}",
                    fit(&d.scenario, width),
                    num(d.mean),
                    num(d.p50)
                );
            }
        }
        for d in &q.differences {
            let interval = if q.kind == "number" {
                format!(
                    "{} [{}, {}]",
                    signed(d.difference),
                    signed(d.ci_low),
                    signed(d.ci_high)
                )
            } else {
                format!(
                    "{} [{}, {}] points",
                    points(d.difference),
                    points(d.ci_low),
                    points(d.ci_high)
                )
            };
            let what = if q.kind == "first_year" {
                "Δ never"
            } else {
                "Δ"
            };
            let _ = writeln!(out, "  {what} {}: {interval}", d.scenario);
            let mut line = format!("      P(>) {}   KS {:.3}", pct(d.p_greater), d.ks);
            if let Some(w1) = d.w1 {
                let _ = write!(line, "   W1 {}", num(w1));
            }
            if let Some(shift) = d.median_year_shift {
                let _ = write!(
                    line,
                    "   median year {}",
                    shift.map_or("–".to_string(), |s| format!("{s:+}"))
                );
            }
            let gain = d
                .pairing_gain
                .map_or("–".to_string(), |g| format!("×{g:.1}"));
            let _ = write!(line, "   pairing {gain}");
            let _ = writeln!(out, "{line}");
        }
    }
    if !comparison.only_in_some.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "Only in some scenarios (not compared):");
        for p in &comparison.only_in_some {
            out.push_str(&crate::report::table::wrap(
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
                80,
            ));
        }
    }
    out
}

fn heading(q: &Quantity) -> String {
    let text = match (&q.target, &q.actor, q.year) {
        (Some(t), Some(a), Some(y)) => format!("share of {a} in {t}, {y}"),
        (_, _, Some(y)) => format!("{} ({}, {y})", q.name, q.source),
        _ => format!("{} ({})", q.name, q.source),
    };
    format!("{text}\n")
}

fn fit(name: &str, width: usize) -> String {
    if name.chars().count() < width {
        name.to_string()
    } else {
        let cut: String = name.chars().take(width - 2).collect();
        format!("{cut}…")
    }
}

fn pct(p: f64) -> String {
    if p.is_finite() {
        format!("{:.1}%", p * 100.0)
    } else {
        "–".to_string()
    }
}

/// A difference of probabilities in percentage points.
fn points(p: f64) -> String {
    if p.is_finite() {
        format!("{:+.1}", p * 100.0)
    } else {
        "–".to_string()
    }
}

fn num(v: f64) -> String {
    if !v.is_finite() {
        return "–".to_string();
    }
    if v != 0.0 && (v.abs() >= 1000.0 || v.abs() < 0.001) {
        format!("{v:.3e}")
    } else {
        format!("{v:.4}")
    }
}

fn signed(v: f64) -> String {
    if !v.is_finite() {
        return "–".to_string();
    }
    if v != 0.0 && (v.abs() >= 1000.0 || v.abs() < 0.0001) {
        format!("{v:+.3e}")
    } else {
        format!("{v:+.4}")
    }
}
