//! Problems found in scenario files, each pointing at a byte range of a file's text, and their
//! rendering as `FILE:LINE:COLUMN: message`, the offending line, a caret, and a hint.
//!
//! Validation collects every problem it can find before giving up, so this type is a plain
//! value gathered into a `Vec`, not an early-return error.
//!
//! The rendering is our own, about sixty lines, rather than `annotate-snippets`'s: that crate
//! (0.12) opens with `error: MESSAGE` and ` --> FILE:LINE:COL`, puts an empty gutter line
//! before `= help:`, and cuts a long line at the terminal's width with `...`, so every
//! message of the catalogue (`tests/bad_scenarios/`) would change; what it would draw for
//! us, the gutter, the line and the caret (tabs as four spaces, as here), is what `render`
//! already does.

use std::fmt::Write as _;
use std::ops::Range;

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Byte range in the file's text; empty ranges point between two characters.
    pub span: Range<usize>,
    /// What is wrong, in one sentence, without a trailing full stop.
    pub message: String,
    /// What would be right, when we can say.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A problem at `span`, without a hint.
    pub fn new(span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            span,
            message: message.into(),
            hint: None,
        }
    }

    /// The same problem with a hint: what would be right.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }
}

/// The files of one scenario — the file named by the user first, then the files it extends —
/// laid end to end, so that a byte range of the concatenation names both a file and a place in
/// it. Spans of every file's values are global offsets into this concatenation.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

/// One file of [`Sources`]: its path, its text and where it starts in the concatenation.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as the user gave it or as resolved from `extends` (shown as is).
    pub path: String,
    /// The file's whole text.
    pub text: String,
    /// Global offset of the file's first byte.
    pub start: usize,
    /// Whether it is a piece of another file (see [`Sources::add_piece`]), not laid end to end.
    pub piece: bool,
}

impl Sources {
    /// The sources of one file, `path` with its `text`, starting at offset 0.
    pub fn new(path: &str, text: &str) -> Sources {
        let mut sources = Sources::default();
        sources.add(path, text);
        sources
    }

    /// Adds a file and returns its global start offset (one past the end of every file so far).
    pub fn add(&mut self, path: &str, text: &str) -> usize {
        let start = self
            .files
            .iter()
            .filter(|f| !f.piece)
            .map(|f| f.start + f.text.len() + 1)
            .max()
            .unwrap_or(0);
        self.files.push(SourceFile {
            path: path.to_string(),
            text: text.to_string(),
            start,
            piece: false,
        });
        start
    }

    /// The concatenation global offsets index: every file but the pieces, one newline between.
    pub fn text(&self) -> String {
        self.files
            .iter()
            .filter(|f| !f.piece)
            .map(|f| f.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Names a piece of the file added last — text a command wrote around a user's words —
    /// as a source of its own: `text` is the piece, at global offset `start` inside that
    /// file, and a problem there is shown as `path:1:COLUMN` on the user's words alone.
    /// Pieces are added in order of `start`.
    pub fn add_piece(&mut self, path: &str, text: &str, start: usize) {
        debug_assert!(self.files.last().is_some_and(|f| f.start <= start));
        self.files.push(SourceFile {
            path: path.to_string(),
            text: text.to_string(),
            start,
            piece: true,
        });
    }

    /// The file holding global `offset`, and the offset within it.
    pub fn locate(&self, offset: usize) -> (&SourceFile, usize) {
        let file = self
            .files
            .iter()
            .rev()
            .find(|f| f.start <= offset)
            .unwrap_or(&self.files[0]);
        (file, (offset - file.start).min(file.text.len()))
    }

    /// The index (in [`Sources::files`]) of the file holding global `offset`.
    pub fn file_index(&self, offset: usize) -> usize {
        self.files
            .iter()
            .rposition(|f| f.start <= offset)
            .unwrap_or(0)
    }

    /// Every file, in the order they were added: the file named by the user first.
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }
}

/// Problems of a scenario together with the files needed to show them.
#[derive(Debug, Clone)]
pub struct Diagnostics {
    /// The files the problems' spans point into.
    pub sources: Sources,
    /// Every problem found, in the order found.
    pub list: Vec<Diagnostic>,
}

impl std::fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, diagnostic) in self.list.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            let (file, start) = self.sources.locate(diagnostic.span.start);
            let end = start + diagnostic.span.len();
            let local = Diagnostic {
                span: start..end,
                ..diagnostic.clone()
            };
            f.write_str(&render(&file.path, &file.text, &local))?;
        }
        Ok(())
    }
}

/// Longest part of a line shown under a message.
const MAX_SHOWN: usize = 100;

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = clamp_to_char_boundary(text, offset);
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Renders one diagnostic:
///
/// ```text
/// scenarios/x.toml:12:12: unknown actor `rusia`
///    |
/// 12 | actors = ["rusia"]
///    |           ^^^^^^^
///    = help: did you mean `russia`?
/// ```
pub fn render(path: &str, text: &str, diagnostic: &Diagnostic) -> String {
    let start = clamp_to_char_boundary(text, diagnostic.span.start);
    let end = clamp_to_char_boundary(text, diagnostic.span.end.max(start));
    let (line, column) = line_column(text, start);
    let mut out = format!("{path}:{line}:{column}: {}\n", diagnostic.message);

    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    // A tab is shown as four spaces, on the line and under it, so that the caret stays under
    // the span however wide the terminal draws a tab.
    let line_text = expand_tabs(text[line_start..line_end].trim_end_matches('\r'));
    let gutter = line.to_string().len();
    let pad = " ".repeat(gutter);
    let _ = writeln!(out, "{pad} |");
    // The caret covers the span's part on its first line, at least one character.
    let mut caret_start = expand_tabs(&text[line_start..start]).chars().count();
    let mut caret_len = expand_tabs(&text[start..end.min(line_end).max(start)])
        .chars()
        .count()
        .max(1);
    // A very long line is shown as a window around the caret.
    let chars: Vec<char> = line_text.chars().collect();
    let shown = if chars.len() > MAX_SHOWN {
        let from = caret_start.saturating_sub(MAX_SHOWN / 2);
        let to = (from + MAX_SHOWN).min(chars.len());
        let mut window: String = chars[from..to].iter().collect();
        if to < chars.len() {
            window.push('…');
        }
        if from > 0 {
            window.insert(0, '…');
            caret_start = caret_start - from + 1;
        }
        caret_len = caret_len.min(MAX_SHOWN);
        window
    } else {
        line_text
    };
    let _ = writeln!(out, "{line} | {shown}");
    let _ = writeln!(
        out,
        "{pad} | {}{}",
        " ".repeat(caret_start),
        "^".repeat(caret_len)
    );
    if let Some(hint) = &diagnostic.hint {
        let _ = writeln!(out, "{pad} = help: {hint}");
    }
    out
}

/// `text` with every tab shown as four spaces.
fn expand_tabs(text: &str) -> String {
    text.replace('\t', "    ")
}

/// The candidate nearest to `word` by edit distance, if it is close enough to be a likely typo.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|candidate| (strsim::damerau_levenshtein(word, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// "did you mean `x`? " followed by the list of valid names: the hint for an unknown name.
pub fn unknown_name_hint<'a>(
    word: &str,
    kind_plural: &str,
    candidates: impl IntoIterator<Item = &'a str> + Clone,
) -> String {
    let list: Vec<String> = candidates
        .clone()
        .into_iter()
        .map(|c| format!("`{c}`"))
        .collect();
    let list = if list.is_empty() {
        "none".to_string()
    } else {
        list.join(", ")
    };
    match nearest(word, candidates) {
        Some(near) => format!("did you mean `{near}`? {kind_plural}: {list}"),
        None => format!("{kind_plural}: {list}"),
    }
}

fn clamp_to_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        // `=` on line 2 comes after `bé `, three characters but four bytes.
        assert_eq!(line_column(text, 10), (2, 4));
        assert_eq!(line_column(text, text.len()), (3, 1));
    }

    #[test]
    fn render_puts_caret_under_span() {
        let text = "[x]\nactors = [\"rusia\"]\n";
        let start = text.find("\"rusia\"").unwrap();
        let d = Diagnostic::new(start..start + 7, "unknown actor `rusia`")
            .with_hint("did you mean `russia`?");
        let expected = "f.toml:2:11: unknown actor `rusia`\n  |\n2 | actors = [\"rusia\"]\n  |           ^^^^^^^\n  = help: did you mean `russia`?\n";
        assert_eq!(render("f.toml", text, &d), expected);
    }

    #[test]
    fn a_tab_before_the_span_does_not_shift_the_caret() {
        let text = "[x]\n\tactors =\t[\"rusia\"]\n";
        let start = text.find("\"rusia\"").unwrap();
        let d = Diagnostic::new(start..start + 7, "unknown actor `rusia`");
        let expected = "f.toml:2:12: unknown actor `rusia`\n  |\n2 |     actors =    [\"rusia\"]\n  |                  ^^^^^^^\n";
        assert_eq!(render("f.toml", text, &d), expected);
    }

    #[test]
    fn nearest_finds_typos_only() {
        let names = ["russia", "china", "turkey"];
        assert_eq!(nearest("rusia", names), Some("russia"));
        assert_eq!(nearest("chian", names), Some("china"));
        assert_eq!(nearest("brazil", names), None);
    }
}
