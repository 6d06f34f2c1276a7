//! `[initial.TARGET.CHANNEL]`: every actor's share at the start, autonomy the remainder, in
//! every target and channel.

use toml::Spanned;

use super::number::{INITIAL_SHARE, Place};
use super::transitions::CONCENTRATION;
use super::{Declared, Validator, quote_list, round};
use crate::expr::{BinaryOp, Expr};
use crate::scenario::raw::{Name, RawInitial, RawInitialValue, RawNumber};
use crate::scenario::{AUTONOMY, Derived, Value};

/// One `[initial.T.C]` table: actor (or `source`) → value.
type RawRow = indexmap::IndexMap<Name, RawInitialValue>;

impl Validator<'_> {
    /// The initial share of every cell, indexed like [`crate::scenario::Scenario::cell`]: as
    /// nominal numbers (a parameter's median) and as written (constants or parameters).
    pub(super) fn initial(
        &mut self,
        initial: RawInitial,
        declared: &Declared,
    ) -> Option<(Vec<f64>, Vec<Value>)> {
        let n_slots = declared.actors.len() + 1;
        let n_cells = declared.targets.len() * declared.channels.len() * n_slots;
        let mut shares = vec![f64::NAN; n_cells];
        let mut values = vec![Value::Const(f64::NAN); n_cells];
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
                let cells = pair * n_slots..(pair + 1) * n_slots;
                ok &= self.initial_row(
                    (target_name, channel_name),
                    row,
                    declared,
                    &mut shares[cells.clone()],
                    &mut values[cells],
                );
            }
        }
        ok &= self.every_pair_given(&seen, declared);
        ok.then_some((shares, values))
    }

    /// The shares of one target and channel into `slots` (every actor, then autonomy);
    /// whether they are right.
    fn initial_row(
        &mut self,
        (target_name, channel_name): (&Name, &Name),
        row: &Spanned<RawRow>,
        declared: &Declared,
        slots: &mut [f64],
        values: &mut [Value],
    ) -> bool {
        let mut ok = true;
        // The sum of the nominal shares, and of the highest each can draw.
        let (mut sum, mut highest) = (0.0, 0.0);
        let owner = format!(
            "initial.{}.{}",
            target_name.get_ref(),
            channel_name.get_ref()
        );
        let mut present = vec![false; declared.actors.len()];
        let mut concentration = None;
        for (actor_name, value) in row.get_ref() {
            if actor_name.get_ref() == "source" {
                if let RawInitialValue::Share(v) = value {
                    self.error(v.span(), "`source` must be text");
                }
                continue;
            }
            if actor_name.get_ref() == CONCENTRATION {
                match value {
                    RawInitialValue::Share(c) if *c.get_ref() > 0.0 && *c.get_ref() <= 1e6 => {
                        concentration = Some((*c.get_ref(), c.span()));
                    }
                    RawInitialValue::Share(c) => {
                        self.error(
                            c.span(),
                            format!(
                                "`concentration` must be within (0, 1000000], got {}",
                                c.get_ref()
                            ),
                        );
                        ok = false;
                    }
                    RawInitialValue::Text(t) => {
                        self.error_hint(
                            t.span(),
                            "`concentration` must be a plain number",
                            "a Dirichlet cell is its shares (the means) and one concentration, e.g. concentration = 80",
                        );
                        ok = false;
                    }
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
            match self.initial_share(&owner, actor_name, value) {
                Some(share) => {
                    let (_, nominal, top) = self.spread(share);
                    sum += nominal;
                    highest += top;
                    slots[actor] = nominal;
                    values[actor] = share;
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
                "every actor needs an initial share in every target and channel (0 where it is absent)",
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
        } else if let Some((c, at)) = concentration {
            slots[slots.len() - 1] = 1.0 - sum;
            let last = values.len() - 1;
            values[last] = Value::Const(1.0 - sum);
            ok && self.dirichlet_cell(&owner, declared, (c, at), slots, values)
        } else if highest >= 1.0 - 1e-12 {
            self.error_hint(
                row.span(),
                format!(
                    "initial shares of {}/{} can sum to {} (each at its highest), leaving no autonomy",
                    target_name.get_ref(),
                    channel_name.get_ref(),
                    round(highest)
                ),
                "autonomy is the remainder in every run, so the highest values the actors' shares can draw must sum to less than 1: narrow their distributions",
            );
            false
        } else {
            slots[slots.len() - 1] = 1.0 - sum;
            let last = values.len() - 1;
            values[last] = Value::Const(1.0 - sum);
            ok
        }
    }

    /// A cell with `concentration`: every run draws its shares from the Dirichlet of that
    /// concentration around the shares written (autonomy the rest), each actor's share a
    /// derived value of the sticks before it.
    fn dirichlet_cell(
        &mut self,
        owner: &str,
        declared: &Declared,
        (concentration, at): (f64, std::ops::Range<usize>),
        slots: &[f64],
        values: &mut [Value],
    ) -> bool {
        if let Some(drawn) = values.iter().position(|v| v.is_drawn()) {
            self.error_hint(
                at,
                format!(
                    "a Dirichlet cell (with `concentration`) takes plain numbers as its means, but {}'s share is drawn",
                    declared.actors[drawn]
                ),
                "write the cell's shares as numbers: each run draws them around those",
            );
            return false;
        }
        let mut names: Vec<&str> = declared.actors.iter().map(String::as_str).collect();
        names.push(AUTONOMY);
        let sticks = self.dirichlet_sticks(owner, &names, slots, concentration);
        // Share i = its stick × what the sticks before it leave.
        let mut left: Vec<Expr> = Vec::new();
        for (a, stick) in sticks.iter().enumerate().take(declared.actors.len()) {
            let Some(p) = *stick else {
                continue;
            };
            let fraction = Expr::Param { param: p };
            let expr = if left.is_empty() {
                fraction.clone()
            } else {
                Expr::Chain(
                    Box::new(fraction.clone()),
                    left.iter().map(|e| (BinaryOp::Mul, e.clone())).collect(),
                )
            };
            left.push(Expr::Binary(
                BinaryOp::Sub,
                Box::new(Expr::Const(1.0)),
                Box::new(fraction),
            ));
            self.derived.push(Derived {
                name: format!("{owner}.{}", declared.actors[a]),
                expr,
                text: format!(
                    "{} on average, Dirichlet of concentration {}",
                    round(slots[a]),
                    round(concentration)
                ),
                description: String::new(),
                source: String::new(),
                inline: true,
            });
            values[a] = Value::Derived(self.derived.len() - 1);
        }
        true
    }

    /// One actor's initial share: a number within [0, 1) (0: absent), a parameter's name or a
    /// distribution whose values all lie within (0, 1).
    fn initial_share(
        &mut self,
        owner: &str,
        actor_name: &Name,
        value: &RawInitialValue,
    ) -> Option<Value> {
        let number = match value {
            // 0: the actor is absent there (its strength stays nil whatever moves it).
            RawInitialValue::Share(v) if *v.get_ref() == 0.0 => return Some(Value::Const(0.0)),
            RawInitialValue::Share(v) if !(*v.get_ref() > 0.0 && *v.get_ref() < 1.0) => {
                self.error_hint(
                    v.span(),
                    format!(
                        "an initial share must be within [0, 1), got {}",
                        v.get_ref()
                    ),
                    "a share is a fraction of the cell; 0 means the actor is absent there",
                );
                return None;
            }
            RawInitialValue::Share(v) => Spanned::new(v.span(), RawNumber::Constant(*v.get_ref())),
            RawInitialValue::Text(t) => {
                Spanned::new(t.span(), RawNumber::Text(t.get_ref().clone()))
            }
        };
        self.number(
            &number,
            &Place::at(owner, actor_name.get_ref()),
            INITIAL_SHARE,
        )
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
