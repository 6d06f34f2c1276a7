//! `[drivers.D.transitions]`: a regime's yearly transition matrix, a row per state, each row
//! naming every state and summing to 1.

use std::ops::Range;

use indexmap::IndexMap;
use toml::Spanned;

use super::{Validator, quote_list, round};
use crate::diagnostic::unknown_name_hint;
use crate::scenario::raw::{Name, RawDriver};

/// One row as written: to-state → probability.
type RawRow = IndexMap<Name, Spanned<f64>>;

impl Validator<'_> {
    /// The matrix of regime `name`, `matrix[from][to]`, per year.
    pub(super) fn transitions(
        &mut self,
        name: &str,
        states: &[String],
        driver: &RawDriver,
        span: Range<usize>,
    ) -> Option<Vec<Vec<f64>>> {
        let Some(rows) = &driver.transitions else {
            self.error_hint(
                span,
                format!("regime `{name}` has no `transitions`"),
                format!("add [drivers.{name}.transitions] with a row per state"),
            );
            return None;
        };
        let mut matrix = vec![vec![f64::NAN; states.len()]; states.len()];
        let mut ok = true;
        for (from_name, row) in rows.get_ref() {
            let Some(from) = self.transition_state(name, states, from_name) else {
                ok = false;
                continue;
            };
            ok &= self.transition_row(name, states, driver, from_name, row, &mut matrix[from]);
        }
        let missing: Vec<&str> = states
            .iter()
            .zip(&matrix)
            .filter(|(_, row)| row.iter().all(|p| p.is_nan()))
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
        ok.then_some(matrix)
    }

    /// The row of state `from_name` into `probabilities` (indexed like `states`); whether it is
    /// right.
    fn transition_row(
        &mut self,
        name: &str,
        states: &[String],
        driver: &RawDriver,
        from_name: &Name,
        row: &Spanned<RawRow>,
        probabilities: &mut [f64],
    ) -> bool {
        let mut given = vec![false; states.len()];
        let mut sum = 0.0;
        let mut row_ok = true;
        for (to_name, p) in row.get_ref() {
            let Some(to) = self.transition_state(name, states, to_name) else {
                row_ok = false;
                continue;
            };
            given[to] = true;
            if !(0.0..=1.0).contains(p.get_ref()) {
                self.error(
                    p.span(),
                    format!(
                        "a transition probability must be within [0, 1], got {}",
                        p.get_ref()
                    ),
                );
                row_ok = false;
            }
            probabilities[to] = *p.get_ref();
            sum += p.get_ref();
        }
        let missing: Vec<&str> = states
            .iter()
            .zip(&given)
            .filter(|(_, given)| !**given)
            .map(|(s, _)| s.as_str())
            .collect();
        if !missing.is_empty() {
            // A row from a layer above the regime's (`extends`, `--set`) replaced the
            // inherited row whole; say so, or the missing states are a riddle.
            let replaced = driver
                .states
                .as_ref()
                .is_some_and(|states| self.outranks(&row.span(), &states.span()));
            let hint = if replaced {
                replaced_row_hint(name, states, from_name, row.get_ref())
            } else {
                "name every state in every row (0 where the move is impossible)".to_string()
            };
            self.error_hint(
                row.span(),
                format!(
                    "the row of `{}` does not give {}",
                    from_name.get_ref(),
                    quote_list(&missing)
                ),
                hint,
            );
            return false;
        }
        if row_ok && (sum - 1.0).abs() > 1e-9 {
            self.error_hint(row.span(), format!("the row of `{}` sums to {}, not 1", from_name.get_ref(), round(sum)), "each row gives where the chain is one year later, so its probabilities must sum to 1");
            return false;
        }
        row_ok
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

/// The hint for an incomplete row that replaced an inherited one: the whole row to write, with
/// what it gives and `…` for what it lacks.
fn replaced_row_hint(name: &str, states: &[String], from_name: &Name, row: &RawRow) -> String {
    let entries: Vec<String> = states
        .iter()
        .map(|to| {
            let given = row.iter().find(|(n, _)| n.get_ref() == to);
            match given {
                Some((_, p)) => format!("{to} = {}", p.get_ref()),
                None => format!("{to} = …"),
            }
        })
        .collect();
    format!(
        "a row given by an extending file, --set or --vary replaces the inherited row whole: give all of it, drivers.{name}.transitions.{} = {{ {} }}",
        from_name.get_ref(),
        entries.join(", ")
    )
}
