//! A number slot of the file — `drift`, `hazard`, `floor` and the like — resolved to a
//! [`Value`]: a constant, a named parameter, or a distribution written inline, which becomes an
//! anonymous parameter named after where it is written ([`Validator::inline_name`], the one
//! function that names them, and so keys their random streams). Each slot has its allowed
//! range, a [`Bounds`], checked over the whole support of a distribution.

use std::ops::Range;

use toml::Spanned;

use super::{Validator, round, show};
use crate::diagnostic::unknown_name_hint;
use crate::distribution::Distribution;
use crate::expr::{Expr, Names, Type};
use crate::scenario::raw::{Number, RawNumber};
use crate::scenario::{Derived, Param, Value, derive};

/// Whether text in a number's place is an expression of parameters.
enum Expression {
    /// It is, and is this derived parameter.
    Derived(Value),
    /// It is meant as one, and its problems are reported.
    Refused,
    /// It is not one: the text is judged as a name.
    NotOne,
}

/// Most uncertain parameters a computed number in a bounded slot may read: its range is
/// checked at every corner of theirs (2¹² evaluations).
const MAX_CORNERS: usize = 12;

/// Allowed range of a number, and how messages say it.
#[derive(Clone, Copy)]
pub(super) struct Bounds {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) lo_open: bool,
    pub(super) hi_open: bool,
    pub(super) text: &'static str,
}

pub(super) const NON_NEGATIVE: Bounds = Bounds {
    lo: 0.0,
    hi: f64::INFINITY,
    lo_open: false,
    hi_open: true,
    text: "must be ≥ 0",
};
pub(super) const POSITIVE: Bounds = Bounds {
    lo: 0.0,
    hi: f64::INFINITY,
    lo_open: true,
    hi_open: true,
    text: "must be > 0",
};
pub(super) const PROBABILITY: Bounds = Bounds {
    lo: 0.0,
    hi: 1.0,
    lo_open: false,
    hi_open: false,
    text: "must be a probability within [0, 1]",
};
pub(super) const REPEAT_HAZARD: Bounds = Bounds {
    lo: 0.0,
    hi: 1.0,
    lo_open: false,
    hi_open: true,
    text: "of a repeatable event must be within [0, 1) (1 would mean it happens infinitely often)",
};
pub(super) const INITIAL_SHARE: Bounds = Bounds {
    lo: 0.0,
    hi: 1.0,
    lo_open: true,
    hi_open: true,
    text: "must be a share within (0, 1)",
};
pub(super) const FLOOR: Bounds = Bounds {
    lo: 0.0,
    hi: 1.0,
    lo_open: false,
    hi_open: true,
    text: "must be a share within [0, 1)",
};
pub(super) const CEILING: Bounds = Bounds {
    lo: 0.0,
    hi: 1.0,
    lo_open: true,
    hi_open: false,
    text: "must be a share within (0, 1]",
};
pub(super) const PERSISTENCE: Bounds = Bounds {
    lo: 0.0,
    hi: 1.0,
    lo_open: false,
    hi_open: true,
    text: "must be within [0, 1)",
};
/// Largest magnitude of a factor's initial value and standard deviation: far beyond any use,
/// small enough that drift shifts times the factor stay finite.
pub(super) const FACTOR_LIMIT: f64 = 1e6;
pub(super) const FACTOR_SD: Bounds = Bounds {
    lo: 0.0,
    hi: FACTOR_LIMIT,
    lo_open: false,
    hi_open: false,
    text: "must be within [0, 1000000]",
};
/// Guards against strengths overflowing: e^50 is already absurd for a yearly log-change.
pub(super) const RATE: Bounds = Bounds {
    lo: -50.0,
    hi: 50.0,
    lo_open: false,
    hi_open: false,
    text: "must be within [-50, 50] per year",
};

impl Bounds {
    fn contains(&self, v: f64) -> bool {
        let above = if self.lo_open {
            v > self.lo
        } else {
            v >= self.lo
        };
        let below = if self.hi_open {
            v < self.hi
        } else {
            v <= self.hi
        };
        v.is_finite() && above && below
    }
}

/// Where a number is written. It names an inline distribution written there, whose random
/// stream is keyed by that name, and the key in messages.
pub(super) struct Place {
    /// What holds the number: `events.coercion`, `dynamics`, `events.coercion.effects`,
    /// `drivers.war.effects.setback` (a regime's effects in one state).
    owner: String,
    /// For a rule or an effect, which selects cells: its selection as written,
    /// `ACTORS;TARGETS;CHANNELS`.
    selection: Option<String>,
    /// The key, e.g. `hazard`, `drift`, `reversion.level`.
    key: String,
}

impl Place {
    /// A number at a key path that names it alone, such as `events.coercion.hazard`.
    pub(super) fn at(owner: &str, key: &str) -> Place {
        Place {
            owner: owner.to_string(),
            selection: None,
            key: key.to_string(),
        }
    }

    /// A number in a rule or an effect that selects cells.
    pub(super) fn selecting(owner: &str, selection: &str, key: &str) -> Place {
        Place {
            owner: owner.to_string(),
            selection: Some(selection.to_string()),
            key: key.to_string(),
        }
    }

    /// The whole place, as in the names of inline distributions but without a rank:
    /// `events.coercion.hazard`, `dynamics[russia;all;all].drift`.
    fn path(&self) -> String {
        match &self.selection {
            None => format!("{}.{}", self.owner, self.key),
            Some(selection) => format!("{}[{selection}].{}", self.owner, self.key),
        }
    }

    /// The key as messages name it: its last part, in backticks.
    fn key_in_messages(&self) -> String {
        path_key(&self.key)
    }
}

impl Validator<'_> {
    /// Parses an inline distribution, reporting errors at their place inside the string.
    pub(super) fn distribution(
        &mut self,
        written: &str,
        span: Range<usize>,
    ) -> Option<Distribution> {
        match Distribution::parse(written) {
            Ok(d) => Some(d),
            Err((offset, message)) => {
                // Cover the word at the offset (a misspelt name), or one character.
                let word = written.get(offset..).map_or(0, |rest| {
                    rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(rest.len())
                });
                let at = self.inner_span(&span, written, offset..offset + word.max(1));
                self.error_hint(at, message, "distributions: fixed(v), normal(mean, sd), lognormal(mu, sigma), uniform(low, high), triangular(low, mode, high), beta(alpha, beta), pert(low, mode, high), quantiles(5% = a, 50% = b, 95% = c[, low = l, high = h])");
                None
            }
        }
    }

    /// The name of an inline distribution written at `place` — the one rule that names them,
    /// and so keys their random streams. A distribution is named by what holds it and, in a
    /// rule or an effect, by what that selects, never by a position:
    /// `events.coercion.hazard`, `dynamics[russia;all;all].drift`,
    /// `events.coercion.effects[russia;kazakhstan;security].jump`,
    /// `drivers.war.effects.setback[russia;all;all].drift`. When two rules (or two effects of one
    /// item) with the same selection both write a distribution for the same key, the later ones
    /// are told apart by their rank among those alone: `dynamics[russia;all;all]#2.drift`.
    pub(super) fn inline_name(&mut self, place: &Place) -> String {
        let Some(selection) = &place.selection else {
            return format!("{}.{}", place.owner, place.key);
        };
        let holder = format!("{}[{selection}]", place.owner);
        let count = self
            .inline_names
            .entry(format!("{holder}.{}", place.key))
            .or_insert(0);
        *count += 1;
        if *count == 1 {
            format!("{holder}.{}", place.key)
        } else {
            format!("{holder}#{count}.{}", place.key)
        }
    }

    /// Resolves a number slot: constant, parameter name or inline distribution.
    pub(super) fn number(
        &mut self,
        number: &Number,
        place: &Place,
        bounds: Bounds,
    ) -> Option<Value> {
        let span = number.span();
        let (value, lo, hi) = match number.get_ref() {
            RawNumber::Constant(v) => (Value::Const(*v), *v, *v),
            RawNumber::Text(t) if is_distribution(t) => {
                let distribution = self.distribution(t, span.clone())?;
                let (lo, hi) = (distribution.quantile(0.0), distribution.quantile(1.0));
                let name = self.inline_name(place);
                self.params.push(Param {
                    name,
                    distribution,
                    description: String::new(),
                    source: String::new(),
                    inline: true,
                });
                (Value::Param(self.params.len() - 1), lo, hi)
            }
            RawNumber::Text(t) => {
                let found = self.params.iter().position(|p| !p.inline && p.name == *t);
                if found.is_none()
                    && let Some(j) = self.derived.iter().position(|d| !d.inline && d.name == *t)
                {
                    if !self.checkable(Value::Derived(j), &span, place, bounds) {
                        return None;
                    }
                    let (lo, _, hi) = self.spread(Value::Derived(j));
                    return self.in_bounds(Value::Derived(j), place, span, bounds, (lo, hi));
                }
                let Some(index) = found else {
                    if self.number_in_words(t, place, &span) {
                        return None;
                    }
                    match self.inline_derived(t, span.clone(), place) {
                        Expression::Derived(value) => {
                            if !self.checkable(value, &span, place, bounds) {
                                return None;
                            }
                            let (lo, _, hi) = self.spread(value);
                            return self.in_bounds(value, place, span, bounds, (lo, hi));
                        }
                        Expression::Refused => return None,
                        Expression::NotOne => {}
                    }
                    if let Some(percent) = t
                        .trim()
                        .strip_suffix('%')
                        .and_then(|n| n.trim().parse::<f64>().ok())
                    {
                        self.error_hint(
                            span,
                            format!("`{t}` is not a number, a parameter or a distribution"),
                            format!("write {} for {percent} %", percent / 100.0),
                        );
                        return None;
                    }
                    let names: Vec<&str> = self
                        .params
                        .iter()
                        .filter(|p| !p.inline)
                        .map(|p| p.name.as_str())
                        .collect();
                    let hint = unknown_name_hint(t, "declared parameters", names);
                    self.error_hint(span, format!("unknown parameter `{t}`"), hint);
                    return None;
                };
                let d = &self.params[index].distribution;
                (Value::Param(index), d.quantile(0.0), d.quantile(1.0))
            }
        };
        self.in_bounds(value, place, span, bounds, (lo, hi))
    }

    /// A derived value in a slot with bounds must read few enough uncertain parameters for its
    /// range to be checked at their corners; reports it otherwise.
    fn checkable(
        &mut self,
        value: Value,
        span: &Range<usize>,
        place: &Place,
        bounds: Bounds,
    ) -> bool {
        let Value::Derived(j) = value else {
            return true;
        };
        let n = self.varying_base(j).len();
        if n <= MAX_CORNERS || bounds.text.is_empty() {
            return true;
        }
        self.error_hint(
            span.clone(),
            format!(
                "{} {}, and this expression reads {n} uncertain parameters: steppe checks a computed number's range at the corners of at most {MAX_CORNERS}",
                place.key_in_messages(),
                bounds.text
            ),
            "compute it in steps (a derived parameter of some of them, then of that), or bound it with min(...) and max(...) and fewer inputs",
        );
        false
    }

    /// `value` if its whole range `(lo, hi)` lies within `bounds`; else reports it.
    fn in_bounds(
        &mut self,
        value: Value,
        place: &Place,
        span: Range<usize>,
        bounds: Bounds,
        (lo, hi): (f64, f64),
    ) -> Option<Value> {
        if bounds.text.is_empty() && lo.is_finite() && hi.is_finite() {
            return Some(value);
        }
        if !(bounds.contains(lo) && bounds.contains(hi)) {
            self.out_of_range(value, place, span, bounds, (lo, hi));
            return None;
        }
        Some(value)
    }

    /// What `value` can be: its lowest, its value at every parameter's median, its highest. A
    /// derived value is evaluated at the medians and at every corner of the ranges of the
    /// parameters it reads (the first 12 of them; the others at their medians), which bounds it
    /// exactly when it is monotone in each of them.
    pub(super) fn spread(&self, value: Value) -> (f64, f64, f64) {
        match value {
            Value::Const(v) => (v, v, v),
            Value::Param(p) => {
                let d = &self.params[p].distribution;
                (d.quantile(0.0), d.quantile(0.5), d.quantile(1.0))
            }
            Value::Derived(j) => {
                let base = self.varying_base(j);
                let medians: Vec<f64> = self
                    .params
                    .iter()
                    .map(|p| p.distribution.quantile(0.5))
                    .collect();
                let mut values = vec![0.0; j + 1];
                let mut at = |params: &[f64]| {
                    derive(&self.derived[..=j], params, &mut values);
                    values[j]
                };
                let nominal = at(&medians);
                let (mut lo, mut hi) = (nominal, nominal);
                let corners = base.len().min(MAX_CORNERS);
                let mut params = medians.clone();
                for mask in 0..1u32 << corners {
                    for (bit, &i) in base.iter().take(corners).enumerate() {
                        let d = &self.params[i].distribution;
                        params[i] = d.quantile(f64::from((mask >> bit) & 1));
                    }
                    let v = at(&params);
                    if v.is_nan() {
                        return (f64::NAN, nominal, f64::NAN);
                    }
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
                (lo, nominal, hi)
            }
        }
    }

    /// The parameters that vary (not fixed) which derived value `j` reads, directly or through
    /// other derived values, each once.
    fn varying_base(&self, j: usize) -> Vec<usize> {
        let mut base = Vec::new();
        self.base_params(j, &mut base);
        base.sort_unstable();
        base.dedup();
        base.retain(|&p| !matches!(self.params[p].distribution, Distribution::Fixed { .. }));
        base
    }

    /// The parameters derived value `j` reads, directly or through other derived values.
    fn base_params(&self, j: usize, out: &mut Vec<usize>) {
        self.derived[j].expr.params_read(out);
        let mut through = Vec::new();
        self.derived[j].expr.derived_read(&mut through);
        for k in through {
            if k < j {
                self.base_params(k, out);
            }
        }
    }

    /// Text in a number's place that is an expression of parameters
    /// (`'0.5 * param("route_hazard")'`): a derived parameter named after the place.
    fn inline_derived(&mut self, text: &str, span: Range<usize>, place: &Place) -> Expression {
        let Ok(ast) = crate::expr::parse::parse(text) else {
            // Meant as an expression (it calls or computes), so its parse error is the news.
            let computes = text.contains('(')
                || text.trim().contains(|c: char| "+*/<>=^".contains(c))
                || text.trim().get(1..).is_some_and(|rest| rest.contains('-'));
            if !computes {
                return Expression::NotOne;
            }
            // Report the parse error where it is.
            let _ = self.derived_expression(text, span, &place.key_in_messages(), false);
            return Expression::Refused;
        };
        if matches!(ast, crate::expr::parse::Ast::Ident { .. }) {
            return Expression::NotOne;
        }
        let Some(expr) = self.derived_expression(text, span, &place.key_in_messages(), false)
        else {
            return Expression::Refused;
        };
        let name = self.inline_name(place);
        self.derived.push(Derived {
            name,
            expr,
            text: text.to_string(),
            description: String::new(),
            source: String::new(),
            inline: true,
        });
        Expression::Derived(Value::Derived(self.derived.len() - 1))
    }

    /// Compiles `text` (at `span`) as an expression of parameters for `what`: a number, not
    /// reading the state of a run. With `named`, derived parameters may be read only when
    /// declared before this one (`self.derived` holds exactly those).
    pub(super) fn derived_expression(
        &mut self,
        text: &str,
        span: Range<usize>,
        what: &str,
        named: bool,
    ) -> Option<Expr> {
        let written = Spanned::new(span.clone(), text.to_string());
        if let Ok(ast) = crate::expr::parse::parse(text)
            && let Some((read, at)) = ast.first_state_read()
        {
            let at = self.inner_span(&span, text, at.start..at.end);
            self.error_hint(
                at,
                format!("{what} is fixed for the whole run, so it cannot read `{read}`"),
                "a number computed from others may read parameters only, with param(\"name\"); only an event's `hazard` may depend on the state of the run",
            );
            return None;
        }
        let names = Names {
            params: self
                .params
                .iter()
                .filter(|p| !p.inline)
                .map(|p| p.name.clone())
                .collect(),
            derived: self
                .derived
                .iter()
                .filter(|d| named || !d.inline)
                .map(|d| d.name.clone())
                .collect(),
            ..Names::default()
        };
        let (expr, ty) = self.expression(&written, &names)?;
        if ty == Type::Condition {
            self.error_hint(
                span,
                format!("{what} must be a number, and this is a condition"),
                "a condition counts as 1 or 0 when multiplied by a number: 0.1 * (param(\"x\") > 0)",
            );
            return None;
        }
        Some(expr)
    }

    /// Reports a number outside its range. A named parameter's value written in another file
    /// than its use — an extending file or `--set` that changed it — is reported where the
    /// value is written, naming the use: that is the file to correct.
    fn out_of_range(
        &mut self,
        value: Value,
        place: &Place,
        span: Range<usize>,
        bounds: Bounds,
        (lo, hi): (f64, f64),
    ) {
        let p = match value {
            Value::Const(v) => {
                let message = format!(
                    "{} {}, got {}",
                    place.key_in_messages(),
                    bounds.text,
                    show(v)
                );
                self.error(span, message);
                return;
            }
            Value::Param(p) => p,
            Value::Derived(j) => {
                let d = &self.derived[j];
                let what = if d.inline {
                    format!("'{}'", d.text)
                } else {
                    format!("parameter `{}` = '{}'", d.name, d.text)
                };
                let message = format!(
                    "{} {}, but {what} reaches {} to {} over its parameters' ranges",
                    place.key_in_messages(),
                    bounds.text,
                    round(lo),
                    round(hi)
                );
                self.error_hint(
                    span,
                    message,
                    "narrow the parameters it reads, or bound it with min(...) and max(...)",
                );
                return;
            }
        };
        let param = &self.params[p];
        let reaches = format!("reaches {} to {}", round(lo), round(hi));
        let hint = "choose a distribution whose support lies in the allowed range (e.g. beta or pert for a probability)";
        if param.inline {
            let message = format!(
                "{} {}, but {} {reaches}",
                place.key_in_messages(),
                bounds.text,
                param.distribution
            );
            self.error_hint(span, message, hint);
            return;
        }
        // A fixed value is a number, not a range.
        let described = match &param.distribution {
            Distribution::Fixed { value } => {
                format!("parameter `{}` is {}", param.name, show(*value))
            }
            d => format!("parameter `{}` = {d} {reaches}", param.name),
        };
        let fixed = matches!(param.distribution, Distribution::Fixed { .. });
        let written = self.param_spans[p].clone();
        let (at, message) =
            if self.sources.file_index(written.start) == self.sources.file_index(span.start) {
                let message = format!(
                    "{} {}, but {described}",
                    place.key_in_messages(),
                    bounds.text
                );
                (span, message)
            } else {
                let message = format!(
                    "{described}, but it is used as `{}` ({}), which {}",
                    place.path(),
                    self.place_of(span.start),
                    bounds.text
                );
                (written, message)
            };
        if fixed {
            self.error(at, message);
        } else {
            self.error_hint(at, message, hint);
        }
    }

    /// Text that is not a parameter's name but shows what was meant: a number in quotes, or a
    /// parameter with a minus sign. Reports it and returns true, or returns false.
    fn number_in_words(&mut self, written: &str, place: &Place, span: &Range<usize>) -> bool {
        let key = place.key.rsplit('.').next().unwrap_or(&place.key);
        let trimmed = written.trim();
        if trimmed.parse::<f64>().is_ok() {
            self.error_hint(
                span.clone(),
                format!("`{key}` is given as the text \"{written}\", not as a number"),
                format!("remove the quotes: {key} = {trimmed}"),
            );
            return true;
        }
        let Some(negated) = trimmed.strip_prefix('-').map(str::trim) else {
            return false;
        };
        let known = self.params.iter().any(|p| !p.inline && p.name == negated)
            || self.derived.iter().any(|d| !d.inline && d.name == negated);
        if !known {
            return false;
        }
        self.error_hint(
            span.clone(),
            format!("a parameter's name cannot be negated: \"{written}\""),
            format!(
                "for the same draw with the opposite sign, write {key} = '-param(\"{negated}\")' (an expression of parameters, computed once per run)"
            ),
        );
        true
    }

    pub(super) fn optional_number(
        &mut self,
        number: &Option<Number>,
        place: &Place,
        bounds: Bounds,
    ) -> Option<Option<Value>> {
        match number {
            None => Some(None),
            Some(n) => self.number(n, place, bounds).map(Some),
        }
    }
}

/// Whether `text` is meant as an inline distribution (`normal(0, 1)`, even misspelt) rather
/// than an expression of parameters (`0.5 * param("x")`).
pub(super) fn is_distribution(text: &str) -> bool {
    let name = text
        .trim_start()
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next();
    let function = name.is_some_and(|n| n == "log" || crate::expr::FUNCTIONS.contains(&n));
    Distribution::looks_like_call(text) && !function && !text.contains("param(")
}

/// Whether `text` is meant as an expression of parameters: it reads one, or it computes
/// (`'0.5 * 0.2'`), rather than naming a parameter or giving a distribution.
pub(super) fn is_expression(text: &str) -> bool {
    !is_distribution(text)
        && match crate::expr::parse::parse(text) {
            Ok(ast) => !matches!(
                ast,
                crate::expr::parse::Ast::Ident { .. } | crate::expr::parse::Ast::Number { .. }
            ),
            Err(_) => text.contains("param("),
        }
}

/// The last key of a path such as `events.x.hazard`, for messages.
fn path_key(path: &str) -> String {
    let key = path.rsplit('.').next().unwrap_or(path);
    format!("`{key}`")
}
