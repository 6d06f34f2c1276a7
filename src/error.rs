//! The library's error: what a command can fail with. The CLI maps each kind to an exit code
//! (2 for invalid input or usage, 1 for anything else); an embedding program shows the message,
//! which is the CLI's, word for word.

use crate::diagnostic::Diagnostics;

/// Why a command failed.
#[derive(Debug)]
pub enum Error {
    /// Problems in scenario files, each with its place (`file:line:column`).
    Invalid(Vec<Diagnostics>),
    /// A request that cannot be carried out as given: a wrong argument, a file that cannot be
    /// used as input, work beyond a limit.
    Usage(String),
    /// Anything else, e.g. writing results failed.
    Failure(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Invalid(files) => {
                let count: usize = files.iter().map(|f| f.list.len()).sum();
                for file in files {
                    write!(f, "{file}")?;
                    writeln!(f)?;
                }
                let noun = if count == 1 { "problem" } else { "problems" };
                write!(f, "error: {count} {noun} found")
            }
            Error::Usage(message) | Error::Failure(message) => write!(f, "error: {message}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<Diagnostics> for Error {
    fn from(problems: Diagnostics) -> Error {
        Error::Invalid(vec![problems])
    }
}
