//! Engine throughput on the bundled baseline scenario: runs per second on 1 and 2 threads.
//!
//! A documented harness without dependencies: `cargo bench --bench engine` simulates the
//! baseline (5 targets × 4 actors + autonomy × 6 channels, 13 yearly steps, 2 drivers,
//! 8 events, 10 metrics) `REPEATS` times per configuration, side by side in one process, and
//! prints the median wall time and the ratio between thread counts. Quote ratios from one run:
//! the machines are shared and noisy.

use std::time::Instant;

use steppe::engine::{RunConfig, simulate};

const REPEATS: usize = 5;

fn main() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/baseline.toml");
    let text = std::fs::read_to_string(path).expect("baseline scenario");
    let scenario = steppe::scenario::load(path, &text).expect("valid baseline");
    println!(
        "{:>9} {:>8} {:>12} {:>14}",
        "runs", "threads", "median s", "runs/s"
    );
    for runs in [10_000u64, 100_000] {
        let mut medians = Vec::new();
        for threads in [1usize, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let config = RunConfig {
                runs,
                ..RunConfig::from_scenario(&scenario)
            };
            let mut times: Vec<f64> = (0..REPEATS)
                .map(|_| {
                    let started = Instant::now();
                    let outcome = pool.install(|| simulate(&scenario, &config));
                    std::hint::black_box(outcome);
                    started.elapsed().as_secs_f64()
                })
                .collect();
            times.sort_by(f64::total_cmp);
            let median = times[REPEATS / 2];
            medians.push(median);
            println!(
                "{runs:>9} {threads:>8} {median:>12.3} {:>14.0}",
                runs as f64 / median
            );
        }
        println!(
            "{runs:>9} speed-up of 2 threads over 1: {:.2}×",
            medians[0] / medians[1]
        );
    }
}
