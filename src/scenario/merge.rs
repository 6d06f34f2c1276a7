//! `extends`: a scenario on top of another, merged at the raw stage so that every value keeps
//! the span of the file it came from.
//!
//! Rules: tables merge key by key (the extending file wins); named items (parameters, drivers,
//! events, metrics, actors, targets, channels, initial shares) merge by name, field by field; an
//! item with `remove = true` drops the inherited item; `[[dynamics]]` rules of the extending file
//! come after the parent's (so its drifts add and its other keys win); a non-empty `effects`
//! list replaces the inherited one whole; a transition row merges entry by entry (validation then
//! scales the inherited entries so the row sums to 1). The same rules apply to the
//! command line's layers (`--set`, a command's own metrics) on top of the file, except that an
//! extending file tells a story of its own, so it does not inherit the title and description,
//! while an override changes a value and leaves the story as it was.

use indexmap::IndexMap;
use toml::Spanned;

use super::raw::{
    Name, RawCorrelation, RawDriver, RawEntity, RawEvent, RawHeader, RawMetric, RawParam, RawRho,
    RawScenario, RawTransitions,
};
use crate::diagnostic::Diagnostic;

/// What is merged onto a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// A file that `extends` the scenario: a story of its own.
    Extending,
    /// Overrides from the command line, or a command's own metrics: the same story.
    Override,
}

/// Merges `child` onto `parent`. Problems (removing what does not exist) are returned beside
/// the merged scenario.
pub fn merge(
    child: RawScenario,
    parent: RawScenario,
    layer: Layer,
) -> (RawScenario, Vec<Diagnostic>) {
    let mut problems = Vec::new();
    let scenario = match (child.scenario, parent.scenario) {
        (Some(c), Some(p)) => {
            let span = c.span();
            Some(Spanned::new(
                span,
                header(c.into_inner(), p.into_inner(), layer),
            ))
        }
        (c, p) => c.or(p),
    };
    let mut dynamics = parent.dynamics;
    dynamics.extend(child.dynamics);
    let merged = RawScenario {
        extends: child.extends,
        scenario,
        actors: named(child.actors, parent.actors, entity),
        targets: named(child.targets, parent.targets, entity),
        channels: named(child.channels, parent.channels, entity),
        initial: named(child.initial, parent.initial, |c, p| {
            let span = c.span();
            let rows = named(c.into_inner(), p.into_inner(), |c, p| {
                let span = c.span();
                Spanned::new(span, union(c.into_inner(), p.into_inner()))
            });
            Spanned::new(span, rows)
        }),
        params: removable(child.params, parent.params, param, &mut problems),
        dynamics,
        drivers: removable(child.drivers, parent.drivers, driver, &mut problems),
        events: removable(child.events, parent.events, event, &mut problems),
        metrics: removable(child.metrics, parent.metrics, metric, &mut problems),
        correlations: correlations(child.correlations, parent.correlations, &mut problems),
    };
    (merged, problems)
}

/// Replaces each `Option` field of `$child` that is `None` by the parent's.
macro_rules! inherit {
    ($child:ident, $parent:ident: $($field:ident),+) => {
        $( $child.$field = $child.$field.or($parent.$field); )+
    };
}

fn header(mut c: RawHeader, p: RawHeader, layer: Layer) -> RawHeader {
    // The title and description tell the extending scenario's own story: not inherited (the
    // parent's would describe a story this file changes). The name must be its own anyway.
    // An override (`--set seed=5`) changes a value of the same story.
    inherit!(c, p: name, start, end, step, runs, seed);
    if layer == Layer::Override {
        inherit!(c, p: title, description);
    }
    c
}

fn entity(c: Spanned<RawEntity>, p: Spanned<RawEntity>) -> Spanned<RawEntity> {
    let span = c.span();
    let (mut c, p) = (c.into_inner(), p.into_inner());
    inherit!(c, p: label, weight, description, source);
    // A target's own channel weights merge channel by channel.
    c.channels = match (c.channels, p.channels) {
        (Some(c), Some(p)) => {
            let span = c.span();
            Some(Spanned::new(span, union(c.into_inner(), p.into_inner())))
        }
        (c, p) => c.or(p),
    };
    Spanned::new(span, c)
}

fn param(c: Spanned<RawParam>, p: Spanned<RawParam>) -> Spanned<RawParam> {
    let span = c.span();
    let parent_span = p.span();
    match (c.into_inner(), p.into_inner()) {
        (RawParam::Full(mut c), RawParam::Full(p)) => {
            // A value of either kind — a distribution or a pool — replaces the other.
            if c.dist.is_none() && c.pool.is_none() {
                c.dist = p.dist;
                c.pool = p.pool;
            }
            inherit!(c, p: description, source);
            Spanned::new(span, RawParam::Full(c))
        }
        // A new value for a described parameter keeps its description and source.
        (RawParam::Short(number), RawParam::Full(mut p)) => {
            p.dist = Some(Spanned::new(span.clone(), number));
            p.pool = None;
            p.remove = None;
            Spanned::new(span, RawParam::Full(p))
        }
        // New description or source for a parameter given in short form: keep its value.
        (RawParam::Full(mut c), RawParam::Short(number)) => {
            c.dist = c.dist.or(Some(Spanned::new(parent_span, number)));
            Spanned::new(span, RawParam::Full(c))
        }
        (c, _) => Spanned::new(span, c),
    }
}

fn driver(c: Spanned<RawDriver>, p: Spanned<RawDriver>) -> Spanned<RawDriver> {
    let span = c.span();
    let (mut c, p) = (c.into_inner(), p.into_inner());
    inherit!(c, p: kind, description, source, states, initial, persistence, sd);
    c.transitions = match (c.transitions, p.transitions) {
        (Some(c), Some(p)) => {
            let span = c.span();
            Some(Spanned::new(span, rows(c.into_inner(), p.into_inner())))
        }
        (c, p) => c.or(p),
    };
    if c.effects.is_empty() {
        c.effects = p.effects;
    }
    Spanned::new(span, c)
}

fn event(c: Spanned<RawEvent>, p: Spanned<RawEvent>) -> Spanned<RawEvent> {
    let span = c.span();
    let (mut c, p) = (c.into_inner(), p.into_inner());
    inherit!(c, p: description, source, hazard, window, repeat, when);
    if c.effects.is_empty() {
        c.effects = p.effects;
    }
    Spanned::new(span, c)
}

fn metric(c: Spanned<RawMetric>, p: Spanned<RawMetric>) -> Spanned<RawMetric> {
    let span = c.span();
    let (mut c, p) = (c.into_inner(), p.into_inner());
    // A metric turned into another kind than "at" has no year to inherit.
    if c.kind.as_ref().is_none_or(|k| k.get_ref() == "at") {
        inherit!(c, p: year);
    }
    inherit!(c, p: kind, expr, description, source);
    Spanned::new(span, c)
}

type Correlations = IndexMap<Name, Spanned<RawCorrelation>>;

/// `[correlations]`: the child's rows onto the parent's. A correlation belongs to a pair of
/// parameters whichever row it is written in, so the child's `x = { y = 0.2 }` replaces the
/// parent's `y = { x = -0.4 }` as well as its `x = { y = -0.4 }`; `x = { y = "remove" }` drops
/// the inherited pair and `x = { remove = true }` every inherited pair of `x`. `repair`: the
/// child's wins.
fn correlations(
    child: Correlations,
    mut parent: Correlations,
    problems: &mut Vec<Diagnostic>,
) -> Correlations {
    for (name, entry) in child {
        let span = entry.span();
        let row = match entry.into_inner() {
            RawCorrelation::Row(row) => row,
            flag => {
                parent.insert(name, Spanned::new(span, flag));
                continue;
            }
        };
        let mut kept = IndexMap::new();
        for (other, rho) in row.iter() {
            let removes_all = other.get_ref() == "remove";
            match rho.get_ref() {
                RawRho::Flag(true) if removes_all => {
                    if row.len() > 1 {
                        problems.push(
                            Diagnostic::new(
                                rho.span(),
                                format!(
                                    "every correlation of `{}` is removed, so its other keys here would be ignored",
                                    name.get_ref()
                                ),
                            )
                            .with_hint("either remove the correlations or change them, not both"),
                        );
                    }
                    if !drop_every_pair(&mut parent, &name) {
                        problems.push(not_inherited(
                            rho.span(),
                            format!("`{}` has no inherited correlations", name.get_ref()),
                        ));
                    }
                }
                RawRho::Flag(false) if removes_all => {}
                RawRho::Text(t) if t == "remove" => {
                    if !drop_pair(&mut parent, &name, other, true) {
                        problems.push(not_inherited(
                            rho.span(),
                            format!(
                                "`{}` and `{}` have no inherited correlation",
                                name.get_ref(),
                                other.get_ref()
                            ),
                        ));
                    }
                }
                _ => {
                    // Written in the other row, the inherited value is dropped; in this row it
                    // is replaced in place below, keeping the order of the matrix.
                    drop_pair(&mut parent, other, &name, false);
                    kept.insert(other.clone(), rho.clone());
                }
            }
        }
        if kept.is_empty() {
            continue;
        }
        let merged = match parent.shift_remove_full(&name) {
            Some((i, _, inherited)) => {
                let merged = match inherited.into_inner() {
                    RawCorrelation::Row(inherited) => union(kept, inherited),
                    RawCorrelation::Flag(_) => kept,
                };
                let (j, _) =
                    parent.insert_full(name, Spanned::new(span, RawCorrelation::Row(merged)));
                parent.move_index(j, i);
                continue;
            }
            None => kept,
        };
        parent.insert(name, Spanned::new(span, RawCorrelation::Row(merged)));
    }
    parent
}

fn not_inherited(span: std::ops::Range<usize>, what: String) -> Diagnostic {
    Diagnostic::new(span, format!("{what}, so there is nothing to remove")).with_hint(
        "\"remove\" drops a correlation given underneath — in the file named by `extends`, or in the file under --set; remove = true drops all of this parameter's",
    )
}

/// Drops the correlation of `a` and `b` written in `a`'s row (and, if `both`, in `b`'s row);
/// whether there was one. A row left empty goes.
fn drop_pair(rows: &mut Correlations, a: &Name, b: &Name, both: bool) -> bool {
    let mut found = false;
    for (row, other) in [(a, b), (b, a)].into_iter().take(if both { 2 } else { 1 }) {
        if let Some(RawCorrelation::Row(entries)) = rows.get_mut(row).map(Spanned::get_mut) {
            found |= entries.shift_remove(other).is_some();
        }
    }
    drop_empty_rows(rows);
    found
}

/// Drops every correlation of `a`, in its row and in the others; whether there was one.
fn drop_every_pair(rows: &mut Correlations, a: &Name) -> bool {
    let mut found = matches!(rows.shift_remove(a).map(Spanned::into_inner), Some(RawCorrelation::Row(r)) if !r.is_empty());
    for entry in rows.values_mut() {
        if let RawCorrelation::Row(entries) = entry.get_mut() {
            found |= entries.shift_remove(a).is_some();
        }
    }
    drop_empty_rows(rows);
    found
}

fn drop_empty_rows(rows: &mut Correlations) {
    rows.retain(|_, entry| !matches!(entry.get_ref(), RawCorrelation::Row(r) if r.is_empty()));
}

/// The parent's items in their order, merged with the child's of the same name, then the
/// child's new items.
fn named<V>(
    child: IndexMap<Name, V>,
    mut parent: IndexMap<Name, V>,
    merge: impl Fn(V, V) -> V,
) -> IndexMap<Name, V> {
    for (name, value) in child {
        match parent.get_index_of(&name) {
            Some(i) => {
                // Keep the parent's position but the child's spelling and span of the name.
                let (_, inherited) = parent.shift_remove_index(i).expect("index exists");
                let (j, _) = parent.insert_full(name, merge(value, inherited));
                parent.move_index(j, i);
            }
            None => {
                parent.insert(name, value);
            }
        }
    }
    parent
}

/// Transition rows merge entry by entry: an entry given above replaces the inherited one, and
/// validation scales the inherited entries so the row still sums to 1.
fn rows(child: RawTransitions, parent: RawTransitions) -> RawTransitions {
    named(child, parent, |c, p| {
        let span = c.span();
        let (c, mut p) = (c.into_inner(), p.into_inner());
        // A row given whole (every state the inherited row names) replaces it, its
        // `concentration` included: the child's row is plain unless it says otherwise.
        let whole = p
            .keys()
            .filter(|k| k.get_ref() != "concentration")
            .all(|k| c.contains_key(k));
        if whole {
            p.retain(|k, _| k.get_ref() != "concentration");
        }
        Spanned::new(span, union(c, p))
    })
}

/// Like `named` for plain values: the child's value wins.
fn union<V>(child: IndexMap<Name, V>, parent: IndexMap<Name, V>) -> IndexMap<Name, V> {
    named(child, parent, |c, _| c)
}

/// `named`, honouring `remove = true`.
fn removable<T: Removable>(
    child: IndexMap<Name, Spanned<T>>,
    parent: IndexMap<Name, Spanned<T>>,
    merge: impl Fn(Spanned<T>, Spanned<T>) -> Spanned<T>,
    problems: &mut Vec<Diagnostic>,
) -> IndexMap<Name, Spanned<T>> {
    let mut kept = IndexMap::new();
    let mut removed = Vec::new();
    for (name, value) in child {
        match value.get_ref().removal() {
            Some(flag) if *flag.get_ref() => {
                if value.get_ref().sets_more() {
                    problems.push(
                        Diagnostic::new(
                            flag.span(),
                            format!(
                                "`{}` is removed, so its other keys here would be ignored",
                                name.get_ref()
                            ),
                        )
                        .with_hint("either remove the item or change it, not both"),
                    );
                }
                if !parent.contains_key(&name) {
                    problems.push(
                        Diagnostic::new(
                            flag.span(),
                            format!(
                                "`{}` is not inherited, so there is nothing to remove",
                                name.get_ref()
                            ),
                        )
                        .with_hint(
                            "`remove = true` drops an item of the scenario named in `extends`",
                        ),
                    );
                }
                removed.push(name);
            }
            _ => {
                kept.insert(name, value);
            }
        }
    }
    let mut merged = named(kept, parent, merge);
    for name in removed {
        merged.shift_remove(&name);
    }
    merged
}

/// Items that `remove = true` can drop.
trait Removable {
    fn removal(&self) -> Option<Spanned<bool>>;
    /// Whether the item sets anything besides `remove`.
    fn sets_more(&self) -> bool;
}

impl Removable for RawParam {
    fn removal(&self) -> Option<Spanned<bool>> {
        match self {
            RawParam::Full(t) => t.remove.clone(),
            RawParam::Short(_) => None,
        }
    }
    fn sets_more(&self) -> bool {
        match self {
            RawParam::Full(t) => t.dist.is_some() || t.description.is_some() || t.source.is_some(),
            RawParam::Short(_) => true,
        }
    }
}

impl Removable for RawDriver {
    fn removal(&self) -> Option<Spanned<bool>> {
        self.remove.clone()
    }
    fn sets_more(&self) -> bool {
        self.kind.is_some()
            || self.description.is_some()
            || self.source.is_some()
            || self.states.is_some()
            || self.initial.is_some()
            || self.transitions.is_some()
            || self.persistence.is_some()
            || self.sd.is_some()
            || !self.effects.is_empty()
    }
}

impl Removable for RawEvent {
    fn removal(&self) -> Option<Spanned<bool>> {
        self.remove.clone()
    }
    fn sets_more(&self) -> bool {
        self.description.is_some()
            || self.source.is_some()
            || self.hazard.is_some()
            || self.window.is_some()
            || self.repeat.is_some()
            || self.when.is_some()
            || !self.effects.is_empty()
    }
}

impl Removable for RawMetric {
    fn removal(&self) -> Option<Spanned<bool>> {
        self.remove.clone()
    }
    fn sets_more(&self) -> bool {
        self.kind.is_some()
            || self.expr.is_some()
            || self.year.is_some()
            || self.description.is_some()
            || self.source.is_some()
    }
}
