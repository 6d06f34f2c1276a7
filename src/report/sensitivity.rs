//! Rendering sensitivity results: a text tornado, Sobol index tables (or, over time, a matrix
//! of total indices by year) (its CSV is in `csv.rs`).

use std::fmt::Write as _;

use crate::report::format::{decimal, fixed, thousands};
use crate::report::text::{WIDTH, own_line, wrap};
use crate::sensitivity::{Index, Indices, Tornado};

/// The analysis as the terminal shows it: the tornado (if run), then the Sobol indices of
/// one output, or of a share over time as a matrix of total indices by year.
pub fn table(tornado: Option<&Tornado>, sobol: &[Indices]) -> String {
    let mut out = String::new();
    if let Some(t) = tornado {
        out.push_str(&wrap(
            &format!(
                "Tornado: {} — each parameter at its 10th and 90th percentile, the others at their medians ({} runs per bar end, the same runs for every bar)",
                t.output,
                thousands(t.runs)
            ),
            "",
            WIDTH,
        ));
        let _ = writeln!(
            out,
            "  with every parameter at its median: {}",
            decimal(t.base)
        );
        out.push_str(&wrap(
            &format!(
                "the metric's value, every parameter drawn (same runs): {} ± {}",
                decimal(t.value),
                decimal(t.value_se)
            ),
            "  ",
            WIDTH,
        ));
        let _ = writeln!(out);
        let largest = t.bars.first().map_or(0.0, |b| b.swing);
        // Parameters that leave the metric exactly where it is at both ends (a cell of another
        // target, say) are counted, not drawn: a bar of nothing tells a reader nothing.
        let (moving, still): (Vec<_>, Vec<_>) = t.bars.iter().partition(|b| b.swing != 0.0);
        for bar in moving {
            let width = if largest > 0.0 {
                (bar.swing / largest * 14.0).round() as usize
            } else {
                0
            };
            let name = own_line(&mut out, &bar.param, 22, "  ");
            let _ = writeln!(
                out,
                "  {:<22} {:>9} → {:<9} {:<14} {}",
                name,
                decimal(bar.at_low),
                decimal(bar.at_high),
                "█".repeat(width),
                decimal(bar.swing)
            );
        }
        if !still.is_empty() {
            let names: Vec<&str> = still.iter().map(|b| b.param.as_str()).collect();
            let shown = if names.len() <= 3 {
                format!(": {}", names.join(", "))
            } else {
                format!(
                    ", e.g. {} (every bar is in the JSON)",
                    names[..2].join(", ")
                )
            };
            out.push_str(&wrap(
                &format!(
                    "(and {} that {} the metric unchanged at both ends{shown})",
                    if names.len() == 1 {
                        "1 parameter".to_string()
                    } else {
                        format!("{} parameters", names.len())
                    },
                    if names.len() == 1 { "leaves" } else { "leave" }
                ),
                "  ",
                WIDTH,
            ));
        }
        if !sobol.is_empty() {
            let _ = writeln!(out);
        }
    }
    if sobol.len() == 1 && sobol[0].undefined() {
        let r = &sobol[0];
        out.push_str(&wrap(
            &format!(
                "Sobol indices: {} (N = {}, {} runs) — undefined: the output takes the same value in every run, so there is no variance to apportion among the inputs",
                r.output,
                r.n,
                thousands(r.rows)
            ),
            "",
            WIDTH,
        ));
    } else if sobol.len() == 1 {
        let r = &sobol[0];
        let _ = writeln!(
            out,
            "Sobol indices: {} (N = {}, {} runs; 95 % bootstrap intervals)",
            r.output,
            r.n,
            thousands(r.rows)
        );
        let _ = writeln!(out, "  {:<22}{:>24}{:>24}", "input", "first-order", "total");
        let (inputs, sources, groups) = r.split();
        let mut rows: Vec<_> = inputs.iter().collect();
        rows.sort_by(|a, b| b.total.total_cmp(&a.total));
        let mut sources: Vec<_> = sources.iter().collect();
        sources.sort_by(|a, b| b.total.total_cmp(&a.total));
        let parts = sources.len();
        for i in rows {
            index_row(&mut out, i, "");
        }
        if parts > 0 {
            let _ = writeln!(out, "  chance, source by source:");
            for i in sources {
                index_row(&mut out, i, "  ");
            }
        }
        if parts > 0 {
            out.push_str(&wrap(
                &format!(
                    "(each of the {parts} sources of chance swapped alone; their totals need not add up to chance's: a source's total counts its interactions with the others)"
                ),
                "  ",
                WIDTH,
            ));
        }
        if !groups.is_empty() {
            let _ = writeln!(out, "  groups of parameters, each swapped together:");
            for i in groups {
                index_row(&mut out, i, "  ");
            }
        }
        if !r.correlated.is_empty() {
            out.push_str(&wrap(&correlated_note(&r.correlated), "  ", WIDTH));
        }
        let sum: f64 = inputs.iter().map(|i| i.first).sum();
        let note = if !r.correlated.is_empty() {
            format!(
                "first-order indices sum to {}; with correlated inputs the sum says nothing about interactions (correlated parameters' own indices share variance)",
                index(sum)
            )
        } else if sum <= 1.0 {
            format!(
                "first-order indices sum to {}: the other {} of the variance comes from interactions",
                index(sum),
                index(1.0 - sum)
            )
        } else {
            format!(
                "first-order indices sum to {} (above 1 only through the sampling noise of their estimates)",
                index(sum)
            )
        };
        out.push_str(&wrap(&note, "  ", WIDTH));
    } else if sobol.len() > 1 {
        let _ = writeln!(
            out,
            "Total Sobol indices over time (N = {}, {} runs per year's analysis)",
            sobol[0].n,
            thousands(sobol[0].rows)
        );
        let years: Vec<String> = sobol
            .iter()
            .map(|r| r.output.rsplit('@').next().unwrap_or("").to_string())
            .collect();
        // Up to eight years across, thinned evenly, always with the last.
        let step = years.len().div_ceil(8).max(1);
        let shown: Vec<usize> = (0..years.len())
            .rev()
            .step_by(step)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let mut header = format!("  {:<18}", "input");
        for &y in &shown {
            let _ = write!(header, "{:>7}", years[y]);
        }
        let _ = writeln!(out, "{header}");
        for (i, input) in sobol[0].inputs.iter().enumerate() {
            let name = own_line(&mut out, &input.input, 18, "  ");
            let mut line = format!("  {name:<18}");
            for &y in &shown {
                let _ = write!(line, "{:>7}", index(sobol[y].inputs[i].total));
            }
            let _ = writeln!(out, "{line}");
        }
        if !sobol[0].correlated.is_empty() {
            out.push_str(&wrap(&correlated_note(&sobol[0].correlated), "  ", WIDTH));
        }
        if shown.iter().any(|&y| sobol[y].undefined()) {
            out.push_str(&wrap(
                &format!(
                    "{}: undefined — the output takes the same value in every run that year, so there is no variance to apportion",
                    index(f64::NAN)
                ),
                "  ",
                WIDTH,
            ));
        }
    }
    out
}

/// Said under Sobol indices of a scenario with `[correlations]`.
fn correlated_note(names: &[String]) -> String {
    format!(
        "note: {} are rank-correlated ([correlations]); the design draws them together, so each block's `group correlated …` index is valid under their dependence, while their own indices swap one without the others — a combination the joint distribution does not give — and are not",
        names.join(", ")
    )
}

/// One input's row: its name (after `indent`), first-order and total index with intervals.
fn index_row(out: &mut String, i: &Index, indent: &str) {
    let first = format!(
        "{} [{}, {}]",
        index(i.first),
        index(i.first_low),
        index(i.first_high)
    );
    let total = format!(
        "{} [{}, {}]",
        index(i.total),
        index(i.total_low),
        index(i.total_high)
    );
    let width = 22 - indent.len();
    let name = own_line(out, &i.input, width, &format!("  {indent}"));
    let _ = writeln!(out, "  {indent}{name:<width$}{first:>24}{total:>24}");
}

/// A Sobol index (or a sum of them): three decimals.
fn index(v: f64) -> String {
    fixed(v, 3)
}
