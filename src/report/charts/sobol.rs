//! Sobol indices: for one output, each input's first-order and total index as bars with their
//! 95 % intervals as whiskers; over time, each input's total index as a line across the years.

use std::fmt::Write as _;

use super::palette::{NEUTRAL, PRIMARY, SECONDARY, series_colour};
use super::svg::{
    BOTTOM, HEIGHT, LEFT, Legend, RIGHT, Scale, Svg, TOP, WIDTH, key_row, note, polyline,
    row_label, time_axes, x_label,
};
use crate::report::format;
use crate::sensitivity::{CHANCE, Indices};

/// Why an output that never varies has no indices.
const UNDEFINED: &str = "Undefined: the output takes the same value in every run,";

/// Height of a row (two bars and the gap to the next).
const ROW: f64 = 30.0;
/// Where the bars start: the inputs' names take the room to the left.
const BARS_LEFT: f64 = 200.0;
/// Lines drawn over time: the inputs that matter most; the rest would only clutter.
const MAX_LINES: usize = super::palette::PALETTE.len();

/// First-order and total indices of one analysis, inputs by total index, largest first.
pub fn sobol(r: &Indices) -> String {
    if r.undefined() {
        let mut svg = Svg::new(&format!("Sobol indices: {}", r.output), WIDTH, 160.0);
        note(&mut svg, LEFT, 70.0, UNDEFINED);
        note(
            &mut svg,
            LEFT,
            92.0,
            "so there is no variance to apportion among the inputs",
        );
        return svg.finish();
    }
    // The parameters and chance by total index, then chance's sources under a heading row.
    let (main, sources, groups) = r.split();
    let by_total = |list: &[crate::sensitivity::Index]| {
        let mut list = list.to_vec();
        list.sort_by(|a, b| b.total.total_cmp(&a.total));
        list
    };
    let mut inputs: Vec<Option<crate::sensitivity::Index>> =
        by_total(main).into_iter().map(Some).collect();
    for part in [sources, groups] {
        if !part.is_empty() {
            inputs.push(None);
            inputs.extend(by_total(part).into_iter().map(Some));
        }
    }
    let rows = inputs.len().max(1) as f64;
    let height = (TOP + BOTTOM + rows * ROW).max(160.0);
    let (left, right) = (BARS_LEFT, WIDTH - 40.0);
    let x = Scale::new(0.0, 1.0, left, right - left).clamped();
    let mut svg = Svg::new(
        &format!(
            "Sobol indices: {} (first-order, total; 95 % intervals)",
            r.output
        ),
        WIDTH,
        height,
    );
    for v in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = writeln!(
            svg,
            r##"<line x1="{:.1}" y1="{TOP}" x2="{:.1}" y2="{:.1}" stroke="#ddd"/>"##,
            x.at(v),
            x.at(v),
            height - BOTTOM
        );
        x_label(&mut svg, x.at(v), height - BOTTOM + 16.0, &format::exact(v));
    }
    key_row(
        &mut svg,
        height,
        &[("first-order", PRIMARY), ("total", SECONDARY)],
    );
    for (i, input) in inputs.iter().enumerate() {
        let y = TOP + 6.0 + i as f64 * ROW;
        let Some(input) = input else {
            // A heading: the next row says which part follows.
            let next = inputs.get(i + 1).and_then(Option::as_ref);
            let heading = if next.is_some_and(|n| groups.iter().any(|g| g.input == n.input)) {
                "groups of parameters, each swapped together:"
            } else {
                "chance, source by source:"
            };
            note(&mut svg, 20.0, y + 15.0, heading);
            continue;
        };
        let label = if sources.iter().chain(groups).any(|s| s.input == input.input) {
            format!("· {}", input.input)
        } else {
            input.input.clone()
        };
        row_label(&mut svg, left - 8.0, y + 15.0, &label);
        for (offset, value, low, high, fill) in [
            (0.0, input.first, input.first_low, input.first_high, PRIMARY),
            (
                11.0,
                input.total,
                input.total_low,
                input.total_high,
                SECONDARY,
            ),
        ] {
            let _ = writeln!(
                svg,
                r#"<rect x="{left}" y="{:.1}" width="{:.1}" height="10" fill="{fill}"/>"#,
                y + offset,
                x.at(value) - left
            );
            let _ = writeln!(
                svg,
                r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#222"/>"##,
                x.at(low),
                y + offset + 5.0,
                x.at(high),
                y + offset + 5.0
            );
        }
    }
    svg.finish()
}

/// Total indices over time: one line per input across the years of a series output (each
/// analysis's output is `NAME@YEAR`), the inputs that matter most somewhere.
pub fn sobol_over_time(results: &[Indices]) -> String {
    let Some(first) = results.first() else {
        return Svg::standard("no results").finish();
    };
    let years: Vec<f64> = results
        .iter()
        .map(|r| {
            r.output
                .rsplit('@')
                .next()
                .and_then(|y| y.parse().ok())
                .unwrap_or(0.0)
        })
        .collect();
    let (t0, t1) = (years[0], years[years.len() - 1].max(years[0] + 1.0));
    let x = Scale::new(t0, t1 - t0, LEFT, WIDTH - LEFT - RIGHT);
    let y = Scale::new(0.0, 1.0, TOP, HEIGHT - TOP - BOTTOM)
        .flipped()
        .clamped();
    let label = first
        .output
        .rsplit_once('@')
        .map_or(first.output.as_str(), |(l, _)| l);
    let mut svg = Svg::standard(&format!("Total Sobol indices of {label} over time"));
    time_axes(&mut svg, &x, &y, (t0, t1), 1.0);
    // Each input's largest total index over the years, largest first.
    let mut inputs: Vec<(usize, f64)> = (0..first.inputs.len())
        .map(|i| {
            (
                i,
                results
                    .iter()
                    .map(|r| r.inputs[i].total)
                    .fold(0.0, f64::max),
            )
        })
        .collect();
    inputs.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (k, &(i, _)) in inputs.iter().take(MAX_LINES).enumerate() {
        let name = &first.inputs[i].input;
        let c = if name == CHANCE {
            NEUTRAL
        } else {
            series_colour(k)
        };
        // A year whose output does not vary has no index: the line breaks there.
        let points: Vec<Option<(f64, f64)>> = results
            .iter()
            .zip(&years)
            .map(|(r, t)| {
                let v = r.inputs[i].total;
                v.is_finite().then(|| (x.at(*t), y.at(v)))
            })
            .collect();
        for segment in points.split(Option::is_none) {
            polyline(&mut svg, segment.iter().flatten().copied(), c, "2");
        }
        Legend::BESIDE_PLOT.entry(&mut svg, k, c, name);
    }
    if results.iter().any(Indices::undefined) {
        note(
            &mut svg,
            LEFT,
            HEIGHT - 8.0,
            "gaps: years in which the output takes the same value in every run (no index)",
        );
    }
    svg.finish()
}
