//! The distribution of one metric over the runs, as bars: a histogram for numbers, a bar per
//! first year and one for "never" for first-year metrics, "holds" and "does not" for
//! conditions, one per category for leader metrics.

use std::fmt::Write as _;

use super::palette::{NEUTRAL, PRIMARY};
use super::svg::{
    BOTTOM, HEIGHT, LEFT, Scale, Svg, TOP, WIDTH, escape, x_label, y_label, zero_line,
};
use crate::engine::ValuesAccumulator;
use crate::report::format;
use crate::summary::{MetricResult, Summary};

/// Bars of a histogram of a number.
const BINS: usize = 30;
/// At most this many bar labels; between them, bars go unlabelled.
const MAX_LABELS: usize = 12;

/// The chart of metric `m`, whose per-run values are `values`.
pub fn metric(summary: &Summary, values: &ValuesAccumulator, m: usize) -> String {
    let metric = &summary.metrics[m];
    let mut svg = Svg::standard(&format!("{} ({})", metric.name, metric.kind));
    let bars: Vec<(String, f64)> = match &metric.result {
        MetricResult::FirstYear { never, by_year, .. } => {
            let mut bars: Vec<(String, f64)> = by_year
                .iter()
                .map(|y| (y.year.to_string(), y.probability))
                .collect();
            bars.push(("never".to_string(), *never));
            bars
        }
        MetricResult::Probability { probability, .. } => vec![
            ("holds".to_string(), *probability),
            ("does not".to_string(), 1.0 - probability),
        ],
        MetricResult::Categorical {
            categories,
            undefined,
        } => {
            let mut bars: Vec<(String, f64)> = categories
                .iter()
                .map(|c| (c.name.clone(), c.probability))
                .collect();
            if *undefined > 0.0 {
                bars.push(("none".to_string(), *undefined));
            }
            bars
        }
        MetricResult::Number(_) => histogram(&values.weighted()),
    };
    let top = bars.iter().map(|(_, p)| *p).fold(0.0, f64::max).max(1e-9);
    let width = (WIDTH - LEFT - 40.0) / bars.len().max(1) as f64;
    let y = Scale::new(0.0, top, TOP, HEIGHT - TOP - BOTTOM).flipped();
    zero_line(&mut svg, WIDTH - 40.0, y.at(0.0));
    y_label(&mut svg, y.at(top), &format::percent(top, 0));
    let every = (bars.len() / MAX_LABELS).max(1);
    for (i, (label, p)) in bars.iter().enumerate() {
        let bx = LEFT + i as f64 * width;
        // "None of these" bars are grey, like autonomy.
        let fill = if label == "never" || label == "does not" || label == "none" {
            NEUTRAL
        } else {
            PRIMARY
        };
        let _ = writeln!(
            svg,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}"><title>{}: {}</title></rect>"#,
            bx + 1.0,
            y.at(*p),
            (width - 2.0).max(0.5),
            y.at(0.0) - y.at(*p),
            escape(label),
            format::percent(*p, 1)
        );
        if i % every == 0 || label == "never" {
            x_label(&mut svg, bx + width / 2.0, y.at(0.0) + 16.0, label);
        }
    }
    svg.finish()
}

/// [`BINS`] equal bins over [min, max] of the finite values, each with its multiplicity, as
/// (the bin's centre, share of runs).
fn histogram(weighted: &[(f64, u64)]) -> Vec<(String, f64)> {
    let (lo, hi) = weighted
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (v, _)| {
            (a.min(*v), b.max(*v))
        });
    if weighted.is_empty() {
        return Vec::new();
    }
    if hi <= lo {
        return vec![(format::fixed(lo, 3), 1.0)];
    }
    let mut counts = vec![0u64; BINS];
    for (v, c) in weighted {
        counts[(((v - lo) / (hi - lo)) * BINS as f64).min(BINS as f64 - 1.0) as usize] += c;
    }
    let total: u64 = counts.iter().sum();
    counts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                format::fixed(lo + (i as f64 + 0.5) * (hi - lo) / BINS as f64, 3),
                *c as f64 / total as f64,
            )
        })
        .collect()
}
