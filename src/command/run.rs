//! `steppe run`: simulate one scenario and summarise its futures.

use serde::{Deserialize, Serialize};

use super::{Environment, Rendered, Simulation, metric_index, question};
use crate::engine::Outcome;
use crate::error::Error;
use crate::report;
use crate::scenario::Scenario;
use crate::summary::{self, Summary};

/// What `steppe run` is asked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRequest {
    /// The scenario file, as named (`-`: standard input).
    pub file: String,
    /// Runs, seed, design and `--set` overrides.
    pub simulation: Simulation,
    /// Keep every run's parameter draws and metric values, for `runs.csv` (8 bytes per run per
    /// metric and parameter; without them memory does not grow with the runs).
    pub keep_runs: bool,
    /// Run until precise (`--precision`); `None` for the given run count.
    pub precision: Option<Precision>,
    /// `--metric`: the metrics asked (named, or defined on the command line); every metric
    /// of the scenario when empty.
    #[serde(default)]
    pub questions: question::Questions,
}

impl RunRequest {
    /// A plain run of `file` as the file says (its runs and seed, no overrides).
    pub fn new(file: &str) -> RunRequest {
        RunRequest {
            file: file.to_string(),
            simulation: Simulation::default(),
            keep_runs: false,
            precision: None,
            questions: question::Questions::default(),
        }
    }
}

/// `--precision`: every chosen metric's headline standard error at most `target`, with at
/// most `max_runs` runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Precision {
    /// The largest headline standard error accepted, in each metric's own unit.
    pub target: f64,
    /// The most runs it may reach (`--max-runs`).
    pub max_runs: u64,
    /// The metrics it applies to; all when empty.
    pub metrics: Vec<String>,
}

/// A run's result: the scenario, what its futures add up to, and the outcome (for the
/// per-run file and the metric charts).
pub struct RunResult {
    /// The scenario, loaded (with its overrides).
    pub scenario: Scenario,
    /// What its futures add up to.
    pub summary: Summary,
    /// The simulation; its per-run values only when [`RunRequest::keep_runs`] asked for them.
    pub outcome: Outcome,
}

/// Simulates the scenario (doubling the runs until precise, if asked); `None` for a shard.
pub fn run(request: &RunRequest, env: &dyn Environment) -> Result<Option<RunResult>, Error> {
    request.questions.only_metrics()?;
    let scenario = question::load(
        env,
        &request.file,
        &request.simulation.overrides,
        &request.questions,
    )?;
    let mut config = request.simulation.config(&scenario, env);
    config.keep_runs = request.keep_runs;
    let (outcome, summary) = match &request.precision {
        None => {
            let Some(outcome) = env
                .outcomes(&[(&scenario, config)])?
                .and_then(|o| o.into_iter().next())
            else {
                return Ok(None);
            };
            let summary = summary::summarize(&scenario, &request.file, &outcome);
            (outcome, summary)
        }
        Some(precision) => {
            for name in &precision.metrics {
                metric_index(&scenario, name, "--precision-metric")?;
            }
            let mut config = config;
            config.runs = config.runs.min(precision.max_runs);
            loop {
                let Some(outcome) = env
                    .outcomes(&[(&scenario, config.clone())])?
                    .and_then(|o| o.into_iter().next())
                else {
                    return Ok(None);
                };
                let summary = summary::summarize(&scenario, &request.file, &outcome);
                let headlines = crate::sweep::headlines(&summary);
                let worst = crate::sweep::least_precise(&headlines, &precision.metrics);
                let reached = worst.is_none_or(|h| h.se <= precision.target);
                if reached || config.runs >= precision.max_runs {
                    let verdict = if reached {
                        "reached"
                    } else {
                        "NOT reached (--max-runs)"
                    };
                    let binding = worst.map_or("no metric".to_string(), |h| {
                        format!("{:.3e}, of {} ({})", h.se, h.name, h.statistic)
                    });
                    env.note(&format!(
                        "precision {} {verdict} with {} runs: largest standard error {binding}",
                        precision.target,
                        report::format::thousands(config.runs)
                    ));
                    break (outcome, summary);
                }
                config.runs = (config.runs * 2).min(precision.max_runs);
            }
        }
    };
    Ok(Some(RunResult {
        scenario,
        summary,
        outcome,
    }))
}

impl Rendered for RunResult {
    fn table(&self) -> String {
        report::table::render(&self.scenario, &self.summary)
    }

    fn json(&self) -> String {
        report::json::render(&self.summary)
    }

    fn files(&self) -> Vec<(String, String)> {
        let (scenario, summary, outcome) = (&self.scenario, &self.summary, &self.outcome);
        let mut files = vec![
            ("summary.json".to_string(), report::json::render(summary)),
            ("series.csv".to_string(), report::csv::series(summary)),
            ("metrics.csv".to_string(), report::csv::metrics(summary)),
        ];
        if outcome.metrics.len() == scenario.metrics.len()
            && outcome.params.len() == scenario.params.len()
        {
            files.push(("runs.csv".to_string(), report::csv::runs(scenario, outcome)));
        }
        for t in 0..=scenario.targets.len() {
            let name = scenario
                .targets
                .get(t)
                .map_or("region", |t| t.name.as_str());
            files.push((
                format!("charts/fan_{name}.svg"),
                report::charts::fan(scenario, summary, t),
            ));
        }
        for (m, metric) in summary.metrics.iter().enumerate() {
            files.push((
                format!("charts/metric_{}.svg", metric.name),
                report::charts::metric(summary, &outcome.metric_values[metric.columns.start], m),
            ));
        }
        files
    }
}
