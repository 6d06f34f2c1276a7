//! Comparing outcome distributions of several scenarios run with the same seed and run count.
//!
//! Because every random component draws from a stream keyed by its name, run *i* of scenario B
//! shares its random numbers with run *i* of scenario A wherever the two share components
//! (common random numbers). Differences are therefore computed run by run ("paired"), which
//! removes the noise both share; the unpaired error is reported beside it to show what the
//! pairing bought. Pure: takes outcomes, returns a [`Comparison`].

use serde::Serialize;

use crate::engine::Outcome;
use crate::scenario::{AUTONOMY, MetricKind, Scenario};
use crate::stats;

/// Version of the comparison document (docs/compare.md).
pub const SCHEMA: &str = "steppe.compare/1";

/// 97.5 % quantile of the standard normal: a 95 % interval is ± this many standard errors.
const Z95: f64 = 1.959_963_984_540_054;

/// One scenario's run, with the points at which its series were tracked, one per compared
/// year (`None` where the year lies outside the scenario's horizon).
pub struct Run<'a> {
    /// The scenario that was simulated.
    pub scenario: &'a Scenario,
    /// Its path as given on the command line.
    pub file: String,
    /// Its simulation, with per-run values kept and the compared years tracked.
    pub outcome: &'a Outcome,
    /// For each compared year, the index of its point in the outcome's tracked points.
    pub tracked: Vec<Option<usize>>,
}

/// A comparison of several scenarios with the first, run by run (the `compare --json` document,
/// docs/compare.md).
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// `schema`: always [`SCHEMA`].
    pub schema: &'static str,
    /// The first scenario: every difference is "other minus reference".
    pub reference: String,
    /// Every scenario compared, the reference first.
    pub scenarios: Vec<ScenarioRef>,
    /// The run count every scenario was simulated with.
    pub runs: u64,
    /// The master seed every scenario was simulated with.
    pub seed: u64,
    /// The years at which composite shares are compared (`--years`).
    pub years: Vec<i32>,
    /// Every quantity all scenarios have, ordered as [`Order`] asks.
    pub quantities: Vec<Quantity>,
    /// Metrics and series that only some scenarios have, and which.
    pub only_in_some: Vec<Partial>,
}

/// A compared scenario.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioRef {
    /// `[scenario] name`.
    pub name: String,
    /// Its path as given on the command line.
    pub file: String,
    /// `--set` overrides applied to it.
    pub overrides: Vec<String>,
}

/// A quantity that only some scenarios have, or whose kind (or `at` year) differs between them.
#[derive(Debug, Clone, Serialize)]
pub struct Partial {
    /// Its name, as [`Quantity::name`] would be.
    pub quantity: String,
    /// The names of the scenarios that have it.
    pub present_in: Vec<String>,
}

/// A metric or a composite share compared across the scenarios.
#[derive(Debug, Clone, Serialize)]
pub struct Quantity {
    /// A metric's name, or `TARGET:ACTOR@YEAR` for a composite share (`region` for the region).
    pub name: String,
    /// `number`, `probability` or `first_year`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The metric kind (`at`, `first`, …), or `share` for a series.
    pub source: &'static str,
    /// The year: of an `at` metric, or of a share; `None` for other metrics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// For a share: the target's name, or `region`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// For a share: the actor's name, or `autonomy`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Runs left out because the value was not a number in some scenario.
    pub invalid_runs: u64,
    /// Each scenario's own distribution, the reference first.
    pub per_scenario: Vec<Distribution>,
    /// Each other scenario against the reference, in the scenarios' order.
    pub differences: Vec<Difference>,
}

/// One scenario's distribution of a quantity.
#[derive(Debug, Clone, Serialize)]
pub struct Distribution {
    /// The scenario's name.
    pub scenario: String,
    /// Mean (a probability for conditions; for first-year metrics, of the years of the runs
    /// where it happens).
    pub mean: f64,
    /// 5th percentile over runs (first-year metrics: "never" counts as +∞, `null` in the JSON).
    pub p05: f64,
    /// Median over runs (first-year metrics: "never" counts as +∞, `null` in the JSON).
    pub p50: f64,
    /// 95th percentile over runs (first-year metrics: "never" counts as +∞, `null` in the JSON).
    pub p95: f64,
    /// First-year metrics: probability that it never happens by the horizon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub never: Option<f64>,
    /// First-year metrics: the year by which half the runs have seen it (`null`: never).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_year: Option<Option<i32>>,
}

/// A scenario against the reference, run by run.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    /// The scenario's name.
    pub scenario: String,
    /// Mean of the run-by-run differences (scenario minus reference): of the values, of the
    /// 0/1 outcomes for probabilities, and of "never" (0/1) for first-year metrics.
    pub difference: f64,
    /// 95 % interval of `difference` from the paired standard error.
    pub ci_low: f64,
    /// Upper end of the 95 % interval of `difference`.
    pub ci_high: f64,
    /// Standard error of `difference` from the run-by-run differences.
    pub se_paired: f64,
    /// The standard error the difference would have from independent samples.
    pub se_unpaired: f64,
    /// Unpaired over paired interval width: how much the common random numbers narrowed it
    /// (`null` when the paired error is 0, e.g. a scenario compared with itself).
    pub pairing_gain: Option<f64>,
    /// Fraction of runs where the scenario's value exceeds the reference's in the same run
    /// ("never" counts as later than any year).
    pub p_greater: f64,
    /// Kolmogorov–Smirnov distance between the two distributions (never = +∞).
    pub ks: f64,
    /// Wasserstein-1 distance, in the quantity's unit (`null` when "never" occurs).
    pub w1: Option<f64>,
    /// First-year metrics: shift of the median year (`null` when either is never).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_year_shift: Option<Option<i32>>,
}

/// How quantities are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// Largest Kolmogorov–Smirnov distance to the reference first (scale-free, so metrics and
    /// shares sort together).
    Largest,
    /// Metrics in the reference's file order, then series.
    File,
}

/// Compares `runs[1..]` with `runs[0]`, the reference, at `years`, for every metric and every
/// composite share (target and region, actor and autonomy); all must share seed, run count
/// and horizon, which the caller checks.
pub fn compare(runs: &[Run], years: &[i32], order: Order) -> Comparison {
    let reference = &runs[0];
    let mut quantities = Vec::new();
    let mut only_in_some = Vec::new();

    // Metrics, by name, in the order first seen.
    let mut names: Vec<&str> = Vec::new();
    for run in runs {
        for m in &run.scenario.metrics {
            if !names.contains(&m.name.as_str()) {
                names.push(&m.name);
            }
        }
    }
    for name in names {
        let found: Vec<Option<(MetricKind, &[f64])>> = runs
            .iter()
            .map(|r| {
                let i = r.scenario.metrics.iter().position(|m| m.name == name)?;
                Some((r.scenario.metrics[i].kind, r.outcome.metrics[i].as_slice()))
            })
            .collect();
        let kinds: Vec<MetricKind> = found.iter().flatten().map(|(k, _)| *k).collect();
        // Same kind, same condition-or-number, and for `at` the same year (`MetricKind` holds it).
        let same_kind = kinds.windows(2).all(|w| w[0] == w[1]);
        if found.iter().any(Option::is_none) || !same_kind {
            only_in_some.push(partial(name.to_string(), runs, &found));
            continue;
        }
        let kind = kinds[0];
        let values: Vec<&[f64]> = found.iter().flatten().map(|(_, v)| *v).collect();
        let result = if kind == MetricKind::First {
            "first_year"
        } else if kind.is_probability() {
            "probability"
        } else {
            "number"
        };
        let year = match kind {
            MetricKind::At { year, .. } => Some(year),
            _ => None,
        };
        // A leader metric's category (`NAME.CATEGORY`) is compared as a probability.
        let leader = runs.iter().any(|r| {
            r.scenario
                .metrics
                .iter()
                .any(|m| m.name == name && m.category.is_some())
        });
        quantities.push(quantity(
            runs,
            name.to_string(),
            result,
            if leader { "leader" } else { kind.name() },
            year,
            None,
            &values,
        ));
        // A first-year question is also compared as the chance it has happened by each year
        // compared: run by run, 1 if its first year is at or before it, 0 if later or never.
        if kind == MetricKind::First {
            for &by in years {
                let happened: Vec<Vec<f64>> = values
                    .iter()
                    .map(|v| {
                        v.iter()
                            .map(|y| f64::from(u8::from(*y <= f64::from(by))))
                            .collect()
                    })
                    .collect();
                let happened: Vec<&[f64]> = happened.iter().map(Vec::as_slice).collect();
                quantities.push(quantity(
                    runs,
                    format!("{name}@{by}"),
                    "probability",
                    kind.name(),
                    Some(by),
                    None,
                    &happened,
                ));
            }
        }
    }

    // Composite shares of every target and the region, per actor, at each year.
    let mut pairs: Vec<(String, String)> = Vec::new();
    for run in runs {
        for target in run
            .scenario
            .targets
            .iter()
            .map(|t| t.name.as_str())
            .chain(["region"])
        {
            for slot in 0..run.scenario.n_slots() {
                let pair = (target.to_string(), run.scenario.slot_name(slot).to_string());
                if !pairs.contains(&pair) {
                    pairs.push(pair);
                }
            }
        }
    }
    for (y, &year) in years.iter().enumerate() {
        for (target, actor) in &pairs {
            let name = format!("{target}:{actor}@{year}");
            let found: Vec<Option<((), &[f64])>> = runs
                .iter()
                .map(|r| series_values(r, target, actor, y).map(|v| ((), v)))
                .collect();
            if found.iter().any(Option::is_none) {
                only_in_some.push(partial(name, runs, &found));
                continue;
            }
            let values: Vec<&[f64]> = found.iter().flatten().map(|(_, v)| *v).collect();
            quantities.push(quantity(
                runs,
                name,
                "number",
                "share",
                Some(year),
                Some((target.clone(), actor.clone())),
                &values,
            ));
        }
    }

    if order == Order::Largest {
        let largest = |q: &Quantity| q.differences.iter().map(|d| d.ks).fold(0.0, f64::max);
        quantities.sort_by(|a, b| largest(b).total_cmp(&largest(a)));
    }
    Comparison {
        schema: SCHEMA,
        reference: reference.scenario.name.clone(),
        scenarios: runs
            .iter()
            .map(|r| ScenarioRef {
                name: r.scenario.name.clone(),
                file: r.file.clone(),
                overrides: r.scenario.overrides.clone(),
            })
            .collect(),
        runs: reference.outcome.runs,
        seed: reference.outcome.seed,
        years: years.to_vec(),
        quantities,
        only_in_some,
    }
}

/// Values of one series at the `y`-th compared year, if the scenario has it.
fn series_values<'a>(run: &Run<'a>, target: &str, actor: &str, y: usize) -> Option<&'a [f64]> {
    let scenario = run.scenario;
    let t = if target == "region" {
        Some(scenario.targets.len())
    } else {
        scenario.targets.iter().position(|x| x.name == target)
    }?;
    let s = if actor == AUTONOMY {
        Some(scenario.actors.len())
    } else {
        scenario.actors.iter().position(|a| a.name == actor)
    }?;
    let i = run.tracked.get(y).copied().flatten()?;
    let n_series = (scenario.targets.len() + 1) * scenario.n_slots();
    Some(run.outcome.tracked[i * n_series + t * scenario.n_slots() + s].as_slice())
}

fn partial<T>(quantity: String, runs: &[Run], found: &[Option<T>]) -> Partial {
    let present_in = runs
        .iter()
        .zip(found)
        .filter(|(_, f)| f.is_some())
        .map(|(r, _)| r.scenario.name.clone())
        .collect();
    Partial {
        quantity,
        present_in,
    }
}

fn quantity(
    runs: &[Run],
    name: String,
    kind: &'static str,
    source: &'static str,
    year: Option<i32>,
    series: Option<(String, String)>,
    values: &[&[f64]],
) -> Quantity {
    let first = kind == "first_year";
    // A run whose value is not a number in some scenario (e.g. ln of 0) is left out of every
    // scenario, so the rest stay paired; for first-year metrics NaN means "never" and stays.
    let n = values[0].len();
    let valid: Vec<bool> = (0..n)
        .map(|run| first || values.iter().all(|v| v[run].is_finite()))
        .collect();
    let invalid_runs = valid.iter().filter(|ok| !**ok).count() as u64;
    let kept: Vec<Vec<f64>> = values
        .iter()
        .map(|v| {
            v.iter()
                .zip(&valid)
                .filter(|(_, ok)| **ok)
                .map(|(x, _)| *x)
                .collect()
        })
        .collect();
    let per_scenario = runs
        .iter()
        .zip(&kept)
        .map(|(r, v)| distribution(&r.scenario.name, v, first))
        .collect();
    let differences = runs
        .iter()
        .zip(&kept)
        .skip(1)
        .map(|(r, v)| difference(&r.scenario.name, &kept[0], v, first))
        .collect();
    let (target, actor) = series.map_or((None, None), |(t, a)| (Some(t), Some(a)));
    Quantity {
        name,
        kind,
        source,
        year,
        target,
        actor,
        invalid_runs,
        per_scenario,
        differences,
    }
}

/// First-year values with "never" (NaN) as +∞, so that never sorts after every year.
fn years_with_never(values: &[f64]) -> Vec<f64> {
    values
        .iter()
        .map(|v| if v.is_nan() { f64::INFINITY } else { *v })
        .collect()
}

fn never_indicator(values: &[f64]) -> Vec<f64> {
    values
        .iter()
        .map(|v| if v.is_nan() { 1.0 } else { 0.0 })
        .collect()
}

fn distribution(scenario: &str, values: &[f64], first: bool) -> Distribution {
    let mut sorted = if first {
        years_with_never(values)
    } else {
        values.to_vec()
    };
    sorted.sort_by(f64::total_cmp);
    let finite: Vec<f64> = sorted.iter().copied().filter(|v| v.is_finite()).collect();
    let q = |q| stats::quantile_sorted(&sorted, q);
    let (never, median_year) = if first {
        let never =
            values.iter().filter(|v| v.is_nan()).count() as f64 / values.len().max(1) as f64;
        (Some(never), Some(stats::median_first_year(values)))
    } else {
        (None, None)
    };
    Distribution {
        scenario: scenario.to_string(),
        mean: stats::mean_and_se(&finite).0,
        p05: q(0.05),
        p50: q(0.5),
        p95: q(0.95),
        never,
        median_year,
    }
}

fn difference(scenario: &str, reference: &[f64], values: &[f64], first: bool) -> Difference {
    let (a, b) = if first {
        (never_indicator(reference), never_indicator(values))
    } else {
        (reference.to_vec(), values.to_vec())
    };
    let paired = stats::paired(&a, &b);
    let (mut sa, mut sb) = if first {
        (years_with_never(reference), years_with_never(values))
    } else {
        (reference.to_vec(), values.to_vec())
    };
    sa.sort_by(f64::total_cmp);
    sb.sort_by(f64::total_cmp);
    let p_greater = if first {
        stats::paired(&years_with_never(reference), &years_with_never(values)).p_greater
    } else {
        paired.p_greater
    };
    let w1 = if sa.iter().chain(&sb).all(|v| v.is_finite()) {
        Some(stats::wasserstein1(&sa, &sb))
    } else {
        None
    };
    let median_year_shift = first.then(|| {
        let (a, b) = (
            stats::median_first_year(reference),
            stats::median_first_year(values),
        );
        a.zip(b).map(|(a, b)| b - a)
    });
    let half_width = Z95 * paired.se_paired;
    Difference {
        scenario: scenario.to_string(),
        difference: paired.difference,
        ci_low: paired.difference - half_width,
        ci_high: paired.difference + half_width,
        se_paired: paired.se_paired,
        se_unpaired: paired.se_unpaired,
        pairing_gain: (paired.se_paired > 0.0).then(|| paired.se_unpaired / paired.se_paired),
        p_greater,
        ks: stats::ks_distance(&sa, &sb),
        w1,
        median_year_shift,
    }
}
