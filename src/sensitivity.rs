//! Which assumptions matter: tornado swings and Sobol indices of a metric (or of a composite
//! share over time), computed by running the engine on designed rows.
//!
//! Within-run randomness — noise, regime paths, events — is treated as one more input,
//! "chance": each row names the run whose streams drive it, and the Sobol design swaps that run
//! like any parameter. Its indices say how much of the spread no assumption can remove.

use std::sync::Arc;

use serde::Serialize;

use crate::engine::{Outcome, Rows, RunConfig, simulate};
use crate::rng::{self, ComponentKey};
use crate::scenario::{MetricKind, Scenario};

/// Version of the sensitivity document (docs/sensitivity.md).
pub const SCHEMA: &str = "steppe.sensitivity/1";

/// The name of the within-run randomness as an input.
pub const CHANCE: &str = "chance";
/// How a group of parameters is named among the inputs: `group NAME`.
pub const GROUP: &str = "group ";

/// What is analysed: a metric, or a composite share at one or more years.
#[derive(Debug, Clone)]
pub enum Output {
    /// A metric, by its index in the scenario's metrics (a `first` metric as whether it happens by
    /// the horizon, 1 or 0).
    Metric(usize),
    /// A series (index as in `Outcome::series`) at these points (step indices), labelled by year.
    Series {
        /// The series' index in the outcome.
        series: usize,
        /// `TARGET:ACTOR` as asked for (`region:ACTOR` for the region); outputs are `LABEL@YEAR`.
        label: String,
        /// The step of each year.
        points: Vec<usize>,
        /// The calendar years, one per point.
        years: Vec<i32>,
    },
}

impl Output {
    fn tracked_points(&self) -> Vec<usize> {
        match self {
            Output::Metric(_) => Vec::new(),
            Output::Series { points, .. } => points.clone(),
        }
    }

    /// Labels of the outputs (one per year for a series).
    pub fn labels(&self, scenario: &Scenario) -> Vec<String> {
        match self {
            Output::Metric(m) => vec![scenario.metrics[*m].name.clone()],
            Output::Series { label, years, .. } => {
                years.iter().map(|y| format!("{label}@{y}")).collect()
            }
        }
    }

    /// Per output, each row's value. A `first` metric counts as whether it happens by the
    /// horizon (1) or not (0); other values must be numbers.
    fn values(&self, scenario: &Scenario, outcome: &Outcome) -> Result<Vec<Vec<f64>>, String> {
        let columns = match self {
            Output::Metric(m) => {
                let values = &outcome.metrics[*m];
                let column = if scenario.metrics[*m].kind == MetricKind::First {
                    values
                        .iter()
                        .map(|v| if v.is_nan() { 0.0 } else { 1.0 })
                        .collect()
                } else {
                    values.clone()
                };
                vec![column]
            }
            Output::Series { series, points, .. } => {
                let n_series = outcome.series.n_series;
                (0..points.len())
                    .map(|i| outcome.tracked[i * n_series + series].clone())
                    .collect()
            }
        };
        let invalid = columns.iter().flatten().filter(|v| !v.is_finite()).count();
        if invalid > 0 {
            return Err(format!(
                "the output is not a number in {invalid} of the runs (e.g. ln of 0); sensitivity needs a number in every run"
            ));
        }
        Ok(columns)
    }
}

/// A tornado analysis of one output (`tornado` in the sensitivity document, docs/sensitivity.md).
#[derive(Debug, Clone, Serialize)]
pub struct Tornado {
    /// The output's label: the metric's name, or `TARGET:ACTOR@YEAR`.
    pub output: String,
    /// Runs per bar end (the same runs for every bar: common random numbers).
    pub runs: u64,
    /// The output's mean with every parameter at its median (the bars' centre). Not the
    /// metric's value: a metric that is not linear in the parameters has another mean.
    pub base: f64,
    /// The output's mean, over the same runs' chance, with every parameter drawn from its
    /// distribution exactly as `run` draws them (each run's own Monte Carlo draws, rank
    /// correlations imposed over the runs): the metric's value, equal to `run`'s mean.
    pub value: f64,
    /// Its Monte Carlo standard error.
    pub value_se: f64,
    /// Sorted by swing, largest first.
    pub bars: Vec<Bar>,
}

/// One named parameter's bar of a tornado.
#[derive(Debug, Clone, Serialize)]
pub struct Bar {
    /// The parameter's name.
    pub param: String,
    /// The parameter's 10th percentile.
    pub low_value: f64,
    /// The parameter's 90th percentile.
    pub high_value: f64,
    /// The output's mean with this parameter at its 10th percentile, the others at their
    /// medians.
    pub at_low: f64,
    /// The output's mean with this parameter at its 90th percentile, the others at their medians.
    pub at_high: f64,
    /// |at_high − at_low|.
    pub swing: f64,
}

/// Tornado: each named parameter at its 10th and 90th percentile, the others at their
/// medians, over the same `runs` runs; for a series output, at its last year.
pub fn tornado(
    scenario: &Scenario,
    output: &Output,
    runs: u64,
    seed: u64,
) -> Result<Tornado, String> {
    let config = tornado_config(scenario, output, runs, seed);
    tornado_from(scenario, output, runs, &simulate(scenario, &config))
}

/// The parameters a tornado has a bar for: every one that can vary, named or written inline
/// (an uncertain initial share, weight, transition entry or hazard, by its place's name).
fn tornado_inputs(scenario: &Scenario) -> Vec<usize> {
    (0..scenario.params.len())
        .filter(|&p| {
            !matches!(
                scenario.params[p].distribution,
                crate::distribution::Distribution::Fixed { .. }
            )
        })
        .collect()
}

/// The simulation a tornado needs: `runs` rows at the medians, then `runs` rows with each
/// varying parameter at its 10th and `runs` at its 90th percentile, then `runs` rows with every
/// parameter drawn as run `run` draws it (for the metric's value beside the base).
pub fn tornado_config(scenario: &Scenario, output: &Output, runs: u64, seed: u64) -> RunConfig {
    let n_params = scenario.params.len();
    let named = tornado_inputs(scenario);
    // Row blocks: all at medians, then each named parameter low and high.
    let mut uniforms = Vec::new();
    let mut stream_runs = Vec::new();
    let mut block = |setting: Option<(usize, f64)>| {
        for run in 0..runs {
            for p in 0..n_params {
                uniforms.push(match setting {
                    Some((q, u)) if q == p => u,
                    _ => 0.5,
                });
            }
            stream_runs.push(run);
        }
    };
    block(None);
    for &p in &named {
        block(Some((p, 0.1)));
        block(Some((p, 0.9)));
    }
    let keys: Vec<ComponentKey> = scenario
        .params
        .iter()
        .map(|p| ComponentKey::new(&format!("param/{}", p.name)))
        .collect();
    let drawn = uniforms.len();
    for run in 0..runs {
        for key in &keys {
            uniforms.push(rng::uniform(&mut rng::stream(seed, run, *key)));
        }
        stream_runs.push(run);
    }
    // Rank-correlated parameters are reordered over the drawn block as `run` reorders its
    // run set (Iman–Conover over all `runs` runs, with the run set's seed): the same draws.
    if let Some(c) = &scenario.correlations {
        let block = &mut uniforms[drawn..];
        let mut columns: Vec<Vec<f64>> = c
            .params
            .iter()
            .map(|&p| {
                (0..runs as usize)
                    .map(|r| block[r * n_params + p])
                    .collect()
            })
            .collect();
        crate::correlation::iman_conover(&mut columns, &c.matrix, seed);
        for (column, &p) in columns.iter().zip(&c.params) {
            for (r, &u) in column.iter().enumerate() {
                block[r * n_params + p] = u;
            }
        }
    }
    rows_config(scenario, output, seed, uniforms, stream_runs)
}

/// The tornado from the outcome of [`tornado_config`]'s simulation.
pub fn tornado_from(
    scenario: &Scenario,
    output: &Output,
    runs: u64,
    outcome: &Outcome,
) -> Result<Tornado, String> {
    let named = tornado_inputs(scenario);
    let values = output.values(scenario, outcome)?;
    let last = values.last().expect("at least one output");
    let n = runs as usize;
    let mean = |block: usize| last[block * n..(block + 1) * n].iter().sum::<f64>() / n as f64;
    let mut bars: Vec<Bar> = named
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            let (at_low, at_high) = (mean(1 + 2 * i), mean(2 + 2 * i));
            let d = &scenario.params[p].distribution;
            Bar {
                param: scenario.params[p].name.clone(),
                low_value: d.quantile(0.1),
                high_value: d.quantile(0.9),
                at_low,
                at_high,
                swing: (at_high - at_low).abs(),
            }
        })
        .collect();
    bars.sort_by(|a, b| b.swing.total_cmp(&a.swing));
    let output_label = output.labels(scenario).pop().expect("a label");
    let drawn = 1 + 2 * named.len();
    // Summed as `run`'s summary sums (exactly), so the two print the same digits.
    let mut drawn_values = crate::engine::values::ValuesAccumulator::new();
    for &x in &last[drawn * n..(drawn + 1) * n] {
        drawn_values.push(x);
    }
    let d = crate::summary::distribution_of(&drawn_values);
    let (value, value_se) = (d.mean, d.se);
    Ok(Tornado {
        output: output_label,
        runs,
        base: mean(0),
        value,
        value_se,
        bars,
    })
}

/// Sobol indices of one output (per year, for a series over time).
#[derive(Debug, Clone, Serialize)]
pub struct Indices {
    /// The output's label: the metric's name, or `TARGET:ACTOR@YEAR`.
    pub output: String,
    /// Base sample size N; the analysis ran N·(k + 3 + S) rows for k parameters and S
    /// sources of chance.
    pub n: usize,
    /// Rows simulated: N·(k + 3 + S).
    pub rows: u64,
    /// Variance of the output over the A and B blocks; when it is zero (the output takes one
    /// value in every run) every index is undefined: NaN here, `null` in JSON, empty in CSV.
    pub variance: f64,
    /// The parameters in a block of rank-correlated ones (`[correlations]`), which the design
    /// draws together: their block's group index (`group correlated A+B`) is valid under their
    /// dependence, their own indices swap one without the others and are not.
    pub correlated: Vec<String>,
    /// Every parameter, then `chance` (every source of chance at once), then — when a run has
    /// two or more — each source of chance alone: `noise`, `driver NAME`, `event NAME`; then
    /// each group of parameters asked for, `group NAME`.
    pub inputs: Vec<Index>,
}

impl Indices {
    /// The parameters and `chance`, the sources of chance (empty when not split), and the
    /// groups of parameters (`group NAME`, empty when none was asked for).
    pub fn split(&self) -> (&[Index], &[Index], &[Index]) {
        let chance = self
            .inputs
            .iter()
            .position(|i| i.input == CHANCE)
            .map_or(self.inputs.len(), |c| c + 1);
        let groups = self
            .inputs
            .iter()
            .position(|i| i.input.starts_with(GROUP))
            .unwrap_or(self.inputs.len())
            .max(chance);
        let (main, rest) = self.inputs.split_at(chance);
        let (sources, groups) = rest.split_at(groups - chance);
        (main, sources, groups)
    }

    /// Whether the output took one value in every run, which leaves every index undefined.
    pub fn undefined(&self) -> bool {
        self.inputs
            .iter()
            .all(|i| i.first.is_nan() && i.total.is_nan())
    }
}

/// One input's Sobol indices.
#[derive(Debug, Clone, Serialize)]
pub struct Index {
    /// A parameter's name (named or inline), or `chance`.
    pub input: String,
    /// First-order index (Saltelli 2010) with its bootstrap 95 % interval.
    pub first: f64,
    /// Lower end of the first-order index's bootstrap 95 % interval.
    pub first_low: f64,
    /// Upper end of the first-order index's bootstrap 95 % interval.
    pub first_high: f64,
    /// Total index (Jansen) with its bootstrap 95 % interval.
    pub total: f64,
    /// Lower end of the total index's bootstrap 95 % interval.
    pub total_low: f64,
    /// Upper end of the total index's bootstrap 95 % interval.
    pub total_high: f64,
}

/// Sobol first-order and total indices of every parameter and of chance, from a scrambled
/// Sobol design with base size `n` (rows `n·(k + 3)`), with `bootstrap` resamples for the
/// intervals. One result per output (per year for a series).
pub fn sobol(
    scenario: &Scenario,
    output: &Output,
    n: usize,
    seed: u64,
    bootstrap: usize,
) -> Result<Vec<Indices>, String> {
    sobol_with_groups(scenario, output, n, seed, bootstrap, &[])
}

/// A group of parameters whose joint indices a Sobol analysis reports (`--group
/// russia=russia_trend,russia_kz_extra`): their columns are swapped together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Group {
    /// The group's name, reported as `group NAME`.
    pub name: String,
    /// Its parameters, by index in [`Scenario::params`].
    pub params: Vec<usize>,
}

/// [`sobol`], with the joint indices of `groups` of parameters too.
pub fn sobol_with_groups(
    scenario: &Scenario,
    output: &Output,
    n: usize,
    seed: u64,
    bootstrap: usize,
    groups: &[Group],
) -> Result<Vec<Indices>, String> {
    let config = sobol_config(scenario, output, n, seed, groups)?;
    sobol_from(
        scenario,
        output,
        (n, seed, bootstrap),
        groups,
        &simulate(scenario, &config),
    )
}

/// The simulation a Sobol analysis needs: `n·(k + 3)` designed rows.
pub fn sobol_config(
    scenario: &Scenario,
    output: &Output,
    n: usize,
    seed: u64,
    groups: &[Group],
) -> Result<RunConfig, String> {
    let k = scenario.params.len();
    if n < 2 {
        return Err("the Sobol analysis needs a base size of at least 2".into());
    }
    if n > crate::design::SOBOL_MAX_RUNS as usize || k > crate::design::SOBOL_MAX_PARAMS {
        return Err(format!(
            "the Sobol design supports a base size up to {} and up to {} parameters",
            crate::design::SOBOL_MAX_RUNS,
            crate::design::SOBOL_MAX_PARAMS
        ));
    }
    let groups = &with_correlated_blocks(scenario, groups);
    let mut ab = crate::design::sobol_ab(seed, n, k);
    // Correlated parameters are drawn with their rank correlations within A and within B
    // (Iman–Conover over each matrix's n rows), so that a block swapped whole between them
    // keeps its joint distribution: the block's indices are then those of dependent inputs
    // (Jacques, Lavergne and Devictor 2006, "Sensitivity analysis in presence of model
    // uncertainty and correlated inputs", Reliab. Eng. Syst. Saf. 91).
    if let Some(c) = &scenario.correlations {
        for (half, salt) in [(0, "sensitivity/sobol/A"), (k, "sensitivity/sobol/B")] {
            let mut columns: Vec<Vec<f64>> = c
                .params
                .iter()
                .map(|&p| (0..n).map(|j| ab[j * 2 * k + half + p]).collect())
                .collect();
            let salted = seed ^ ComponentKey::new(salt).value();
            crate::correlation::iman_conover(&mut columns, &c.matrix, salted);
            for (column, &p) in columns.iter().zip(&c.params) {
                for (j, &u) in column.iter().enumerate() {
                    ab[j * 2 * k + half + p] = u;
                }
            }
        }
    }
    let ab = ab;
    let a = |j: usize, p: usize| ab[j * 2 * k + p];
    let b = |j: usize, p: usize| ab[j * 2 * k + k + p];
    let sources = split_sources(scenario).len();
    // Blocks: A, B, A with parameter i from B (i < k), A with B's chance (every source), A
    // with B's stream for source s alone, then A with group g's parameters from B. A's chance
    // is run j, B's is run n + j.
    let first_group = k + 3 + sources;
    let blocks = first_group + groups.len();
    let mut uniforms = Vec::with_capacity(n * blocks * k);
    let mut stream_runs = Vec::with_capacity(n * blocks);
    let mut source_runs = Vec::with_capacity(n * blocks * sources);
    for block in 0..blocks {
        for j in 0..n {
            for p in 0..k {
                uniforms.push(match block {
                    1 => b(j, p),
                    i if i >= 2 && i - 2 == p => b(j, p),
                    i if i >= first_group && groups[i - first_group].params.contains(&p) => b(j, p),
                    _ => a(j, p),
                });
            }
            let (a_run, b_run) = (j as u64, (n + j) as u64);
            let run = if block == 1 || block == k + 2 {
                b_run
            } else {
                a_run
            };
            stream_runs.push(run);
            for s in 0..sources {
                source_runs.push(if block == k + 3 + s { b_run } else { run });
            }
        }
    }
    let mut config = rows_config(scenario, output, seed, uniforms, stream_runs);
    if let Some(rows) = config.rows.as_mut().and_then(Arc::get_mut) {
        rows.sources = source_runs;
    }
    Ok(config)
}

/// The groups a Sobol analysis reports: the user's, then each block of rank-correlated
/// parameters (a connected set of the `[correlations]` matrix), named `correlated A+B…`.
fn with_correlated_blocks(scenario: &Scenario, groups: &[Group]) -> Vec<Group> {
    let mut all = groups.to_vec();
    let Some(c) = &scenario.correlations else {
        return all;
    };
    let m = c.params.len();
    let mut block = vec![usize::MAX; m];
    for start in 0..m {
        if block[start] != usize::MAX {
            continue;
        }
        // Every parameter reachable from `start` through non-zero correlations.
        let mut members = vec![start];
        block[start] = start;
        let mut i = 0;
        while i < members.len() {
            let a = members[i];
            for (b, slot) in block.iter_mut().enumerate() {
                if *slot == usize::MAX && c.matrix[a][b] != 0.0 {
                    *slot = start;
                    members.push(b);
                }
            }
            i += 1;
        }
        if members.len() > 1 {
            members.sort_unstable();
            let params: Vec<usize> = members.iter().map(|&i| c.params[i]).collect();
            let names: Vec<&str> = params
                .iter()
                .map(|&p| scenario.params[p].name.as_str())
                .collect();
            all.push(Group {
                name: format!("correlated {}", names.join("+")),
                params,
            });
        }
    }
    all
}

/// The parameters in a block of correlated ones, by name.
fn correlated_names(scenario: &Scenario) -> Vec<String> {
    with_correlated_blocks(scenario, &[])
        .iter()
        .flat_map(|g| g.params.iter().map(|&p| scenario.params[p].name.clone()))
        .collect()
}

/// The sources of chance a Sobol analysis gives indices of their own: all of them when there
/// are two or more (one alone would repeat `chance`'s index).
fn split_sources(scenario: &Scenario) -> Vec<String> {
    let sources = crate::engine::chance_sources(scenario);
    if sources.len() < 2 {
        Vec::new()
    } else {
        sources
    }
}

/// The Sobol indices from the outcome of [`sobol_config`]'s simulation.
pub fn sobol_from(
    scenario: &Scenario,
    output: &Output,
    (n, seed, bootstrap): (usize, u64, usize),
    groups: &[Group],
    outcome: &Outcome,
) -> Result<Vec<Indices>, String> {
    let groups = &with_correlated_blocks(scenario, groups);
    let rows = outcome.runs;
    let labels = output.labels(scenario);
    let mut inputs: Vec<String> = scenario.params.iter().map(|p| p.name.clone()).collect();
    inputs.push(CHANCE.to_string());
    inputs.extend(split_sources(scenario));
    inputs.extend(groups.iter().map(|g| format!("{GROUP}{}", g.name)));
    let mut results = Vec::new();
    for (values, label) in output.values(scenario, outcome)?.iter().zip(labels) {
        // Centred on the mean of A and B: the first-order estimator mean(f_B·(f_ABi − f_A)) is
        // unbiased whatever the centre, but its variance grows with the output's mean squared
        // (as SALib, which standardises the outputs first); the total estimator and V do not
        // change. An index does not depend on adding a constant to the output.
        let centre = values[..2 * n].iter().sum::<f64>() / (2 * n) as f64;
        let centred: Vec<f64> = values.iter().map(|v| v - centre).collect();
        let block = |i: usize| &centred[i * n..(i + 1) * n];
        let (fa, fb) = (block(0), block(1));
        let all: Vec<usize> = (0..n).collect();
        let estimate = |i: usize, sample: &[usize]| estimators(fa, fb, block(2 + i), sample);
        let variance = variance(fa, fb, &all);
        let mut indices: Vec<Index> = Vec::new();
        for (i, input) in inputs.iter().enumerate() {
            let (first, total) = estimate(i, &all);
            let mut firsts = Vec::with_capacity(bootstrap);
            let mut totals = Vec::with_capacity(bootstrap);
            for r in 0..bootstrap {
                let mut stream =
                    rng::stream(seed, r as u64, ComponentKey::new("sensitivity/bootstrap"));
                let sample: Vec<usize> = (0..n)
                    .map(|_| ((rng::uniform(&mut stream) * n as f64) as usize).min(n - 1))
                    .collect();
                let (f, t) = estimate(i, &sample);
                firsts.push(f);
                totals.push(t);
            }
            let (first_low, first_high) = interval(&mut firsts);
            let (total_low, total_high) = interval(&mut totals);
            indices.push(Index {
                input: input.clone(),
                first,
                first_low,
                first_high,
                total,
                total_low,
                total_high,
            });
        }
        results.push(Indices {
            output: label,
            n,
            rows,
            variance,
            correlated: correlated_names(scenario),
            inputs: indices,
        });
    }
    Ok(results)
}

/// (first-order, total) for one input over the rows `sample` (indices into the blocks).
/// Both are NaN when the output does not vary over the sample: there is no variance to
/// apportion, and 0 would claim that no input matters.
fn estimators(fa: &[f64], fb: &[f64], fab: &[f64], sample: &[usize]) -> (f64, f64) {
    let v = variance(fa, fb, sample);
    if !varies(v, fa, fb, sample) {
        return (f64::NAN, f64::NAN);
    }
    let m = sample.len() as f64;
    let first = sample
        .iter()
        .map(|&j| fb[j] * (fab[j] - fa[j]))
        .sum::<f64>()
        / m
        / v;
    let total = sample
        .iter()
        .map(|&j| (fa[j] - fab[j]).powi(2))
        .sum::<f64>()
        / m
        / (2.0 * v);
    (first, total)
}

/// Whether a variance `v` of the A and B outputs over `sample` is more than rounding: a
/// constant output computed in floating point can have a variance of order ε²·value².
fn varies(v: f64, fa: &[f64], fb: &[f64], sample: &[usize]) -> bool {
    let scale = sample
        .iter()
        .map(|&j| fa[j].abs().max(fb[j].abs()))
        .fold(0.0, f64::max);
    v.is_finite() && v > (16.0 * f64::EPSILON * scale).powi(2)
}

/// Variance of the A and B outputs together over `sample`.
fn variance(fa: &[f64], fb: &[f64], sample: &[usize]) -> f64 {
    let values: Vec<f64> = sample.iter().flat_map(|&j| [fa[j], fb[j]]).collect();
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() as f64 - 1.0).max(1.0)
}

/// The 2.5 % and 97.5 % percentiles of the defined values (a resample in which the output
/// happens not to vary has none).
fn interval(values: &mut Vec<f64>) -> (f64, f64) {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    values.sort_by(f64::total_cmp);
    (
        crate::stats::quantile_sorted(values, 0.025),
        crate::stats::quantile_sorted(values, 0.975),
    )
}

fn rows_config(
    scenario: &Scenario,
    output: &Output,
    seed: u64,
    uniforms: Vec<f64>,
    stream_runs: Vec<u64>,
) -> RunConfig {
    RunConfig {
        runs: stream_runs.len() as u64,
        seed,
        tracked_points: output.tracked_points(),
        rows: Some(Arc::new(Rows {
            uniforms,
            stream_runs,
            sources: Vec::new(),
        })),
        ..RunConfig::from_scenario(scenario)
    }
}
