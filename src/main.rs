//! The `steppe` command. Everything lives in the library; see `steppe::cli`.

fn main() -> std::process::ExitCode {
    steppe::cli::main()
}
