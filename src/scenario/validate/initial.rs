//! `[initial.TARGET.CHANNEL]`: every actor's share at the start, autonomy the remainder, in
//! every target and channel.

use toml::Spanned;

use super::{Declared, Validator, quote_list, round};
use crate::scenario::AUTONOMY;
use crate::scenario::raw::{Name, RawInitial, RawInitialValue};

/// One `[initial.T.C]` table: actor (or `source`) → value.
type RawRow = indexmap::IndexMap<Name, RawInitialValue>;

impl Validator<'_> {
    /// The initial share of every cell, indexed like [`crate::scenario::Scenario::cell`].
    pub(super) fn initial(&mut self, initial: RawInitial, declared: &Declared) -> Option<Vec<f64>> {
        let n_slots = declared.actors.len() + 1;
        let n_cells = declared.targets.len() * declared.channels.len() * n_slots;
        let mut shares = vec![f64::NAN; n_cells];
        let mut seen = vec![false; declared.targets.len() * declared.channels.len()];
        let mut ok = true;
        for (target_name, by_channel) in &initial {
            let Some(target) = self.lookup(target_name, "target", &declared.targets) else {
                ok = false;
                continue;
            };
            for (channel_name, row) in by_channel.get_ref() {
                let Some(channel) = self.lookup(channel_name, "channel", &declared.channels) else {
                    ok = false;
                    continue;
                };
                let pair = target * declared.channels.len() + channel;
                seen[pair] = true;
                let slots = &mut shares[pair * n_slots..(pair + 1) * n_slots];
                ok &= self.initial_row(target_name, channel_name, row, declared, slots);
            }
        }
        ok &= self.every_pair_given(&seen, declared);
        ok.then_some(shares)
    }

    /// The shares of one target and channel into `slots` (every actor, then autonomy);
    /// whether they are right.
    fn initial_row(
        &mut self,
        target_name: &Name,
        channel_name: &Name,
        row: &Spanned<RawRow>,
        declared: &Declared,
        slots: &mut [f64],
    ) -> bool {
        let mut ok = true;
        let mut sum = 0.0;
        let mut present = vec![false; declared.actors.len()];
        for (actor_name, value) in row.get_ref() {
            if actor_name.get_ref() == "source" {
                if let RawInitialValue::Share(v) = value {
                    self.error(v.span(), "`source` must be text");
                }
                continue;
            }
            if actor_name.get_ref() == AUTONOMY {
                self.error_hint(
                    actor_name.span(),
                    "autonomy's initial share is not given: it is the remainder",
                    "list only the actors; autonomy = 1 − their sum",
                );
                ok = false;
                continue;
            }
            let Some(actor) = self.lookup(actor_name, "actor", &declared.actors) else {
                ok = false;
                continue;
            };
            present[actor] = true;
            match self.initial_share(actor_name, value) {
                Some(share) => {
                    sum += share;
                    slots[actor] = share;
                }
                None => ok = false,
            }
        }
        let missing: Vec<&str> = declared
            .actors
            .iter()
            .zip(&present)
            .filter(|(_, p)| !**p)
            .map(|(a, _)| a.as_str())
            .collect();
        if !missing.is_empty() {
            self.error_hint(
                row.span(),
                format!(
                    "initial shares of {}/{} do not give {}",
                    target_name.get_ref(),
                    channel_name.get_ref(),
                    quote_list(&missing)
                ),
                "every actor needs a positive initial share in every target and channel",
            );
            false
        } else if sum >= 1.0 - 1e-12 {
            self.error_hint(
                row.span(),
                format!(
                    "initial shares of {}/{} sum to {}, leaving no autonomy",
                    target_name.get_ref(),
                    channel_name.get_ref(),
                    round(sum)
                ),
                "the actors' shares must sum to less than 1; autonomy is the remainder",
            );
            false
        } else {
            slots[slots.len() - 1] = 1.0 - sum;
            ok
        }
    }

    /// One actor's initial share: a plain number within (0, 1).
    fn initial_share(&mut self, actor_name: &Name, value: &RawInitialValue) -> Option<f64> {
        match value {
            RawInitialValue::Share(v) if *v.get_ref() > 0.0 && *v.get_ref() < 1.0 => {
                Some(*v.get_ref())
            }
            RawInitialValue::Share(v) => {
                self.error_hint(
                    v.span(),
                    format!("an initial share must be within (0, 1), got {}", v.get_ref()),
                    "strengths are positive: use a small share such as 0.001 for an actor that is nearly absent",
                );
                None
            }
            RawInitialValue::Text(t) => {
                let written = t.get_ref().trim();
                let hint = if written.parse::<f64>().is_ok() {
                    format!("remove the quotes: {} = {written}", actor_name.get_ref())
                } else {
                    "the observed starting point is not a parameter".to_string()
                };
                self.error_hint(t.span(), "an initial share must be a plain number", hint);
                None
            }
        }
    }

    /// Every target and channel needs its `[initial.T.C]`; whether each has one.
    fn every_pair_given(&mut self, seen: &[bool], declared: &Declared) -> bool {
        let mut missing = Vec::new();
        for (t, target) in declared.targets.iter().enumerate() {
            for (c, channel) in declared.channels.iter().enumerate() {
                if !seen[t * declared.channels.len() + c] {
                    missing.push(format!("[initial.{target}.{channel}]"));
                }
            }
        }
        if missing.is_empty() || declared.channels.is_empty() {
            return true;
        }
        let shown: Vec<String> = missing.iter().take(6).cloned().collect();
        let more = if missing.len() > 6 {
            format!(" and {} more", missing.len() - 6)
        } else {
            String::new()
        };
        self.error_hint(
            0..0,
            format!(
                "initial shares missing for {} target/channel pairs",
                missing.len()
            ),
            format!("add {}{more}", shown.join(", ")),
        );
        false
    }
}
