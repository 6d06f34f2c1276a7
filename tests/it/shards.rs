//! `run --shard K/N` as separate processes, then `merge`: byte-identical to the single run.

use crate::common::steppe_in;
use std::path::Path;

#[test]
fn merged_shards_equal_the_single_run_byte_for_byte() {
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/baseline.toml")
        .display()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    for design in ["mc", "lhs"] {
        let common = [
            "--runs", "1500", "--seed", "4", "--design", design, "--quiet",
        ];
        let shards: Vec<String> = (0..4).map(|k| format!("{design}{k}")).collect();
        // Launched together: four processes, as four machines would.
        let children: Vec<_> = (0..4)
            .map(|k| {
                crate::common::command()
                    .args([
                        "run",
                        &baseline,
                        "--shard",
                        &format!("{k}/4"),
                        "--out",
                        &shards[k],
                    ])
                    .args(common)
                    .current_dir(dir.path())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut child in children {
            assert!(child.wait().unwrap().success());
        }
        let merged = format!("{design}-merged");
        let mut args = vec!["merge"];
        args.extend(shards.iter().rev().map(String::as_str));
        args.extend(["--out", &merged, "--quiet"]);
        assert!(steppe_in(dir.path(), &args).status.success());
        let single = format!("{design}-single");
        let mut args = vec!["run", baseline.as_str(), "--out", single.as_str()];
        args.extend(common);
        assert!(steppe_in(dir.path(), &args).status.success());
        for file in ["summary.json", "series.csv", "metrics.csv", "runs.csv"] {
            let (a, b) = (
                dir.path().join(&merged).join(file),
                dir.path().join(&single).join(file),
            );
            assert_eq!(
                std::fs::read(a).unwrap(),
                std::fs::read(b).unwrap(),
                "{design}: {file} differs"
            );
        }
    }
    // Incomplete or mismatched partials are refused.
    let incomplete = steppe_in(dir.path(), &["merge", "mc0", "mc1", "mc2", "--out", "bad"]);
    assert_eq!(incomplete.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&incomplete.stderr)
            .contains("do not cover the 4 shards exactly once (missing: 3")
    );
    let mixed = steppe_in(
        dir.path(),
        &["merge", "mc0", "mc1", "mc2", "lhs3", "--out", "bad"],
    );
    assert_eq!(mixed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&mixed.stderr).contains("does not belong with"));
    assert!(!dir.path().join("bad").exists());
}

/// Every command that simulates shards the same way: compare (three scenarios), sweep (a
/// grid of points), sensitivity (tornado and Sobol design rows) and discover, each as three
/// shard processes merged in a scrambled order, byte-identical to the unsharded command.
#[test]
fn every_command_merges_to_its_unsharded_result() {
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let file = |name: &str| scenarios.join(name).display().to_string();
    let (baseline, rebound, china) = (
        file("baseline.toml"),
        file("russia_rebound.toml"),
        file("china_ascendant.toml"),
    );
    let dir = tempfile::tempdir().unwrap();
    let commands: Vec<(&str, Vec<&str>, &[&str])> = vec![
        (
            "compare",
            vec!["compare", &baseline, &rebound, &china, "--runs", "600"],
            &[
                "comparison.json",
                "comparison.csv",
                "charts/overlay_region.svg",
            ],
        ),
        (
            "sweep",
            vec![
                "sweep",
                &baseline,
                "--vary",
                "russia_trend=-0.06..0:3",
                "--runs",
                "300",
                "--design",
                "lhs",
            ],
            &["sweep.json", "sweep.csv"],
        ),
        (
            "sensitivity",
            vec![
                "sensitivity",
                &baseline,
                "--metric",
                "kazakhstan:china",
                "--over-time",
                "--samples",
                "32",
                "--bootstrap",
                "20",
                "--runs",
                "60",
            ],
            &["sensitivity.json", "sensitivity.csv", "charts/tornado.svg"],
        ),
        (
            "discover",
            vec![
                "discover",
                &baseline,
                "--where",
                "share(\"kazakhstan\", \"china\") > 0.2",
                "--runs",
                "600",
            ],
            &["discovery.json"],
        ),
    ];
    for (name, args, files) in commands {
        let children: Vec<_> = (0..3)
            .map(|k| {
                crate::common::command()
                    .args(&args)
                    .args(["--quiet", "--shard", &format!("{k}/3")])
                    .args(["--out", &format!("{name}{k}")])
                    .current_dir(dir.path())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut child in children {
            assert!(child.wait().unwrap().success(), "{name}: a shard failed");
        }
        let (p0, p1, p2) = (format!("{name}0"), format!("{name}1"), format!("{name}2"));
        let merged_dir = format!("{name}-merged");
        let merged = steppe_in(
            dir.path(),
            &["merge", &p2, &p0, &p1, "--out", &merged_dir, "--json", "-q"],
        );
        assert!(
            merged.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&merged.stderr)
        );
        let single_dir = format!("{name}-single");
        let mut single_args = args.clone();
        single_args.extend(["--out", &single_dir, "--json", "-q"]);
        let single = steppe_in(dir.path(), &single_args);
        assert!(single.status.success());
        assert_eq!(merged.stdout, single.stdout, "{name}: stdout differs");
        for file in files {
            let read = |d: &str| std::fs::read(dir.path().join(d).join(file)).unwrap();
            assert_eq!(
                read(&merged_dir),
                read(&single_dir),
                "{name}: {file} differs"
            );
        }
    }
    // Partials of different commands never merge; more shards than runs is refused up front.
    let mixed = steppe_in(
        dir.path(),
        &["merge", "compare0", "sweep1", "sweep2", "--out", "bad"],
    );
    assert_eq!(mixed.status.code(), Some(2));
    let said = String::from_utf8_lossy(&mixed.stderr);
    assert!(
        said.contains("sweep1/partial.json (shard 1 of 3) does not belong with compare0/partial.json (shard 0 of 3): one is of `compare`, the other of `sweep`"),
        "{said}"
    );
    let tiny = steppe_in(
        dir.path(),
        &[
            "run", &baseline, "--runs", "2", "--shard", "0/3", "--out", "tiny",
        ],
    );
    assert_eq!(tiny.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&tiny.stderr).contains("use at most 2 shards"));
    // A design's limits are those of the whole run set, not of a shard's share.
    let sobol = steppe_in(
        dir.path(),
        &[
            "run", &baseline, "--design", "sobol", "--runs", "70000", "--shard", "0/2", "--out",
            "tiny",
        ],
    );
    assert_eq!(sobol.status.code(), Some(2));
    assert!(!dir.path().join("bad").exists() && !dir.path().join("tiny").exists());
    // A shard from a machine whose math library rounds differently: merged, with a warning.
    let path = dir.path().join("discover1/partial.json");
    let mut partial: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        partial["math"].as_str().unwrap(),
        steppe::shard::math_fingerprint()
    );
    partial["math"] = serde_json::Value::from("0123456789abcdef");
    std::fs::write(&path, serde_json::to_string(&partial).unwrap()).unwrap();
    let warned = steppe_in(
        dir.path(),
        &[
            "merge",
            "discover0",
            "discover1",
            "discover2",
            "--out",
            "warned",
        ],
    );
    assert!(warned.status.success());
    assert!(
        String::from_utf8_lossy(&warned.stderr)
            .contains("warning: the shards ran on machines whose math libraries round differently")
    );
}
