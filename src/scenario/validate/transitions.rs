//! `[drivers.D.transitions]`: a regime's yearly transition matrix, a row per state, each row
//! naming every state and summing to 1 in every run.
//!
//! An entry is a plain number, a parameter or a distribution; a row with `concentration = c`
//! is a Dirichlet around its numbers. An entry set by a layer above the row's own file (an
//! extending file, `--set`, a `--vary` point) replaces only itself: the row's other plain
//! numbers are scaled in proportion so the row still sums to 1 — and so do they in each run
//! where some entries are drawn ([`Row`]).

use std::ops::Range;

use indexmap::IndexMap;
use toml::Spanned;

use super::number::{PROBABILITY, Place};
use super::{Validator, quote_list, round};
use crate::diagnostic::unknown_name_hint;
use crate::scenario::raw::{Name, Number, RawDriver, RawNumber};
use crate::scenario::{Row, Value};

/// One row as written: to-state → probability (and `concentration`).
type RawRow = IndexMap<Name, Number>;

/// The key of a row that makes it a Dirichlet.
pub(crate) const CONCENTRATION: &str = "concentration";

/// Largest concentration: beyond it a Dirichlet row is its means for every purpose.
const MAX_CONCENTRATION: f64 = 1e6;

/// One entry of a row, resolved.
struct Entry {
    value: Value,
    /// Set by a layer above the row's own file.
    above: bool,
    span: Range<usize>,
}

impl Validator<'_> {
    /// The rows of regime `name`, one per state, in states order.
    pub(super) fn transitions(
        &mut self,
        name: &str,
        states: &[String],
        driver: &RawDriver,
        span: Range<usize>,
    ) -> Option<Vec<Row>> {
        let Some(rows) = &driver.transitions else {
            self.error_hint(
                span,
                format!("regime `{name}` has no `transitions`"),
                format!("add [drivers.{name}.transitions] with a row per state"),
            );
            return None;
        };
        let mut matrix: Vec<Option<Row>> = vec![None; states.len()];
        let mut ok = true;
        for (from_name, row) in rows.get_ref() {
            let Some(from) = self.transition_state(name, states, from_name) else {
                ok = false;
                continue;
            };
            match self.transition_row(name, states, from_name, row) {
                Some(row) => matrix[from] = Some(row),
                None => ok = false,
            }
        }
        let missing: Vec<&str> = states
            .iter()
            .zip(&matrix)
            .filter(|(_, row)| row.is_none())
            .map(|(s, _)| s.as_str())
            .collect();
        if !missing.is_empty() && ok {
            self.error_hint(
                rows.span(),
                format!(
                    "regime `{name}` has no transition row for {}",
                    quote_list(&missing)
                ),
                "give a row for every state",
            );
            ok = false;
        }
        if !ok {
            return None;
        }
        matrix.into_iter().collect()
    }

    /// The row of state `from_name`.
    fn transition_row(
        &mut self,
        name: &str,
        states: &[String],
        from_name: &Name,
        row: &Spanned<RawRow>,
    ) -> Option<Row> {
        let owner = format!("drivers.{name}.transitions.{}", from_name.get_ref());
        let mut entries: Vec<Option<Entry>> = (0..states.len()).map(|_| None).collect();
        // Entries written, right or wrong: a wrong one is reported once, not also as missing.
        let mut given = vec![false; states.len()];
        let mut concentration = None;
        let mut row_ok = true;
        // The row's own file: the lowest layer any of its entries comes from.
        let base = row
            .get_ref()
            .values()
            .map(Spanned::span)
            .min_by(|a, b| {
                if self.outranks(a, b) {
                    std::cmp::Ordering::Greater
                } else if self.outranks(b, a) {
                    std::cmp::Ordering::Less
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .unwrap_or_else(|| row.span());
        for (to_name, number) in row.get_ref() {
            if to_name.get_ref() == CONCENTRATION && !states.iter().any(|s| s == CONCENTRATION) {
                concentration = self.concentration(number);
                row_ok &= concentration.is_some();
                continue;
            }
            let Some(to) = self.transition_state(name, states, to_name) else {
                row_ok = false;
                continue;
            };
            let place = Place::at(&owner, to_name.get_ref());
            given[to] = true;
            let Some(value) = self.number(number, &place, PROBABILITY) else {
                row_ok = false;
                continue;
            };
            entries[to] = Some(Entry {
                value,
                above: self.outranks(&number.span(), &base),
                span: number.span(),
            });
        }
        let missing: Vec<&str> = states
            .iter()
            .zip(&given)
            .filter(|(_, given)| !**given)
            .map(|(s, _)| s.as_str())
            .collect();
        if !missing.is_empty() {
            let hint = format!(
                "name every state in every row (0 where the move is impossible): {}",
                whole_row(name, states, from_name, row.get_ref())
            );
            self.error_hint(
                row.span(),
                format!(
                    "the row of `{}` does not give {}",
                    from_name.get_ref(),
                    quote_list(&missing)
                ),
                hint,
            );
            return None;
        }
        if !row_ok {
            return None;
        }
        let entries: Vec<Entry> = entries.into_iter().flatten().collect();
        let from = from_name.get_ref();
        let row = self.fill_row(from, states, &entries, row.span())?;
        match concentration {
            None => Some(row),
            Some(c) => self.dirichlet_row(&owner, states, row, c, row_span_of(&entries)),
        }
    }

    /// `concentration`: a plain number > 0.
    fn concentration(&mut self, number: &Number) -> Option<f64> {
        match number.get_ref() {
            RawNumber::Constant(c) if *c > 0.0 && *c <= MAX_CONCENTRATION => Some(*c),
            RawNumber::Constant(c) => {
                self.error_hint(
                    number.span(),
                    format!("`concentration` must be within (0, 1000000], got {}", round(*c)),
                    "the larger it is, the closer each run's row stays to the numbers written; e.g. 50",
                );
                None
            }
            RawNumber::Text(_) => {
                self.error_hint(
                    number.span(),
                    "`concentration` must be a plain number",
                    "a Dirichlet row is its numbers (the means) and one concentration, e.g. concentration = 50",
                );
                None
            }
        }
    }

    /// The row from its entries: constant when nothing is drawn (entries set above made room
    /// for by scaling the row's own numbers), else drawn in each run with the rule that brings
    /// it to 1.
    fn fill_row(
        &mut self,
        from: &str,
        states: &[String],
        entries: &[Entry],
        span: Range<usize>,
    ) -> Option<Row> {
        // Entries that keep their value: drawn ones and those set above; the row's own plain
        // numbers make room.
        let kept = |e: &Entry| e.above || !matches!(e.value, Value::Const(_));
        let constant = |e: &Entry| match e.value {
            Value::Const(v) => Some(v),
            Value::Param(_) | Value::Derived(_) => None,
        };
        let scaled: Vec<usize> = (0..entries.len()).filter(|&i| !kept(&entries[i])).collect();
        let scaled_sum: f64 = scaled.iter().filter_map(|&i| constant(&entries[i])).sum();
        let (mut kept_high, mut kept_low) = (0.0, 0.0);
        let mut kept_names = Vec::new();
        for (e, state) in entries.iter().zip(states) {
            if kept(e) {
                let (lo, _, hi) = self.spread(e.value);
                kept_low += lo;
                kept_high += hi;
                kept_names.push(state.as_str());
            }
        }
        let drawn = entries.iter().any(|e| !matches!(e.value, Value::Const(_)));
        if kept_names.is_empty() || (!drawn && scaled_sum == 0.0) {
            // Plain numbers throughout: the row as written must sum to 1.
            let row: Vec<f64> = entries.iter().filter_map(constant).collect();
            let sum: f64 = row.iter().sum();
            if (sum - 1.0).abs() > 1e-9 {
                self.error_hint(
                    span,
                    format!("the row of `{from}` sums to {}, not 1", round(sum)),
                    "each row gives where the chain is one year later, so its probabilities must sum to 1",
                );
                return None;
            }
            return Some(Row::Fixed(row));
        }
        if !scaled.is_empty() && scaled_sum == 0.0 {
            let at = entries[scaled[0]].span.clone();
            self.error_hint(
                at,
                format!(
                    "the row of `{from}` has nothing to scale: its plain numbers are all 0, so they cannot make room for {}",
                    quote_list(&kept_names)
                ),
                "give the whole row, or leave a positive plain number that the others' changes can come out of",
            );
            return None;
        }
        if !scaled.is_empty() && kept_high > 1.0 + 1e-9 {
            let at = entries
                .iter()
                .find(|e| kept(e))
                .map_or(span, |e| e.span.clone());
            self.error_hint(
                at,
                format!(
                    "in the row of `{from}`, {} can sum to {}, more than 1, leaving nothing for the others",
                    quote_list(&kept_names),
                    round(kept_high)
                ),
                "the entries drawn or set here must leave room for the row's other entries: narrow them, or give the whole row",
            );
            return None;
        }
        if scaled.is_empty() && kept_low <= 0.0 && drawn {
            self.error_hint(
                span,
                format!("the row of `{from}` can be all 0, and a row must sum to 1"),
                "with every entry drawn, each run's row is divided by its sum; let some entry stay above 0",
            );
            return None;
        }
        if !drawn {
            // Only plain numbers, some set above: scale the row's own ones now.
            let factor = (1.0 - kept_high) / scaled_sum;
            let row = entries
                .iter()
                .enumerate()
                .filter_map(|(i, e)| {
                    constant(e).map(|v| if scaled.contains(&i) { v * factor } else { v })
                })
                .collect();
            return Some(Row::Fixed(row));
        }
        Some(Row::Drawn {
            entries: entries.iter().map(|e| e.value).collect(),
            scaled,
        })
    }

    /// A Dirichlet row around the means of `row` (a plain row), its fractions as beta
    /// parameters named after the entries: `drivers.war.transitions.stalemate.ceasefire`.
    fn dirichlet_row(
        &mut self,
        owner: &str,
        states: &[String],
        row: Row,
        concentration: f64,
        span: Option<Range<usize>>,
    ) -> Option<Row> {
        let Row::Fixed(means) = row else {
            self.error_hint(
                span.unwrap_or(0..0),
                "a Dirichlet row (with `concentration`) takes plain numbers as its means",
                "write the row's numbers, e.g. { a = 0.7, b = 0.3, concentration = 50 }: each run draws its row around them",
            );
            return None;
        };
        let names: Vec<&str> = states.iter().map(String::as_str).collect();
        let sticks = self.dirichlet_sticks(owner, &names, &means, concentration);
        Some(Row::Dirichlet {
            means,
            concentration,
            sticks,
        })
    }

    /// A state named in the transitions of regime `name`, by its index in `states`.
    fn transition_state(&mut self, name: &str, states: &[String], state: &Name) -> Option<usize> {
        let found = states.iter().position(|s| s == state.get_ref());
        if found.is_none() {
            let hint = format!(
                "{}; add it to `states`, or correct the name",
                unknown_name_hint(
                    state.get_ref(),
                    "its states",
                    states.iter().map(String::as_str)
                )
            );
            self.error_hint(
                state.span(),
                format!(
                    "unknown state `{}` in the transitions of regime `{name}`",
                    state.get_ref()
                ),
                hint,
            );
        }
        found
    }
}

/// The span of a row's first entry, where messages about the whole row point.
fn row_span_of(entries: &[Entry]) -> Option<Range<usize>> {
    entries.first().map(|e| e.span.clone())
}

/// An incomplete row as it should be written: what it gives, and `…` for what it lacks.
fn whole_row(name: &str, states: &[String], from_name: &Name, row: &RawRow) -> String {
    let entries: Vec<String> = states
        .iter()
        .map(|to| {
            let given = row.iter().find(|(n, _)| n.get_ref() == to);
            match given.map(|(_, p)| p.get_ref()) {
                Some(RawNumber::Constant(p)) => format!("{to} = {p}"),
                Some(RawNumber::Text(t)) => format!("{to} = \"{t}\""),
                None => format!("{to} = …"),
            }
        })
        .collect();
    format!(
        "drivers.{name}.transitions.{} = {{ {} }}",
        from_name.get_ref(),
        entries.join(", ")
    )
}
