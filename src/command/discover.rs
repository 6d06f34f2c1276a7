//! `steppe discover`: scenario discovery (PRIM) — the ranges of the assumptions in which an
//! outcome is likely.

use serde::{Deserialize, Serialize};

use super::{Environment, Rendered, Simulation, load, metric_index};
use crate::discover::{self, Discovery};
use crate::distribution::Distribution;
use crate::error::Error;
use crate::report;
use crate::scenario::{self, MetricKind};

/// The outcome whose likely ranges are sought.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Question {
    /// A condition (an expression of the metric language), at `year` (default: the horizon).
    Where {
        /// The condition, as written (`--where`).
        condition: String,
        /// `--year`: the year it is looked at; `None` for the horizon.
        year: Option<i32>,
    },
    /// A metric that is a condition (`at`, `ever`) or a first-year question (happens by the
    /// horizon).
    Metric(String),
}

/// What `steppe discover` is asked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DiscoverRequest {
    /// The scenario file, as named (`-`: standard input).
    pub file: String,
    /// Runs, seed, design and `--set` overrides.
    pub simulation: Simulation,
    /// The outcome whose likely ranges are sought.
    pub question: Question,
    /// Share of the runs peeled off at each step, in (0, 0.5).
    pub peel: f64,
    /// The least share of the runs a box may hold, in (0, 1).
    pub min_support: f64,
}

/// The metric a `--where` condition becomes.
const WHERE: &str = "discover_where";

/// The metric `--where CONDITION [--year YEAR]` becomes, with the condition and the year as
/// the pieces a problem is shown at.
fn where_metric(condition: &str, year: Option<i32>) -> scenario::Added {
    let mut text = format!("[metrics.{WHERE}]\nkind = \"at\"\n");
    let mut pieces = Vec::new();
    if let Some(y) = year {
        text.push_str("year = ");
        let y = y.to_string();
        pieces.push(scenario::Piece {
            flag: "--year".to_string(),
            shown: y.clone(),
            start: text.len(),
        });
        text.push_str(&y);
        text.push('\n');
    }
    text.push_str("expr = ");
    let quoted = toml::Value::String(condition.to_string()).to_string();
    // The condition is a piece of its own when TOML writes it unescaped between quotes.
    if quoted.get(1..quoted.len() - 1) == Some(condition) {
        pieces.push(scenario::Piece {
            flag: "--where".to_string(),
            shown: condition.to_string(),
            start: text.len() + 1,
        });
    }
    text.push_str(&quoted);
    text.push('\n');
    scenario::Added {
        label: "--where".to_string(),
        text,
        pieces,
        fresh: false,
    }
}

/// Runs the scenario and PRIM on its runs; `None` for a shard.
pub fn discover(
    request: &DiscoverRequest,
    env: &dyn Environment,
) -> Result<Option<Discovery>, Error> {
    let valid = (0.0 < request.peel && request.peel < 0.5)
        && (0.0 < request.min_support && request.min_support < 1.0);
    if !valid {
        return Err(Error::Usage(
            "--peel must be within (0, 0.5) and --min-support within (0, 1)".into(),
        ));
    }
    let overrides = &request.simulation.overrides;
    let (scenario, name) = match &request.question {
        Question::Where { condition, year } => {
            let scenario = load(
                env,
                &request.file,
                overrides,
                &[where_metric(condition, *year)],
            )?;
            (scenario, WHERE.to_string())
        }
        Question::Metric(metric) => (load(env, &request.file, overrides, &[])?, metric.clone()),
    };
    let m = metric_index(&scenario, &name, "--metric")?;
    let kind = scenario.metrics[m].kind;
    if !(kind.is_probability() || kind == MetricKind::First) {
        return Err(Error::Usage(match &request.question {
            Question::Where { condition, .. } => format!(
                "--where: `{condition}` is a number, not a condition: discovery needs a comparison, e.g. `{condition} > 0.3`"
            ),
            Question::Metric(_) => format!(
                "`{name}` is a number; discovery needs a condition (use --where with a comparison)"
            ),
        }));
    }
    let config = request.simulation.config(&scenario, env);
    let Some(outcome) = env
        .outcomes(&[(&scenario, config)])?
        .and_then(|o| o.into_iter().next())
    else {
        return Ok(None);
    };
    let holds: Vec<bool> = outcome.metrics[m]
        .iter()
        .map(|v| {
            if kind == MetricKind::First {
                !v.is_nan()
            } else {
                *v != 0.0
            }
        })
        .collect();
    let params: Vec<(String, Vec<f64>)> = scenario
        .params
        .iter()
        .zip(&outcome.params)
        .filter(|(p, _)| !matches!(p.distribution, Distribution::Fixed { .. }))
        .map(|(p, v)| (p.name.clone(), v.clone()))
        .collect();
    let label = match &request.question {
        Question::Where {
            condition,
            year: Some(y),
        } => format!("{condition} in {y}"),
        Question::Where { condition, .. } => format!("{condition} in {}", scenario.end),
        Question::Metric(metric) => metric.clone(),
    };
    Ok(Some(discover::prim(
        &label,
        &params,
        &holds,
        request.peel,
        request.min_support,
    )))
}

impl Rendered for Discovery {
    fn table(&self) -> String {
        report::discover::table(self)
    }

    fn json(&self) -> String {
        super::pretty_json(self)
    }

    fn files(&self) -> Vec<(String, String)> {
        vec![("discovery.json".to_string(), self.json())]
    }
}
