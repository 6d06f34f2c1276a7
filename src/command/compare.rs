//! `steppe compare`: the same futures under several scenarios, paired run by run against the
//! first. The report command shares [`simulate_compared`], so a report simulates each
//! scenario once.

use serde::{Deserialize, Serialize};

use super::{Environment, Rendered, Simulation, check_years, question, step_of_year};
use crate::compare::{self, Comparison, Order};
use crate::engine::{Outcome, RunConfig};
use crate::error::Error;
use crate::report;
use crate::scenario::Scenario;
use crate::summary::{self, Summary};

/// What `steppe compare` is asked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompareRequest {
    /// Scenario files; the first is the reference.
    pub files: Vec<String>,
    /// Runs, seed, design and `--set` overrides, the same for every scenario.
    pub simulation: Simulation,
    /// Years at which composite shares are compared; empty: the reported years after the
    /// start (multiples of 5 and the end).
    pub years: Vec<i32>,
    /// `--sort`: how quantities are ordered.
    pub order: Order,
    /// `--metric`: the metrics (named, or defined on the command line) and composite shares
    /// (`TARGET:ACTOR`) compared; every metric and share when empty.
    #[serde(default)]
    pub questions: question::Questions,
}

/// Several scenarios simulated over the same runs, with their composite shares tracked at
/// `years`: what a comparison (and a report) is computed from.
pub struct Compared {
    /// The scenarios, loaded, in the order of `files`.
    pub scenarios: Vec<Scenario>,
    /// Their files, as named; the first is the reference.
    pub files: Vec<String>,
    /// The years their composite shares were tracked at, ascending, each once.
    pub years: Vec<i32>,
    /// Each scenario's outcome, over the same runs, in the order of `files`.
    pub outcomes: Vec<Outcome>,
}

impl Compared {
    /// The comparison of every scenario with the first.
    pub fn comparison(&self, order: Order) -> Comparison {
        let tracked: Vec<Option<usize>> = (0..self.years.len()).map(Some).collect();
        let runs: Vec<compare::Run> = self
            .scenarios
            .iter()
            .zip(&self.outcomes)
            .zip(&self.files)
            .map(|((scenario, outcome), file)| compare::Run {
                scenario,
                file: file.clone(),
                outcome,
                tracked: tracked.clone(),
            })
            .collect();
        compare::compare(&runs, &self.years, order)
    }

    /// Each scenario's own summary, from the same outcomes.
    pub fn summaries(&self) -> Vec<Summary> {
        self.scenarios
            .iter()
            .zip(&self.outcomes)
            .zip(&self.files)
            .map(|((s, o), f)| summary::summarize(s, f, o))
            .collect()
    }
}

/// Loads every file (all problems together), checks that they can be paired, and simulates
/// them over the same runs; `None` for a shard. `years` empty: the reported years.
pub fn simulate_compared(
    env: &dyn Environment,
    files: &[String],
    simulation: &Simulation,
    years: &[i32],
    questions: &question::Questions,
) -> Result<Option<Compared>, Error> {
    let scenarios = question::load_all(env, files, &simulation.overrides, questions)?;
    let reference = &scenarios[0];
    for share in questions.shares() {
        if super::series_index(reference, &share).is_none() {
            return Err(Error::Usage(format!(
                "--metric {share}: no such target and actor (write TARGET:ACTOR, e.g. kazakhstan:russia or region:china)"
            )));
        }
    }
    // Paired runs are only the same futures if they cover the same years in the same steps
    // (noise is drawn per step; `first`, `ever`, `min`, `max` look at the whole horizon).
    for (scenario, file) in scenarios.iter().zip(files).skip(1) {
        if (scenario.start, scenario.end, scenario.step)
            != (reference.start, reference.end, reference.step)
        {
            return Err(Error::Usage(format!(
                "{file} runs {}–{} by {}, but the reference {} runs {}–{} by {}: compare needs the same years and step \
                 (set them with --set start=…, end=…, step=… or in the file)",
                scenario.start,
                scenario.end,
                scenario.step.name(),
                files[0],
                reference.start,
                reference.end,
                reference.step.name()
            )));
        }
    }
    let mut years = if years.is_empty() {
        crate::summary::report_years(reference)
    } else {
        years.to_vec()
    };
    years.sort_unstable();
    years.dedup();
    check_years(reference, &years, "--years", "the scenarios'")?;
    let config = RunConfig {
        tracked_points: years.iter().map(|&y| step_of_year(reference, y)).collect(),
        ..simulation.config(reference, env)
    };
    let jobs: Vec<(&Scenario, RunConfig)> = scenarios.iter().map(|s| (s, config.clone())).collect();
    let Some(outcomes) = env.outcomes(&jobs)? else {
        return Ok(None);
    };
    Ok(Some(Compared {
        scenarios,
        files: files.to_vec(),
        years,
        outcomes,
    }))
}

/// A comparison's result.
pub struct CompareResult {
    /// The scenarios, their files and their outcomes.
    pub compared: Compared,
    /// Every scenario compared with the first.
    pub comparison: Comparison,
}

/// Compares the scenarios; `None` for a shard.
pub fn compare(
    request: &CompareRequest,
    env: &dyn Environment,
) -> Result<Option<CompareResult>, Error> {
    let Some(compared) = simulate_compared(
        env,
        &request.files,
        &request.simulation,
        &request.years,
        &request.questions,
    )?
    else {
        return Ok(None);
    };
    let shares = request.questions.shares();
    let mut comparison = compared.comparison(request.order);
    if !request.questions.is_empty() {
        comparison.quantities.retain(|q| {
            q.source != "share" || shares.iter().any(|s| q.name.split('@').next() == Some(s))
        });
    }
    Ok(Some(CompareResult {
        compared,
        comparison,
    }))
}

impl Rendered for CompareResult {
    fn table(&self) -> String {
        report::compare::table(&self.comparison)
    }

    fn json(&self) -> String {
        super::pretty_json(&self.comparison)
    }

    fn files(&self) -> Vec<(String, String)> {
        let comparison = &self.comparison;
        let mut files = vec![
            ("comparison.json".to_string(), self.json()),
            (
                "comparison.csv".to_string(),
                report::csv::comparison(comparison),
            ),
        ];
        // A chart per metric; shares are many, the table and CSV carry them.
        for q in comparison.quantities.iter().filter(|q| q.source != "share") {
            files.push((
                format!("charts/compare_{}.svg", q.name),
                report::charts::compared(q),
            ));
        }
        // Each scenario's shares over time, overlaid per actor (the reference's targets).
        let scenarios = &self.compared.scenarios;
        let reference = &scenarios[0];
        let same_layout = scenarios.iter().all(|s| {
            s.targets.len() == reference.targets.len() && s.actors.len() == reference.actors.len()
        });
        if same_layout {
            let summaries = self.compared.summaries();
            let refs: Vec<&Summary> = summaries.iter().collect();
            for t in 0..=reference.targets.len() {
                let name = reference
                    .targets
                    .get(t)
                    .map_or("region", |t| t.name.as_str());
                files.push((
                    format!("charts/overlay_{name}.svg"),
                    report::charts::overlay(reference, &refs, t),
                ));
            }
        }
        files
    }
}
