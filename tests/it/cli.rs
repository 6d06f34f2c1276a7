//! The real binary, run as a user would, in temporary directories.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{baseline, stderr, stdout, steppe};

#[test]
fn run_prints_a_table_of_targets_region_and_metrics() {
    let out = steppe(&["run", &baseline(), "--runs", "500", "--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for needle in [
        "Kazakhstan",
        "Region",
        "Russia",
        "autonomy",
        "2035",
        "Metrics",
        "probability",
        "never",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    assert!(stderr(&out).is_empty(), "--quiet printed: {}", stderr(&out));
    for line in text.lines() {
        assert!(
            line.chars().count() <= 80,
            "line wider than 80 columns: {line:?}"
        );
    }
}

#[test]
fn json_is_one_versioned_document_identical_on_any_thread_count() {
    let run = |threads: &str| {
        steppe(&[
            "run",
            &baseline(),
            "--runs",
            "700",
            "--seed",
            "3",
            "--threads",
            threads,
            "--json",
            "--quiet",
        ])
    };
    let one = run("1");
    assert!(one.status.success(), "{}", stderr(&one));
    let json: serde_json::Value = serde_json::from_slice(&one.stdout).expect("valid JSON");
    assert_eq!(json["schema"], "steppe.result/1");
    assert_eq!(json["runs"], 700);
    assert_eq!(json["seed"], 3);
    for threads in ["2", "8"] {
        assert_eq!(
            one.stdout,
            run(threads).stdout,
            "--threads {threads} changed the output"
        );
    }
}

#[test]
fn out_writes_every_file_and_never_replaces_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let target: PathBuf = dir.path().join("result");
    let target_str = target.display().to_string();
    let out = steppe(&[
        "run",
        &baseline(),
        "--runs",
        "300",
        "--out",
        &target_str,
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    for file in ["summary.json", "series.csv", "metrics.csv", "runs.csv"] {
        assert!(target.join(file).is_file(), "{file} missing");
    }
    let series = std::fs::read_to_string(target.join("series.csv")).unwrap();
    assert!(series.starts_with("scenario,step,time,target,actor,statistic,value\n"));
    assert!(series.contains("baseline,0,2022,kazakhstan,russia,p50,"));
    let runs = std::fs::read_to_string(target.join("runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 301, "a header and one row per run");

    // A second run into the same directory is refused and leaves it intact.
    std::fs::write(target.join("notes.txt"), "mine").unwrap();
    let again = steppe(&[
        "run",
        &baseline(),
        "--runs",
        "200",
        "--out",
        &target_str,
        "--quiet",
    ]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
    assert_eq!(
        std::fs::read_to_string(target.join("notes.txt")).unwrap(),
        "mine"
    );

    // --force replaces only a directory of steppe's own results.
    let force = [
        "run",
        &baseline(),
        "--runs",
        "200",
        "--out",
        &target_str,
        "--force",
        "--quiet",
    ];
    let refused = steppe(&force);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("notes.txt, which steppe did not write"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(
        std::fs::read_to_string(target.join("notes.txt")).unwrap(),
        "mine"
    );
    std::fs::remove_file(target.join("notes.txt")).unwrap();
    let forced = steppe(&[
        "run",
        &baseline(),
        "--runs",
        "200",
        "--out",
        &target_str,
        "--force",
        "--quiet",
    ]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    let runs = std::fs::read_to_string(target.join("runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 201);
    // No temporary directories are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("result")]);
}

#[test]
fn out_results_are_byte_identical_between_identical_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for (path, threads) in [(&a, "1"), (&b, "2")] {
        let out = steppe(&[
            "run",
            &baseline(),
            "--runs",
            "400",
            "--threads",
            threads,
            "--out",
            &path.display().to_string(),
            "--quiet",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    for file in ["series.csv", "metrics.csv", "runs.csv"] {
        assert_eq!(
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
            "{file} differs"
        );
    }
}

#[test]
fn runs_and_seed_flags_override_the_file() {
    let out = steppe(&[
        "run",
        &baseline(),
        "--runs",
        "123",
        "--seed",
        "77",
        "--json",
        "--quiet",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (json["runs"].as_u64(), json["seed"].as_u64()),
        (Some(123), Some(77))
    );
}

#[test]
fn validate_accepts_good_files_and_reports_bad_ones_with_exit_2() {
    let ok = steppe(&["validate", &baseline()]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(stdout(&ok).contains(": ok ("));

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[scenario]\nname = \"x\"\n").unwrap();
    let out = steppe(&["validate", &baseline(), &bad.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("missing key `start`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    assert_eq!(steppe(&["run"]).status.code(), Some(2));
    assert_eq!(steppe(&["run", "no/such/file.toml"]).status.code(), Some(2));
    assert_eq!(
        steppe(&["run", &baseline(), "--runs", "0"]).status.code(),
        Some(2)
    );
    assert_eq!(
        steppe(&["run", &baseline(), "--threads", "0"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(steppe(&["frobnicate"]).status.code(), Some(2));
    let help = steppe(&["run", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    for flag in [
        "--runs",
        "--seed",
        "--threads",
        "--json",
        "--out",
        "--quiet",
        "Examples",
    ] {
        assert!(stdout(&help).contains(flag), "help lacks {flag}");
    }
}

#[test]
fn set_overrides_any_key_and_is_recorded_in_the_result() {
    let out = steppe(&[
        "run",
        &baseline(),
        "--runs",
        "300",
        "--json",
        "--quiet",
        "--set",
        "params.russia_trend=normal(-0.08, 0.01)",
        "--set",
        "events.coercion.hazard=0.5",
        "--set",
        "seed=99",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["seed"], 99);
    let overrides: Vec<&str> = json["scenario"]["overrides"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        overrides,
        [
            "params.russia_trend=normal(-0.08, 0.01)",
            "events.coercion.hazard=0.5",
            "seed=99"
        ]
    );
    let trend = json["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "russia_trend")
        .unwrap();
    assert_eq!(trend["distribution"], "normal(-0.08, 0.01)");
    // The description survives a new value.
    assert!(!trend["description"].as_str().unwrap().is_empty());
    // Mistyped names and keys are errors that point at the nearest valid one.
    let typo = steppe(&[
        "run",
        &baseline(),
        "--quiet",
        "--set",
        "params.russia_trnd=0.1",
    ]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        stderr(&typo).contains("--set:1:8: there is no parameter `russia_trnd` to override"),
        "{}",
        stderr(&typo)
    );
    assert!(
        stderr(&typo).contains("did you mean `russia_trend`?"),
        "{}",
        stderr(&typo)
    );
    let key = steppe(&[
        "run",
        &baseline(),
        "--quiet",
        "--set",
        "events.coercion.hazrd=0.3",
    ]);
    assert!(
        stderr(&key).contains("unknown key `hazrd`")
            && stderr(&key).contains("did you mean `hazard`?"),
        "{}",
        stderr(&key)
    );
    // A value out of range is reported at its place in the override.
    let range = steppe(&[
        "run",
        &baseline(),
        "--quiet",
        "--set",
        "events.coercion.hazard=1.5",
    ]);
    assert!(
        stderr(&range)
            .starts_with("--set:1:26: `hazard` must be a probability within [0, 1], got 1.5"),
        "{}",
        stderr(&range)
    );
}

#[test]
fn ctrl_c_stops_promptly_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let child = crate::common::command()
        .args([
            "run",
            &baseline(),
            "--runs",
            "5000000",
            "--max-memory",
            "20",
            "--out",
            "result",
            "--quiet",
        ])
        .current_dir(dir.path())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let started = std::time::Instant::now();
    assert!(
        Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let output = child.wait_with_output().unwrap();
    // steppe dies of the signal (a shell shows 130), or exits with 130 as PID 1 of a container.
    use std::os::unix::process::ExitStatusExt;
    assert!(
        output.status.signal() == Some(2) || output.status.code() == Some(130),
        "{:?}",
        output.status
    );
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("interrupted"), "{said}");
    assert!(
        started.elapsed().as_secs_f64() < 2.0,
        "took {:?} to stop",
        started.elapsed()
    );
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_simulation_over_the_memory_budget_is_refused_with_the_flag_that_raises_it() {
    let dir = tempfile::tempdir().unwrap();
    let result = dir.path().join("result").display().to_string();
    // With --out, runs.csv needs every run's values: 288 bytes a run for the baseline.
    let out = steppe(&[
        "run",
        &baseline(),
        "--runs",
        "1000000",
        "--max-memory",
        "0.1",
        "--out",
        &result,
        "--quiet",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = stderr(&out);
    assert!(
        stderr.contains("more than the limit of 0.1 GiB (--max-memory raises it)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("bytes per run kept for every metric and parameter")
            && stderr.contains("--no-runs-csv"),
        "{stderr}"
    );
    assert!(!dir.path().join("result").exists());
    // Without per-run values (no --out, or --no-runs-csv) the estimate does not grow with the
    // runs; with them it grows by 8 bytes per metric and parameter per run.
    let scenario = steppe::command::load_file(&baseline()).unwrap();
    let estimate = |runs: u64, keep_runs: bool| {
        let config = steppe::engine::RunConfig {
            runs,
            keep_runs,
            ..steppe::engine::RunConfig::from_scenario(&scenario)
        };
        steppe::engine::memory_estimate(&scenario, &config, 2).total()
    };
    assert_eq!(estimate(10_000, false), estimate(1_000_000, false));
    let per_value = (scenario.metrics.len() + scenario.params.len()) as u64 * 8;
    assert_eq!(
        estimate(1_000_000, true) - estimate(10_000, true),
        990_000 * per_value
    );
}

#[test]
fn every_command_reads_well_at_80_columns() {
    let b = baseline();
    let rebound = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/russia_rebound.toml")
        .display()
        .to_string();
    let commands: [&[&str]; 7] = [
        &["compare", &b, &rebound, "--runs", "300"],
        &[
            "sweep",
            &b,
            "--vary",
            "russia_trend=-0.06..0:3",
            "--runs",
            "200",
        ],
        &[
            "sweep",
            &b,
            "--vary",
            "russia_trend=-0.06..0:3",
            "--vary",
            "china_pull=0..0.08:5",
            "--runs",
            "100",
        ],
        &[
            "sensitivity",
            &b,
            "--metric",
            "russia_kz_2035",
            "--samples",
            "32",
            "--bootstrap",
            "10",
            "--runs",
            "50",
        ],
        &[
            "sensitivity",
            &b,
            "--metric",
            "kazakhstan:russia",
            "--over-time",
            "--method",
            "sobol",
            "--samples",
            "16",
            "--bootstrap",
            "10",
        ],
        &[
            "discover",
            &b,
            "--where",
            "share(\"kazakhstan\", \"russia\") > 0.3",
            "--runs",
            "500",
        ],
        &["explain", &rebound],
    ];
    for args in commands {
        let mut all = args.to_vec();
        all.push("--quiet");
        if args[0] == "explain" {
            all.pop();
        }
        let out = steppe(&all);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        for line in stdout(&out).lines() {
            assert!(
                line.chars().count() <= 80,
                "{}: wider than 80 columns: {line:?}",
                args[0]
            );
        }
    }
}

#[test]
fn a_failure_half_way_through_writing_leaves_the_previous_results_intact() {
    let dir = tempfile::tempdir().unwrap();
    let first = steppe(&[
        "run",
        &baseline(),
        "--runs",
        "200",
        "--out",
        &dir.path().join("r").display().to_string(),
        "--quiet",
    ]);
    assert!(first.status.success());
    let before = std::fs::read(dir.path().join("r/runs.csv")).unwrap();
    let failed = crate::common::command()
        .args([
            "run",
            &baseline(),
            "--runs",
            "300",
            "--out",
            "r",
            "--force",
            "--quiet",
        ])
        .current_dir(dir.path())
        .env("STEPPE_FAIL_AFTER_FILES", "2")
        .output()
        .unwrap();
    assert_eq!(
        failed.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    assert_eq!(
        std::fs::read(dir.path().join("r/runs.csv")).unwrap(),
        before,
        "the earlier results changed"
    );
    let entries: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries, ["r"], "temporary files left behind");
}

#[test]
fn a_closed_stderr_changes_no_exit_code() {
    // stderr is a pipe whose reader has gone before steppe writes its timing line (or its
    // error): the write fails with EPIPE, which must not become a panic (exit 101).
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[scenario]\nname = 3\n").unwrap();
    let cases: [(Vec<String>, i32); 2] = [
        (
            vec!["run".into(), baseline(), "--runs".into(), "300".into()],
            0,
        ),
        (vec!["run".into(), bad.display().to_string()], 2),
    ];
    for (args, code) in cases {
        let mut child = crate::common::command()
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stderr.take());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "{args:?}");
    }
}

#[test]
fn each_command_accepts_only_the_flags_it_uses() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.html").display().to_string();
    let out = dir.path().join("o").display().to_string();
    let b = baseline();
    // Flags that used to be accepted and then ignored are usage errors now (exit 2).
    for args in [
        vec!["report", &b, "-o", &report, "--json"],
        vec!["report", &b, "-o", &report, "--out", &out],
        vec!["report", &b, "-o", &report, "--force-output"],
        vec!["report", &b, "-o", &report, "--shard", "0/2"],
        vec!["compare", &b, &b, "--precision", "0.01"],
        vec![
            "sweep",
            &b,
            "--vary",
            "russia_trend=-0.1..0:2",
            "--precision",
            "0.01",
        ],
        vec!["sensitivity", &b, "--metric", "x", "--precision", "0.01"],
        vec!["run", &b, "--no-runs-csv"],
        // Sensitivity makes its own designs; each method takes only its own sizes.
        vec![
            "sensitivity",
            &b,
            "--metric",
            "russia_kz_2035",
            "--design",
            "lhs",
        ],
        vec![
            "sensitivity",
            &b,
            "--metric",
            "russia_kz_2035",
            "--method",
            "sobol",
            "--runs",
            "64",
        ],
        vec![
            "sensitivity",
            &b,
            "--metric",
            "russia_kz_2035",
            "--method",
            "tornado",
            "--samples",
            "64",
        ],
        vec![
            "sensitivity",
            &b,
            "--metric",
            "russia_kz_2035",
            "--method",
            "tornado",
            "--bootstrap",
            "50",
        ],
        vec!["run", &b, "--max-memory", "nan"],
        vec!["run", &b, "--max-memory", "-1"],
    ] {
        let result = steppe(&args);
        assert_eq!(
            result.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&result)
        );
        assert!(!Path::new(&report).exists() && !Path::new(&out).exists());
    }
    // report: -o FILE and --force (one spelling each).
    std::fs::write(&report, "old").unwrap();
    let again = steppe(&["report", &b, "-o", &report, "--runs", "50", "--quiet"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
    let forced = steppe(&[
        "report", &b, "-o", &report, "--runs", "50", "--quiet", "--force",
    ]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert!(std::fs::read_to_string(&report).unwrap().contains("<html"));
}

#[test]
fn explain_and_validate_take_set_to_inspect_an_override() {
    let b = baseline();
    let explained = steppe(&["explain", &b, "--set", "params.russia_trend=-0.5"]);
    assert!(explained.status.success(), "{}", stderr(&explained));
    let text = stdout(&explained);
    assert!(text.contains("as written"), "{text}");
    assert!(text.contains("russia_trend"), "{text}");
    assert!(text.contains("-0.5"), "{text}");
    let valid = steppe(&["validate", &b, "--set", "params.russia_trend=-0.5"]);
    assert!(valid.status.success(), "{}", stderr(&valid));
    let invalid = steppe(&["validate", &b, "--set", "params.no_such=1"]);
    assert_eq!(invalid.status.code(), Some(2));
    assert!(stderr(&invalid).contains("no_such"), "{}", stderr(&invalid));
}

#[test]
fn a_scenario_can_come_from_stdin_with_extends_from_the_working_directory() {
    use std::io::Write as _;
    use std::process::Stdio;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let child_text = "extends = \"scenarios/baseline.toml\"\n[scenario]\nname = \"piped\"\n";
    let piped = |args: &[&str], text: &str| {
        let mut child = crate::common::command()
            .args(args)
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = piped(
        &["run", "-", "--runs", "200", "--quiet", "--json"],
        child_text,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["scenario"]["name"], "piped");
    // The same numbers as the file it extends, run by run (only the name differs).
    let file = steppe(&["run", &baseline(), "--runs", "200", "--quiet", "--json"]);
    let file: serde_json::Value = serde_json::from_slice(&file.stdout).unwrap();
    assert_eq!(json["metrics"], file["metrics"]);
    // Problems are located in <stdin>.
    let bad = piped(&["validate", "-"], "[scenario]\nname = 3\n");
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("<stdin>:2:8"), "{}", stderr(&bad));
    // A parent that is not there: the hint names the working directory, not "the folder of
    // the file", which standard input does not have.
    let missing = piped(
        &["validate", "-"],
        "extends = \"nothere.toml\"\n[scenario]\nname = \"x\"\n",
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains(
            "help: a scenario read from standard input extends a path relative to the working directory"
        ),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn inputs_that_are_not_regular_files_or_not_utf8_are_refused_with_a_place() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.toml");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let fifo = fifo.display().to_string();
    // A FIFO as the scenario, as the file a scenario extends, or as a partial: refused at once
    // (opening it would wait for a writer forever).
    let child = dir.path().join("child.toml");
    std::fs::write(
        &child,
        format!("extends = \"{fifo}\"\n[scenario]\nname = \"c\"\n"),
    )
    .unwrap();
    let part = dir.path().join("part");
    std::fs::create_dir(&part).unwrap();
    assert!(
        Command::new("mkfifo")
            .arg(part.join("partial.json"))
            .status()
            .unwrap()
            .success()
    );
    let merged = dir.path().join("merged").display().to_string();
    for args in [
        vec!["run".to_string(), fifo.clone()],
        vec!["validate".to_string(), child.display().to_string()],
        vec![
            "merge".to_string(),
            part.display().to_string(),
            "--out".into(),
            merged.clone(),
        ],
    ] {
        let started = std::time::Instant::now();
        let out = steppe(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("named pipe"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(started.elapsed().as_secs() < 5);
    }
    // Not UTF-8: the place of the bad byte.
    let latin1 = dir.path().join("latin1.toml");
    std::fs::write(&latin1, b"[scenario]\nname = \"caf\xe9\"\n").unwrap();
    let out = steppe(&["validate", &latin1.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("latin1.toml:2:12: not UTF-8 text: the byte 0xe9"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn completions_and_manual_pages_are_printed() {
    for (shell, needle) in [
        ("bash", "complete -F _steppe"),
        ("zsh", "#compdef steppe"),
        ("fish", "complete -c steppe"),
    ] {
        let out = steppe(&["completions", shell]);
        assert!(out.status.success(), "{}", stderr(&out));
        let script = stdout(&out);
        assert!(script.contains(needle), "{shell}: {script}");
        assert!(script.contains("sensitivity"), "{shell}: no subcommands");
    }
    let page = steppe(&["man"]);
    assert!(page.status.success());
    assert!(stdout(&page).contains(".TH steppe 1"));
    let run = steppe(&["man", "run"]);
    assert!(stdout(&run).contains(".TH steppe-run 1"));
    assert!(stdout(&run).contains("precision"));
    let wrong = steppe(&["man", "rn"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(stderr(&wrong).contains("did you mean `run`?"));
}

#[test]
fn discover_on_an_outcome_that_never_or_always_holds_says_there_is_nothing_to_discover() {
    for (condition, word) in [
        ("share(\"kazakhstan\", \"russia\") > 2", "no"),
        ("share(\"kazakhstan\", \"russia\") >= 0", "every"),
    ] {
        let out = steppe(&[
            "discover",
            &baseline(),
            "--where",
            condition,
            "--runs",
            "300",
            "--quiet",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            text.contains(&format!(
                "Nothing to discover: the outcome holds in {word} run"
            )),
            "{text}"
        );
        // No trajectory, no chosen box, no "no better than chance" warning about a box.
        assert!(
            !text.contains("chosen box") && !text.contains("warning"),
            "{text}"
        );
    }
}
