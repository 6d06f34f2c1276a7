//! The SVG pieces every chart shares: the document and its title, the standard frame, linear
//! scales, axes and their ticks and labels, legends, and the marks of a series over time (bands
//! and median lines). A chart composes these and draws only what is its own; colours come from
//! `palette.rs`, numbers as text from `report::format`.
//!
//! Coordinates are written with one decimal (`{:.1}`) and constants of the frame as they are
//! (`{}`): the snapshot tests hold the bytes, so a piece keeps the notation it was written in.

use std::fmt::Write as _;

use crate::report::format;
use crate::summary::{Point, Series};

/// The standard chart: its size, and the margins around the plot (the right one holds the
/// legend).
pub(super) const WIDTH: f64 = 720.0;
pub(super) const HEIGHT: f64 = 420.0;
pub(super) const LEFT: f64 = 60.0;
pub(super) const RIGHT: f64 = 190.0;
pub(super) const TOP: f64 = 40.0;
pub(super) const BOTTOM: f64 = 50.0;

/// An SVG document being written. Charts write their own elements into it with `write!`.
pub(super) struct Svg {
    text: String,
}

impl Svg {
    /// A `width` × `height` document on white, with `title` as its accessible name and as a
    /// heading at the top left.
    pub(super) fn new(title: &str, width: f64, height: f64) -> Svg {
        let mut svg = Svg {
            text: String::new(),
        };
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" font-family="sans-serif" role="img">"#
        );
        let _ = writeln!(svg, "<title>{}</title>", escape(title));
        let _ = writeln!(
            svg,
            r#"<rect width="{width}" height="{height}" fill="white"/>"#
        );
        let _ = writeln!(
            svg,
            r#"<text x="{LEFT}" y="24" font-size="15" font-weight="bold">{}</text>"#,
            escape(title)
        );
        svg
    }

    /// A document of the standard size.
    pub(super) fn standard(title: &str) -> Svg {
        Svg::new(title, WIDTH, HEIGHT)
    }

    /// The finished document.
    pub(super) fn finish(mut self) -> String {
        self.text.push_str("</svg>\n");
        self.text
    }
}

impl std::fmt::Write for Svg {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.text.push_str(s);
        Ok(())
    }
}

/// Text made safe for SVG content and attribute values.
pub(super) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A linear map from data values to SVG coordinates: `lo ..= lo + span` onto
/// `start ..= start + length`, or — flipped, for a y axis that grows upwards — onto
/// `start + length ..= start`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Scale {
    lo: f64,
    span: f64,
    start: f64,
    length: f64,
    flipped: bool,
    clamped: bool,
}

impl Scale {
    pub(super) fn new(lo: f64, span: f64, start: f64, length: f64) -> Scale {
        Scale {
            lo,
            span,
            start,
            length,
            flipped: false,
            clamped: false,
        }
    }

    /// The same scale with its direction reversed (for y: larger values higher up).
    pub(super) fn flipped(self) -> Scale {
        Scale {
            flipped: true,
            ..self
        }
    }

    /// The same scale, drawing a value outside its domain at the nearer end (an index or a
    /// share that sampling noise pushes past [0, 1]).
    pub(super) fn clamped(self) -> Scale {
        Scale {
            clamped: true,
            ..self
        }
    }

    /// Where `v` is drawn.
    pub(super) fn at(&self, v: f64) -> f64 {
        let v = if self.clamped {
            v.clamp(self.lo, self.lo + self.span)
        } else {
            v
        };
        let fraction = (v - self.lo) / self.span;
        if self.flipped {
            self.start + (1.0 - fraction) * self.length
        } else {
            self.start + fraction * self.length
        }
    }
}

/// Ticks at 0, ⅕, …, 1 of `max`.
pub(super) fn fifths(max: f64) -> Vec<f64> {
    let steps = 5;
    (0..=steps).map(|i| max * i as f64 / steps as f64).collect()
}

/// Calendar years to label between `t0` and `t1`: every year, every second, or every fifth,
/// so that about ten or fewer are shown.
pub(super) fn year_ticks(t0: f64, t1: f64) -> Vec<f64> {
    let span = (t1 - t0).max(1.0);
    let every = if span > 20.0 {
        5.0
    } else if span > 8.0 {
        2.0
    } else {
        1.0
    };
    let mut ticks = Vec::new();
    let mut year = (t0 / every).ceil() * every;
    while year <= t1 + 1e-9 {
        ticks.push(year);
        year += every;
    }
    ticks
}

/// The axes of a share over time in the standard frame: grid lines with percentages at
/// fifths of `y_max`, the years along the bottom, and the zero line.
pub(super) fn time_axes(svg: &mut Svg, x: &Scale, y: &Scale, (t0, t1): (f64, f64), y_max: f64) {
    for v in fifths(y_max) {
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#ddd"/>"##,
            y.at(v),
            WIDTH - RIGHT,
            y.at(v)
        );
        y_label(svg, y.at(v), &format::percent(v, 0));
    }
    for year in year_ticks(t0, t1) {
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle">{}</text>"#,
            x.at(year),
            HEIGHT - BOTTOM + 18.0,
            format::exact(year)
        );
    }
    zero_line(svg, WIDTH - RIGHT, y.at(0.0));
}

/// The x axis at height `y`, from the left margin to `x_end`.
pub(super) fn zero_line(svg: &mut Svg, x_end: f64, y: f64) {
    let _ = writeln!(
        svg,
        r##"<line x1="{LEFT}" y1="{y:.1}" x2="{x_end:.1}" y2="{y:.1}" stroke="#333"/>"##
    );
}

/// A label of the y axis at height `y`, right-aligned in the left margin.
pub(super) fn y_label(svg: &mut Svg, y: f64, text: &str) {
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{:.1}" font-size="12" text-anchor="end">{}</text>"#,
        LEFT - 6.0,
        y + 4.0,
        escape(text)
    );
}

/// A label under the x axis, centred on `x`.
pub(super) fn x_label(svg: &mut Svg, x: f64, y: f64, text: &str) {
    let _ = writeln!(
        svg,
        r#"<text x="{x:.1}" y="{y:.1}" font-size="11" text-anchor="middle">{}</text>"#,
        escape(text)
    );
}

/// The name of a row of a bar chart, right-aligned so that it ends at `x`.
pub(super) fn row_label(svg: &mut Svg, x: f64, y: f64, text: &str) {
    let _ = writeln!(
        svg,
        r#"<text x="{x:.1}" y="{y:.1}" font-size="12" text-anchor="end">{}</text>"#,
        escape(text)
    );
}

/// A column of legend entries — a 14-px swatch and its label — the first at `top`, one every
/// `spacing`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Legend {
    pub(super) x: f64,
    pub(super) top: f64,
    pub(super) spacing: f64,
}

impl Legend {
    /// The legend in the right margin of the standard frame.
    pub(super) const BESIDE_PLOT: Legend = Legend {
        x: WIDTH - RIGHT + 20.0,
        top: TOP + 10.0,
        spacing: 22.0,
    };

    /// Entry `index`. Entries are written one at a time, so a chart can draw each series and
    /// its entry together.
    pub(super) fn entry(&self, svg: &mut Svg, index: usize, colour: &str, label: &str) {
        let y = self.top + index as f64 * self.spacing;
        let _ = writeln!(
            svg,
            r#"<rect x="{}" y="{:.1}" width="14" height="14" fill="{colour}"/>"#,
            self.x,
            y - 11.0
        );
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{y:.1}" font-size="13">{}</text>"#,
            self.x + 20.0,
            escape(label)
        );
    }
}

/// A row of small legend entries (a 12-px swatch and its label) at the bottom of a chart
/// `height` high, for the kinds of bar a chart draws.
/// A line of explanatory text (a caption or the reason a chart is empty) at (`x`, `y`).
pub(super) fn note(svg: &mut Svg, x: f64, y: f64, text: &str) {
    let _ = writeln!(
        svg,
        r##"<text x="{x:.1}" y="{y:.1}" font-size="13" fill="#444">{}</text>"##,
        escape(text)
    );
}

pub(super) fn key_row(svg: &mut Svg, height: f64, entries: &[(&str, &str)]) {
    for (i, (label, colour)) in entries.iter().enumerate() {
        let x = 20.0 + i as f64 * 110.0;
        let _ = writeln!(
            svg,
            r#"<rect x="{x}" y="{:.1}" width="12" height="12" fill="{colour}"/>"#,
            height - 22.0
        );
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="12">{}</text>"#,
            x + 16.0,
            height - 12.0,
            escape(label)
        );
    }
}

/// The quantiles a band spans.
#[derive(Debug, Clone, Copy)]
pub(super) enum Band {
    /// 5 % to 95 %.
    Ninety,
    /// 25 % to 75 %.
    Fifty,
}

impl Band {
    fn edges(self, p: &Point) -> (f64, f64) {
        match self {
            Band::Ninety => (p.p05, p.p95),
            Band::Fifty => (p.p25, p.p75),
        }
    }
}

/// A band between two quantiles of a series over time, as one closed path.
pub(super) fn band(
    svg: &mut Svg,
    line: &Series,
    (x, y): (&Scale, &Scale),
    band: Band,
    colour: &str,
    opacity: f64,
) {
    let mut d = String::new();
    for (i, p) in line.points.iter().enumerate() {
        let _ = write!(
            d,
            "{}{:.1},{:.1} ",
            if i == 0 { "M" } else { "L" },
            x.at(p.time),
            y.at(band.edges(p).1)
        );
    }
    for p in line.points.iter().rev() {
        let _ = write!(d, "L{:.1},{:.1} ", x.at(p.time), y.at(band.edges(p).0));
    }
    let _ = writeln!(
        svg,
        r#"<path d="{d}Z" fill="{colour}" fill-opacity="{opacity}" stroke="none"/>"#
    );
}

/// A line through `(x, y)` points.
pub(super) fn polyline(
    svg: &mut Svg,
    points: impl Iterator<Item = (f64, f64)>,
    colour: &str,
    width: &str,
) {
    let points: Vec<String> = points.map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
    let _ = writeln!(
        svg,
        r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="{width}"/>"#,
        points.join(" ")
    );
}

/// A series' median over time as a line.
pub(super) fn median_line(
    svg: &mut Svg,
    line: &Series,
    (x, y): (&Scale, &Scale),
    colour: &str,
    width: &str,
) {
    polyline(
        svg,
        line.points.iter().map(|p| (x.at(p.time), y.at(p.p50))),
        colour,
        width,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scale_maps_its_domain_onto_its_range() {
        let x = Scale::new(2020.0, 10.0, 60.0, 470.0);
        assert_eq!(x.at(2020.0), 60.0);
        assert_eq!(x.at(2030.0), 530.0);
        let y = Scale::new(0.0, 0.5, 40.0, 330.0).flipped();
        assert_eq!(y.at(0.0), 370.0);
        assert_eq!(y.at(0.5), 40.0);
        let clamped = Scale::new(0.0, 1.0, 0.0, 100.0).clamped();
        assert_eq!(clamped.at(1.2), 100.0);
        assert_eq!(clamped.at(-0.1), 0.0);
    }

    #[test]
    fn year_ticks_thin_out_over_long_horizons() {
        assert_eq!(year_ticks(2022.0, 2026.0).len(), 5);
        assert_eq!(
            year_ticks(2022.0, 2035.0),
            [2022.0, 2024.0, 2026.0, 2028.0, 2030.0, 2032.0, 2034.0]
        );
        assert_eq!(year_ticks(2022.0, 2050.0)[0], 2025.0);
    }

    #[test]
    fn a_document_is_closed_once() {
        let svg = Svg::standard("a < b").finish();
        assert!(svg.starts_with("<svg "));
        assert!(svg.contains("<title>a &lt; b</title>"));
        assert!(svg.ends_with("</svg>\n"));
    }
}
