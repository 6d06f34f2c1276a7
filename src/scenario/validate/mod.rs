//! The second stage of reading a scenario: from the merged raw mirror to a [`Scenario`],
//! checking names, ranges, sums and expressions, and collecting every problem with its place
//! in the file.
//!
//! One module per section of the file, as in `raw.rs`: `header` (`[scenario]`), `entities`
//! (actors, targets, channels), `initial`, `params`, `correlations`, `dynamics`, `drivers`
//! (with a regime's `transitions`), `events`, `metrics`. What they share is here — the
//! [`Validator`] that collects problems, name resolution, expressions — and in `number` (a
//! number slot: a constant, a parameter's name or an inline distribution, and the one function
//! that names inline distributions) and `selection` (the cells a rule or an effect selects).

mod correlations;
mod dirichlet;
mod drivers;
mod dynamics;
mod entities;
mod events;
mod header;
mod initial;
mod metrics;
mod number;
mod params;
mod selection;
mod transitions;

#[cfg(test)]
pub(crate) use transitions::CONCENTRATION;

use std::collections::HashMap;
use std::ops::Range;

use indexmap::IndexMap;
use toml::Spanned;

use super::raw::{Name, RawEvent, RawParam, RawScenario, Text};
use super::{Derived, Driver, DriverKind, Param, Scenario, Step};
use crate::diagnostic::{Diagnostic, Sources, unknown_name_hint};
use crate::expr::{self, Expr, Names, Type};

/// Checks the meaning of a merged raw scenario. `sources` holds every file its spans point
/// into; `precedence`, per file of `sources`, which wins where two layers set the same thing
/// (higher wins); `problems` are those already found while merging. Returns the scenario, its
/// `warnings` filled in, or every problem, sorted by place.
pub fn scenario(
    raw: RawScenario,
    sources: &Sources,
    precedence: Vec<usize>,
    problems: Vec<Diagnostic>,
) -> Result<Scenario, Vec<Diagnostic>> {
    let all_text = sources.text();
    let mut validator = Validator {
        text: &all_text,
        sources,
        precedence,
        diagnostics: problems,
        warnings: Vec::new(),
        params: Vec::new(),
        param_spans: Vec::new(),
        derived: Vec::new(),
        stand_ins: false,
        inline_names: HashMap::new(),
        history: expr::History::default(),
    };
    let scenario = validator.sections(raw).filter(|_| !validator.stand_ins);
    match scenario {
        Some(mut scenario) if validator.diagnostics.is_empty() => {
            scenario.warnings = validator.warnings;
            Ok(scenario)
        }
        _ => {
            let mut list = validator.diagnostics;
            if list.is_empty() {
                // Every path that refuses a scenario reports why; this is a safety net.
                list.push(Diagnostic::new(
                    0..0,
                    "the scenario could not be read, for a reason steppe failed to report (please report this as a bug)",
                ));
            }
            list.sort_by_key(|d| d.span.start);
            Err(list)
        }
    }
}

/// What validation carries from section to section: the problems found so far, and the
/// parameters, which later sections resolve their numbers against and add their inline
/// distributions to.
struct Validator<'a> {
    text: &'a str,
    sources: &'a Sources,
    /// Per file of `sources`: which wins where two layers set the same thing (higher wins).
    precedence: Vec<usize>,
    diagnostics: Vec<Diagnostic>,
    /// What the reader should know that is not an error, each `FILE:LINE:COLUMN: text`.
    warnings: Vec<String>,
    params: Vec<Param>,
    /// Where each named parameter's value is written (indexed like the first `params`).
    param_spans: Vec<Range<usize>>,
    /// The derived parameters so far: the named ones, then those written inline.
    derived: Vec<Derived>,
    /// Whether a driver with a mistake was replaced by a stand-in (see `drivers`).
    stand_ins: bool,
    /// How many inline distributions have been given each name so far (see `inline_name`).
    inline_names: HashMap<String, usize>,
    /// The expressions of every `start(x)` and the windows compiled so far, each distinct one
    /// once (see [`expr::compile`]).
    history: expr::History,
}

/// Declared names, for resolving selections.
struct Declared {
    actors: Vec<String>,
    targets: Vec<String>,
    channels: Vec<String>,
}

/// The simulated years, which windows and metric years must fall in.
struct Horizon {
    start: i32,
    end: i32,
    step: Step,
}

impl Validator<'_> {
    /// Every section, in the order their results are needed: the names first (which every
    /// other section resolves against), then the parameters (which numbers may name), then
    /// what moves the cells, and last the expressions, which may name all of it.
    fn sections(&mut self, raw: RawScenario) -> Option<Scenario> {
        self.no_removals(&raw);
        let Some(header) = raw.scenario else {
            self.error_hint(
                0..0,
                "the file has no [scenario] table",
                "start it with [scenario], name, start and end",
            );
            return None;
        };
        let header = self.header(header);
        self.history.per_year = header.step.per_year();
        let mut entities = self.entities(raw.actors, raw.targets, raw.channels);
        let declared = entities.declared();
        let (start, end) = (header.start?, header.end?);
        self.named_params(raw.params);
        self.weights(&mut entities);
        // After the named parameters: an initial share may name one, and inline distributions
        // come after every named parameter.
        let initial = self.initial(raw.initial, &declared);
        let n_named = self.params.len();
        let correlations = self.correlations(&raw.correlations);
        let dynamics = self.dynamics(raw.dynamics, &declared);
        let drivers = self.drivers(raw.drivers, &declared);
        let names = expression_names(
            &declared,
            &drivers,
            &self.params[..n_named],
            &self.derived,
            &raw.events,
        );
        let horizon = Horizon {
            start,
            end,
            step: header.step,
        };
        let events = self.events(raw.events, &declared, &drivers, &names, &horizon);
        let metrics = self.metrics(raw.metrics, &names, &horizon);
        let (cells, rules) = dynamics?;
        Some(Scenario {
            extends: None,
            overrides: Vec::new(),
            warnings: Vec::new(),
            name: header.name,
            title: header.title,
            description: header.description,
            start,
            end,
            step: header.step,
            runs: header.runs,
            seed: header.seed,
            actors: entities.actors,
            targets: entities.targets,
            channels: entities.channels,
            composite_weights: entities.composite_weights,
            initial_shares: initial.as_ref()?.0.clone(),
            initial: initial?.1,
            params: std::mem::take(&mut self.params),
            derived: std::mem::take(&mut self.derived),
            correlations,
            cells,
            rules,
            drivers,
            events,
            metrics,
            starts: std::mem::take(&mut self.history.starts),
            windows: std::mem::take(&mut self.history.windows),
        })
    }

    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::new(span, message));
    }

    fn error_hint(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.diagnostics
            .push(Diagnostic::new(span, message).with_hint(hint));
    }

    /// `FILE:LINE:COLUMN` of a global offset.
    fn place_of(&self, offset: usize) -> String {
        let (file, local) = self.sources.locate(offset);
        let (line, column) = crate::diagnostic::line_column(&file.text, local);
        format!("{}:{line}:{column}", file.path)
    }

    /// Whether what is written at `a` comes from a layer that wins over the one of `b`: an
    /// override over the file, an extending file over the one it extends.
    fn outranks(&self, a: &Range<usize>, b: &Range<usize>) -> bool {
        let rank = |offset| self.precedence[self.sources.file_index(offset)];
        rank(a.start) > rank(b.start)
    }

    /// `remove = true` left after merging names nothing inherited.
    fn no_removals(&mut self, raw: &RawScenario) {
        let flags = raw
            .params
            .values()
            .filter_map(|p| match p.get_ref() {
                RawParam::Full(t) => t.remove.clone(),
                RawParam::Short(_) => None,
            })
            .chain(
                raw.drivers
                    .values()
                    .filter_map(|d| d.get_ref().remove.clone()),
            )
            .chain(
                raw.events
                    .values()
                    .filter_map(|e| e.get_ref().remove.clone()),
            )
            .chain(
                raw.metrics
                    .values()
                    .filter_map(|m| m.get_ref().remove.clone()),
            );
        let spans: Vec<Range<usize>> = flags.filter(|f| *f.get_ref()).map(|f| f.span()).collect();
        for span in spans {
            self.error_hint(
                span,
                "nothing to remove: this scenario extends no other",
                "`remove = true` drops an item inherited through `extends`",
            );
        }
    }

    fn identifier(&mut self, name: &Spanned<String>) -> bool {
        let s = name.get_ref();
        let mut chars = s.chars();
        let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            self.error_hint(
                name.span(),
                format!("`{s}` is not a valid name"),
                "names start with a letter and contain only letters, digits and `_`",
            );
        }
        ok
    }

    /// The index of `name` among the `declared` names of its kind, or a report that it is
    /// unknown (with the nearest name, if it looks like a typo).
    fn lookup(&mut self, name: &Name, kind: &str, declared: &[String]) -> Option<usize> {
        let found = declared.iter().position(|d| d == name.get_ref());
        if found.is_none() {
            let hint = unknown_name_hint(
                name.get_ref(),
                &format!("declared {kind}s"),
                declared.iter().map(String::as_str),
            );
            self.error_hint(
                name.span(),
                format!("unknown {kind} `{}`", name.get_ref()),
                hint,
            );
        }
        found
    }

    /// Maps a byte range inside a string value to the file, when the string has no escapes.
    fn inner_span(&self, span: &Range<usize>, value: &str, inner: Range<usize>) -> Range<usize> {
        let source = &self.text[span.clone()];
        let mut open = if source.starts_with("'''") || source.starts_with("\"\"\"") {
            3
        } else if source.starts_with('\'') || source.starts_with('"') {
            1
        } else {
            return span.clone();
        };
        // TOML drops a newline right after the opening of a multi-line string.
        if open == 3 {
            if source[open..].starts_with("\r\n") {
                open += 2;
            } else if source[open..].starts_with('\n') {
                open += 1;
            }
        }
        let start = span.start + open;
        if self.text.get(start..start + value.len()) == Some(value) {
            let end = (start + inner.end)
                .min(start + value.len())
                .max(start + inner.start);
            (start + inner.start.min(value.len()))..end
        } else {
            span.clone()
        }
    }

    /// Parses and compiles an expression, reporting errors at their place in the file.
    fn expression(&mut self, written: &Spanned<String>, names: &Names) -> Option<(Expr, Type)> {
        let ast = self.parsed(written)?;
        self.compiled(written, &ast, names)
    }

    /// Parses an expression, reporting a syntax error at its place in the file.
    fn parsed(&mut self, written: &Spanned<String>) -> Option<expr::parse::Ast> {
        let source = written.get_ref();
        match expr::parse::parse(source) {
            Ok(ast) => Some(ast),
            Err(error) => {
                let at = self.inner_span(&written.span(), source, error.span.start..error.span.end);
                self.error(at, error.message);
                None
            }
        }
    }

    /// Compiles `ast`, parsed from `written`, reporting errors at their place in the file.
    fn compiled(
        &mut self,
        written: &Spanned<String>,
        ast: &expr::parse::Ast,
        names: &Names,
    ) -> Option<(Expr, Type)> {
        let (span, source) = (written.span(), written.get_ref());
        match expr::compile(ast, names, &mut self.history) {
            Ok(compiled) => Some(compiled),
            Err(errors) => {
                for error in errors {
                    let at = self.inner_span(&span, source, error.span.start..error.span.end);
                    match error.hint {
                        Some(hint) => self.error_hint(at, error.message, hint),
                        None => self.error(at, error.message),
                    }
                }
                None
            }
        }
    }
}

/// What an expression (a metric, an event's `when`) can name: the declared actors, targets
/// and channels, the drivers with a regime's states, the named parameters and the events.
fn expression_names(
    declared: &Declared,
    drivers: &[Driver],
    named_params: &[Param],
    named_derived: &[Derived],
    events: &IndexMap<Name, Spanned<RawEvent>>,
) -> Names {
    Names {
        targets: declared.targets.clone(),
        actors: declared.actors.clone(),
        channels: declared.channels.clone(),
        drivers: drivers
            .iter()
            .map(|d| {
                let states = match &d.kind {
                    DriverKind::Regime(r) => Some(r.states.clone()),
                    DriverKind::Factor(_) => None,
                };
                (d.name.clone(), states)
            })
            .collect(),
        params: named_params.iter().map(|p| p.name.clone()).collect(),
        derived: named_derived
            .iter()
            .filter(|d| !d.inline)
            .map(|d| d.name.clone())
            .collect(),
        events: events.keys().map(|k| k.get_ref().clone()).collect(),
    }
}

/// The text of an optional `description`, `source`, … ("" when absent).
fn text(value: Text) -> String {
    value.map(Spanned::into_inner).unwrap_or_default()
}

fn quote_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A sum or bound shown to a user: no float noise like 1.0000000000000002.
fn round(v: f64) -> String {
    let s = format!("{:.6}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// A number as the user would write it: exponent form for the huge and the tiny.
fn show(v: f64) -> String {
    if v != 0.0 && v.is_finite() && (v.abs() >= 1e9 || v.abs() < 1e-6) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}
