//! Experimental designs for the uncertain parameters: which uniform each run feeds to each
//! parameter's quantile function.
//!
//! - Monte Carlo (default): independent uniforms, one stream per parameter (see `rng`).
//! - Latin hypercube: for each parameter, the m runs of a replicate take one value from each
//!   of the m equal strata of (0, 1), in a random order — every part of every distribution is
//!   visited, which lowers the variance of means of monotone metrics.
//! - Sobol: an Owen-scrambled Sobol sequence (Burley's hash-based scrambling) per replicate, a
//!   low-discrepancy design that fills the parameter space evenly in every dimension.
//!
//! A design is a pure function of (seed, run count, parameter names), so it is the same on
//! any number of threads; each run's uniforms are computed from the run alone, so no design
//! holds a matrix of the whole run set. Latin hypercube and Sobol runs form [`REPLICATES`]
//! independent replicates, whose spread gives their standard errors.

use crate::rng::{self, ComponentKey};

/// How the runs' parameter uniforms are chosen (`--design`): Monte Carlo, Latin hypercube or Sobol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Design {
    /// Independent uniforms (plain Monte Carlo).
    #[default]
    MonteCarlo,
    /// Latin hypercube: one draw per stratum of each parameter.
    LatinHypercube,
    /// Owen-scrambled Sobol sequence (at most 65,536 runs and 256 parameters).
    Sobol,
}

/// Largest run count and parameter count of the Sobol design (limits of the sequence used).
pub const SOBOL_MAX_RUNS: u64 = 1 << 16;
/// Largest parameter count of the Sobol design.
pub const SOBOL_MAX_PARAMS: usize = 256;

/// Independent replicates of a Latin hypercube or Sobol design: its runs are split into this
/// many blocks of nearly equal size, each a design of its own with its own randomisation, so
/// the spread of the blocks' estimates gives an honest standard error (with R − 1 = 9 degrees
/// of freedom). Splitting costs a design little: the variance a design removes, from the
/// additive part of a metric, falls like 1/m³ in the block size m for smooth metrics, far
/// below the 1/N of the rest beyond a few hundred runs per block.
pub const REPLICATES: u64 = 10;

/// One replicate of a design: the block of runs `first..first + size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    /// The replicate's index, in `0..replicates`.
    pub replicate: u64,
    /// The index of its first run in the run set.
    pub first: u64,
    /// Its number of runs.
    pub size: u64,
}

impl Design {
    /// The design's name as `--design` spells it and the JSON's `design` reports it: `"mc"`,
    /// `"lhs"` or `"sobol"`.
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

    /// How many independent replicates a run set of `runs` runs forms: 1 for Monte Carlo
    /// (whose runs are independent already), else [`REPLICATES`], fewer for fewer than 20
    /// runs (at least 2 runs each).
    pub fn replicates(self, runs: u64) -> u64 {
        match self {
            Design::MonteCarlo => 1,
            _ => (runs / 2).clamp(1, REPLICATES),
        }
    }

    /// The replicate that run `run` of a run set of `runs` belongs to: replicate
    /// r = ⌊run·R / runs⌋, which holds runs ⌈r·runs/R⌉ .. ⌈(r + 1)·runs/R⌉.
    pub fn block(self, run: u64, runs: u64) -> Block {
        let r = u128::from(self.replicates(runs));
        let (run, n) = (u128::from(run), u128::from(runs.max(1)));
        let replicate = run * r / n;
        let start = |k: u128| (k * n).div_ceil(r);
        let first = start(replicate);
        Block {
            replicate: replicate as u64,
            first: first as u64,
            size: (start(replicate + 1) - first) as u64,
        }
    }

    /// The key of parameter `name`'s part of the design under master seed `seed` (computed
    /// once, for [`Design::uniform`]).
    pub fn key(self, seed: u64, name: &str) -> ComponentKey {
        match self {
            Design::Sobol => ComponentKey::new(&format!("design/sobol/{seed}")),
            _ => ComponentKey::new(&format!("design/lhs/{name}")),
        }
    }

    /// The uniform that run `run` of a run set of `runs` feeds to parameter `p` (whose
    /// [`Design::key`] is `key`), or `None` for Monte Carlo (each run draws its own). Strictly inside (0, 1),
    /// computed from the run alone — no matrix of the whole run set — so a shard computes its
    /// own runs' uniforms only.
    ///
    /// Latin hypercube: within the run's replicate of m runs, its position j goes to stratum
    /// π(j) of m, π a keyed pseudo-random permutation of 0..m (a Feistel network with cycle
    /// walking: a bijection, so each stratum gets exactly one run), with a uniform offset
    /// inside the stratum from the run's own stream. Sobol: point j of an Owen-scrambled Sobol
    /// sequence with a scramble of the replicate's own.
    pub fn uniform(
        self,
        seed: u64,
        run: u64,
        runs: u64,
        p: usize,
        key: ComponentKey,
    ) -> Option<f64> {
        let block = self.block(run, runs);
        let j = run - block.first;
        match self {
            Design::MonteCarlo => None,
            Design::LatinHypercube => {
                let permutation = rng::mix(rng::mix(seed ^ key.value()) ^ block.replicate);
                let stratum = permute(j, block.size, permutation);
                let offset = rng::uniform(&mut rng::stream(seed, run, key));
                let u = (stratum as f64 + offset) / block.size as f64;
                Some(u.min(1.0f64.next_down()))
            }
            Design::Sobol => {
                let scramble = rng::mix(key.value() ^ block.replicate) as u32;
                let x = f64::from(sobol_burley::sample(j as u32, p as u32, scramble));
                // The sequence has 24-bit resolution; centre in the cell so 0 never reaches a
                // quantile function.
                Some(((x * 16_777_216.0).floor() + 0.5) / 16_777_216.0)
            }
        }
    }
}

/// A pseudo-random permutation of `0..size` keyed by `key`: a balanced Feistel network of six
/// rounds on the smallest even number of bits that holds `size − 1`, walked along its cycles
/// until it lands in `0..size` (at most 4 steps expected).
pub fn permute(index: u64, size: u64, key: u64) -> u64 {
    if size <= 1 {
        return 0;
    }
    let bits = 64 - (size - 1).leading_zeros();
    let half = bits.div_ceil(2);
    let mask = if half >= 64 {
        u64::MAX
    } else {
        (1u64 << half) - 1
    };
    let mut x = index;
    loop {
        let (mut left, mut right) = (x >> half, x & mask);
        for round in 0..6u64 {
            let f = rng::mix(key ^ rng::mix(right ^ (round << 58))) & mask;
            (left, right) = (right, left ^ f);
        }
        x = (left << half) | right;
        if x < size {
            return x;
        }
    }
}

/// `rows × dims` points of an Owen-scrambled Sobol sequence (row-major), each strictly inside
/// (0, 1). At most 65,536 rows and 256 dimensions (see [`Design::check`]).
pub fn sobol_matrix(seed: u64, rows: usize, dims: usize) -> Vec<f64> {
    scrambled_sobol(&format!("design/sobol/{seed}"), rows, dims)
}

/// The two matrices A and B of a Saltelli design of `k` parameters, side by side in each
/// row (`[A_j | B_j]`, row-major): the first 2k dimensions of one scrambled Sobol sequence
/// when 2k ≤ 256, as before; beyond that (up to k = 256), A and B are the first k dimensions
/// of the sequence under two independent Owen scramblings. Independent scramblings make A_j
/// and B_j independent uniform vectors, which is all the estimators need; what is lost is only
/// the sequence's low discrepancy across A and B together.
pub fn sobol_ab(seed: u64, rows: usize, k: usize) -> Vec<f64> {
    if 2 * k <= SOBOL_MAX_PARAMS {
        return sobol_matrix(seed, rows, 2 * k);
    }
    let a = scrambled_sobol(&format!("design/sobol/{seed}/A"), rows, k);
    let b = scrambled_sobol(&format!("design/sobol/{seed}/B"), rows, k);
    let mut ab = Vec::with_capacity(rows * 2 * k);
    for j in 0..rows {
        ab.extend_from_slice(&a[j * k..(j + 1) * k]);
        ab.extend_from_slice(&b[j * k..(j + 1) * k]);
    }
    ab
}

/// `rows × dims` points of the Sobol sequence under the Owen scrambling keyed by `name`.
fn scrambled_sobol(name: &str, rows: usize, dims: usize) -> Vec<f64> {
    let scramble = (ComponentKey::new(name).value() & 0xffff_ffff) as u32;
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
