//! One compared quantity across scenarios, a row per scenario (the reference first): the
//! median and 5–95 % range of a number, or the probability of a condition (of "never" for a
//! first-year metric) as a bar.

use std::fmt::Write as _;

use super::palette::scenario_colour;
use super::svg::{BOTTOM, Scale, Svg, TOP, WIDTH, row_label, x_label};
use crate::compare::{Distribution, Quantity};
use crate::report::format;

/// Height of a row (a mark and the gap to the next).
const ROW: f64 = 30.0;
/// Where the marks start: the scenarios' names take the room to the left.
const MARKS_LEFT: f64 = 200.0;

/// The chart of quantity `q` of a comparison.
pub fn compared(q: &Quantity) -> String {
    let rows = q.per_scenario.len().max(1) as f64;
    let height = (TOP + BOTTOM + rows * ROW).max(160.0);
    let (left, right) = (MARKS_LEFT, WIDTH - 60.0);
    let probability = q.kind != "number";
    let value = |d: &Distribution| {
        if q.kind == "first_year" {
            d.never.unwrap_or(f64::NAN)
        } else {
            d.mean
        }
    };
    let (lo, hi) = if probability {
        (0.0, 1.0)
    } else {
        let lo = q
            .per_scenario
            .iter()
            .map(|d| d.p05)
            .fold(f64::INFINITY, f64::min);
        let hi = q
            .per_scenario
            .iter()
            .map(|d| d.p95)
            .fold(f64::NEG_INFINITY, f64::max);
        (lo, if hi > lo { hi } else { lo + 1e-9 })
    };
    let x = Scale::new(lo, hi - lo, left, right - left);
    let what = match q.kind {
        "first_year" => "probability of never",
        "probability" => "probability",
        _ => "median and 5–95 %",
    };
    let mut svg = Svg::new(&format!("{} — {what}", q.name), WIDTH, height);
    for (i, d) in q.per_scenario.iter().enumerate() {
        let y = TOP + 10.0 + i as f64 * ROW;
        let fill = scenario_colour(i);
        row_label(&mut svg, left - 8.0, y + 12.0, &d.scenario);
        if probability {
            let v = value(d);
            let _ = writeln!(
                svg,
                r#"<rect x="{left}" y="{y:.1}" width="{:.1}" height="16" fill="{fill}"><title>{}</title></rect>"#,
                (x.at(v) - left).max(0.0),
                format::percent(v, 1)
            );
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" font-size="11">{}</text>"#,
                x.at(v) + 4.0,
                y + 12.0,
                format::percent(v, 1)
            );
        } else {
            let _ = writeln!(
                svg,
                r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{fill}" stroke-width="3"/>"#,
                x.at(d.p05),
                y + 8.0,
                x.at(d.p95),
                y + 8.0
            );
            let _ = writeln!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="5" fill="{fill}"><title>median {}</title></circle>"#,
                x.at(d.p50),
                y + 8.0,
                format::decimal(d.p50)
            );
        }
    }
    for v in [lo, (lo + hi) / 2.0, hi] {
        let label = if probability {
            format::percent(v, 0)
        } else {
            format::fixed(v, 3)
        };
        x_label(&mut svg, x.at(v), height - BOTTOM + 18.0, &label);
    }
    svg.finish()
}
