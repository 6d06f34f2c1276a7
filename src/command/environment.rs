//! What a command needs from whoever runs it: files and simulations ([`Environment`]), and two
//! environments an embedding program can use as they are: [`Disk`] (files from the disk) and
//! [`Memory`] (files given as text). Both simulate every job whole on the current rayon pool;
//! the CLI's own environment adds shards, merges, progress and a thread count.

use std::cell::RefCell;
use std::path::Path;

use super::input;
use crate::engine::{self, Outcome, RunConfig};
use crate::error::Error;
use crate::scenario::Scenario;

/// One simulation a command needs: a scenario and how to run it.
pub type Job<'a> = (&'a Scenario, RunConfig);

/// Where a command's files come from and how its simulations run.
pub trait Environment {
    /// The text of a scenario file, named as the request names it (`-`: standard input).
    fn read(&self, path: &str) -> Result<String, Error>;

    /// The text of a file a scenario extends, by the path the loader resolved.
    fn read_parent(&self, path: &str) -> Result<String, String>;

    /// Runs `jobs` in order, handing each whole outcome to `each` (which may drop it). Returns
    /// `false` when the environment ran only a share of them (a shard): the command stops.
    fn simulate_all(
        &self,
        jobs: &[Job],
        each: &mut dyn FnMut(usize, Outcome) -> Result<(), Error>,
    ) -> Result<bool, Error>;

    /// Like [`Environment::simulate_all`], keeping every outcome (`None` for a shard). An
    /// environment with a memory budget counts the outcomes together.
    fn outcomes(&self, jobs: &[Job]) -> Result<Option<Vec<Outcome>>, Error> {
        let mut outcomes = Vec::with_capacity(jobs.len());
        let complete = self.simulate_all(jobs, &mut |_, outcome| {
            outcomes.push(outcome);
            Ok(())
        })?;
        Ok(complete.then_some(outcomes))
    }

    /// Runs a command's own heavy arithmetic (a bootstrap) where the environment runs its
    /// simulations, e.g. on its thread pool.
    fn compute(&self, work: &mut (dyn FnMut() + Send)) {
        work()
    }

    /// Whether the outcomes come from a merge of shards' partial results (they were
    /// simulated, and budgeted, elsewhere).
    fn is_merge(&self) -> bool {
        false
    }

    /// Warnings about a loaded scenario (e.g. a correlation dropped by an override); a
    /// scenario loaded many times warns many times, so an environment may show each once.
    fn warn(&self, warnings: &[String]) {
        let _ = warnings;
    }

    /// Something the user should be told while the command runs (what `--precision` reached).
    fn note(&self, message: &str) {
        let _ = message;
    }
}

/// Runs a job whole on the current rayon pool, after checking that its design can hold it.
pub fn simulate_here(scenario: &Scenario, config: &RunConfig) -> Result<Outcome, Error> {
    config
        .design
        .check(config.runs, scenario.params.len())
        .map_err(Error::Usage)?;
    Ok(engine::simulate(scenario, config))
}

/// Runs every job whole, in order, on the current rayon pool: what both environments here do.
fn simulate_each_here(
    jobs: &[Job],
    each: &mut dyn FnMut(usize, Outcome) -> Result<(), Error>,
) -> Result<bool, Error> {
    for (i, (scenario, config)) in jobs.iter().enumerate() {
        each(i, simulate_here(scenario, config)?)?;
    }
    Ok(true)
}

/// The distinct warnings seen so far, in the order first seen.
#[derive(Default)]
struct Warnings(RefCell<Vec<String>>);

impl Warnings {
    fn add(&self, warnings: &[String]) {
        let mut seen = self.0.borrow_mut();
        for warning in warnings {
            if !seen.contains(warning) {
                seen.push(warning.clone());
            }
        }
    }
}

/// Files from the disk (regular files only, every read bounded; see [`input`]), each read
/// once however often it is loaded; simulations whole, on the current rayon pool.
#[derive(Default)]
pub struct Disk {
    read: RefCell<Vec<(String, String)>>,
    warnings: Warnings,
}

impl Disk {
    /// A disk environment that has read nothing yet.
    pub fn new() -> Disk {
        Disk::default()
    }

    /// Every file read so far, in order, with its text.
    pub fn sources(&self) -> Vec<(String, String)> {
        self.read.borrow().clone()
    }

    /// Every distinct warning of the scenarios loaded so far.
    pub fn warnings(&self) -> Vec<String> {
        self.warnings.0.borrow().clone()
    }

    fn remembered(&self, path: &str) -> Option<String> {
        let read = self.read.borrow();
        read.iter().find(|(p, _)| p == path).map(|(_, t)| t.clone())
    }

    fn remember(&self, path: &str, text: &str) {
        self.read
            .borrow_mut()
            .push((path.to_string(), text.to_string()));
    }
}

impl Environment for Disk {
    fn read(&self, path: &str) -> Result<String, Error> {
        // A file is read once per command (a sweep loads its scenario at every point): the same
        // text each time, and `-` (stdin) can only be read once anyway.
        if let Some(text) = self.remembered(path) {
            return Ok(text);
        }
        let text = input::scenario(Path::new(path))?;
        self.remember(path, &text);
        Ok(text)
    }

    fn read_parent(&self, path: &str) -> Result<String, String> {
        if let Some(text) = self.remembered(path) {
            return Ok(text);
        }
        let text = input::parent(Path::new(path))?;
        self.remember(path, &text);
        Ok(text)
    }

    fn simulate_all(
        &self,
        jobs: &[Job],
        each: &mut dyn FnMut(usize, Outcome) -> Result<(), Error>,
    ) -> Result<bool, Error> {
        simulate_each_here(jobs, each)
    }

    fn warn(&self, warnings: &[String]) {
        self.warnings.add(warnings);
    }
}

/// Files given as text, by name (a scenario and the files it extends, for a program that holds
/// them in memory); simulations whole, on the current rayon pool.
#[derive(Default)]
pub struct Memory {
    files: Vec<(String, String)>,
    warnings: Warnings,
}

impl Memory {
    /// Files `(name, text)`; a scenario's `extends` is looked up by the path the loader
    /// resolves (relative to the extending file's name).
    pub fn new<N: Into<String>, T: Into<String>>(
        files: impl IntoIterator<Item = (N, T)>,
    ) -> Memory {
        Memory {
            files: files
                .into_iter()
                .map(|(n, t)| (n.into(), t.into()))
                .collect(),
            warnings: Warnings::default(),
        }
    }

    /// Every distinct warning of the scenarios loaded so far.
    pub fn warnings(&self) -> Vec<String> {
        self.warnings.0.borrow().clone()
    }

    fn find(&self, path: &str) -> Option<String> {
        self.files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, t)| t.clone())
    }
}

impl Environment for Memory {
    fn read(&self, path: &str) -> Result<String, Error> {
        self.find(path)
            .ok_or_else(|| Error::Usage(format!("cannot read {path}: no such file was given")))
    }

    fn read_parent(&self, path: &str) -> Result<String, String> {
        self.find(path)
            .ok_or_else(|| format!("{path}: no such file was given"))
    }

    fn simulate_all(
        &self,
        jobs: &[Job],
        each: &mut dyn FnMut(usize, Outcome) -> Result<(), Error>,
    ) -> Result<bool, Error> {
        simulate_each_here(jobs, each)
    }

    fn warn(&self, warnings: &[String]) {
        self.warnings.add(warnings);
    }
}
