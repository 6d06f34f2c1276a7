//! Experimental designs for the uncertain parameters: which uniform each run feeds to each
//! parameter's quantile function.
//!
//! - Monte Carlo (default): independent uniforms, one stream per parameter (see `rng`).
//! - Latin hypercube: for each parameter, the N runs take one value from each of the N equal
//!   strata of (0, 1), in a random order — every part of every distribution is visited, which
//!   lowers the variance of means of monotone metrics.
//! - Sobol: an Owen-scrambled Sobol sequence (Burley's hash-based scrambling), a
//!   low-discrepancy design that fills the parameter space evenly in every dimension.
//!
//! A design is a pure function of (seed, run count, parameter names), so it is the same on
//! any number of threads.

use crate::rng::{self, ComponentKey};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Design {
    /// Independent uniforms (plain Monte Carlo).
    #[default]
    #[value(name = "mc")]
    MonteCarlo,
    /// Latin hypercube: one draw per stratum of each parameter.
    #[value(name = "lhs")]
    LatinHypercube,
    /// Owen-scrambled Sobol sequence (at most 65,536 runs and 256 parameters).
    Sobol,
}

/// Largest run count and parameter count of the Sobol design (limits of the sequence used).
pub const SOBOL_MAX_RUNS: u64 = 1 << 16;
pub const SOBOL_MAX_PARAMS: usize = 256;

impl Design {
    pub fn name(self) -> &'static str {
        match self {
            Design::MonteCarlo => "mc",
            Design::LatinHypercube => "lhs",
            Design::Sobol => "sobol",
        }
    }

    /// Why this design cannot serve `runs` runs of `params` parameters, if it cannot.
    pub fn check(self, runs: u64, params: usize) -> Result<(), String> {
        match self {
            Design::Sobol if runs > SOBOL_MAX_RUNS => Err(format!(
                "the Sobol design supports at most {SOBOL_MAX_RUNS} runs, not {runs}"
            )),
            Design::Sobol if params > SOBOL_MAX_PARAMS => Err(format!(
                "the Sobol design supports at most {SOBOL_MAX_PARAMS} parameters, not {params}"
            )),
            _ => Ok(()),
        }
    }

    /// The uniforms of every run and parameter, run-major (`u[run * n + p]`), or `None` for
    /// Monte Carlo (each run draws its own). Each is strictly inside (0, 1).
    pub fn uniforms(self, seed: u64, runs: usize, params: &[String]) -> Option<Vec<f64>> {
        let n = params.len();
        match self {
            Design::MonteCarlo => None,
            Design::LatinHypercube => {
                let mut u = vec![0.0; runs * n];
                for (p, name) in params.iter().enumerate() {
                    let mut stream =
                        rng::stream(seed, 0, ComponentKey::new(&format!("design/lhs/{name}")));
                    let mut strata: Vec<usize> = (0..runs).collect();
                    // Fisher–Yates with an unbiased bounded draw.
                    for i in (1..runs).rev() {
                        let j = (rng::uniform(&mut stream) * (i + 1) as f64) as usize;
                        strata.swap(i, j.min(i));
                    }
                    for (run, stratum) in strata.into_iter().enumerate() {
                        u[run * n + p] = (stratum as f64 + rng::uniform(&mut stream)) / runs as f64;
                    }
                }
                Some(u)
            }
            Design::Sobol => Some(sobol_matrix(seed, runs, n)),
        }
    }
}

/// `rows × dims` points of an Owen-scrambled Sobol sequence (row-major), each strictly inside
/// (0, 1). At most 65,536 rows and 256 dimensions (see [`Design::check`]).
pub fn sobol_matrix(seed: u64, rows: usize, dims: usize) -> Vec<f64> {
    let scramble =
        (ComponentKey::new(&format!("design/sobol/{seed}")).value() & 0xffff_ffff) as u32;
    let mut u = vec![0.0; rows * dims];
    for row in 0..rows {
        for d in 0..dims {
            let x = f64::from(sobol_burley::sample(row as u32, d as u32, scramble));
            // The sequence has 24-bit resolution; centre in the cell so 0 never reaches a
            // quantile function.
            u[row * dims + d] = ((x * 16_777_216.0).floor() + 0.5) / 16_777_216.0;
        }
    }
    u
}
