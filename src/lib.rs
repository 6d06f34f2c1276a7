//! steppe: a Monte Carlo scenario engine for geopolitical influence.
//!
//! A scenario file states assumptions; [`scenario::load`] validates it into a [`Scenario`];
//! [`engine::simulate`] runs it into an [`engine::Outcome`]; [`summary`] turns that into what
//! users read, and [`report`] renders it (table, JSON, CSV, SVG, HTML). The [`command`] layer
//! carries out whole commands (`run`, `compare`, `sweep`, `sensitivity`, `discover`, `report`,
//! `explain`) from typed requests against an [`command::Environment`] — the same code the
//! command line, the browser explorer and the Python bindings call. Everything but
//! [`command::Disk`] and [`command::input`] is pure: no file, terminal, clock or global state.
//!
//! ```
//! // Load a scenario from a string, run 1,000 futures, read a metric's mean.
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
//! let scenario = steppe::scenario::load("tiny.toml", text).expect("a valid scenario");
//! let config = steppe::RunConfig { runs: 1_000, ..steppe::RunConfig::from_scenario(&scenario) };
//! let outcome = steppe::simulate(&scenario, &config);
//! let values = &outcome.metrics[0];
//! let mean = values.iter().sum::<f64>() / values.len() as f64;
//! // ln(0.4 / 0.6) − 0.03 · 8 years of drift: a median near 0.35 and a mean a little below.
//! assert!(0.25 < mean && mean < 0.40, "{mean}");
//! ```

#![warn(missing_docs)]

pub mod command;
pub mod compare;
pub mod correlation;
pub mod design;
pub mod diagnostic;
pub mod diff;
pub mod discover;
pub mod distribution;
pub mod engine;
pub mod error;
pub mod expr;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod sensitivity;
pub mod shard;
pub mod stats;
pub mod summary;
pub mod sweep;

pub use engine::{Outcome, RunConfig, simulate};
pub use error::Error;
pub use scenario::Scenario;
