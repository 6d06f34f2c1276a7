//! The catalogue of bad inputs: each `NN_name.toml` in `tests/bad_scenarios/` is a small
//! scenario with one mistake a user could make (a few have several, to show that every problem
//! is reported at once), described in its first line. `NN_name.parent.toml` files are the
//! scenarios that cases `extends`; they are not cases themselves. Beside each case,
//! `NN_name.stderr` holds exactly what `steppe validate NN_name.toml` prints on stderr when run
//! in that folder: the place (`file:line:column`), the text and the hint. Every case must be
//! refused with exit code 2 (invalid input) — never accepted, never a panic (101).
//!
//! To re-bless after a deliberate change of messages, or to add a case (write its `.toml`,
//! then bless to create its `.stderr`):
//!
//! ```text
//! STEPPE_BLESS=1 cargo test --release --test it bad_scenarios
//! ```
//!
//! and read every changed `.stderr` (`git diff tests/bad_scenarios`) before committing it: a
//! snapshot is only as good as the message it freezes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The issue asks for at least this many distinct mistakes.
const MIN_CASES: usize = 40;

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_scenarios")
}

/// The case files (`NN_name.toml`, not `.parent.toml`), sorted by name.
fn cases(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("tests/bad_scenarios exists")
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".toml") && !name.ends_with(".parent.toml"))
        .collect();
    names.sort();
    names
}

/// A line diff of `expected` against `got`: `-` lines only expected, `+` lines only got.
fn diff(expected: &str, got: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = got.lines().collect();
    // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = String::new();
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            let _ = writeln!(out, "  {}", a[i]);
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            let _ = writeln!(out, "- {}", a[i]);
            i += 1;
        } else {
            let _ = writeln!(out, "+ {}", b[j]);
            j += 1;
        }
    }
    if expected.ends_with('\n') != got.ends_with('\n') {
        out.push_str("(the two differ in the final newline)\n");
    }
    out
}

#[test]
fn every_bad_scenario_gives_its_expected_message() {
    let dir = folder();
    let bless = std::env::var_os("STEPPE_BLESS").is_some_and(|v| !v.is_empty() && v != "0");
    let cases = cases(&dir);
    assert!(
        cases.len() >= MIN_CASES,
        "tests/bad_scenarios has {} cases, fewer than {MIN_CASES}",
        cases.len()
    );

    let mut failures = Vec::new();
    for case in &cases {
        let text = std::fs::read_to_string(dir.join(case)).unwrap();
        if !text.starts_with('#') {
            failures.push(format!(
                "{case}: the first line must be a comment saying what the mistake is"
            ));
        }
        let out = crate::common::command()
            .args(["validate", case])
            .current_dir(&dir)
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        let code = out.status.code();
        if code != Some(2) {
            failures.push(format!(
                "{case}: `steppe validate {case}` exited with {code:?}, not 2 (invalid input)\n\
                 stdout:\n{}\nstderr:\n{stderr}",
                String::from_utf8_lossy(&out.stdout)
            ));
            continue;
        }
        let expected_path = dir.join(case.replace(".toml", ".stderr"));
        if bless {
            std::fs::write(&expected_path, &stderr).unwrap();
            continue;
        }
        match std::fs::read_to_string(&expected_path) {
            Ok(expected) if expected == stderr => {}
            Ok(expected) => failures.push(format!(
                "{case}: stderr differs from {} (- expected, + got):\n{}",
                expected_path.file_name().unwrap().to_string_lossy(),
                diff(&expected, &stderr)
            )),
            Err(_) => failures.push(format!(
                "{case}: no {} yet; stderr was:\n{stderr}",
                expected_path.file_name().unwrap().to_string_lossy()
            )),
        }
    }

    // A `.stderr` whose case was renamed or deleted would silently test nothing.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(stem) = name.strip_suffix(".stderr")
            && !cases.contains(&format!("{stem}.toml"))
        {
            failures.push(format!("{name}: no case {stem}.toml beside it; delete it"));
        }
    }

    assert!(
        failures.is_empty(),
        "{} of {} bad scenarios failed:\n\n{}\n\
         If the new messages are right, re-bless and review the changes:\n  \
         STEPPE_BLESS=1 cargo test --release --test it bad_scenarios\n  \
         git diff tests/bad_scenarios\n",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
