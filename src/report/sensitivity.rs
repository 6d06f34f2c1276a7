//! Rendering sensitivity results: a text tornado, Sobol index tables (or, over time, a matrix
//! of total indices by year) (its CSV is in `csv.rs`).

use std::fmt::Write as _;

use crate::sensitivity::{Indices, Tornado};

pub fn table(tornado: Option<&Tornado>, sobol: &[Indices]) -> String {
    let mut out = String::new();
    if let Some(t) = tornado {
        out.push_str(&crate::report::table::wrap(
            &format!(
                "Tornado: {} — each parameter at its 10th and 90th percentile, the others at their medians ({} runs per bar end, the same runs for every bar)",
                t.output,
                crate::report::table::thousands(t.runs)
            ),
            "",
            80,
        ));
        let _ = writeln!(out, "  with every parameter at its median: {}", num(t.base));
        out.push_str(&crate::report::table::wrap(
            &format!(
                "the metric's value, every parameter drawn (same runs): {} ± {}",
                num(t.value),
                num(t.value_se)
            ),
            "  ",
            80,
        ));
        let _ = writeln!(out);
        let largest = t.bars.first().map_or(0.0, |b| b.swing);
        for bar in &t.bars {
            let width = if largest > 0.0 {
                (bar.swing / largest * 14.0).round() as usize
            } else {
                0
            };
            let _ = writeln!(
                out,
                "  {:<22} {:>9} → {:<9} {:<14} {}",
                fit(&bar.param, 22),
                num(bar.at_low),
                num(bar.at_high),
                "█".repeat(width),
                num(bar.swing)
            );
        }
        if !sobol.is_empty() {
            let _ = writeln!(out);
        }
    }
    if sobol.len() == 1 {
        let r = &sobol[0];
        let _ = writeln!(
            out,
            "Sobol indices: {} (N = {}, {} runs; 95 % bootstrap intervals)",
            r.output,
            r.n,
            crate::report::table::thousands(r.rows)
        );
        let _ = writeln!(out, "  {:<22}{:>24}{:>24}", "input", "first-order", "total");
        let mut rows: Vec<_> = r.inputs.iter().collect();
        rows.sort_by(|a, b| b.total.total_cmp(&a.total));
        for i in rows {
            let first = format!(
                "{} [{}, {}]",
                idx(i.first),
                idx(i.first_low),
                idx(i.first_high)
            );
            let total = format!(
                "{} [{}, {}]",
                idx(i.total),
                idx(i.total_low),
                idx(i.total_high)
            );
            let _ = writeln!(out, "  {:<22}{first:>24}{total:>24}", fit(&i.input, 22));
        }
        let sum: f64 = r.inputs.iter().map(|i| i.first).sum();
        let note = if sum <= 1.0 {
            format!(
                "first-order indices sum to {}: the other {} of the variance comes from interactions",
                idx(sum),
                idx(1.0 - sum)
            )
        } else {
            format!(
                "first-order indices sum to {} (above 1 only through the sampling noise of their estimates)",
                idx(sum)
            )
        };
        out.push_str(&crate::report::table::wrap(&note, "  ", 80));
    } else if sobol.len() > 1 {
        let _ = writeln!(
            out,
            "Total Sobol indices over time (N = {}, {} runs per year's analysis)",
            sobol[0].n,
            crate::report::table::thousands(sobol[0].rows)
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
            let mut line = format!("  {:<18}", fit(&input.input, 18));
            for &y in &shown {
                let _ = write!(line, "{:>7}", idx(sobol[y].inputs[i].total));
            }
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

/// `output,input,statistic,value`: tornado ends and swings, Sobol indices with intervals.
fn fit(name: &str, width: usize) -> String {
    if name.chars().count() <= width {
        name.to_string()
    } else {
        format!("{}…", name.chars().take(width - 1).collect::<String>())
    }
}

fn idx(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3}")
    } else {
        "–".to_string()
    }
}

fn num(v: f64) -> String {
    if !v.is_finite() {
        "–".to_string()
    } else if v != 0.0 && (v.abs() >= 1000.0 || v.abs() < 0.001) {
        format!("{v:.3e}")
    } else {
        format!("{v:.4}")
    }
}
