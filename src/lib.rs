//! steppe: a Monte Carlo scenario engine for geopolitical influence.
//!
//! A scenario file states assumptions; [`scenario::load`] validates it into a [`Scenario`];
//! [`engine::simulate`] runs it into an [`engine::Outcome`]; [`summary`] turns that into what
//! users read, and [`report`] renders it (table, JSON, CSV). Everything here is pure; the
//! command line (`cli`) does the I/O.

pub mod cli;
pub mod compare;
pub mod correlation;
pub mod design;
pub mod diagnostic;
pub mod diff;
pub mod discover;
pub mod distribution;
pub mod engine;
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
pub use scenario::Scenario;
