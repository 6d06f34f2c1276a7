//! A scenario's items described by name — numbers as [`Term`]s, sets of cells as [`Cells`],
//! drift changes as [`Shift`]s, rules, correlations, and drivers, events and metrics as
//! clauses — so that two scenarios, which index their actors, targets, parameters and cells
//! independently, can be compared, and one can be put into words (`report::explain`).

use crate::distribution::Distribution;
use crate::scenario::{self, CellShift, DriverKind, MetricKind, Row, Scenario, Value};

/// A number of the scenario by name.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// A constant.
    Const(f64),
    /// A named parameter.
    Param(String),
    /// A distribution written inline (its own parameter, named by where it is written).
    Inline(Distribution),
    /// An expression of parameters written inline, as written.
    Expression(String),
}

/// `v` by name.
pub fn term(scenario: &Scenario, v: Value) -> Term {
    match v {
        Value::Const(c) => Term::Const(c),
        Value::Param(i) => {
            let p = &scenario.params[i];
            if p.inline {
                Term::Inline(p.distribution.clone())
            } else {
                Term::Param(p.name.clone())
            }
        }
        Value::Derived(j) => {
            let d = &scenario.derived[j];
            if d.inline {
                Term::Expression(d.text.clone())
            } else {
                Term::Param(d.name.clone())
            }
        }
    }
}

/// Some of a scenario's actors, targets or channels by name, or all of them.
#[derive(Debug, Clone, PartialEq)]
pub enum Names {
    /// Every one, in the scenario's order.
    All,
    /// These ones, in the scenario's order.
    Some(Vec<String>),
}

/// A set of cells by name: groups of targets that share the same (channel, slot) pattern, in
/// the order of their first target. Empty when the set is.
#[derive(Debug, Clone, PartialEq)]
pub struct Cells(pub Vec<CellGroup>);

/// One group of a [`Cells`].
#[derive(Debug, Clone, PartialEq)]
pub enum CellGroup {
    /// Every one of `slots` (actors, or autonomy) through every one of `channels`.
    Block {
        /// The actors (and autonomy, named when selected); [`Names::All`] is every actor, not autonomy.
        slots: Names,
        /// The targets this group covers.
        targets: Names,
        /// The channels, in each of these targets.
        channels: Names,
    },
    /// (slot, channel) pairs that are not one block.
    Pairs {
        /// Each (slot, channel), by name: an actor or `autonomy`, and a channel.
        pairs: Vec<(String, String)>,
        /// The targets that each have exactly these pairs.
        targets: Names,
    },
}

/// `cells` (indices as in [`Scenario::cell`]) by name.
pub fn cells(scenario: &Scenario, cells: &[usize]) -> Cells {
    let n_slots = scenario.n_slots();
    let n_channels = scenario.channels.len();
    // The (channel, slot) pairs of each target.
    let mut by_target: Vec<Vec<(usize, usize)>> = vec![Vec::new(); scenario.targets.len()];
    for &cell in cells {
        let slot = cell % n_slots;
        let pair = cell / n_slots;
        by_target[pair / n_channels].push((pair % n_channels, slot));
    }
    // (a pattern, the targets that have exactly it)
    let mut groups: Vec<(Pattern, Vec<usize>)> = Vec::new();
    for (t, mut pattern) in by_target.into_iter().enumerate() {
        if pattern.is_empty() {
            continue;
        }
        pattern.sort_unstable();
        pattern.dedup();
        match groups.iter_mut().find(|(p, _)| *p == pattern) {
            Some((_, targets)) => targets.push(t),
            None => groups.push((pattern, vec![t])),
        }
    }
    let groups = groups
        .into_iter()
        .map(|(pattern, targets)| {
            let targets = names(&targets, scenario.targets.len(), |t| {
                scenario.targets[t].name.clone()
            });
            let mut slots: Vec<usize> = pattern.iter().map(|(_, s)| *s).collect();
            slots.sort_unstable();
            slots.dedup();
            let mut channels: Vec<usize> = pattern.iter().map(|(c, _)| *c).collect();
            channels.sort_unstable();
            channels.dedup();
            if slots.len() * channels.len() == pattern.len() {
                CellGroup::Block {
                    // "All" means every actor: autonomy, when there, is named.
                    slots: names(&slots, scenario.actors.len(), |s| {
                        scenario.slot_name(s).to_string()
                    }),
                    targets,
                    channels: names(&channels, n_channels, |c| scenario.channels[c].name.clone()),
                }
            } else {
                CellGroup::Pairs {
                    pairs: pattern
                        .iter()
                        .map(|&(c, s)| {
                            (
                                scenario.slot_name(s).to_string(),
                                scenario.channels[c].name.clone(),
                            )
                        })
                        .collect(),
                    targets,
                }
            }
        })
        .collect();
    Cells(groups)
}

/// The (channel, slot) pairs of one target that a set of cells covers, sorted.
type Pattern = Vec<(usize, usize)>;

/// The names of `indices`, or [`Names::All`] when they are every one of `count`, in order.
fn names(indices: &[usize], count: usize, name: impl Fn(usize) -> String) -> Names {
    if indices.len() == count && indices.iter().enumerate().all(|(i, j)| i == *j) {
        Names::All
    } else {
        Names::Some(indices.iter().map(|&i| name(i)).collect())
    }
}

/// A change of drift (or a jump) and the cells it falls on.
#[derive(Debug, Clone, PartialEq)]
pub struct Shift {
    /// How much each of the cells gets.
    pub amount: Amount,
    /// The cells that get it.
    pub cells: Cells,
}

/// What one cell gets in total from a list of shifts: the engine adds every shift of a cell,
/// so its parameters and inline distributions are listed and its constants summed.
#[derive(Debug, Clone)]
pub struct Amount {
    /// The parameters and inline distributions added, one each, in the order of the shifts.
    pub terms: Vec<Term>,
    /// The constants, summed; `None` when there are none.
    pub constant: Option<Constant>,
}

/// The sum of a cell's constant shifts.
#[derive(Debug, Clone, Copy)]
pub struct Constant {
    /// Their sum.
    pub total: f64,
    /// How many constants make it (one is as written; a sum of several may carry float noise).
    pub count: usize,
}

impl PartialEq for Amount {
    fn eq(&self, other: &Amount) -> bool {
        let total = |a: &Amount| a.constant.map(|c| without_noise(c.total));
        self.terms == other.terms && total(self) == total(other)
    }
}

/// `v` to twelve significant digits: a sum of constants without the noise of its additions.
fn without_noise(v: f64) -> f64 {
    format!("{v:.11e}").parse().unwrap_or(v)
}

/// `shifts` grouped: each cell's total, then the cells with the same total together, in the
/// order of their first shift.
pub fn shifts(scenario: &Scenario, shifts: &[CellShift]) -> Vec<Shift> {
    let mut per_cell: Vec<(usize, Amount)> = Vec::new();
    for shift in shifts {
        let index = match per_cell.iter().position(|(c, _)| *c == shift.cell) {
            Some(i) => i,
            None => {
                per_cell.push((
                    shift.cell,
                    Amount {
                        terms: Vec::new(),
                        constant: None,
                    },
                ));
                per_cell.len() - 1
            }
        };
        let amount = &mut per_cell[index].1;
        match shift.amount {
            Value::Const(v) => {
                let c = amount.constant.get_or_insert(Constant {
                    total: 0.0,
                    count: 0,
                });
                c.total += v;
                c.count += 1;
            }
            other => amount.terms.push(term(scenario, other)),
        }
    }
    let mut groups: Vec<(Amount, Vec<usize>)> = Vec::new();
    for (cell, amount) in per_cell {
        match groups.iter_mut().find(|(a, _)| *a == amount) {
            Some((_, cells)) => cells.push(cell),
            None => groups.push((amount, vec![cell])),
        }
    }
    groups
        .into_iter()
        .map(|(amount, c)| Shift {
            amount,
            cells: cells(scenario, &c),
        })
        .collect()
}

/// A `[[dynamics]]` rule by name.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The cells it selects.
    pub cells: Cells,
    /// `drift`, if it sets one.
    pub drift: Option<Term>,
    /// `volatility`, if it sets one.
    pub volatility: Option<Term>,
    /// (level, speed)
    pub reversion: Option<(Term, Term)>,
    /// `floor`, if it sets one.
    pub floor: Option<Term>,
    /// `ceiling`, if it sets one.
    pub ceiling: Option<Term>,
    /// `common.target` and `common.region`, where it sets them.
    pub common_target: Option<Term>,
    /// See `common_target`.
    pub common_region: Option<Term>,
    /// Why, as the file says.
    pub description: String,
}

/// Rule `r` of `scenario` by name.
pub fn rule(scenario: &Scenario, r: &scenario::Rule) -> Rule {
    let t = |v: Value| term(scenario, v);
    Rule {
        cells: cells(scenario, &r.cells),
        drift: r.drift.map(t),
        volatility: r.volatility.map(t),
        reversion: r.reversion.map(|r| (t(r.level), t(r.speed))),
        floor: r.floor.map(t),
        ceiling: r.ceiling.map(t),
        common_target: r.common_target.map(t),
        common_region: r.common_region.map(t),
        description: r.note.description.clone(),
    }
}

/// Rank correlations as they are imposed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Correlations {
    /// Every pair that is asked to correlate or ends up correlated, in the matrix's order.
    pub pairs: Vec<Correlation>,
    /// When `repair = true` replaced the file's matrix: the largest change of an entry.
    pub repaired: Option<f64>,
}

/// The rank correlation of one pair of parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Correlation {
    /// One parameter's name.
    pub a: String,
    /// The other parameter's name.
    pub b: String,
    /// The rank correlation asked for (after repair, when repaired).
    pub asked: f64,
    /// The one Iman–Conover imposes (see `correlation::imposed`).
    pub imposed: f64,
}

/// Below this, an imposed correlation is the one asked for (the normal scores' repair is
/// numerical; a difference this small does not show at four decimals).
const IMPOSED_TOLERANCE: f64 = 5e-5;

impl Correlation {
    /// Whether Iman–Conover could not impose what was asked.
    pub fn is_limited(&self) -> bool {
        (self.imposed - self.asked).abs() >= IMPOSED_TOLERANCE
    }
}

/// The correlations `c` of `scenario` by name, with what is imposed.
pub fn correlations(scenario: &Scenario, c: &scenario::Correlations) -> Correlations {
    // What Iman–Conover imposes can differ from the (repaired) matrix: see `correlation::imposed`.
    let (_, imposed) = crate::correlation::imposed(&c.matrix);
    let mut pairs = Vec::new();
    for (i, &a) in c.params.iter().enumerate() {
        for (j, &b) in c.params.iter().enumerate().skip(i + 1) {
            let (asked, imposed) = (c.matrix[i][j], imposed[i][j]);
            if asked == 0.0 && imposed.abs() < IMPOSED_TOLERANCE {
                continue;
            }
            pairs.push(Correlation {
                a: scenario.params[a].name.clone(),
                b: scenario.params[b].name.clone(),
                asked,
                imposed,
            });
        }
    }
    Correlations {
        pairs,
        repaired: c.repaired,
    }
}

/// What a driver is, clause by clause.
#[derive(Debug, Clone, PartialEq)]
pub enum DriverClause {
    /// A regime's initial state.
    StartsIn(String),
    /// A regime's transition probabilities from one state, to every state.
    Moves {
        /// The state it moves from.
        from: String,
        /// Each state it may move to, with its yearly probability (every state, in order, zeros
        /// included): a constant, or what is drawn in each run; a Dirichlet row's means.
        to: Vec<(String, Term)>,
        /// How each run's row comes to sum to 1.
        rule: RowRule,
    },
    /// A regime's drift changes while in a state.
    DriftWhile {
        /// The state's name.
        state: String,
        /// The drift change and the cells it falls on.
        shift: Shift,
    },
    /// A factor's persistence (AR(1) over a year).
    Persistence(Term),
    /// A factor's stationary standard deviation.
    Sd(Term),
    /// A factor's initial value.
    StartsAt(f64),
    /// A factor's drift change per unit of the factor.
    DriftPerUnit(Shift),
}

/// Where a regime starts: its state, or its states with their probabilities
/// (`setback (0.55) or stalemate (0.45)`).
pub fn starts_in(regime: &scenario::Regime) -> String {
    match &regime.initial_chances {
        None => regime.states[regime.initial].clone(),
        Some(chances) => regime
            .states
            .iter()
            .zip(chances)
            .filter(|(_, p)| **p > 0.0)
            .map(|(s, p)| format!("{s} ({p})"))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

/// Driver `driver` of `scenario` as clauses.
pub fn driver_clauses(scenario: &Scenario, driver: &scenario::Driver) -> Vec<DriverClause> {
    match &driver.kind {
        DriverKind::Regime(r) => {
            let mut clauses = vec![DriverClause::StartsIn(starts_in(r))];
            for (from, row) in r.states.iter().zip(&r.transitions) {
                let (to, rule): (Vec<Term>, RowRule) = match row {
                    Row::Fixed(p) => (p.iter().map(|&p| Term::Const(p)).collect(), RowRule::Fixed),
                    Row::Drawn { entries, scaled } => (
                        entries.iter().map(|&v| term(scenario, v)).collect(),
                        if scaled.is_empty() {
                            RowRule::Normalised
                        } else {
                            RowRule::Scaled(scaled.iter().map(|&i| r.states[i].clone()).collect())
                        },
                    ),
                    Row::Dirichlet {
                        means,
                        concentration,
                        ..
                    } => (
                        means.iter().map(|&p| Term::Const(p)).collect(),
                        RowRule::Dirichlet(*concentration),
                    ),
                };
                clauses.push(DriverClause::Moves {
                    from: from.clone(),
                    to: r.states.iter().cloned().zip(to).collect(),
                    rule,
                });
            }
            for (state, state_shifts) in r.states.iter().zip(&r.shifts) {
                for shift in shifts(scenario, state_shifts) {
                    clauses.push(DriverClause::DriftWhile {
                        state: state.clone(),
                        shift,
                    });
                }
            }
            clauses
        }
        DriverKind::Factor(f) => {
            let mut clauses = vec![
                DriverClause::Persistence(term(scenario, f.persistence)),
                DriverClause::Sd(term(scenario, f.sd)),
                DriverClause::StartsAt(f.initial),
            ];
            clauses.extend(
                shifts(scenario, &f.shifts)
                    .into_iter()
                    .map(DriverClause::DriftPerUnit),
            );
            clauses
        }
    }
}

/// How a transition row comes to sum to 1 in each run.
#[derive(Debug, Clone, PartialEq)]
pub enum RowRule {
    /// Plain numbers that sum to 1.
    Fixed,
    /// These entries (plain numbers) are scaled in proportion to fill what the drawn ones leave.
    Scaled(Vec<String>),
    /// Every entry is drawn; the row is divided by its sum.
    Normalised,
    /// A Dirichlet around the numbers given, with this concentration.
    Dirichlet(f64),
}

/// What an event is, clause by clause: when it may fire, then what it does.
#[derive(Debug, Clone, PartialEq)]
pub enum EventClause {
    /// Probability per year.
    Hazard(Term),
    /// Calendar years, inclusive.
    Window(i32, i32),
    /// `repeat`: whether it can fire more than once in a run.
    Repeats(bool),
    /// The condition as written.
    When(String),
    /// A jump of log-strength when it fires.
    Jump(Shift),
    /// A drift change from the firing on.
    Drift(Shift),
    /// A regime driver forced into a state.
    Forces {
        /// The driver's name.
        driver: String,
        /// The state's name.
        state: String,
    },
}

impl EventClause {
    /// Whether the clause says what the event does (rather than when it may fire).
    pub fn is_effect(&self) -> bool {
        matches!(
            self,
            EventClause::Jump(_) | EventClause::Drift(_) | EventClause::Forces { .. }
        )
    }
}

/// Event `event` of `scenario` as clauses.
pub fn event_clauses(scenario: &Scenario, event: &scenario::Event) -> Vec<EventClause> {
    let mut clauses = vec![
        EventClause::Hazard(match &event.hazard_of_state {
            Some((_, text)) => Term::Expression(text.clone()),
            None => term(scenario, event.hazard),
        }),
        EventClause::Window(event.window.0, event.window.1),
        EventClause::Repeats(event.repeat),
    ];
    if let Some(when) = &event.condition_text {
        clauses.push(EventClause::When(when.clone()));
    }
    clauses.extend(
        shifts(scenario, &event.jumps)
            .into_iter()
            .map(EventClause::Jump),
    );
    clauses.extend(
        shifts(scenario, &event.drifts)
            .into_iter()
            .map(EventClause::Drift),
    );
    for &(driver, state) in &event.regime_changes {
        if let DriverKind::Regime(regime) = &scenario.drivers[driver].kind {
            clauses.push(EventClause::Forces {
                driver: scenario.drivers[driver].name.clone(),
                state: regime.states[state].clone(),
            });
        }
    }
    clauses
}

/// What a metric asks.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricClause {
    /// The kind as written: `at`, `first`, `leader`, ….
    pub kind: &'static str,
    /// The year of an `at` or `leader` metric.
    pub year: Option<i32>,
    /// The expression as written.
    pub expr: String,
}

impl MetricClause {
    pub(super) fn of(m: &scenario::Metric) -> MetricClause {
        MetricClause {
            kind: m.kind.name(),
            year: match m.kind {
                MetricKind::At { year, .. } => Some(year),
                _ => None,
            },
            expr: m.expr_text.clone(),
        }
    }

    /// A leader metric, from its first category `m`: its expression with the categories it
    /// compares.
    pub(super) fn leader(s: &Scenario, m: &scenario::Metric) -> MetricClause {
        let leader = m.category.as_ref().map(|c| c.leader.as_str());
        let among: Vec<&str> = s
            .metrics
            .iter()
            .filter_map(|x| x.category.as_ref())
            .filter(|c| Some(c.leader.as_str()) == leader)
            .map(|c| c.name.as_str())
            .collect();
        MetricClause {
            kind: "leader",
            expr: format!("{} among {}", m.expr_text, among.join(", ")),
            ..MetricClause::of(m)
        }
    }
}
