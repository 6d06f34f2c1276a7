//! Loading a scenario from text: TOML parse, validation, compilation of expressions; then, for
//! a scenario that loads, `explain` and a tiny simulation; for one that does not, rendering its
//! diagnostics. `extends` is served from the bundled scenarios and the bad-scenario catalogue's
//! parents (by file name), so the scenarios that extend `baseline.toml` load whole.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use steppe::engine::{self, RunConfig};

/// Largest simulation the target runs, so that each execution stays fast.
const MAX_CELLS: usize = 200;
const MAX_STEPS: usize = 200;
const MAX_BYTES: u64 = 64 << 20;

/// The files `extends` may name, by file name; any other name is a missing file.
const FILES: &[(&str, &str)] = &[
    ("baseline.toml", include_str!("../../scenarios/baseline.toml")),
    ("two_targets.toml", include_str!("../../tests/it/data/two_targets.toml")),
    (
        "95_extends_cycle.toml",
        include_str!("../../tests/bad_scenarios/95_extends_cycle.toml"),
    ),
    (
        "95_extends_cycle.parent.toml",
        include_str!("../../tests/bad_scenarios/95_extends_cycle.parent.toml"),
    ),
    (
        "97_remove_not_inherited.parent.toml",
        include_str!("../../tests/bad_scenarios/97_remove_not_inherited.parent.toml"),
    ),
    (
        "98_remove_and_change.parent.toml",
        include_str!("../../tests/bad_scenarios/98_remove_and_change.parent.toml"),
    ),
    (
        "99_mistake_in_extended_file.parent.toml",
        include_str!("../../tests/bad_scenarios/99_mistake_in_extended_file.parent.toml"),
    ),
    (
        "103_correlation_remove_not_inherited.parent.toml",
        include_str!("../../tests/bad_scenarios/103_correlation_remove_not_inherited.parent.toml"),
    ),
    (
        "111_override_out_of_range.parent.toml",
        include_str!("../../tests/bad_scenarios/111_override_out_of_range.parent.toml"),
    ),
];

fn read(path: &str) -> Result<String, String> {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| text.to_string())
        .ok_or_else(|| format!("cannot read {path}: no such file"))
}

/// One worker thread: the machine is shared, and results do not depend on the thread count.
fn pool() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap())
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match steppe::scenario::load_with("fuzz.toml", text, &mut read) {
        Ok(s) => {
            let _ = steppe::report::explain::render(&s, None);
            if s.n_cells() <= MAX_CELLS && s.n_steps() <= MAX_STEPS {
                let config = RunConfig {
                    runs: 2,
                    ..RunConfig::from_scenario(&s)
                };
                // The series histograms grow with steps × series; keep memory bounded.
                if engine::memory_estimate(&s, &config, 1).total() <= MAX_BYTES {
                    let _ = pool().install(|| engine::simulate(&s, &config));
                }
            }
        }
        Err(e) => {
            let _ = format!("{e}");
        }
    }
});
