//! Snapshots (insta) of what a user reads: every command's table for a small scenario, the
//! first rows of every CSV file, and the `--help` of every command. A change to any of them
//! shows as a diff in review (`cargo insta review`, or read the `.snap.new` file beside the
//! snapshot); the error catalogue is exact already (`tests/bad_scenarios/`).
//!
//! Every output here is deterministic: fixed seeds, `--quiet`, no timings on stdout.

use std::path::Path;

use crate::common::{repo_file, stdout, steppe_in, succeeded};

/// A folder holding the small scenario (`small.toml`: two actors, a regime, an event, a
/// correlation), an alternative that extends it (`faster.toml`), and the bundled baseline.
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("small.toml"),
        include_str!("data/small.toml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("faster.toml"),
        "extends = \"small.toml\"\n[scenario]\nname = \"faster\"\n[params]\nrussia_trend = \"normal(-0.06, 0.01)\"\n",
    )
    .unwrap();
    dir
}

/// Stdout of a successful `steppe ARGS --quiet` in `dir`.
fn read(dir: &Path, args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.push("--quiet");
    stdout(&succeeded(steppe_in(dir, &all)))
}

#[test]
fn every_commands_table() {
    let dir = folder();
    let d = dir.path();
    insta::assert_snapshot!("run", read(d, &["run", "small.toml"]));
    insta::assert_snapshot!(
        "run_lhs",
        read(
            d,
            &["run", "small.toml", "--design", "lhs", "--runs", "400"]
        )
    );
    insta::assert_snapshot!(
        "run_baseline",
        read(
            d,
            &[
                "run",
                &repo_file("scenarios/baseline.toml"),
                "--runs",
                "500"
            ]
        )
    );
    insta::assert_snapshot!(
        "compare",
        read(d, &["compare", "small.toml", "faster.toml"])
    );
    insta::assert_snapshot!(
        "sweep",
        read(
            d,
            &[
                "sweep",
                "small.toml",
                "--vary",
                "other=-1..1:3",
                "--runs",
                "100"
            ]
        )
    );
    insta::assert_snapshot!(
        "sensitivity",
        read(
            d,
            &[
                "sensitivity",
                "small.toml",
                "--metric",
                "russia_2026",
                "--method",
                "both",
                "--runs",
                "200",
                "--samples",
                "64",
                "--bootstrap",
                "50",
            ]
        )
    );
    insta::assert_snapshot!(
        "discover",
        read(
            d,
            &[
                "discover",
                "small.toml",
                "--where",
                "share(\"kz\", \"russia\") < 0.37",
                "--runs",
                "1000",
            ]
        )
    );
    // explain and validate take no --quiet.
    insta::assert_snapshot!(
        "explain",
        stdout(&succeeded(steppe_in(d, &["explain", "faster.toml"])))
    );
    insta::assert_snapshot!(
        "validate",
        stdout(&succeeded(steppe_in(
            d,
            &["validate", "small.toml", "faster.toml"]
        )))
    );
}

/// The header and the first `rows` rows of a CSV file, read back with a real CSV parser
/// (and written out again, one record per line).
fn csv_head(path: &Path, rows: usize) -> String {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(reader.headers().unwrap()).unwrap();
    for record in reader.records().take(rows) {
        out.write_record(&record.unwrap()).unwrap();
    }
    String::from_utf8(out.into_inner().unwrap()).unwrap()
}

#[test]
fn every_csv_files_header_and_first_rows() {
    let dir = folder();
    let d = dir.path();
    let out = |name: &str| d.join(name).display().to_string();
    read(
        d,
        &["run", "small.toml", "--runs", "50", "--out", &out("run")],
    );
    read(
        d,
        &[
            "compare",
            "small.toml",
            "faster.toml",
            "--runs",
            "50",
            "--out",
            &out("compare"),
        ],
    );
    read(
        d,
        &[
            "sweep",
            "small.toml",
            "--vary",
            "other=-1..1:3",
            "--runs",
            "50",
            "--out",
            &out("sweep"),
        ],
    );
    read(
        d,
        &[
            "sensitivity",
            "small.toml",
            "--metric",
            "russia_2026",
            "--method",
            "both",
            "--runs",
            "50",
            "--samples",
            "16",
            "--bootstrap",
            "10",
            "--out",
            &out("sensitivity"),
        ],
    );
    let mut files: Vec<String> = Vec::new();
    for folder in ["run", "compare", "sweep", "sensitivity"] {
        let mut names: Vec<String> = std::fs::read_dir(d.join(folder))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".csv"))
            .collect();
        names.sort();
        assert!(!names.is_empty(), "{folder}: no CSV");
        for name in names {
            files.push(format!(
                "== {folder}/{name}\n{}",
                csv_head(&d.join(folder).join(&name), 4)
            ));
        }
    }
    insta::assert_snapshot!("csv_heads", files.join("\n"));
}

#[test]
fn every_commands_help() {
    let dir = folder();
    let help = |args: &[&str]| stdout(&succeeded(steppe_in(dir.path(), args)));
    insta::assert_snapshot!("help", help(&["--help"]));
    for command in [
        "run",
        "compare",
        "sensitivity",
        "discover",
        "sweep",
        "report",
        "merge",
        "validate",
        "explain",
        "init",
        "schema",
        "completions",
        "man",
    ] {
        insta::assert_snapshot!(format!("help_{command}"), help(&[command, "--help"]));
    }
}
