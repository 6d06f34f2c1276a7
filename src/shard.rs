//! Splitting a command's simulations across machines and merging the parts back, exactly.
//!
//! A command (`run`, `compare`, `sweep`, `sensitivity`, `discover`) is a list of simulations
//! followed by pure arithmetic on their outcomes. Shard `K/N` of a command runs share `K` of
//! *every* one of its simulations — runs `⌊K·R/N⌋ .. ⌊(K+1)·R/N⌋` of a simulation of `R` runs
//! (or of `R` designed rows) — and writes a [`Partial`]: the command's request, every
//! file it read (path and text), and per simulation the mergeable series aggregates (integer
//! histograms and sums) and each run's metric values, parameter draws and tracked values as
//! bits (exact, NaN included). [`merge`] checks that each partial is intact (its hash is
//! recomputed from its request and files, its data checked against a SHA-256
//! checksum and for a consistent shape), that the partials belong together (saying what
//! differs when they do not) and cover every shard once, and rebuilds each simulation's outcome
//! bit for bit; the command then finishes on those outcomes exactly as it would have after
//! simulating them itself.
//!
//! The checksums catch a damaged or edited file, not a forger: whoever can edit a partial can
//! recompute them. A merge never panics on a partial, however it was changed.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::command::Request;
use crate::design::Design;
use crate::engine::{Outcome, Rows, RunConfig, SeriesAccumulator, Shard, ValuesAccumulator};
use crate::scenario::Scenario;

/// Version of the partial-result format; a merge refuses partials of another version.
pub const SCHEMA: &str = "steppe.partial/5";

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
            let sources = rows.sources.len() / rows.stream_runs.len().max(1);
            let (a, b) = (first as usize, (first + runs) as usize);
            part.rows = Some(Arc::new(Rows {
                uniforms: rows.uniforms[a * width..b * width].to_vec(),
                stream_runs: rows.stream_runs[a..b].to_vec(),
                sources: rows.sources[a * sources..b * sources].to_vec(),
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
    /// `schema`: [`SCHEMA`] when written.
    pub schema: String,
    /// The command and its request (paths as typed): what defines the work, in the command
    /// layer's own types, independent of how flags are spelled; a merge finishes it.
    pub work: Request,
    /// Every file the command read (the scenario files and their parents), with its text.
    pub sources: Vec<(String, String)>,
    /// [`work_hash`] of the request and the sources: partials of different work never merge,
    /// and an edited request or file is seen.
    pub hash: String,
    /// This shard's number K, in `0..shards`.
    pub shard: u64,
    /// The number of shards N the work was split into.
    pub shards: u64,
    /// [`math_fingerprint`] of the machine that ran the shard.
    pub math: String,
    /// SHA-256 of `simulations` exactly as written.
    pub checksum: String,
    /// One [`PartialOutcome`] per simulation of the command, in the order the command runs
    /// them, kept as the JSON text it was written as until its checksum is checked.
    pub simulations: Box<RawValue>,
}

impl Partial {
    /// Shard `shard` of `shards` of a command, with its simulations' parts.
    pub fn new(
        work: &Request,
        sources: Vec<(String, String)>,
        (shard, shards): (u64, u64),
        simulations: &[PartialOutcome],
    ) -> Partial {
        let data = serde_json::to_string(simulations).expect("a partial always serialises");
        Partial {
            schema: SCHEMA.to_string(),
            hash: work_hash(&work_value(work), &sources),
            work: work.clone(),
            sources,
            shard,
            shards,
            math: math_fingerprint(),
            checksum: sha256(data.as_bytes()),
            simulations: RawValue::from_string(data).expect("serde_json writes valid JSON"),
        }
    }
}

/// One shard's share of one simulation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartialOutcome {
    /// The simulation's master seed.
    pub seed: u64,
    /// The simulation's parameter design.
    pub design: Design,
    /// Runs (or designed rows) of the whole simulation.
    pub total_runs: u64,
    /// The first run of this shard's share.
    pub first_run: u64,
    /// Runs in this shard's share.
    pub runs: u64,
    /// The share's composite-share series, aggregated.
    pub series: SeriesAccumulator,
    /// Every metric's and parameter's values, aggregated.
    pub metric_values: Vec<ValuesAccumulator>,
    /// Parameter draws, aggregated, one per parameter.
    pub param_values: Vec<ValuesAccumulator>,
    /// `metrics[m][run]`, `params[p][run]`, `tracked[i][run]` as `f64::to_bits` (the first
    /// two only when the command keeps every run's values).
    pub metrics: Vec<Vec<u64>>,
    /// Each parameter's draw per run, as bits (empty unless every run's values are kept).
    pub params: Vec<Vec<u64>>,
    /// Each tracked series point's value per run, as bits.
    pub tracked: Vec<Vec<u64>>,
}

impl PartialOutcome {
    /// Whether the part is consistent in itself: every aggregate and every per-run column holds
    /// exactly its `runs` runs.
    pub fn check(&self) -> Result<(), String> {
        if self.runs == 0
            || self
                .first_run
                .checked_add(self.runs)
                .is_none_or(|end| end > self.total_runs)
        {
            return Err(format!(
                "runs {}..{} are not within the {} runs of the whole",
                self.first_run,
                self.first_run.saturating_add(self.runs),
                self.total_runs
            ));
        }
        self.series.check(self.runs)?;
        for (name, accumulators) in [
            ("metric", &self.metric_values),
            ("parameter", &self.param_values),
        ] {
            if let Some((i, a)) = accumulators
                .iter()
                .enumerate()
                .find(|(_, a)| a.n() != self.runs)
            {
                return Err(format!(
                    "{name} {} summarises {} values, not its {} runs",
                    i + 1,
                    a.n(),
                    self.runs
                ));
            }
            for (i, a) in accumulators.iter().enumerate() {
                a.check().map_err(|e| format!("{name} {}: {e}", i + 1))?;
            }
        }
        for (name, columns) in [
            ("metric values", &self.metrics),
            ("parameter draws", &self.params),
            ("tracked values", &self.tracked),
        ] {
            if let Some(column) = columns.iter().find(|c| c.len() as u64 != self.runs) {
                return Err(format!(
                    "a column of per-run {name} holds {} values, not its {} runs",
                    column.len(),
                    self.runs
                ));
            }
        }
        Ok(())
    }

    /// This shard's part of a simulation of `total_runs` runs, from the outcome of its share,
    /// which starts at run `first_run`.
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

/// A request as the hash sees it: its JSON document.
fn work_value(work: &Request) -> serde_json::Value {
    serde_json::to_value(work).expect("a request always serialises")
}

/// The identity of a piece of work: the request (its JSON document) and every source it read
/// (SHA-256 of them, each followed by a NUL byte).
pub fn work_hash(work: &serde_json::Value, sources: &[(String, String)]) -> String {
    let mut hasher = Sha256::new();
    let mut add = |text: &str| {
        hasher.update(text.as_bytes());
        hasher.update([0u8]);
    };
    add(&work.to_string());
    for (path, source) in sources {
        add(path);
        add(source);
    }
    hex(&hasher.finalize())
}

/// SHA-256 of `bytes`, in hexadecimal.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Merges partials (each named by where it was read from) into the outcomes of the command's
/// whole simulations, in order. Refuses a partial that is damaged or edited, partials that do
/// not belong together (saying what differs), and partials that do not cover every shard
/// exactly once. Returns the first partial's header (its request and sources) with
/// the outcomes.
pub fn merge(mut parts: Vec<(String, Partial)>) -> Result<Merged, String> {
    if parts.is_empty() {
        return Err("no partial results to merge".into());
    }
    for (place, p) in &parts {
        if p.schema != SCHEMA {
            return Err(format!(
                "{place}: schema {} is not {SCHEMA} (partials are merged by the steppe version that wrote them)",
                p.schema
            ));
        }
        if work_hash(&work_value(&p.work), &p.sources) != p.hash {
            return Err(format!(
                "{place}: its command, arguments or scenario files do not match its hash: the file was edited or damaged; run shard {} again",
                p.shard
            ));
        }
        if sha256(p.simulations.get().as_bytes()) != p.checksum {
            return Err(format!(
                "{place}: its simulation data do not match their checksum: the file was edited or damaged; run shard {} again",
                p.shard
            ));
        }
        if p.shards == 0 || p.shard >= p.shards {
            return Err(format!(
                "{place}: shard {} of {} is not a shard (0 ≤ K < N)",
                p.shard, p.shards
            ));
        }
    }
    let (first_place, first) = &parts[0];
    for (place, p) in &parts[1..] {
        let differences = differences(first, p);
        if !differences.is_empty() {
            return Err(format!(
                "{place} (shard {} of {}) does not belong with {first_place} (shard {} of {}): {}",
                p.shard,
                p.shards,
                first.shard,
                first.shards,
                differences.join("; ")
            ));
        }
    }
    let shards = first.shards;
    parts.sort_by_key(|(_, p)| p.shard);
    let maths: std::collections::BTreeSet<&str> =
        parts.iter().map(|(_, p)| p.math.as_str()).collect();
    let indices: Vec<u64> = parts.iter().map(|(_, p)| p.shard).collect();
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
    // Every shard's data, read now that its checksum holds.
    let mut data = Vec::with_capacity(parts.len());
    for (place, p) in &parts {
        let simulations: Vec<PartialOutcome> = serde_json::from_str(p.simulations.get())
            .map_err(|e| format!("{place}: its simulation data cannot be read: {e}"))?;
        for (s, piece) in simulations.iter().enumerate() {
            piece
                .check()
                .map_err(|e| format!("{place}: simulation {}: {e}", s + 1))?;
        }
        data.push(simulations);
    }
    let n_simulations = data[0].len();
    if let Some(((place, _), d)) = parts
        .iter()
        .zip(&data)
        .find(|(_, d)| d.len() != n_simulations)
    {
        return Err(format!(
            "{place} holds {} simulations where shard 0 holds {n_simulations}",
            d.len()
        ));
    }
    let mut outcomes = Vec::with_capacity(n_simulations);
    for s in 0..n_simulations {
        let pieces: Vec<&PartialOutcome> = data.iter().map(|d| &d[s]).collect();
        outcomes.push(merge_simulation(s, &pieces)?);
    }
    let warning = (maths.len() > 1).then(|| {
        "the shards ran on machines whose math libraries round differently (see docs/cluster.md): \
         the merged result is a valid result of the run set, but may differ in the last digits \
         from a run on one machine; run every shard from the same container image on the same \
         kind of processor for bit-identical results"
            .to_string()
    });
    let header = parts.swap_remove(0).1;
    Ok(Merged {
        header,
        outcomes,
        warning,
    })
}

/// What differs between two partials' work, in words (empty when they belong together).
fn differences(a: &Partial, b: &Partial) -> Vec<String> {
    let mut out = Vec::new();
    if a.work.name() != b.work.name() {
        out.push(format!(
            "one is of `{}`, the other of `{}`",
            a.work.name(),
            b.work.name()
        ));
    }
    if a.shards != b.shards {
        out.push(format!(
            "one is of {} shards, the other of {}",
            a.shards, b.shards
        ));
    }
    let mut arguments = Vec::new();
    if a.work.name() == b.work.name() {
        differing_arguments(
            "",
            &work_value(&a.work),
            &work_value(&b.work),
            &mut arguments,
        );
    }
    for (name, x, y) in arguments {
        out.push(format!("`{name}` is {x} in one, {y} in the other"));
    }
    for (path, text) in &a.sources {
        match b.sources.iter().find(|(p, _)| p == path) {
            None => out.push(format!("only one read {path}")),
            Some((_, other)) if other != text => {
                let line = text
                    .lines()
                    .zip(other.lines())
                    .position(|(x, y)| x != y)
                    .unwrap_or_else(|| text.lines().count().min(other.lines().count()))
                    + 1;
                out.push(format!("their copies of {path} differ (from line {line})"));
            }
            Some(_) => {}
        }
    }
    for (path, _) in &b.sources {
        if !a.sources.iter().any(|(p, _)| p == path) {
            out.push(format!("only one read {path}"));
        }
    }
    if out.is_empty() && a.hash != b.hash {
        out.push("their work differs".to_string());
    }
    out
}

/// The leaves in which two argument documents differ: (name, one value, the other).
fn differing_arguments(
    name: &str,
    a: &serde_json::Value,
    b: &serde_json::Value,
    out: &mut Vec<(String, String, String)>,
) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (key, value) in x {
                let missing = Value::Null;
                differing_arguments(key, value, y.get(key).unwrap_or(&missing), out);
            }
            for (key, value) in y {
                if !x.contains_key(key) {
                    differing_arguments(key, &Value::Null, value, out);
                }
            }
        }
        _ if a != b => out.push((name.replace('_', "-"), a.to_string(), b.to_string())),
        _ => {}
    }
}

/// Checks a merged simulation against what the command asks of it, so that a partial of the
/// right work but the wrong shape is refused, not followed into a panic.
pub fn check_outcome(
    outcome: &Outcome,
    scenario: &Scenario,
    config: &RunConfig,
) -> Result<(), String> {
    let n_series = (scenario.targets.len() + 1) * scenario.n_slots();
    let per_run = |name: &str, columns: &[Vec<f64>], expected: usize| {
        if columns.len() != expected || columns.iter().any(|c| c.len() as u64 != outcome.runs) {
            Err(format!(
                "its per-run {name} are not the {expected} columns of {} runs the command needs",
                outcome.runs
            ))
        } else {
            Ok(())
        }
    };
    let series = &outcome.series;
    if (series.n_points, series.n_series, series.bins)
        != (scenario.n_steps() + 1, n_series, config.bins)
    {
        return Err(format!(
            "its series have {} points × {} series × {} bins, where the scenario has {} × {} × {}",
            series.n_points,
            series.n_series,
            series.bins,
            scenario.n_steps() + 1,
            n_series,
            config.bins
        ));
    }
    if outcome.metric_values.len() != scenario.metrics.len()
        || outcome.param_values.len() != scenario.params.len()
    {
        return Err(format!(
            "it summarises {} metrics and {} parameters, where the scenario has {} and {}",
            outcome.metric_values.len(),
            outcome.param_values.len(),
            scenario.metrics.len(),
            scenario.params.len()
        ));
    }
    let kept = |n: usize| if config.keep_runs { n } else { 0 };
    per_run(
        "metric values",
        &outcome.metrics,
        kept(scenario.metrics.len()),
    )?;
    per_run(
        "parameter draws",
        &outcome.params,
        kept(scenario.params.len()),
    )?;
    per_run(
        "tracked values",
        &outcome.tracked,
        config.tracked_points.len() * n_series,
    )
}

/// What a merge gives: the first partial (its request and sources), each
/// simulation's whole outcome, and a warning when the shards' machines computed differently.
pub struct Merged {
    /// The first partial (shard 0): the request and the files every shard read.
    pub header: Partial,
    /// The whole outcome of every simulation, in the order the command runs them.
    pub outcomes: Vec<Outcome>,
    /// Set when the shards ran on machines whose math libraries round differently: the merge is
    /// a valid result, but may differ from a single machine's in the last digits.
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
            sources: (200..230).collect(),
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
        assert_eq!(rows.sources, (209..218).collect::<Vec<u64>>());
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
