//! The simulation engine: a validated [`Scenario`] and a [`RunConfig`] in, an [`Outcome`] out.
//!
//! Pure: no files, no terminal, no clock, no global state. Runs are simulated in fixed batches on
//! rayon's current thread pool (the caller picks its size); because every run draws from its own
//! streams and every aggregate merges exactly, the outcome is the same bit for bit on any number
//! of threads.

mod exact_sum;
mod plan;
mod run;
pub mod series;
pub mod sketch;
pub mod values;

use std::sync::Mutex;

use rayon::prelude::*;

use crate::scenario::Scenario;
pub use series::{DEFAULT_BINS, SeriesAccumulator};
pub use values::ValuesAccumulator;

/// How to run a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    /// Runs to simulate (for a shard, its share of the run set; for designed rows, their number).
    pub runs: u64,
    /// The master seed every random stream derives from.
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

/// A shard's place in its run set (see [`RunConfig::shard`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// The first run this shard simulates.
    pub first: u64,
    /// Runs of the whole run set.
    pub total: u64,
}

/// Rows of a designed experiment: `uniforms[row * n_params + p]` and `stream_runs[row]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rows {
    /// Each row's parameter uniforms in (0, 1), row-major: `uniforms[row * n_params + p]`.
    pub uniforms: Vec<f64>,
    /// Each row's run, whose streams drive its noise, regime paths and events ("chance").
    pub stream_runs: Vec<u64>,
    /// Optionally, the run each source of chance takes its stream from, row-major:
    /// `sources[row * n + s]` for the n = [`chance_sources`] of the scenario. Empty: every
    /// source uses the row's `stream_runs` entry. (A Sobol analysis of chance by its sources
    /// swaps one source's stream between two runs, as it swaps a parameter.)
    pub sources: Vec<u64>,
}

/// The sources of chance in a run, in the order [`Rows::sources`] uses: the cells' noise (one
/// source for all cells, when any cell has volatility), the shared shocks (one source for all,
/// when a rule sets `common`), each driver, each event. Each is named as a sensitivity analysis
/// reports it: `noise`, `shared shocks`, `driver NAME`, `event NAME`.
pub fn chance_sources(scenario: &Scenario) -> Vec<String> {
    let plan = plan::Plan::new(scenario);
    let mut names = Vec::new();
    if !plan.noise_cells.is_empty() {
        names.push("noise".to_string());
    }
    if !plan.shared_keys.is_empty() {
        names.push("shared shocks".to_string());
    }
    names.extend(
        scenario
            .drivers
            .iter()
            .map(|d| format!("driver {}", d.name)),
    );
    names.extend(scenario.events.iter().map(|e| format!("event {}", e.name)));
    names
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
    /// Runs simulated.
    pub runs: u64,
    /// The master seed.
    pub seed: u64,
    /// How the parameters were sampled.
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
    /// Every parameter's draws over the runs, aggregated (always there; what summaries read).
    pub param_values: Vec<ValuesAccumulator>,
    /// `tracked[i * n_series + series][run]`: the value of every series at the `i`-th of
    /// `RunConfig::tracked_points`, per run (series as in `series`: targets then the region,
    /// each actor then autonomy).
    pub tracked: Vec<Vec<f64>>,
}

/// Bytes a simulation will hold at its peak: per-run metric values and parameter draws when
/// they are kept, every worker's aggregates (series histograms, value accumulators), and the
/// parameter design where it is held in memory (designed rows; the draws Iman–Conover
/// reorders). Computed from the configuration alone, before anything is allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryEstimate {
    /// Bytes kept per run: metric values, tracked values and parameter draws when runs are kept,
    /// else the tracked values alone.
    pub per_run: u64,
    /// Runs simulated.
    pub runs: u64,
    /// Bytes of every worker's series aggregates and of the value accumulators.
    pub series: u64,
    /// Designed rows, or the rank correlations' working set (see `design_bytes`).
    pub design: u64,
}

impl MemoryEstimate {
    /// The peak in bytes: `per_run × runs + series + design`, saturating.
    pub fn total(&self) -> u64 {
        self.per_run
            .saturating_mul(self.runs)
            .saturating_add(self.series)
            .saturating_add(self.design)
    }
}

/// The memory [`simulate`] will hold for `config` on `threads` threads, estimated from the
/// configuration alone (what `--max-memory` checks before a simulation starts).
pub fn memory_estimate(scenario: &Scenario, config: &RunConfig, threads: usize) -> MemoryEstimate {
    let plan = plan::Plan::new(scenario);
    let row = scenario.metrics.len() + config.tracked_points.len() * plan.n_series();
    let per_run = if config.keep_runs {
        (row + scenario.params.len()) as u64 * 8
    } else {
        config.tracked_points.len() as u64 * plan.n_series() as u64 * 8
    };
    let total = config.shard.map_or(config.runs, |s| s.total);
    let replicates = if config.rows.is_some() {
        1
    } else {
        config.design.replicates(total)
    };
    let values = (scenario.metrics.len() + scenario.params.len()) as u64
        * ValuesAccumulator::max_bytes(replicates) as u64
        + threads as u64 * ValuesAccumulator::flush_bytes() as u64;
    let cells = ((plan.n_steps + 1) * plan.n_series()) as u64;
    let one = SeriesAccumulator::bytes(plan.n_steps + 1, plan.n_series(), config.bins) as u64
        + if replicates > 1 {
            cells * replicates * 8
        } else {
            0
        };
    // Rayon may split the work into a few more parts than threads; each holds its series.
    MemoryEstimate {
        per_run,
        runs: config.runs,
        series: one * (4 * threads as u64 + 1) + values,
        design: design_bytes(scenario, config),
    }
}

/// Bytes of the parameter design held in memory. Designs themselves hold none (each run's
/// uniforms are computed from the run). Designed rows are held whole by the caller. Rank
/// correlations reorder the k correlated parameters' draws of every run of a block at once
/// — the whole run set under Monte Carlo, the largest replicate under a design — in about
/// (3k + 3) doubles a run (the draws, their normal scores twice over, a sorted copy and an
/// order), and keep this part's reordered draws.
fn design_bytes(scenario: &Scenario, config: &RunConfig) -> u64 {
    if let Some(rows) = &config.rows {
        return (rows.uniforms.len() + rows.stream_runs.len() + rows.sources.len()) as u64 * 8;
    }
    let Some(correlations) = &scenario.correlations else {
        return 0;
    };
    let k = correlations.params.len() as u64;
    let total = config.shard.map_or(config.runs, |s| s.total);
    let block = match config.design {
        crate::design::Design::MonteCarlo => total,
        design => total.div_ceil(design.replicates(total)),
    };
    (3 * k + 3)
        .saturating_mul(block)
        .saturating_add(k.saturating_mul(config.runs))
        .saturating_mul(8)
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
    let plan = plan::Plan::for_runs(scenario);
    let runs = config.runs as usize;
    let n_metrics = scenario.metrics.len();
    // A run's row: its metric values, then its tracked series values.
    let width = n_metrics + config.tracked_points.len() * plan.n_series();
    let n_params = scenario.params.len();
    let keep_rows = config.keep_runs || width > n_metrics;
    let source = parameter_source(scenario, &plan, config);
    let n_batches = runs.div_ceil(BATCH);
    // Runs of a design form replicates; their estimates' spread gives the standard errors.
    let (first_run, total) = config
        .shard
        .map_or((0, config.runs), |s| (s.first, s.total));
    let replicates = if config.rows.is_some() {
        1
    } else {
        config.design.replicates(total)
    };
    let replicate_of = |run: usize| -> u64 {
        if replicates > 1 {
            config.design.block(first_run + run as u64, total).replicate
        } else {
            0
        }
    };
    // One set of value accumulators for all threads (their merge does not depend on order,
    // so neither does the result): memory for them does not grow with the threads either.
    let accumulators = |n: usize| -> Vec<Mutex<ValuesAccumulator>> {
        (0..n)
            .map(|_| Mutex::new(ValuesAccumulator::with_replicates(replicates)))
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
            || {
                let mut worker =
                    run::Worker::new(scenario, &plan, config, &source, config.rows.as_deref());
                worker.series.set_replicates(replicates);
                Part {
                    worker,
                    batches: Vec::new(),
                }
            },
            |mut part, batch| {
                let first = batch * BATCH;
                let last = (first + BATCH).min(runs);
                let mut metric_rows = vec![0.0; (last - first) * width];
                let mut param_rows = vec![0.0; (last - first) * n_params];
                for (i, run) in (first..last).enumerate() {
                    let metrics = &mut metric_rows[i * width..(i + 1) * width];
                    let params = &mut param_rows[i * n_params..(i + 1) * n_params];
                    part.worker.series.set_replicate(replicate_of(run));
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
                        acc.push_in(rows[i * w + c], replicate_of(first + i));
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
        let mut series = SeriesAccumulator::new(plan.n_steps + 1, plan.n_series(), config.bins);
        series.set_replicates(replicates);
        (series, Vec::new())
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

/// Where each run's parameter uniforms come from.
pub(crate) enum ParamSource<'a> {
    /// Each run draws its own, from its parameters' streams (Monte Carlo).
    Own,
    /// Explicit rows (`RunConfig::rows`), run-major; borrowed, not copied.
    Rows(&'a [f64]),
    /// A design, computed run by run ([`crate::design::Design::uniform`]), with the draws of
    /// correlated parameters reordered by Iman–Conover where `[correlations]` asks for it.
    Design {
        design: crate::design::Design,
        /// Runs of the whole run set (a shard is part of one).
        total: u64,
        /// The first run of this part.
        first: u64,
        /// Each parameter's [`crate::design::Design::key`].
        keys: Vec<crate::rng::ComponentKey>,
        correlated: Option<Correlated>,
    },
}

/// The reordered uniforms of the correlated parameters for this part's runs only:
/// `values[local_run * params.len() + i]` for parameter `params[i]`.
pub(crate) struct Correlated {
    params: Vec<usize>,
    values: Vec<f64>,
}

impl ParamSource<'_> {
    /// The uniform of parameter `p` for local run `row` (global run `run`), or `None` when
    /// the run draws its own.
    #[inline]
    pub(crate) fn uniform(
        &self,
        scenario: &Scenario,
        seed: u64,
        row: usize,
        p: usize,
    ) -> Option<f64> {
        match self {
            ParamSource::Own => None,
            ParamSource::Rows(u) => Some(u[row * scenario.params.len() + p]),
            ParamSource::Design {
                design,
                total,
                first,
                keys,
                correlated,
            } => {
                if let Some(c) = correlated
                    && let Some(i) = c.params.iter().position(|&q| q == p)
                {
                    return Some(c.values[row * c.params.len() + i]);
                }
                design.uniform(seed, first + row as u64, *total, p, keys[p])
            }
        }
    }
}

/// The parameter uniforms of a simulation. Iman–Conover needs the draws of every run it
/// reorders at once: under Monte Carlo all runs of the set (the correlated parameters only),
/// under a design each replicate on its own (which keeps replicates independent); only this
/// part's runs are kept.
fn parameter_source<'a>(
    scenario: &Scenario,
    plan: &plan::Plan,
    config: &'a RunConfig,
) -> ParamSource<'a> {
    if let Some(rows) = &config.rows {
        return ParamSource::Rows(&rows.uniforms);
    }
    let (first, total) = config
        .shard
        .map_or((0, config.runs), |s| (s.first, s.total));
    let design = config.design;
    let keys: Vec<crate::rng::ComponentKey> = scenario
        .params
        .iter()
        .map(|p| design.key(config.seed, &p.name))
        .collect();
    let Some(correlations) = &scenario.correlations else {
        return match design {
            crate::design::Design::MonteCarlo => ParamSource::Own,
            _ => ParamSource::Design {
                design,
                total,
                first,
                keys,
                correlated: None,
            },
        };
    };
    let k = correlations.params.len();
    let runs = config.runs;
    let mut values = vec![0.0; runs as usize * k];
    // Blocks reordered together: the whole set, or each replicate that meets this part.
    let mut blocks = Vec::new();
    if design == crate::design::Design::MonteCarlo {
        blocks.push((0, total, config.seed));
    } else {
        let mut run = first;
        while run < first + runs {
            let b = design.block(run, total);
            let seed = crate::rng::mix(config.seed ^ crate::rng::mix(b.replicate + 1));
            blocks.push((b.first, b.size, seed));
            run = b.first + b.size;
        }
    }
    for (start, size, seed) in blocks {
        let mut columns: Vec<Vec<f64>> = correlations
            .params
            .iter()
            .map(|&p| {
                (start..start + size)
                    .map(|run| match design {
                        crate::design::Design::MonteCarlo => crate::rng::uniform(
                            &mut crate::rng::stream(config.seed, run, plan.param_keys[p]),
                        ),
                        _ => design
                            .uniform(config.seed, run, total, p, keys[p])
                            .expect("a design"),
                    })
                    .collect()
            })
            .collect();
        crate::correlation::iman_conover(&mut columns, &correlations.matrix, seed);
        for (i, column) in columns.iter().enumerate() {
            for run in start.max(first)..(start + size).min(first + runs) {
                values[(run - first) as usize * k + i] = column[(run - start) as usize];
            }
        }
    }
    ParamSource::Design {
        design,
        total,
        first,
        keys,
        correlated: Some(Correlated {
            params: correlations.params.clone(),
            values,
        }),
    }
}
