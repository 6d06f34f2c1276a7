//! What one scenario assumes differently from another — for a scenario that `extends` another,
//! or one changed by `--set` — as structured [`Change`]s that hold names and values, never
//! text. `report::explain` puts them into words; an embedding program can show them its way.
//!
//! Two scenarios index their actors, targets, parameters and cells independently (a child
//! may add some), so everything is compared by name: each item is first described by names —
//! a number as a [`Term`], a set of cells as [`Cells`], a drift change as a [`Shift`], a
//! driver or an event as a list of clauses (`describe.rs`) — and the descriptions are compared.
//! `explain` shows a single scenario through the same descriptions.
//!
//! Two descriptions are the same when the engine would do the same with them: numbers compare
//! exactly (a transition probability changed in its fifth decimal is a change), except that a
//! sum of several constants is compared without its float noise (0.1 + 0.2 is 0.3).

mod describe;

pub use describe::{
    Amount, CellGroup, Cells, Constant, Correlation, Correlations, DriverClause, EventClause,
    MetricClause, Names, RowRule, Rule, Shift, Term, cells, correlations, driver_clauses,
    event_clauses, rule, shifts, starts_in, term,
};

use crate::distribution::Distribution;
use crate::scenario::{Scenario, Step};

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
        // Actors have no weight in the format (every actor gets 1/n): adding one changes no
        // assumption about the others.
        if kind == EntityKind::Actor {
            continue;
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
            .map(|p| (p.name.clone(), vec![p.distribution.clone()]))
            .collect()
    };
    out.extend(items(params(parent), params(child)).map(Change::Param));
    let correlations = |s: &Scenario| {
        s.correlations
            .as_ref()
            .map_or_else(Correlations::default, |c| correlations(s, c))
    };
    let (was, now) = (correlations(parent), correlations(child));
    if was != now {
        out.push(Change::Correlations { was, now });
    }
    // A child's rules come after its parent's: the ones past the parent's count are its own.
    for r in child.rules.iter().skip(parent.rules.len()) {
        out.push(Change::RuleAdded(Box::new(rule(child, r))));
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
            .filter(|m| m.category.as_ref().is_none_or(|c| c.index == 0))
            .map(|m| match &m.category {
                Some(c) => (c.leader.clone(), vec![MetricClause::leader(s, m)]),
                None => (m.name.clone(), vec![MetricClause::of(m)]),
            })
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
        /// The parent's.
        was: Horizon,
        /// The child's.
        now: Horizon,
    },
    /// An actor, target or channel only the child declares.
    Added {
        /// Which table it is in.
        kind: EntityKind,
        /// Its name.
        name: String,
    },
    /// An actor, target or channel only the parent declares.
    Removed {
        /// Which table it is in.
        kind: EntityKind,
        /// Its name.
        name: String,
    },
    /// A target's weight in the region or a channel's in a composite (normalised). Actors
    /// carry a normalised weight of `1 / actors` too, so adding or removing an actor also
    /// reports every other actor's weight as changed.
    Weight {
        /// Which table the entity is in.
        kind: EntityKind,
        /// Its name.
        name: String,
        /// The parent's normalised weight, in (0, 1].
        was: f64,
        /// The child's normalised weight, in (0, 1].
        now: f64,
    },
    /// The initial share of a cell both scenarios have.
    InitialShare {
        /// The actor's name.
        actor: String,
        /// The target's name.
        target: String,
        /// The channel's name.
        channel: String,
        /// The parent's initial share, in (0, 1).
        was: f64,
        /// The child's initial share, in (0, 1).
        now: f64,
    },
    /// A named parameter's distribution.
    Param(ItemChange<Distribution>),
    /// The rank correlations, before and after (they differ in some way).
    Correlations {
        /// The parent's (empty when it has none).
        was: Correlations,
        /// The child's (empty when it has none).
        now: Correlations,
    },
    /// A `[[dynamics]]` rule the child adds after its parent's.
    RuleAdded(Box<Rule>),
    /// A driver added, changed clause by clause, or removed.
    Driver(ItemChange<DriverClause>),
    /// An event added, changed clause by clause, or removed.
    Event(ItemChange<EventClause>),
    /// A metric added, changed or removed.
    Metric(ItemChange<MetricClause>),
}

/// Which of the three entity tables an entity belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    /// `[actors]`.
    Actor,
    /// `[targets]`.
    Target,
    /// `[channels]`.
    Channel,
}

impl EntityKind {
    /// The word for one of its kind: `"actor"`, `"target"` or `"channel"`.
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
    /// `[scenario] start`.
    pub start: i32,
    /// `[scenario] end`.
    pub end: i32,
    /// `[scenario] step`.
    pub step: Step,
    /// `[scenario] runs`: the default run count.
    pub runs: u64,
    /// `[scenario] seed`: the default master seed.
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
    /// An item only the child has, with all its clauses.
    Added {
        /// Its name.
        name: String,
        /// Everything it is.
        clauses: Vec<C>,
    },
    /// Only the clauses that differ: `now` those the item has and had not, `was` those it had
    /// and has no more.
    Changed {
        /// Its name.
        name: String,
        /// The clauses it has now and did not have.
        now: Vec<C>,
        /// The clauses it had and has no more.
        was: Vec<C>,
    },
    /// An item only the parent has.
    Removed {
        /// Its name.
        name: String,
    },
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
    fn an_added_actor_is_one_change_not_a_weight_change_of_every_other_actor() {
        let parent = load(PARENT);
        let child = load(
            &PARENT
                .replace("b = {}\n[targets]", "b = {}\nd = {}\n[targets]")
                .replace("b = 0.3\n", "b = 0.3\nd = 0.1\n"),
        );
        assert_eq!(
            changes(&parent, &child),
            [Change::Added {
                kind: EntityKind::Actor,
                name: "d".into()
            }]
        );
        // A target added does change the others' weights in the region: that is said.
        let child = with("[targets.v]\n[initial.v.c]\na = 0.2\nb = 0.2\n");
        let weights = changes(&parent, &child)
            .iter()
            .filter(|c| {
                matches!(
                    c,
                    Change::Weight {
                        kind: EntityKind::Target,
                        ..
                    }
                )
            })
            .count();
        assert_eq!(weights, 2);
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
                to: vec![
                    ("calm".into(), Term::Const(0.89999)),
                    ("hot".into(), Term::Const(0.10001))
                ],
                rule: RowRule::Fixed,
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
