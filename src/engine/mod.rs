//! The simulation engine: a validated [`Scenario`] and a [`RunConfig`] in, an [`Outcome`] out.
//!
//! Pure: no files, no terminal, no clock, no global state. Runs are simulated in fixed batches on
//! rayon's current thread pool (the caller picks its size); because every run draws from its own
//! streams and every aggregate merges exactly, the outcome is the same bit for bit on any number
//! of threads.

mod plan;
mod run;
pub mod series;

use rayon::prelude::*;

use crate::scenario::Scenario;
pub use series::{DEFAULT_BINS, SeriesAccumulator};

/// How to run a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    pub runs: u64,
    pub seed: u64,
    /// Histogram bins of the series aggregates.
    pub bins: usize,
    /// Points (step indices) at which every series' value is kept per run, for paired
    /// comparisons; series are otherwise only aggregated.
    pub tracked_points: Vec<usize>,
    /// How parameters are sampled across runs.
    pub design: crate::design::Design,
    /// Explicit rows instead of runs 0..runs (sensitivity analysis): each row's parameter
    /// uniforms and the run whose streams drive its within-run randomness. `runs` must equal
    /// the number of rows.
    pub rows: Option<std::sync::Arc<Rows>>,
    /// Simulate only runs `first..first + runs` of a run set of `total` runs (a shard); the
    /// design and correlations are those of the whole set, so shards merge into exactly the
    /// unsharded outcome.
    pub shard: Option<Shard>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    pub first: u64,
    pub total: u64,
}

/// Rows of a designed experiment: `uniforms[row * n_params + p]` and `stream_runs[row]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rows {
    pub uniforms: Vec<f64>,
    pub stream_runs: Vec<u64>,
}

impl RunConfig {
    /// The scenario's own run count and seed.
    pub fn from_scenario(scenario: &Scenario) -> RunConfig {
        RunConfig {
            runs: scenario.runs,
            seed: scenario.seed,
            bins: DEFAULT_BINS,
            tracked_points: Vec::new(),
            design: crate::design::Design::MonteCarlo,
            rows: None,
            shard: None,
        }
    }
}

/// Everything a simulation produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub runs: u64,
    pub seed: u64,
    pub design: crate::design::Design,
    /// Composite shares of every target and the region, aggregated over runs, at every point.
    pub series: SeriesAccumulator,
    /// `metrics[m][run]`; a `first` metric's "never" is NaN.
    pub metrics: Vec<Vec<f64>>,
    /// `params[p][run]`: each run's draw of every parameter.
    pub params: Vec<Vec<f64>>,
    /// `tracked[i * n_series + series][run]`: the value of every series at the `i`-th of
    /// `RunConfig::tracked_points`, per run (series as in `series`: targets then the region,
    /// each actor then autonomy).
    pub tracked: Vec<Vec<f64>>,
}

/// Bytes a simulation will hold at its peak: per-run metric values and parameter draws (twice,
/// while they are transposed), and the series histograms of every worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryEstimate {
    pub per_run: u64,
    pub runs: u64,
    pub series: u64,
}

impl MemoryEstimate {
    pub fn total(&self) -> u64 {
        self.per_run * self.runs + self.series
    }
}

pub fn memory_estimate(scenario: &Scenario, config: &RunConfig, threads: usize) -> MemoryEstimate {
    let plan = plan::Plan::new(scenario);
    let row = scenario.metrics.len() + config.tracked_points.len() * plan.n_series();
    let per_run = (row.max(1) + scenario.params.len().max(1)) as u64 * 8 * 2;
    let one = SeriesAccumulator::bytes(plan.n_steps + 1, plan.n_series(), config.bins) as u64;
    // Rayon may split the work into a few more parts than threads; each holds one.
    MemoryEstimate {
        per_run,
        runs: config.runs,
        series: one * (4 * threads as u64 + 1),
    }
}

/// Runs per batch: the unit of parallel work. Fixed, so the work split never depends on the
/// number of threads (results would not either, but fixed batches keep that easy to see).
const BATCH: usize = 256;

/// Simulates `config.runs` futures of `scenario`.
pub fn simulate(scenario: &Scenario, config: &RunConfig) -> Outcome {
    simulate_with_progress(scenario, config, &|_| {})
}

/// Like [`simulate`], calling `progress(runs_done)` after each batch (from any thread).
pub fn simulate_with_progress(
    scenario: &Scenario,
    config: &RunConfig,
    progress: &(dyn Fn(u64) + Sync),
) -> Outcome {
    let plan = plan::Plan::new(scenario);
    let runs = config.runs as usize;
    // A run's row: its metric values, then its tracked series values.
    let n_metrics = scenario.metrics.len() + config.tracked_points.len() * plan.n_series();
    let n_params = scenario.params.len();
    // Run-major while simulating (each batch writes a contiguous block), transposed at the end.
    // Rows are at least one wide so that every batch has a block even with no metrics.
    let (metric_width, param_width) = (n_metrics.max(1), n_params.max(1));
    let mut metric_rows = vec![0.0; runs * metric_width];
    let mut param_rows = vec![0.0; runs * param_width];
    let design = parameter_uniforms(scenario, &plan, config);
    let n_batches = runs.div_ceil(BATCH);
    let done = std::sync::atomic::AtomicU64::new(0);
    // Few large work units per thread: each unit carries a histogram worth megabytes.
    let min_len = (n_batches / (4 * rayon::current_num_threads())).max(1);
    let series = metric_rows
        .par_chunks_mut(BATCH * metric_width)
        .zip(param_rows.par_chunks_mut(BATCH * param_width))
        .enumerate()
        .with_min_len(min_len)
        .fold(
            || {
                run::Worker::new(
                    scenario,
                    &plan,
                    config,
                    design.as_deref(),
                    config.rows.as_ref().map(|r| r.stream_runs.as_slice()),
                )
            },
            |mut worker, (batch, (metric_block, param_block))| {
                let first = batch * BATCH;
                let last = (first + BATCH).min(runs);
                for (i, run) in (first..last).enumerate() {
                    worker.run(
                        run as u64,
                        &mut metric_block[i * metric_width..i * metric_width + n_metrics],
                        &mut param_block[i * param_width..i * param_width + n_params],
                    );
                }
                let total =
                    done.fetch_add((last - first) as u64, std::sync::atomic::Ordering::Relaxed);
                progress(total + (last - first) as u64);
                worker
            },
        )
        .map(|worker| worker.series)
        .reduce_with(|mut a, b| {
            a.merge(&b);
            a
        })
        .unwrap_or_else(|| SeriesAccumulator::new(plan.n_steps + 1, plan.n_series(), config.bins));
    Outcome {
        runs: config.runs,
        seed: config.seed,
        design: config.design,
        series,
        metrics: columns(&metric_rows, metric_width, scenario.metrics.len()),
        tracked: columns(&metric_rows, metric_width, n_metrics).split_off(scenario.metrics.len()),
        params: columns(&param_rows, param_width, n_params),
    }
}

/// The uniforms every run feeds to every parameter, run-major, when they are not simply each
/// run's own draws: under a Latin hypercube or Sobol design, or when rank correlations are
/// imposed (Iman–Conover reorders the draws of the correlated parameters among the runs).
fn parameter_uniforms(
    scenario: &Scenario,
    plan: &plan::Plan,
    config: &RunConfig,
) -> Option<Vec<f64>> {
    if let Some(rows) = &config.rows {
        return Some(rows.uniforms.clone());
    }
    let names: Vec<String> = scenario.params.iter().map(|p| p.name.clone()).collect();
    let n = names.len();
    // Designs and correlations belong to the whole run set; a shard takes its rows.
    let (first, total) = config.shard.map_or((0, config.runs as usize), |s| {
        (s.first as usize, s.total as usize)
    });
    let slice = |u: Vec<f64>| u[first * n..(first + config.runs as usize) * n].to_vec();
    let designed = config.design.uniforms(config.seed, total, &names);
    let Some(correlations) = &scenario.correlations else {
        return designed.map(slice);
    };
    let runs = total;
    let mut u = designed.unwrap_or_else(|| {
        // The Monte Carlo draws, exactly as each run would draw them itself.
        let mut u = vec![0.0; runs * n];
        for run in 0..runs {
            for (p, key) in plan.param_keys.iter().enumerate() {
                u[run * n + p] =
                    crate::rng::uniform(&mut crate::rng::stream(config.seed, run as u64, *key));
            }
        }
        u
    });
    let mut columns: Vec<Vec<f64>> = correlations
        .params
        .iter()
        .map(|&p| (0..runs).map(|run| u[run * n + p]).collect())
        .collect();
    crate::correlation::iman_conover(&mut columns, &correlations.matrix, config.seed);
    for (column, &p) in columns.iter().zip(&correlations.params) {
        for (run, value) in column.iter().enumerate() {
            u[run * n + p] = *value;
        }
    }
    Some(slice(u))
}

/// The first `n` columns of a run-major table whose rows are `width` wide.
fn columns(rows: &[f64], width: usize, n: usize) -> Vec<Vec<f64>> {
    (0..n)
        .map(|j| rows.chunks_exact(width).map(|row| row[j]).collect())
        .collect()
}
