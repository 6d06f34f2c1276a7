//! The simulation engine: a validated [`Scenario`] and a [`RunConfig`] in, an [`Outcome`] out.
//!
//! Pure: no files, no terminal, no clock, no global state. Runs are simulated in fixed batches on
//! rayon's current thread pool (the caller picks its size); because every run draws from its own
//! streams and every aggregate merges exactly, the outcome is the same bit for bit on any number
//! of threads.

mod plan;
mod run;
pub mod series;
pub mod values;

use std::sync::Mutex;

use rayon::prelude::*;

use crate::scenario::Scenario;
pub use series::{DEFAULT_BINS, SeriesAccumulator};
pub use values::ValuesAccumulator;

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
    /// Keep every run's metric values and parameter draws (`Outcome::metrics`, `params`), for
    /// paired comparisons, sensitivity, discovery and `runs.csv`. Without them memory does
    /// not grow with the run count: statistics come from `Outcome::metric_values` and
    /// `param_values` either way, identically.
    pub keep_runs: bool,
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
            keep_runs: true,
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
    /// `metrics[m][run]`; a `first` metric's "never" is NaN. Empty unless
    /// `RunConfig::keep_runs`.
    pub metrics: Vec<Vec<f64>>,
    /// `params[p][run]`: each run's draw of every parameter. Empty unless
    /// `RunConfig::keep_runs`.
    pub params: Vec<Vec<f64>>,
    /// Every metric's and parameter's values over the runs, aggregated (always there; what
    /// summaries read).
    pub metric_values: Vec<ValuesAccumulator>,
    pub param_values: Vec<ValuesAccumulator>,
    /// `tracked[i * n_series + series][run]`: the value of every series at the `i`-th of
    /// `RunConfig::tracked_points`, per run (series as in `series`: targets then the region,
    /// each actor then autonomy).
    pub tracked: Vec<Vec<f64>>,
}

/// Bytes a simulation will hold at its peak: per-run metric values and parameter draws when
/// they are kept, and every worker's aggregates (series histograms, value accumulators).
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
    let per_run = if config.keep_runs {
        (row + scenario.params.len()) as u64 * 8
    } else {
        config.tracked_points.len() as u64 * plan.n_series() as u64 * 8
    };
    let values = (scenario.metrics.len() + scenario.params.len()) as u64
        * ValuesAccumulator::max_bytes() as u64;
    let one = SeriesAccumulator::bytes(plan.n_steps + 1, plan.n_series(), config.bins) as u64;
    // Rayon may split the work into a few more parts than threads; each holds its series.
    MemoryEstimate {
        per_run,
        runs: config.runs,
        series: one * (4 * threads as u64 + 1) + values,
    }
}

/// Runs per batch: the unit of parallel work. Fixed, so the work split never depends on the
/// number of threads (results would not either, but fixed batches keep that easy to see).
const BATCH: usize = 256;

/// Simulates `config.runs` futures of `scenario`.
pub fn simulate(scenario: &Scenario, config: &RunConfig) -> Outcome {
    simulate_with_progress(scenario, config, &|_| {})
}

/// What one part of the parallel work holds: its worker (with its series histograms) and,
/// when runs are kept, its batches' rows.
struct Part<'a> {
    worker: run::Worker<'a>,
    /// (batch, run-major metric rows, run-major parameter rows).
    batches: Vec<(usize, Vec<f64>, Vec<f64>)>,
}

/// Like [`simulate`], calling `progress(runs_done)` after each batch (from any thread).
pub fn simulate_with_progress(
    scenario: &Scenario,
    config: &RunConfig,
    progress: &(dyn Fn(u64) + Sync),
) -> Outcome {
    let plan = plan::Plan::new(scenario);
    let runs = config.runs as usize;
    let n_metrics = scenario.metrics.len();
    // A run's row: its metric values, then its tracked series values.
    let width = n_metrics + config.tracked_points.len() * plan.n_series();
    let n_params = scenario.params.len();
    let keep_rows = config.keep_runs || width > n_metrics;
    let design = parameter_uniforms(scenario, &plan, config);
    let n_batches = runs.div_ceil(BATCH);
    // One set of value accumulators for all threads (their merge does not depend on order,
    // so neither does the result): memory for them does not grow with the threads either.
    let accumulators = |n: usize| -> Vec<Mutex<ValuesAccumulator>> {
        (0..n)
            .map(|_| Mutex::new(ValuesAccumulator::new()))
            .collect()
    };
    let (metric_values, param_values) = (accumulators(n_metrics), accumulators(n_params));
    let done = std::sync::atomic::AtomicU64::new(0);
    // Few large work units per thread: each unit carries a histogram worth megabytes.
    let min_len = (n_batches / (4 * rayon::current_num_threads())).max(1);
    let merged = (0..n_batches)
        .into_par_iter()
        .with_min_len(min_len)
        .fold(
            || Part {
                worker: run::Worker::new(
                    scenario,
                    &plan,
                    config,
                    design.as_deref(),
                    config.rows.as_ref().map(|r| r.stream_runs.as_slice()),
                ),
                batches: Vec::new(),
            },
            |mut part, batch| {
                let first = batch * BATCH;
                let last = (first + BATCH).min(runs);
                let mut metric_rows = vec![0.0; (last - first) * width];
                let mut param_rows = vec![0.0; (last - first) * n_params];
                for (i, run) in (first..last).enumerate() {
                    let metrics = &mut metric_rows[i * width..(i + 1) * width];
                    let params = &mut param_rows[i * n_params..(i + 1) * n_params];
                    part.worker.run(run as u64, metrics, params);
                }
                // Into the shared accumulators, a column at a time, each starting where the
                // other threads are least likely to be.
                let n = last - first;
                for j in 0..n_metrics + n_params {
                    let j = (j + batch) % (n_metrics + n_params);
                    let (acc, rows, w, c) = if j < n_metrics {
                        (&metric_values[j], &metric_rows, width, j)
                    } else {
                        (
                            &param_values[j - n_metrics],
                            &param_rows,
                            n_params,
                            j - n_metrics,
                        )
                    };
                    let mut acc = acc.lock().expect("no panics while pushing");
                    for i in 0..n {
                        acc.push(rows[i * w + c]);
                    }
                }
                if keep_rows {
                    part.batches.push((batch, metric_rows, param_rows));
                }
                let total =
                    done.fetch_add((last - first) as u64, std::sync::atomic::Ordering::Relaxed);
                progress(total + (last - first) as u64);
                part
            },
        )
        .map(|part| (part.worker.series, part.batches))
        .reduce_with(|mut a, b| {
            a.0.merge(&b.0);
            a.1.extend(b.1);
            a
        });
    let (series, mut batches) = merged.unwrap_or_else(|| {
        (
            SeriesAccumulator::new(plan.n_steps + 1, plan.n_series(), config.bins),
            Vec::new(),
        )
    });
    let unwrap = |v: Vec<Mutex<ValuesAccumulator>>| -> Vec<ValuesAccumulator> {
        v.into_iter()
            .map(|m| {
                let mut acc = m.into_inner().expect("no panics while pushing");
                acc.flush();
                acc
            })
            .collect()
    };
    let (metric_values, param_values) = (unwrap(metric_values), unwrap(param_values));
    // Columns from the batches in run order, each batch freed once copied.
    batches.sort_by_key(|b| b.0);
    let kept = if keep_rows { runs } else { 0 };
    let mut metric_columns: Vec<Vec<f64>> = (0..width).map(|_| Vec::with_capacity(kept)).collect();
    let mut param_columns: Vec<Vec<f64>> =
        (0..n_params).map(|_| Vec::with_capacity(kept)).collect();
    for (_, metric_rows, param_rows) in batches {
        for row in metric_rows.chunks_exact(width.max(1)) {
            for (column, v) in metric_columns.iter_mut().zip(row) {
                column.push(*v);
            }
        }
        for row in param_rows.chunks_exact(n_params.max(1)) {
            for (column, v) in param_columns.iter_mut().zip(row) {
                column.push(*v);
            }
        }
    }
    let tracked = metric_columns.split_off(n_metrics);
    let (metrics, params) = if config.keep_runs {
        (metric_columns, param_columns)
    } else {
        (Vec::new(), Vec::new())
    };
    Outcome {
        runs: config.runs,
        seed: config.seed,
        design: config.design,
        series,
        metrics,
        params,
        metric_values,
        param_values,
        tracked,
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
