//! A validated scenario: the only form of a scenario the engine accepts.
//!
//! Every name has been resolved to an index, every expression parsed and type-checked, every
//! number checked against its range, and every rate is still stated per year (the engine converts
//! to the step). `load` turns TOML text into a `Scenario` or into the list of everything wrong
//! with it; it does no I/O, the caller reads the file.

mod derived;
mod loader;
mod merge;
mod raw;
pub mod schema;
mod shape;
mod validate;

use crate::distribution::Distribution;
use crate::expr::Expr;

pub use derived::{Derived, derive};
pub use loader::{
    Added, Layers, Piece, ReadFile, STDIN_NAME, load, load_with, load_with_layers,
    load_with_overrides,
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

/// A scenario as the engine runs it: the file (and its `extends` chain and `--set` overrides)
/// validated, every name resolved to an index. Build one with [`load`] and its siblings.
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
    /// `[scenario] name`: the identifier that labels every result.
    pub name: String,
    /// `[scenario] title`: one line for humans; empty when not given.
    pub title: String,
    /// `[scenario] description`: the story; empty when not given.
    pub description: String,
    /// Year of the initial state.
    pub start: i32,
    /// Horizon year.
    pub end: i32,
    /// `[scenario] step`: the simulation step (every rate is still per year).
    pub step: Step,
    /// Default run count and seed (the command line may override both).
    pub runs: u64,
    /// `[scenario] seed`: the master seed every random stream derives from.
    pub seed: u64,
    /// The actors in file order; each weighs `1 / actors` (weights belong to targets and channels).
    pub actors: Vec<Entity>,
    /// Targets with weights normalised to sum 1.
    pub targets: Vec<Entity>,
    /// Channels with weights normalised to sum 1.
    pub channels: Vec<Entity>,
    /// The channels' weights in each target's composite, `[target × channels + channel]`,
    /// normalised per target, at the medians: the channels' weights, or a target's own
    /// (`[targets.T] channels = { … }`).
    pub composite_weights: Vec<f64>,
    /// Initial share of every cell (see [`Scenario::cell`]), autonomy included; for a share
    /// that is a parameter, its median (autonomy then the remainder of the medians). What a
    /// run starts from is [`Scenario::initial`].
    pub initial_shares: Vec<f64>,
    /// Initial share of every actor's cell as written: a constant or a parameter drawn once per
    /// run (`[initial.T.C] russia = "pert(0.35, 0.45, 0.55)"`, or a parameter's name).
    /// Autonomy's cells hold the remainder, 1 − the sum of the actors' shares of the run; the
    /// file is refused unless that stays positive for every draw (the shares' highest values
    /// sum below 1), so no draw is ever rescaled or rejected.
    pub initial: Vec<Value>,
    /// Named parameters first, in file order, then the anonymous ones written inline.
    pub params: Vec<Param>,
    /// Parameters derived from others, in the order they are computed: the named ones in file
    /// order, then those written inline.
    pub derived: Vec<Derived>,
    /// How each cell's log-strength moves, indexed like `initial_shares`.
    pub cells: Vec<CellDynamics>,
    /// The `[[dynamics]]` rules as written (resolved), in file order; `cells` is what they
    /// add up to.
    pub rules: Vec<Rule>,
    /// The `[drivers]`, regime chains and factors, in file order.
    pub drivers: Vec<Driver>,
    /// The `[events]`, in file order.
    pub events: Vec<Event>,
    /// The `[metrics]`, in file order: the questions every run answers.
    pub metrics: Vec<Metric>,
    /// The `x` of every `start(x)` in the metrics, conditions and hazards, each distinct one
    /// once: [`Expr::Start`] reads one by its index. The engine evaluates them all once per
    /// run, on the first point (the start year), before any metric or event looks at it.
    pub starts: Vec<Expr>,
    /// The windows of every `lag`, `mean_over`, `min_over` and `max_over`, each distinct one
    /// once: [`Expr::Window`] reads one by its index. The engine keeps each one's last points
    /// in a ring and updates it at every point, before any metric or event looks at it.
    pub windows: Vec<crate::expr::Window>,
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
    /// `description`: what the item means; empty when not given.
    pub description: String,
    /// `source`: where it comes from (a claim such as `"C14"` or a data source); empty when not given.
    pub source: String,
}

/// One `[[dynamics]]` rule: the cells it selects and the keys it sets.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The rule's `description` and `source`.
    pub note: Note,
    /// The cells it selects (indices as in [`Scenario::cell`]), from `actors`, `targets`, `channels`.
    pub cells: Vec<usize>,
    /// `drift`: added to the drift of `ln S`, per year; drifts of all matching rules add.
    pub drift: Option<Value>,
    /// `volatility`: standard deviation of `ln S` after one year of noise; the last rule that sets it wins.
    pub volatility: Option<Value>,
    /// `reversion`: mean reversion of `ln S`; the last rule that sets it wins.
    pub reversion: Option<Reversion>,
    /// `floor`: the lowest share of each selected slot in its (target, channel), in [0, 1).
    pub floor: Option<Value>,
    /// `ceiling`: the highest share of each selected slot in its (target, channel), in (0, 1].
    pub ceiling: Option<Value>,
    /// `common.target`: standard deviation per √year of a shock each selected actor shares
    /// across the selected channels of one target; the last rule that sets it wins.
    pub common_target: Option<Value>,
    /// `common.region`: standard deviation per √year of a shock each selected actor shares
    /// across every selected target and channel; the last rule that sets it wins.
    pub common_region: Option<Value>,
}

/// An actor, target or channel.
#[derive(Debug, Clone)]
pub struct Entity {
    /// The identifier it is declared under.
    pub name: String,
    /// `label`: for humans; the name when not given.
    pub label: String,
    /// `weight`, normalised so that the weights of the table sum to 1 (targets: in the region;
    /// channels: in the composite; actors, which have none: `1 / actors`); for a weight that
    /// is a parameter, normalised from its median. What a run uses is `weight_value`.
    pub weight: f64,
    /// `weight` as written, before normalisation: a constant (1 when not given) or a
    /// parameter drawn once per run; each run normalises the table's weights as drawn.
    pub weight_value: Value,
    /// A target's own weights for some channels (`channels = { energy = 0.3 }`), replacing
    /// theirs as written in this target's composite: (channel index, weight). Empty for
    /// actors, channels and targets without any.
    pub channel_weights: Vec<(usize, Value)>,
    /// `description`; empty when not given.
    pub description: String,
    /// `source`; empty when not given.
    pub source: String,
}

/// `[scenario] step`: the length of a simulation step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// One step a year (`"year"`, the default).
    Year,
    /// Four steps a year (`"quarter"`).
    Quarter,
    /// Twelve steps a year (`"month"`).
    Month,
}

impl Step {
    /// Steps per year: 1, 4 or 12.
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

    /// The key as written in the file: `"year"`, `"quarter"` or `"month"`.
    pub fn name(self) -> &'static str {
        match self {
            Step::Year => "year",
            Step::Quarter => "quarter",
            Step::Month => "month",
        }
    }
}

/// A parameter: an uncertain number drawn once per run through its quantile function.
#[derive(Debug, Clone)]
pub struct Param {
    /// Its name under `[params]`, or, for an inline one, the key path where it is written
    /// (`events.coercion.hazard`); its random stream is keyed by it.
    pub name: String,
    /// `dist`: the distribution it is drawn from.
    pub distribution: Distribution,
    /// `description`; empty when not given (and for inline parameters).
    pub description: String,
    /// `source`; empty when not given (and for inline parameters).
    pub source: String,
    /// Written inline as a distribution (its name is the key path where it was written).
    pub inline: bool,
}

/// A number of the scenario: a constant, a parameter drawn once per run, or a parameter
/// derived from others.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// A constant, the same in every run.
    Const(f64),
    /// A parameter, by its index in [`Scenario::params`].
    Param(usize),
    /// A derived parameter, by its index in [`Scenario::derived`].
    Derived(usize),
}

impl Value {
    /// This run's value: the constant, the parameter's draw from `param_values` (indexed like
    /// [`Scenario::params`]), or the derived value from `derived_values` (indexed like
    /// [`Scenario::derived`]).
    pub fn resolve(self, param_values: &[f64], derived_values: &[f64]) -> f64 {
        match self {
            Value::Const(v) => v,
            Value::Param(i) => param_values[i],
            Value::Derived(i) => derived_values[i],
        }
    }

    /// Whether it may differ from run to run (a parameter or a derived one).
    pub fn is_drawn(self) -> bool {
        !matches!(self, Value::Const(_))
    }

    /// Whether this is the constant 0 (a parameter is not, whatever it draws).
    pub fn is_zero(self) -> bool {
        self == Value::Const(0.0)
    }
}

/// The motion of one cell's log-strength, per year.
#[derive(Debug, Clone, PartialEq)]
pub struct CellDynamics {
    /// Terms that add up to the drift.
    pub drift: Vec<Value>,
    /// `volatility`: standard deviation of `ln S` after one year of noise; a constant 0 when no rule
    /// selects the cell.
    pub volatility: Value,
    /// `reversion`, if a rule selecting the cell sets one.
    pub reversion: Option<Reversion>,
    /// `floor` on the cell's share, if a rule selecting the cell sets one.
    pub floor: Option<Value>,
    /// `ceiling` on the cell's share, if a rule selecting the cell sets one.
    pub ceiling: Option<Value>,
    /// Loading on the shock its actor shares in its target (`common.target`), per √year; a
    /// constant 0 when no rule sets one.
    pub common_target: Value,
    /// Loading on the shock its actor shares across the region (`common.region`), per √year;
    /// a constant 0 when no rule sets one.
    pub common_region: Value,
}

/// `reversion = { level, speed }`: an Ornstein–Uhlenbeck pull of `ln S` toward `ln(level)`.
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
    /// The cell (index as in [`Scenario::cell`]).
    pub cell: usize,
    /// The amount: a drift per year, a jump in `ln S`, or (for a factor) a drift per unit of the factor.
    pub amount: Value,
}

/// A `[drivers]` entry: a regime chain or a factor whose state shifts the drift of some cells.
#[derive(Debug, Clone)]
pub struct Driver {
    /// Its name under `[drivers]`.
    pub name: String,
    /// `description`; empty when not given.
    pub description: String,
    /// `source`; empty when not given.
    pub source: String,
    /// `type`: a regime chain or a factor, with what that kind needs.
    pub kind: DriverKind,
}

/// The two kinds of driver (`type = "regime"` or `"factor"`).
#[derive(Debug, Clone)]
pub enum DriverKind {
    /// A Markov chain over named states, moving once a year.
    Regime(Regime),
    /// A continuous AR(1) factor, updated once a year.
    Factor(Factor),
}

/// A regime driver (`type = "regime"`).
#[derive(Debug, Clone)]
pub struct Regime {
    /// `states`: the names of its states, in file order.
    pub states: Vec<String>,
    /// `initial`: the state at the start, as an index into `states` (with `initial_chances`,
    /// the likeliest, the first of equals).
    pub initial: usize,
    /// `initial = { STATE = p, … }`: the probability of starting in each state, indexed like
    /// `states` and summing to 1; the start is drawn in each run. `None`: always `initial`.
    pub initial_chances: Option<Vec<f64>>,
    /// Per year, a row per state: `transitions[from]` gives where the chain is a year later.
    pub transitions: Vec<Row>,
    /// Drift shifts while in each state: `shifts[state]`.
    pub shifts: Vec<Vec<CellShift>>,
}

/// One row of a regime's yearly transitions: where the chain goes from one state, each entry
/// indexed like the regime's states. Every form sums to 1 in each run.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    /// Plain numbers, the same in every run, summing to 1 (entries set by an extending file,
    /// `--set` or `--vary` already made room for, by scaling the others in proportion).
    Fixed(Vec<f64>),
    /// Some entries drawn in each run (a parameter or a distribution). The entries at `scaled`
    /// — the plain numbers of the row's own file — are scaled in proportion to fill what the
    /// others leave; with `scaled` empty, the whole row is divided by its sum.
    Drawn {
        /// Each entry as written.
        entries: Vec<Value>,
        /// The entries that make room (plain numbers), in states order.
        scaled: Vec<usize>,
    },
    /// `concentration = c`: a Dirichlet draw with these means and concentration, so that entry
    /// `i` is `Beta(c·mᵢ, c·(1 − mᵢ))` at the margin. Drawn by breaking a stick: entry `i` takes
    /// the fraction `sticks[i]` (a beta parameter) of what the entries before it leave; an
    /// entry of mean 0 is 0, and the last positive entry takes what is left.
    Dirichlet {
        /// The means, summing to 1.
        means: Vec<f64>,
        /// `concentration`: the larger, the closer each run's row stays to the means.
        concentration: f64,
        /// The parameter of each entry's fraction, `None` for a zero entry and the last one.
        sticks: Vec<Option<usize>>,
    },
}

impl Row {
    /// This run's row into `out` (indexed like the states), from the run's parameter values
    /// and derived values.
    pub fn resolve(&self, params: &[f64], derived: &[f64], out: &mut [f64]) {
        match self {
            Row::Fixed(p) => out.copy_from_slice(p),
            Row::Drawn { entries, scaled } => {
                for (o, v) in out.iter_mut().zip(entries) {
                    *o = v.resolve(params, derived);
                }
                let scaled_sum: f64 = scaled.iter().map(|&i| out[i]).sum();
                let total: f64 = out.iter().sum();
                if scaled.is_empty() {
                    out.iter_mut().for_each(|o| *o /= total);
                } else {
                    // Validation keeps the kept entries' sum at most 1 and the scaled ones' sum
                    // positive.
                    let factor = (1.0 - (total - scaled_sum)).max(0.0) / scaled_sum;
                    for &i in scaled {
                        out[i] *= factor;
                    }
                }
            }
            Row::Dirichlet { means, sticks, .. } => {
                let mut left = 1.0;
                let last = means.iter().rposition(|&m| m > 0.0);
                for (i, (o, stick)) in out.iter_mut().zip(sticks).enumerate() {
                    *o = match stick {
                        Some(p) => params[*p] * left,
                        None if Some(i) == last => left,
                        None => 0.0,
                    };
                    left -= *o;
                    left = left.max(0.0);
                }
            }
        }
    }

    /// Whether every run has the same row.
    pub fn is_fixed(&self) -> bool {
        matches!(self, Row::Fixed(_))
    }
}

/// A factor driver (`type = "factor"`): once a year
/// `f ← persistence·f + sd·√(1 − persistence²)·Z`.
#[derive(Debug, Clone)]
pub struct Factor {
    /// AR(1) coefficient over one year, in [0, 1).
    pub persistence: Value,
    /// Stationary standard deviation.
    pub sd: Value,
    /// `initial`: the factor's value at the start (default 0).
    pub initial: f64,
    /// Drift shift per unit of the factor.
    pub shifts: Vec<CellShift>,
}

/// An `[events]` entry: a discrete happening with a yearly hazard, a window and effects.
#[derive(Debug, Clone)]
pub struct Event {
    /// Its name under `[events]`.
    pub name: String,
    /// `description`; empty when not given.
    pub description: String,
    /// `source`; empty when not given.
    pub source: String,
    /// Probability per year (unused when `hazard_of_state` is given).
    pub hazard: Value,
    /// A hazard that depends on the state of the run (`'0.02 + 0.1 * (regime("war") ==
    /// "gains")'`), evaluated before each step on the state the step starts from, clamped to
    /// the allowed range; with its text as written.
    pub hazard_of_state: Option<(Expr, String)>,
    /// Calendar years, inclusive.
    pub window: (i32, i32),
    /// `repeat`: `false` fires at most once per run; `true` is a Poisson process with the hazard as
    /// its yearly chance of at least one firing.
    pub repeat: bool,
    /// `when`: the condition that must hold for the event to fire, checked before each step; `None`
    /// when there is none.
    pub condition: Option<Expr>,
    /// The condition as written.
    pub condition_text: Option<String>,
    /// Jumps added to the cells' `ln S` once, each time it fires (effects with `jump`).
    pub jumps: Vec<CellShift>,
    /// Drift changes added to the cells' drift from the firing on (effects with `drift`); they
    /// accumulate for a repeatable event.
    pub drifts: Vec<CellShift>,
    /// (driver, state) forced when the event fires.
    pub regime_changes: Vec<(usize, usize)>,
}

/// A `[metrics]` entry: a question every run answers.
#[derive(Debug, Clone)]
pub struct Metric {
    /// Its name under `[metrics]`.
    pub name: String,
    /// `description`; empty when not given.
    pub description: String,
    /// `source`; empty when not given.
    pub source: String,
    /// `kind`, with the year for `at`.
    pub kind: MetricKind,
    /// `expr`: the compiled expression.
    pub expr: Expr,
    /// The expression as written.
    pub expr_text: String,
    /// For one category of a `kind = "leader"` metric: which. A leader metric is loaded as one
    /// yes/no metric per category (named `NAME.CATEGORY`, kind `at` of a condition), in a run
    /// of consecutive metrics, so every command treats each category as a probability.
    pub category: Option<Category>,
}

/// One category of a `kind = "leader"` metric: "this one has the largest value".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// The leader metric's name as written under `[metrics]`.
    pub leader: String,
    /// The category: an actor's name, or `autonomy`.
    pub name: String,
    /// Its place among the metric's categories, from 0.
    pub index: usize,
    /// How many categories the metric has.
    pub of: usize,
}

/// `kind`: how a metric turns a run's steps into one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Value at a step (a number, or 0/1 for a condition).
    At {
        /// `year`: the calendar year looked at (default `end`).
        year: i32,
        /// The step of `year`, counted from the initial state (step 0).
        step: usize,
        /// Whether the expression is a condition (the value is then 0 or 1).
        condition: bool,
    },
    /// First calendar year a condition holds, or never.
    First,
    /// Whether a condition holds at any step.
    Ever,
    /// Whether a condition holds at every step, the initial state included (1 − `ever` of its
    /// negation).
    Always,
    /// Years in which a condition holds: the step length for each step after the start at
    /// whose end it holds, so the same at any step length (up to the grid).
    Duration,
    /// How many times an event fired over the horizon (a repeatable one may fire several
    /// times in a step).
    Count {
        /// The event, as an index into the scenario's events.
        event: usize,
    },
    /// The smallest value over all steps, the initial state included.
    Min,
    /// The largest value over all steps, the initial state included.
    Max,
}

impl MetricKind {
    /// The `kind` as written: `"at"`, `"first"`, `"ever"`, `"always"`, `"duration"`,
    /// `"count"`, `"min"` or `"max"`.
    pub fn name(self) -> &'static str {
        match self {
            MetricKind::At { .. } => "at",
            MetricKind::First => "first",
            MetricKind::Ever => "ever",
            MetricKind::Always => "always",
            MetricKind::Duration => "duration",
            MetricKind::Count { .. } => "count",
            MetricKind::Min => "min",
            MetricKind::Max => "max",
        }
    }

    /// Whether the per-run result is 0 or 1, summarised as a probability.
    pub fn is_probability(self) -> bool {
        matches!(
            self,
            MetricKind::Ever
                | MetricKind::Always
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

    /// The slot of autonomy, after every actor's.
    pub fn autonomy_slot(&self) -> usize {
        self.actors.len()
    }

    /// Number of cells: targets × channels × slots.
    pub fn n_cells(&self) -> usize {
        self.targets.len() * self.channels.len() * self.n_slots()
    }

    /// Whether some target's or channel's weight is a parameter (it differs from run to run).
    pub fn uncertain_weights(&self) -> bool {
        self.targets.iter().chain(&self.channels).any(|e| {
            e.weight_value.is_drawn() || e.channel_weights.iter().any(|(_, v)| v.is_drawn())
        })
    }

    /// Whether some initial share is a parameter (the start differs from run to run).
    pub fn uncertain_start(&self) -> bool {
        self.initial.iter().any(|v| v.is_drawn())
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
