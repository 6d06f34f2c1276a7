//! Splitting a run set across machines and merging the parts back, exactly.
//!
//! A shard `K/N` simulates runs `⌊K·R/N⌋ .. ⌊(K+1)·R/N⌋` of the `R` runs. Its partial result
//! holds the mergeable series aggregates (integer histograms and sums), each run's metric
//! values and parameter draws (as bits: exact, NaN included), and the scenario's sources, so
//! a merge needs nothing else and reproduces the unsharded outcome bit for bit.

use serde::{Deserialize, Serialize};

use crate::design::Design;
use crate::engine::{Outcome, SeriesAccumulator};

pub const SCHEMA: &str = "steppe.partial/1";

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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Partial {
    pub schema: String,
    /// Hash of every source text and override: partials of different scenarios never merge.
    pub scenario_hash: String,
    /// The scenario file as named on the command line, and every file read (it and its
    /// parents), with their texts.
    pub file: String,
    pub sources: Vec<(String, String)>,
    pub overrides: Vec<String>,
    pub seed: u64,
    pub total_runs: u64,
    pub design: Design,
    pub shard: u64,
    pub shards: u64,
    pub first_run: u64,
    pub runs: u64,
    pub series: SeriesAccumulator,
    /// `metrics[m][run]` and `params[p][run]` as `f64::to_bits`.
    pub metrics: Vec<Vec<u64>>,
    pub params: Vec<Vec<u64>>,
}

/// The identity of a scenario as run: its sources and overrides.
pub fn scenario_hash(sources: &[(String, String)], overrides: &[String]) -> String {
    let mut text = String::new();
    for (path, source) in sources {
        text.push_str(path);
        text.push('\0');
        text.push_str(source);
        text.push('\0');
    }
    for o in overrides {
        text.push_str(o);
        text.push('\0');
    }
    format!("{:016x}", crate::rng::ComponentKey::new(&text).value())
}

impl Partial {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        file: &str,
        sources: Vec<(String, String)>,
        overrides: Vec<String>,
        total_runs: u64,
        shard: u64,
        shards: u64,
        first_run: u64,
        outcome: &Outcome,
    ) -> Partial {
        let bits = |v: &Vec<Vec<f64>>| {
            v.iter()
                .map(|c| c.iter().map(|x| x.to_bits()).collect())
                .collect()
        };
        Partial {
            schema: SCHEMA.to_string(),
            scenario_hash: scenario_hash(&sources, &overrides),
            file: file.to_string(),
            sources,
            overrides,
            seed: outcome.seed,
            total_runs,
            design: outcome.design,
            shard,
            shards,
            first_run,
            runs: outcome.runs,
            series: outcome.series.clone(),
            metrics: bits(&outcome.metrics),
            params: bits(&outcome.params),
        }
    }
}

/// Merges partials into the outcome of the whole run set; refuses partials that do not belong
/// together or do not cover every shard exactly once.
pub fn merge(mut parts: Vec<Partial>) -> Result<(Partial, Outcome), String> {
    let Some(first) = parts.first() else {
        return Err("no partial results to merge".into());
    };
    for p in &parts {
        if p.schema != SCHEMA {
            return Err(format!(
                "shard {}: schema {} is not {SCHEMA}",
                p.shard, p.schema
            ));
        }
        let same = (&p.scenario_hash, p.seed, p.total_runs, p.shards, p.design)
            == (
                &first.scenario_hash,
                first.seed,
                first.total_runs,
                first.shards,
                first.design,
            );
        if !same {
            return Err(format!(
                "shard {} of {} does not belong with shard {} of {}: the scenario, seed, run count, design or number of shards differ",
                p.shard, p.shards, first.shard, first.shards
            ));
        }
    }
    let shards = first.shards;
    parts.sort_by_key(|p| p.shard);
    let first = &parts[0];
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
        return Err(format!(
            "the partials do not cover the {} shards exactly once (missing: {}; given twice: {})",
            first.shards,
            if missing.is_empty() {
                "none".into()
            } else {
                missing.join(", ")
            },
            if twice.is_empty() {
                "none".into()
            } else {
                twice.join(", ")
            }
        ));
    }
    let mut series = parts[0].series.clone();
    for p in &parts[1..] {
        if (p.series.n_points, p.series.n_series, p.series.bins)
            != (series.n_points, series.n_series, series.bins)
        {
            return Err("the partials' series have different shapes".into());
        }
        series.merge(&p.series);
    }
    let join = |pick: fn(&Partial) -> &Vec<Vec<u64>>| -> Vec<Vec<f64>> {
        let width = pick(&parts[0]).len();
        (0..width)
            .map(|i| {
                parts
                    .iter()
                    .flat_map(|p| pick(p)[i].iter().map(|b| f64::from_bits(*b)))
                    .collect()
            })
            .collect()
    };
    let outcome = Outcome {
        runs: parts.iter().map(|p| p.runs).sum(),
        seed: parts[0].seed,
        design: parts[0].design,
        series,
        metrics: join(|p| &p.metrics),
        params: join(|p| &p.params),
        tracked: Vec::new(),
    };
    if outcome.runs != parts[0].total_runs {
        return Err(format!(
            "the partials hold {} runs, not the {} of the run set",
            outcome.runs, parts[0].total_runs
        ));
    }
    let header = parts.swap_remove(0);
    Ok((header, outcome))
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
    fn parses_k_of_n() {
        assert_eq!(parse("0/8"), Ok((0, 8)));
        assert_eq!(parse("7/8"), Ok((7, 8)));
        for bad in ["8/8", "1", "a/b", "0/0", "-1/4"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
