//! The terminal summary: composite shares per target and the region at the start and a few
//! horizon years (median and 5–95 % interval), then every metric with its Monte Carlo error.
//! Fits 80 columns for up to four year columns.

use std::fmt::Write as _;

use crate::scenario::Scenario;
use crate::summary::{MetricResult, Summary};

pub fn render(scenario: &Scenario, summary: &Summary) -> String {
    let mut out = String::new();
    out.push_str(&wrap(&scenario.heading(), "", WIDTH));
    let design = match summary.design {
        "lhs" => "Latin hypercube",
        "sobol" => "scrambled Sobol",
        _ => "",
    };
    let runs = if design.is_empty() {
        format!("{} runs", thousands(summary.runs))
    } else {
        format!(
            "{} runs ({design}, {} replicates)",
            thousands(summary.runs),
            summary.replicates
        )
    };
    let _ = writeln!(
        out,
        "{runs}, seed {}, {}–{} by {}",
        summary.seed,
        scenario.start,
        scenario.end,
        scenario.step.name()
    );
    if !scenario.overrides.is_empty() {
        out.push_str(&wrap(
            &format!("with --set {}", scenario.overrides.join(", ")),
            "",
            WIDTH,
        ));
    }
    let points = report_points(scenario);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Composite influence share, % — median [5–95 % interval]"
    );
    let labels: Vec<String> = scenario
        .targets
        .iter()
        .map(|t| t.label.clone())
        .chain(["Region".to_string()])
        .collect();
    let n_slots = scenario.n_slots();
    let name_width = scenario
        .actors
        .iter()
        .map(|a| a.label.chars().count())
        .max()
        .unwrap_or(0)
        .max("autonomy".len())
        .min(MAX_LABEL)
        + 2;
    for (t, label) in labels.iter().enumerate() {
        let _ = writeln!(out);
        let mut header = format!("{:<name_width$}", fit(label));
        for &(point, year) in &points {
            let width = if point == 0 { START_WIDTH } else { CELL_WIDTH };
            let _ = write!(header, "{year:>width$}");
        }
        let _ = writeln!(out, "{}", header.trim_end());
        for s in 0..n_slots {
            let series = &summary.series[t * n_slots + s];
            let name = fit(scenario
                .actors
                .get(s)
                .map_or("autonomy", |a| a.label.as_str()));
            let mut line = format!("  {name:<width$}", width = name_width - 2);
            for &(point, _) in &points {
                let p = &series.points[point];
                if point == 0 {
                    let _ = write!(line, "{:>START_WIDTH$}", points_of(p.p50));
                } else {
                    let cell = format!(
                        "{} [{}–{}]",
                        points_of(p.p50),
                        points_of(p.p05),
                        points_of(p.p95)
                    );
                    let _ = write!(line, "{cell:>CELL_WIDTH$}");
                }
            }
            let _ = writeln!(out, "{line}");
        }
    }
    if !summary.metrics.is_empty() {
        let _ = writeln!(out);
        if summary.replicates > 1 {
            out.push_str(&wrap(
                &format!(
                    "Metrics (± is the standard error from the spread of the {} independent replicates of the design)",
                    summary.replicates
                ),
                "",
                WIDTH,
            ));
        } else {
            let _ = writeln!(out, "Metrics (± is the Monte Carlo standard error)");
        }
        for metric in &summary.metrics {
            let _ = writeln!(out);
            let heading = match metric.year {
                Some(year) => format!("{} ({}, {year})", metric.name, metric.kind),
                None => format!("{} ({})", metric.name, metric.kind),
            };
            let _ = writeln!(out, "{heading}");
            if !metric.description.is_empty() {
                out.push_str(&wrap(&metric.description, "  ", WIDTH));
            }
            match &metric.result {
                MetricResult::Number(d) => {
                    let _ = writeln!(
                        out,
                        "  mean {} ± {}   median {} [5–95 %: {} – {}]",
                        sig(d.mean),
                        error(d.se),
                        sig(d.p50),
                        sig(d.p05),
                        sig(d.p95)
                    );
                    if d.invalid_runs > 0 {
                        let _ = writeln!(
                            out,
                            "  warning: {} runs gave no finite value and are left out",
                            d.invalid_runs
                        );
                    }
                }
                MetricResult::Probability { probability, se } => {
                    let _ = writeln!(
                        out,
                        "  probability {} ± {}",
                        percent_precise(*probability),
                        percent_precise(*se)
                    );
                }
                MetricResult::FirstYear {
                    never,
                    never_se,
                    median_year,
                    by_year,
                } => {
                    let mut line = String::from("  by");
                    for &(_, year) in points.iter().skip(1) {
                        if let Some(y) = by_year.iter().find(|y| y.year == year) {
                            let _ = write!(line, " {year}: {}", percent(y.cumulative));
                        }
                    }
                    let _ = writeln!(out, "{line}");
                    let median = median_year.map_or("never".to_string(), |y| y.to_string());
                    let _ = writeln!(
                        out,
                        "  never {} ± {}   median year {median}",
                        percent_precise(*never),
                        percent_precise(*never_se)
                    );
                    let bars = format!("first year:{}", first_year_bars(by_year));
                    out.push_str(&wrap(&bars, "  ", WIDTH));
                }
            }
        }
    }
    out
}

/// Width of the terminal table.
const WIDTH: usize = 80;
const START_WIDTH: usize = 7;

/// Word-wraps `text` to `width` columns, each line starting with `indent`.
pub fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::from(indent);
    for word in text.split_whitespace() {
        let fits = line.chars().count() + 1 + word.chars().count() <= width;
        if line.len() > indent.len() && !fits {
            out.push_str(line.trim_end());
            out.push('\n');
            line = format!("{indent}  ");
        }
        if line.len() > indent.len() && !line.ends_with(' ') {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}
const CELL_WIDTH: usize = 18;
/// Longest actor or target label shown; longer ones are cut with `…` to keep 80 columns.
const MAX_LABEL: usize = 14;

fn fit(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL {
        label.to_string()
    } else {
        let cut: String = label.chars().take(MAX_LABEL - 1).collect();
        format!("{cut}…")
    }
}

/// A share as percentage points with one decimal, without the sign (the heading says %).
fn points_of(p: f64) -> String {
    if p.is_nan() {
        "–".to_string()
    } else {
        format!("{:.1}", p * 100.0)
    }
}

/// The start and up to three horizon years: multiples of five and the end.
pub fn report_points(scenario: &Scenario) -> Vec<(usize, i32)> {
    let per_year = scenario.step.per_year() as usize;
    let mut years: Vec<i32> = ((scenario.start + 1)..=scenario.end)
        .filter(|y| y % 5 == 0 || *y == scenario.end)
        .collect();
    while years.len() > 3 {
        // Thin evenly, always keeping the end.
        let keep: Vec<i32> = years.iter().rev().step_by(2).rev().copied().collect();
        years = keep;
    }
    std::iter::once(scenario.start)
        .chain(years)
        .map(|y| ((y - scenario.start) as usize * per_year, y))
        .collect()
}

/// Probability of first holding in each year, as `year:percent` pairs for the years that have any.
fn first_year_bars(by_year: &[crate::summary::YearProbability]) -> String {
    let mut out = String::new();
    for y in by_year.iter().filter(|y| y.probability > 0.0) {
        let _ = write!(out, " {}:{}", y.year, percent(y.probability));
    }
    if out.is_empty() {
        " none".to_string()
    } else {
        out
    }
}

fn percent(p: f64) -> String {
    if p.is_nan() {
        "–".to_string()
    } else {
        format!("{:.1}%", p * 100.0)
    }
}

fn percent_precise(p: f64) -> String {
    if p.is_nan() {
        "–".to_string()
    } else {
        format!("{:.2}%", p * 100.0)
    }
}

/// A standard error: two significant digits are all it can carry.
fn error(v: f64) -> String {
    // Rounding noise of a value that is the same in every run is no error at all.
    if !v.is_finite() || v.abs() < 1e-12 {
        return sig(if v.is_finite() { 0.0 } else { v });
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (1 - magnitude).max(0) as usize;
    format!("{v:.decimals$}")
}

/// Four significant digits, without exponent for everyday magnitudes.
fn sig(v: f64) -> String {
    if !v.is_finite() {
        return "–".to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let magnitude = v.abs().log10().floor() as i32;
    if (-4..6).contains(&magnitude) {
        let decimals = (3 - magnitude).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.3e}")
    }
}

pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
