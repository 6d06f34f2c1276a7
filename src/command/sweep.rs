//! `steppe sweep`: every metric across a grid of one or two assumptions, each point the
//! scenario with the assumption set as `--set` would, over the same runs.

use serde::{Deserialize, Serialize};

use super::{Environment, Rendered, Simulation, load_layers};
use crate::engine::RunConfig;
use crate::error::Error;
use crate::report;
use crate::scenario::Layers;
use crate::scenario::Scenario;
use crate::summary;
use crate::sweep::{self, Sweep, Vary};

/// What `steppe sweep` is asked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepRequest {
    /// The scenario file, as named (`-`: standard input).
    pub file: String,
    /// Runs, seed, design and `--set` overrides, the same at every grid point.
    pub simulation: Simulation,
    /// One or two assumptions and their values.
    pub vary: Vec<Vary>,
}

/// Runs every grid point; `None` for a shard.
pub fn sweep(request: &SweepRequest, env: &dyn Environment) -> Result<Option<Sweep>, Error> {
    if request.vary.is_empty() || request.vary.len() > 2 {
        return Err(Error::Usage(
            "a sweep varies one or two assumptions; give --vary once or twice".into(),
        ));
    }
    if let [a, b] = &request.vary[..]
        && a.key() == b.key()
    {
        return Err(Error::Usage(format!(
            "--vary {} is given twice; a sweep varies two different assumptions",
            a.name
        )));
    }
    let grid = sweep::grid(&request.vary);
    // Load every point first: a bad name or value fails before any simulation.
    let mut scenarios = Vec::new();
    for values in &grid {
        let vary: Vec<String> = request
            .vary
            .iter()
            .zip(values)
            .map(|(v, x)| format!("{}={}", v.key(), toml_number(*x)))
            .collect();
        let layers = Layers {
            set: &request.simulation.overrides,
            vary: &vary,
            metrics: &[],
        };
        scenarios.push(load_layers(env, &request.file, layers)?);
    }
    let config = RunConfig {
        keep_runs: false,
        ..request.simulation.config(&scenarios[0], env)
    };
    let mut points = Vec::new();
    // One point at a time: each outcome is summarised and dropped.
    let jobs: Vec<(&Scenario, RunConfig)> = scenarios.iter().map(|s| (s, config.clone())).collect();
    let complete = env.simulate_all(&jobs, &mut |i, outcome| {
        let summary = summary::summarize(&scenarios[i], &request.file, &outcome);
        points.push(sweep::Point {
            values: grid[i].clone(),
            metrics: sweep::headlines(&summary),
        });
        Ok(())
    })?;
    if !complete {
        return Ok(None);
    }
    Ok(Some(Sweep {
        schema: sweep::SCHEMA,
        scenario: scenarios[0].name.clone(),
        file: request.file.clone(),
        runs: config.runs,
        seed: config.seed,
        vary: request.vary.clone(),
        overrides: request.simulation.overrides.clone(),
        points,
    }))
}

/// `x` as a TOML number: an integer where it is one (a year, a count), otherwise a float in a
/// form TOML reads back exactly (`1e21`, not an integer too large for TOML's 64 bits).
fn toml_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        format!("{x}")
    } else {
        format!("{x:?}")
    }
}

impl Rendered for Sweep {
    fn table(&self) -> String {
        report::sweep::table(self)
    }

    fn json(&self) -> String {
        super::pretty_json(self)
    }

    fn files(&self) -> Vec<(String, String)> {
        vec![
            ("sweep.json".to_string(), self.json()),
            ("sweep.csv".to_string(), report::csv::sweep(self)),
        ]
    }
}
