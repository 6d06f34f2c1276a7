//! Splitting a command's simulations across machines and merging the parts back, exactly.
//!
//! A command (`run`, `compare`, `sweep`, `sensitivity`, `discover`) is a list of simulations
//! followed by pure arithmetic on their outcomes. Shard `K/N` of a command runs share `K` of
//! *every* one of its simulations — runs `⌊K·R/N⌋ .. ⌊(K+1)·R/N⌋` of a simulation of `R` runs
//! (or of `R` designed rows) — and writes a [`Partial`]: the command and its arguments, every
//! file it read (path and text), and per simulation the mergeable series aggregates (integer
//! histograms and sums) and each run's metric values, parameter draws and tracked values as
//! bits (exact, NaN included). [`merge`] checks that the partials belong together and cover
//! every shard once, and rebuilds each simulation's outcome bit for bit; the command then
//! finishes on those outcomes exactly as it would have after simulating them itself.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::design::Design;
use crate::engine::{Outcome, Rows, RunConfig, SeriesAccumulator, Shard, ValuesAccumulator};

pub const SCHEMA: &str = "steppe.partial/2";

/// Parses `K/N` (0 ≤ K < N).
pub fn parse(text: &str) -> Result<(u64, u64), String> {
    let (k, n) = text
        .split_once('/')
        .ok_or_else(|| format!("`{text}`: expected K/N, e.g. 0/8 (shards are numbered from 0)"))?;
    let (k, n) = (k.trim().parse::<u64>(), n.trim().parse::<u64>());
    match (k, n) {
        (Ok(k), Ok(n)) if n >= 1 && k < n => Ok((k, n)),
        _ => Err(format!(
            "`{text}`: expected K/N with 0 ≤ K < N, e.g. 0/8 (shards are numbered from 0)"
        )),
    }
}

/// First run and run count of shard `k` of `n` over `total` runs.
pub fn range(k: u64, n: u64, total: u64) -> (u64, u64) {
    let first = (u128::from(k) * u128::from(total) / u128::from(n)) as u64;
    let end = (u128::from(k + 1) * u128::from(total) / u128::from(n)) as u64;
    (first, end - first)
}

/// The configuration of shard `k` of `n` of a simulation: its range of runs, or of designed
/// rows. Designs and correlations stay those of the whole run set.
pub fn share(config: &RunConfig, k: u64, n: u64) -> RunConfig {
    let (first, runs) = range(k, n, config.runs);
    let mut part = config.clone();
    part.runs = runs;
    match &config.rows {
        Some(rows) => {
            let width = rows.uniforms.len() / rows.stream_runs.len().max(1);
            let (a, b) = (first as usize, (first + runs) as usize);
            part.rows = Some(Arc::new(Rows {
                uniforms: rows.uniforms[a * width..b * width].to_vec(),
                stream_runs: rows.stream_runs[a..b].to_vec(),
            }));
        }
        None => {
            part.shard = Some(Shard {
                first,
                total: config.runs,
            })
        }
    }
    part
}

/// What one shard of a command wrote.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Partial {
    pub schema: String,
    /// The command (`run`, `compare`, …) and its arguments as given (paths as typed); a merge
    /// finishes this command.
    pub command: String,
    pub arguments: serde_json::Value,
    /// Every file the command read (the scenario files and their parents), with its text.
    pub sources: Vec<(String, String)>,
    /// Hash of the command, its arguments and its sources: partials of different work never
    /// merge.
    pub hash: String,
    pub shard: u64,
    pub shards: u64,
    /// [`math_fingerprint`] of the machine that ran the shard.
    pub math: String,
    /// One per simulation of the command, in the order the command runs them.
    pub simulations: Vec<PartialOutcome>,
}

/// One shard's share of one simulation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartialOutcome {
    pub seed: u64,
    pub design: Design,
    pub total_runs: u64,
    pub first_run: u64,
    pub runs: u64,
    pub series: SeriesAccumulator,
    /// Every metric's and parameter's values, aggregated.
    pub metric_values: Vec<ValuesAccumulator>,
    pub param_values: Vec<ValuesAccumulator>,
    /// `metrics[m][run]`, `params[p][run]`, `tracked[i][run]` as `f64::to_bits` (the first
    /// two only when the command keeps every run's values).
    pub metrics: Vec<Vec<u64>>,
    pub params: Vec<Vec<u64>>,
    pub tracked: Vec<Vec<u64>>,
}

impl PartialOutcome {
    pub fn new(total_runs: u64, first_run: u64, outcome: &Outcome) -> PartialOutcome {
        let bits = |v: &Vec<Vec<f64>>| {
            v.iter()
                .map(|c| c.iter().map(|x| x.to_bits()).collect())
                .collect()
        };
        PartialOutcome {
            seed: outcome.seed,
            design: outcome.design,
            total_runs,
            first_run,
            runs: outcome.runs,
            series: outcome.series.clone(),
            metric_values: outcome.metric_values.clone(),
            param_values: outcome.param_values.clone(),
            metrics: bits(&outcome.metrics),
            params: bits(&outcome.params),
            tracked: bits(&outcome.tracked),
        }
    }
}

/// A hash of the bits the machine's math library gives for the functions the engine relies
/// on (`exp`, `ln`, `powf`, trigonometry, and the quantiles built on them, gamma and beta
/// functions included) at fixed arguments. Runs are bit-identical across machines only where
/// these agree: the same binary can round differently where the C library picks a code path
/// by processor (e.g. with or without FMA).
pub fn math_fingerprint() -> String {
    let mut text = String::new();
    let mut note = |x: f64| {
        text.push_str(&format!("{:016x}", x.to_bits()));
    };
    for i in 1..=64 {
        let x = f64::from(i) * 0.173_205_080_756_887_72 - 5.0;
        note(x.exp());
        note(x.abs().ln());
        note(x.abs().powf(0.37));
        note(x.sin());
        note(x.cos());
        note(x.atan());
        note(x.tanh());
    }
    let families = [
        "normal(0.1, 0.3)",
        "lognormal(-1, 0.5)",
        "beta(2.5, 4)",
        "pert(0, 0.3, 1)",
        "triangular(0, 0.2, 1)",
    ];
    for family in families {
        if let Ok(d) = crate::distribution::Distribution::parse(family) {
            for i in 1..32 {
                note(d.quantile(f64::from(i) / 32.0));
            }
        }
    }
    format!("{:016x}", crate::rng::ComponentKey::new(&text).value())
}

/// The identity of a piece of work: the command, its arguments and every source it read.
pub fn work_hash(
    command: &str,
    arguments: &serde_json::Value,
    sources: &[(String, String)],
) -> String {
    let mut text = format!("{command}\0{arguments}\0");
    for (path, source) in sources {
        text.push_str(path);
        text.push('\0');
        text.push_str(source);
        text.push('\0');
    }
    format!("{:016x}", crate::rng::ComponentKey::new(&text).value())
}

/// Merges partials into the outcomes of the command's whole simulations, in order; refuses
/// partials that do not belong together or do not cover every shard exactly once. Returns the
/// first partial (its command, arguments and sources) with the outcomes.
pub fn merge(mut parts: Vec<Partial>) -> Result<Merged, String> {
    let Some(first) = parts.first() else {
        return Err("no partial results to merge".into());
    };
    for p in &parts {
        if p.schema != SCHEMA {
            return Err(format!(
                "shard {}: schema {} is not {SCHEMA} (partials are merged by the steppe version that wrote them)",
                p.shard, p.schema
            ));
        }
        let same = (&p.hash, p.shards, p.simulations.len())
            == (&first.hash, first.shards, first.simulations.len());
        if !same {
            return Err(format!(
                "shard {} of {} ({}) does not belong with shard {} of {} ({}): the command, its arguments (runs, seed, design, --set, …), the scenario files or the number of shards differ",
                p.shard, p.shards, p.command, first.shard, first.shards, first.command
            ));
        }
    }
    let shards = first.shards;
    parts.sort_by_key(|p| p.shard);
    let maths: std::collections::BTreeSet<&str> = parts.iter().map(|p| p.math.as_str()).collect();
    let indices: Vec<u64> = parts.iter().map(|p| p.shard).collect();
    let expected: Vec<u64> = (0..shards).collect();
    if indices != expected {
        let missing: Vec<String> = expected
            .iter()
            .filter(|k| !indices.contains(k))
            .map(|k| k.to_string())
            .collect();
        let mut seen = std::collections::HashSet::new();
        let twice: Vec<String> = indices
            .iter()
            .filter(|k| !seen.insert(**k))
            .map(|k| k.to_string())
            .collect();
        let list = |v: Vec<String>| {
            if v.is_empty() {
                "none".to_string()
            } else {
                v.join(", ")
            }
        };
        return Err(format!(
            "the partials do not cover the {shards} shards exactly once (missing: {}; given twice: {})",
            list(missing),
            list(twice)
        ));
    }
    let n_simulations = parts[0].simulations.len();
    let mut outcomes = Vec::with_capacity(n_simulations);
    for s in 0..n_simulations {
        let pieces: Vec<&PartialOutcome> = parts.iter().map(|p| &p.simulations[s]).collect();
        outcomes.push(merge_simulation(s, &pieces)?);
    }
    let warning = (maths.len() > 1).then(|| {
        "the shards ran on machines whose math libraries round differently (see docs/cluster.md): \
         the merged result is a valid result of the run set, but may differ in the last digits \
         from a run on one machine; run every shard from the same container image on the same \
         kind of processor for bit-identical results"
            .to_string()
    });
    let header = parts.swap_remove(0);
    Ok(Merged {
        header,
        outcomes,
        warning,
    })
}

/// What a merge gives: the first partial (its command, arguments and sources), each
/// simulation's whole outcome, and a warning when the shards' machines computed differently.
pub struct Merged {
    pub header: Partial,
    pub outcomes: Vec<Outcome>,
    pub warning: Option<String>,
}

/// Joins the shards' pieces of one simulation (in shard order).
fn merge_simulation(s: usize, pieces: &[&PartialOutcome]) -> Result<Outcome, String> {
    let head = pieces[0];
    let mut next = 0;
    for p in pieces {
        let shape = |p: &PartialOutcome| {
            (
                p.series.n_points,
                p.series.n_series,
                p.series.bins,
                p.metric_values.len(),
                p.param_values.len(),
                p.metrics.len(),
                p.params.len(),
                p.tracked.len(),
            )
        };
        if (p.seed, p.design, p.total_runs) != (head.seed, head.design, head.total_runs)
            || shape(p) != shape(head)
        {
            return Err(format!(
                "simulation {}: the shards' parts differ in seed, design, run count or shape",
                s + 1
            ));
        }
        if p.first_run != next {
            return Err(format!(
                "simulation {}: a shard starts at run {} where run {next} was expected",
                s + 1,
                p.first_run
            ));
        }
        next += p.runs;
    }
    if next != head.total_runs {
        return Err(format!(
            "simulation {}: the partials hold {next} runs, not the {} of the run set",
            s + 1,
            head.total_runs
        ));
    }
    let mut series = head.series.clone();
    let mut metric_values = head.metric_values.clone();
    let mut param_values = head.param_values.clone();
    for p in &pieces[1..] {
        series.merge(&p.series);
        for (a, b) in metric_values.iter_mut().zip(&p.metric_values) {
            a.merge(b);
        }
        for (a, b) in param_values.iter_mut().zip(&p.param_values) {
            a.merge(b);
        }
    }
    let join = |pick: fn(&PartialOutcome) -> &Vec<Vec<u64>>| -> Vec<Vec<f64>> {
        (0..pick(head).len())
            .map(|i| {
                pieces
                    .iter()
                    .flat_map(|p| pick(p)[i].iter().map(|b| f64::from_bits(*b)))
                    .collect()
            })
            .collect()
    };
    Ok(Outcome {
        runs: head.total_runs,
        seed: head.seed,
        design: head.design,
        series,
        metric_values,
        param_values,
        metrics: join(|p| &p.metrics),
        params: join(|p| &p.params),
        tracked: join(|p| &p.tracked),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_run_once() {
        for (n, total) in [(1, 10), (3, 10), (8, 5), (7, 1_000_003)] {
            let mut next = 0;
            for k in 0..n {
                let (first, count) = range(k, n, total);
                assert_eq!(first, next);
                next = first + count;
            }
            assert_eq!(next, total);
        }
    }

    #[test]
    fn a_share_of_designed_rows_is_their_slice() {
        let rows = Rows {
            uniforms: (0..20).map(f64::from).collect(),
            stream_runs: (100..110).collect(),
        };
        let config = RunConfig {
            runs: 10,
            seed: 1,
            bins: 10,
            tracked_points: Vec::new(),
            design: Design::MonteCarlo,
            rows: Some(Arc::new(rows)),
            shard: None,
            keep_runs: true,
        };
        let part = share(&config, 1, 3);
        assert_eq!(part.runs, 3);
        let rows = part.rows.as_ref().unwrap();
        assert_eq!(rows.stream_runs, vec![103, 104, 105]);
        assert_eq!(rows.uniforms, vec![6.0, 7.0, 8.0, 9.0, 10.0, 11.0]);
        assert_eq!(part.shard, None);
        let plain = share(
            &RunConfig {
                rows: None,
                ..config
            },
            2,
            3,
        );
        assert_eq!(
            (plain.runs, plain.shard),
            (
                4,
                Some(Shard {
                    first: 6,
                    total: 10
                })
            )
        );
    }

    #[test]
    fn parses_k_of_n() {
        assert_eq!(parse("0/8"), Ok((0, 8)));
        assert_eq!(parse("7/8"), Ok((7, 8)));
        for bad in ["8/8", "1", "a/b", "0/0", "-1/4"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
