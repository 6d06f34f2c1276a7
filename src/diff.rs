//! What one scenario assumes differently from another — for a scenario that `extends` another,
//! or one changed by `--set` — as structured [`Change`]s that hold names and values, never
//! text. `report::explain` puts them into words; an embedding program can show them its way.
//!
//! Two scenarios index their actors, targets, parameters and cells independently (a child
//! may add some), so everything is compared by name: each item is first described by names —
//! a number as a [`Term`], a set of cells as [`Cells`], a drift change as a [`Shift`], a
//! driver or an event as a list of clauses — and the descriptions are compared. `explain`
//! shows a single scenario through the same descriptions.
//!
//! Two descriptions are the same when the engine would do the same with them: numbers compare
//! exactly (a transition probability changed in its fifth decimal is a change), except that a
//! sum of several constants is compared without its float noise (0.1 + 0.2 is 0.3).

use crate::distribution::Distribution;
use crate::scenario::{self, CellShift, DriverKind, MetricKind, Scenario, Step, Value};

/// Everything `child` assumes differently from `parent`, in the order a reader wants them:
/// the horizon, actors, targets and channels, initial shares, parameters, correlations, added
/// rules, drivers, events, metrics.
pub fn changes(parent: &Scenario, child: &Scenario) -> Vec<Change> {
    let mut out = Vec::new();
    let (was, now) = (Horizon::of(parent), Horizon::of(child));
    if was != now {
        out.push(Change::Horizon { was, now });
    }
    for (kind, old, new) in [
        (EntityKind::Actor, &parent.actors, &child.actors),
        (EntityKind::Target, &parent.targets, &child.targets),
        (EntityKind::Channel, &parent.channels, &child.channels),
    ] {
        for e in new.iter().filter(|e| !old.iter().any(|x| x.name == e.name)) {
            out.push(Change::Added {
                kind,
                name: e.name.clone(),
            });
        }
        for e in old.iter().filter(|e| !new.iter().any(|x| x.name == e.name)) {
            out.push(Change::Removed {
                kind,
                name: e.name.clone(),
            });
        }
        for e in new {
            if let Some(was) = old.iter().find(|x| x.name == e.name)
                // Weights are normalised, so a weight unchanged in the file may carry noise.
                && (was.weight - e.weight).abs() > 1e-12
            {
                out.push(Change::Weight {
                    kind,
                    name: e.name.clone(),
                    was: was.weight,
                    now: e.weight,
                });
            }
        }
    }
    initial_shares(&mut out, parent, child);
    let params = |s: &Scenario| -> Vec<(String, Vec<Distribution>)> {
        s.params
            .iter()
            .filter(|p| !p.inline)
            .map(|p| (p.name.clone(), vec![p.distribution]))
            .collect()
    };
    out.extend(items(params(parent), params(child)).map(Change::Param));
    let correlations = |s: &Scenario| {
        s.correlations
            .as_ref()
            .map_or_else(Correlations::default, |c| correlations(s, c))
    };
    if correlations(parent) != correlations(child) {
        out.push(Change::Correlations(correlations(child)));
    }
    // A child's rules come after its parent's: the ones past the parent's count are its own.
    for r in child.rules.iter().skip(parent.rules.len()) {
        out.push(Change::RuleAdded(rule(child, r)));
    }
    let drivers = |s: &Scenario| -> Vec<(String, Vec<DriverClause>)> {
        s.drivers
            .iter()
            .map(|d| (d.name.clone(), driver_clauses(s, d)))
            .collect()
    };
    out.extend(items(drivers(parent), drivers(child)).map(Change::Driver));
    let events = |s: &Scenario| -> Vec<(String, Vec<EventClause>)> {
        s.events
            .iter()
            .map(|e| (e.name.clone(), event_clauses(s, e)))
            .collect()
    };
    out.extend(items(events(parent), events(child)).map(Change::Event));
    let metrics = |s: &Scenario| -> Vec<(String, Vec<MetricClause>)> {
        s.metrics
            .iter()
            .map(|m| (m.name.clone(), vec![MetricClause::of(m)]))
            .collect()
    };
    out.extend(items(metrics(parent), metrics(child)).map(Change::Metric));
    out
}

/// One thing a scenario assumes differently from the one it is compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Years, step, default runs or seed.
    Horizon {
        was: Horizon,
        now: Horizon,
    },
    Added {
        kind: EntityKind,
        name: String,
    },
    Removed {
        kind: EntityKind,
        name: String,
    },
    /// A target's weight in the region or a channel's in a composite (normalised).
    Weight {
        kind: EntityKind,
        name: String,
        was: f64,
        now: f64,
    },
    /// The initial share of a cell both scenarios have.
    InitialShare {
        actor: String,
        target: String,
        channel: String,
        was: f64,
        now: f64,
    },
    /// A named parameter's distribution.
    Param(ItemChange<Distribution>),
    /// The rank correlations, as they are now (they differ in some way).
    Correlations(Correlations),
    /// A `[[dynamics]]` rule the child adds after its parent's.
    RuleAdded(Rule),
    Driver(ItemChange<DriverClause>),
    Event(ItemChange<EventClause>),
    Metric(ItemChange<MetricClause>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    Actor,
    Target,
    Channel,
}

impl EntityKind {
    pub fn name(self) -> &'static str {
        match self {
            EntityKind::Actor => "actor",
            EntityKind::Target => "target",
            EntityKind::Channel => "channel",
        }
    }
}

/// A scenario's years, step and defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Horizon {
    pub start: i32,
    pub end: i32,
    pub step: Step,
    pub runs: u64,
    pub seed: u64,
}

impl Horizon {
    fn of(s: &Scenario) -> Horizon {
        Horizon {
            start: s.start,
            end: s.end,
            step: s.step,
            runs: s.runs,
            seed: s.seed,
        }
    }
}

/// A named item (parameter, driver, event, metric) described as clauses `C`, compared by name.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemChange<C> {
    Added {
        name: String,
        clauses: Vec<C>,
    },
    /// Only the clauses that differ: `now` those the item has and had not, `was` those it had
    /// and has no more.
    Changed {
        name: String,
        now: Vec<C>,
        was: Vec<C>,
    },
    Removed {
        name: String,
    },
}

/// A number of the scenario by name.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    Const(f64),
    /// A named parameter.
    Param(String),
    /// A distribution written inline (its own parameter, named by where it is written).
    Inline(Distribution),
}

/// `v` by name.
pub fn term(scenario: &Scenario, v: Value) -> Term {
    match v {
        Value::Const(c) => Term::Const(c),
        Value::Param(i) => {
            let p = &scenario.params[i];
            if p.inline {
                Term::Inline(p.distribution)
            } else {
                Term::Param(p.name.clone())
            }
        }
    }
}

/// Some of a scenario's actors, targets or channels by name, or all of them.
#[derive(Debug, Clone, PartialEq)]
pub enum Names {
    /// Every one, in the scenario's order.
    All,
    Some(Vec<String>),
}

/// A set of cells by name: groups of targets that share the same (channel, slot) pattern, in
/// the order of their first target. Empty when the set is.
#[derive(Debug, Clone, PartialEq)]
pub struct Cells(pub Vec<CellGroup>);

#[derive(Debug, Clone, PartialEq)]
pub enum CellGroup {
    /// Every one of `slots` (actors, or autonomy) through every one of `channels`.
    Block {
        slots: Names,
        targets: Names,
        channels: Names,
    },
    /// (slot, channel) pairs that are not one block.
    Pairs {
        pairs: Vec<(String, String)>,
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
    pub amount: Amount,
    pub cells: Cells,
}

/// What one cell gets in total from a list of shifts: the engine adds every shift of a cell,
/// so its parameters and inline distributions are listed and its constants summed.
#[derive(Debug, Clone)]
pub struct Amount {
    pub terms: Vec<Term>,
    pub constant: Option<Constant>,
}

/// The sum of a cell's constant shifts.
#[derive(Debug, Clone, Copy)]
pub struct Constant {
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
    pub cells: Cells,
    pub drift: Option<Term>,
    pub volatility: Option<Term>,
    /// (level, speed)
    pub reversion: Option<(Term, Term)>,
    pub floor: Option<Term>,
    pub ceiling: Option<Term>,
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

#[derive(Debug, Clone, PartialEq)]
pub struct Correlation {
    pub a: String,
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
        from: String,
        to: Vec<(String, f64)>,
    },
    /// A regime's drift changes while in a state.
    DriftWhile { state: String, shift: Shift },
    /// A factor's persistence (AR(1) over a year).
    Persistence(Term),
    /// A factor's stationary standard deviation.
    Sd(Term),
    /// A factor's initial value.
    StartsAt(f64),
    /// A factor's drift change per unit of the factor.
    DriftPerUnit(Shift),
}

/// Driver `driver` of `scenario` as clauses.
pub fn driver_clauses(scenario: &Scenario, driver: &scenario::Driver) -> Vec<DriverClause> {
    match &driver.kind {
        DriverKind::Regime(r) => {
            let mut clauses = vec![DriverClause::StartsIn(r.states[r.initial].clone())];
            for (from, row) in r.states.iter().zip(&r.transitions) {
                clauses.push(DriverClause::Moves {
                    from: from.clone(),
                    to: r.states.iter().cloned().zip(row.iter().copied()).collect(),
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

/// What an event is, clause by clause: when it may fire, then what it does.
#[derive(Debug, Clone, PartialEq)]
pub enum EventClause {
    /// Probability per year.
    Hazard(Term),
    /// Calendar years, inclusive.
    Window(i32, i32),
    Repeats(bool),
    /// The condition as written.
    When(String),
    Jump(Shift),
    /// A drift change from the firing on.
    Drift(Shift),
    /// A regime driver forced into a state.
    Forces {
        driver: String,
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
        EventClause::Hazard(term(scenario, event.hazard)),
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
    /// `at`, `first`, `ever`, `min`, `max`.
    pub kind: &'static str,
    /// The year of an `at` metric.
    pub year: Option<i32>,
    /// The expression as written.
    pub expr: String,
}

impl MetricClause {
    fn of(m: &scenario::Metric) -> MetricClause {
        MetricClause {
            kind: m.kind.name(),
            year: match m.kind {
                MetricKind::At { year, .. } => Some(year),
                _ => None,
            },
            expr: m.expr_text.clone(),
        }
    }
}

/// Initial shares of the cells both scenarios have, compared by names so that added
/// entities do not shift the comparison.
fn initial_shares(out: &mut Vec<Change>, parent: &Scenario, child: &Scenario) {
    for (t, target) in child.targets.iter().enumerate() {
        let Some(pt) = parent.targets.iter().position(|x| x.name == target.name) else {
            continue;
        };
        for (c, channel) in child.channels.iter().enumerate() {
            let Some(pc) = parent.channels.iter().position(|x| x.name == channel.name) else {
                continue;
            };
            for (s, actor) in child.actors.iter().enumerate() {
                let Some(ps) = parent.actors.iter().position(|x| x.name == actor.name) else {
                    continue;
                };
                let now = child.initial_shares[child.cell(t, c, s)];
                let was = parent.initial_shares[parent.cell(pt, pc, ps)];
                if (now - was).abs() > 1e-12 {
                    out.push(Change::InitialShare {
                        actor: actor.name.clone(),
                        target: target.name.clone(),
                        channel: channel.name.clone(),
                        was,
                        now,
                    });
                }
            }
        }
    }
}

/// Added, changed and removed items, compared by name: the child's items in its order, then
/// those only the parent has.
fn items<C: PartialEq + Clone>(
    old: Vec<(String, Vec<C>)>,
    new: Vec<(String, Vec<C>)>,
) -> impl Iterator<Item = ItemChange<C>> {
    let mut out = Vec::new();
    for (name, clauses) in &new {
        match old.iter().find(|(o, _)| o == name) {
            None => out.push(ItemChange::Added {
                name: name.clone(),
                clauses: clauses.clone(),
            }),
            Some((_, was)) if was != clauses => out.push(ItemChange::Changed {
                name: name.clone(),
                now: clauses
                    .iter()
                    .filter(|c| !was.contains(c))
                    .cloned()
                    .collect(),
                was: was
                    .iter()
                    .filter(|c| !clauses.contains(c))
                    .cloned()
                    .collect(),
            }),
            Some(_) => {}
        }
    }
    for (name, _) in old.iter().filter(|(o, _)| !new.iter().any(|(n, _)| n == o)) {
        out.push(ItemChange::Removed { name: name.clone() });
    }
    out.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARENT: &str = r#"
[scenario]
name = "p"
start = 2022
end = 2030
[actors]
a = {}
b = {}
[targets]
t = {}
u = {}
[channels]
c = {}
[initial.t.c]
a = 0.3
b = 0.3
[initial.u.c]
a = 0.3
b = 0.3
[drivers.war]
type = "regime"
states = ["calm", "hot"]
initial = "calm"
[drivers.war.transitions]
calm = { calm = 0.9, hot = 0.1 }
hot = { calm = 0.5, hot = 0.5 }
[events.shock]
hazard = 0.1
window = [2023, 2028]
[[events.shock.effects]]
actors = ["a"]
jump = 0.4
[metrics.m]
kind = "ever"
expr = 'fired("shock")'
"#;

    fn load(text: &str) -> Scenario {
        crate::scenario::load("test.toml", text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn with(extra: &str) -> Scenario {
        load(&format!("{PARENT}{extra}"))
    }

    #[test]
    fn a_scenario_changes_nothing_relative_to_itself() {
        let s = load(PARENT);
        assert_eq!(changes(&s, &s), []);
    }

    #[test]
    fn a_change_below_what_is_shown_is_still_a_change() {
        let parent = load(PARENT);
        let child = load(&PARENT.replace(
            "calm = { calm = 0.9, hot = 0.1 }",
            "calm = { calm = 0.89999, hot = 0.10001 }",
        ));
        let changes = changes(&parent, &child);
        let [Change::Driver(ItemChange::Changed { name, now, was })] = changes.as_slice() else {
            panic!("one changed driver: {changes:?}");
        };
        assert_eq!(name, "war");
        assert_eq!(
            now,
            &[DriverClause::Moves {
                from: "calm".into(),
                to: vec![("calm".into(), 0.89999), ("hot".into(), 0.10001)]
            }]
        );
        assert_eq!(was.len(), 1);
    }

    #[test]
    fn shifts_that_add_up_to_the_same_total_are_the_same_assumption() {
        // One jump of 0.4, or two of 0.2 on the same cells: the engine does the same.
        let parent = load(PARENT);
        let child = load(&PARENT.replace(
            "actors = [\"a\"]\njump = 0.4",
            "actors = [\"a\"]\njump = 0.2\n[[events.shock.effects]]\nactors = [\"a\"]\njump = 0.2",
        ));
        assert_eq!(changes(&parent, &child), []);
        let jumps = shifts(&child, &child.events[0].jumps);
        assert_eq!(jumps.len(), 1);
        let constant = jumps[0].amount.constant.expect("a constant");
        assert_eq!((constant.total, constant.count), (0.4, 2));
        assert_eq!(
            jumps[0].cells,
            Cells(vec![CellGroup::Block {
                slots: Names::Some(vec!["a".into()]),
                targets: Names::All,
                channels: Names::All,
            }])
        );
    }

    #[test]
    fn items_are_compared_by_name_and_only_their_changed_clauses_are_kept() {
        let parent = load(PARENT);
        let child = with(
            "[params.x]\ndist = \"normal(0, 1)\"\n[[dynamics]]\nactors = [\"b\"]\ntargets = [\"u\"]\ndrift = \"x\"\n",
        );
        let child = {
            let mut c = child;
            c.events[0].window = (2024, 2028);
            c.metrics.clear();
            c
        };
        let changes = changes(&parent, &child);
        assert!(matches!(
            &changes[0],
            Change::Param(ItemChange::Added { name, clauses }) if name == "x" && clauses.len() == 1
        ));
        let Change::RuleAdded(rule) = &changes[1] else {
            panic!("{changes:?}");
        };
        assert_eq!(rule.drift, Some(Term::Param("x".into())));
        assert_eq!(
            rule.cells,
            Cells(vec![CellGroup::Block {
                slots: Names::Some(vec!["b".into()]),
                targets: Names::Some(vec!["u".into()]),
                channels: Names::All,
            }])
        );
        assert_eq!(
            changes[2],
            Change::Event(ItemChange::Changed {
                name: "shock".into(),
                now: vec![EventClause::Window(2024, 2028)],
                was: vec![EventClause::Window(2023, 2028)],
            })
        );
        assert_eq!(
            changes[3],
            Change::Metric(ItemChange::Removed { name: "m".into() })
        );
        assert_eq!(changes.len(), 4);
    }
}
