//! `steppe report`: one self-contained HTML page — each scenario's assumptions, results and
//! charts, and (with several) their comparison. It simulates each scenario once: with several,
//! the comparison's simulations give the sections too.

use serde::{Deserialize, Serialize};

use super::compare::simulate_compared;
use super::{Environment, Simulation, load, load_all};
use crate::compare::Order;
use crate::engine::{Outcome, RunConfig};
use crate::error::Error;
use crate::report;
use crate::scenario::Scenario;
use crate::summary::{self, Summary};

/// What `steppe report` is asked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportRequest {
    /// Scenario files; with several, the first is the reference of the comparison.
    pub files: Vec<String>,
    /// Runs, seed, design and `--set` overrides, the same for every scenario.
    pub simulation: Simulation,
}

/// The report page (XHTML, no scripts, nothing fetched); `None` for a shard.
pub fn report(request: &ReportRequest, env: &dyn Environment) -> Result<Option<String>, Error> {
    let files = &request.files;
    let (scenarios, outcomes, comparison) = if files.len() > 1 {
        let Some(compared) = simulate_compared(
            env,
            files,
            &request.simulation,
            &[],
            &super::question::Questions::default(),
        )?
        else {
            return Ok(None);
        };
        let c = compared.comparison(Order::File);
        let charts: Vec<(String, String)> = c
            .quantities
            .iter()
            .filter(|q| q.source != "share")
            .map(|q| (q.name.clone(), report::charts::compared(q)))
            .collect();
        let table = report::compare::table(&c);
        (compared.scenarios, compared.outcomes, Some((table, charts)))
    } else {
        let scenarios = load_all(env, files, &request.simulation.overrides)?;
        let config = RunConfig {
            keep_runs: false,
            ..request.simulation.config(&scenarios[0], env)
        };
        let Some(outcomes) = env.outcomes(&[(&scenarios[0], config)])? else {
            return Ok(None);
        };
        (scenarios, outcomes, None)
    };
    let sections: Vec<report::html::Section> = scenarios
        .iter()
        .zip(&outcomes)
        .zip(files)
        .map(|((scenario, outcome), file)| {
            let summary = summary::summarize(scenario, file, outcome);
            section(env, scenario, &summary, outcome)
        })
        .collect();
    let title = if scenarios.len() == 1 {
        scenarios[0].heading()
    } else {
        format!(
            "{} and {} more scenario{}",
            scenarios[0].heading(),
            scenarios.len() - 1,
            if scenarios.len() > 2 { "s" } else { "" }
        )
    };
    Ok(Some(report::html::render(
        &title,
        &sections,
        comparison.as_ref().map(|(t, c)| (t.as_str(), c.as_slice())),
    )))
}

/// One scenario's section: what it assumes (and changes relative to the file it extends), its
/// results and charts.
fn section(
    env: &dyn Environment,
    scenario: &Scenario,
    summary: &Summary,
    outcome: &Outcome,
) -> report::html::Section {
    // A parent that does not load on its own (an "abstract" base) leaves the changes unlisted.
    let parent = scenario
        .extends
        .as_deref()
        .and_then(|p| load(env, p, &[], &[]).ok().map(|s| (s, p)));
    let mut charts = Vec::new();
    for t in 0..=scenario.targets.len() {
        let label = scenario
            .targets
            .get(t)
            .map_or("the region", |t| t.label.as_str());
        charts.push((
            format!("Composite shares in {label}"),
            report::charts::fan(scenario, summary, t),
        ));
    }
    for (m, metric) in summary.metrics.iter().enumerate() {
        let caption = if metric.description.is_empty() {
            metric.name.clone()
        } else {
            metric.description.clone()
        };
        let values = &outcome.metric_values[metric.columns.start];
        charts.push((caption, report::charts::metric(summary, values, m)));
    }
    report::html::Section {
        heading: scenario.heading(),
        explain: report::explain::render(scenario, parent.as_ref().map(|(p, f)| (p, *f))),
        table: report::table::render(scenario, summary),
        charts,
    }
}
