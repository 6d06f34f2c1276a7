//! Small multiples for several scenarios: one panel per actor (and autonomy) of a target or
//! the region, each scenario's median over time with its 50 % band in the scenario's colour,
//! and a legend of the scenarios below.

use std::fmt::Write as _;

use super::palette::scenario_colour;
use super::svg::{Band, Legend, Scale, Svg, band, escape, median_line};
use crate::report::format;
use crate::scenario::Scenario;
use crate::summary::Summary;

/// Size of a panel.
const PANEL_WIDTH: f64 = 220.0;
const PANEL_HEIGHT: f64 = 170.0;
/// Panels per row.
const COLUMNS: usize = 3;

/// The overlay of `summaries` (the reference first) for target `target`, or the region with
/// `target == targets.len()`.
pub fn overlay(scenario: &Scenario, summaries: &[&Summary], target: usize) -> String {
    let n_slots = scenario.n_slots();
    let label = scenario
        .targets
        .get(target)
        .map_or("Region".to_string(), |t| t.label.clone());
    let panels = n_slots;
    let columns = COLUMNS.min(panels);
    let rows = panels.div_ceil(columns);
    let (pw, ph) = (PANEL_WIDTH, PANEL_HEIGHT);
    let width = 30.0 + columns as f64 * pw;
    let height = 70.0 + rows as f64 * ph + 20.0 * summaries.len() as f64;
    let mut svg = Svg::new(
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
        let x = Scale::new(t0, t1 - t0, px + 10.0, pw - 30.0);
        let y = Scale::new(0.0, y_max, py + 20.0, ph - 50.0).flipped();
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
            x.at(t0),
            y.at(0.0),
            x.at(t1),
            y.at(0.0)
        );
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end">top {}</text>"#,
            px + pw - 20.0,
            py + 12.0,
            format::percent(y_max, 0)
        );
        for (k, sm) in summaries.iter().enumerate() {
            let c = scenario_colour(k);
            let line = &sm.series[target * n_slots + s];
            band(&mut svg, line, (&x, &y), Band::Fifty, c, 0.2);
            median_line(&mut svg, line, (&x, &y), c, "1.8");
        }
    }
    let legend = Legend {
        x: 40.0,
        top: 50.0 + rows as f64 * ph + 14.0,
        spacing: 20.0,
    };
    for (k, sm) in summaries.iter().enumerate() {
        legend.entry(&mut svg, k, scenario_colour(k), &sm.scenario.name);
    }
    svg.finish()
}
