//! Fan chart: one target's (or the region's) composite shares over time — for each actor and
//! autonomy the 90 % band, the 50 % band and the median — with a legend in the scenario's order.

use super::palette::colour;
use super::svg::{
    BOTTOM, Band, HEIGHT, LEFT, Legend, RIGHT, Scale, Svg, TOP, WIDTH, band, median_line, time_axes,
};
use crate::report::text::truncate;
use crate::scenario::Scenario;
use crate::summary::Summary;

/// Longest legend label: the right margin holds about twenty characters.
const MAX_LABEL: usize = 20;

/// Fan chart of target `target`, or of the region with `target == targets.len()`.
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
    let x = Scale::new(t0, t1 - t0, LEFT, WIDTH - LEFT - RIGHT);
    let y = Scale::new(0.0, y_max, TOP, HEIGHT - TOP - BOTTOM).flipped();
    let mut svg = Svg::standard(&format!(
        "{label}: composite influence share — median, 50 % and 90 % bands"
    ));
    time_axes(&mut svg, &x, &y, (t0, t1), y_max);
    for (s, line) in series.iter().enumerate() {
        let c = colour(scenario, s);
        for (kind, opacity) in [(Band::Ninety, 0.15), (Band::Fifty, 0.3)] {
            band(&mut svg, line, (&x, &y), kind, c, opacity);
        }
        median_line(&mut svg, line, (&x, &y), c, "2");
    }
    for s in 0..n_slots {
        let name = scenario
            .actors
            .get(s)
            .map_or("autonomy", |a| a.label.as_str());
        Legend::BESIDE_PLOT.entry(&mut svg, s, colour(scenario, s), &truncate(name, MAX_LABEL));
    }
    svg.finish()
}
