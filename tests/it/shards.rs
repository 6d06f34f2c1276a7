//! `run --shard K/N` as separate processes, then `merge`: byte-identical to the single run.

use std::path::Path;
use std::process::Command;

fn steppe(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_steppe"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

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
                Command::new(env!("CARGO_BIN_EXE_steppe"))
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
        assert!(steppe(dir.path(), &args).status.success());
        let single = format!("{design}-single");
        let mut args = vec!["run", baseline.as_str(), "--out", single.as_str()];
        args.extend(common);
        assert!(steppe(dir.path(), &args).status.success());
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
    let incomplete = steppe(dir.path(), &["merge", "mc0", "mc1", "mc2", "--out", "bad"]);
    assert_eq!(incomplete.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&incomplete.stderr)
            .contains("do not cover the 4 shards exactly once (missing: 3")
    );
    let mixed = steppe(
        dir.path(),
        &["merge", "mc0", "mc1", "mc2", "lhs3", "--out", "bad"],
    );
    assert_eq!(mixed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&mixed.stderr).contains("does not belong with"));
    assert!(!dir.path().join("bad").exists());
}
