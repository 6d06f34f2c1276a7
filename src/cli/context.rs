//! Where a command's files and simulations come from.
//!
//! Normally from the disk and the engine. Under `--shard K/N`, a command runs its share of
//! every simulation and writes a partial result instead of finishing. In `steppe merge`, the
//! command runs again with its recorded arguments, its files come from the sources the shards
//! carried and its simulations from their merged outcomes — so it finishes exactly as the
//! unsharded command would, through the same code.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::path::Path;

use super::args::{DEFAULT_MAX_MEMORY, ResultArgs, SimulationArgs};
use super::{CliError, output};
use crate::engine::{Outcome, RunConfig};
use crate::scenario::Scenario;
use crate::shard::{self, Partial, PartialOutcome};

enum Mode {
    /// Simulate everything here.
    Whole,
    /// Simulate shard `k` of `n` of every simulation and write a partial result.
    Shard {
        k: u64,
        n: u64,
        command: &'static str,
        arguments: serde_json::Value,
        /// Where the partial goes (`--out`, `--force`).
        out: std::path::PathBuf,
        force: bool,
    },
    /// Finish on the merged outcomes of the shards, in the order the command asks for them.
    Merged(RefCell<VecDeque<Outcome>>),
}

pub(super) struct Context {
    mode: Mode,
    /// In a merge, the files the shards read; otherwise files come from the disk.
    carried: Option<Vec<(String, String)>>,
    /// Every file read, in order, once each (a shard's partial carries them).
    read: RefCell<Vec<(String, String)>>,
    /// Warnings about the scenarios (e.g. a correlation dropped by an override), each shown
    /// once however often its scenario is loaded; none on stderr with `--quiet`.
    warned: RefCell<Vec<String>>,
    quiet: bool,
}

/// A command's arguments as a partial records them: what defines the work, not where its
/// output goes or how many threads made it.
pub(super) trait Recorded: serde::Serialize + serde::de::DeserializeOwned + Clone {
    const NAME: &'static str;
    fn sim(&self) -> &SimulationArgs;
    fn sim_mut(&mut self) -> &mut SimulationArgs;
    fn result(&self) -> &ResultArgs;
    fn result_mut(&mut self) -> &mut ResultArgs;

    /// The arguments without output, thread and shard choices.
    fn recorded(&self) -> serde_json::Value {
        let mut work = self.clone();
        let sim = work.sim_mut();
        (sim.threads, sim.max_memory, sim.quiet) = (None, DEFAULT_MAX_MEMORY, false);
        let result = work.result_mut();
        (result.out, result.force, result.json, result.shard) = (None, false, false, None);
        serde_json::to_value(work).expect("arguments always serialise")
    }
}

impl Context {
    /// Files from the disk, simulations here.
    pub fn disk() -> Context {
        Context {
            mode: Mode::Whole,
            carried: None,
            read: RefCell::new(Vec::new()),
            warned: RefCell::new(Vec::new()),
            quiet: false,
        }
    }

    /// For a command as typed: sharded if it asks for a shard.
    pub fn for_command<A: Recorded>(args: &A) -> Context {
        let mut context = Context::disk();
        context.quiet = args.sim().quiet;
        let result = args.result();
        if let (Some((k, n)), Some(out)) = (result.shard, &result.out) {
            context.mode = Mode::Shard {
                k,
                n,
                command: A::NAME,
                arguments: args.recorded(),
                out: out.clone(),
                force: result.force,
            };
        }
        context
    }

    /// For finishing a merged command: the shards' files and merged outcomes.
    pub fn merged(sources: Vec<(String, String)>, outcomes: Vec<Outcome>, quiet: bool) -> Context {
        Context {
            mode: Mode::Merged(RefCell::new(outcomes.into())),
            carried: Some(sources),
            read: RefCell::new(Vec::new()),
            warned: RefCell::new(Vec::new()),
            quiet,
        }
    }

    /// Shows a scenario's warnings on stderr, each once.
    pub fn warn(&self, warnings: &[String]) {
        let mut warned = self.warned.borrow_mut();
        for warning in warnings {
            if !warned.contains(warning) {
                if !self.quiet {
                    say!("warning: {warning}");
                }
                warned.push(warning.clone());
            }
        }
    }

    pub fn is_merge(&self) -> bool {
        matches!(self.mode, Mode::Merged(_))
    }

    /// The part of a simulation that runs here: all of it, or this shard's share.
    pub fn local(&self, config: &RunConfig) -> RunConfig {
        match self.mode {
            Mode::Shard { k, n, .. } => shard::share(config, k, n),
            _ => config.clone(),
        }
    }

    /// Reads a scenario file (checks for size, kind and encoding in `read_disk`).
    pub fn read(
        &self,
        path: &Path,
        read_disk: impl FnOnce(&Path) -> Result<String, CliError>,
    ) -> Result<String, CliError> {
        let shown = path.display().to_string();
        // A file is read once per command, however often it is loaded (a sweep loads its
        // scenario at every point): the same text each time, and `-` (stdin) can be read once.
        if let Some((_, text)) = self.read.borrow().iter().find(|(p, _)| *p == shown) {
            return Ok(text.clone());
        }
        let text = match &self.carried {
            Some(files) => carried(files, &shown).map_err(CliError::Usage)?,
            None => read_disk(path)?,
        };
        self.remember(&shown, &text);
        Ok(text)
    }

    /// Reads a file named by `extends`.
    pub fn read_parent(
        &self,
        path: &str,
        read_disk: impl FnOnce(&Path) -> Result<String, String>,
    ) -> Result<String, String> {
        let text = match &self.carried {
            Some(files) => carried(files, path)?,
            None => read_disk(Path::new(path))?,
        };
        self.remember(path, &text);
        Ok(text)
    }

    fn remember(&self, path: &str, text: &str) {
        let mut read = self.read.borrow_mut();
        if !read.iter().any(|(p, _)| p == path) {
            read.push((path.to_string(), text.to_string()));
        }
    }

    /// Runs a command's simulations in order, handing each whole outcome to `each`. Returns
    /// `false` when this is a shard: its partial result is written and the command stops.
    pub fn simulate_all(
        &self,
        sim: &SimulationArgs,
        jobs: &[(&Scenario, RunConfig)],
        mut each: impl FnMut(usize, Outcome) -> Result<(), CliError>,
    ) -> Result<bool, CliError> {
        match &self.mode {
            Mode::Whole => {
                for (i, (scenario, config)) in jobs.iter().enumerate() {
                    super::check_memory(scenario, config, sim)?;
                    each(i, super::simulate(scenario, config, sim)?)?;
                }
                Ok(true)
            }
            Mode::Merged(outcomes) => {
                for (i, (scenario, config)) in jobs.iter().enumerate() {
                    check_design(scenario, config)?;
                    let outcome = outcomes.borrow_mut().pop_front().ok_or_else(|| {
                        CliError::Usage(format!(
                            "the partials hold fewer simulations than the command needs ({})",
                            jobs.len()
                        ))
                    })?;
                    if (outcome.runs, outcome.seed, outcome.design)
                        != (config.runs, config.seed, config.design)
                    {
                        return Err(CliError::Usage(format!(
                            "simulation {} of the partials ({} runs, seed {}) is not the one the command asks for ({} runs, seed {})",
                            i + 1,
                            outcome.runs,
                            outcome.seed,
                            config.runs,
                            config.seed
                        )));
                    }
                    shard::check_outcome(&outcome, scenario, config).map_err(|e| {
                        CliError::Usage(format!(
                            "simulation {} of the partials is not the one the command asks for: {e}",
                            i + 1
                        ))
                    })?;
                    each(i, outcome)?;
                }
                Ok(true)
            }
            Mode::Shard {
                k,
                n,
                command,
                arguments,
                out: dir,
                force,
            } => {
                let mut simulations = Vec::new();
                for (scenario, config) in jobs {
                    // The design's limits are those of the whole run set.
                    check_design(scenario, config)?;
                    if config.runs < *n {
                        return Err(CliError::Usage(format!(
                            "{n} shards for a simulation of {} runs: every shard needs at least one run; use at most {} shards",
                            config.runs, config.runs
                        )));
                    }
                    let part = shard::share(config, *k, *n);
                    super::check_memory(scenario, &part, sim)?;
                    let outcome = super::simulate(scenario, &part, sim)?;
                    let first = shard::range(*k, *n, config.runs).0;
                    simulations.push(PartialOutcome::new(config.runs, first, &outcome));
                }
                let sources = self.read.borrow().clone();
                let partial =
                    Partial::new(command, arguments.clone(), sources, (*k, *n), &simulations);
                let text = serde_json::to_string(&partial).expect("a partial always serialises");
                output::write_dir(dir, &[("partial.json", text)], *force)?;
                if !sim.quiet {
                    say!(
                        "wrote shard {k} of {n} of `{command}` ({} simulation{}) to {}; merge all {n} with: steppe merge DIR... --out DIR",
                        jobs.len(),
                        if jobs.len() == 1 { "" } else { "s" },
                        dir.display()
                    );
                }
                Ok(false)
            }
        }
    }

    /// Like [`Context::simulate_all`], keeping every outcome: `None` when this is a shard.
    pub fn outcomes(
        &self,
        sim: &SimulationArgs,
        jobs: &[(&Scenario, RunConfig)],
    ) -> Result<Option<Vec<Outcome>>, CliError> {
        let mut outcomes = Vec::with_capacity(jobs.len());
        let complete = self.simulate_all(sim, jobs, |_, outcome| {
            outcomes.push(outcome);
            Ok(())
        })?;
        Ok(complete.then_some(outcomes))
    }

    /// Whether a merge used every simulation the partials carried.
    pub fn all_used(&self) -> bool {
        match &self.mode {
            Mode::Merged(outcomes) => outcomes.borrow().is_empty(),
            _ => true,
        }
    }
}

fn check_design(scenario: &Scenario, config: &RunConfig) -> Result<(), CliError> {
    config
        .design
        .check(config.runs, scenario.params.len())
        .map_err(CliError::Usage)
}

fn carried(files: &[(String, String)], path: &str) -> Result<String, String> {
    files
        .iter()
        .find(|(p, _)| p == path)
        .map(|(_, text)| text.clone())
        .ok_or_else(|| format!("{path} is not among the files the partials carry"))
}

macro_rules! recorded {
    ($($args:ty => $name:literal),* $(,)?) => {
        $(impl Recorded for $args {
            const NAME: &'static str = $name;
            fn sim(&self) -> &SimulationArgs {
                &self.sim
            }
            fn sim_mut(&mut self) -> &mut SimulationArgs {
                &mut self.sim
            }
            fn result(&self) -> &ResultArgs {
                &self.result
            }
            fn result_mut(&mut self) -> &mut ResultArgs {
                &mut self.result
            }
        })*
    };
}

recorded!(
    super::args::RunArgs => "run",
    super::args::CompareArgs => "compare",
    super::args::SweepArgs => "sweep",
    super::args::SensitivityArgs => "sensitivity",
    super::args::DiscoverArgs => "discover",
);
