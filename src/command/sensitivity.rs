//! `steppe sensitivity`: which assumptions a metric (or a composite share) hangs on — the
//! tornado and Sobol indices.

use serde::{Deserialize, Serialize};

use super::{Environment, Rendered, Simulation, load, metric_index, series_index, step_of_year};
use crate::error::Error;
use crate::report;
use crate::sensitivity::{self, Indices, Output, Tornado};

/// Which analyses to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// The tornado alone: each named parameter at its 10th and 90th percentile.
    Tornado,
    /// The Sobol indices alone.
    Sobol,
    /// The tornado, then the Sobol indices.
    Both,
}

/// What `steppe sensitivity` is asked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SensitivityRequest {
    /// The scenario file, as named (`-`: standard input).
    pub file: String,
    /// Only `runs` (the tornado's runs per bar end, default 1,000), `seed` and `overrides`
    /// apply; the Sobol design makes its own rows.
    pub simulation: Simulation,
    /// A metric's name, or a composite share as `TARGET:ACTOR` (`region` for the region).
    pub output: String,
    /// `--method`: which analyses to run.
    pub method: Method,
    /// Base size N of the Sobol design [default: 1,024]; only with the Sobol method.
    pub samples: Option<u64>,
    /// Bootstrap resamples for the Sobol indices' intervals [default: 500]; only with the
    /// Sobol method.
    pub bootstrap: Option<u64>,
    /// For a composite share: indices for every year, not only the horizon.
    pub over_time: bool,
    /// Groups of parameters whose joint Sobol indices are reported (`--group
    /// NAME=P1,P2,...`): each a name and its parameters' names.
    #[serde(default)]
    pub groups: Vec<(String, Vec<String>)>,
}

/// The Sobol design's base size N when the request gives none.
pub const DEFAULT_SAMPLES: u64 = 1024;
/// Bootstrap resamples of the Sobol indices' intervals when the request gives none.
pub const DEFAULT_BOOTSTRAP: u64 = 500;

/// Refuses choices the analysis would ignore: the analyses make their own designs (the
/// tornado's rows, the Sobol sequence), the tornado's run count means nothing to Sobol, and
/// the Sobol design's size and bootstrap nothing to the tornado.
fn check(request: &SensitivityRequest) -> Result<(), Error> {
    let refuse = |message: &str| Err(Error::Usage(message.to_string()));
    if request.simulation.design != crate::design::Design::MonteCarlo {
        return refuse(
            "--design does not apply to sensitivity: the tornado puts every parameter at fixed \
             percentiles over the same runs, and the Sobol indices use their own scrambled Sobol design",
        );
    }
    match request.method {
        Method::Sobol if request.simulation.runs.is_some() => refuse(
            "--runs is the tornado's runs per bar end; the Sobol design's rows are set by --samples \
             (N·(k + 3 + S) rows for k parameters and S sources of chance)",
        ),
        Method::Tornado if request.samples.is_some() || request.bootstrap.is_some() => refuse(
            "--samples and --bootstrap set the Sobol design; with --method tornado give --runs \
             (runs per bar end) instead",
        ),
        _ => Ok(()),
    }
}

/// The groups of a request by parameter index: every name must be a parameter of the
/// scenario, every group name new, and a group must hold two parameters or more.
fn groups(
    scenario: &crate::scenario::Scenario,
    asked: &[(String, Vec<String>)],
) -> Result<Vec<sensitivity::Group>, Error> {
    let mut out: Vec<sensitivity::Group> = Vec::new();
    for (name, members) in asked {
        if out.iter().any(|g| g.name == *name) {
            return Err(Error::Usage(format!("--group {name} is given twice")));
        }
        let mut params = Vec::new();
        for member in members {
            let Some(p) = scenario.params.iter().position(|p| p.name == *member) else {
                let names: Vec<&str> = scenario
                    .params
                    .iter()
                    .filter(|p| !p.inline)
                    .map(|p| p.name.as_str())
                    .collect();
                return Err(Error::Usage(format!(
                    "--group {name}: `{member}` is not a parameter of {}; {}",
                    scenario.name,
                    crate::diagnostic::unknown_name_hint(member, "parameters", names)
                )));
            };
            if !params.contains(&p) {
                params.push(p);
            }
        }
        if params.len() < 2 {
            return Err(Error::Usage(format!(
                "--group {name} holds one parameter; a parameter's own indices are reported already"
            )));
        }
        out.push(sensitivity::Group {
            name: name.clone(),
            params,
        });
    }
    Ok(out)
}

/// A sensitivity analysis's result.
pub struct SensitivityResult {
    /// The `sensitivity --json` document: schema, scenario, file, overrides, seed, tornado, sobol.
    pub document: serde_json::Value,
    /// The tornado, when the method asks for one.
    pub tornado: Option<Tornado>,
    /// The Sobol indices, one per output (per year with `over_time`); empty when not asked for.
    pub sobol: Vec<Indices>,
}

/// Runs the analyses; `None` for a shard.
pub fn sensitivity(
    request: &SensitivityRequest,
    env: &dyn Environment,
) -> Result<Option<SensitivityResult>, Error> {
    check(request)?;
    let scenario = load(env, &request.file, &request.simulation.overrides, &[])?;
    let output = if request.output.contains(':') {
        let Some(series) = series_index(&scenario, &request.output) else {
            return Err(Error::Usage(format!(
                "--metric {}: no such target and actor (write TARGET:ACTOR, e.g. kazakhstan:russia or region:china)",
                request.output
            )));
        };
        let years: Vec<i32> = if request.over_time {
            ((scenario.start + 1)..=scenario.end).collect()
        } else {
            vec![scenario.end]
        };
        Output::Series {
            series,
            label: request.output.clone(),
            points: years.iter().map(|&y| step_of_year(&scenario, y)).collect(),
            years,
        }
    } else {
        let m = metric_index(&scenario, &request.output, "--metric")?;
        if request.over_time {
            return Err(Error::Usage(
                "--over-time follows a composite share over the years: give --metric TARGET:ACTOR"
                    .into(),
            ));
        }
        Output::Metric(m)
    };
    let seed = request.simulation.seed.unwrap_or(scenario.seed);
    // The simulations first (a tornado's rows, the Sobol design's rows), then the analysis.
    let tornado_runs = request.simulation.runs.unwrap_or(1000);
    let samples = request.samples.unwrap_or(DEFAULT_SAMPLES) as usize;
    let with_tornado = request.method != Method::Sobol;
    let with_sobol = request.method != Method::Tornado;
    let mut jobs = Vec::new();
    if with_tornado {
        jobs.push((
            &scenario,
            sensitivity::tornado_config(&scenario, &output, tornado_runs, seed),
        ));
    }
    let groups = groups(&scenario, &request.groups)?;
    if !groups.is_empty() && !with_sobol {
        return Err(Error::Usage(
            "--group asks for joint Sobol indices: use --method sobol or both".into(),
        ));
    }
    if with_sobol {
        let config = sensitivity::sobol_config(&scenario, &output, samples, seed, &groups)
            .map_err(Error::Usage)?;
        jobs.push((&scenario, config));
    }
    let Some(outcomes) = env.outcomes(&jobs)? else {
        return Ok(None);
    };
    let mut outcomes = outcomes.into_iter();
    let tornado = if with_tornado {
        let outcome = outcomes.next().expect("the tornado's simulation");
        Some(
            sensitivity::tornado_from(&scenario, &output, tornado_runs, &outcome)
                .map_err(Error::Usage)?,
        )
    } else {
        None
    };
    let sobol = if with_sobol {
        let outcome = outcomes.next().expect("the Sobol design's simulation");
        let bootstrap = request.bootstrap.unwrap_or(DEFAULT_BOOTSTRAP) as usize;
        let mut indices = None;
        env.compute(&mut || {
            indices = Some(sensitivity::sobol_from(
                &scenario,
                &output,
                (samples, seed, bootstrap),
                &groups,
                &outcome,
            ));
        });
        indices
            .expect("compute runs its work")
            .map_err(Error::Usage)?
    } else {
        Vec::new()
    };
    let document = serde_json::json!({
        "schema": sensitivity::SCHEMA,
        "scenario": scenario.name,
        "file": request.file,
        "overrides": scenario.overrides,
        "seed": seed,
        "tornado": tornado,
        "sobol": sobol,
    });
    Ok(Some(SensitivityResult {
        document,
        tornado,
        sobol,
    }))
}

impl Rendered for SensitivityResult {
    fn table(&self) -> String {
        report::sensitivity::table(self.tornado.as_ref(), &self.sobol)
    }

    fn json(&self) -> String {
        super::pretty_json(&self.document)
    }

    fn files(&self) -> Vec<(String, String)> {
        let (tornado, sobol) = (&self.tornado, &self.sobol);
        let mut files = vec![
            ("sensitivity.json".to_string(), self.json()),
            (
                "sensitivity.csv".to_string(),
                report::csv::sensitivity(tornado.as_ref(), sobol),
            ),
        ];
        if let Some(t) = tornado {
            files.push(("charts/tornado.svg".to_string(), report::charts::tornado(t)));
        }
        for r in sobol {
            files.push((
                format!("charts/sobol_{}.svg", r.output.replace([':', '@'], "_")),
                report::charts::sobol(r),
            ));
        }
        if sobol.len() > 1 {
            files.push((
                "charts/sobol_over_time.svg".to_string(),
                report::charts::sobol_over_time(sobol),
            ));
        }
        files
    }
}
