//! `steppe compare`: paired differences against closed forms, a scenario against itself, and
//! the bundled alternatives against the baseline.

use std::path::Path;

use crate::common::{load, one_cell};
use steppe::compare::{Comparison, Order, Run, compare};
use steppe::engine::{RunConfig, simulate};

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// E[logistic(m + s·Z)] for standard normal Z, by the trapezoid rule on [−12, 12] (error far
/// below the Monte Carlo errors it is compared with).
fn mean_logistic_normal(m: f64, s: f64) -> f64 {
    let n = 24_000;
    let h = 24.0 / n as f64;
    (0..=n)
        .map(|i| {
            let z = -12.0 + i as f64 * h;
            let weight = if i == 0 || i == n { 0.5 } else { 1.0 };
            weight * logistic(m + s * z) * (-0.5 * z * z).exp()
        })
        .sum::<f64>()
        * h
        / (2.0 * std::f64::consts::PI).sqrt()
}

fn run_pair(a: &str, b: &str, runs: u64, years: &[i32]) -> Comparison {
    let (sa, sb) = (load(a), load(b));
    let points = |s: &steppe::Scenario| {
        years
            .iter()
            .map(|y| (y - s.start) as usize * s.step.per_year() as usize)
            .collect::<Vec<_>>()
    };
    let config_a = RunConfig {
        runs,
        seed: 21,
        tracked_points: points(&sa),
        ..RunConfig::from_scenario(&sa)
    };
    let config_b = RunConfig {
        tracked_points: points(&sb),
        ..config_a.clone()
    };
    let (oa, ob) = (simulate(&sa, &config_a), simulate(&sb, &config_b));
    let tracked: Vec<Option<usize>> = (0..years.len()).map(Some).collect();
    let runs = [
        Run {
            scenario: &sa,
            file: "a.toml".into(),
            outcome: &oa,
            tracked: tracked.clone(),
        },
        Run {
            scenario: &sb,
            file: "b.toml".into(),
            outcome: &ob,
            tracked,
        },
    ];
    compare(&runs, years, Order::File)
}

#[test]
fn a_raised_drift_shifts_the_mean_share_by_its_closed_form_and_pairing_narrows_the_interval() {
    // One actor, share 0.3 against a still autonomy, drift μ, volatility σ, T = 10 years: the
    // log-odds at T are logit(0.3) + μT + σ√T·Z. Raising the drift by δ shifts them by δT in
    // every run; the mean share moves by E[logistic(m + δT + sZ)] − E[logistic(m + sZ)].
    let (mu, delta, sigma, years) = (0.0, 0.03, 0.5, 10.0);
    let scenario = |drift: f64| {
        one_cell(
            "start = 2020\nend = 2030",
            &format!(
                "[[dynamics]]\nactors = [\"a\"]\ndrift = {drift}\nvolatility = {sigma}\n[metrics.end]\nkind = \"at\"\nexpr = 'share(\"t\", \"a\")'"
            ),
        )
    };
    let comparison = run_pair(&scenario(mu), &scenario(mu + delta), 20_000, &[2030]);
    let m = (0.3f64 / 0.7).ln() + mu * years;
    let s = sigma * years.sqrt();
    let expected = mean_logistic_normal(m + delta * years, s) - mean_logistic_normal(m, s);
    for name in ["end", "t:a@2030"] {
        let q = comparison
            .quantities
            .iter()
            .find(|q| q.name == name)
            .unwrap();
        let d = &q.differences[0];
        assert!(
            d.ci_low <= expected && expected <= d.ci_high,
            "{name}: [{}, {}] misses {expected}",
            d.ci_low,
            d.ci_high
        );
        assert!(
            d.pairing_gain.unwrap() > 5.0,
            "{name}: pairing gained only ×{:?}",
            d.pairing_gain
        );
        // Every run moved up: the drift is the only difference.
        assert_eq!(d.p_greater, 1.0);
    }
}

#[test]
fn a_scenario_compared_with_itself_differs_by_exactly_nothing() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/data/two_targets.toml"),
    )
    .unwrap();
    let comparison = run_pair(&text, &text, 2000, &[2025, 2030]);
    assert!(comparison.quantities.len() > 10);
    for q in &comparison.quantities {
        let d = &q.differences[0];
        assert_eq!(
            (d.difference, d.ci_low, d.ci_high, d.ks),
            (0.0, 0.0, 0.0, 0.0),
            "{}",
            q.name
        );
        assert!(d.w1.is_none_or(|w| w == 0.0), "{}", q.name);
        assert_eq!(d.p_greater, 0.0);
        assert!(d.median_year_shift.is_none_or(|s| s.is_none_or(|s| s == 0)));
    }
    assert!(comparison.only_in_some.is_empty());
}

#[test]
fn quantities_that_only_some_scenarios_have_are_listed_not_dropped() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/data/two_targets.toml"),
    )
    .unwrap();
    let fewer = text.replace("[metrics.russia_2030]", "[metrics.russia_2030_renamed]");
    let comparison = run_pair(&text, &fewer, 200, &[2030]);
    let names: Vec<&str> = comparison
        .only_in_some
        .iter()
        .map(|p| p.quantity.as_str())
        .collect();
    assert_eq!(names, ["russia_2030", "russia_2030_renamed"]);
    assert_eq!(comparison.only_in_some[0].present_in, ["t"]);
}

/// Runs `steppe compare --json` on bundled scenarios.
fn bundled(files: &[&str]) -> serde_json::Value {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let out = crate::common::command()
        .arg("compare")
        .args(files)
        .args(["--runs", "3000", "--json", "--quiet", "--years", "2035"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_alternatives_differ_from_the_baseline_in_the_direction_of_their_stories() {
    let files = [
        "baseline.toml",
        "russia_rebound.toml",
        "china_ascendant.toml",
        "middle_corridor.toml",
        "frozen_conflict.toml",
        "multivector_balance.toml",
    ];
    let json = bundled(&files);
    // (scenario, quantity, expected sign of scenario − baseline)
    let stories = [
        ("russia_rebound", "russia_kz_2035", 1.0),
        ("russia_rebound", "china_overtakes_russia_kz", 1.0), // more runs where China never overtakes
        ("russia_rebound", "coercion_ever", 1.0),
        ("china_ascendant", "leads_region_2035.china", 1.0),
        ("china_ascendant", "region:china@2035", 1.0),
        ("middle_corridor", "turkey_gain_region", 1.0),
        ("middle_corridor", "west_gain_region", 1.0),
        ("frozen_conflict", "russia_century_low", 1.0),
        ("multivector_balance", "kz_autonomy_2035", 1.0),
        ("multivector_balance", "leads_region_2035.china", -1.0),
    ];
    let quantities = json["quantities"].as_array().unwrap();
    for (scenario, name, sign) in stories {
        let q = quantities
            .iter()
            .find(|q| q["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing"));
        let d = q["differences"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["scenario"] == scenario)
            .unwrap();
        let (low, high) = (
            d["ci_low"].as_f64().unwrap(),
            d["ci_high"].as_f64().unwrap(),
        );
        // The whole 95 % interval lies on the side the story says.
        assert!(
            low * sign > 0.0 && high * sign > 0.0,
            "{scenario} {name}: [{low}, {high}] should be {}",
            if sign > 0.0 { "above 0" } else { "below 0" }
        );
    }
}

/// Runs `steppe compare` in a folder holding `files`; returns (exit code, stdout, stderr).
fn compare_files(files: &[(&str, &str)], args: &[&str]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let out = crate::common::command()
        .arg("compare")
        .args(args)
        .current_dir(dir.path())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn two_targets() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/data/two_targets.toml"),
    )
    .unwrap()
}

#[test]
fn repeated_years_are_compared_once_and_filled() {
    let text = two_targets();
    let (code, stdout, stderr) = compare_files(
        &[("a.toml", &text)],
        &[
            "a.toml",
            "a.toml",
            "--years",
            "2030,2030",
            "--runs",
            "300",
            "--json",
            "--quiet",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let shares: Vec<&serde_json::Value> = json["quantities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["source"] == "share")
        .collect();
    // 2 targets + region, 2 actors + autonomy, one year.
    assert_eq!(shares.len(), 9);
    assert!(
        shares
            .iter()
            .all(|q| q["per_scenario"][0]["mean"].as_f64().unwrap() > 0.0)
    );
}

#[test]
fn a_metric_that_is_not_a_number_in_some_runs_is_compared_on_the_others() {
    let text = two_targets().replace(
        "[metrics.shocked]",
        "[metrics.root]\nkind = \"at\"\nexpr = 'sqrt(share(\"kazakhstan\", \"china\") - 0.35)'\n[metrics.shocked]",
    );
    let (code, stdout, stderr) = compare_files(
        &[("a.toml", &text)],
        &["a.toml", "a.toml", "--runs", "400", "--json", "--quiet"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let root = json["quantities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "root")
        .unwrap();
    let invalid = root["invalid_runs"].as_u64().unwrap();
    assert!(invalid > 0 && invalid < 400, "{invalid}");
    assert_eq!(root["differences"][0]["difference"].as_f64(), Some(0.0));
}

#[test]
fn scenarios_over_different_years_are_not_compared() {
    let text = two_targets();
    let longer = text.replace("end = 2032", "end = 2040");
    let (code, _, stderr) = compare_files(
        &[("a.toml", &text), ("b.toml", &longer)],
        &["a.toml", "b.toml", "--runs", "100"],
    );
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains(
            "b.toml runs 2022–2040 by year, but the reference a.toml runs 2022–2032 by year"
        ),
        "{stderr}"
    );
    let (code, _, stderr) = compare_files(
        &[("a.toml", &text)],
        &["a.toml", "a.toml", "--years", "2050"],
    );
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("--years: 2050 is outside the scenarios' years 2022–2032"),
        "{stderr}"
    );
}

#[test]
fn an_at_metric_of_another_year_is_not_the_same_question() {
    let text = two_targets();
    let other_year = text.replace(
        "year = 2030\nexpr = 'share(\"kazakhstan\", \"russia\")'",
        "year = 2025\nexpr = 'share(\"kazakhstan\", \"russia\")'",
    );
    assert_ne!(text, other_year);
    let (code, stdout, stderr) = compare_files(
        &[("a.toml", &text), ("b.toml", &other_year)],
        &["a.toml", "b.toml", "--runs", "100", "--json", "--quiet"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        json["only_in_some"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["quantity"] == "russia_2030")
    );
}
