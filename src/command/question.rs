//! `--metric`: the questions a command is asked. Each is a metric of the scenario, by its name
//! (a leader metric's name asks all its categories), or one defined on the command line as
//! `NAME=[KIND[@YEAR]:]EXPR` — the kinds and expressions of a `[metrics]` table — which
//! becomes a `[metrics.NAME]` table laid on top of the file and is checked like one, its
//! problems shown on the user's words (`--metric:1:12`). `compare` also takes composite
//! shares, `TARGET:ACTOR`.

use serde::{Deserialize, Serialize};

use super::{Environment, metric_index};
use crate::error::Error;
use crate::scenario::{Added, Piece, Scenario};

/// The flag, as problems name it.
pub const FLAG: &str = "--metric";

/// What `--metric` asked, as given: each `NAME`, `NAME=DEFINITION` or `TARGET:ACTOR`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Questions(pub Vec<String>);

/// One `--metric`, told apart.
#[derive(Debug, Clone)]
enum Question<'a> {
    /// A metric of the scenario, by name.
    Named(&'a str),
    /// A metric defined on the command line: its name and its table.
    Defined(String, Added),
    /// A composite share, `TARGET:ACTOR`.
    Share(&'a str),
}

impl Questions {
    /// Whether nothing was asked (every metric of the scenario is then shown).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn each(&self) -> impl Iterator<Item = Question<'_>> {
        self.0.iter().map(|spec| match spec.find('=') {
            Some(eq) => {
                let (name, added) = definition(spec, eq);
                Question::Defined(name, added)
            }
            None if spec.contains(':') => Question::Share(spec.trim()),
            None => Question::Named(spec.trim()),
        })
    }

    /// The `[metrics.NAME]` tables of the definitions.
    pub fn defined(&self) -> Vec<Added> {
        self.each()
            .filter_map(|q| match q {
                Question::Defined(_, added) => Some(added),
                _ => None,
            })
            .collect()
    }

    /// The composite shares asked, `TARGET:ACTOR` each, as given.
    pub fn shares(&self) -> Vec<String> {
        self.each()
            .filter_map(|q| match q {
                Question::Share(s) => Some(s.to_string()),
                _ => None,
            })
            .collect()
    }

    /// The metrics asked, named or defined, in the order given.
    fn metric_names(&self) -> Vec<String> {
        self.each()
            .filter_map(|q| match q {
                Question::Named(name) => Some(name.to_string()),
                Question::Defined(name, _) => Some(name),
                Question::Share(_) => None,
            })
            .collect()
    }

    /// Keeps only the asked metrics of `scenario`, in the order asked (each once); a leader
    /// metric's name keeps all its categories. A name the scenario does not have is a usage
    /// error with the nearest name. Nothing asked keeps every metric.
    pub fn keep(&self, scenario: &mut Scenario) -> Result<(), Error> {
        if self.is_empty() {
            return Ok(());
        }
        let mut kept: Vec<usize> = Vec::new();
        for name in &self.metric_names() {
            let found: Vec<usize> = (0..scenario.metrics.len())
                .filter(|&i| {
                    let m = &scenario.metrics[i];
                    m.name == *name || m.category.as_ref().is_some_and(|c| c.leader == *name)
                })
                .collect();
            if found.is_empty() {
                metric_index(scenario, name, FLAG)?;
            }
            for i in found {
                if !kept.contains(&i) {
                    kept.push(i);
                }
            }
        }
        scenario.metrics = kept
            .into_iter()
            .map(|i| scenario.metrics[i].clone())
            .collect();
        Ok(())
    }

    /// Refuses composite shares where only metrics can be asked (`run`).
    pub fn only_metrics(&self) -> Result<(), Error> {
        match self.shares().first() {
            None => Ok(()),
            Some(share) => Err(Error::Usage(format!(
                "{FLAG} {share}: here --metric names a metric, or defines one as NAME=[KIND[@YEAR]:]EXPR; \
                 every composite share is in the table already"
            ))),
        }
    }
}

/// Loads `file` with `overrides` and the questions defined in `questions`, keeping only the
/// metrics asked (all when none is).
pub fn load(
    env: &dyn Environment,
    file: &str,
    overrides: &[String],
    questions: &Questions,
) -> Result<Scenario, Error> {
    let mut scenario = super::load(env, file, overrides, &questions.defined())?;
    questions.keep(&mut scenario)?;
    Ok(scenario)
}

/// Loads every file as [`load`] does, reporting the problems of all of them together.
pub fn load_all(
    env: &dyn Environment,
    files: &[String],
    overrides: &[String],
    questions: &Questions,
) -> Result<Vec<Scenario>, Error> {
    let mut scenarios = Vec::new();
    let mut invalid = Vec::new();
    for file in files {
        match load(env, file, overrides, questions) {
            Ok(s) => scenarios.push(s),
            Err(Error::Invalid(mut d)) => invalid.append(&mut d),
            Err(other) => return Err(other),
        }
    }
    if invalid.is_empty() {
        Ok(scenarios)
    } else {
        Err(Error::Invalid(invalid))
    }
}

/// `NAME=[KIND[@YEAR]:]EXPR` (`=` at byte `eq`) as a `[metrics.NAME]` table whose values are
/// the user's words, each a [`Piece`] showing the whole flag. Without `KIND` the metric is
/// `at` (of the horizon without `@YEAR`); `count:EVENT` counts an event's firings.
fn definition(spec: &str, eq: usize) -> (String, Added) {
    let (name, name_at) = trimmed(spec, 0, eq);
    let rest = eq + 1;
    // A prefix `KIND[@YEAR]:` holds only letters, digits, `@` and spaces; an expression never
    // has a `:`, so one with other characters before its `:` is all expression.
    let prefix = spec[rest..].find(':').filter(|&c| {
        spec[rest..rest + c]
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '@' || ch == '_' || ch == ' ')
    });
    let (kind, year, body) = match prefix {
        Some(c) => {
            let head = rest..rest + c;
            let (kind, year) = match spec[head.clone()].find('@') {
                Some(at) => (
                    trimmed(spec, head.start, head.start + at),
                    Some(trimmed(spec, head.start + at + 1, head.end)),
                ),
                None => (trimmed(spec, head.start, head.end), None),
            };
            let kind = (!kind.0.is_empty()).then_some(kind);
            (kind, year, trimmed(spec, head.end + 1, spec.len()))
        }
        None => (None, None, trimmed(spec, rest, spec.len())),
    };
    let mut layer = Layer {
        spec,
        text: String::new(),
        pieces: Vec::new(),
    };
    layer.text.push_str("[metrics.");
    layer.value(&toml_key(name), name_at, name);
    layer.text.push_str("]\nkind = ");
    match kind {
        Some((k, at)) => layer.value(&quoted(k), at, k),
        None => layer.text.push_str("\"at\""),
    }
    if let Some((y, at)) = year {
        layer.text.push_str("\nyear = ");
        // Not a whole number: written as a string, which the format refuses at its place.
        let written = if y.parse::<i64>().is_ok() {
            y.to_string()
        } else {
            quoted(y)
        };
        layer.value(&written, at, y);
    }
    let key = if kind.is_some_and(|(k, _)| k == "count") {
        "event"
    } else {
        "expr"
    };
    layer.text.push_str(&format!("\n{key} = "));
    layer.value(&quoted(body.0), body.1, body.0);
    layer.text.push('\n');
    let added = Added {
        label: FLAG.to_string(),
        text: layer.text,
        pieces: layer.pieces,
        fresh: true,
    };
    (name.to_string(), added)
}

/// A `[metrics]` table being written, with the pieces of the user's words in it.
struct Layer<'a> {
    spec: &'a str,
    text: String,
    pieces: Vec<Piece>,
}

impl Layer<'_> {
    /// Writes `written`, the TOML for the user's `words` at byte `at` of the flag; a piece
    /// when TOML writes them as they are (within quotes or bare) and the pieces stay in order.
    fn value(&mut self, written: &str, at: usize, words: &str) {
        let inner = if written.len() > words.len() { 1 } else { 0 };
        let unchanged = written.get(inner..inner + words.len()) == Some(words);
        let position = self.text.len() + inner;
        if unchanged
            && position >= at
            && self
                .pieces
                .last()
                .is_none_or(|p: &Piece| p.start <= position - at)
        {
            self.pieces.push(Piece {
                flag: FLAG.to_string(),
                shown: self.spec.to_string(),
                start: position - at,
            });
        }
        self.text.push_str(written);
    }
}

/// `spec[from..to]` without surrounding spaces, and where it starts.
fn trimmed(spec: &str, from: usize, to: usize) -> (&str, usize) {
    let part = &spec[from..to];
    let start = from + (part.len() - part.trim_start().len());
    (part.trim(), start)
}

/// A TOML basic string.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A TOML key: bare when it may be, else quoted (the format then refuses the name at its
/// place).
fn toml_key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare { name.to_string() } else { quoted(name) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(spec: &str) -> String {
        let (_, added) = definition(spec, spec.find('=').unwrap());
        added.text
    }

    #[test]
    fn a_definition_becomes_the_metric_table_it_stands_for() {
        assert_eq!(
            table("q=at@2030:region(\"china\") > 0.3"),
            "[metrics.q]\nkind = \"at\"\nyear = 2030\nexpr = 'region(\"china\") > 0.3'\n"
        );
        assert_eq!(
            table(" q = first : share(\"kz\", \"china\") > 0.5"),
            "[metrics.q]\nkind = \"first\"\nexpr = 'share(\"kz\", \"china\") > 0.5'\n"
        );
        assert_eq!(
            table("q=region(\"china\")"),
            "[metrics.q]\nkind = \"at\"\nexpr = 'region(\"china\")'\n"
        );
        assert_eq!(
            table("q=@2030:region(actor)"),
            "[metrics.q]\nkind = \"at\"\nyear = 2030\nexpr = \"region(actor)\"\n"
        );
        assert_eq!(
            table("n=count:energy_pressure"),
            "[metrics.n]\nkind = \"count\"\nevent = \"energy_pressure\"\n"
        );
        assert_eq!(
            table("q=at@20x0:year"),
            "[metrics.q]\nkind = \"at\"\nyear = \"20x0\"\nexpr = \"year\"\n"
        );
    }

    #[test]
    fn every_piece_shows_the_whole_flag_at_the_words_place() {
        let spec = "q=leader@2035:region(actor)";
        let (_, added) = definition(spec, 1);
        assert_eq!(added.pieces.len(), 4);
        for (piece, words) in added
            .pieces
            .iter()
            .zip(["q", "leader", "2035", "region(actor)"])
        {
            let at = spec.find(words).unwrap();
            assert_eq!(
                &added.text[piece.start + at..piece.start + at + words.len()],
                words
            );
            assert_eq!(piece.shown, spec);
        }
    }
}
