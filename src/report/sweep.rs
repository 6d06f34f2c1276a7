//! Rendering a [`Sweep`]: per metric, its headline across the grid (a column for one varied
//! assumption, a matrix for two); its CSV is in `csv.rs`.

use std::fmt::Write as _;

use crate::report::format::{compact, exact, thousands};
use crate::report::text::{WIDTH, wrap};
use crate::sweep::Sweep;

/// The sweep as the terminal shows it: per metric, a column (one varied assumption) or a
/// matrix (two) of its headline.
pub fn table(sweep: &Sweep) -> String {
    let mut out = String::new();
    let names: Vec<&str> = sweep.vary.iter().map(|v| v.name.as_str()).collect();
    let _ = writeln!(out, "{}: sweep of {}", sweep.scenario, names.join(" × "));
    out.push_str(&wrap(
        &format!(
            "{} runs per point, seed {}; every point shares the random numbers of the others",
            thousands(sweep.runs),
            sweep.seed
        ),
        "",
        WIDTH,
    ));
    if !sweep.overrides.is_empty() {
        out.push_str(&wrap(
            &format!("with --set {}", sweep.overrides.join(", ")),
            "",
            WIDTH,
        ));
    }
    let Some(first) = sweep.points.first() else {
        return out;
    };
    for (m, headline) in first.metrics.iter().enumerate() {
        let _ = writeln!(out);
        let what = match headline.statistic {
            "mean" => "mean",
            "probability" => "probability",
            _ => "probability it happens by the horizon",
        };
        let _ = writeln!(out, "{} ({what})", headline.name);
        let largest_se = sweep
            .points
            .iter()
            .map(|p| p.metrics[m].se)
            .fold(0.0, f64::max);
        if sweep.vary.len() == 1 {
            let width = names[0].chars().count().max(8) + 2;
            let _ = writeln!(out, "  {:<width$}{:>10}   s.e.", names[0], "value");
            for p in &sweep.points {
                let h = &p.metrics[m];
                let _ = writeln!(
                    out,
                    "  {:<width$}{:>10} ± {}",
                    exact(p.values[0]),
                    compact(h.value),
                    compact(h.se)
                );
            }
        } else {
            let (rows, columns) = (&sweep.vary[0], &sweep.vary[1]);
            let width = 10;
            let mut header = format!(
                "  {:<12}",
                format!("{}↓ {}→", short(&rows.name), short(&columns.name))
            );
            for c in &columns.values {
                let _ = write!(header, "{:>width$}", exact(*c));
            }
            let _ = writeln!(out, "{header}");
            for (r, row_value) in rows.values.iter().enumerate() {
                let mut line = format!("  {:<12}", exact(*row_value));
                for c in 0..columns.values.len() {
                    let h = &sweep.points[r * columns.values.len() + c].metrics[m];
                    let _ = write!(line, "{:>width$}", compact(h.value));
                }
                let _ = writeln!(out, "{line}");
            }
            let _ = writeln!(out, "  (standard errors up to {})", compact(largest_se));
        }
    }
    out
}

/// A varied assumption's name in a corner cell: its last key, at most five characters.
fn short(name: &str) -> String {
    let last = name.rsplit('.').next().unwrap_or(name);
    if last.chars().count() > 5 {
        last.chars().take(5).collect()
    } else {
        last.to_string()
    }
}
