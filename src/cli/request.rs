//! From what the user typed (`args.rs`) to the command layer's requests: the flags that define
//! a command's work become its [`Request`](steppe::command::Request); how it runs (threads,
//! memory, quiet) becomes the environment's [`Running`].

use super::args::{
    CompareArgs, DesignArg, DiscoverArgs, Method, ReportArgs, RunArgs, SensitivityArgs,
    SimulationArgs, SortOrder, SweepArgs,
};
use super::context::Running;
use steppe::command::discover::{DiscoverRequest, Question};
use steppe::command::question::Questions;
use steppe::command::report::ReportRequest;
use steppe::command::run::{Precision, RunRequest};
use steppe::command::sensitivity::{self, SensitivityRequest};
use steppe::command::{Simulation, compare::CompareRequest, sweep::SweepRequest};
use steppe::compare::Order;
use steppe::design::Design;

impl SimulationArgs {
    /// What of these flags defines the work.
    pub fn simulation(&self) -> Simulation {
        Simulation {
            runs: self.runs,
            seed: self.seed,
            design: match self.design {
                DesignArg::Mc => Design::MonteCarlo,
                DesignArg::Lhs => Design::LatinHypercube,
                DesignArg::Sobol => Design::Sobol,
            },
            overrides: self.set.clone(),
        }
    }

    /// How the simulations run.
    pub fn running(&self) -> Running {
        Running {
            threads: self.threads,
            max_memory: self.max_memory,
            quiet: self.quiet,
        }
    }
}

impl RunArgs {
    pub fn request(&self) -> RunRequest {
        RunRequest {
            file: self.file.display().to_string(),
            simulation: self.sim.simulation(),
            // Every run's values only for runs.csv; otherwise memory stays flat in the runs.
            keep_runs: self.result.out.is_some() && !self.no_runs_csv,
            precision: self.precision.map(|target| Precision {
                target,
                max_runs: self.max_runs,
                metrics: self.precision_metric.clone(),
            }),
            questions: Questions(self.metric.clone()),
        }
    }
}

impl CompareArgs {
    pub fn request(&self) -> CompareRequest {
        CompareRequest {
            files: self.files.iter().map(|f| f.display().to_string()).collect(),
            simulation: self.sim.simulation(),
            years: self.years.clone(),
            order: match self.sort {
                SortOrder::Largest => Order::Largest,
                SortOrder::File => Order::File,
            },
            questions: Questions(self.metric.clone()),
        }
    }
}

impl SweepArgs {
    pub fn request(&self) -> SweepRequest {
        SweepRequest {
            file: self.file.display().to_string(),
            simulation: self.sim.simulation(),
            vary: self.vary.clone(),
        }
    }
}

impl SensitivityArgs {
    pub fn request(&self) -> SensitivityRequest {
        SensitivityRequest {
            file: self.file.display().to_string(),
            simulation: self.sim.simulation(),
            output: self.metric.clone(),
            method: match self.method {
                Method::Tornado => sensitivity::Method::Tornado,
                Method::Sobol => sensitivity::Method::Sobol,
                Method::Both => sensitivity::Method::Both,
            },
            samples: self.samples,
            bootstrap: self.bootstrap,
            over_time: self.over_time,
            groups: self.group.clone(),
        }
    }
}

impl DiscoverArgs {
    pub fn request(&self) -> DiscoverRequest {
        let question = match (&self.condition, &self.metric) {
            (Some(condition), _) => Question::Where {
                condition: condition.clone(),
                year: self.year,
            },
            // clap requires one of the two (the `outcome` group of `DiscoverArgs`).
            (None, metric) => Question::Metric(metric.clone().unwrap_or_default()),
        };
        DiscoverRequest {
            file: self.file.display().to_string(),
            simulation: self.sim.simulation(),
            question,
            peel: self.peel,
            min_support: self.min_support,
        }
    }
}

impl ReportArgs {
    pub fn request(&self) -> ReportRequest {
        ReportRequest {
            files: self.files.iter().map(|f| f.display().to_string()).collect(),
            simulation: self.sim.simulation(),
        }
    }
}
