//! `steppe sweep`: grid points share their random numbers, and each point is right.

use crate::common::one_cell;

fn sweep(text: &str, args: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), text).unwrap();
    let out = crate::common::command()
        .args(["sweep", "s.toml", "--json", "--quiet"])
        .args(args)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn headline(point: &serde_json::Value, metric: &str) -> (f64, f64) {
    let m = point["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == metric)
        .unwrap();
    (m["value"].as_f64().unwrap(), m["se"].as_f64().unwrap())
}

#[test]
fn neighbouring_points_differ_by_the_assumption_not_by_noise() {
    // The log-odds at T = 10 are logit(0.3) + μT + noise. The noise is the same draws at every
    // grid point (common random numbers), so the means differ by exactly Δμ·T although each
    // mean has a Monte Carlo error far larger.
    let text = one_cell(
        "start = 2020\nend = 2030",
        "[params]\ntrend = 0\n[[dynamics]]\nactors = [\"a\"]\ndrift = \"trend\"\nvolatility = 0.5\n\
         [metrics.odds]\nkind = \"at\"\nexpr = 'ln(share(\"t\", \"a\") / share(\"t\", \"autonomy\"))'",
    );
    let json = sweep(&text, &["--vary", "trend=-0.04..0.04:5", "--runs", "2000"]);
    let points = json["points"].as_array().unwrap();
    assert_eq!(points.len(), 5);
    for pair in points.windows(2) {
        let (a, se) = headline(&pair[0], "odds");
        let (b, _) = headline(&pair[1], "odds");
        assert!(se > 0.01, "the noise is real: s.e. {se}");
        assert!(
            (b - a - 0.02 * 10.0).abs() < 1e-9,
            "neighbours differ by {} instead of 0.2",
            b - a
        );
    }
}

#[test]
fn each_point_of_a_hazard_sweep_matches_its_closed_form() {
    let text = one_cell(
        "start = 2020\nend = 2030",
        "[events.e]\nhazard = 0.1\n[[events.e.effects]]\nactors = [\"a\"]\njump = 0.1\n\
         [metrics.fired]\nkind = \"ever\"\nexpr = 'fired(\"e\")'",
    );
    let json = sweep(
        &text,
        &["--vary", "events.e.hazard=0.02,0.1,0.3", "--runs", "10000"],
    );
    assert_eq!(json["schema"], "steppe.sweep/1");
    for point in json["points"].as_array().unwrap() {
        let h = point["values"][0].as_f64().unwrap();
        let (p, _) = headline(point, "fired");
        let expected = 1.0 - (1.0 - h).powi(10);
        let se = (expected * (1.0 - expected) / 10_000.0).sqrt();
        assert!(
            (p - expected).abs() < 4.0 * se,
            "hazard {h}: {p}, expected {expected}"
        );
    }
}

#[test]
fn a_sweep_of_an_unknown_name_fails_before_simulating() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.toml"),
        one_cell("start = 2020\nend = 2030", "[params]\ntrend = 0\n"),
    )
    .unwrap();
    let out = crate::common::command()
        .args(["sweep", "s.toml", "--vary", "trnd=0..1:3"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("there is no parameter `trnd` to override")
            && stderr.contains("did you mean `trend`?"),
        "{stderr}"
    );
}
