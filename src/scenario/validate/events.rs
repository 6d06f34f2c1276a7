//! `[events]`: discrete happenings with a yearly hazard, a window of years and an optional
//! condition, and their effects — jumps, persistent drift changes, forced regime states.

use std::ops::Range;

use indexmap::IndexMap;
use toml::Spanned;

use super::number::{PROBABILITY, Place, RATE, REPEAT_HAZARD, is_expression};
use super::selection::selection_key;
use super::{Declared, Horizon, Validator, text};
use crate::diagnostic::unknown_name_hint;
use crate::expr::{Expr, Names, Type};
use crate::scenario::raw::{Name, Number, RawEvent, RawEventEffect, RawNumber};
use crate::scenario::{CellShift, Driver, DriverKind, Event, Value};

/// What an event's effects do when it fires.
#[derive(Default)]
struct Effects {
    jumps: Vec<CellShift>,
    drifts: Vec<CellShift>,
    /// (driver, state) forced.
    regime_changes: Vec<(usize, usize)>,
}

impl Validator<'_> {
    pub(super) fn events(
        &mut self,
        events: IndexMap<Name, Spanned<RawEvent>>,
        declared: &Declared,
        drivers: &[Driver],
        names: &Names,
        horizon: &Horizon,
    ) -> Vec<Event> {
        let mut out = Vec::new();
        for (name, event) in events {
            if let Some(event) = self.event(name, event, declared, drivers, names, horizon) {
                out.push(event);
            }
        }
        out
    }

    fn event(
        &mut self,
        name: Name,
        event: Spanned<RawEvent>,
        declared: &Declared,
        drivers: &[Driver],
        names: &Names,
        horizon: &Horizon,
    ) -> Option<Event> {
        self.identifier(&name);
        let span = event.span();
        let event = event.into_inner();
        let ename = name.into_inner();
        let repeat = event.repeat.as_ref().is_some_and(|r| *r.get_ref());
        // A repeatable event is a Poisson process: a hazard of exactly 1 would be an
        // infinite rate.
        let bounds = if repeat { REPEAT_HAZARD } else { PROBABILITY };
        let mut hazard_of_state = None;
        let hazard = match &event.hazard {
            Some(h) => match self.hazard_of_state(h, names) {
                Some(found) => {
                    hazard_of_state = Some(found?);
                    Some(Value::Const(0.0))
                }
                None => self.number(h, &Place::at(&format!("events.{ename}"), "hazard"), bounds),
            },
            None => {
                self.error_hint(
                    span.clone(),
                    format!("event `{ename}` has no `hazard`"),
                    "add hazard = 0.1 (its probability per year)",
                );
                None
            }
        };
        let window = self.window(&event.window, horizon);
        let condition = self.condition(&event.when, names);
        let effects = self.event_effects(&ename, &event, span, declared, drivers);
        let (hazard, window, condition, effects) = (hazard?, window?, condition?, effects?);
        Some(Event {
            name: ename,
            description: text(event.description),
            source: text(event.source),
            hazard,
            hazard_of_state,
            window,
            repeat,
            condition,
            condition_text: event.when.as_ref().map(|w| w.get_ref().clone()),
            jumps: effects.jumps,
            drifts: effects.drifts,
            regime_changes: effects.regime_changes,
        })
    }

    /// A hazard that reads the state of the run: `None` when `hazard` does not (a number, a
    /// parameter, a distribution, an expression of parameters); `Some(None)` when it does and
    /// is wrong (reported).
    fn hazard_of_state(
        &mut self,
        hazard: &Number,
        names: &Names,
    ) -> Option<Option<(Expr, String)>> {
        let RawNumber::Text(text) = hazard.get_ref() else {
            return None;
        };
        if !is_expression(text) {
            return None;
        }
        let ast = crate::expr::parse::parse(text).ok()?;
        ast.first_state_read()?;
        let written = Spanned::new(hazard.span(), text.clone());
        let Some((expr, ty)) = self.expression(&written, names) else {
            return Some(None);
        };
        if ty == Type::Condition {
            self.error_hint(
                hazard.span(),
                "`hazard` must be a number, and this is a condition",
                "a condition counts as 1 or 0 when multiplied by a number: '0.02 + 0.1 * (regime(\"war\") == \"gains\")'",
            );
            return Some(None);
        }
        Some(Some((expr, text.clone())))
    }

    /// The calendar years in which an event may fire, clipped to the simulated years.
    fn window(
        &mut self,
        window: &Option<Spanned<Vec<Spanned<i64>>>>,
        horizon: &Horizon,
    ) -> Option<(i32, i32)> {
        let Some(w) = window else {
            return Some((horizon.start + 1, horizon.end));
        };
        match w.get_ref().as_slice() {
            [from, to] if from.get_ref() <= to.get_ref() => {
                let (from, to) = (*from.get_ref(), *to.get_ref());
                if to <= i64::from(horizon.start) || from > i64::from(horizon.end) {
                    self.error_hint(
                        w.span(),
                        format!(
                            "window [{from}, {to}] lies outside the simulated years {}–{}",
                            horizon.start + 1,
                            horizon.end
                        ),
                        "the first simulated year is the one after `start`",
                    );
                    None
                } else {
                    Some((
                        from.max(i64::from(horizon.start) + 1) as i32,
                        to.min(i64::from(horizon.end)) as i32,
                    ))
                }
            }
            [from, to] => {
                self.error(
                    w.span(),
                    format!(
                        "window [{}, {}] ends before it starts",
                        from.get_ref(),
                        to.get_ref()
                    ),
                );
                None
            }
            _ => {
                self.error_hint(
                    w.span(),
                    "a window is two years",
                    "write window = [2024, 2030] (inclusive)",
                );
                None
            }
        }
    }

    /// `when`, compiled: `Some(None)` when there is none, `None` when it is wrong.
    fn condition(&mut self, when: &Option<Spanned<String>>, names: &Names) -> Option<Option<Expr>> {
        let Some(when) = when else {
            return Some(None);
        };
        match self.expression(when, names) {
            Some((expr, Type::Condition)) => Some(Some(expr)),
            Some((_, Type::Number)) => {
                self.error_hint(
                    when.span(),
                    "`when` must be a condition, but this is a number",
                    "compare it, e.g. share(\"kazakhstan\", \"russia\") < 0.3",
                );
                None
            }
            None => None,
        }
    }

    fn event_effects(
        &mut self,
        ename: &str,
        event: &RawEvent,
        span: Range<usize>,
        declared: &Declared,
        drivers: &[Driver],
    ) -> Option<Effects> {
        let mut effects = Effects::default();
        let mut ok = true;
        if event.effects.is_empty() {
            self.error_hint(
                span,
                format!("event `{ename}` has no effects"),
                format!(
                    "add [[events.{ename}.effects]] with a jump, a drift, or a driver and state"
                ),
            );
            ok = false;
        }
        let owner = format!("events.{ename}.effects");
        for effect in &event.effects {
            ok &= self.event_effect(&owner, effect, declared, drivers, &mut effects);
        }
        ok.then_some(effects)
    }

    /// One effect of the event whose effects are `owner`, into `effects`; whether it is right.
    fn event_effect(
        &mut self,
        owner: &str,
        effect: &Spanned<RawEventEffect>,
        declared: &Declared,
        drivers: &[Driver],
        effects: &mut Effects,
    ) -> bool {
        let effect_span = effect.span();
        let effect = effect.get_ref();
        if effect.driver.is_some() || effect.state.is_some() {
            return self.regime_change(effect, effect_span, drivers, &mut effects.regime_changes);
        }
        if effect.jump.is_none() && effect.drift.is_none() {
            self.error_hint(effect_span, "an effect needs a `jump`, a `drift`, or a `driver` and `state`", "jump = 0.2 adds to the log-strength once; drift = 0.01 changes the yearly drift from then on");
            return false;
        }
        let selection = selection_key(&effect.actors, &effect.targets, &effect.channels);
        let path = |key: &str| Place::selecting(owner, &selection, key);
        let cells = self.cells(&effect.actors, &effect.targets, &effect.channels, declared);
        let jump = self.optional_number(&effect.jump, &path("jump"), RATE);
        let drift = self.optional_number(&effect.drift, &path("drift"), RATE);
        let (Some(cells), Some(jump), Some(drift)) = (cells, jump, drift) else {
            return false;
        };
        for &cell in &cells {
            if let Some(amount) = jump {
                effects.jumps.push(CellShift { cell, amount });
            }
            if let Some(amount) = drift {
                effects.drifts.push(CellShift { cell, amount });
            }
        }
        true
    }

    /// An effect that forces a regime into a state, into `changes`; whether it is right.
    fn regime_change(
        &mut self,
        effect: &RawEventEffect,
        span: Range<usize>,
        drivers: &[Driver],
        changes: &mut Vec<(usize, usize)>,
    ) -> bool {
        let (Some(driver), Some(state)) = (&effect.driver, &effect.state) else {
            self.error_hint(
                span,
                "a regime change needs both `driver` and `state`",
                "write driver = \"war\" and state = \"ceasefire\"",
            );
            return false;
        };
        let mut ok = true;
        for (key, s) in [
            ("jump", effect.jump.as_ref().map(Spanned::span)),
            ("drift", effect.drift.as_ref().map(Spanned::span)),
            ("actors", effect.actors.as_ref().map(Spanned::span)),
            ("targets", effect.targets.as_ref().map(Spanned::span)),
            ("channels", effect.channels.as_ref().map(Spanned::span)),
        ] {
            if let Some(s) = s {
                self.error_hint(
                    s,
                    format!("`{key}` cannot be in the same effect as a regime change"),
                    "put it in an effect of its own",
                );
                ok = false;
            }
        }
        match self.regime_state(driver, state, drivers) {
            Some(change) => changes.push(change),
            None => ok = false,
        }
        ok
    }

    fn regime_state(
        &mut self,
        driver: &Name,
        state: &Name,
        drivers: &[Driver],
    ) -> Option<(usize, usize)> {
        let regimes: Vec<&str> = drivers
            .iter()
            .filter(|d| matches!(d.kind, DriverKind::Regime(_)))
            .map(|d| d.name.as_str())
            .collect();
        let Some(index) = drivers.iter().position(|d| d.name == *driver.get_ref()) else {
            let hint = unknown_name_hint(driver.get_ref(), "regime drivers", regimes);
            self.error_hint(
                driver.span(),
                format!("unknown driver `{}`", driver.get_ref()),
                hint,
            );
            return None;
        };
        let DriverKind::Regime(regime) = &drivers[index].kind else {
            self.error_hint(
                driver.span(),
                format!(
                    "`{}` is a factor, and only a regime can be forced to a state",
                    driver.get_ref()
                ),
                format!("regime drivers: {}", regimes.join(", ")),
            );
            return None;
        };
        match regime.states.iter().position(|s| s == state.get_ref()) {
            Some(s) => Some((index, s)),
            None => {
                let hint = unknown_name_hint(
                    state.get_ref(),
                    "its states",
                    regime.states.iter().map(String::as_str),
                );
                self.error_hint(
                    state.span(),
                    format!(
                        "`{}` is not a state of regime `{}`",
                        state.get_ref(),
                        driver.get_ref()
                    ),
                    hint,
                );
                None
            }
        }
    }
}
