//! The command line: parses flags into the command layer's requests ([`steppe::command`]),
//! carries them out in its own environment (files from the disk, a thread pool, progress,
//! shards and merges: `context.rs`), then prints the result or writes its files
//! (`output.rs`, the one place that writes files). `main` only calls [`main`] and exits with
//! its code.

/// `eprintln!` that cannot panic. Messages on stderr (progress, timings, warnings, errors) are
/// for a person; when stderr is a pipe whose reader has gone (`steppe run x 2>&1 >/dev/null |
/// true`) or is otherwise unwritable, the command goes on and its exit code stays its own.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `eprint!` that cannot panic (see [`say!`]): progress lines rewritten in place.
macro_rules! say_inline {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

mod args;
mod context;
mod error;
mod output;
mod request;

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

pub use args::Cli;
use args::{Command, InitArgs, MergeArgs, ReportArgs, ResultArgs, ValidateArgs};
use context::{Context, Running};
use error::exit_code;
use steppe::command::{self, Rendered, Request, input};
use steppe::error::Error;
use steppe::report;

/// Parses the command line, runs the command, prints any error, and returns the exit code.
pub fn main() -> ExitCode {
    // SIGINT (Ctrl-C) and SIGTERM (`timeout`, SLURM, Kubernetes) stop steppe at once. They are
    // handled on a thread of their own, not in a signal handler, so that `output::interrupted`
    // can wait for the writer to finish its current step and then undo or finish the write.
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        if let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) {
            std::thread::spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    output::interrupted(signal);
                }
            });
        }
    }
    #[cfg(not(unix))]
    let _ = ctrlc::set_handler(|| output::interrupted(2));
    let code = main_code();
    // A signal from here on finds every result complete: the exit is left to us.
    output::finish();
    code
}

fn main_code() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // clap: help and version are successes, everything else is a usage error.
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            say!("{error}");
            ExitCode::from(exit_code(&error))
        }
    }
}

/// Runs a parsed command line.
fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Run(args) => execute(Request::Run(args.request()), &args.sim, &args.result),
        Command::Compare(args) => {
            execute(Request::Compare(args.request()), &args.sim, &args.result)
        }
        Command::Sweep(args) => execute(Request::Sweep(args.request()), &args.sim, &args.result),
        Command::Sensitivity(args) => execute(
            Request::Sensitivity(args.request()),
            &args.sim,
            &args.result,
        ),
        Command::Discover(args) => {
            execute(Request::Discover(args.request()), &args.sim, &args.result)
        }
        Command::Merge(args) => merge_command(args),
        Command::Report(args) => report_command(args),
        Command::Validate(args) => validate_command(args),
        Command::Explain(args) => print_stdout(&command::explain::explain(
            &context::Context::whole(Running::default()),
            &args.file.display().to_string(),
            &args.set,
        )?),
        Command::Init(args) => init_command(args),
        Command::Schema => print_stdout(&steppe::scenario::schema::render()),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "steppe", &mut script);
            print_stdout(&String::from_utf8_lossy(&script))
        }
        Command::Man { command } => print_stdout(&manual(command.as_deref())?),
    }
}

/// Carries out a command that simulates: `--out` checked first (so a long run is not
/// wasted), then the request in this command line's environment (whole, or a shard), then
/// the result delivered.
fn execute(request: Request, sim: &args::SimulationArgs, result: &ResultArgs) -> Result<(), Error> {
    check_out(result)?;
    let running = sim.running();
    let ctx = match (result.shard, &result.out) {
        (Some(shard), Some(out)) => {
            Context::shard(running, shard, request.clone(), out.clone(), result.force)
        }
        _ => Context::whole(running),
    };
    match request.execute(&ctx)? {
        Some(rendered) => deliver(result, sim.quiet, rendered.as_ref()),
        // A shard: its partial result is written.
        None => Ok(()),
    }
}

/// The manual page (roff) of steppe, or of one of its commands as `steppe-COMMAND(1)`.
fn manual(command: Option<&str>) -> Result<String, Error> {
    let steppe = Cli::command();
    let page = match command {
        None => steppe,
        Some(name) => {
            let Some(sub) = steppe.find_subcommand(name) else {
                let names: Vec<&str> = steppe.get_subcommands().map(|c| c.get_name()).collect();
                return Err(Error::Usage(format!(
                    "`{name}` is not a command of steppe; {}",
                    steppe::diagnostic::unknown_name_hint(name, "its commands", names)
                )));
            };
            sub.clone()
                .name(format!("steppe-{name}"))
                .version(env!("CARGO_PKG_VERSION"))
        }
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut roff)
        .map_err(|e| Error::Failure(format!("cannot render the manual page: {e}")))?;
    Ok(String::from_utf8_lossy(&roff).into_owned())
}

fn report_command(args: ReportArgs) -> Result<(), Error> {
    if args.output.exists() && !args.force {
        return Err(Error::Usage(format!(
            "{} already exists; add --force to replace it",
            args.output.display()
        )));
    }
    let ctx = Context::whole(args.sim.running());
    let request = args.request();
    let Some(html) = command::report::report(&request, &ctx)? else {
        return Ok(());
    };
    output::write_file(&args.output, &html, true)?;
    if !args.sim.quiet {
        say!("wrote {}", args.output.display());
    }
    Ok(())
}

fn init_command(args: InitArgs) -> Result<(), Error> {
    let (name, file) = match args.name.strip_suffix(".toml") {
        Some(stem) => (stem.to_string(), args.name.clone()),
        None => (args.name.clone(), format!("{}.toml", args.name)),
    };
    let stem = Path::new(&name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = steppe::scenario::template(&stem).map_err(Error::Usage)?;
    output::write_file(Path::new(&file), &text, args.force)?;
    say!("wrote {file}; try: steppe run {file}");
    Ok(())
}

fn validate_command(args: ValidateArgs) -> Result<(), Error> {
    let ctx = Context::whole(Running::default());
    let mut invalid = Vec::new();
    let mut stdout = std::io::stdout().lock();
    for file in &args.files {
        match command::explain::validate(&ctx, &file.display().to_string(), &args.set) {
            Ok(line) => {
                let _ = writeln!(stdout, "{line}");
            }
            Err(Error::Invalid(mut files)) => invalid.append(&mut files),
            Err(other) => return Err(other),
        }
    }
    if invalid.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(invalid))
    }
}

/// The end of every command that produces a result: its files into `--out` (made only then),
/// then the JSON document or the table on stdout.
fn deliver(result: &ResultArgs, quiet: bool, rendered: &dyn Rendered) -> Result<(), Error> {
    if let Some(dir) = &result.out {
        output::write_dir(dir, &rendered.files(), result.force)?;
        if !quiet {
            say!("wrote {}", dir.display());
        }
    }
    print_stdout(&if result.json {
        rendered.json()
    } else {
        rendered.table()
    })
}

fn merge_command(args: MergeArgs) -> Result<(), Error> {
    output::check_dir(&args.out, args.force)?;
    let mut parts = Vec::new();
    for dir in &args.dirs {
        let path = dir.join("partial.json");
        let text = input::partial(&path)?;
        let part: steppe::shard::Partial = serde_json::from_str(&text).map_err(|e| {
            // serde_json's message ends with its own "at line L column C".
            let message = e.to_string();
            let message = message
                .rsplit_once(" at line ")
                .map_or(message.as_str(), |(m, _)| m);
            Error::Usage(format!(
                "{}:{}:{}: not a partial result of this version of steppe: {message}",
                path.display(),
                e.line(),
                e.column()
            ))
        })?;
        parts.push((path.display().to_string(), part));
    }
    let steppe::shard::Merged {
        header,
        outcomes,
        warning,
    } = steppe::shard::merge(parts).map_err(Error::Usage)?;
    if let Some(warning) = warning {
        say!("warning: {warning}");
    }
    let runs: u64 = outcomes.iter().map(|o| o.runs).sum();
    let n_simulations = outcomes.len();
    let running = Running {
        quiet: args.quiet,
        ..Running::default()
    };
    let ctx = Context::merged(running, header.sources, outcomes);
    // The command again, from its recorded request, with this merge's output choices.
    let result = ResultArgs {
        json: args.json,
        out: Some(args.out.clone()),
        force: args.force,
        shard: None,
    };
    let rendered = header.work.execute(&ctx)?.ok_or_else(|| {
        Error::Failure("a merge finished no result (a shard environment in a merge)".into())
    })?;
    if !ctx.all_used() {
        return Err(Error::Usage(
            "the partials hold more simulations than the command used".into(),
        ));
    }
    deliver(&result, args.quiet, rendered.as_ref())?;
    if !args.quiet {
        say!(
            "merged {} shards of `{}` ({} simulation{}, {} runs)",
            header.shards,
            header.work.name(),
            n_simulations,
            if n_simulations == 1 { "" } else { "s" },
            report::format::thousands(runs),
        );
    }
    Ok(())
}

/// Refuses an `--out` directory that could not be written, before any simulation.
fn check_out(result: &ResultArgs) -> Result<(), Error> {
    result
        .out
        .as_deref()
        .map_or(Ok(()), |dir| output::check_dir(dir, result.force))
}

/// Prints to stdout; a closed pipe (`steppe run ... | head`) is not an error.
fn print_stdout(text: &str) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Failure(format!("cannot write to stdout: {e}"))),
    }
}
