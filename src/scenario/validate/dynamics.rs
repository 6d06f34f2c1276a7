//! `[[dynamics]]`: how each cell's log-strength moves. Each rule selects cells and sets some of
//! drift (the drifts of all matching rules add), volatility, reversion, floor and ceiling (the
//! last matching rule wins, key by key); then the floors and ceilings must leave room for
//! every share.

use std::ops::Range;

use toml::Spanned;

use super::number::{Bounds, CEILING, FLOOR, NON_NEGATIVE, POSITIVE, Place, RATE};
use super::selection::selection_key;
use super::{Declared, Validator, round, text};
use crate::scenario::raw::{RawCommon, RawReversion, RawRule};
use crate::scenario::{AUTONOMY, CellDynamics, Note, Reversion, Rule, Value};

impl Validator<'_> {
    /// The motion of every cell, and the rules as resolved, in file order.
    pub(super) fn dynamics(
        &mut self,
        rules: Vec<Spanned<RawRule>>,
        declared: &Declared,
    ) -> Option<(Vec<CellDynamics>, Vec<Rule>)> {
        let mut summaries = Vec::new();
        let n_cells =
            declared.targets.len() * declared.channels.len() * (declared.actors.len() + 1);
        let still = CellDynamics {
            drift: Vec::new(),
            volatility: Value::Const(0.0),
            reversion: None,
            floor: None,
            ceiling: None,
            common_target: Value::Const(0.0),
            common_region: Value::Const(0.0),
        };
        let mut cells = vec![still; n_cells];
        let mut spans = vec![BoundSpans::default(); n_cells];
        let mut ok = true;
        for raw in &rules {
            let raw = raw.get_ref();
            let Some(rule) = self.rule(raw, declared) else {
                ok = false;
                continue;
            };
            apply_rule(&rule, raw, &mut cells, &mut spans);
            summaries.push(rule);
        }
        if ok {
            self.check_bounds(&cells, &spans, declared);
        }
        ok.then_some((cells, summaries))
    }

    /// One rule, resolved: the cells it selects and the keys it sets.
    fn rule(&mut self, rule: &RawRule, declared: &Declared) -> Option<Rule> {
        let selection = selection_key(&rule.actors, &rule.targets, &rule.channels);
        let path = |key: &str| Place::selecting("dynamics", &selection, key);
        let selected = self.cells(&rule.actors, &rule.targets, &rule.channels, declared);
        let drift = self.optional_number(&rule.drift, &path("drift"), RATE);
        let volatility = self.optional_number(&rule.volatility, &path("volatility"), VOLATILITY);
        let common = match &rule.common {
            None => Some((None, None)),
            Some(c) => self.common(c, &path),
        };
        let reversion = match &rule.reversion {
            None => Some(None),
            Some(r) => self.reversion(r.get_ref(), &path).map(Some),
        };
        let floor = self.optional_number(&rule.floor, &path("floor"), FLOOR);
        let ceiling = self.optional_number(&rule.ceiling, &path("ceiling"), CEILING);
        Some(Rule {
            note: Note {
                description: text(rule.description.clone()),
                source: text(rule.source.clone()),
            },
            cells: selected?,
            drift: drift?,
            volatility: volatility?,
            reversion: reversion?,
            floor: floor?,
            ceiling: ceiling?,
            common_target: common?.0,
            common_region: common?.1,
        })
    }

    /// `common = { target, region }`: the standard deviations of the shocks an actor shares
    /// in one target and across the region.
    fn common(
        &mut self,
        common: &Spanned<RawCommon>,
        path: &dyn Fn(&str) -> Place,
    ) -> Option<(Option<Value>, Option<Value>)> {
        let raw = common.get_ref();
        if raw.target.is_none() && raw.region.is_none() {
            self.error_hint(
                common.span(),
                "common sets neither target nor region".to_string(),
                "e.g. common = { target = 0.04, region = 0.02 }: the yearly standard deviation of a shock an actor shares across the channels of one target, and across the whole region",
            );
            return None;
        }
        let target = self.optional_number(&raw.target, &path("common.target"), VOLATILITY);
        let region = self.optional_number(&raw.region, &path("common.region"), VOLATILITY);
        Some((target?, region?))
    }

    fn reversion(
        &mut self,
        reversion: &RawReversion,
        path: &dyn Fn(&str) -> Place,
    ) -> Option<Reversion> {
        let level = self.number(&reversion.level, &path("reversion.level"), POSITIVE);
        let speed = self.number(
            &reversion.speed,
            &path("reversion.speed"),
            Bounds {
                hi: 1000.0,
                hi_open: false,
                text: "must be within (0, 1000] per year",
                ..POSITIVE
            },
        );
        Some(Reversion {
            level: level?,
            speed: speed?,
        })
    }

    /// Bounds must be satisfiable: in every cell the floor below the ceiling, and in every
    /// target and channel the floors summing below 1 and, when every slot has a ceiling, the
    /// ceilings summing to 1 or more. Checked over the whole range of parameter-valued bounds;
    /// one message per offending rule, naming the first place and how many there are.
    fn check_bounds(&mut self, cells: &[CellDynamics], spans: &[BoundSpans], declared: &Declared) {
        let n_slots = declared.actors.len() + 1;
        let n_channels = declared.channels.len();
        let lowest = |v: Value| self.spread(v).0;
        let highest = |v: Value| self.spread(v).2;
        // (span, message, hint) → number of places.
        let mut found: Vec<(Range<usize>, String, &str, usize)> = Vec::new();
        let mut report = |span: Range<usize>, message: String, hint: &'static str| match found
            .iter_mut()
            .find(|(s, _, h, _)| *s == span && *h == hint)
        {
            Some(entry) => entry.3 += 1,
            None => found.push((span, message, hint, 1)),
        };
        for (pair, chunk) in cells.chunks(n_slots).enumerate() {
            let place = format!(
                "{}/{}",
                declared.targets[pair / n_channels],
                declared.channels[pair % n_channels]
            );
            let slot_name = |s: usize| declared.actors.get(s).map_or(AUTONOMY, String::as_str);
            for (s, cell) in chunk.iter().enumerate() {
                if let (Some(f), Some(c)) = (cell.floor, cell.ceiling) {
                    let (f, c) = (highest(f), lowest(c));
                    if f >= c {
                        let span = spans[pair * n_slots + s].ceiling.clone().unwrap_or(0..0);
                        report(
                            span,
                            format!(
                                "the ceiling of {} in {place} ({}) is not above its floor ({})",
                                slot_name(s),
                                round(c),
                                round(f)
                            ),
                            "a share cannot be at least its floor and at most a ceiling below it",
                        );
                    }
                }
            }
            let floors: f64 = chunk.iter().filter_map(|c| c.floor).map(highest).sum();
            if floors >= 1.0 {
                let span = (0..n_slots)
                    .rev()
                    .find_map(|s| spans[pair * n_slots + s].floor.clone())
                    .unwrap_or(0..0);
                report(
                    span,
                    format!(
                        "floors in {place} add up to {} (at most), which leaves no room",
                        round(floors)
                    ),
                    "floors of the actors (and autonomy) in one target and channel must sum to less than 1",
                );
            }
            if chunk.iter().all(|c| c.ceiling.is_some()) {
                let ceilings: f64 = chunk.iter().filter_map(|c| c.ceiling).map(lowest).sum();
                if ceilings < 1.0 {
                    let span = (0..n_slots)
                        .rev()
                        .find_map(|s| spans[pair * n_slots + s].ceiling.clone())
                        .unwrap_or(0..0);
                    report(
                        span,
                        format!(
                            "ceilings in {place} add up to {} (at least), less than the whole",
                            round(ceilings)
                        ),
                        "when the actors and autonomy all have ceilings, they must sum to at least 1",
                    );
                }
            }
        }
        for (span, message, hint, count) in found {
            let message = if count > 1 {
                format!(
                    "{message}, and in {} more {}",
                    count - 1,
                    if count == 2 { "place" } else { "places" }
                )
            } else {
                message
            };
            self.error_hint(span, message, hint);
        }
    }
}

/// Adds a resolved rule to the cells it selects: its drift to theirs, its other keys over
/// theirs; and remembers where their floors and ceilings were set.
fn apply_rule(rule: &Rule, raw: &RawRule, cells: &mut [CellDynamics], spans: &mut [BoundSpans]) {
    for &cell in &rule.cells {
        let dynamics = &mut cells[cell];
        if let Some(d) = rule.drift.filter(|d| !d.is_zero()) {
            dynamics.drift.push(d);
        }
        if let Some(v) = rule.volatility {
            dynamics.volatility = v;
        }
        if rule.reversion.is_some() {
            dynamics.reversion = rule.reversion;
        }
        if rule.floor.is_some() {
            dynamics.floor = rule.floor;
            spans[cell].floor = raw.floor.as_ref().map(Spanned::span);
        }
        if rule.ceiling.is_some() {
            dynamics.ceiling = rule.ceiling;
            spans[cell].ceiling = raw.ceiling.as_ref().map(Spanned::span);
        }
        if let Some(v) = rule.common_target {
            dynamics.common_target = v;
        }
        if let Some(v) = rule.common_region {
            dynamics.common_region = v;
        }
    }
}

/// A volatility, of a cell's own noise or of a shared shock: per √year.
const VOLATILITY: Bounds = Bounds {
    hi: 50.0,
    hi_open: false,
    text: "must be within [0, 50] per √year",
    ..NON_NEGATIVE
};

/// Where each cell's floor and ceiling were set, to point at the rule.
#[derive(Debug, Clone, Default)]
struct BoundSpans {
    floor: Option<Range<usize>>,
    ceiling: Option<Range<usize>>,
}
