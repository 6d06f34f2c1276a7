//! The command line's [`Environment`]: where a command's files and simulations come from.
//!
//! Normally from the disk and the engine, on a pool of `--threads` workers, with progress on a
//! terminal, timings on stderr and the `--max-memory` budget. Under `--shard K/N`, a command
//! runs its share of every simulation and writes a partial result instead of finishing. In
//! `steppe merge`, the command runs again from its recorded request: its files come from the
//! sources the shards carried and its simulations from their merged outcomes — so it finishes
//! exactly as the unsharded command would, through the same code.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use super::output;
use steppe::command::{Disk, Environment, Job, Request};
use steppe::engine::{self, Outcome, RunConfig};
use steppe::error::Error;
use steppe::report::format::thousands;
use steppe::scenario::Scenario;
use steppe::shard::{self, Partial, PartialOutcome};

/// How the CLI runs simulations: `--threads`, `--max-memory`, `--quiet`.
#[derive(Debug, Clone, Copy)]
pub struct Running {
    pub threads: Option<u32>,
    /// The memory budget, in GiB.
    pub max_memory: f64,
    pub quiet: bool,
}

impl Default for Running {
    fn default() -> Running {
        Running {
            threads: None,
            max_memory: super::args::DEFAULT_MAX_MEMORY,
            quiet: false,
        }
    }
}

enum Mode {
    /// Simulate everything here.
    Whole,
    /// Simulate shard `k` of `n` of every simulation and write a partial result into `out`.
    Shard {
        k: u64,
        n: u64,
        work: Box<Request>,
        out: PathBuf,
        force: bool,
    },
    /// Finish on the merged outcomes of the shards, in the order the command asks for them;
    /// files from the sources the shards carried.
    Merged {
        outcomes: RefCell<VecDeque<Outcome>>,
        sources: Vec<(String, String)>,
    },
}

pub struct Context {
    mode: Mode,
    running: Running,
    /// Files from the disk (each read once), and the record of every file read.
    disk: Disk,
    /// Warnings already shown.
    warned: RefCell<Vec<String>>,
}

impl Context {
    /// Files from the disk, simulations here.
    pub fn whole(running: Running) -> Context {
        Context {
            mode: Mode::Whole,
            running,
            disk: Disk::new(),
            warned: RefCell::new(Vec::new()),
        }
    }

    /// Shard `k` of `n` of `work`: a share of every simulation, the partial into `out`.
    pub fn shard(
        running: Running,
        (k, n): (u64, u64),
        work: Request,
        out: PathBuf,
        force: bool,
    ) -> Context {
        Context {
            mode: Mode::Shard {
                k,
                n,
                work: Box::new(work),
                out,
                force,
            },
            ..Context::whole(running)
        }
    }

    /// For finishing a merged command: the shards' files and merged outcomes.
    pub fn merged(
        running: Running,
        sources: Vec<(String, String)>,
        outcomes: Vec<Outcome>,
    ) -> Context {
        Context {
            mode: Mode::Merged {
                outcomes: RefCell::new(outcomes.into()),
                sources,
            },
            ..Context::whole(running)
        }
    }

    /// Whether a merge used every simulation the partials carried.
    pub fn all_used(&self) -> bool {
        match &self.mode {
            Mode::Merged { outcomes, .. } => outcomes.borrow().is_empty(),
            _ => true,
        }
    }

    /// The thread pool of `--threads`.
    fn pool(&self) -> Result<rayon::ThreadPool, Error> {
        let mut builder = rayon::ThreadPoolBuilder::new();
        if let Some(threads) = self.running.threads {
            builder = builder.num_threads(threads as usize);
        }
        builder
            .build()
            .map_err(|e| Error::Failure(format!("cannot start worker threads: {e}")))
    }

    fn threads(&self) -> usize {
        self.running
            .threads
            .map_or_else(rayon::current_num_threads, |t| t as usize)
    }

    fn budget(&self) -> u64 {
        (self.running.max_memory * f64::from(1u32 << 30)) as u64
    }

    /// Runs one simulation (or a shard's share of it) on the pool, with progress on a
    /// terminal and its timing on stderr.
    fn simulate(&self, scenario: &Scenario, config: &RunConfig) -> Result<Outcome, Error> {
        check_design(scenario, config)?;
        check_memory(scenario, config, self.threads(), self.running.max_memory)?;
        let pool = self.pool()?;
        let quiet = self.running.quiet;
        let show_progress = !quiet && std::io::stderr().is_terminal();
        let started = Instant::now();
        let total = config.runs;
        let last_shown = std::sync::Mutex::new(Instant::now());
        let progress = |done: u64| {
            if !show_progress {
                return;
            }
            let Ok(mut last) = last_shown.lock() else {
                return;
            };
            if last.elapsed().as_millis() < 200 && done < total {
                return;
            }
            *last = Instant::now();
            let elapsed = started.elapsed().as_secs_f64();
            let eta = if done > 0 {
                elapsed * (total - done.min(total)) as f64 / done as f64
            } else {
                0.0
            };
            say_inline!("\r{done}/{total} runs, {elapsed:.1} s elapsed, about {eta:.1} s left   ");
        };
        let outcome = pool.install(|| engine::simulate_with_progress(scenario, config, &progress));
        if show_progress {
            say_inline!("\r{}\r", " ".repeat(60));
        }
        if !quiet {
            let seconds = started.elapsed().as_secs_f64();
            say!(
                "simulated {} runs in {seconds:.2} s ({} runs/s) on {} threads",
                thousands(config.runs),
                thousands((config.runs as f64 / seconds.max(1e-9)) as u64),
                pool.current_num_threads()
            );
        }
        Ok(outcome)
    }
}

impl Environment for Context {
    fn read(&self, path: &str) -> Result<String, Error> {
        match &self.mode {
            Mode::Merged { sources, .. } => carried(sources, path).map_err(Error::Usage),
            _ => self.disk.read(path),
        }
    }

    fn read_parent(&self, path: &str) -> Result<String, String> {
        match &self.mode {
            Mode::Merged { sources, .. } => carried(sources, path),
            _ => self.disk.read_parent(path),
        }
    }

    fn simulate_all(
        &self,
        jobs: &[Job],
        each: &mut dyn FnMut(usize, Outcome) -> Result<(), Error>,
    ) -> Result<bool, Error> {
        match &self.mode {
            Mode::Whole => {
                for (i, (scenario, config)) in jobs.iter().enumerate() {
                    each(i, self.simulate(scenario, config)?)?;
                }
                Ok(true)
            }
            Mode::Merged { outcomes, .. } => {
                for (i, (scenario, config)) in jobs.iter().enumerate() {
                    check_design(scenario, config)?;
                    let outcome = outcomes.borrow_mut().pop_front().ok_or_else(|| {
                        Error::Usage(format!(
                            "the partials hold fewer simulations than the command needs ({})",
                            jobs.len()
                        ))
                    })?;
                    if (outcome.runs, outcome.seed, outcome.design)
                        != (config.runs, config.seed, config.design)
                    {
                        return Err(Error::Usage(format!(
                            "simulation {} of the partials ({} runs, seed {}) is not the one the command asks for ({} runs, seed {})",
                            i + 1,
                            outcome.runs,
                            outcome.seed,
                            config.runs,
                            config.seed
                        )));
                    }
                    shard::check_outcome(&outcome, scenario, config).map_err(|e| {
                        Error::Usage(format!(
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
                work,
                out,
                force,
            } => {
                let mut simulations = Vec::new();
                for (scenario, config) in jobs {
                    // The design's limits are those of the whole run set.
                    check_design(scenario, config)?;
                    if config.runs < *n {
                        return Err(Error::Usage(format!(
                            "{n} shards for a simulation of {} runs: every shard needs at least one run; use at most {} shards",
                            config.runs, config.runs
                        )));
                    }
                    let part = shard::share(config, *k, *n);
                    let outcome = self.simulate(scenario, &part)?;
                    let first = shard::range(*k, *n, config.runs).0;
                    simulations.push(PartialOutcome::new(config.runs, first, &outcome));
                }
                let partial = Partial::new(work, self.disk.sources(), (*k, *n), &simulations);
                let text = serde_json::to_string(&partial).expect("a partial always serialises");
                output::write_dir(out, &[("partial.json", text)], *force)?;
                if !self.running.quiet {
                    say!(
                        "wrote shard {k} of {n} of `{}` ({} simulation{}) to {}; merge all {n} with: steppe merge DIR... --out DIR",
                        work.name(),
                        jobs.len(),
                        if jobs.len() == 1 { "" } else { "s" },
                        out.display()
                    );
                }
                Ok(false)
            }
        }
    }

    fn outcomes(&self, jobs: &[Job]) -> Result<Option<Vec<Outcome>>, Error> {
        // Every outcome is kept until the command is done with them: budget them together. (A
        // merge holds them already: the partials carried them.)
        if jobs.len() > 1 && !self.is_merge() {
            let threads = self.threads();
            let total: u64 = jobs
                .iter()
                .map(|(scenario, config)| {
                    let local = match &self.mode {
                        Mode::Shard { k, n, .. } => shard::share(config, *k, *n),
                        _ => config.clone(),
                    };
                    engine::memory_estimate(scenario, &local, threads).total()
                })
                .fold(0u64, u64::saturating_add);
            if total > self.budget() {
                return Err(Error::Usage(format!(
                    "these {} simulations, kept together for the command, would need about {:.1} GiB of memory, more than the limit of {} GiB (--max-memory raises it): lower --runs or compare fewer at once",
                    jobs.len(),
                    total as f64 / f64::from(1u32 << 30),
                    self.running.max_memory
                )));
            }
        }
        let mut outcomes = Vec::with_capacity(jobs.len());
        let complete = self.simulate_all(jobs, &mut |_, outcome| {
            outcomes.push(outcome);
            Ok(())
        })?;
        Ok(complete.then_some(outcomes))
    }

    fn compute(&self, work: &mut (dyn FnMut() + Send)) {
        let started = Instant::now();
        match self.pool() {
            Ok(pool) => pool.install(work),
            Err(_) => work(),
        }
        if !self.running.quiet && !self.is_merge() {
            say!("analysed in {:.2} s", started.elapsed().as_secs_f64());
        }
    }

    fn is_merge(&self) -> bool {
        matches!(self.mode, Mode::Merged { .. })
    }

    fn warn(&self, warnings: &[String]) {
        let mut warned = self.warned.borrow_mut();
        for warning in warnings {
            if !warned.contains(warning) {
                if !self.running.quiet {
                    say!("warning: {warning}");
                }
                warned.push(warning.clone());
            }
        }
    }

    fn note(&self, message: &str) {
        if !self.running.quiet {
            say!("{message}");
        }
    }
}

fn check_design(scenario: &Scenario, config: &RunConfig) -> Result<(), Error> {
    config
        .design
        .check(config.runs, scenario.params.len())
        .map_err(Error::Usage)
}

fn carried(files: &[(String, String)], path: &str) -> Result<String, String> {
    files
        .iter()
        .find(|(p, _)| p == path)
        .map(|(_, text)| text.clone())
        .ok_or_else(|| format!("{path} is not among the files the partials carry"))
}

/// Refuses a simulation that would need more memory than the budget (`max_memory` GiB),
/// saying what the memory is for and what would lower it.
pub fn check_memory(
    scenario: &Scenario,
    config: &RunConfig,
    threads: usize,
    max_memory: f64,
) -> Result<(), Error> {
    let budget = (max_memory * f64::from(1u32 << 30)) as u64;
    let estimate = engine::memory_estimate(scenario, config, threads);
    if estimate.total() <= budget {
        return Ok(());
    }
    let gib = |bytes: u64| bytes as f64 / f64::from(1u32 << 30);
    let size = |bytes: u64| {
        if bytes >= 1 << 30 {
            format!("{:.1} GiB", gib(bytes))
        } else {
            format!("{:.0} MiB", bytes as f64 / f64::from(1u32 << 20))
        }
    };
    let kept = estimate.per_run.saturating_mul(estimate.runs);
    let why = if estimate.design > estimate.series.max(kept) {
        format!(
            "{} of it for the parameter design: [correlations] reorders the correlated draws of every run of the run set at once (of each of the design's replicates under --design lhs|sobol): lower --runs",
            size(estimate.design)
        )
    } else if estimate.series > kept {
        format!(
            "{} of it for the per-step histograms of every series on {threads} threads: \
             use a longer step, a shorter horizon or fewer --threads",
            size(estimate.series)
        )
    } else {
        format!(
            "{} of it for the {} bytes per run kept for every metric and parameter: lower --runs (for `run`, --no-runs-csv keeps none)",
            size(kept),
            estimate.per_run
        )
    };
    Err(Error::Usage(format!(
        "this simulation would need about {} of memory, more than the limit of {max_memory} GiB (--max-memory raises it); {why}",
        size(estimate.total())
    )))
}
