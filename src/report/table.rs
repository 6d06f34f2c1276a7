//! The terminal summary: composite shares per target and the region at the start and a few
//! horizon years (median and 5–95 % interval), then every metric with its Monte Carlo error.
//! Fits 80 columns for up to four year columns.

use std::fmt::Write as _;

use crate::report::format::thousands;
use crate::report::format::{self, error, percent, points, significant};
use crate::report::text::{WIDTH, truncate, wrap};
use crate::scenario::Scenario;
use crate::summary::{MetricResult, Summary};

/// The terminal summary of one result.
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
    let reported = crate::summary::report_points(scenario);
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
    // A start that differs from run to run (an uncertain initial share) gets its interval too,
    // in slightly narrower columns so that four years still fit in 80.
    let uncertain_start = scenario.uncertain_start();
    let cell_width = if uncertain_start {
        CELL_WIDTH - 1
    } else {
        CELL_WIDTH
    };
    let start_width = if uncertain_start {
        cell_width
    } else {
        START_WIDTH
    };
    // Names give way to the numbers when every column has an interval: the table stays within
    // the terminal's 80 columns (actors' names shortened with "…").
    let columns: usize = reported
        .iter()
        .map(|&(point, _)| if point == 0 { start_width } else { cell_width })
        .sum();
    let name_width = name_width.min(WIDTH.saturating_sub(columns)).max(8);
    for (t, label) in labels.iter().enumerate() {
        let _ = writeln!(out);
        let mut header = format!(
            "{:<name_width$}",
            truncate(label, MAX_LABEL.min(name_width))
        );
        for &(point, year) in &reported {
            let width = if point == 0 { start_width } else { cell_width };
            let _ = write!(header, "{year:>width$}");
        }
        let _ = writeln!(out, "{}", header.trim_end());
        for s in 0..n_slots {
            let series = &summary.series[t * n_slots + s];
            let name = truncate(
                scenario
                    .actors
                    .get(s)
                    .map_or("autonomy", |a| a.label.as_str()),
                MAX_LABEL.min(name_width - 2),
            );
            let mut line = format!("  {name:<width$}", width = name_width - 2);
            for &(point, _) in &reported {
                let p = &series.points[point];
                if point == 0 && !uncertain_start {
                    let _ = write!(line, "{:>start_width$}", points(p.p50));
                } else {
                    let cell = format!("{} [{}–{}]", points(p.p50), points(p.p05), points(p.p95));
                    let _ = write!(line, "{cell:>cell_width$}");
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
                        significant(d.mean),
                        error(d.se),
                        significant(d.p50),
                        significant(d.p05),
                        significant(d.p95)
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
                        "  probability {}",
                        format::probability(*probability, *se, summary.runs)
                    );
                }
                MetricResult::Categorical {
                    categories,
                    undefined,
                } => {
                    let width = categories.iter().map(|c| c.name.chars().count()).max();
                    let width = width
                        .unwrap_or(0)
                        .max("none (not a number)".len() * usize::from(*undefined > 0.0));
                    for c in categories {
                        let _ = writeln!(
                            out,
                            "  {:<width$}  {}",
                            c.name,
                            format::probability(c.probability, c.se, summary.runs)
                        );
                    }
                    if *undefined > 0.0 {
                        let _ = writeln!(
                            out,
                            "  {:<width$}  {}",
                            "none (not a number)",
                            percent(*undefined, 1)
                        );
                    }
                }
                MetricResult::FirstYear {
                    never,
                    never_se,
                    median_year,
                    by_year,
                } => {
                    let mut line = String::from("  by");
                    for &(_, year) in reported.iter().skip(1) {
                        if let Some(y) = by_year.iter().find(|y| y.year == year) {
                            let _ = write!(line, " {year}: {}", percent(y.cumulative, 1));
                        }
                    }
                    let _ = writeln!(out, "{line}");
                    let median = median_year.map_or("never".to_string(), |y| y.to_string());
                    let _ = writeln!(
                        out,
                        "  never {}   median year {median}",
                        format::probability(*never, *never_se, summary.runs)
                    );
                    let bars = format!("first year:{}", first_year_bars(by_year));
                    out.push_str(&wrap(&bars, "  ", WIDTH));
                }
            }
        }
    }
    out
}

/// Width of the start column (one number) and of the others (median and interval).
const START_WIDTH: usize = 7;
const CELL_WIDTH: usize = 18;
/// Longest actor or target label shown; longer ones are cut with `…` to keep 80 columns.
const MAX_LABEL: usize = 14;

/// Probability of first holding in each year, as `year:percent` pairs for the years that have any.
fn first_year_bars(by_year: &[crate::summary::YearProbability]) -> String {
    let mut out = String::new();
    for y in by_year.iter().filter(|y| y.probability > 0.0) {
        let _ = write!(out, " {}:{}", y.year, percent(y.probability, 1));
    }
    if out.is_empty() {
        " none".to_string()
    } else {
        out
    }
}
