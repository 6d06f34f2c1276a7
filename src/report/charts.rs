//! Charts as SVG text: fan charts of composite shares over time and the distribution of each
//! metric. Pure functions of the results; `run --out DIR` writes them under `DIR/charts/`.
//!
//! Colours are the Okabe–Ito palette, safe for the common colour-vision deficiencies; an actor
//! keeps its colour everywhere (its place in the scenario's list of actors), and autonomy is
//! always grey.

use std::fmt::Write as _;

use crate::scenario::Scenario;
use crate::summary::{MetricResult, Summary};

/// Okabe–Ito colours, in order, for the actors (autonomy is `AUTONOMY_COLOUR`).
pub const PALETTE: [&str; 7] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
];
pub const AUTONOMY_COLOUR: &str = "#7F7F7F";

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 190.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;

/// The colour of slot `s` (an actor's index, or the autonomy slot).
pub fn colour(scenario: &Scenario, slot: usize) -> &'static str {
    if slot >= scenario.actors.len() {
        AUTONOMY_COLOUR
    } else {
        PALETTE[slot % PALETTE.len()]
    }
}

/// Fan chart of one target's (or, with `target == targets.len()`, the region's) composite
/// shares: for each actor and autonomy, the 90 % band, the 50 % band and the median.
pub fn fan(scenario: &Scenario, summary: &Summary, target: usize) -> String {
    let n_slots = scenario.n_slots();
    let label = scenario
        .targets
        .get(target)
        .map_or("Region".to_string(), |t| t.label.clone());
    let series = &summary.series[target * n_slots..(target + 1) * n_slots];
    let top = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.p95))
        .fold(0.0, f64::max);
    let y_max = ((top * 10.0).ceil() / 10.0).clamp(0.1, 1.0);
    let (t0, t1) = (f64::from(scenario.start), f64::from(scenario.end));
    let x = |t: f64| LEFT + (t - t0) / (t1 - t0) * (WIDTH - LEFT - RIGHT);
    let y = |v: f64| TOP + (1.0 - v / y_max) * (HEIGHT - TOP - BOTTOM);
    let mut svg = open(&format!(
        "{label}: composite influence share — median, 50 % and 90 % bands"
    ));
    axes(&mut svg, t0, t1, y_max, &x, &y);
    for (s, line) in series.iter().enumerate() {
        let c = colour(scenario, s);
        let bands: [(Edge, Edge, f64); 2] =
            [(|p| p.p05, |p| p.p95, 0.15), (|p| p.p25, |p| p.p75, 0.3)];
        for (low, high, opacity) in bands {
            band(&mut svg, line, &x, &y, (low, high), c, opacity);
        }
        median(&mut svg, line, &x, &y, c, "2");
    }
    // Legend, in the order of the scenario.
    for s in 0..n_slots {
        let name = scenario
            .actors
            .get(s)
            .map_or("autonomy", |a| a.label.as_str());
        let ly = TOP + 10.0 + s as f64 * 22.0;
        let lx = WIDTH - RIGHT + 20.0;
        let _ = writeln!(
            svg,
            r#"<rect x="{lx}" y="{:.1}" width="14" height="14" fill="{}"/>"#,
            ly - 11.0,
            colour(scenario, s)
        );
        let short: String = if name.chars().count() > 20 {
            format!("{}…", name.chars().take(19).collect::<String>())
        } else {
            name.to_string()
        };
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{ly:.1}" font-size="13">{}</text>"#,
            lx + 20.0,
            escape(&short)
        );
    }
    close(svg)
}

/// The distribution of one metric over the runs: a histogram for numbers, bars by first year
/// with "never" for first-year metrics, the probability with its 95 % interval for conditions.
pub fn metric(summary: &Summary, values: &crate::engine::ValuesAccumulator, m: usize) -> String {
    let metric = &summary.metrics[m];
    let title = format!("{} ({})", metric.name, metric.kind);
    let mut svg = open(&title);
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
        MetricResult::Number(_) => histogram(&values.weighted()),
    };
    let top = bars.iter().map(|(_, p)| *p).fold(0.0, f64::max).max(1e-9);
    let width = (WIDTH - LEFT - 40.0) / bars.len().max(1) as f64;
    let y = |v: f64| TOP + (1.0 - v / top) * (HEIGHT - TOP - BOTTOM);
    let _ = writeln!(
        svg,
        r##"<line x1="{LEFT}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#333"/>"##,
        y(0.0),
        WIDTH - 40.0,
        y(0.0)
    );
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{:.1}" font-size="12" text-anchor="end">{:.0}%</text>"#,
        LEFT - 6.0,
        y(top) + 4.0,
        top * 100.0
    );
    let every = (bars.len() / 12).max(1);
    for (i, (label, p)) in bars.iter().enumerate() {
        let bx = LEFT + i as f64 * width;
        let fill = if label == "never" || label == "does not" {
            AUTONOMY_COLOUR
        } else {
            PALETTE[0]
        };
        let _ = writeln!(
            svg,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}"><title>{}: {:.1}%</title></rect>"#,
            bx + 1.0,
            y(*p),
            (width - 2.0).max(0.5),
            y(0.0) - y(*p),
            escape(label),
            p * 100.0
        );
        if i % every == 0 || label == "never" {
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">{}</text>"#,
                bx + width / 2.0,
                y(0.0) + 16.0,
                escape(label)
            );
        }
    }
    close(svg)
}

/// 30 equal bins between the smallest and largest finite value, as (label, share of runs).
/// 30 bars over [min, max] of the finite values, each with its multiplicity.
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
        return vec![(format!("{lo:.3}"), 1.0)];
    }
    let bins = 30;
    let mut counts = vec![0u64; bins];
    for (v, c) in weighted {
        counts[(((v - lo) / (hi - lo)) * bins as f64).min(bins as f64 - 1.0) as usize] += c;
    }
    let total: u64 = counts.iter().sum();
    counts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                format!("{:.3}", lo + (i as f64 + 0.5) * (hi - lo) / bins as f64),
                *c as f64 / total as f64,
            )
        })
        .collect()
}

/// Reads one edge of a band (a quantile) off a point.
type Edge = fn(&crate::summary::Point) -> f64;

/// A band between two quantiles of a series over time, as one closed path.
fn band(
    svg: &mut String,
    line: &crate::summary::Series,
    x: &dyn Fn(f64) -> f64,
    y: &dyn Fn(f64) -> f64,
    (low, high): (Edge, Edge),
    colour: &str,
    opacity: f64,
) {
    let mut d = String::new();
    for (i, p) in line.points.iter().enumerate() {
        let _ = write!(
            d,
            "{}{:.1},{:.1} ",
            if i == 0 { "M" } else { "L" },
            x(p.time),
            y(high(p))
        );
    }
    for p in line.points.iter().rev() {
        let _ = write!(d, "L{:.1},{:.1} ", x(p.time), y(low(p)));
    }
    let _ = writeln!(
        svg,
        r#"<path d="{d}Z" fill="{colour}" fill-opacity="{opacity}" stroke="none"/>"#
    );
}

/// A series' median over time as a line.
fn median(
    svg: &mut String,
    line: &crate::summary::Series,
    x: &dyn Fn(f64) -> f64,
    y: &dyn Fn(f64) -> f64,
    colour: &str,
    width: &str,
) {
    let points: Vec<String> = line
        .points
        .iter()
        .map(|p| format!("{:.1},{:.1}", x(p.time), y(p.p50)))
        .collect();
    let _ = writeln!(
        svg,
        r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="{width}"/>"#,
        points.join(" ")
    );
}

fn open(title: &str) -> String {
    open_sized(title, WIDTH, HEIGHT)
}

fn open_sized(title: &str, width: f64, height: f64) -> String {
    let mut svg = String::new();
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

fn close(mut svg: String) -> String {
    svg.push_str("</svg>\n");
    svg
}

fn axes(
    svg: &mut String,
    t0: f64,
    t1: f64,
    y_max: f64,
    x: &dyn Fn(f64) -> f64,
    y: &dyn Fn(f64) -> f64,
) {
    let steps = 5;
    for i in 0..=steps {
        let v = y_max * i as f64 / steps as f64;
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#ddd"/>"##,
            y(v),
            WIDTH - RIGHT,
            y(v)
        );
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{:.1}" font-size="12" text-anchor="end">{:.0}%</text>"#,
            LEFT - 6.0,
            y(v) + 4.0,
            v * 100.0
        );
    }
    let span = (t1 - t0).max(1.0);
    let every = if span > 20.0 {
        5.0
    } else if span > 8.0 {
        2.0
    } else {
        1.0
    };
    let mut year = (t0 / every).ceil() * every;
    while year <= t1 + 1e-9 {
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle">{year}</text>"#,
            x(year),
            HEIGHT - BOTTOM + 18.0
        );
        year += every;
    }
    let _ = writeln!(
        svg,
        r##"<line x1="{LEFT}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#333"/>"##,
        y(0.0),
        WIDTH - RIGHT,
        y(0.0)
    );
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Tornado chart: for each parameter, a bar from the metric at its 10th percentile to the
/// metric at its 90th, around the value with every parameter at its median; largest swing on top.
pub fn tornado(t: &crate::sensitivity::Tornado) -> String {
    let rows = t.bars.len().max(1) as f64;
    let height = (TOP + BOTTOM + rows * 26.0).max(160.0);
    let lo = t
        .bars
        .iter()
        .flat_map(|b| [b.at_low, b.at_high])
        .fold(t.base, f64::min);
    let hi = t
        .bars
        .iter()
        .flat_map(|b| [b.at_low, b.at_high])
        .fold(t.base, f64::max);
    let span = (hi - lo).max(1e-12);
    let (left, right) = (200.0, WIDTH - 40.0);
    let x = |v: f64| left + (v - lo) / span * (right - left);
    let mut svg = open_sized(
        &format!(
            "Tornado: {} (10th → 90th percentile of each parameter)",
            t.output
        ),
        WIDTH,
        height,
    );
    for (i, b) in t.bars.iter().enumerate() {
        let y = TOP + 10.0 + i as f64 * 26.0;
        let (a, c) = (x(b.at_low.min(b.at_high)), x(b.at_low.max(b.at_high)));
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end">{}</text>"#,
            left - 8.0,
            y + 13.0,
            escape(&b.param)
        );
        let _ = writeln!(
            svg,
            r#"<rect x="{a:.1}" y="{y:.1}" width="{:.1}" height="18" fill="{}"><title>{}: {:.4} → {:.4}</title></rect>"#,
            (c - a).max(0.5),
            PALETTE[0],
            escape(&b.param),
            b.at_low,
            b.at_high
        );
    }
    let _ = writeln!(
        svg,
        r##"<line x1="{:.1}" y1="{TOP}" x2="{:.1}" y2="{:.1}" stroke="#333" stroke-dasharray="4 3"/>"##,
        x(t.base),
        x(t.base),
        height - BOTTOM + 10.0
    );
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle">all at medians: {:.4} (the metric's value, every parameter drawn: {:.4})</text>"#,
        x(t.base),
        height - BOTTOM + 28.0,
        t.base,
        t.value
    );
    close(svg)
}

/// Sobol indices as bars (first-order, total) with their 95 % intervals as whiskers.
pub fn sobol(r: &crate::sensitivity::Indices) -> String {
    let mut inputs: Vec<_> = r.inputs.iter().collect();
    inputs.sort_by(|a, b| b.total.total_cmp(&a.total));
    let rows = inputs.len().max(1) as f64;
    let height = (TOP + BOTTOM + rows * 30.0).max(160.0);
    let (left, right) = (200.0, WIDTH - 40.0);
    let x = |v: f64| left + v.clamp(0.0, 1.0) * (right - left);
    let mut svg = open_sized(
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
            x(v),
            x(v),
            height - BOTTOM
        );
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">{v}</text>"#,
            x(v),
            height - BOTTOM + 16.0
        );
    }
    for (i, (label, fill)) in [("first-order", PALETTE[0]), ("total", PALETTE[1])]
        .iter()
        .enumerate()
    {
        let lx = 20.0 + i as f64 * 110.0;
        let _ = writeln!(
            svg,
            r#"<rect x="{lx}" y="{:.1}" width="12" height="12" fill="{fill}"/>"#,
            height - 22.0
        );
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="12">{label}</text>"#,
            lx + 16.0,
            height - 12.0
        );
    }
    for (i, input) in inputs.iter().enumerate() {
        let y = TOP + 6.0 + i as f64 * 30.0;
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end">{}</text>"#,
            left - 8.0,
            y + 15.0,
            escape(&input.input)
        );
        for (offset, value, low, high, fill) in [
            (
                0.0,
                input.first,
                input.first_low,
                input.first_high,
                PALETTE[0],
            ),
            (
                11.0,
                input.total,
                input.total_low,
                input.total_high,
                PALETTE[1],
            ),
        ] {
            let _ = writeln!(
                svg,
                r#"<rect x="{left}" y="{:.1}" width="{:.1}" height="10" fill="{fill}"/>"#,
                y + offset,
                x(value) - left
            );
            let _ = writeln!(
                svg,
                r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#222"/>"##,
                x(low),
                y + offset + 5.0,
                x(high),
                y + offset + 5.0
            );
        }
    }
    close(svg)
}

/// One compared quantity across scenarios: each scenario's median and 5–95 % range (numbers),
/// or its probability (conditions, and "never" for first-year metrics), the reference first.
pub fn compared(q: &crate::compare::Quantity) -> String {
    let rows = q.per_scenario.len().max(1) as f64;
    let height = (TOP + BOTTOM + rows * 30.0).max(160.0);
    let (left, right) = (200.0, WIDTH - 60.0);
    let probability = q.kind != "number";
    let value = |d: &crate::compare::Distribution| {
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
    let x = |v: f64| left + (v - lo) / (hi - lo) * (right - left);
    let what = match q.kind {
        "first_year" => "probability of never",
        "probability" => "probability",
        _ => "median and 5–95 %",
    };
    let mut svg = open_sized(&format!("{} — {what}", q.name), WIDTH, height);
    for (i, d) in q.per_scenario.iter().enumerate() {
        let y = TOP + 10.0 + i as f64 * 30.0;
        let fill = PALETTE[i % PALETTE.len()];
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end">{}</text>"#,
            left - 8.0,
            y + 12.0,
            escape(&d.scenario)
        );
        if probability {
            let v = value(d);
            let _ = writeln!(
                svg,
                r#"<rect x="{left}" y="{y:.1}" width="{:.1}" height="16" fill="{fill}"><title>{:.1}%</title></rect>"#,
                (x(v) - left).max(0.0),
                v * 100.0
            );
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" font-size="11">{:.1}%</text>"#,
                x(v) + 4.0,
                y + 12.0,
                v * 100.0
            );
        } else {
            let _ = writeln!(
                svg,
                r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{fill}" stroke-width="3"/>"#,
                x(d.p05),
                y + 8.0,
                x(d.p95),
                y + 8.0
            );
            let _ = writeln!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="5" fill="{fill}"><title>median {:.4}</title></circle>"#,
                x(d.p50),
                y + 8.0,
                d.p50
            );
        }
    }
    for v in [lo, (lo + hi) / 2.0, hi] {
        let label = if probability {
            format!("{:.0}%", v * 100.0)
        } else {
            format!("{v:.3}")
        };
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">{label}</text>"#,
            x(v),
            height - BOTTOM + 18.0
        );
    }
    close(svg)
}

/// Total Sobol indices over time: one line per input across the years of a series output.
pub fn sobol_over_time(results: &[crate::sensitivity::Indices]) -> String {
    let Some(first) = results.first() else {
        return close(open("no results"));
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
    let x = |t: f64| LEFT + (t - t0) / (t1 - t0) * (WIDTH - LEFT - RIGHT);
    let y = |v: f64| TOP + (1.0 - v.clamp(0.0, 1.0)) * (HEIGHT - TOP - BOTTOM);
    let label = first
        .output
        .rsplit_once('@')
        .map_or(first.output.as_str(), |(l, _)| l);
    let mut svg = open(&format!("Total Sobol indices of {label} over time"));
    axes(&mut svg, t0, t1, 1.0, &x, &y);
    // The inputs that matter somewhere, largest first; the rest would only clutter.
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
    for (k, &(i, _)) in inputs.iter().take(PALETTE.len()).enumerate() {
        let name = &first.inputs[i].input;
        let c = if name == crate::sensitivity::CHANCE {
            AUTONOMY_COLOUR
        } else {
            PALETTE[k % PALETTE.len()]
        };
        let points: Vec<String> = results
            .iter()
            .zip(&years)
            .map(|(r, t)| format!("{:.1},{:.1}", x(*t), y(r.inputs[i].total)))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline points="{}" fill="none" stroke="{c}" stroke-width="2"/>"#,
            points.join(" ")
        );
        let ly = TOP + 10.0 + k as f64 * 22.0;
        let lx = WIDTH - RIGHT + 20.0;
        let _ = writeln!(
            svg,
            r#"<rect x="{lx}" y="{:.1}" width="14" height="14" fill="{c}"/>"#,
            ly - 11.0
        );
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{ly:.1}" font-size="13">{}</text>"#,
            lx + 20.0,
            escape(name)
        );
    }
    close(svg)
}

/// Small multiples for several scenarios: one panel per actor (and autonomy) of a target (or
/// the region), each scenario's median over time with its 50 % band, in the scenario's colour.
pub fn overlay(scenario: &Scenario, summaries: &[&Summary], target: usize) -> String {
    let n_slots = scenario.n_slots();
    let label = scenario
        .targets
        .get(target)
        .map_or("Region".to_string(), |t| t.label.clone());
    let panels = n_slots;
    let columns = 3usize.min(panels);
    let rows = panels.div_ceil(columns);
    let (pw, ph) = (220.0, 170.0);
    let width = 30.0 + columns as f64 * pw;
    let height = 70.0 + rows as f64 * ph + 20.0 * summaries.len() as f64;
    let mut svg = open_sized(
        &format!("{label}: composite shares by scenario — median and 50 % band"),
        width,
        height,
    );
    let (t0, t1) = (f64::from(scenario.start), f64::from(scenario.end));
    for s in 0..n_slots {
        let (px, py) = (
            30.0 + (s % columns) as f64 * pw,
            50.0 + (s / columns) as f64 * ph,
        );
        let name = scenario
            .actors
            .get(s)
            .map_or("autonomy", |a| a.label.as_str());
        let top = summaries
            .iter()
            .flat_map(|sm| sm.series[target * n_slots + s].points.iter().map(|p| p.p75))
            .fold(0.0, f64::max);
        let y_max = ((top * 10.0).ceil() / 10.0).clamp(0.1, 1.0);
        let x = |t: f64| px + 10.0 + (t - t0) / (t1 - t0) * (pw - 30.0);
        let y = |v: f64| py + 20.0 + (1.0 - v / y_max) * (ph - 50.0);
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="12" font-weight="bold">{}</text>"#,
            px + 10.0,
            py + 12.0,
            escape(name)
        );
        let _ = writeln!(
            svg,
            r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#999"/>"##,
            x(t0),
            y(0.0),
            x(t1),
            y(0.0)
        );
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end">top {:.0}%</text>"#,
            px + pw - 20.0,
            py + 12.0,
            y_max * 100.0
        );
        for (k, sm) in summaries.iter().enumerate() {
            let c = PALETTE[k % PALETTE.len()];
            let line = &sm.series[target * n_slots + s];
            band(&mut svg, line, &x, &y, (|p| p.p25, |p| p.p75), c, 0.2);
            median(&mut svg, line, &x, &y, c, "1.8");
        }
    }
    for (k, sm) in summaries.iter().enumerate() {
        let ly = 50.0 + rows as f64 * ph + 14.0 + k as f64 * 20.0;
        let _ = writeln!(
            svg,
            r#"<rect x="40" y="{:.1}" width="14" height="14" fill="{}"/>"#,
            ly - 11.0,
            PALETTE[k % PALETTE.len()]
        );
        let _ = writeln!(
            svg,
            r#"<text x="60" y="{ly:.1}" font-size="13">{}</text>"#,
            escape(&sm.scenario.name)
        );
    }
    close(svg)
}
