//! Colours, by what they mean. Every chart takes its colours from here, so that a colour keeps
//! one meaning per kind of chart and a change of scheme is made once.
//!
//! The colours are the Okabe–Ito palette, safe for the common colour-vision deficiencies. An
//! actor keeps its colour in every chart (its place in the scenario's list of actors), and
//! autonomy is always grey. Other series (scenarios, parameters) take the same colours in
//! order — so for now a scenario's colour can be an actor's (issue 19 gives them their own).

use crate::scenario::Scenario;

/// Okabe–Ito colours, in order, for the actors (autonomy is [`AUTONOMY_COLOUR`]).
pub const PALETTE: [&str; 7] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
];

/// Autonomy's colour, and that of every "none of these" (never, does not hold, chance).
pub const AUTONOMY_COLOUR: &str = NEUTRAL;

/// Grey: what is not one of the things a chart compares.
pub(super) const NEUTRAL: &str = "#7F7F7F";

/// The colour of a chart's one kind of mark (bars of a distribution, of the tornado, the
/// first-order Sobol index).
pub(super) const PRIMARY: &str = PALETTE[0];

/// The colour of a second kind of mark beside [`PRIMARY`] (the total Sobol index).
pub(super) const SECONDARY: &str = PALETTE[1];

/// The colour of slot `slot` of a scenario: an actor's index, or the autonomy slot.
pub fn colour(scenario: &Scenario, slot: usize) -> &'static str {
    if slot >= scenario.actors.len() {
        AUTONOMY_COLOUR
    } else {
        PALETTE[slot % PALETTE.len()]
    }
}

/// The colour of the `k`-th scenario of a comparison (the reference first).
pub(super) fn scenario_colour(k: usize) -> &'static str {
    PALETTE[k % PALETTE.len()]
}

/// The colour of the `k`-th of several series that are neither actors nor scenarios (the
/// inputs of a sensitivity analysis over time, largest first).
pub(super) fn series_colour(k: usize) -> &'static str {
    PALETTE[k % PALETTE.len()]
}
