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

/// A metric's headline number and its standard error: the mean of a number, the probability
/// of a condition, or for `first` the probability that it happens by the horizon.
fn headline(scenario: &Scenario, outcome: &Outcome, name: &str) -> (f64, f64) {
    let m = scenario
        .metrics
        .iter()
        .position(|m| m.name == name)
        .unwrap_or_else(|| panic!("{} lacks {name}", scenario.name));
    let values = &outcome.metrics[m];
    let indicator: Vec<f64> = match scenario.metrics[m].kind {
        MetricKind::First => values
            .iter()
            .map(|v| if v.is_nan() { 0.0 } else { 1.0 })
            .collect(),
        _ => values.clone(),
    };
    steppe::stats::mean_and_se(&indicator)
}

#[test]
fn every_alternative_differs_from_the_baseline_by_more_than_monte_carlo_error() {
    const HEADLINES: [&str; 5] = [
        "china_overtakes_russia_kz",
        "russia_kz_2035",
        "russia_century_low",
        "turkey_gain_region",
        "leads_region_2035_russia",
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
        // The largest difference in (unpaired) standard errors over the headline metrics.
        let z = HEADLINES
            .iter()
            .map(|name| {
                let (a, sa) = headline(&baseline, &base, name);
                let (b, sb) = headline(&alternative, &outcome, name);
                (b - a).abs() / (sa * sa + sb * sb).sqrt()
            })
            .fold(0.0, f64::max);
        assert!(
            z > 5.0,
            "{file}: headline metrics differ from the baseline's by at most {z:.1} standard errors"
        );
    }
    assert!(
        alternatives >= 4,
        "the library has {alternatives} alternatives"
    );
}
