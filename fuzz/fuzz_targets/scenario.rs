//! Loading a scenario from text: TOML parse, validation, compilation of expressions; then, for
//! a scenario that loads, `explain` and a tiny simulation; for one that does not, rendering its
//! diagnostics.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use steppe::engine::{self, RunConfig};

/// Largest simulation the target runs, so that each execution stays fast.
const MAX_CELLS: usize = 200;
const MAX_STEPS: usize = 200;
const MAX_BYTES: u64 = 64 << 20;

/// One worker thread: the machine is shared, and results do not depend on the thread count.
fn pool() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap())
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match steppe::scenario::load("fuzz.toml", text) {
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
