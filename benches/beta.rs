//! The beta quantile two ways, side by side in one process: the exact one (a fixed bisection
//! tree over the incomplete beta function, `Distribution::quantile`) and the engine's table
//! (`Sampler`, 257 exact knots and a monotone cubic between them), for the shapes a Dirichlet
//! stick and a PERT take. `cargo bench --bench beta` prints the time per draw of each, the
//! time to build a table, and their ratio. Quote ratios from one run: the machines are shared
//! and noisy.

use std::hint::black_box;
use std::time::Instant;

use steppe::distribution::{Distribution, Sampler};

const DRAWS: usize = 200_000;

fn main() {
    println!(
        "{:<22} {:>12} {:>12} {:>9} {:>14}",
        "distribution", "exact ns", "table ns", "ratio", "table build ms"
    );
    for (alpha, beta) in [(2.4, 17.6), (14.0, 6.0), (0.4, 19.6), (3.0, 5.0)] {
        let d = Distribution::Beta { alpha, beta };
        let started = Instant::now();
        let sampler = Sampler::new(&d);
        let build = started.elapsed().as_secs_f64();
        let uniforms: Vec<f64> = (0..DRAWS)
            .map(|i| (i as f64 + 0.5) / DRAWS as f64)
            .collect();
        let time = |f: &dyn Fn(f64) -> f64| {
            let started = Instant::now();
            let mut sum = 0.0;
            for &u in &uniforms {
                sum += f(black_box(u));
            }
            black_box(sum);
            started.elapsed().as_secs_f64() / DRAWS as f64 * 1e9
        };
        let exact = time(&|u| d.quantile(u));
        let table = time(&|u| sampler.quantile(u));
        println!(
            "{:<22} {exact:>12.0} {table:>12.1} {:>8.0}× {:>14.2}",
            format!("{d}"),
            exact / table,
            build * 1e3
        );
    }
}
