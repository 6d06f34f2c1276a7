//! `[drivers]`: regime chains (Markov, moving once a year between named states) and factors
//! (AR(1)), and their effects, which shift the drift of the cells they select — by state for a
//! regime, per unit of its value for a factor. A regime's `transitions` are checked in
//! `transitions`.

use std::ops::Range;

use indexmap::IndexMap;
use toml::Spanned;

use super::number::{FACTOR_LIMIT, FACTOR_SD, PERSISTENCE, Place, RATE};
use super::selection::selection_key;
use super::{Declared, Validator, round, text};
use crate::diagnostic::unknown_name_hint;
use crate::scenario::raw::{Name, Number, RawDriver, RawNumberOrName};
use crate::scenario::{CellShift, Driver, DriverKind, Factor, Regime, Value};

impl Validator<'_> {
    /// Every driver, a stand-in for one with a mistake (see below).
    pub(super) fn drivers(
        &mut self,
        drivers: IndexMap<Name, Spanned<RawDriver>>,
        declared: &Declared,
    ) -> Vec<Driver> {
        let mut out = Vec::new();
        for (name, driver) in drivers {
            self.identifier(&name);
            let span = driver.span();
            let driver = driver.into_inner();
            let kind = match driver.kind.as_ref().map(|k| k.get_ref().as_str()) {
                Some("regime") => self
                    .regime(&name, &driver, span, declared)
                    .map(DriverKind::Regime),
                Some("factor") => self
                    .factor(&name, &driver, span, declared)
                    .map(DriverKind::Factor),
                Some(other) => {
                    let hint = unknown_name_hint(other, "driver types", ["regime", "factor"]);
                    self.error_hint(
                        driver.kind.as_ref().map_or(span, Spanned::span),
                        format!("unknown driver type `{other}`"),
                        hint,
                    );
                    None
                }
                None => {
                    self.error_hint(span, format!("driver `{}` has no `type`", name.get_ref()), "add type = \"regime\" (a Markov chain of states) or type = \"factor\" (an AR(1) process)");
                    None
                }
            };
            // A driver with a mistake is still declared: a stand-in keeps its name and states
            // known, so that its uses (conditions, forced states, metrics) are not each reported
            // as unknown on top of the real mistake. Its mistake is reported, so the scenario
            // holding a stand-in is never returned.
            let kind = match kind {
                Some(kind) => Some(kind),
                None => {
                    self.stand_ins = true;
                    stand_in(&driver)
                }
            };
            if let Some(kind) = kind {
                out.push(Driver {
                    name: name.into_inner(),
                    description: text(driver.description),
                    source: text(driver.source),
                    kind,
                });
            }
        }
        out
    }

    fn regime(
        &mut self,
        name: &Name,
        driver: &RawDriver,
        span: Range<usize>,
        declared: &Declared,
    ) -> Option<Regime> {
        let name = name.get_ref();
        for (key, present) in [
            (
                "persistence",
                driver.persistence.as_ref().map(Spanned::span),
            ),
            ("sd", driver.sd.as_ref().map(Spanned::span)),
        ] {
            if let Some(s) = present {
                self.error_hint(
                    s,
                    format!("`{key}` belongs to factor drivers, not regimes"),
                    "remove it, or set type = \"factor\"",
                );
            }
        }
        let Some(states) = &driver.states else {
            self.error_hint(
                span,
                format!("regime `{name}` has no `states`"),
                "add states = [\"a\", \"b\"]",
            );
            return None;
        };
        let names = self.regime_states(name, states)?;
        let initial = self.regime_initial(name, &names, &driver.initial, &span);
        let transitions = self.transitions(name, &names, driver, span);
        let shifts = self.regime_effects(name, &names, driver, declared);
        let ((initial, initial_chances), transitions, shifts) = (initial?, transitions?, shifts?);
        Some(Regime {
            states: names,
            initial,
            initial_chances,
            transitions,
            shifts,
        })
    }

    /// A regime's states, each named once; `None` if there are none.
    fn regime_states(&mut self, name: &str, states: &Spanned<Vec<Name>>) -> Option<Vec<String>> {
        let mut names: Vec<String> = Vec::new();
        for state in states.get_ref() {
            if !self.identifier(state) {
                continue;
            }
            if names.contains(state.get_ref()) {
                self.error(
                    state.span(),
                    format!("state `{}` is listed twice", state.get_ref()),
                );
            } else {
                names.push(state.get_ref().clone());
            }
        }
        if names.is_empty() {
            self.error(
                states.span(),
                format!("regime `{name}` needs at least one state"),
            );
            return None;
        }
        Some(names)
    }

    /// The state a regime starts in, by its index in `states`, and the probability of each
    /// state when the start is uncertain.
    fn regime_initial(
        &mut self,
        name: &str,
        states: &[String],
        initial: &Option<Spanned<RawNumberOrName>>,
        span: &Range<usize>,
    ) -> Option<(usize, Option<Vec<f64>>)> {
        let Some(init) = initial else {
            self.error_hint(
                span.clone(),
                format!("regime `{name}` has no `initial` state"),
                format!("add initial = \"{}\"", states[0]),
            );
            return None;
        };
        match init.get_ref() {
            RawNumberOrName::Name(s) => {
                let found = states.iter().position(|n| n == s);
                if found.is_none() {
                    let hint =
                        unknown_name_hint(s, "its states", states.iter().map(String::as_str));
                    self.error_hint(
                        init.span(),
                        format!("`{s}` is not a state of regime `{name}`"),
                        hint,
                    );
                }
                found.map(|i| (i, None))
            }
            RawNumberOrName::Chances(chances) => self.initial_chances(name, states, chances, init),
            RawNumberOrName::Number(_) => {
                self.error(
                    init.span(),
                    "a regime's initial state must be a state name in quotes",
                );
                None
            }
        }
    }

    /// `initial = { STATE = p, … }`: probabilities in [0, 1] of known states, summing to 1
    /// (states left out have probability 0).
    fn initial_chances(
        &mut self,
        name: &str,
        states: &[String],
        chances: &IndexMap<String, Spanned<f64>>,
        init: &Spanned<RawNumberOrName>,
    ) -> Option<(usize, Option<Vec<f64>>)> {
        let mut probabilities = vec![0.0; states.len()];
        let mut ok = true;
        for (state, p) in chances {
            let Some(i) = states.iter().position(|s| s == state) else {
                let hint =
                    unknown_name_hint(state, "its states", states.iter().map(String::as_str));
                self.error_hint(
                    p.span(),
                    format!("`{state}` is not a state of regime `{name}`"),
                    hint,
                );
                ok = false;
                continue;
            };
            let value = *p.get_ref();
            if !(0.0..=1.0).contains(&value) {
                self.error(
                    p.span(),
                    format!("the probability of starting in `{state}` must be within [0, 1], got {value}"),
                );
                ok = false;
            }
            probabilities[i] = value;
        }
        if !ok {
            return None;
        }
        let total: f64 = probabilities.iter().sum();
        if (total - 1.0).abs() > 1e-9 {
            self.error_hint(
                init.span(),
                format!(
                    "the probabilities of regime `{name}`'s initial states sum to {}, not 1",
                    round(total)
                ),
                "e.g. initial = { setback = 0.55, stalemate = 0.45 }",
            );
            return None;
        }
        // The likeliest state stands for the start where one state is shown.
        let likeliest = (0..states.len()).fold(0, |best, i| {
            if probabilities[i] > probabilities[best] {
                i
            } else {
                best
            }
        });
        Some((likeliest, Some(probabilities)))
    }

    /// A regime's effects: the drift shifts while it is in each state, `shifts[state]`.
    fn regime_effects(
        &mut self,
        name: &str,
        states: &[String],
        driver: &RawDriver,
        declared: &Declared,
    ) -> Option<Vec<Vec<CellShift>>> {
        let mut shifts = vec![Vec::new(); states.len()];
        let mut ok = true;
        for effect in &driver.effects {
            let effect_span = effect.span();
            let effect = effect.get_ref();
            let state = match &effect.state {
                None => {
                    self.error_hint(
                        effect_span.clone(),
                        "a regime's effect needs the `state` it applies in",
                        format!("add state = \"{}\"", states[0]),
                    );
                    None
                }
                Some(s) => {
                    let found = states.iter().position(|n| n == s.get_ref());
                    if found.is_none() {
                        let hint = unknown_name_hint(
                            s.get_ref(),
                            "its states",
                            states.iter().map(String::as_str),
                        );
                        self.error_hint(
                            s.span(),
                            format!("`{}` is not a state of regime `{name}`", s.get_ref()),
                            hint,
                        );
                    }
                    found
                }
            };
            let cells = self.cells(&effect.actors, &effect.targets, &effect.channels, declared);
            let in_state = effect.state.as_ref().map_or("", |s| s.get_ref().as_str());
            let place = Place::selecting(
                &format!("drivers.{name}.effects.{in_state}"),
                &selection_key(&effect.actors, &effect.targets, &effect.channels),
                "drift",
            );
            let drift = self.effect_drift(&effect.drift, &place, effect_span);
            match (state, cells, drift) {
                (Some(state), Some(cells), Some(amount)) => {
                    shifts[state].extend(cells.into_iter().map(|cell| CellShift { cell, amount }));
                }
                _ => ok = false,
            }
        }
        ok.then_some(shifts)
    }

    fn effect_drift(
        &mut self,
        drift: &Option<Number>,
        place: &Place,
        span: Range<usize>,
    ) -> Option<Value> {
        match drift {
            Some(d) => self.number(d, place, RATE),
            None => {
                self.error_hint(
                    span,
                    "a driver's effect needs a `drift`",
                    "add drift = -0.05 (change of the yearly drift)",
                );
                None
            }
        }
    }

    fn factor(
        &mut self,
        name: &Name,
        driver: &RawDriver,
        span: Range<usize>,
        declared: &Declared,
    ) -> Option<Factor> {
        let name = name.get_ref();
        for (key, present) in [
            ("states", driver.states.as_ref().map(Spanned::span)),
            (
                "transitions",
                driver.transitions.as_ref().map(Spanned::span),
            ),
        ] {
            if let Some(s) = present {
                self.error_hint(
                    s,
                    format!("`{key}` belongs to regime drivers, not factors"),
                    "remove it, or set type = \"regime\"",
                );
            }
        }
        let persistence = match &driver.persistence {
            Some(p) => self.number(
                p,
                &Place::at(&format!("drivers.{name}"), "persistence"),
                PERSISTENCE,
            ),
            None => {
                self.error_hint(
                    span,
                    format!("factor `{name}` has no `persistence`"),
                    "add persistence = 0.6 (its AR(1) coefficient over one year)",
                );
                None
            }
        };
        let sd = self.optional_number(
            &driver.sd,
            &Place::at(&format!("drivers.{name}"), "sd"),
            FACTOR_SD,
        );
        let initial = match &driver.initial {
            None => Some(0.0),
            Some(init) => match init.get_ref() {
                RawNumberOrName::Number(v) if v.abs() <= FACTOR_LIMIT => Some(*v),
                _ => {
                    self.error_hint(
                        init.span(),
                        format!("a factor's initial value must be a plain number within ±{FACTOR_LIMIT}"),
                        "factors are measured in standard deviations; their effects give the drift per unit",
                    );
                    None
                }
            },
        };
        let mut shifts = Vec::new();
        let mut ok = true;
        for effect in &driver.effects {
            let effect_span = effect.span();
            let effect = effect.get_ref();
            if let Some(s) = &effect.state {
                self.error_hint(
                    s.span(),
                    "a factor has no states",
                    "a factor's effect applies in proportion to its value; remove `state`",
                );
                ok = false;
            }
            let cells = self.cells(&effect.actors, &effect.targets, &effect.channels, declared);
            let place = Place::selecting(
                &format!("drivers.{name}.effects"),
                &selection_key(&effect.actors, &effect.targets, &effect.channels),
                "drift",
            );
            let drift = self.effect_drift(&effect.drift, &place, effect_span);
            match (cells, drift) {
                (Some(cells), Some(amount)) => {
                    shifts.extend(cells.into_iter().map(|cell| CellShift { cell, amount }))
                }
                _ => ok = false,
            }
        }
        let (persistence, sd, initial) = (persistence?, sd?, initial?);
        ok.then_some(Factor {
            persistence,
            sd: sd.unwrap_or(Value::Const(1.0)),
            initial,
            shifts,
        })
    }
}

/// What stands for a driver that has a mistake: a factor, or a regime with the states as
/// written (`None` when they are not known), with no motion and no effects.
fn stand_in(driver: &RawDriver) -> Option<DriverKind> {
    if driver.kind.as_ref().map(|k| k.get_ref().as_str()) == Some("factor") {
        return Some(DriverKind::Factor(Factor {
            persistence: Value::Const(0.0),
            sd: Value::Const(1.0),
            initial: 0.0,
            shifts: Vec::new(),
        }));
    }
    let mut states: Vec<String> = Vec::new();
    for state in driver.states.as_ref()?.get_ref() {
        if !states.contains(state.get_ref()) {
            states.push(state.get_ref().clone());
        }
    }
    Some(DriverKind::Regime(Regime {
        shifts: vec![Vec::new(); states.len()],
        transitions: Vec::new(),
        initial: 0,
        initial_chances: None,
        states,
    }))
}
