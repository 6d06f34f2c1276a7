//! The memory guard counts the parameter design before anything is allocated: a design holds no
//! matrix of the whole run set (a shard computes only its runs' uniforms), and what must be
//! held — rank correlations reorder the draws of a whole run set, or of a replicate, at once —
//! is in the estimate, so a simulation that would not fit is refused with exit code 2.

use std::path::Path;
use std::process::Command;

use crate::common::{baseline, load, one_cell};
use steppe::design::Design;
use steppe::engine::{RunConfig, memory_estimate};

/// Runs steppe under an address-space limit of `limit_kib` (so that an attempt to allocate
/// far more aborts instead of swapping).
fn steppe_limited(limit_kib: u64, args: &[&str], dir: &Path) -> std::process::Output {
    let mut command = format!(
        "ulimit -v {limit_kib}; exec '{}'",
        env!("CARGO_BIN_EXE_steppe")
    );
    for a in args {
        command.push_str(&format!(" '{a}'"));
    }
    Command::new("sh")
        .args(["-c", &command])
        .current_dir(dir)
        .output()
        .unwrap()
}

const CORRELATED: &str = "[params]\nx = \"normal(0, 1)\"\ny = \"pert(0, 0.3, 1)\"\nz = \"uniform(-1, 1)\"\n\
    [correlations]\nx = { y = 0.6, z = -0.4 }\n\
    [[dynamics]]\nactors = [\"a\"]\ndrift = \"x\"\n";

#[test]
fn designs_hold_no_matrix_and_correlations_are_counted() {
    let scenario = steppe::command::load_file(&baseline()).unwrap();
    let huge = |design| RunConfig {
        runs: 1_000_000_000,
        design,
        keep_runs: false,
        ..RunConfig::from_scenario(&scenario)
    };
    for design in [Design::MonteCarlo, Design::LatinHypercube] {
        let estimate = memory_estimate(&scenario, &huge(design), 2);
        assert_eq!(estimate.design, 0, "{design:?}");
        // A billion runs in bounded memory: the baseline keeps ≈ 200 summaries of values (its
        // metrics and its 187 drawn parameters, Dirichlet sticks included), each bounded.
        assert!(estimate.total() < 320 << 20, "{design:?}: {estimate:?}");
    }
    // Iman–Conover on 3 parameters: (3·3 + 3) doubles a run of the block, plus 3 a run kept.
    let correlated = load(&one_cell("start = 2020\nend = 2030", CORRELATED));
    let config = |design| RunConfig {
        runs: 1_000_000,
        design,
        ..RunConfig::from_scenario(&correlated)
    };
    let mc = memory_estimate(&correlated, &config(Design::MonteCarlo), 1);
    assert_eq!(mc.design, (12 * 1_000_000 + 3 * 1_000_000) * 8);
    let lhs = memory_estimate(&correlated, &config(Design::LatinHypercube), 1);
    assert_eq!(lhs.design, (12 * 100_000 + 3 * 1_000_000) * 8);
}

#[test]
fn a_billion_designed_runs_fit_in_a_shard_and_a_billion_correlated_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // Shard 0 of 100,000 of a billion Latin hypercube runs: 10,000 runs, in well under 2 GB of
    // address space (the whole design was 104 GB, then copied; it aborted with SIGABRT).
    let out = steppe_limited(
        2_000_000,
        &[
            "run",
            &baseline(),
            "--design",
            "lhs",
            "--runs",
            "1000000000",
            "--shard",
            "0/100000",
            "--out",
            "part",
            "--quiet",
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("part/partial.json").exists());
    // Correlations must reorder every run's draws at once: refused before any allocation.
    std::fs::write(
        dir.path().join("c.toml"),
        one_cell("start = 2020\nend = 2030", CORRELATED),
    )
    .unwrap();
    for design in ["mc", "lhs"] {
        let out = steppe_limited(
            2_000_000,
            &["run", "c.toml", "--runs", "1000000000", "--design", design],
            dir.path(),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{design}: {stderr}");
        assert!(
            stderr.contains("for the parameter design: [correlations] reorders"),
            "{design}: {stderr}"
        );
    }
}

#[test]
fn a_tight_memory_budget_refuses_ten_million_designed_runs_up_front() {
    // 0.05 GiB is below the per-step histograms of the baseline on 2 threads: refused at once
    // with what the memory is for (the design itself needs none).
    let dir = tempfile::tempdir().unwrap();
    let out = steppe_limited(
        2_000_000,
        &[
            "run",
            &baseline(),
            "--design",
            "lhs",
            "--runs",
            "10000000",
            "--max-memory",
            "0.05",
            "--threads",
            "2",
        ],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("more than the limit of 0.05 GiB") && stderr.contains("histograms"),
        "{stderr}"
    );
}
