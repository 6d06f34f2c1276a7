//! Charts: valid SVG, one colour per actor everywhere, and a snapshot of what a user sees.
//! `STEPPE_BLESS=1 cargo test --release --test it charts` rewrites the snapshot.

use std::path::Path;

use crate::common::run;
use steppe::report::charts;

fn two_targets() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/data/two_targets.toml"),
    )
    .unwrap()
}

/// The fill colour of each legend entry, by its text.
fn legend(svg: &str) -> Vec<(String, String)> {
    let doc = roxmltree::Document::parse(svg).expect("valid SVG");
    let rects: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("width") == Some("14"))
        .collect();
    let texts: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text") && n.attribute("font-size") == Some("13"))
        .collect();
    rects
        .iter()
        .zip(&texts)
        .map(|(r, t)| {
            (
                t.text().unwrap_or("").to_string(),
                r.attribute("fill").unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn charts_are_valid_svg_with_one_colour_per_actor() {
    let (scenario, outcome) = run(&two_targets(), 500, 2);
    let summary = steppe::summary::summarize(&scenario, "t.toml", &outcome);
    let mut legends = Vec::new();
    for t in 0..=scenario.targets.len() {
        let svg = charts::fan(&scenario, &summary, t);
        legends.push(legend(&svg));
    }
    for m in 0..scenario.metrics.len() {
        roxmltree::Document::parse(&charts::metric(&summary, &outcome.metric_values[m], m))
            .expect("valid SVG");
    }
    // The same actor has the same colour in every chart; actors differ; autonomy is grey.
    assert!(legends.windows(2).all(|w| w[0] == w[1]));
    let colours: Vec<&str> = legends[0].iter().map(|(_, c)| c.as_str()).collect();
    assert_eq!(
        colours,
        [
            charts::PALETTE[0],
            charts::PALETTE[1],
            charts::AUTONOMY_COLOUR
        ]
    );
}

#[test]
fn the_fan_chart_matches_its_snapshot() {
    let (scenario, outcome) = run(&two_targets(), 500, 2);
    let summary = steppe::summary::summarize(&scenario, "t.toml", &outcome);
    let svg = charts::fan(&scenario, &summary, 0);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/data/fan_kazakhstan.svg");
    if std::env::var_os("STEPPE_BLESS").is_some() {
        std::fs::write(&path, &svg).unwrap();
    }
    let expected =
        std::fs::read_to_string(&path).expect("snapshot exists (STEPPE_BLESS=1 writes it)");
    assert!(
        svg == expected,
        "the fan chart changed; look at it, then STEPPE_BLESS=1 cargo test --release --test it charts"
    );
}

#[test]
fn sensitivity_writes_a_tornado_and_sobol_charts() {
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/baseline.toml")
        .display()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = crate::common::command()
        .args([
            "sensitivity",
            &baseline,
            "--metric",
            "russia_kz_2035",
            "--samples",
            "64",
            "--bootstrap",
            "20",
            "--runs",
            "100",
            "--out",
            "s",
            "--quiet",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for chart in ["tornado.svg", "sobol_russia_kz_2035.svg"] {
        let svg = std::fs::read_to_string(dir.path().join("s/charts").join(chart)).unwrap();
        let doc = roxmltree::Document::parse(&svg).expect("valid SVG");
        // One labelled bar per parameter (and chance for Sobol).
        let labels = doc
            .descendants()
            .filter(|n| n.has_tag_name("text") && n.attribute("text-anchor") == Some("end"))
            .count();
        assert!(labels >= 13, "{chart}: {labels} labels");
    }
}

#[test]
fn compare_writes_a_chart_per_metric() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), two_targets()).unwrap();
    let out = crate::common::command()
        .args([
            "compare", "a.toml", "a.toml", "--runs", "200", "--out", "c", "--quiet",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for metric in ["overtake", "russia_2030", "shocked"] {
        let svg =
            std::fs::read_to_string(dir.path().join(format!("c/charts/compare_{metric}.svg")))
                .unwrap();
        roxmltree::Document::parse(&svg).expect("valid SVG");
    }
}

#[test]
fn the_report_is_one_self_contained_page() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let out = crate::common::command()
        .arg("report")
        .args([
            scenarios.join("baseline.toml"),
            scenarios.join("russia_rebound.toml"),
        ])
        .args(["-o", "report.html", "--runs", "500", "--quiet"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = dir.path().join("report.html");
    let html = std::fs::read_to_string(&path).unwrap();
    // Well-formed (XHTML), no scripts, nothing fetched from elsewhere.
    let doc = roxmltree::Document::parse(html.trim_start_matches("<!DOCTYPE html>\n"))
        .expect("well-formed XHTML");
    assert!(
        doc.descendants()
            .all(|n| !n.has_tag_name("script") && n.attribute("src").is_none())
    );
    // The only addresses are XML namespace names, which nothing fetches.
    assert_eq!(
        html.matches("http").count(),
        html.matches("xmlns=\"http").count()
    );
    assert!(!html.contains("<link"));
    let svgs = doc.descendants().filter(|n| n.has_tag_name("svg")).count();
    assert!(svgs >= 2 * (6 + 14), "{svgs} charts");
    for needle in [
        "Assumptions",
        "Results",
        "Comparison",
        "russia_rebound",
        "autonomy",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }

    // In CI, .ci/run installs Chromium and names it in STEPPE_CHROMIUM: the page must render to
    // a screenshot that is not blank, with no console errors.
    let Some(chromium) = std::env::var_os("STEPPE_CHROMIUM") else {
        eprintln!("STEPPE_CHROMIUM not set: the browser check runs in CI (.ci/run)");
        return;
    };
    let shot = dir.path().join("shot.png");
    let browser = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--window-size=1000,1400",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", path.display()))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&browser.stderr);
    assert!(
        !log.lines()
            .any(|l| l.contains(":CONSOLE(") && l.contains("ERROR")),
        "console errors:\n{log}"
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    // A blank 1000×1400 page compresses to a few kilobytes; tables and charts do not.
    assert!(
        png.len() > 50_000,
        "the screenshot looks blank ({} bytes)",
        png.len()
    );
}

#[test]
fn a_chart_prints_a_number_as_the_table_beside_it_does() {
    use steppe::report::format::decimal;
    // Magnitudes where four fixed decimals and the tables' format part ways.
    let tornado = steppe::sensitivity::Tornado {
        output: "m".into(),
        runs: 100,
        base: 1234.5678,
        value: 0.000_12,
        value_se: 0.000_01,
        bars: vec![steppe::sensitivity::Bar {
            param: "x".into(),
            low_value: 0.0,
            high_value: 1.0,
            at_low: 0.0005,
            at_high: 2000.25,
            swing: 1999.7495,
        }],
    };
    let svg = charts::tornado(&tornado);
    roxmltree::Document::parse(&svg).expect("valid SVG");
    let table = steppe::report::sensitivity::table(Some(&tornado), &[]);
    for v in [tornado.base, tornado.value, 0.0005, 2000.25] {
        assert!(table.contains(&decimal(v)), "{table}");
        assert!(svg.contains(&decimal(v)), "{} not in\n{svg}", decimal(v));
    }
    let quantity = steppe::compare::Quantity {
        name: "m".into(),
        kind: "number",
        source: "at",
        year: Some(2030),
        target: None,
        actor: None,
        invalid_runs: 0,
        per_scenario: vec![steppe::compare::Distribution {
            scenario: "a".into(),
            mean: 0.0004,
            p05: 0.0001,
            p50: 0.0004,
            p95: 0.0009,
            never: None,
            median_year: None,
        }],
        differences: Vec::new(),
    };
    let svg = charts::compared(&quantity);
    assert!(svg.contains("<title>median 4.000e-4</title>"), "{svg}");
}
