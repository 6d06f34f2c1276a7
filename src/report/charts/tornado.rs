//! Tornado chart: for each parameter, a bar from the metric with the parameter at its 10th
//! percentile to the metric at its 90th, the others at their medians, around the value with
//! every parameter at its median; largest swing on top (the order of `Tornado::bars`).

use std::fmt::Write as _;

use super::palette::PRIMARY;
use super::svg::{BOTTOM, Scale, Svg, TOP, WIDTH, escape, row_label};
use crate::report::format;
use crate::sensitivity::Tornado;

/// Height of a row (a bar and the gap to the next).
const ROW: f64 = 26.0;
/// Where the bars start: the parameters' names take the room to the left.
const BARS_LEFT: f64 = 200.0;

/// The tornado chart of one analysis.
pub fn tornado(t: &Tornado) -> String {
    let rows = t.bars.len().max(1) as f64;
    let height = (TOP + BOTTOM + rows * ROW).max(160.0);
    let ends = || t.bars.iter().flat_map(|b| [b.at_low, b.at_high]);
    let lo = ends().fold(t.base, f64::min);
    let hi = ends().fold(t.base, f64::max);
    let span = (hi - lo).max(1e-12);
    let (left, right) = (BARS_LEFT, WIDTH - 40.0);
    let x = Scale::new(lo, span, left, right - left);
    let mut svg = Svg::new(
        &format!(
            "Tornado: {} (10th → 90th percentile of each parameter)",
            t.output
        ),
        WIDTH,
        height,
    );
    for (i, b) in t.bars.iter().enumerate() {
        let y = TOP + 10.0 + i as f64 * ROW;
        let (a, c) = (x.at(b.at_low.min(b.at_high)), x.at(b.at_low.max(b.at_high)));
        row_label(&mut svg, left - 8.0, y + 13.0, &b.param);
        let _ = writeln!(
            svg,
            r#"<rect x="{a:.1}" y="{y:.1}" width="{:.1}" height="18" fill="{PRIMARY}"><title>{}: {} → {}</title></rect>"#,
            (c - a).max(0.5),
            escape(&b.param),
            format::decimal(b.at_low),
            format::decimal(b.at_high)
        );
    }
    let _ = writeln!(
        svg,
        r##"<line x1="{:.1}" y1="{TOP}" x2="{:.1}" y2="{:.1}" stroke="#333" stroke-dasharray="4 3"/>"##,
        x.at(t.base),
        x.at(t.base),
        height - BOTTOM + 10.0
    );
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle">all at medians: {} (the metric's value, every parameter drawn: {})</text>"#,
        x.at(t.base),
        height - BOTTOM + 28.0,
        format::decimal(t.base),
        format::decimal(t.value)
    );
    svg.finish()
}
