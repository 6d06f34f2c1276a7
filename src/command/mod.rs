//! The commands of steppe as a library: what the CLI, the browser explorer and Python call.
//!
//! A command is a typed [`Request`] (no flag parsing in it), carried out against an
//! [`Environment`] that supplies its files and runs its simulations. Every command that
//! simulates is a list of simulations followed by pure arithmetic on their outcomes, and which
//! simulations it asks for depends only on the request and the files, never on earlier
//! outcomes (`--precision`, the one exception, does not shard). That is what lets an
//! environment run a share of each simulation (a shard) or hand back the merged outcomes of
//! all the shards (a merge) and have the command finish exactly as it would have on one
//! machine. The result of a command renders itself ([`Rendered`]): a table for the terminal, a
//! JSON document, and the files of its result directory.
//!
//! ```
//! use steppe::command::{self, Rendered, Request, Simulation};
//!
//! let text = r#"
//! [scenario]
//! name = "tiny"
//! start = 2022
//! end = 2030
//! [actors]
//! russia = {}
//! [targets]
//! kazakhstan = {}
//! [channels]
//! security = {}
//! [initial.kazakhstan.security]
//! russia = 0.4
//! [params]
//! trend = "normal(-0.03, 0.01)"
//! [[dynamics]]
//! actors = ["russia"]
//! drift = "trend"
//! volatility = 0.1
//! [metrics.russia_2030]
//! kind = "at"
//! expr = 'share("kazakhstan", "russia")'
//! "#;
//! let env = command::Memory::new([("tiny.toml", text)]);
//! let request = Request::Run(command::run::RunRequest {
//!     simulation: Simulation { runs: Some(1_000), seed: Some(7), ..Simulation::default() },
//!     ..command::run::RunRequest::new("tiny.toml")
//! });
//! let result = request.execute(&env).unwrap().expect("a whole run, not a shard");
//! let json: serde_json::Value = serde_json::from_str(&result.json()).unwrap();
//! let mean = json["metrics"][0]["mean"].as_f64().unwrap();
//! assert!(0.2 < mean && mean < 0.4, "{mean}");
//! ```

pub mod compare;
pub mod discover;
mod environment;
pub mod explain;
pub mod input;
pub mod question;
pub mod report;
pub mod run;
pub mod sensitivity;
pub mod sweep;

use serde::{Deserialize, Serialize};

pub use environment::{Disk, Environment, Job, Memory};

use crate::design::Design;
use crate::engine::RunConfig;
use crate::error::Error;
use crate::scenario::{self, Scenario};

/// A command and everything that defines its work: what a shard records and a merge finishes.
/// (How it is run — threads, memory budget, where results go — belongs to the environment and
/// the caller, not here.)
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "command", content = "request", rename_all = "lowercase")]
pub enum Request {
    /// `steppe run`.
    Run(run::RunRequest),
    /// `steppe compare`.
    Compare(compare::CompareRequest),
    /// `steppe sweep`.
    Sweep(sweep::SweepRequest),
    /// `steppe sensitivity`.
    Sensitivity(sensitivity::SensitivityRequest),
    /// `steppe discover`.
    Discover(discover::DiscoverRequest),
}

impl Request {
    /// The command's name, as on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Request::Run(_) => "run",
            Request::Compare(_) => "compare",
            Request::Sweep(_) => "sweep",
            Request::Sensitivity(_) => "sensitivity",
            Request::Discover(_) => "discover",
        }
    }

    /// Carries the command out: its result, or `None` when the environment only ran a share
    /// of its simulations (a shard) and the command finishes elsewhere.
    pub fn execute(&self, env: &dyn Environment) -> Result<Option<Box<dyn Rendered>>, Error> {
        fn boxed<R: Rendered + 'static>(r: Option<R>) -> Option<Box<dyn Rendered>> {
            r.map(|r| Box::new(r) as Box<dyn Rendered>)
        }
        Ok(match self {
            Request::Run(r) => boxed(run::run(r, env)?),
            Request::Compare(r) => boxed(compare::compare(r, env)?),
            Request::Sweep(r) => boxed(sweep::sweep(r, env)?),
            Request::Sensitivity(r) => boxed(sensitivity::sensitivity(r, env)?),
            Request::Discover(r) => boxed(discover::discover(r, env)?),
        })
    }
}

/// How a command simulates: the flags every simulating command shares that change its result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Simulation {
    /// Number of futures [default: the file's `runs`].
    pub runs: Option<u64>,
    /// Master seed [default: the file's `seed`].
    pub seed: Option<u64>,
    /// How parameters are sampled across runs.
    pub design: Design,
    /// `KEY=VALUE` overrides of the scenario file, applied in order (`--set`).
    pub overrides: Vec<String>,
}

impl Simulation {
    /// The run configuration of `scenario` under these choices; warns through `env` when a
    /// design's runs are too few for its full set of replicates.
    pub fn config(&self, scenario: &Scenario, env: &dyn Environment) -> RunConfig {
        let mut config = RunConfig::from_scenario(scenario);
        if let Some(runs) = self.runs {
            config.runs = runs;
        }
        if let Some(seed) = self.seed {
            config.seed = seed;
        }
        config.design = self.design;
        if let Some(warning) = few_replicates(self.design, config.runs) {
            env.warn(&[warning]);
        }
        config
    }
}

/// Why the standard errors of `runs` runs of `design` deserve little trust, if they do: a
/// design's errors come from the spread of its R replicates, and with R − 1 degrees of freedom
/// an estimated standard error is itself off by about 1/√(2(R − 1)).
pub fn few_replicates(design: Design, runs: u64) -> Option<String> {
    let r = design.replicates(runs);
    if design == Design::MonteCarlo || r >= crate::design::REPLICATES {
        return None;
    }
    let spread = if r > 1 {
        format!(
            "rest on {} degree{} of freedom and are themselves uncertain by about ±{:.0} %",
            r - 1,
            if r == 2 { "" } else { "s" },
            100.0 / (2.0 * (r - 1) as f64).sqrt()
        )
    } else {
        "cannot be estimated at all".to_string()
    };
    Some(format!(
        "{runs} {} of --design {} {} only {r} replicate{}: the standard errors {spread}; {} runs or more give the full {}",
        if runs == 1 { "run" } else { "runs" },
        design.name(),
        if runs == 1 { "forms" } else { "form" },
        if r == 1 { "" } else { "s" },
        2 * crate::design::REPLICATES,
        crate::design::REPLICATES
    ))
}

/// A finished command's result, in the forms users read.
pub trait Rendered {
    /// The table printed on a terminal (80 columns).
    fn table(&self) -> String;
    /// The whole result as one JSON document (pretty, ending in a newline).
    fn json(&self) -> String;
    /// The files of its result directory (`--out`): names (a name may hold one folder,
    /// `charts/x.svg`) and contents.
    fn files(&self) -> Vec<(String, String)>;
}

/// Loads the scenario file `path` through `env`, with `overrides` (`--set`) and `extra_metrics`
/// (TOML `[metrics.NAME]` tables a command adds, shown as `--where` in problems). Problems are
/// located in the file that wrote them; `-` is standard input, shown as `<stdin>`. The
/// scenario's warnings go to the environment.
pub fn load(
    env: &dyn Environment,
    path: &str,
    overrides: &[String],
    extra_metrics: &[scenario::Added],
) -> Result<Scenario, Error> {
    let layers = scenario::Layers {
        set: overrides,
        vary: &[],
        metrics: extra_metrics,
    };
    load_layers(env, path, layers)
}

/// Like [`load`], with every layer a command can put on the file (a sweep point's `--vary`).
pub fn load_layers(
    env: &dyn Environment,
    path: &str,
    layers: scenario::Layers,
) -> Result<Scenario, Error> {
    let text = env.read(path)?;
    let mut read = |parent: &str| env.read_parent(parent);
    let shown = if path == input::STDIN {
        input::STDIN_NAME
    } else {
        path
    };
    let scenario = scenario::load_with_layers(shown, &text, &mut read, layers)?;
    env.warn(&scenario.warnings);
    Ok(scenario)
}

/// Loads a scenario file from the disk (and the files it extends), as `steppe run` would.
pub fn load_file(path: &str) -> Result<Scenario, Error> {
    load(&Disk::new(), path, &[], &[])
}

/// Loads every file, reporting the problems of all of them together.
pub fn load_all(
    env: &dyn Environment,
    files: &[String],
    overrides: &[String],
) -> Result<Vec<Scenario>, Error> {
    question::load_all(env, files, overrides, &question::Questions::default())
}

/// The step of `scenario` at which calendar year `year` begins (its first step); `year` must
/// be within the scenario's years.
pub fn step_of_year(scenario: &Scenario, year: i32) -> usize {
    (year - scenario.start) as usize * scenario.step.per_year() as usize
}

/// Refuses years outside the scenario's, naming the flag that gave them (`whose`: "the
/// scenario's", "the scenarios'").
pub fn check_years(
    scenario: &Scenario,
    years: &[i32],
    flag: &str,
    whose: &str,
) -> Result<(), Error> {
    match years
        .iter()
        .find(|y| !(scenario.start..=scenario.end).contains(*y))
    {
        Some(outside) => Err(Error::Usage(format!(
            "{flag}: {outside} is outside {whose} years {}–{}",
            scenario.start, scenario.end
        ))),
        None => Ok(()),
    }
}

/// The index of the composite-share series `TARGET:ACTOR` (`region` for the region, the
/// scenario's `autonomy` for a target's own line), as `sensitivity --metric` takes it.
pub fn series_index(scenario: &Scenario, text: &str) -> Option<usize> {
    let (target, actor) = text.split_once(':')?;
    let t = if target == "region" {
        Some(scenario.targets.len())
    } else {
        scenario.targets.iter().position(|x| x.name == target)
    }?;
    let a = if actor == scenario::AUTONOMY {
        Some(scenario.actors.len())
    } else {
        scenario.actors.iter().position(|x| x.name == actor)
    }?;
    Some(t * scenario.n_slots() + a)
}

/// The index of metric `name`, or a usage error naming `flag` with the nearest name.
pub fn metric_index(scenario: &Scenario, name: &str, flag: &str) -> Result<usize, Error> {
    scenario
        .metrics
        .iter()
        .position(|m| m.name == name)
        .ok_or_else(|| {
            let categories: Vec<&str> = scenario
                .metrics
                .iter()
                .filter(|m| m.category.as_ref().is_some_and(|c| c.leader == name))
                .map(|m| m.name.as_str())
                .collect();
            if !categories.is_empty() {
                return Error::Usage(format!(
                    "{flag}: `{name}` is a leader metric, a distribution over categories; name one of them: {}",
                    categories.join(", ")
                ));
            }
            let names: Vec<&str> = scenario.metrics.iter().map(|m| m.name.as_str()).collect();
            Error::Usage(format!(
                "{flag}: {} has no metric `{name}`; {}",
                scenario.name,
                crate::diagnostic::unknown_name_hint(name, "its metrics", names)
            ))
        })
}

/// A result document as steppe prints and writes it: pretty JSON ending in a newline.
pub fn pretty_json<T: Serialize>(value: &T) -> String {
    let mut text =
        serde_json::to_string_pretty(value).expect("a result document always serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_few_runs_for_a_designs_replicates_are_said_with_what_it_costs() {
        assert_eq!(few_replicates(Design::MonteCarlo, 3), None);
        assert_eq!(few_replicates(Design::LatinHypercube, 20), None);
        // R = 2: one degree of freedom, 1/√2 = 71 %; R = 9 (18 runs): 1/√16 = 25 %.
        assert_eq!(
            few_replicates(Design::LatinHypercube, 5).unwrap(),
            "5 runs of --design lhs form only 2 replicates: the standard errors rest on 1 degree of freedom and are themselves uncertain by about ±71 %; 20 runs or more give the full 10"
        );
        let nine = few_replicates(Design::Sobol, 18).unwrap();
        assert!(
            nine.contains("only 9 replicates")
                && nine.contains("8 degrees of freedom")
                && nine.contains("±25 %"),
            "{nine}"
        );
        assert_eq!(
            few_replicates(Design::Sobol, 1).unwrap(),
            "1 run of --design sobol forms only 1 replicate: the standard errors cannot be estimated at all; 20 runs or more give the full 10"
        );
    }
}
