//! Every CSV steppe writes, read back with a real CSV parser: each row has the header's
//! fields, and every numeric column holds numbers (or nothing), never a word.

use std::path::Path;

use crate::common::steppe;

/// Inline distributions whose names hold commas (`dynamics[russia,china;all;all].drift`), a
/// `first` metric that often never holds, a probability and a number.
const SCENARIO: &str = r#"[scenario]
name = "csv"
start = 2022
end = 2026
runs = 300
[actors]
russia = {}
china = {}
[targets]
kazakhstan = {}
[channels]
security = {}
[initial.kazakhstan.security]
russia = 0.42
china = 0.38
[params]
pull = "normal(0.05, 0.02)"
[[dynamics]]
actors = ["russia", "china"]
drift = "normal(0, 0.05)"
volatility = 0.2
[[dynamics]]
actors = ["china"]
drift = "pull"
[metrics.overtake]
kind = "first"
expr = 'share("kazakhstan", "china") > share("kazakhstan", "russia")'
[metrics.russia_end]
kind = "at"
expr = 'share("kazakhstan", "russia")'
[metrics.low]
kind = "ever"
expr = 'share("kazakhstan", "russia") < 0.45'
"#;

/// Reads `path` strictly (every record as long as the header) and checks that the named
/// columns hold numbers or are empty; returns the header and the records.
fn read(path: &Path, numeric: &[&str]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let mut records = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.unwrap_or_else(|e| panic!("{}: row {}: {e}", path.display(), i + 2));
        assert_eq!(
            record.len(),
            header.len(),
            "{}: row {}",
            path.display(),
            i + 2
        );
        records.push(record.iter().map(String::from).collect::<Vec<_>>());
    }
    assert!(!records.is_empty(), "{} has no rows", path.display());
    for name in numeric {
        let column = header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{}: no column {name} in {header:?}", path.display()));
        for (i, record) in records.iter().enumerate() {
            let field = &record[column];
            assert!(
                field.is_empty() || field.parse::<f64>().is_ok_and(f64::is_finite),
                "{}: row {}, column {name}: {field:?} is not a number",
                path.display(),
                i + 2
            );
        }
    }
    (header, records)
}

#[test]
fn every_csv_reads_back_with_a_csv_parser() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("csv.toml");
    std::fs::write(&file, SCENARIO).unwrap();
    let file = file.display().to_string();
    let out = |name: &str| dir.path().join(name).display().to_string();
    for args in [
        vec!["run", &file, "--out", &out("run"), "--quiet"],
        vec!["compare", &file, &file, "--out", &out("compare"), "--quiet"],
        vec![
            "sweep",
            &file,
            "--vary",
            "pull=0..0.1:3",
            "--out",
            &out("sweep"),
            "--quiet",
        ],
        vec![
            "sensitivity",
            &file,
            "--metric",
            "russia_end",
            "--samples",
            "64",
            "--runs",
            "100",
            "--out",
            &out("sensitivity"),
            "--quiet",
        ],
    ] {
        let result = steppe(&args);
        assert!(
            result.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&result.stderr)
        );
    }
    let at = |p: &str| dir.path().join(p);

    read(&at("run/series.csv"), &["step", "time", "value"]);
    let (_, metrics) = read(&at("run/metrics.csv"), &["year", "value"]);
    assert!(metrics.iter().all(|r| r[0] == "csv"));

    // runs.csv: a column per parameter (inline ones included, commas and all), a column per
    // metric, and for a `first` metric a boolean `_never` column beside its year.
    let (header, runs) = read(
        &at("run/runs.csv"),
        &[
            "run",
            "pull",
            "dynamics[russia,china;all;all].drift",
            "overtake",
            "russia_end",
            "low",
        ],
    );
    assert_eq!(runs.len(), 300);
    let year = header.iter().position(|h| h == "overtake").unwrap();
    let never = header.iter().position(|h| h == "overtake_never").unwrap();
    assert_eq!(never, year + 1);
    let mut nevers = 0;
    for r in &runs {
        match r[never].as_str() {
            "true" => {
                nevers += 1;
                assert_eq!(r[year], "", "a year where the condition never held");
            }
            "false" => assert!(r[year].parse::<f64>().is_ok(), "{:?}", r[year]),
            other => panic!("overtake_never is {other:?}"),
        }
    }
    assert!(0 < nevers && nevers < runs.len(), "{nevers} of 300 never");

    read(&at("compare/comparison.csv"), &["year", "value"]);
    read(&at("sweep/sweep.csv"), &["pull", "value", "se"]);
    let (_, rows) = read(&at("sensitivity/sensitivity.csv"), &["value"]);
    assert!(
        rows.iter()
            .any(|r| r[1] == "dynamics[russia,china;all;all].drift"),
        "the inline parameter is an input of the analysis"
    );
}
