//! Output safety: whatever stops steppe at whatever step of a write — SIGINT, SIGTERM, SIGKILL,
//! a failed write — a result holds exactly the old contents or exactly the new ones, nothing
//! else is left beside it, and `--force` never replaces files steppe did not write. The test
//! hook `STEPPE_PAUSE_AT=STEP` stops the writer just after STEP (see `src/cli/output.rs`), so
//! each signal is delivered at a known point.

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

const SIGINT: i32 = 2;
const SIGKILL: i32 = 9;
const SIGTERM: i32 = 15;

/// A small scenario: 2 targets, 3 metrics, so a result has 10 files (4 in `charts/`).
fn scenario() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/data/two_targets.toml")
        .display()
        .to_string()
}

/// A temporary root holding `work/`, the folder results are written into (and whose every
/// entry is checked), and outside it the hook's ready file.
struct Bench {
    root: tempfile::TempDir,
}

impl Bench {
    fn new() -> Bench {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("work")).unwrap();
        Bench { root }
    }

    fn work(&self) -> PathBuf {
        self.root.path().join("work")
    }

    fn steppe(&self, args: &[&str]) -> Command {
        let mut command = crate::common::command();
        command
            .args(args)
            .current_dir(self.work())
            .env_remove("STEPPE_PAUSE_AT")
            .env_remove("STEPPE_FAIL_AFTER_FILES")
            .env_remove("STEPPE_NO_EXCHANGE");
        command
    }

    fn output(&self, args: &[&str]) -> Output {
        self.steppe(args).output().unwrap()
    }

    /// Runs `args` paused at `step`, delivers `signal` there, and returns what it printed.
    fn interrupt_at(&self, args: &[&str], step: &str, signal: i32, fallback: bool) -> Output {
        let ready = self.root.path().join("ready");
        let _ = std::fs::remove_file(&ready);
        let mut command = self.steppe(args);
        command
            .env("STEPPE_PAUSE_AT", step)
            .env("STEPPE_PAUSE_READY", &ready)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if fallback {
            command.env("STEPPE_NO_EXCHANGE", "1");
        }
        let mut child = command.spawn().unwrap();
        let started = Instant::now();
        while !ready.exists() {
            if started.elapsed() > Duration::from_secs(10) || child.try_wait().unwrap().is_some() {
                let _ = child.kill();
                panic!("steppe {args:?} never paused at {step}");
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        send(child.id(), signal);
        child.wait_with_output().unwrap()
    }

    /// Every entry of `work/`, sorted.
    fn listing(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.work())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

fn send(pid: u32, signal: i32) {
    let pid = rustix::process::Pid::from_raw(pid as i32).unwrap();
    let signal = rustix::process::Signal::from_named_raw(signal).unwrap();
    rustix::process::kill_process(pid, signal).unwrap();
}

/// Whether the process ended because of `signal`: died of it, or (as PID 1 of a container)
/// exited with 128 + it.
fn ended_by(status: ExitStatus, signal: i32) -> bool {
    status.signal() == Some(signal) || status.code() == Some(128 + signal)
}

/// Every file under `dir` (hidden ones too) and its bytes; `None` if `dir` is missing.
fn snapshot(dir: &Path) -> Option<BTreeMap<String, Vec<u8>>> {
    fn walk(dir: &Path, prefix: &str, into: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), &format!("{name}/"), into);
            } else {
                into.insert(name, std::fs::read(entry.path()).unwrap());
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(dir, "", &mut files);
    dir.exists().then_some(files)
}

fn restore(files: &BTreeMap<String, Vec<u8>>, dir: &Path) {
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

fn run_args(seed: &str, force: bool) -> Vec<String> {
    let mut args: Vec<String> = ["run", &scenario(), "--runs", "40", "--seed", seed]
        .iter()
        .map(|s| s.to_string())
        .chain(["--out", "res", "--quiet"].map(String::from))
        .collect();
    if force {
        args.push("--force".into());
    }
    args
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// The old result (seed 1) and the new one (seed 2), as files.
type Results = (BTreeMap<String, Vec<u8>>, BTreeMap<String, Vec<u8>>);

fn old_and_new() -> Results {
    let bench = Bench::new();
    let mut results = Vec::new();
    for seed in ["1", "2"] {
        let out = bench.output(&strs(&run_args(seed, true)));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        results.push(snapshot(&bench.work().join("res")).unwrap());
    }
    let new = results.pop().unwrap();
    let old = results.pop().unwrap();
    assert!(old.contains_key(".steppe-manifest") && old.contains_key("charts/fan_region.svg"));
    assert_eq!(old.len(), 11, "10 files and the manifest: {:?}", old.keys());
    assert_ne!(old, new);
    (old, new)
}

/// The steps of `run --force` over an earlier result; from `swapped` on, the new result is
/// in place. `fallback` takes the two-rename path (no atomic exchange).
const EXCHANGE_STEPS: [&str; 6] = ["created", "file-1", "file-5", "complete", "swapped", "done"];
const FALLBACK_STEPS: [&str; 3] = ["complete", "moved-aside", "swapped"];

/// Interrupts `run --out res --force` over an earlier result with `signal` at every step and
/// checks that `res` then holds exactly the old result or exactly the new one (for SIGKILL:
/// once the next steppe has cleaned up), that stderr says which, and that nothing else is left.
fn interrupt_every_step(signal: i32) {
    let (old, new) = old_and_new();
    let cases = EXCHANGE_STEPS
        .iter()
        .map(|s| (*s, false))
        .chain(FALLBACK_STEPS.iter().map(|s| (*s, true)));
    for (step, fallback) in cases {
        let case = format!("signal {signal} at {step} (fallback: {fallback})");
        let bench = Bench::new();
        let res = bench.work().join("res");
        restore(&old, &res);
        let replaced = matches!(step, "swapped" | "done");
        let expected = if replaced { &new } else { &old };
        let out = bench.interrupt_at(&strs(&run_args("2", true)), step, signal, fallback);
        assert!(ended_by(out.status, signal), "{case}: {:?}", out.status);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if signal == SIGKILL {
            // The next steppe writing `res` cleans up first (here it then refuses, as `res`
            // exists and --force is not given) ...
            let next = bench.output(&strs(&run_args("2", false)));
            assert_eq!(next.status.code(), Some(2), "{case}");
            assert!(
                String::from_utf8_lossy(&next.stderr).contains("res already exists"),
                "{case}: {}",
                String::from_utf8_lossy(&next.stderr)
            );
        } else {
            let said = if replaced {
                "interrupted: res was written in full"
            } else {
                "interrupted: nothing was written; res is as it was"
            };
            assert!(stderr.contains(said), "{case}: {stderr}");
        }
        assert!(
            snapshot(&res).as_ref() == Some(expected),
            "{case}: wrong result in res"
        );
        assert_eq!(bench.listing(), ["res"], "{case}: left behind");
        if signal == SIGKILL {
            // ... and the next --force run succeeds.
            let again = bench.output(&strs(&run_args("2", true)));
            assert!(again.status.success(), "{case}");
            assert!(snapshot(&res).as_ref() == Some(&new), "{case}");
            assert_eq!(bench.listing(), ["res"], "{case}: left behind");
        }
    }
}

#[test]
fn sigint_at_every_step_of_a_forced_write_leaves_the_old_or_the_new_result() {
    interrupt_every_step(SIGINT);
}

#[test]
fn sigterm_at_every_step_of_a_forced_write_leaves_the_old_or_the_new_result() {
    interrupt_every_step(SIGTERM);
}

#[test]
fn sigkill_at_every_step_of_a_forced_write_is_repaired_by_the_next_run() {
    interrupt_every_step(SIGKILL);
}

#[test]
fn a_new_result_interrupted_before_it_is_in_place_leaves_nothing() {
    let (_, new) = old_and_new();
    for (step, signal) in [("created", SIGINT), ("complete", SIGTERM), ("done", SIGINT)] {
        let bench = Bench::new();
        // Into a folder that does not exist yet: it is removed again.
        let args = ["run", &scenario(), "--runs", "40", "--seed", "2"];
        let out_args: Vec<&str> = args.iter().copied().chain(["--out", "a/b/res"]).collect();
        let out = bench.interrupt_at(&out_args, step, signal, false);
        assert!(ended_by(out.status, signal), "{step}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        if step == "done" {
            assert!(stderr.contains("a/b/res was written in full"), "{stderr}");
            assert!(snapshot(&bench.work().join("a/b/res")).as_ref() == Some(&new));
        } else {
            assert!(
                stderr.contains("interrupted: nothing was written\n"),
                "{stderr}"
            );
            assert!(bench.listing().is_empty(), "{step}: {:?}", bench.listing());
        }
    }
}

#[test]
fn sigterm_during_the_simulation_stops_at_once_and_writes_nothing() {
    let bench = Bench::new();
    let child = bench
        .steppe(&[
            "run",
            &scenario(),
            "--runs",
            "1000000000",
            "--no-runs-csv",
            "--out",
            "res",
            "--quiet",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let sent = Instant::now();
    send(child.id(), SIGTERM);
    let out = child.wait_with_output().unwrap();
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "{:?}",
        sent.elapsed()
    );
    assert!(ended_by(out.status, SIGTERM), "{:?}", out.status);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "\ninterrupted: nothing was written\n"
    );
    assert!(bench.listing().is_empty());
}

#[test]
fn force_refuses_files_steppe_did_not_write_and_leaves_them_alone() {
    let bench = Bench::new();
    let first = bench.output(&strs(&run_args("1", false)));
    assert!(first.status.success());
    let res = bench.work().join("res");
    let force = run_args("2", true);

    // A file of the user's own in a result directory, named like a chart.
    std::fs::write(res.join("charts/my_diagram.svg"), "<svg>mine</svg>").unwrap();
    let before = snapshot(&res);
    let refused = bench.output(&strs(&force));
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains(
            "res holds charts/my_diagram.svg, which steppe did not write; --force only replaces a directory of steppe results"
        ),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(snapshot(&res), before, "the directory was touched");
    std::fs::remove_file(res.join("charts/my_diagram.svg")).unwrap();

    // A file steppe wrote, edited since.
    let mut runs = std::fs::read_to_string(res.join("runs.csv")).unwrap();
    runs.push_str("my note\n");
    std::fs::write(res.join("runs.csv"), &runs).unwrap();
    let refused = bench.output(&strs(&force));
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains(
            "res/runs.csv was changed since steppe wrote it; --force does not replace a file you edited"
        ),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(std::fs::read_to_string(res.join("runs.csv")).unwrap(), runs);

    // Files named like steppe's in a directory steppe did not write.
    let mine = bench.work().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("runs.csv"), "my,own\n").unwrap();
    std::fs::write(mine.join("summary.json"), "{}").unwrap();
    let mut args = force.clone();
    let out_index = args.iter().position(|a| a == "res").unwrap();
    args[out_index] = "mine".into();
    let refused = bench.output(&strs(&args));
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("mine was not written by steppe (it has no .steppe-manifest)"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(mine.join("runs.csv")).unwrap(),
        "my,own\n"
    );
    assert_eq!(bench.listing(), ["mine", "res"]);
}

#[test]
fn stale_temporaries_of_killed_processes_do_not_break_the_next_run() {
    let bench = Bench::new();
    // Temporaries named as earlier versions named them, `.res.tmp-PID`, for the PIDs the next
    // process is likely to get (Linux hands them out in order): their PID is no proof that
    // their writer is gone, so they are neither in the way nor deleted.
    let mut probe = Command::new("true").spawn().unwrap();
    let pid = probe.id();
    probe.wait().unwrap();
    let legacy: Vec<String> = (pid + 1..pid + 65)
        .map(|p| format!(".res.tmp-{p}"))
        .collect();
    for name in &legacy {
        std::fs::create_dir(bench.work().join(name)).unwrap();
        std::fs::write(bench.work().join(name).join("summary.json"), "stale").unwrap();
    }
    let first = bench.output(&strs(&run_args("1", false)));
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let mut expected: Vec<String> = legacy.clone();
    expected.push("res".into());
    expected.sort();
    assert_eq!(bench.listing(), expected);

    // A steppe killed half-way leaves its temporary; the next run removes it.
    let killed = bench.interrupt_at(&strs(&run_args("2", true)), "file-2", SIGKILL, false);
    assert!(ended_by(killed.status, SIGKILL));
    assert_eq!(
        bench.listing().len(),
        expected.len() + 1,
        "a temporary is left"
    );
    let again = bench.output(&strs(&run_args("2", true)));
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(bench.listing(), expected);
    for name in &legacy {
        assert_eq!(
            std::fs::read_to_string(bench.work().join(name).join("summary.json")).unwrap(),
            "stale"
        );
    }
}

#[test]
fn init_and_report_interrupted_or_failing_leave_the_old_file_and_no_temporary() {
    let bench = Bench::new();
    let file = bench.work().join("s.toml");
    let init = ["init", "s", "--force"];
    for (step, signal) in [
        ("created", SIGINT),
        ("complete", SIGTERM),
        ("complete", SIGKILL),
    ] {
        std::fs::write(&file, "old").unwrap();
        let out = bench.interrupt_at(&init, step, signal, false);
        assert!(ended_by(out.status, signal), "{step} {signal}");
        if signal == SIGKILL {
            // The killed process's temporary is removed by the next write of s.toml.
            assert_eq!(bench.listing().len(), 2);
            let again = bench.output(&["init", "s", "--force"]);
            assert!(again.status.success());
            assert_ne!(std::fs::read_to_string(&file).unwrap(), "old");
        } else {
            assert!(
                String::from_utf8_lossy(&out.stderr)
                    .contains("interrupted: nothing was written; s.toml is as it was"),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(std::fs::read_to_string(&file).unwrap(), "old");
        }
        assert_eq!(bench.listing(), ["s.toml"], "{step} {signal}");
    }
    // Interrupted once the new file is in place: it says so.
    std::fs::write(&file, "old").unwrap();
    let out = bench.interrupt_at(&init, "done", SIGINT, false);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("interrupted: s.toml was written in full")
    );
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("[scenario]")
    );

    // A write that fails half-way (a full disk) leaves the old file and no temporary.
    std::fs::write(&file, "old").unwrap();
    let failed = bench
        .steppe(&init)
        .env("STEPPE_FAIL_AFTER_FILES", "0")
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&failed.stderr).contains("cannot write s.toml"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "old");
    assert_eq!(bench.listing(), ["s.toml"]);

    // report -o: the same.
    let html = bench.work().join("r.html");
    std::fs::write(&html, "old").unwrap();
    let report = [
        "report",
        &scenario(),
        "--runs",
        "40",
        "-o",
        "r.html",
        "--force",
        "--quiet",
    ];
    let out = bench.interrupt_at(&report, "complete", SIGINT, false);
    assert!(ended_by(out.status, SIGINT));
    assert_eq!(std::fs::read_to_string(&html).unwrap(), "old");
    assert_eq!(bench.listing(), ["r.html", "s.toml"]);
}

/// The stress test of docs/reliability.md (ignored: minutes, not seconds):
/// `STEPPE_STRESS_N=1500 cargo test --release --test it stress -- --ignored --nocapture`.
/// Runs `run baseline --runs 3000 --out res --force` over an earlier result N times and sends
/// SIGINT or SIGTERM (alternately) at a random moment of the write phase: uniformly from when
/// the temporary appears to a little after an undisturbed write typically ends (1.1 × the
/// median of 7). Right: died of the signal saying "nothing was written" with
/// exactly the old result in `res`; died of it saying "res was written in full" with exactly
/// the new one; or finished (exit 0) before the signal, with the new one. Anything else, or
/// anything left beside `res`, is wrong. `STEPPE_STRESS_BIN` tests another binary.
#[test]
#[ignore]
fn stress_random_interrupts_of_forced_writes() {
    let n: usize = std::env::var("STEPPE_STRESS_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let binary =
        std::env::var("STEPPE_STRESS_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_steppe").into());
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/baseline.toml")
        .display()
        .to_string();
    let bench = Bench::new();
    let res = bench.work().join("res");
    let args = |seed: &str| {
        [
            "run", &baseline, "--runs", "3000", "--seed", seed, "--out", "res", "--force",
            "--quiet",
        ]
        .map(String::from)
    };
    let command = |seed: &str| {
        let mut command = Command::new(&binary);
        command
            .args(args(seed))
            .current_dir(bench.work())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    };
    for seed in ["2", "1"] {
        assert!(command(seed).status().unwrap().success());
    }
    let old = snapshot(&res).unwrap();
    let new = {
        assert!(command("2").status().unwrap().success());
        let new = snapshot(&res).unwrap();
        std::fs::remove_dir_all(&res).unwrap();
        restore(&old, &res);
        new
    };
    let temp_exists = || {
        std::fs::read_dir(bench.work())
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(".res.tmp-"))
    };
    // Spawns the forced write and waits until its temporary appears.
    // `None` if it ended before the temporary was seen (a write faster than the polling).
    let start = || {
        let mut child = command("2").spawn().unwrap();
        while !temp_exists() {
            if child.try_wait().unwrap().is_some() {
                return (child, None);
            }
        }
        (child, Some(Instant::now()))
    };
    // How long the write phase lasts, undisturbed.
    let mut durations = Vec::new();
    while durations.len() < 7 {
        let (child, seen) = start();
        assert!(child.wait_with_output().unwrap().status.success());
        durations.extend(seen.map(|seen| seen.elapsed()));
        std::fs::remove_dir_all(&res).unwrap();
        restore(&old, &res);
    }
    durations.sort();
    let window = durations[3].mul_f64(1.1);
    let mut random = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut missed = 0;
    for i in 0..n {
        let signal = if i % 2 == 0 { SIGINT } else { SIGTERM };
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        let delay = window.mul_f64((random >> 11) as f64 / (1u64 << 53) as f64);
        let (child, seen) = start();
        let Some(seen) = seen else {
            // No signal sent: not an interrupt, not counted.
            assert!(child.wait_with_output().unwrap().status.success());
            missed += 1;
            std::fs::remove_dir_all(&res).unwrap();
            restore(&old, &res);
            continue;
        };
        while seen.elapsed() < delay {
            std::hint::spin_loop();
        }
        send(child.id(), signal);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let found = snapshot(&res);
        let in_res = match &found {
            Some(files) if *files == old => "old",
            Some(files) if *files == new => "new",
            Some(_) => "other",
            None => "missing",
        };
        let clean = bench.listing() == ["res"];
        let by_signal = ended_by(out.status, signal);
        let name = if signal == SIGINT {
            "SIGINT"
        } else {
            "SIGTERM"
        };
        let outcome = if !clean {
            format!(
                "wrong: {name}: left behind {:?} ({in_res} in res)",
                bench.listing()
            )
        } else if by_signal
            && stderr.contains("interrupted: nothing was written")
            && in_res == "old"
        {
            format!("right: {name}: nothing written, old result kept")
        } else if by_signal
            && stderr.contains("interrupted: res was written in full")
            && in_res == "new"
        {
            format!("right: {name}: new result in place, said so")
        } else if out.status.success() && in_res == "new" {
            format!("right: {name}: finished before the signal")
        } else {
            format!(
                "wrong: {name}: {:?}, {in_res} in res, said {:?}",
                out.status,
                stderr.trim()
            )
        };
        if outcome.starts_with("wrong") {
            eprintln!("{i}: {outcome}");
        }
        *counts.entry(outcome).or_default() += 1;
        if in_res != "old" || !clean {
            for entry in std::fs::read_dir(bench.work()).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    std::fs::remove_dir_all(&path).unwrap();
                } else {
                    std::fs::remove_file(&path).unwrap();
                }
            }
            restore(&old, &res);
        }
    }
    let wrong: usize = counts
        .iter()
        .filter(|(k, _)| k.starts_with("wrong"))
        .map(|(_, v)| v)
        .sum();
    let sent = n - missed;
    eprintln!(
        "{sent} interrupts within {:.0} ms of the temporary appearing: {} right, {wrong} wrong ({missed} runs ended before their temporary was seen: no signal sent)",
        window.as_secs_f64() * 1e3,
        sent - wrong
    );
    for (outcome, count) in &counts {
        eprintln!("  {count:5}  {outcome}");
    }
    assert_eq!(wrong, 0);
}
