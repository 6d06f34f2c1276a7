//! Reading one file into the raw mirror, with every problem of shape — a wrong type, an
//! unknown key — reported at once and in the user's words.
//!
//! serde stops at the first problem it meets. So the file is parsed into a spanned value tree
//! first (a syntax error still stops there: what follows it cannot be read reliably), and the
//! mirror is deserialized from that tree; after each problem the entry it is about is taken out
//! of the tree and the rest is deserialized again, until nothing is wrong. Meaning (names,
//! ranges, sums) is checked only when the shape is right, in `validate`.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::raw::{
    RawCommon, RawDriver, RawDriverEffect, RawEntity, RawEvent, RawEventEffect, RawExpert,
    RawHeader, RawMetric, RawParamTable, RawReversion, RawRule, RawScenario,
};
use crate::diagnostic::{Diagnostic, nearest};

/// Most shape problems reported for one file; beyond, the file is surely not a scenario.
const MAX_PROBLEMS: usize = 50;

/// Parses one file whose text starts at global offset `start`. Padding the text with that many
/// bytes of whitespace makes every span the parser records global.
pub fn parse_file(text: &str, start: usize) -> Result<RawScenario, Vec<Diagnostic>> {
    // A byte-order mark is three bytes; three spaces keep every offset.
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => format!("   {rest}"),
        None => text.to_string(),
    };
    let padded;
    let text = if start == 0 {
        text.as_str()
    } else {
        padded = format!("{}\n{text}", " ".repeat(start - 1));
        &padded
    };
    let mut tree = DeTable::parse(text).map_err(|error| vec![problem(&error, None)])?;
    let mut problems = lists_for_tables(tree.get_mut());
    // Keys taken out of the tree, with the span of the table that held them.
    let mut taken: Vec<(Range<usize>, String)> = Vec::new();
    while problems.len() < MAX_PROBLEMS {
        let error = match RawScenario::deserialize(toml::de::Deserializer::from(tree.clone())) {
            Ok(raw) if problems.is_empty() => return Ok(raw),
            Ok(_) => break,
            Err(error) => error,
        };
        let Some(span) = error.span() else {
            problems.push(problem(&error, None));
            break;
        };
        let Some(path) = innermost(tree.get_ref(), &span) else {
            problems.push(problem(&error, None));
            break;
        };
        // A key taken out after an earlier problem is now missing: not a problem of its own.
        let artefact = missing_key(&error).is_some_and(|key| {
            taken
                .iter()
                .any(|(table, k)| *k == key && table.start >= span.start && table.end <= span.end)
        });
        if !artefact {
            problems.push(problem(&error, path.key.as_deref()));
        }
        if let Some(key) = &path.key {
            taken.push((path.parent_span.clone(), key.clone()));
        }
        if !remove(tree.get_mut(), &path.steps) {
            // Nothing could be taken out: the next round would meet the same problem.
            break;
        }
    }
    problems.sort_by_key(|p| p.span.start);
    Err(problems)
}

/// The tables of the format, by where they sit: `*` is any key, `[]` any element of a list.
const TABLES: &[(&[&str], &str)] = &[
    (&["scenario"], "RawHeader"),
    (&["actors", "*"], "RawEntity"),
    (&["targets", "*"], "RawEntity"),
    (&["channels", "*"], "RawEntity"),
    (&["dynamics", "[]"], "RawRule"),
    (&["dynamics", "[]", "reversion"], "RawReversion"),
    (&["dynamics", "[]", "common"], "RawCommon"),
    (&["drivers", "*"], "RawDriver"),
    (&["drivers", "*", "effects", "[]"], "RawDriverEffect"),
    (&["events", "*"], "RawEvent"),
    (&["events", "*", "effects", "[]"], "RawEventEffect"),
    (&["metrics", "*"], "RawMetric"),
];

/// A list where the format has a table (`e = []` for an event, `d = [1]` for a driver): serde
/// would read the list as the table's fields in order and report the length or the first
/// element. Each is reported as what it is and taken out of the tree.
fn lists_for_tables(table: &mut DeTable) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    for (path, name) in TABLES {
        take_lists(table, path, name, &mut problems);
    }
    problems
}

fn take_lists(table: &mut DeTable, path: &[&str], name: &str, out: &mut Vec<Diagnostic>) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let mut lists = Vec::new();
    for (key, value) in table.iter_mut() {
        if *first != "*" && key.get_ref() != first {
            continue;
        }
        if rest.is_empty() {
            if matches!(value.get_ref(), DeValue::Array(_)) {
                lists.push(key.clone());
                out.push(list_for_table(value.span(), name));
            }
        } else {
            take_lists_in(value.get_mut(), rest, name, out);
        }
    }
    for key in lists {
        table.remove(&key);
    }
}

fn take_lists_in(value: &mut DeValue, path: &[&str], name: &str, out: &mut Vec<Diagnostic>) {
    match value {
        DeValue::Table(table) => take_lists(table, path, name, out),
        DeValue::Array(array) if path.first() == Some(&"[]") => {
            let rest = &path[1..];
            if rest.is_empty() {
                let mut kept = toml::de::DeArray::new();
                for element in std::mem::replace(array, toml::de::DeArray::new()) {
                    if matches!(element.get_ref(), DeValue::Array(_)) {
                        out.push(list_for_table(element.span(), name));
                    } else {
                        kept.push(element);
                    }
                }
                *array = kept;
            } else {
                for element in array.iter_mut() {
                    take_lists_in(element.get_mut(), rest, name, out);
                }
            }
        }
        _ => {}
    }
}

fn list_for_table(span: Range<usize>, name: &str) -> Diagnostic {
    let keys = keys_of_struct(name).unwrap_or_default();
    Diagnostic::new(
        span,
        format!(
            "wrong type: found a list, expected a table of {} keys",
            quoted_refs(&keys)
        ),
    )
}

/// One step into the tree: a key of a table or an index of an array.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// Where a problem is: the steps to the entry, the entry's key (if it is in a table) and the
/// span of what holds it.
#[derive(Debug, Clone)]
struct Path {
    steps: Vec<Step>,
    key: Option<String>,
    parent_span: Range<usize>,
    size: usize,
}

/// The smallest entry whose key or value covers `span`.
fn innermost(table: &DeTable, span: &Range<usize>) -> Option<Path> {
    let mut best: Option<Path> = None;
    let mut steps = Vec::new();
    search_table(table, 0..usize::MAX, span, &mut steps, &mut best);
    best
}

fn covers(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

fn consider(
    best: &mut Option<Path>,
    steps: &[Step],
    key: Option<&str>,
    parent_span: &Range<usize>,
    size: usize,
) {
    if best.as_ref().is_none_or(|b| size <= b.size) {
        *best = Some(Path {
            steps: steps.to_vec(),
            key: key.map(str::to_string),
            parent_span: parent_span.clone(),
            size,
        });
    }
}

fn search_table(
    table: &DeTable,
    table_span: Range<usize>,
    span: &Range<usize>,
    steps: &mut Vec<Step>,
    best: &mut Option<Path>,
) {
    for (key, value) in table.iter() {
        steps.push(Step::Key(key.get_ref().to_string()));
        for covering in [key.span(), value.span()] {
            if covers(&covering, span) {
                consider(
                    best,
                    steps,
                    Some(key.get_ref()),
                    &table_span,
                    covering.len(),
                );
            }
        }
        search_value(value, span, steps, best);
        steps.pop();
    }
}

fn search_value(
    value: &Spanned<DeValue>,
    span: &Range<usize>,
    steps: &mut Vec<Step>,
    best: &mut Option<Path>,
) {
    match value.get_ref() {
        DeValue::Table(table) => search_table(table, value.span(), span, steps, best),
        DeValue::Array(array) => {
            for (i, element) in array.iter().enumerate() {
                steps.push(Step::Index(i));
                if covers(&element.span(), span) {
                    consider(best, steps, None, &value.span(), element.span().len());
                }
                search_value(element, span, steps, best);
                steps.pop();
            }
        }
        _ => {}
    }
}

/// Takes the entry at `steps` out of the tree; whether there was one.
fn remove(table: &mut DeTable, steps: &[Step]) -> bool {
    let Some((Step::Key(first), rest)) = steps.split_first() else {
        return false;
    };
    if rest.is_empty() {
        let key = table.keys().find(|k| k.get_ref() == first).cloned();
        return key.is_some_and(|key| table.remove(&key).is_some());
    }
    match table.iter_mut().find(|(k, _)| k.get_ref() == first) {
        Some((_, value)) => remove_in(value.get_mut(), rest),
        None => false,
    }
}

fn remove_in<'i>(value: &mut DeValue<'i>, steps: &[Step]) -> bool {
    match (value, steps.first()) {
        (DeValue::Table(table), Some(Step::Key(_))) => remove(table, steps),
        (DeValue::Array(array), Some(Step::Index(i))) if steps.len() == 1 => {
            let before = array.len();
            let kept: toml::de::DeArray<'i> = std::mem::replace(array, toml::de::DeArray::new())
                .into_iter()
                .enumerate()
                .filter(|(j, _)| j != i)
                .map(|(_, v)| v)
                .collect();
            *array = kept;
            array.len() < before
        }
        (DeValue::Array(array), Some(Step::Index(i))) => match array.get_mut(*i) {
            Some(element) => remove_in(element.get_mut(), &steps[1..]),
            None => false,
        },
        _ => false,
    }
}

/// The key named by a "missing field" error.
fn missing_key(error: &toml::de::Error) -> Option<String> {
    let rest = error.message().strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// Turns a TOML or shape error into a diagnostic, in the user's words: the nearest key for an
/// unknown one, and what a table of the format holds rather than the name of a Rust type.
/// `key` is the key of the entry the problem is about, when known.
pub fn problem(error: &toml::de::Error, key: Option<&str>) -> Diagnostic {
    let span = error.span().unwrap_or(0..0);
    let message = error.message().trim().trim_end_matches('.').to_string();
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let valid: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        let hint = match nearest(field, valid.iter().copied()) {
            Some(near) => format!("did you mean `{near}`? valid keys here: {}", quoted(&valid)),
            None => format!("valid keys here: {}", quoted(&valid)),
        };
        return Diagnostic::new(span, format!("unknown key `{field}`")).with_hint(hint);
    }
    if let Some(field) = missing_key(error) {
        return Diagnostic::new(span, format!("missing key `{field}`"));
    }
    let list = match key {
        Some("window") => "expected a list, e.g. [2025, 2030]",
        Some("dynamics") => "expected [[dynamics]] tables, one per rule",
        Some("effects") => "expected [[...effects]] tables, one per effect",
        _ => "expected a list",
    };
    let mut message = message
        .replace("invalid type: ", "wrong type: found ")
        .replace("found map", "found a table")
        .replace("found sequence", "found a list")
        .replace("expected i64", "expected a whole number")
        .replace("expected f64", "expected a number")
        .replace("expected a sequence", list)
        .replace("expected a map", "expected a table")
        .replace("expected a string", "expected text in quotes")
        .replace(
            "expected a boolean",
            "expected true or false (without quotes)",
        )
        .replace("invalid value: integer", "number too large:")
        .replace(" as i128", "");
    // serde names the Rust type it wanted; say which keys that table takes.
    if let Some(at) = message.find("expected struct ") {
        let name = &message[at + "expected struct ".len()..];
        let name = name
            .split(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or(name);
        let described = match keys_of_struct(name) {
            Some(keys) => format!("expected a table of {} keys", quoted_refs(&keys)),
            None => "expected a table".to_string(),
        };
        let end = at + "expected struct ".len() + name.len();
        message.replace_range(at..end, &described);
    }
    Diagnostic::new(span, message)
}

fn quoted(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn quoted_refs(keys: &[String]) -> String {
    quoted(&keys.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The keys of the raw table called `name` (`RawEntity` …), as serde itself lists them.
fn keys_of_struct(name: &str) -> Option<Vec<String>> {
    Some(match name {
        "RawScenario" => keys_of::<RawScenario>(),
        "RawHeader" => keys_of::<RawHeader>(),
        "RawEntity" => keys_of::<RawEntity>(),
        "RawParamTable" => keys_of::<RawParamTable>(),
        "RawExpert" => keys_of::<RawExpert>(),
        "RawRule" => keys_of::<RawRule>(),
        "RawReversion" => keys_of::<RawReversion>(),
        "RawCommon" => keys_of::<RawCommon>(),
        "RawDriver" => keys_of::<RawDriver>(),
        "RawDriverEffect" => keys_of::<RawDriverEffect>(),
        "RawEvent" => keys_of::<RawEvent>(),
        "RawEventEffect" => keys_of::<RawEventEffect>(),
        "RawMetric" => keys_of::<RawMetric>(),
        _ => return None,
    })
}

/// The keys a table deserialized as `T` takes: what serde lists for a key it does not know.
pub(super) fn keys_of<T: serde::de::DeserializeOwned>() -> Vec<String> {
    match toml::from_str::<T>("__no_such_key__ = 0") {
        Ok(_) => Vec::new(),
        Err(error) => error
            .message()
            .split('`')
            .skip(3)
            .step_by(2)
            .map(str::to_string)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_raw_table_is_described_in_words() {
        // Each `#[derive(Deserialize)]` struct of raw.rs.
        let source = include_str!("raw.rs");
        let mut names = Vec::new();
        let mut derived = false;
        for line in source.lines() {
            if line.starts_with("#[derive(") {
                derived = line.contains("Deserialize");
            } else if let Some(rest) = line.strip_prefix("pub struct ") {
                if derived {
                    names.push(rest.split([' ', '<', '{']).next().unwrap().to_string());
                }
                derived = false;
            }
        }
        assert!(names.len() >= 10, "{names:?}");
        for name in names {
            let keys = keys_of_struct(&name).unwrap_or_else(|| panic!("{name} not described"));
            assert!(!keys.is_empty(), "{name}: no keys found");
        }
        assert_eq!(
            keys_of::<RawReversion>(),
            ["level".to_string(), "speed".to_string()]
        );
    }

    #[test]
    fn every_shape_problem_of_a_file_is_reported() {
        let text = "[scenario]\nname = 5\nstart = \"2022\"\nend = 2030\nstpe = 1\n\
                    [actors]\nrussia = 3\n[events.e]\nhazard = true\nwindow = 2025\n\
                    [[dynamics]]\nreversion = { level = true, speed = [] }\n";
        let problems = parse_file(text, 0).unwrap_err();
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "wrong type: found integer `5`, expected text in quotes",
                "wrong type: found string \"2022\", expected a whole number",
                "unknown key `stpe`",
                "wrong type: found integer `3`, expected a table of `label`, `weight`, `channels`, `description`, `source` keys",
                "wrong type: found boolean `true`, expected a number, a parameter name or a distribution such as \"normal(0, 1)\"",
                "wrong type: found integer `2025`, expected a list, e.g. [2025, 2030]",
                "wrong type: found boolean `true`, expected a number, a parameter name or a distribution such as \"normal(0, 1)\"",
                "wrong type: found a list, expected a number, a parameter name or a distribution such as \"normal(0, 1)\"",
            ]
        );
    }

    #[test]
    fn a_list_where_a_table_belongs_is_one_problem_in_words() {
        // serde reads a list as a table's fields in order: `[]` was "invalid length 0, expected
        // … with 8 elements", `[1]` a wrong type for the first field and then that again.
        let text = "[actors]\na = []\n[events]\ne = [1]\n[drivers.d]\ntype = \"regime\"\n\
                    effects = [[]]\n[[dynamics]]\nreversion = []\n[metrics]\nm = [\"at\"]\n";
        let problems = parse_file(text, 0).unwrap_err();
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        let table = |name: &str| {
            format!(
                "wrong type: found a list, expected a table of {} keys",
                quoted_refs(&keys_of_struct(name).unwrap())
            )
        };
        assert_eq!(
            messages,
            [
                table("RawEntity"),
                table("RawEvent"),
                table("RawDriverEffect"),
                table("RawReversion"),
                table("RawMetric"),
            ]
        );
        assert_eq!(&text[problems[0].span.clone()], "[]");
        assert_eq!(&text[problems[1].span.clone()], "[1]");
    }

    #[test]
    fn a_file_that_is_right_reads_as_before() {
        let text = "[scenario]\nname = \"x\"\n[actors]\na = { label = \"A\" }\n";
        let raw = parse_file(text, 0).unwrap();
        assert_eq!(
            raw.scenario
                .unwrap()
                .get_ref()
                .name
                .as_ref()
                .unwrap()
                .span(),
            18..21
        );
        assert_eq!(raw.actors.len(), 1);
    }
}
