//! The integration tests, in one binary (one link step): the CLI run as a real process, the
//! engine against closed-form answers, reproducibility, and properties over random scenarios.

mod authoring;
mod bad_scenarios;
mod charts;
mod cli;
mod closed_form;
mod common;
mod compare;
mod csv_files;
mod designs;
mod errors;
mod extends;
mod library;
mod many_runs;
mod memory;
mod merge_integrity;
mod metric_kinds;
mod output_safety;
mod overrides;
mod properties;
mod questions;
mod reproducibility;
mod schema_check;
mod sensitivity;
mod shards;
mod shared_shocks;
mod start_values;
mod step_invariance;
mod sweep;
mod uncertain_inputs;
mod what_users_read;
