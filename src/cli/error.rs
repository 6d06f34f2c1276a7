//! Errors of the command line and the exit code each maps to.

use crate::diagnostic::Diagnostics;

#[derive(Debug)]
pub enum CliError {
    /// Problems in scenario files (exit 2).
    Invalid(Vec<Diagnostics>),
    /// A wrong argument or a file that cannot be used as input (exit 2).
    Usage(String),
    /// Anything else, e.g. writing results failed (exit 1).
    Failure(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Invalid(_) | CliError::Usage(_) => 2,
            CliError::Failure(_) => 1,
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Invalid(files) => {
                let count: usize = files.iter().map(|f| f.list.len()).sum();
                for file in files {
                    write!(f, "{file}")?;
                    writeln!(f)?;
                }
                let noun = if count == 1 { "problem" } else { "problems" };
                write!(f, "error: {count} {noun} found")
            }
            CliError::Usage(message) | CliError::Failure(message) => write!(f, "error: {message}"),
        }
    }
}
