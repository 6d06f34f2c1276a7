//! What a run adds up to: the [`Summary`] every renderer (table, JSON, CSV) draws from.
//!
//! It holds nothing that varies between identical runs — no timings, thread counts or dates —
//! so two results of the same scenario, seed and run count compare equal byte for byte.

use crate::engine::ValuesAccumulator;
use serde::Serialize;

use crate::engine::Outcome;
use crate::scenario::{MetricKind, Scenario};
use crate::stats;

/// Version of the result document; bump on any incompatible change (docs/json.md).
pub const SCHEMA: &str = "steppe.result/1";

/// Quantiles reported for every distribution.
pub const QUANTILES: [(f64, &str); 5] = [
    (0.05, "p05"),
    (0.25, "p25"),
    (0.5, "p50"),
    (0.75, "p75"),
    (0.95, "p95"),
];

/// What one result says: the document `--json` prints and `summary.json` holds (docs/json.md).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// `schema`: always [`SCHEMA`].
    pub schema: &'static str,
    /// `scenario`: what was simulated.
    pub scenario: ScenarioInfo,
    /// `runs`: how many futures were simulated.
    pub runs: u64,
    /// `seed`: the master seed they were simulated with.
    pub seed: u64,
    /// How parameters were sampled: `mc`, `lhs` or `sobol`.
    pub design: &'static str,
    /// Independent replicates of the design whose spread gives every standard error (1 for
    /// Monte Carlo, whose standard errors are those of independent runs).
    pub replicates: u64,
    /// `series`: every target's and the region's composite shares over time, per actor then autonomy.
    pub series: Vec<Series>,
    /// `metrics`: one summary per metric of the scenario, in file order.
    pub metrics: Vec<MetricSummary>,
    /// `params`: every parameter's draws, named ones first, then inline ones.
    pub params: Vec<ParamSummary>,
}

/// `scenario` in the result: what was simulated, from the scenario and the command line.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioInfo {
    /// `[scenario] name`.
    pub name: String,
    /// `[scenario] title` (empty when not given).
    pub title: String,
    /// The scenario's path as given on the command line.
    pub file: String,
    /// `[scenario] start`: the year of the initial state.
    pub start: i32,
    /// `[scenario] end`: the horizon year.
    pub end: i32,
    /// `[scenario] step`: `"year"`, `"quarter"` or `"month"`.
    pub step: &'static str,
    /// The actors' names, in file order.
    pub actors: Vec<String>,
    /// The targets' names, in file order (without `region`).
    pub targets: Vec<String>,
    /// `--set` overrides that produced this result, as given.
    pub overrides: Vec<String>,
}

/// One actor's (or autonomy's) composite share in one target or the region, over time.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    /// A target's name, or `region`.
    pub target: String,
    /// An actor's name, or `autonomy`.
    pub actor: String,
    /// The statistics at every step `0..=n_steps`.
    pub points: Vec<Point>,
}

/// The statistics of one series at one step, over all runs.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// The step, from 0 (the initial state).
    pub step: usize,
    /// Time in years (`start + step·dt`).
    pub time: f64,
    /// Mean share over runs.
    pub mean: f64,
    /// Monte Carlo standard error of the mean.
    pub se: f64,
    /// 5th percentile, from the series histogram on [0, 1] (2,000 bins by default: a resolution
    /// of about 0.0005).
    pub p05: f64,
    /// 25th percentile, from the same histogram.
    pub p25: f64,
    /// Median, from the same histogram.
    pub p50: f64,
    /// 75th percentile, from the same histogram.
    pub p75: f64,
    /// 95th percentile, from the same histogram.
    pub p95: f64,
}

/// One metric's result (`metrics[]` in the JSON).
#[derive(Debug, Clone, Serialize)]
pub struct MetricSummary {
    /// The metric's name under `[metrics]`.
    pub name: String,
    /// Its `description` (empty when not given).
    pub description: String,
    /// Its `kind` as written: `at`, `first`, `ever`, `always`, `duration`, `count`, `leader`,
    /// `min` or `max`.
    pub kind: &'static str,
    /// Its `expr` as written.
    pub expr: String,
    /// `year` of an `at` or `leader` metric; `None` (left out of the JSON) for the other kinds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// The statistics, by type (flattened into this object, `type` naming it).
    #[serde(flatten)]
    pub result: MetricResult,
    /// The scenario's metrics (and the outcome's columns) this summarises: one, or a leader
    /// metric's categories.
    #[serde(skip)]
    pub columns: std::ops::Range<usize>,
}

/// A metric's statistics, by what its runs give (`type` in the JSON).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MetricResult {
    /// `number`: kinds `at` (of a number), `min` and `max`.
    Number(Distribution),
    /// `probability`: kind `ever`, or `at` of a condition.
    Probability {
        /// Fraction of runs where the condition holds.
        probability: f64,
        /// Its standard error: √(p(1−p)/n), or the spread of the replicates under a design.
        se: f64,
    },
    /// `categorical`: kind `leader`, which category has the largest value.
    Categorical {
        /// Each category's chance of leading, in the metric's order.
        categories: Vec<CategoryProbability>,
        /// Fraction of runs in which some category's value was not a number, so that none
        /// leads; the categories' probabilities and this sum to 1.
        undefined: f64,
    },
    /// `first_year`: kind `first`, the year a condition first holds.
    FirstYear {
        /// Probability that the condition never holds within the horizon.
        never: f64,
        /// Standard error of `never` (the spread of the replicates under a design).
        never_se: f64,
        /// Median first year, if the condition holds by the horizon in at least half the runs.
        median_year: Option<i32>,
        /// For each calendar year `start..=end`, the chance that the condition first holds then.
        by_year: Vec<YearProbability>,
    },
}

/// A numeric distribution over runs.
#[derive(Debug, Clone, Serialize)]
pub struct Distribution {
    /// Mean over the runs with a finite value.
    pub mean: f64,
    /// Standard error of the mean: √(s²/n), or the spread of the replicates' means under a design.
    /// NaN (JSON `null`) with fewer than two finite values.
    pub se: f64,
    /// Standard deviation over runs; NaN (JSON `null`) with fewer than two finite values.
    pub sd: f64,
    /// Smallest value.
    pub min: f64,
    /// 5th percentile.
    pub p05: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Largest value.
    pub max: f64,
    /// Runs whose value was not a finite number (e.g. `ln` of 0); left out of the statistics.
    pub invalid_runs: u64,
}

/// One category of a `leader` metric.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryProbability {
    /// The category: an actor's name, or `autonomy`.
    pub name: String,
    /// Fraction of runs in which it has the largest value.
    pub probability: f64,
    /// Its standard error: √(p(1−p)/n), or the spread of the replicates under a design.
    pub se: f64,
}

/// One year of a `first` metric's `by_year`.
#[derive(Debug, Clone, Serialize)]
pub struct YearProbability {
    /// The calendar year.
    pub year: i32,
    /// Probability that the condition first holds in this year.
    pub probability: f64,
    /// Probability that it holds by the end of this year.
    pub cumulative: f64,
}

/// One parameter's draws in a result (`params[]` in the JSON).
#[derive(Debug, Clone, Serialize)]
pub struct ParamSummary {
    /// Its name: as under `[params]`, or the key path of an inline distribution.
    pub name: String,
    /// Its distribution as it would be written inline, e.g. `normal(-0.035, 0.025)`.
    pub distribution: String,
    /// Its `description` (empty when not given).
    pub description: String,
    /// Its `source` (empty when not given).
    pub source: String,
    /// Whether it was written inline (an anonymous parameter named by its key path).
    pub inline: bool,
    /// Of the draws in this result.
    pub drawn: Distribution,
}

/// Summarises `outcome`, a simulation of `scenario`; `file` is recorded as the scenario's path.
pub fn summarize(scenario: &Scenario, file: &str, outcome: &Outcome) -> Summary {
    let mut slots: Vec<String> = scenario.actors.iter().map(|a| a.name.clone()).collect();
    slots.push(crate::scenario::AUTONOMY.to_string());
    let mut series = Vec::new();
    let series_targets = scenario
        .targets
        .iter()
        .map(|t| t.name.clone())
        .chain(["region".to_string()]);
    for (t, target) in series_targets.enumerate() {
        for (s, slot) in slots.iter().enumerate() {
            let index = t * slots.len() + s;
            let points = (0..outcome.series.n_points)
                .map(|k| {
                    let (mean, se) = outcome.series.mean(k, index);
                    let q = |q| outcome.series.quantile(k, index, q);
                    Point {
                        step: k,
                        time: scenario.time(k),
                        mean,
                        se,
                        p05: q(0.05),
                        p25: q(0.25),
                        p50: q(0.5),
                        p75: q(0.75),
                        p95: q(0.95),
                    }
                })
                .collect();
            series.push(Series {
                target: target.clone(),
                actor: slot.clone(),
                points,
            });
        }
    }
    let metrics = metric_summaries(scenario, outcome);
    let params = scenario
        .params
        .iter()
        .zip(&outcome.param_values)
        .map(|(param, values)| ParamSummary {
            name: param.name.clone(),
            distribution: param.distribution.to_string(),
            description: param.description.clone(),
            source: param.source.clone(),
            inline: param.inline,
            drawn: distribution_of(values),
        })
        .collect();
    Summary {
        schema: SCHEMA,
        scenario: ScenarioInfo {
            name: scenario.name.clone(),
            title: scenario.title.clone(),
            file: file.to_string(),
            start: scenario.start,
            end: scenario.end,
            step: scenario.step.name(),
            actors: scenario.actors.iter().map(|a| a.name.clone()).collect(),
            targets: scenario.targets.iter().map(|t| t.name.clone()).collect(),
            overrides: scenario.overrides.clone(),
        },
        runs: outcome.runs,
        seed: outcome.seed,
        design: outcome.design.name(),
        replicates: outcome.design.replicates(outcome.runs),
        series,
        metrics,
        params,
    }
}

/// One summary per metric as written: a leader metric's categories together.
fn metric_summaries(scenario: &Scenario, outcome: &Outcome) -> Vec<MetricSummary> {
    let mut out = Vec::new();
    let mut m = 0;
    while m < scenario.metrics.len() {
        let metric = &scenario.metrics[m];
        let year = match metric.kind {
            MetricKind::At { year, .. } => Some(year),
            _ => None,
        };
        let (name, kind, columns, result) = match &metric.category {
            Some(category) => {
                let columns = m..m + category.of;
                let result = categorical(scenario, outcome, columns.clone());
                (category.leader.clone(), "leader", columns, result)
            }
            None => (
                metric.name.clone(),
                metric.kind.name(),
                m..m + 1,
                metric_result(scenario, metric.kind, &outcome.metric_values[m]),
            ),
        };
        m = columns.end;
        out.push(MetricSummary {
            name,
            description: metric.description.clone(),
            kind,
            expr: metric.expr_text.clone(),
            year,
            result,
            columns,
        });
    }
    out
}

/// A leader metric's distribution, from the yes/no metrics of its categories (`columns`).
fn categorical(
    scenario: &Scenario,
    outcome: &Outcome,
    columns: std::ops::Range<usize>,
) -> MetricResult {
    let mut led = 0;
    let mut n = 0;
    let categories = columns
        .map(|c| {
            let values = &outcome.metric_values[c];
            let MetricResult::Probability { probability, se } =
                metric_result(scenario, scenario.metrics[c].kind, values)
            else {
                unreachable!("a leader's category is a yes/no metric")
            };
            led += values.nonzero();
            n = values.n();
            CategoryProbability {
                name: scenario.metrics[c]
                    .category
                    .as_ref()
                    .map_or_else(String::new, |k| k.name.clone()),
                probability,
                se,
            }
        })
        .collect();
    MetricResult::Categorical {
        categories,
        undefined: n.saturating_sub(led) as f64 / n.max(1) as f64,
    }
}

/// The years a result is reported at, with their steps: the start, then up to three horizon
/// years — the multiples of five after the start and the end, thinned evenly (always keeping
/// the end) when there are more. What the terminal table shows, and what `compare` and
/// `report` compare by default.
pub fn report_points(scenario: &Scenario) -> Vec<(usize, i32)> {
    let per_year = scenario.step.per_year() as usize;
    std::iter::once(scenario.start)
        .chain(report_years(scenario))
        .map(|y| ((y - scenario.start) as usize * per_year, y))
        .collect()
}

/// The horizon years of [`report_points`], without the start.
pub fn report_years(scenario: &Scenario) -> Vec<i32> {
    let mut years: Vec<i32> = ((scenario.start + 1)..=scenario.end)
        .filter(|y| y % 5 == 0 || *y == scenario.end)
        .collect();
    while years.len() > 3 {
        // Thin evenly, always keeping the end.
        years = years.iter().rev().step_by(2).rev().copied().collect();
    }
    years
}

fn metric_result(
    scenario: &Scenario,
    kind: MetricKind,
    values: &ValuesAccumulator,
) -> MetricResult {
    let n = values.n();
    if kind.is_probability() {
        let (probability, se) = stats::proportion(values.nonzero(), n);
        let se = replicate_se(values, |r| r.nonzero).unwrap_or(se);
        return MetricResult::Probability { probability, se };
    }
    if kind != MetricKind::First {
        return MetricResult::Number(distribution_of(values));
    }
    let (never_p, never_se) = stats::proportion(values.nan(), n);
    let never_se = replicate_se(values, |r| r.nan).unwrap_or(never_se);
    let counts = value_counts(values);
    let mut by_year = Vec::new();
    let mut cumulative = 0u64;
    for year in scenario.start..=scenario.end {
        let count = counts
            .iter()
            .filter(|(v, _)| *v == f64::from(year))
            .map(|(_, c)| c)
            .sum::<u64>();
        cumulative += count;
        let cumulative_p = cumulative as f64 / n.max(1) as f64;
        by_year.push(YearProbability {
            year,
            probability: count as f64 / n.max(1) as f64,
            cumulative: cumulative_p,
        });
    }
    // The year by which half of all runs (those where it never happens included) have seen it.
    let needed = n.div_ceil(2).max(1);
    let mut reached = 0;
    let median_year = counts
        .iter()
        .filter(|(v, _)| v.is_finite())
        .find(|(_, c)| {
            reached += c;
            reached >= needed
        })
        .map(|(v, _)| *v as i32);
    MetricResult::FirstYear {
        never: never_p,
        never_se,
        median_year,
        by_year,
    }
}

/// The finite values with their counts, ascending: exact while every distinct value has its
/// own bin of the sketch (first-year metrics always do), else read off the sketch's bins,
/// rounded to whole years.
fn value_counts(values: &ValuesAccumulator) -> Vec<(f64, u64)> {
    let mut counts = values.counts().unwrap_or_else(|| {
        let mut rounded: Vec<(f64, u64)> = Vec::new();
        for (v, c) in values.weighted() {
            let v = v.round();
            match rounded.last_mut() {
                Some(last) if last.0 == v => last.1 += c,
                _ => rounded.push((v, c)),
            }
        }
        rounded
    });
    counts.retain(|(v, _)| v.is_finite());
    counts
}

/// Under a design of replicates, the standard error of the share of runs that `count` counts,
/// from the spread of the replicates' shares.
fn replicate_se(
    values: &ValuesAccumulator,
    count: impl Fn(&crate::engine::values::Replicate) -> u64,
) -> Option<f64> {
    let replicates = values.replicates();
    (replicates.len() > 1).then(|| {
        let estimates: Vec<(f64, f64)> = replicates
            .iter()
            .map(|r| (r.runs as f64, count(r) as f64 / r.runs as f64))
            .collect();
        stats::replicate_se(&estimates)
    })
}

/// The distribution of a value over the runs, from its sketch: exact mean, standard
/// deviation, minimum and maximum; quantiles exact while every distinct value has its own bin,
/// else within a bin of the exact ones (`engine::values`).
pub fn distribution_of(values: &ValuesAccumulator) -> Distribution {
    let sketch = values.sketch();
    let n = sketch.count();
    let (mean, variance) = sketch.mean_and_variance();
    let (se, sd) = if n > 1 {
        ((variance / n as f64).sqrt(), variance.sqrt())
    } else {
        (f64::NAN, f64::NAN)
    };
    // Under a design, the spread of the replicates' means (the runs are not independent).
    let replicates = values.replicates();
    let se = if replicates.len() > 1 {
        let estimates: Vec<(f64, f64)> = replicates
            .iter()
            .map(|r| (r.finite as f64, r.mean()))
            .collect();
        stats::replicate_se(&estimates)
    } else {
        se
    };
    Distribution {
        mean,
        se,
        sd,
        min: sketch.min(),
        p05: sketch.quantile(0.05),
        p25: sketch.quantile(0.25),
        p50: sketch.quantile(0.5),
        p75: sketch.quantile(0.75),
        p95: sketch.quantile(0.95),
        max: sketch.max(),
        invalid_runs: values.n() - n,
    }
}

/// The distribution of per-run values: non-finite values are counted in `invalid_runs` and
/// left out; exact type-7 quantiles of the rest (NaN when none is left), Monte Carlo
/// standard error as for independent runs.
pub fn distribution(values: &[f64]) -> Distribution {
    let mut finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    finite.sort_by(f64::total_cmp);
    let invalid_runs = (values.len() - finite.len()) as u64;
    let (mean, se) = stats::mean_and_se(&finite);
    let sd = se * (finite.len() as f64).sqrt();
    let q = |q| stats::quantile_sorted(&finite, q);
    Distribution {
        mean,
        se,
        sd,
        min: finite.first().copied().unwrap_or(f64::NAN),
        p05: q(0.05),
        p25: q(0.25),
        p50: q(0.5),
        p75: q(0.75),
        p95: q(0.95),
        max: finite.last().copied().unwrap_or(f64::NAN),
        invalid_runs,
    }
}
