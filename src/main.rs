//! The `steppe` command: the command line (`cli/`) over the library, which holds everything
//! else. The command line is not part of the library: an embedding program calls
//! `steppe::command` instead.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
