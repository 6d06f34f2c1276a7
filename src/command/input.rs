//! Reading what a command is given: scenario files (or `-`, standard input), the files they
//! extend, and shards' partial results.
//!
//! Every read is bounded and only regular files are opened, so a FIFO, a device (`/dev/zero`)
//! or a file that grows while it is read cannot hang steppe or exhaust its memory. Text that is
//! not UTF-8 is refused at the place of its first bad byte, as `file:line:column`.

use std::io::Read;
use std::path::Path;

use crate::error::Error;

/// Largest scenario file read, in bytes: more is surely not a hand-written scenario.
pub const MAX_SCENARIO_BYTES: u64 = 4 * 1024 * 1024;

/// Largest `partial.json` read, in bytes. A shard's partial holds its share of every run's
/// values, so it grows with the runs; this only stops a runaway read.
pub const MAX_PARTIAL_BYTES: u64 = 16 * 1024 * 1024 * 1024;

/// The file name that means standard input.
pub const STDIN: &str = "-";

/// How standard input is named in messages (the scenario loader names it so too).
pub use crate::scenario::STDIN_NAME;

/// Reads a scenario file, or standard input for `-`.
pub fn scenario(path: &Path) -> Result<String, Error> {
    let shown = path.display().to_string();
    let bytes = if shown == STDIN {
        bounded(std::io::stdin().lock(), MAX_SCENARIO_BYTES)
            .map_err(|e| Error::Usage(format!("cannot read standard input: {e}")))?
    } else {
        regular_file(path, "a scenario file", "cannot read ").map_err(Error::Usage)?;
        let file = std::fs::File::open(path)
            .map_err(|e| Error::Usage(format!("cannot read {shown}: {e}")))?;
        bounded(file, MAX_SCENARIO_BYTES)
            .map_err(|e| Error::Usage(format!("cannot read {shown}: {e}")))?
    };
    let name = if shown == STDIN { STDIN_NAME } else { &shown };
    scenario_text(name, bytes).map_err(Error::Usage)
}

/// Reads a file named by `extends`, with the limits of a scenario file.
pub fn parent(path: &Path) -> Result<String, String> {
    let shown = path.display().to_string();
    regular_file(path, "a scenario file", "")?;
    let file = std::fs::File::open(path).map_err(|e| format!("{shown}: {e}"))?;
    let bytes = bounded(file, MAX_SCENARIO_BYTES).map_err(|e| format!("{shown}: {e}"))?;
    scenario_text(&shown, bytes)
}

/// Reads the `partial.json` of a shard's directory.
pub fn partial(path: &Path) -> Result<String, Error> {
    let shown = path.display().to_string();
    let hint = "(is it a directory written with --shard K/N --out DIR?)";
    regular_file(path, "a partial result", "cannot read ")
        .map_err(|e| Error::Usage(format!("{e} {hint}")))?;
    let file = std::fs::File::open(path)
        .map_err(|e| Error::Usage(format!("cannot read {shown}: {e} {hint}")))?;
    let bytes = bounded(file, MAX_PARTIAL_BYTES)
        .map_err(|e| Error::Usage(format!("cannot read {shown}: {e}")))?;
    if bytes.len() as u64 > MAX_PARTIAL_BYTES {
        return Err(Error::Usage(format!(
            "{shown} is larger than {MAX_PARTIAL_BYTES} bytes, more than any partial result steppe writes"
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        Error::Usage(format!(
            "{}: {shown} is not a partial result: it is not UTF-8 text",
            location(&shown, e.as_bytes(), e.utf8_error().valid_up_to())
        ))
    })
}

/// Refuses a path that is missing or is not a regular file (a directory, a FIFO, a device, a
/// socket), before opening it: opening a FIFO would wait for a writer. `missing` starts the
/// message when the path cannot be looked at.
fn regular_file(path: &Path, what: &str, missing: &str) -> Result<(), String> {
    let shown = path.display();
    let metadata = std::fs::metadata(path).map_err(|e| format!("{missing}{shown}: {e}"))?;
    let kind = metadata.file_type();
    if kind.is_file() {
        return Ok(());
    }
    if kind.is_dir() {
        return Err(format!("{shown} is a directory, not {what}"));
    }
    if is_fifo(&kind) {
        // A scenario can come from a pipe as standard input; a partial cannot.
        let hint = if what == "a scenario file" {
            "; to read a scenario from a pipe, give `-` and pipe it into standard input"
        } else {
            ""
        };
        return Err(format!("{shown} is a named pipe (FIFO), not {what}{hint}"));
    }
    Err(format!(
        "{shown} is not a regular file: a device or a socket cannot be {what}"
    ))
}

#[cfg(unix)]
fn is_fifo(kind: &std::fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    kind.is_fifo()
}

#[cfg(not(unix))]
fn is_fifo(_: &std::fs::FileType) -> bool {
    false
}

/// Reads at most `limit + 1` bytes, so that a larger input is seen as larger without being
/// read whole.
fn bounded(reader: impl Read, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(limit + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The text of a scenario file: within the size limit and UTF-8, else an error at the place
/// where it goes wrong.
fn scenario_text(shown: &str, bytes: Vec<u8>) -> Result<String, String> {
    if bytes.len() as u64 > MAX_SCENARIO_BYTES {
        let at = location(shown, &bytes, MAX_SCENARIO_BYTES as usize);
        return Err(format!(
            "{at}: the file goes on past {MAX_SCENARIO_BYTES} bytes (4 MiB), the most a scenario file may hold; is it a scenario file?"
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let bad = bytes[offset..]
            .iter()
            .take(e.utf8_error().error_len().unwrap_or(bytes.len() - offset))
            .map(|b| format!("0x{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ");
        format!(
            "{}: not UTF-8 text: the byte {bad} (offset {offset}) cannot start or continue a character here; save the file as UTF-8",
            location(shown, bytes, offset)
        )
    })
}

/// `file:line:column` of byte `offset` (lines and columns from 1, columns in characters of
/// the valid text before it).
fn location(shown: &str, bytes: &[u8], offset: usize) -> String {
    let before = &bytes[..offset.min(bytes.len())];
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    format!("{shown}:{line}:{column}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_byte_is_located_by_line_and_column() {
        let text = b"[scenario]\nname = \"\xc3\xa9t\xff\"\n".to_vec();
        let error = scenario_text("s.toml", text).unwrap_err();
        assert!(
            error.starts_with("s.toml:2:11: not UTF-8 text: the byte 0xff (offset 22)"),
            "{error}"
        );
    }

    #[test]
    fn a_file_past_the_limit_is_located_where_it_crosses_it() {
        let mut text = vec![b'#'; MAX_SCENARIO_BYTES as usize - 2];
        text.extend_from_slice(b"\nab");
        let error = scenario_text("big.toml", text).unwrap_err();
        assert!(
            error.starts_with("big.toml:2:2: the file goes on past"),
            "{error}"
        );
    }
}
