//! A validated scenario: the only form of a scenario the engine accepts.
//!
//! Every name has been resolved to an index, every expression parsed and type-checked, every
//! number checked against its range, and every rate is still stated per year (the engine converts
//! to the step). `load` turns TOML text into a `Scenario` or into the list of everything wrong
//! with it; it does no I/O, the caller reads the file.

mod loader;
mod merge;
mod raw;
pub mod schema;
mod shape;
mod validate;

use crate::distribution::Distribution;
use crate::expr::Expr;

pub use loader::{
    Added, Layers, ReadFile, STDIN_NAME, load, load_with, load_with_layers, load_with_overrides,
};

/// A new, commented scenario called `name` (what `steppe init` writes). It validates and runs
/// as written; a test keeps it so.
pub fn template(name: &str) -> Result<String, String> {
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!(
            "`{name}` is not a valid scenario name: start with a letter, then letters, digits or `_`"
        ));
    }
    Ok(include_str!("template.toml").replace("NAME", name))
}

/// The name of the target's own share, present in every target and channel.
pub const AUTONOMY: &str = "autonomy";

#[derive(Debug, Clone)]
pub struct Scenario {
    /// The scenario this one extends (path as resolved from the extending file), if any.
    pub extends: Option<String>,
    /// `--set KEY=VALUE` overrides applied on top of the file, as given.
    pub overrides: Vec<String>,
    /// What a reader should know that is not an error, each `FILE:LINE:COLUMN: text` — such
    /// as a correlated parameter fixed by an override, which leaves the correlation matrix.
    /// The command line prints them on stderr.
    pub warnings: Vec<String>,
    pub name: String,
    pub title: String,
    pub description: String,
    /// Year of the initial state.
    pub start: i32,
    /// Horizon year.
    pub end: i32,
    pub step: Step,
    /// Default run count and seed (the command line may override both).
    pub runs: u64,
    pub seed: u64,
    pub actors: Vec<Entity>,
    /// Targets with weights normalised to sum 1.
    pub targets: Vec<Entity>,
    /// Channels with weights normalised to sum 1.
    pub channels: Vec<Entity>,
    /// Initial share of every cell (see [`Scenario::cell`]), autonomy included.
    pub initial_shares: Vec<f64>,
    /// Named parameters first, in file order, then the anonymous ones written inline.
    pub params: Vec<Param>,
    /// How each cell's log-strength moves, indexed like `initial_shares`.
    pub cells: Vec<CellDynamics>,
    /// The `[[dynamics]]` rules as written (resolved), in file order; `cells` is what they
    /// add up to.
    pub rules: Vec<Rule>,
    pub drivers: Vec<Driver>,
    pub events: Vec<Event>,
    pub metrics: Vec<Metric>,
    /// Rank correlations between named parameters, if any.
    pub correlations: Option<Correlations>,
}

/// Rank correlations imposed on some parameters (Iman–Conover).
#[derive(Debug, Clone, PartialEq)]
pub struct Correlations {
    /// The correlated parameters (indices into `params`), in the matrix's order.
    pub params: Vec<usize>,
    /// A valid (positive definite) correlation matrix.
    pub matrix: Vec<Vec<f64>>,
    /// When the file's matrix was not valid and `repair = true` replaced it: the largest
    /// change of an entry.
    pub repaired: Option<f64>,
}

/// Why a part of the scenario is as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Note {
    pub description: String,
    pub source: String,
}

/// One `[[dynamics]]` rule: the cells it selects and the keys it sets.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub note: Note,
    pub cells: Vec<usize>,
    pub drift: Option<Value>,
    pub volatility: Option<Value>,
    pub reversion: Option<Reversion>,
    pub floor: Option<Value>,
    pub ceiling: Option<Value>,
}

/// An actor, target or channel.
#[derive(Debug, Clone)]
pub struct Entity {
    pub name: String,
    pub label: String,
    pub weight: f64,
    pub description: String,
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Year,
    Quarter,
    Month,
}

impl Step {
    pub fn per_year(self) -> u32 {
        match self {
            Step::Year => 1,
            Step::Quarter => 4,
            Step::Month => 12,
        }
    }

    /// Step length in years.
    pub fn dt(self) -> f64 {
        1.0 / f64::from(self.per_year())
    }

    pub fn name(self) -> &'static str {
        match self {
            Step::Year => "year",
            Step::Quarter => "quarter",
            Step::Month => "month",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub distribution: Distribution,
    pub description: String,
    pub source: String,
    /// Written inline as a distribution (its name is the key path where it was written).
    pub inline: bool,
}

/// A number of the scenario: a constant or a parameter drawn once per run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Const(f64),
    Param(usize),
}

impl Value {
    pub fn resolve(self, param_values: &[f64]) -> f64 {
        match self {
            Value::Const(v) => v,
            Value::Param(i) => param_values[i],
        }
    }

    pub fn is_zero(self) -> bool {
        self == Value::Const(0.0)
    }
}

/// The motion of one cell's log-strength, per year.
#[derive(Debug, Clone, PartialEq)]
pub struct CellDynamics {
    /// Terms that add up to the drift.
    pub drift: Vec<Value>,
    pub volatility: Value,
    pub reversion: Option<Reversion>,
    pub floor: Option<Value>,
    pub ceiling: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reversion {
    /// Strength reverted to, on the scale of the initial shares.
    pub level: Value,
    /// Per year.
    pub speed: Value,
}

/// A change of drift applied to one cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellShift {
    pub cell: usize,
    pub amount: Value,
}

#[derive(Debug, Clone)]
pub struct Driver {
    pub name: String,
    pub description: String,
    pub source: String,
    pub kind: DriverKind,
}

#[derive(Debug, Clone)]
pub enum DriverKind {
    Regime(Regime),
    Factor(Factor),
}

#[derive(Debug, Clone)]
pub struct Regime {
    pub states: Vec<String>,
    pub initial: usize,
    /// Row-stochastic, per year: `transitions[from][to]`.
    pub transitions: Vec<Vec<f64>>,
    /// Drift shifts while in each state: `shifts[state]`.
    pub shifts: Vec<Vec<CellShift>>,
}

#[derive(Debug, Clone)]
pub struct Factor {
    /// AR(1) coefficient over one year, in [0, 1).
    pub persistence: Value,
    /// Stationary standard deviation.
    pub sd: Value,
    pub initial: f64,
    /// Drift shift per unit of the factor.
    pub shifts: Vec<CellShift>,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub name: String,
    pub description: String,
    pub source: String,
    /// Probability per year.
    pub hazard: Value,
    /// Calendar years, inclusive.
    pub window: (i32, i32),
    pub repeat: bool,
    pub condition: Option<Expr>,
    /// The condition as written.
    pub condition_text: Option<String>,
    pub jumps: Vec<CellShift>,
    pub drifts: Vec<CellShift>,
    /// (driver, state) forced when the event fires.
    pub regime_changes: Vec<(usize, usize)>,
}

#[derive(Debug, Clone)]
pub struct Metric {
    pub name: String,
    pub description: String,
    pub source: String,
    pub kind: MetricKind,
    pub expr: Expr,
    /// The expression as written.
    pub expr_text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Value at a step (a number, or 0/1 for a condition).
    At {
        year: i32,
        step: usize,
        condition: bool,
    },
    /// First calendar year a condition holds, or never.
    First,
    /// Whether a condition holds at any step.
    Ever,
    Min,
    Max,
}

impl MetricKind {
    pub fn name(self) -> &'static str {
        match self {
            MetricKind::At { .. } => "at",
            MetricKind::First => "first",
            MetricKind::Ever => "ever",
            MetricKind::Min => "min",
            MetricKind::Max => "max",
        }
    }

    /// Whether the per-run result is 0 or 1, summarised as a probability.
    pub fn is_probability(self) -> bool {
        matches!(
            self,
            MetricKind::Ever
                | MetricKind::At {
                    condition: true,
                    ..
                }
        )
    }
}

impl Scenario {
    /// Strength slots per (target, channel): every actor, then autonomy.
    pub fn n_slots(&self) -> usize {
        self.actors.len() + 1
    }

    pub fn autonomy_slot(&self) -> usize {
        self.actors.len()
    }

    pub fn n_cells(&self) -> usize {
        self.targets.len() * self.channels.len() * self.n_slots()
    }

    /// Index of the cell (target, channel, slot) in `initial_shares`, `cells` and the engine.
    pub fn cell(&self, target: usize, channel: usize, slot: usize) -> usize {
        (target * self.channels.len() + channel) * self.n_slots() + slot
    }

    /// Number of steps from `start` to `end`.
    pub fn n_steps(&self) -> usize {
        ((self.end - self.start) as usize) * self.step.per_year() as usize
    }

    /// Time of step `k`, in years.
    pub fn time(&self, step: usize) -> f64 {
        f64::from(self.start) + step as f64 * self.step.dt()
    }

    /// Calendar year of step `k`: its time rounded up (the initial state belongs to `start`).
    pub fn calendar_year(&self, step: usize) -> i32 {
        let per_year = self.step.per_year() as usize;
        self.start + step.div_ceil(per_year) as i32
    }

    /// Name of a slot: an actor's name or `autonomy`.
    pub fn slot_name(&self, slot: usize) -> &str {
        self.actors.get(slot).map_or(AUTONOMY, |a| a.name.as_str())
    }

    /// "name — title", or the name alone: how outputs introduce the scenario.
    pub fn heading(&self) -> String {
        if self.title.is_empty() {
            self.name.clone()
        } else {
            format!("{} — {}", self.name, self.title)
        }
    }

    /// Number of named (not inline) parameters.
    pub fn n_named_params(&self) -> usize {
        self.params.iter().filter(|p| !p.inline).count()
    }
}
