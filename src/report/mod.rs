//! Renderers: pure functions from results to text. They return strings; writing them anywhere
//! is the caller's business.
//!
//! What they share has one home each: numbers as text in [`format`](mod@format), words in columns in
//! [`text`], and the pieces of every chart in `charts/svg.rs` and `charts/palette.rs`. Which
//! years a result reports is not a renderer's decision ([`crate::summary::report_points`]),
//! nor what a scenario changes relative to another ([`crate::diff`]).

pub mod charts;
pub mod compare;
pub mod csv;
pub mod discover;
pub mod explain;
pub mod format;
pub mod html;
pub mod json;
pub mod sensitivity;
pub mod sweep;
pub mod table;
pub mod text;
