//! The bundled scenario library: every alternative tells a story distinct from the baseline's,
//! by more than Monte Carlo error.

use std::path::Path;
use steppe::engine::{Outcome, RunConfig, simulate};
use steppe::scenario::{self, MetricKind, Scenario};

fn load(file: &str) -> Scenario {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    let mut read = |p: &str| std::fs::read_to_string(p).map_err(|e| e.to_string());
    let path = dir.join(file).display().to_string();
    scenario::load_with(&path, &text, &mut read).unwrap_or_else(|e| panic!("{e}"))
}

/// A metric's per-run headline values: the value of a number or condition, and for `first`
/// metrics whether it happens by the horizon (1) or not (0).
fn headline(scenario: &Scenario, outcome: &Outcome, name: &str) -> Vec<f64> {
    let m = scenario
        .metrics
        .iter()
        .position(|m| m.name == name)
        .unwrap_or_else(|| panic!("{} lacks {name}", scenario.name));
    let values = &outcome.metrics[m];
    match scenario.metrics[m].kind {
        MetricKind::First => values
            .iter()
            .map(|v| if v.is_nan() { 0.0 } else { 1.0 })
            .collect(),
        _ => values.clone(),
    }
}

#[test]
fn every_alternative_differs_from_the_baseline_by_more_than_monte_carlo_error() {
    const HEADLINES: [&str; 5] = [
        "china_overtakes_russia_kz",
        "russia_kz_2035",
        "russia_century_low",
        "turkey_gain_region",
        "leads_region_2035.russia",
    ];
    let baseline = load("baseline.toml");
    let config = RunConfig {
        runs: 2000,
        seed: 7,
        ..RunConfig::from_scenario(&baseline)
    };
    let base = simulate(&baseline, &config);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut alternatives = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().into_owned();
        if file == "baseline.toml" || !file.ends_with(".toml") {
            continue;
        }
        alternatives += 1;
        let alternative = load(&file);
        assert_eq!(
            alternative
                .extends
                .as_deref()
                .map(|p| p.ends_with("baseline.toml")),
            Some(true),
            "{file} should extend the baseline"
        );
        let outcome = simulate(&alternative, &config);
        // Run by run (common random numbers), the difference of each headline metric in
        // standard errors of the paired difference; most headline metrics must move clearly.
        let z: Vec<f64> = HEADLINES
            .iter()
            .map(|name| {
                let p = steppe::stats::paired(
                    &headline(&baseline, &base, name),
                    &headline(&alternative, &outcome, name),
                );
                p.difference.abs() / p.se_paired
            })
            .collect();
        let clear = z.iter().filter(|z| **z > 3.0).count();
        assert!(
            clear >= 3,
            "{file}: only {clear} of the headline metrics differ from the baseline by more than 3 standard errors: {z:.1?}"
        );
    }
    assert!(
        alternatives >= 4,
        "the library has {alternatives} alternatives"
    );
}
