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
        roxmltree::Document::parse(&charts::metric(&summary, &outcome.metrics[m], m))
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
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_steppe"))
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
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_steppe"))
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
