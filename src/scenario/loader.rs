//! Loading a scenario: from the text of the file the user named to the merged raw scenario
//! that `validate` checks. It follows `extends` (reading each parent through the caller's
//! [`ReadFile`], so it does no I/O itself), merges the command line's layers on top — `--set`
//! overrides, then a command's own metrics — and keeps every file's text in one [`Sources`], so
//! that each problem can point at its file, line and column.

use std::ops::Range;
use std::path::Path;

use indexmap::IndexMap;

use super::Scenario;
use super::merge;
use super::raw::{Name, RawScenario};
use super::shape::parse_file;
use super::validate;
use crate::diagnostic::{Diagnostic, Diagnostics, Sources, nearest, unknown_name_hint};

/// The name a scenario read from standard input goes by, in messages and as the folder
/// `extends` is relative to (none: the working directory).
pub const STDIN_NAME: &str = "<stdin>";

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
    let layers = Layers {
        set: overrides,
        ..Layers::default()
    };
    load_with_layers(path, text, read, layers)
}

/// What a command puts on top of a scenario's files, in this order: `--set` overrides, the
/// assumptions a sweep point sets (`--vary`, shown as such in problems), and the metrics it
/// adds as TOML `[metrics.NAME]` tables (`--where`).
#[derive(Debug, Default, Clone, Copy)]
pub struct Layers<'a> {
    /// `--set` overrides, `KEY=VALUE` each, as given on the command line.
    pub set: &'a [String],
    /// A sweep point's assumptions, `KEY=VALUE` each like `--set`, but shown as `--vary` in problems.
    pub vary: &'a [String],
    /// TOML a command adds on top of everything else, such as the metric of `--where`.
    pub metrics: &'a [Added],
}

/// TOML a command writes around a user's words (a `--where` condition becomes a metric).
/// A problem inside one of `pieces` is shown at the flag that gave it, on the user's words
/// (`--where:1:13`); anywhere else, at `label` and the written TOML.
#[derive(Debug, Clone)]
pub struct Added {
    /// The name problems outside `pieces` are shown under, such as `--where`.
    pub label: String,
    /// The TOML text, laid on top of the scenario as one more layer.
    pub text: String,
    /// The user's words inside `text`, in order of `start`.
    pub pieces: Vec<Piece>,
    /// Whether the layer's metrics must be new: one the scenario already has is then a
    /// problem at its name instead of being changed (`--metric NAME=...`).
    pub fresh: bool,
}

/// Words of the user's inside an [`Added`] layer: a problem at offset `start + i` of the
/// layer's text is shown at byte `i` of `shown`, under `flag`. A piece lasts until the next
/// one starts; nothing of the layer after a piece's last byte should be where a problem is.
#[derive(Debug, Clone)]
pub struct Piece {
    /// The flag that gave the words, such as `--where`.
    pub flag: String,
    /// What is shown: the flag's whole value, of which the layer holds some bytes.
    pub shown: String,
    /// Where byte 0 of `shown` would sit in the layer's text (the bytes the layer holds sit
    /// at their own offsets from it).
    pub start: usize,
}

/// Like [`load_with_overrides`], with every layer a command can add: how a command asks its
/// own question of a scenario.
pub fn load_with_layers(
    path: &str,
    text: &str,
    read: ReadFile,
    layers: Layers,
) -> Result<Scenario, Diagnostics> {
    let Layers {
        set,
        vary,
        metrics: extra_metrics,
    } = layers;
    let mut sources = Sources::new(path, text);
    let mut chain = vec![normalize(path)];
    // The scenario's own files (the one named and those it extends), before the overrides.
    let mut n_files = 1;
    // Where each added layer starts among the sources.
    let mut layer_starts = Vec::new();
    let resolved = parse_file(text, 0)
        .and_then(|raw| resolve(raw, path, &mut sources, read, &mut chain))
        .and_then(|(raw, extends, problems)| {
            n_files = sources.files().len();
            let (mut raw, mut problems) = (raw, problems);
            for (label, assignments) in [("--set", set), ("--vary", vary)] {
                if !assignments.is_empty() {
                    let (merged, more) = apply_overrides(raw, assignments, label, &mut sources)?;
                    raw = merged;
                    problems.extend(more);
                }
            }
            for added in extra_metrics {
                let start = sources.add(&added.label, &added.text);
                layer_starts.push(start);
                for piece in &added.pieces {
                    sources.add_piece(&piece.flag, &piece.shown, start + piece.start);
                }
                let layer = parse_file(&added.text, start)?;
                if added.fresh {
                    for name in layer.metrics.keys() {
                        if raw.metrics.keys().any(|k| k.get_ref() == name.get_ref()) {
                            problems.push(
                                Diagnostic::new(
                                    name.span(),
                                    format!("the scenario already has a metric `{}`", name.get_ref()),
                                )
                                .with_hint(format!(
                                    "choose another name, or ask the scenario's own with --metric {}",
                                    name.get_ref()
                                )),
                            );
                        }
                    }
                }
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
    // Which layer wins where two set the same thing: the overrides, then the file named by
    // the user, then the files it extends, nearest first (sources are in that order, but with
    // the override layers last).
    let precedence = (0..sources.files().len())
        .map(|i| if i < n_files { n_files - i } else { i + 1 })
        .collect();
    match validate::scenario(raw, &sources, precedence, problems) {
        Ok(mut scenario) => {
            scenario.extends = extends;
            scenario.overrides = set.iter().chain(vary).cloned().collect();
            Ok(scenario)
        }
        Err(mut list) => {
            for (added, start) in extra_metrics.iter().zip(&layer_starts) {
                for d in &mut list {
                    d.span = inside_quotes(added, *start, d.span.clone());
                }
            }
            Err(Diagnostics { sources, list })
        }
    }
}

/// A problem at a string the layer `added` (from global offset `start`) quotes around the
/// user's words is shown on the words: those are the user's, the quotes are not (quotes the
/// user wrote, inside an expression, stay).
fn inside_quotes(added: &Added, start: usize, span: Range<usize>) -> Range<usize> {
    let Some(local) = span.start.checked_sub(start) else {
        return span;
    };
    let Some(written) = added.text.get(local..local + span.len()) else {
        return span;
    };
    let quote = written.chars().next().filter(|c| *c == '"' || *c == '\'');
    let Some(quote) = quote.filter(|q| written.len() >= 2 && written.ends_with(*q)) else {
        return span;
    };
    // The piece holding the words after the quote, and whether the quote is the user's too.
    let piece = added.pieces.iter().rev().find(|p| p.start <= local + 1);
    let users = piece.is_some_and(|p| {
        local
            .checked_sub(p.start)
            .and_then(|i| p.shown.get(i..i + 1))
            .is_some_and(|c| c.starts_with(quote))
    });
    if piece.is_some() && !users {
        span.start + 1..span.end - 1
    } else {
        span
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
            .with_hint(if path == STDIN_NAME {
                "a scenario read from standard input extends a path relative to the working directory"
            } else {
                "the path is relative to the folder of the file that says `extends`"
            }),
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
    label: &str,
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
    let start = sources.add(label, &text);
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
    // A metric may be added from the command line, when its kind is given: a question asked
    // once (`--set metrics.q.kind=at --set 'metrics.q.expr=...'`). Without a kind, a new
    // name is still taken for a typo.
    let kindless: IndexMap<Name, ()> = layer
        .metrics
        .iter()
        .filter(|(_, m)| m.get_ref().kind.is_none())
        .map(|(name, _)| (name.clone(), ()))
        .collect();
    unknown_names(&mut problems, "metric", &kindless, &base.metrics);
    for problem in problems
        .iter_mut()
        .filter(|p| p.message.starts_with("there is no metric"))
    {
        let hint = problem.hint.take().unwrap_or_default();
        problem.hint = Some(format!(
            "{hint}; to add a metric, give its kind too: --set metrics.NAME.kind=at --set 'metrics.NAME.expr=...'"
        ));
    }
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
        let mut hint =
            unknown_name_hint(name.get_ref(), &format!("{kind}s of the scenario"), names);
        if kind == "parameter" && HEADER_KEYS.contains(&name.get_ref().as_str()) {
            // `--vary end=…` reads a bare name as a parameter; `--set end=…` as the header key.
            hint = format!(
                "`{0}` is a key of [scenario], not a parameter: write scenario.{0}; {hint}",
                name.get_ref()
            );
        }
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
