//! The second stage of reading a scenario: from the raw mirror to a [`Scenario`], checking
//! names, ranges, sums and expressions, and collecting every problem with its place in the file.

use std::ops::Range;
use std::path::Path;

use indexmap::IndexMap;
use toml::Spanned;

use super::Correlations;
use super::merge;
use super::raw::{
    Name, Number, RawCorrelation, RawDriver, RawEvent, RawInitialValue, RawMetric, RawNumber,
    RawNumberOrName, RawParam, RawRho, RawRule, RawScenario, RawSelection, Text,
};
use super::shape::parse_file;
use super::{
    AUTONOMY, CellDynamics, CellShift, Driver, DriverKind, Entity, Event, Factor, Metric,
    MetricKind, Note, Param, Regime, Reversion, Rule, Scenario, Step, Value,
};
use crate::diagnostic::{Diagnostic, Diagnostics, Sources, nearest, unknown_name_hint};
use crate::distribution::Distribution;
use crate::expr::{self, Expr, Names, Type};

/// Largest run count a file may ask for; more is surely a typo.
const MAX_RUNS: i64 = 1_000_000_000;
/// Longest horizon, in years.
const MAX_YEARS: i64 = 1000;

/// Deepest chain of `extends` followed.
const MAX_EXTENDS: usize = 16;

/// Reads a file named by `extends`: its text, or why it cannot be read.
pub type ReadFile<'a> = &'a mut dyn FnMut(&str) -> Result<String, String>;

/// Reads a scenario from its text. `path` only labels problems; a scenario that `extends`
/// another needs [`load_with`].
pub fn load(path: &str, text: &str) -> Result<Scenario, Diagnostics> {
    load_with(path, text, &mut |p| {
        Err(format!("cannot read {p}: files are not available here"))
    })
}

/// Reads a scenario from its text, reading the files it extends with `read` (paths relative to
/// the extending file, as `path` names it).
pub fn load_with(path: &str, text: &str, read: ReadFile) -> Result<Scenario, Diagnostics> {
    load_with_overrides(path, text, read, &[])
}

/// Like [`load_with`], then applies `overrides` (`KEY=VALUE`, as given to `--set`) on top, as
/// if a last file extended the scenario: a key path of the file (`params.x=0.1`,
/// `events.e.hazard=0.3`, `scenario.runs=5000` or just `runs=5000`) and a TOML value (a bare
/// word that is not TOML is taken as a string, so `params.x=normal(0, 1)` works unquoted).
/// Overrides must name items that exist.
pub fn load_with_overrides(
    path: &str,
    text: &str,
    read: ReadFile,
    overrides: &[String],
) -> Result<Scenario, Diagnostics> {
    load_with_layers(path, text, read, overrides, &[])
}

/// Like [`load_with_overrides`], then adds the metrics given as TOML (`[metrics.NAME]` tables,
/// shown as `--where` in problems): how a command asks its own question of a scenario.
pub fn load_with_layers(
    path: &str,
    text: &str,
    read: ReadFile,
    overrides: &[String],
    extra_metrics: &[String],
) -> Result<Scenario, Diagnostics> {
    let mut sources = Sources::new(path, text);
    let mut chain = vec![normalize(path)];
    // The scenario's own files (the one named and those it extends), before the overrides.
    let mut n_files = 1;
    let resolved = parse_file(text, 0)
        .and_then(|raw| resolve(raw, path, &mut sources, read, &mut chain))
        .and_then(|(raw, extends, problems)| {
            n_files = sources.files().len();
            let (mut raw, mut problems) = (raw, problems);
            if !overrides.is_empty() {
                let (merged, more) = apply_overrides(raw, overrides, &mut sources)?;
                raw = merged;
                problems.extend(more);
            }
            if !extra_metrics.is_empty() {
                let text = extra_metrics.join("\n");
                let start = sources.add("--where", &text);
                let layer = parse_file(&text, start)?;
                let (merged, more) = merge::merge(layer, raw, merge::Layer::Override);
                raw = merged;
                problems.extend(more);
            }
            Ok((raw, extends, problems))
        });
    let (raw, extends, problems) = match resolved {
        Ok(resolved) => resolved,
        Err(list) => return Err(Diagnostics { sources, list }),
    };
    // Global offsets index this concatenation of every file, one newline between files.
    let all_text = sources
        .files()
        .iter()
        .map(|f| f.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    // Which layer wins where two set the same thing: the overrides, then the file named by
    // the user, then the files it extends, nearest first (sources are in that order, but with
    // the override layers last).
    let precedence = (0..sources.files().len())
        .map(|i| if i < n_files { n_files - i } else { i + 1 })
        .collect();
    let mut validator = Validator {
        text: &all_text,
        sources: &sources,
        precedence,
        diagnostics: problems,
        warnings: Vec::new(),
        params: Vec::new(),
        param_spans: Vec::new(),
        stand_ins: false,
        inline_names: Default::default(),
    };
    let scenario = validator.scenario(raw).filter(|_| !validator.stand_ins);
    match scenario {
        Some(mut scenario) if validator.diagnostics.is_empty() => {
            scenario.extends = extends;
            scenario.overrides = overrides.to_vec();
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
            Err(Diagnostics { sources, list })
        }
    }
}

/// Follows `extends`, merging each parent under its child. Returns the merged raw scenario,
/// the path of the direct parent, and problems found while merging.
fn resolve(
    raw: RawScenario,
    path: &str,
    sources: &mut Sources,
    read: ReadFile,
    chain: &mut Vec<String>,
) -> Result<(RawScenario, Option<String>, Vec<Diagnostic>), Vec<Diagnostic>> {
    let Some(extends) = raw.extends.clone() else {
        return Ok((raw, None, Vec::new()));
    };
    let span = extends.span();
    if extends.get_ref().trim().is_empty() {
        return Err(vec![
            Diagnostic::new(span, "`extends` needs the name of a scenario file").with_hint(
                "write extends = \"baseline.toml\" (relative to this file), or remove the line",
            ),
        ]);
    }
    if raw
        .scenario
        .as_ref()
        .is_none_or(|h| h.get_ref().name.is_none())
    {
        return Err(vec![
            Diagnostic::new(span, "a scenario that extends another needs its own `name`")
                .with_hint("add [scenario] with name = \"...\": results are labelled by it"),
        ]);
    }
    if chain.len() >= MAX_EXTENDS {
        return Err(vec![Diagnostic::new(
            span,
            format!("`extends` chains deeper than {MAX_EXTENDS} files are refused"),
        )]);
    }
    let parent_path = Path::new(path)
        .parent()
        .unwrap_or(Path::new(""))
        .join(extends.get_ref())
        .to_string_lossy()
        .into_owned();
    // Read and show the path without `.` and `dir/..`: the same file, named more plainly.
    let parent_path = normalize(&parent_path);
    if let Some(first) = chain.iter().position(|p| *p == parent_path) {
        let mut cycle: Vec<&str> = chain[first..].iter().map(String::as_str).collect();
        cycle.push(&parent_path);
        return Err(vec![Diagnostic::new(
            span,
            format!("`extends` goes round in a circle: {}", cycle.join(" → ")),
        )]);
    }
    let text = read(&parent_path).map_err(|why| {
        vec![
            Diagnostic::new(
                span.clone(),
                format!("cannot read the scenario this one extends: {why}"),
            )
            .with_hint("the path is relative to the folder of the file that says `extends`"),
        ]
    })?;
    let start = sources.add(&parent_path, &text);
    let parent = parse_file(&text, start)?;
    chain.push(parent_path.clone());
    let (parent, _, mut problems) = resolve(parent, &parent_path, sources, read, chain)?;
    let (merged, merge_problems) = merge::merge(raw, parent, merge::Layer::Extending);
    problems.extend(merge_problems);
    Ok((merged, Some(parent_path), problems))
}

/// The `[scenario]` keys that `--set` also takes without the `scenario.` prefix.
const HEADER_KEYS: [&str; 8] = [
    "name",
    "title",
    "description",
    "start",
    "end",
    "step",
    "runs",
    "seed",
];

/// The tables of a scenario file: where the key path of an override starts.
const TABLES: [&str; 11] = [
    "scenario",
    "actors",
    "targets",
    "channels",
    "initial",
    "params",
    "dynamics",
    "drivers",
    "events",
    "metrics",
    "correlations",
];

/// The overrides as a TOML document, merged onto the scenario like an extending file (but
/// keeping its title and description: an override changes a value, not the story).
fn apply_overrides(
    base: RawScenario,
    overrides: &[String],
    sources: &mut Sources,
) -> Result<(RawScenario, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut text = String::new();
    // Keys that cannot be overridden, by line: found before the text is parsed, so that each
    // is reported in words rather than as an unknown key of the file.
    let mut refused = Vec::new();
    for assignment in overrides {
        let (key, value) = assignment.split_once('=').unwrap_or((assignment, ""));
        let key = key.trim();
        let key = if HEADER_KEYS.contains(&key) {
            format!("scenario.{key}")
        } else {
            key.to_string()
        };
        let value = value.trim();
        let is_toml = toml::from_str::<toml::Table>(&format!("v = {value}")).is_ok();
        let value = if is_toml {
            value.to_string()
        } else {
            toml::Value::String(value.to_string()).to_string()
        };
        let first = key.split('.').next().unwrap_or_default().trim();
        if !TABLES.contains(&first) {
            refused.push((text.len(), first.to_string()));
        }
        text.push_str(&format!("{key} = {value}\n"));
    }
    let start = sources.add("--set", &text);
    if !refused.is_empty() {
        let problems = refused
            .into_iter()
            .map(|(offset, key)| refused_override(start + offset, &key))
            .collect();
        return Err(problems);
    }
    let layer = parse_file(&text, start)?;
    // Overrides change what exists; a new name is surely a typo.
    let mut problems = Vec::new();
    unknown_names(&mut problems, "parameter", &layer.params, &base.params);
    unknown_names(&mut problems, "driver", &layer.drivers, &base.drivers);
    unknown_names(&mut problems, "event", &layer.events, &base.events);
    unknown_names(&mut problems, "metric", &layer.metrics, &base.metrics);
    unknown_names(&mut problems, "actor", &layer.actors, &base.actors);
    unknown_names(&mut problems, "target", &layer.targets, &base.targets);
    unknown_names(&mut problems, "channel", &layer.channels, &base.channels);
    if !problems.is_empty() {
        return Err(problems);
    }
    let (merged, more) = merge::merge(layer, base, merge::Layer::Override);
    Ok((merged, more))
}

/// Why the key `key` of an override at global offset `at` cannot be set.
fn refused_override(at: usize, key: &str) -> Diagnostic {
    let span = at..at + key.len().max(1);
    if key == "extends" {
        return Diagnostic::new(span, "`extends` cannot be overridden")
            .with_hint("--set changes values of the scenario, not the file it builds on; to start from another file, write a scenario that extends it");
    }
    let keys = HEADER_KEYS.iter().chain(&TABLES).copied();
    let list = |keys: &[&str]| {
        keys.iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let near = match nearest(key, keys) {
        Some(near) => format!("did you mean `{near}`? "),
        None => String::new(),
    };
    Diagnostic::new(span, format!("unknown key `{key}`")).with_hint(format!(
        "{near}--set takes {}, or a key path into {}, such as params.NAME or events.NAME.hazard",
        list(&HEADER_KEYS),
        list(&TABLES)
    ))
}

fn unknown_names<A, B>(
    problems: &mut Vec<Diagnostic>,
    kind: &str,
    layer: &IndexMap<Name, A>,
    base: &IndexMap<Name, B>,
) {
    for name in layer.keys().filter(|n| !base.contains_key(*n)) {
        let names: Vec<&str> = base.keys().map(|k| k.get_ref().as_str()).collect();
        let hint = unknown_name_hint(name.get_ref(), &format!("{kind}s of the scenario"), names);
        problems.push(
            Diagnostic::new(
                name.span(),
                format!("there is no {kind} `{}` to override", name.get_ref()),
            )
            .with_hint(hint),
        );
    }
}

/// A path with `.` and `a/..` removed, to recognise the same file named two ways.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "." => {}
            "" if !parts.is_empty() => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    parts.join("/")
}

/// Allowed range of a number.
#[derive(Clone, Copy)]
struct Bounds {
    lo: f64,
    hi: f64,
    lo_open: bool,
    hi_open: bool,
    text: &'static str,
}

const NON_NEGATIVE: Bounds = Bounds {
    lo: 0.0,
    hi: f64::INFINITY,
    lo_open: false,
    hi_open: true,
    text: "must be ≥ 0",
};
const POSITIVE: Bounds = Bounds {
    lo: 0.0,
    hi: f64::INFINITY,
    lo_open: true,
    hi_open: true,
    text: "must be > 0",
};
const PROBABILITY: Bounds = Bounds {
    lo: 0.0,
    hi: 1.0,
    lo_open: false,
    hi_open: false,
    text: "must be a probability within [0, 1]",
};
const REPEAT_HAZARD: Bounds = Bounds {
    lo: 0.0,
    hi: 1.0,
    lo_open: false,
    hi_open: true,
    text: "of a repeatable event must be within [0, 1) (1 would mean it happens infinitely often)",
};
const FLOOR: Bounds = Bounds {
    lo: 0.0,
    hi: 1.0,
    lo_open: false,
    hi_open: true,
    text: "must be a share within [0, 1)",
};
const CEILING: Bounds = Bounds {
    lo: 0.0,
    hi: 1.0,
    lo_open: true,
    hi_open: false,
    text: "must be a share within (0, 1]",
};
const PERSISTENCE: Bounds = Bounds {
    lo: 0.0,
    hi: 1.0,
    lo_open: false,
    hi_open: true,
    text: "must be within [0, 1)",
};
/// Guards against strengths overflowing: e^50 is already absurd for a yearly log-change.
/// Largest magnitude of a factor's initial value and standard deviation: far beyond any use,
/// small enough that drift shifts times the factor stay finite.
const FACTOR_LIMIT: f64 = 1e6;
const FACTOR_SD: Bounds = Bounds {
    lo: 0.0,
    hi: FACTOR_LIMIT,
    lo_open: false,
    hi_open: false,
    text: "must be within [0, 1000000]",
};
const RATE: Bounds = Bounds {
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
    /// Whether a driver with a mistake was replaced by a stand-in (see `drivers`).
    stand_ins: bool,
    /// How many inline distributions have been given each name so far (see `inline_name`).
    inline_names: std::collections::HashMap<String, usize>,
}

/// Where a number is written. It names an inline distribution written there, whose random
/// stream is keyed by that name, and the key in messages.
struct Place {
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
    fn at(owner: &str, key: &str) -> Place {
        Place {
            owner: owner.to_string(),
            selection: None,
            key: key.to_string(),
        }
    }

    /// A number in a rule or an effect that selects cells.
    fn selecting(owner: &str, selection: &str, key: &str) -> Place {
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

/// Declared names, for resolving selections.
struct Declared {
    actors: Vec<String>,
    targets: Vec<String>,
    channels: Vec<String>,
}

impl Validator<'_> {
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

    fn scenario(&mut self, raw: RawScenario) -> Option<Scenario> {
        self.no_removals(&raw);
        let Some(header) = raw.scenario else {
            self.error_hint(
                0..0,
                "the file has no [scenario] table",
                "start it with [scenario], name, start and end",
            );
            return None;
        };
        let header_span = header.span();
        let header = header.into_inner();
        let name = match header.name {
            Some(name) => {
                self.identifier(&name);
                name.into_inner()
            }
            None => {
                self.error_hint(
                    header_span.clone(),
                    "missing key `name` in [scenario]",
                    "add name = \"my_scenario\"",
                );
                String::new()
            }
        };
        let start = self.year_key(header.start, "start", &header_span);
        let end = self.year_key(header.end, "end", &header_span);
        if let (Some(s), Some(e)) = (&start, &end) {
            if e.1 <= s.1 {
                self.error(
                    e.0.clone(),
                    format!("`end` ({}) must be after `start` ({})", e.1, s.1),
                );
            } else if i64::from(e.1 - s.1) > MAX_YEARS {
                self.error(
                    e.0.clone(),
                    format!(
                        "a horizon of {} years is more than the limit of {MAX_YEARS}",
                        e.1 - s.1
                    ),
                );
            }
        }
        let step = match &header.step {
            None => Step::Year,
            Some(s) => match s.get_ref().as_str() {
                "year" => Step::Year,
                "quarter" => Step::Quarter,
                "month" => Step::Month,
                other => {
                    let hint = unknown_name_hint(other, "steps", ["year", "quarter", "month"]);
                    self.error_hint(s.span(), format!("unknown step `{other}`"), hint);
                    Step::Year
                }
            },
        };
        let runs = match header.runs {
            None => 10_000,
            Some(r) if (1..=MAX_RUNS).contains(r.get_ref()) => *r.get_ref() as u64,
            Some(r) => {
                self.error(
                    r.span(),
                    format!(
                        "`runs` must be between 1 and {MAX_RUNS}, got {}",
                        r.get_ref()
                    ),
                );
                1
            }
        };
        let seed = match header.seed {
            None => 0,
            Some(s) if *s.get_ref() >= 0 => *s.get_ref() as u64,
            Some(s) => {
                self.error(s.span(), format!("`seed` must be ≥ 0, got {}", s.get_ref()));
                0
            }
        };

        let actors = self.entities(raw.actors, "actor", false);
        let targets = self.entities(raw.targets, "target", true);
        let channels = self.entities(raw.channels, "channel", true);
        for (list, kind) in [
            (&actors, "actors"),
            (&targets, "targets"),
            (&channels, "channels"),
        ] {
            if list.is_empty() {
                self.error_hint(
                    0..0,
                    format!("the scenario declares no {kind}"),
                    format!("add a [{kind}] table"),
                );
            }
        }
        let declared = Declared {
            actors: actors.iter().map(|e| e.name.clone()).collect(),
            targets: targets.iter().map(|e| e.name.clone()).collect(),
            channels: channels.iter().map(|e| e.name.clone()).collect(),
        };
        let (start, end) = (start?.1, end?.1);
        let initial_shares = self.initial(raw.initial, &declared);
        self.named_params(raw.params);
        let n_named = self.params.len();
        let correlations = self.correlations(&raw.correlations);
        let dynamics = self.dynamics(raw.dynamics, &declared);
        let drivers = self.drivers(raw.drivers, &declared);

        let names = Names {
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
            params: self.params[..n_named]
                .iter()
                .map(|p| p.name.clone())
                .collect(),
            events: raw.events.keys().map(|k| k.get_ref().clone()).collect(),
        };
        let horizon = Horizon { start, end, step };
        let events = self.events(raw.events, &declared, &drivers, &names, &horizon);
        let metrics = self.metrics(raw.metrics, &names, &horizon);

        let scenario = Scenario {
            extends: None,
            overrides: Vec::new(),
            warnings: Vec::new(),
            name,
            title: text(header.title),
            description: text(header.description),
            start,
            end,
            step,
            runs,
            seed,
            actors,
            targets,
            channels,
            initial_shares: initial_shares?,
            params: std::mem::take(&mut self.params),
            correlations,
            cells: dynamics.as_ref()?.0.clone(),
            rules: dynamics?.1,
            drivers,
            events,
            metrics,
        };
        Some(scenario)
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

    fn year_key(
        &mut self,
        value: Option<Spanned<i64>>,
        key: &str,
        header: &Range<usize>,
    ) -> Option<(Range<usize>, i32)> {
        match value {
            None => {
                self.error_hint(
                    header.clone(),
                    format!("missing key `{key}` in [scenario]"),
                    format!("add {key} = 2022 (a year)"),
                );
                None
            }
            Some(v) if (-100_000..=100_000).contains(v.get_ref()) => {
                Some((v.span(), *v.get_ref() as i32))
            }
            Some(v) => {
                self.error(
                    v.span(),
                    format!("`{key}` must be a year, got {}", v.get_ref()),
                );
                None
            }
        }
    }

    fn entities(
        &mut self,
        map: IndexMap<Name, Spanned<crate::scenario::raw::RawEntity>>,
        kind: &str,
        weighted: bool,
    ) -> Vec<Entity> {
        let mut entities = Vec::new();
        for (name, entity) in map {
            self.identifier(&name);
            let reserved = name.get_ref() == AUTONOMY
                || (kind == "actor" && name.get_ref() == "source")
                || (kind == "target" && name.get_ref() == "region");
            if reserved {
                self.error_hint(
                    name.span(),
                    format!("`{}` is reserved and cannot be the name of {} {kind}", name.get_ref(), if kind == "actor" { "an" } else { "a" }),
                    "`autonomy` is the target's own share, `region` the aggregate of the targets in results, `source` cites a row of initial shares",
                );
            }
            let entity = entity.into_inner();
            let weight = match entity.weight {
                None => 1.0,
                Some(w) if !weighted => {
                    self.error_hint(
                        w.span(),
                        format!("an {kind} has no weight"),
                        "weights belong to targets and channels",
                    );
                    1.0
                }
                Some(w) if *w.get_ref() > 0.0 && w.get_ref().is_finite() => *w.get_ref(),
                Some(w) => {
                    self.error(
                        w.span(),
                        format!("a {kind}'s weight must be > 0, got {}", w.get_ref()),
                    );
                    1.0
                }
            };
            let name = name.into_inner();
            entities.push(Entity {
                label: entity
                    .label
                    .map_or_else(|| name.clone(), Spanned::into_inner),
                name,
                weight,
                description: text(entity.description),
                source: text(entity.source),
            });
        }
        // Divide by the largest first, so that huge weights cannot overflow the sum.
        let largest = entities.iter().map(|e| e.weight).fold(0.0, f64::max);
        let total: f64 = entities.iter().map(|e| e.weight / largest).sum();
        for entity in &mut entities {
            entity.weight = entity.weight / largest / total;
        }
        entities
    }

    fn initial(
        &mut self,
        initial: super::raw::RawInitial,
        declared: &Declared,
    ) -> Option<Vec<f64>> {
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
                    match value {
                        RawInitialValue::Share(v) if *v.get_ref() > 0.0 && *v.get_ref() < 1.0 => {
                            sum += v.get_ref();
                            shares[pair * n_slots + actor] = *v.get_ref();
                        }
                        RawInitialValue::Share(v) => {
                            self.error_hint(
                                v.span(),
                                format!("an initial share must be within (0, 1), got {}", v.get_ref()),
                                "strengths are positive: use a small share such as 0.001 for an actor that is nearly absent",
                            );
                            ok = false;
                        }
                        RawInitialValue::Text(t) => {
                            let written = t.get_ref().trim();
                            let hint = if written.parse::<f64>().is_ok() {
                                format!("remove the quotes: {} = {written}", actor_name.get_ref())
                            } else {
                                "the observed starting point is not a parameter".to_string()
                            };
                            self.error_hint(
                                t.span(),
                                "an initial share must be a plain number",
                                hint,
                            );
                            ok = false;
                        }
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
                    ok = false;
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
                    ok = false;
                } else {
                    shares[pair * n_slots + n_slots - 1] = 1.0 - sum;
                }
            }
        }
        let mut missing = Vec::new();
        for (t, target) in declared.targets.iter().enumerate() {
            for (c, channel) in declared.channels.iter().enumerate() {
                if !seen[t * declared.channels.len() + c] {
                    missing.push(format!("[initial.{target}.{channel}]"));
                }
            }
        }
        if !missing.is_empty() && !declared.channels.is_empty() {
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
            ok = false;
        }
        ok.then_some(shares)
    }

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

    fn named_params(&mut self, params: IndexMap<Name, Spanned<RawParam>>) {
        for (name, param) in params {
            self.identifier(&name);
            let span = param.span();
            let (number, description, source) = match param.into_inner() {
                RawParam::Short(number) => (Spanned::new(span.clone(), number), None, None),
                RawParam::Full(table) => match table.dist {
                    Some(dist) => (dist, table.description, table.source),
                    None => {
                        self.error_hint(
                            span,
                            format!("parameter `{}` has no `dist`", name.get_ref()),
                            "add dist = \"normal(0, 1)\" (or another distribution)",
                        );
                        continue;
                    }
                },
            };
            let distribution = match number.get_ref() {
                RawNumber::Constant(v) if v.is_finite() => Distribution::Fixed { value: *v },
                RawNumber::Constant(v) => {
                    self.error(
                        number.span(),
                        format!("a parameter must be finite, got {v}"),
                    );
                    continue;
                }
                // A broken distribution is reported here; the name still resolves, so that
                // its uses do not each report an unknown parameter as well.
                RawNumber::Text(t) => self
                    .distribution(t, number.span())
                    .unwrap_or(Distribution::Fixed { value: 0.0 }),
            };
            self.param_spans.push(number.span());
            self.params.push(Param {
                name: name.into_inner(),
                distribution,
                description: text(description),
                source: text(source),
                inline: false,
            });
        }
    }

    /// `[correlations]`: a valid rank-correlation matrix over named parameters. A parameter
    /// fixed by a layer that wins over the correlation's (`--set params.x=0.1`, an extending
    /// file) leaves the matrix, with a warning; fixed where the correlation is written, it is
    /// an error.
    fn correlations(
        &mut self,
        raw: &IndexMap<Name, Spanned<RawCorrelation>>,
    ) -> Option<Correlations> {
        let mut repair = false;
        let mut involved: Vec<usize> = Vec::new();
        let mut pairs: Vec<(usize, usize, f64, Range<usize>)> = Vec::new();
        let mut ok = true;
        // Parameters fixed over their correlations: each with the partners it loses.
        let mut dropped: Vec<(usize, Vec<String>)> = Vec::new();
        for (name, entry) in raw {
            match entry.get_ref() {
                RawCorrelation::Flag(flag) if name.get_ref() == "repair" => repair = *flag,
                RawCorrelation::Flag(_) => {
                    self.error_hint(
                        entry.span(),
                        format!("`{}` needs a table of correlations", name.get_ref()),
                        format!("write {} = {{ other_parameter = 0.5 }}", name.get_ref()),
                    );
                    ok = false;
                }
                RawCorrelation::Row(row) => {
                    let Some(a) = self.named_param(name) else {
                        ok = false;
                        continue;
                    };
                    for (other, rho) in row {
                        let Some(value) = self.rho(other, rho) else {
                            ok = false;
                            continue;
                        };
                        let Some(b) = self.named_param(other) else {
                            ok = false;
                            continue;
                        };
                        if a == b {
                            self.error(
                                other.span(),
                                "a parameter's correlation with itself is 1 and is not written",
                            );
                            ok = false;
                            continue;
                        }
                        if !(-1.0..=1.0).contains(&value) {
                            self.error(
                                rho.span(),
                                format!("a correlation must be within [-1, 1], got {value}"),
                            );
                            ok = false;
                            continue;
                        }
                        let fixed: Vec<(usize, &Name)> = [(a, name), (b, other)]
                            .into_iter()
                            .filter(|(p, _)| {
                                matches!(self.params[*p].distribution, Distribution::Fixed { .. })
                            })
                            .collect();
                        if let Some((_, written)) = fixed
                            .iter()
                            .find(|(p, _)| !self.outranks(&self.param_spans[*p], &rho.span()))
                        {
                            self.fixed_correlated(written);
                            ok = false;
                            continue;
                        }
                        if !fixed.is_empty() {
                            for (p, _) in &fixed {
                                let partner = if *p == a { other } else { name };
                                match dropped.iter_mut().find(|(q, _)| q == p) {
                                    Some((_, partners)) => partners.push(partner.get_ref().clone()),
                                    None => dropped.push((*p, vec![partner.get_ref().clone()])),
                                }
                            }
                            continue;
                        }
                        if let Some((_, _, earlier, _)) = pairs
                            .iter()
                            .find(|(x, y, _, _)| (*x, *y) == (a.min(b), a.max(b)))
                        {
                            if *earlier != value {
                                self.error(rho.span(), format!("the correlation of `{}` and `{}` is also given as {earlier}", name.get_ref(), other.get_ref()));
                                ok = false;
                            }
                        } else {
                            pairs.push((a.min(b), a.max(b), value, rho.span()));
                        }
                        for index in [a, b] {
                            if !involved.contains(&index) {
                                involved.push(index);
                            }
                        }
                    }
                }
            }
        }
        for (p, partners) in dropped {
            let warning = format!(
                "{}: `{}` is fixed here, so its {} with {} {} dropped",
                self.place_of(self.param_spans[p].start),
                self.params[p].name,
                if partners.len() == 1 {
                    "correlation"
                } else {
                    "correlations"
                },
                partners
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if partners.len() == 1 { "is" } else { "are" },
            );
            self.warnings.push(warning);
        }
        if !ok || pairs.is_empty() {
            return None;
        }
        let n = involved.len();
        let mut matrix = vec![vec![0.0; n]; n];
        for (i, row) in matrix.iter_mut().enumerate() {
            row[i] = 1.0;
        }
        let at = |p: usize| involved.iter().position(|x| *x == p).expect("involved");
        for &(a, b, value, _) in &pairs {
            matrix[at(a)][at(b)] = value;
            matrix[at(b)][at(a)] = value;
        }
        if crate::correlation::cholesky(&matrix).is_some() {
            return Some(Correlations {
                params: involved,
                matrix,
                repaired: None,
            });
        }
        if repair {
            let (matrix, change) = crate::correlation::nearest_correlation(&matrix);
            return Some(Correlations {
                params: involved,
                matrix,
                repaired: Some(change),
            });
        }
        self.error_hint(
            pairs[0].3.clone(),
            "these correlations cannot hold together (the matrix is not positive definite)",
            "loosen them, or add `repair = true` to [correlations] to use the nearest valid matrix (explain reports the change)",
        );
        None
    }

    /// A named parameter in `[correlations]`, by its index.
    fn named_param(&mut self, name: &Name) -> Option<usize> {
        let names: Vec<String> = self
            .params
            .iter()
            .filter(|p| !p.inline)
            .map(|p| p.name.clone())
            .collect();
        self.lookup(name, "parameter", &names)
    }

    /// A fixed parameter correlated where it is fixed (or in a layer below): reported once.
    fn fixed_correlated(&mut self, name: &Name) {
        let message = format!(
            "parameter `{}` is fixed, so it cannot be correlated",
            name.get_ref()
        );
        let span = name.span();
        if !self
            .diagnostics
            .iter()
            .any(|d| d.span == span && d.message == message)
        {
            self.error_hint(
                span,
                message,
                "correlate parameters that have a distribution",
            );
        }
    }

    /// The number of an entry `other = rho` in a row of `[correlations]`.
    fn rho(&mut self, other: &Name, rho: &Spanned<RawRho>) -> Option<f64> {
        let removal = match rho.get_ref() {
            RawRho::Number(v) => return Some(*v),
            RawRho::Flag(_) => other.get_ref() == "remove",
            RawRho::Text(t) => t == "remove",
        };
        if removal {
            self.error_hint(
                rho.span(),
                "nothing to remove: this scenario extends no other",
                "\"remove\" drops a correlation inherited through `extends`",
            );
            return None;
        }
        match rho.get_ref() {
            RawRho::Text(t) if t.trim().parse::<f64>().is_ok() => self.error_hint(
                rho.span(),
                format!("a correlation must be a number, not the text \"{t}\""),
                format!("remove the quotes: {} = {}", other.get_ref(), t.trim()),
            ),
            RawRho::Text(t) => self.error(
                rho.span(),
                format!("a correlation must be a number within [-1, 1], got \"{t}\""),
            ),
            _ => self.error(rho.span(), "a correlation must be a number within [-1, 1]"),
        }
        None
    }

    /// Parses an inline distribution, reporting errors at their place inside the string.
    fn distribution(&mut self, written: &str, span: Range<usize>) -> Option<Distribution> {
        match Distribution::parse(written) {
            Ok(d) => Some(d),
            Err((offset, message)) => {
                // Cover the word at the offset (a misspelt name), or one character.
                let word = written.get(offset..).map_or(0, |rest| {
                    rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(rest.len())
                });
                let at = self.inner_span(&span, written, offset..offset + word.max(1));
                self.error_hint(at, message, "distributions: fixed(v), normal(mean, sd), lognormal(mu, sigma), uniform(low, high), triangular(low, mode, high), beta(alpha, beta), pert(low, mode, high)");
                None
            }
        }
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

    /// The name of an inline distribution written at `place` — the one rule that names them,
    /// and so keys their random streams. A distribution is named by what holds it and, in a
    /// rule or an effect, by what that selects, never by a position:
    /// `events.coercion.hazard`, `dynamics[russia;all;all].drift`,
    /// `events.coercion.effects[russia;kazakhstan;security].jump`,
    /// `drivers.war.effects.setback[russia;all;all].drift`. When two rules (or two effects of one
    /// item) with the same selection both write a distribution for the same key, the later ones
    /// are told apart by their rank among those alone: `dynamics[russia;all;all]#2.drift`.
    fn inline_name(&mut self, place: &Place) -> String {
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
    fn number(&mut self, number: &Number, place: &Place, bounds: Bounds) -> Option<Value> {
        let span = number.span();
        let (value, lo, hi) = match number.get_ref() {
            RawNumber::Constant(v) => (Value::Const(*v), *v, *v),
            RawNumber::Text(t) if Distribution::looks_like_call(t) => {
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
                let Some(index) = found else {
                    if self.number_in_words(t, place, &span) {
                        return None;
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
                let d = self.params[index].distribution;
                (Value::Param(index), d.quantile(0.0), d.quantile(1.0))
            }
        };
        if bounds.text.is_empty() && lo.is_finite() && hi.is_finite() {
            return Some(value);
        }
        if !(bounds.contains(lo) && bounds.contains(hi)) {
            self.out_of_range(value, place, span, bounds, (lo, hi));
            return None;
        }
        Some(value)
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
        let described = match param.distribution {
            Distribution::Fixed { value } => {
                format!("parameter `{}` is {}", param.name, show(value))
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
        let Some(param) = self.params.iter().find(|p| !p.inline && p.name == negated) else {
            return false;
        };
        let example = match negated_distribution(param.distribution) {
            Some(d) => format!(
                ", e.g. [params.{negated}_negated] dist = \"{d}\" (it draws numbers of its own, not the negation of `{negated}`'s)"
            ),
            None => " with a distribution of its own".to_string(),
        };
        self.error_hint(
            span.clone(),
            format!("a parameter cannot be negated here: \"{written}\""),
            format!(
                "`{key}` takes a number, a parameter's name or a distribution; for the opposite sign, declare a parameter{example}"
            ),
        );
        true
    }

    fn optional_number(
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

    /// Resolves a selection to indices; `None` (absent) means all.
    fn selection(
        &mut self,
        selection: &Option<Spanned<RawSelection>>,
        kind: &str,
        declared: &[String],
        autonomy: bool,
    ) -> Option<Vec<usize>> {
        let Some(selection) = selection else {
            return Some((0..declared.len()).collect());
        };
        match selection.get_ref() {
            RawSelection::All => Some((0..declared.len()).collect()),
            RawSelection::Other(s) => {
                let hint = if declared.contains(s) {
                    format!("write [\"{s}\"] (a list) to select one")
                } else {
                    "write \"all\" or a list of names".to_string()
                };
                self.error_hint(
                    selection.span(),
                    format!("a selection must be \"all\" or a list of {kind}s, got \"{s}\""),
                    hint,
                );
                None
            }
            RawSelection::Names(names) => {
                if names.is_empty() {
                    self.error_hint(
                        selection.span(),
                        format!("empty list of {kind}s"),
                        "remove the key to select all, or name at least one",
                    );
                    return None;
                }
                let mut indices = Vec::new();
                let mut ok = true;
                for name in names {
                    if autonomy && name.get_ref() == AUTONOMY {
                        indices.push(declared.len());
                        continue;
                    }
                    match self.lookup(name, kind, declared) {
                        Some(i) if !indices.contains(&i) => indices.push(i),
                        Some(_) => self.error(
                            name.span(),
                            format!("{kind} `{}` is listed twice", name.get_ref()),
                        ),
                        None => ok = false,
                    }
                }
                ok.then_some(indices)
            }
        }
    }

    /// Cells selected by an actors/targets/channels triple.
    fn cells(
        &mut self,
        actors: &Option<Spanned<RawSelection>>,
        targets: &Option<Spanned<RawSelection>>,
        channels: &Option<Spanned<RawSelection>>,
        declared: &Declared,
    ) -> Option<Vec<usize>> {
        let actors = self.selection(actors, "actor", &declared.actors, true);
        let targets = self.selection(targets, "target", &declared.targets, false);
        let channels = self.selection(channels, "channel", &declared.channels, false);
        let (actors, targets, channels) = (actors?, targets?, channels?);
        let n_slots = declared.actors.len() + 1;
        let mut cells = Vec::with_capacity(actors.len() * targets.len() * channels.len());
        for &t in &targets {
            for &c in &channels {
                for &a in &actors {
                    cells.push((t * declared.channels.len() + c) * n_slots + a);
                }
            }
        }
        Some(cells)
    }

    fn dynamics(
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
        };
        let mut cells = vec![still; n_cells];
        let mut spans = vec![BoundSpans::default(); n_cells];
        let mut ok = true;
        for rule in &rules {
            let rule = rule.get_ref();
            let selection = selection_key(&rule.actors, &rule.targets, &rule.channels);
            let path = |key: &str| Place::selecting("dynamics", &selection, key);
            let selected = self.cells(&rule.actors, &rule.targets, &rule.channels, declared);
            let drift = self.optional_number(&rule.drift, &path("drift"), RATE);
            let volatility = self.optional_number(
                &rule.volatility,
                &path("volatility"),
                Bounds {
                    hi: 50.0,
                    hi_open: false,
                    text: "must be within [0, 50] per √year",
                    ..NON_NEGATIVE
                },
            );
            let reversion = match &rule.reversion {
                None => Some(None),
                Some(r) => {
                    let level = self.number(&r.get_ref().level, &path("reversion.level"), POSITIVE);
                    let speed = self.number(
                        &r.get_ref().speed,
                        &path("reversion.speed"),
                        Bounds {
                            hi: 1000.0,
                            hi_open: false,
                            text: "must be within (0, 1000] per year",
                            ..POSITIVE
                        },
                    );
                    match (level, speed) {
                        (Some(level), Some(speed)) => Some(Some(Reversion { level, speed })),
                        _ => None,
                    }
                }
            };
            let floor = self.optional_number(&rule.floor, &path("floor"), FLOOR);
            let ceiling = self.optional_number(&rule.ceiling, &path("ceiling"), CEILING);
            let (
                Some(selected),
                Some(drift),
                Some(volatility),
                Some(reversion),
                Some(floor),
                Some(ceiling),
            ) = (selected, drift, volatility, reversion, floor, ceiling)
            else {
                ok = false;
                continue;
            };
            summaries.push(Rule {
                note: Note {
                    description: text(rule.description.clone()),
                    source: text(rule.source.clone()),
                },
                cells: selected.clone(),
                drift,
                volatility,
                reversion,
                floor,
                ceiling,
            });
            for cell in selected {
                let dynamics = &mut cells[cell];
                if let Some(d) = drift.filter(|d| !d.is_zero()) {
                    dynamics.drift.push(d);
                }
                if let Some(v) = volatility {
                    dynamics.volatility = v;
                }
                if reversion.is_some() {
                    dynamics.reversion = reversion;
                }
                if floor.is_some() {
                    dynamics.floor = floor;
                    spans[cell].floor = rule.floor.as_ref().map(Spanned::span);
                }
                if ceiling.is_some() {
                    dynamics.ceiling = ceiling;
                    spans[cell].ceiling = rule.ceiling.as_ref().map(Spanned::span);
                }
            }
        }
        if ok {
            self.check_bounds(&cells, &spans, declared);
        }
        ok.then_some((cells, summaries))
    }

    /// Bounds must be satisfiable: in every cell the floor below the ceiling, and in every
    /// target and channel the floors summing below 1 and, when every slot has a ceiling, the
    /// ceilings summing to 1 or more. Checked over the whole range of parameter-valued bounds;
    /// one message per offending rule, naming the first place and how many there are.
    fn check_bounds(&mut self, cells: &[CellDynamics], spans: &[BoundSpans], declared: &Declared) {
        let n_slots = declared.actors.len() + 1;
        let n_channels = declared.channels.len();
        let lowest = |v: Value, params: &[Param]| match v {
            Value::Const(c) => c,
            Value::Param(p) => params[p].distribution.quantile(0.0),
        };
        let highest = |v: Value, params: &[Param]| match v {
            Value::Const(c) => c,
            Value::Param(p) => params[p].distribution.quantile(1.0),
        };
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
                    let (f, c) = (highest(f, &self.params), lowest(c, &self.params));
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
            let floors: f64 = chunk
                .iter()
                .filter_map(|c| c.floor)
                .map(|f| highest(f, &self.params))
                .sum();
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
                let ceilings: f64 = chunk
                    .iter()
                    .filter_map(|c| c.ceiling)
                    .map(|c| lowest(c, &self.params))
                    .sum();
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

    fn drivers(
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
        let initial = match &driver.initial {
            None => {
                self.error_hint(
                    span.clone(),
                    format!("regime `{name}` has no `initial` state"),
                    format!("add initial = \"{}\"", names[0]),
                );
                None
            }
            Some(init) => match init.get_ref() {
                RawNumberOrName::Name(s) => {
                    let found = names.iter().position(|n| n == s);
                    if found.is_none() {
                        let hint =
                            unknown_name_hint(s, "its states", names.iter().map(String::as_str));
                        self.error_hint(
                            init.span(),
                            format!("`{s}` is not a state of regime `{name}`"),
                            hint,
                        );
                    }
                    found
                }
                RawNumberOrName::Number(_) => {
                    self.error(
                        init.span(),
                        "a regime's initial state must be a state name in quotes",
                    );
                    None
                }
            },
        };
        let transitions = self.transitions(name, &names, driver, span);
        let mut shifts = vec![Vec::new(); names.len()];
        let mut ok = true;
        for effect in &driver.effects {
            let effect_span = effect.span();
            let effect = effect.get_ref();
            let state = match &effect.state {
                None => {
                    self.error_hint(
                        effect_span.clone(),
                        "a regime's effect needs the `state` it applies in",
                        format!("add state = \"{}\"", names[0]),
                    );
                    None
                }
                Some(s) => {
                    let found = names.iter().position(|n| n == s.get_ref());
                    if found.is_none() {
                        let hint = unknown_name_hint(
                            s.get_ref(),
                            "its states",
                            names.iter().map(String::as_str),
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
        let (initial, transitions) = (initial?, transitions?);
        ok.then_some(Regime {
            states: names,
            initial,
            transitions,
            shifts,
        })
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

    fn transitions(
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
        let mut given = vec![vec![false; states.len()]; states.len()];
        let mut ok = true;
        let state = |this: &mut Self, state: &Name| -> Option<usize> {
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
                this.error_hint(
                    state.span(),
                    format!(
                        "unknown state `{}` in the transitions of regime `{name}`",
                        state.get_ref()
                    ),
                    hint,
                );
            }
            found
        };
        for (from_name, row) in rows.get_ref() {
            let Some(from) = state(self, from_name) else {
                ok = false;
                continue;
            };
            let mut sum = 0.0;
            let mut row_ok = true;
            for (to_name, p) in row.get_ref() {
                let Some(to) = state(self, to_name) else {
                    row_ok = false;
                    continue;
                };
                given[from][to] = true;
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
                matrix[from][to] = *p.get_ref();
                sum += p.get_ref();
            }
            let missing: Vec<&str> = states
                .iter()
                .zip(&given[from])
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
                    let entries: Vec<String> = states
                        .iter()
                        .map(|to| {
                            let given = row.get_ref().iter().find(|(n, _)| n.get_ref() == to);
                            match given {
                                Some((_, p)) => format!("{to} = {}", p.get_ref()),
                                None => format!("{to} = …"),
                            }
                        })
                        .collect();
                    format!(
                        "a row given by an extending file or --set replaces the inherited row whole: give all of it, drivers.{name}.transitions.{} = {{ {} }}",
                        from_name.get_ref(),
                        entries.join(", ")
                    )
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
                row_ok = false;
            } else if row_ok && (sum - 1.0).abs() > 1e-9 {
                self.error_hint(row.span(), format!("the row of `{}` sums to {}, not 1", from_name.get_ref(), round(sum)), "each row gives where the chain is one year later, so its probabilities must sum to 1");
                row_ok = false;
            }
            ok &= row_ok;
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

    fn events(
        &mut self,
        events: IndexMap<Name, Spanned<RawEvent>>,
        declared: &Declared,
        drivers: &[Driver],
        names: &Names,
        horizon: &Horizon,
    ) -> Vec<Event> {
        let mut out = Vec::new();
        for (name, event) in events {
            self.identifier(&name);
            let span = event.span();
            let event = event.into_inner();
            let ename = name.get_ref().clone();
            let repeat = event.repeat.as_ref().is_some_and(|r| *r.get_ref());
            // A repeatable event is a Poisson process: a hazard of exactly 1 would be an
            // infinite rate.
            let bounds = if repeat { REPEAT_HAZARD } else { PROBABILITY };
            let hazard = match &event.hazard {
                Some(h) => self.number(h, &Place::at(&format!("events.{ename}"), "hazard"), bounds),
                None => {
                    self.error_hint(
                        span.clone(),
                        format!("event `{ename}` has no `hazard`"),
                        "add hazard = 0.1 (its probability per year)",
                    );
                    None
                }
            };
            let window = match &event.window {
                None => Some((horizon.start + 1, horizon.end)),
                Some(w) => {
                    match w.get_ref().as_slice() {
                        [from, to] if from.get_ref() <= to.get_ref() => {
                            let (from, to) = (*from.get_ref(), *to.get_ref());
                            if to <= i64::from(horizon.start) || from > i64::from(horizon.end) {
                                self.error_hint(w.span(), format!("window [{from}, {to}] lies outside the simulated years {}–{}", horizon.start + 1, horizon.end), "the first simulated year is the one after `start`");
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
            };
            let condition = match &event.when {
                None => Some(None),
                Some(when) => match self.expression(when, names) {
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
                },
            };
            let mut jumps = Vec::new();
            let mut drifts = Vec::new();
            let mut regime_changes = Vec::new();
            let mut ok = true;
            if event.effects.is_empty() {
                self.error_hint(
                    span.clone(),
                    format!("event `{ename}` has no effects"),
                    format!(
                        "add [[events.{ename}.effects]] with a jump, a drift, or a driver and state"
                    ),
                );
                ok = false;
            }
            let owner = format!("events.{ename}.effects");
            for effect in &event.effects {
                let effect_span = effect.span();
                let effect = effect.get_ref();
                let selection = selection_key(&effect.actors, &effect.targets, &effect.channels);
                let path = |key: &str| Place::selecting(&owner, &selection, key);
                if effect.driver.is_some() || effect.state.is_some() {
                    let (Some(driver), Some(state)) = (&effect.driver, &effect.state) else {
                        self.error_hint(
                            effect_span,
                            "a regime change needs both `driver` and `state`",
                            "write driver = \"war\" and state = \"ceasefire\"",
                        );
                        ok = false;
                        continue;
                    };
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
                        Some(change) => regime_changes.push(change),
                        None => ok = false,
                    }
                    continue;
                }
                if effect.jump.is_none() && effect.drift.is_none() {
                    self.error_hint(effect_span, "an effect needs a `jump`, a `drift`, or a `driver` and `state`", "jump = 0.2 adds to the log-strength once; drift = 0.01 changes the yearly drift from then on");
                    ok = false;
                    continue;
                }
                let cells = self.cells(&effect.actors, &effect.targets, &effect.channels, declared);
                let jump = self.optional_number(&effect.jump, &path("jump"), RATE);
                let drift = self.optional_number(&effect.drift, &path("drift"), RATE);
                let (Some(cells), Some(jump), Some(drift)) = (cells, jump, drift) else {
                    ok = false;
                    continue;
                };
                for &cell in &cells {
                    if let Some(amount) = jump {
                        jumps.push(CellShift { cell, amount });
                    }
                    if let Some(amount) = drift {
                        drifts.push(CellShift { cell, amount });
                    }
                }
            }
            let (Some(hazard), Some(window), Some(condition), true) =
                (hazard, window, condition, ok)
            else {
                continue;
            };
            out.push(Event {
                name: ename,
                description: text(event.description),
                source: text(event.source),
                hazard,
                window,
                repeat,
                condition,
                condition_text: event.when.as_ref().map(|w| w.get_ref().clone()),
                jumps,
                drifts,
                regime_changes,
            });
        }
        out
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

    fn metrics(
        &mut self,
        metrics: IndexMap<Name, Spanned<RawMetric>>,
        names: &Names,
        horizon: &Horizon,
    ) -> Vec<Metric> {
        let mut out = Vec::new();
        for (name, metric) in metrics {
            self.identifier(&name);
            let span = metric.span();
            let metric: RawMetric = metric.into_inner();
            let mname = name.get_ref().clone();
            let Some(expr_text) = &metric.expr else {
                self.error_hint(
                    span,
                    format!("metric `{mname}` has no `expr`"),
                    "add expr = 'share(\"kazakhstan\", \"russia\")'",
                );
                continue;
            };
            let compiled = self.expression(expr_text, names);
            let kind_name = metric.kind.as_ref().map(|k| k.get_ref().as_str());
            if let (Some(year), false) = (&metric.year, kind_name == Some("at")) {
                self.error_hint(
                    year.span(),
                    "`year` is only for metrics of kind \"at\"",
                    "remove it, or set kind = \"at\"",
                );
            }
            let Some((expr, ty)) = compiled else { continue };
            let kind = match kind_name {
                Some("at") => {
                    let year = match &metric.year {
                        None => Some(horizon.end),
                        Some(y)
                            if (i64::from(horizon.start)..=i64::from(horizon.end))
                                .contains(y.get_ref()) =>
                        {
                            Some(*y.get_ref() as i32)
                        }
                        Some(y) => {
                            self.error(
                                y.span(),
                                format!(
                                    "year {} is outside the scenario's years {}–{}",
                                    y.get_ref(),
                                    horizon.start,
                                    horizon.end
                                ),
                            );
                            None
                        }
                    };
                    year.map(|year| MetricKind::At {
                        year,
                        step: (year - horizon.start) as usize * horizon.step.per_year() as usize,
                        condition: ty == Type::Condition,
                    })
                }
                Some(k @ ("first" | "ever")) => {
                    if ty == Type::Condition {
                        Some(if k == "first" {
                            MetricKind::First
                        } else {
                            MetricKind::Ever
                        })
                    } else {
                        self.error_hint(
                            expr_text.span(),
                            format!(
                                "a metric of kind \"{k}\" needs a condition, but this is a number"
                            ),
                            "compare it, e.g. share(\"kazakhstan\", \"china\") > 0.3",
                        );
                        None
                    }
                }
                Some(k @ ("min" | "max")) => {
                    if ty == Type::Number {
                        Some(if k == "min" {
                            MetricKind::Min
                        } else {
                            MetricKind::Max
                        })
                    } else {
                        self.error_hint(
                            expr_text.span(),
                            format!(
                                "a metric of kind \"{k}\" needs a number, but this is a condition"
                            ),
                            "use kind = \"ever\" for whether a condition ever holds",
                        );
                        None
                    }
                }
                Some(other) => {
                    let hint = unknown_name_hint(
                        other,
                        "metric kinds",
                        ["at", "first", "ever", "min", "max"],
                    );
                    let kind_span = metric.kind.as_ref().map_or(span.clone(), Spanned::span);
                    self.error_hint(kind_span, format!("unknown metric kind `{other}`"), hint);
                    None
                }
                None => {
                    self.error_hint(
                        span,
                        format!("metric `{mname}` has no `kind`"),
                        "add kind = \"at\", \"first\", \"ever\", \"min\" or \"max\"",
                    );
                    None
                }
            };
            if let Some(kind) = kind {
                out.push(Metric {
                    name: mname,
                    description: text(metric.description),
                    source: text(metric.source),
                    kind,
                    expr,
                    expr_text: expr_text.get_ref().clone(),
                });
            }
        }
        out
    }

    /// Parses and compiles an expression, reporting errors at their place in the file.
    fn expression(&mut self, written: &Spanned<String>, names: &Names) -> Option<(Expr, Type)> {
        let span = written.span();
        let source = written.get_ref();
        let ast = match expr::parse::parse(source) {
            Ok(ast) => ast,
            Err(error) => {
                let at = self.inner_span(&span, source, error.span.start..error.span.end);
                self.error(at, error.message);
                return None;
            }
        };
        match expr::compile(&ast, names) {
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

/// The distribution of −X for X of `d`, when it is of the same family.
fn negated_distribution(d: Distribution) -> Option<Distribution> {
    // `0.0 - x`, not `-x`: a zero stays 0 rather than printing as -0.
    let minus = |x: f64| 0.0 - x;
    Some(match d {
        Distribution::Fixed { value } => Distribution::Fixed {
            value: minus(value),
        },
        Distribution::Normal { mean, sd } => Distribution::Normal {
            mean: minus(mean),
            sd,
        },
        Distribution::Uniform { low, high } => Distribution::Uniform {
            low: minus(high),
            high: minus(low),
        },
        Distribution::Triangular { low, mode, high } => Distribution::Triangular {
            low: minus(high),
            mode: minus(mode),
            high: minus(low),
        },
        Distribution::Pert { low, mode, high } => Distribution::Pert {
            low: minus(high),
            mode: minus(mode),
            high: minus(low),
        },
        Distribution::LogNormal { .. } | Distribution::Beta { .. } => return None,
    })
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
        states,
    }))
}

/// What a rule or an effect selects, as written: `ACTORS;TARGETS;CHANNELS`, each `all` or the
/// names joined by commas (`russia;kazakhstan;security,energy`). Part of the names of inline
/// distributions, so it depends on nothing but the selection.
fn selection_key(
    actors: &Option<Spanned<RawSelection>>,
    targets: &Option<Spanned<RawSelection>>,
    channels: &Option<Spanned<RawSelection>>,
) -> String {
    [actors, targets, channels]
        .map(|selection| match selection.as_ref().map(Spanned::get_ref) {
            None | Some(RawSelection::All) => "all".to_string(),
            Some(RawSelection::Other(s)) => s.clone(),
            Some(RawSelection::Names(names)) => names
                .iter()
                .map(|n| n.get_ref().as_str())
                .collect::<Vec<_>>()
                .join(","),
        })
        .join(";")
}

/// Where each cell's floor and ceiling were set, to point at the rule.
#[derive(Debug, Clone, Default)]
struct BoundSpans {
    floor: Option<Range<usize>>,
    ceiling: Option<Range<usize>>,
}

struct Horizon {
    start: i32,
    end: i32,
    step: Step,
}

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

/// The last key of a path such as `events.x.hazard`, for messages.
fn path_key(path: &str) -> String {
    let key = path.rsplit('.').next().unwrap_or(path);
    format!("`{key}`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_know_every_table_of_the_file() {
        let error = toml::from_str::<RawScenario>("no_such_table = 1").unwrap_err();
        // "unknown field `no_such_table`, expected one of `extends`, `scenario`, …"
        let listed: Vec<&str> = error.message().split('`').skip(3).step_by(2).collect();
        let expected: Vec<&str> = std::iter::once("extends").chain(TABLES).collect();
        assert_eq!(listed, expected, "{}", error.message());
    }
}
