//! Tidy CSV: one row per observation, for spreadsheets, R and pandas. Every text field is an
//! identifier (validated names, fixed statistic names), so no field needs quoting.

use std::fmt::Write as _;

use crate::engine::Outcome;
use crate::scenario::Scenario;
use crate::summary::{MetricResult, Summary};

/// `scenario,step,time,target,actor,statistic,value`: every series at every step.
pub fn series(summary: &Summary) -> String {
    let mut out = String::from("scenario,step,time,target,actor,statistic,value\n");
    let name = &summary.scenario.name;
    for series in &summary.series {
        for p in &series.points {
            for (statistic, value) in [
                ("mean", p.mean),
                ("se", p.se),
                ("p05", p.p05),
                ("p25", p.p25),
                ("p50", p.p50),
                ("p75", p.p75),
                ("p95", p.p95),
            ] {
                let _ = writeln!(
                    out,
                    "{name},{},{},{},{},{statistic},{}",
                    p.step,
                    p.time,
                    series.target,
                    series.actor,
                    number(value)
                );
            }
        }
    }
    out
}

/// `scenario,metric,kind,statistic,year,value`: every metric's summary statistics; `year` is
/// filled for the per-year probabilities of `first` metrics.
pub fn metrics(summary: &Summary) -> String {
    let mut out = String::from("scenario,metric,kind,statistic,year,value\n");
    let name = &summary.scenario.name;
    for metric in &summary.metrics {
        let mut row = |statistic: &str, year: Option<i32>, value: f64| {
            let year = year.map(|y| y.to_string()).unwrap_or_default();
            let _ = writeln!(
                out,
                "{name},{},{},{statistic},{year},{}",
                metric.name,
                metric.kind,
                number(value)
            );
        };
        match &metric.result {
            MetricResult::Number(d) => {
                for (statistic, value) in [
                    ("mean", d.mean),
                    ("se", d.se),
                    ("sd", d.sd),
                    ("min", d.min),
                    ("p05", d.p05),
                    ("p25", d.p25),
                    ("p50", d.p50),
                    ("p75", d.p75),
                    ("p95", d.p95),
                    ("max", d.max),
                    ("invalid_runs", d.invalid_runs as f64),
                ] {
                    row(statistic, None, value);
                }
            }
            MetricResult::Probability { probability, se } => {
                row("probability", None, *probability);
                row("se", None, *se);
            }
            MetricResult::FirstYear {
                never,
                never_se,
                by_year,
                ..
            } => {
                row("never", None, *never);
                row("never_se", None, *never_se);
                for y in by_year {
                    row("first_in_year", Some(y.year), y.probability);
                    row("by_year", Some(y.year), y.cumulative);
                }
            }
        }
    }
    out
}

/// `run,<param>...,<metric>...`: each run's parameter draws and metric values (a `first`
/// metric's "never" is written as `never`), for analyses of one's own.
pub fn runs(scenario: &Scenario, outcome: &Outcome) -> String {
    let mut out = String::from("run");
    for p in &scenario.params {
        out.push(',');
        out.push_str(&p.name);
    }
    for m in &scenario.metrics {
        out.push(',');
        out.push_str(&m.name);
    }
    out.push('\n');
    for run in 0..outcome.runs as usize {
        let _ = write!(out, "{run}");
        for values in &outcome.params {
            let _ = write!(out, ",{}", number(values[run]));
        }
        for (metric, values) in scenario.metrics.iter().zip(&outcome.metrics) {
            let v = values[run];
            if v.is_nan() && metric.kind == crate::scenario::MetricKind::First {
                out.push_str(",never");
            } else {
                let _ = write!(out, ",{}", number(v));
            }
        }
        out.push('\n');
    }
    out
}

/// Shortest round-tripping form; non-finite values as an empty field (missing).
fn number(v: f64) -> String {
    if v.is_finite() {
        v.to_string()
    } else {
        String::new()
    }
}
