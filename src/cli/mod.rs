//! The command line: reads files, calls the engine, renders and writes results. All I/O of
//! steppe happens here; `main` only calls [`main`] and exits with its code.

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
mod input;
mod output;

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use clap::{CommandFactory, Parser};

use crate::engine::{self, RunConfig};
use crate::report;
use crate::scenario::{self, Scenario};
use crate::summary;
pub use args::Cli;
use args::{
    Command, CompareArgs, DiscoverArgs, ExplainArgs, InitArgs, MergeArgs, Method, ReportArgs,
    ResultArgs, RunArgs, SensitivityArgs, SimulationArgs, SortOrder, SweepArgs, ValidateArgs,
};
use context::Context;
pub use error::CliError;

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
            ExitCode::from(error.exit_code())
        }
    }
}

pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Run(args) => run_command(&Context::for_command(&args), args),
        Command::Compare(args) => compare_command(&Context::for_command(&args), args),
        Command::Merge(args) => merge_command(args),
        Command::Report(args) => report_command(args),
        Command::Sweep(args) => sweep_command(&Context::for_command(&args), args),
        Command::Sensitivity(args) => sensitivity_command(&Context::for_command(&args), args),
        Command::Discover(args) => discover_command(&Context::for_command(&args), args),
        Command::Validate(args) => validate_command(args),
        Command::Explain(args) => explain_command(args),
        Command::Init(args) => init_command(args),
        Command::Schema => print_stdout(&crate::scenario::schema::render()),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "steppe", &mut script);
            print_stdout(&String::from_utf8_lossy(&script))
        }
        Command::Man { command } => print_stdout(&manual(command.as_deref())?),
    }
}

/// The manual page (roff) of steppe, or of one of its commands as `steppe-COMMAND(1)`.
fn manual(command: Option<&str>) -> Result<String, CliError> {
    let steppe = Cli::command();
    let page = match command {
        None => steppe,
        Some(name) => {
            let Some(sub) = steppe.find_subcommand(name) else {
                let names: Vec<&str> = steppe.get_subcommands().map(|c| c.get_name()).collect();
                return Err(CliError::Usage(format!(
                    "`{name}` is not a command of steppe; {}",
                    crate::diagnostic::unknown_name_hint(name, "its commands", names)
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
        .map_err(|e| CliError::Failure(format!("cannot render the manual page: {e}")))?;
    Ok(String::from_utf8_lossy(&roff).into_owned())
}

fn compare_command(ctx: &Context, args: CompareArgs) -> Result<(), CliError> {
    // Read every file first, so that a bad one is reported before any simulation.
    let mut scenarios = Vec::new();
    let mut invalid = Vec::new();
    for file in &args.files {
        match load_scenario_in(ctx, file, &args.sim.set, &[]) {
            Ok(s) => scenarios.push(s),
            Err(CliError::Invalid(mut d)) => invalid.append(&mut d),
            Err(other) => return Err(other),
        }
    }
    if !invalid.is_empty() {
        return Err(CliError::Invalid(invalid));
    }
    check_out(&args.result)?;
    let reference = &scenarios[0];
    // Paired runs are only the same futures if they cover the same years in the same steps
    // (noise is drawn per step; `first`, `ever`, `min`, `max` look at the whole horizon).
    for (scenario, file) in scenarios.iter().zip(&args.files).skip(1) {
        if (scenario.start, scenario.end, scenario.step)
            != (reference.start, reference.end, reference.step)
        {
            return Err(CliError::Usage(format!(
                "{} runs {}–{} by {}, but the reference {} runs {}–{} by {}: compare needs the same years and step \
                 (set them with --set start=…, end=…, step=… or in the file)",
                file.display(),
                scenario.start,
                scenario.end,
                scenario.step.name(),
                args.files[0].display(),
                reference.start,
                reference.end,
                reference.step.name()
            )));
        }
    }
    let mut years = if args.years.is_empty() {
        report::table::report_points(reference)
            .into_iter()
            .skip(1)
            .map(|(_, y)| y)
            .collect()
    } else {
        args.years.clone()
    };
    years.sort_unstable();
    years.dedup();
    if let Some(outside) = years
        .iter()
        .find(|y| !(reference.start..=reference.end).contains(*y))
    {
        return Err(CliError::Usage(format!(
            "--years: {outside} is outside the scenarios' years {}–{}",
            reference.start, reference.end
        )));
    }
    let points: Vec<usize> = years
        .iter()
        .map(|&y| (y - reference.start) as usize * reference.step.per_year() as usize)
        .collect();
    let config = RunConfig {
        tracked_points: points,
        ..run_config(reference, &args.sim)
    };
    // Every outcome is kept until the comparison is made: budget them together.
    let mut total = 0;
    for scenario in &scenarios {
        total += engine::memory_estimate(
            scenario,
            &ctx.local(&config),
            args.sim
                .threads
                .map_or_else(rayon::current_num_threads, |t| t as usize),
        )
        .total();
    }
    // (A merge holds them already: the partials carried them.)
    if total > (args.sim.max_memory * f64::from(1u32 << 30)) as u64 && !ctx.is_merge() {
        return Err(CliError::Usage(format!(
            "comparing these scenarios would need about {:.1} GiB of memory, more than the limit of {} GiB (--max-memory raises it): lower --runs or compare fewer at once",
            total as f64 / f64::from(1u32 << 30),
            args.sim.max_memory
        )));
    }
    let jobs: Vec<(&Scenario, RunConfig)> = scenarios.iter().map(|s| (s, config.clone())).collect();
    let Some(outcomes) = ctx.outcomes(&args.sim, &jobs)? else {
        return Ok(());
    };
    let tracked: Vec<Option<usize>> = (0..years.len()).map(Some).collect();
    let runs: Vec<crate::compare::Run> = scenarios
        .iter()
        .zip(&outcomes)
        .zip(std::iter::repeat(tracked))
        .zip(&args.files)
        .map(
            |(((scenario, outcome), tracked), file)| crate::compare::Run {
                scenario,
                file: file.display().to_string(),
                outcome,
                tracked,
            },
        )
        .collect();
    let order = match args.sort {
        SortOrder::Largest => crate::compare::Order::Largest,
        SortOrder::File => crate::compare::Order::File,
    };
    let comparison = crate::compare::compare(&runs, &years, order);
    let json = || pretty_json(&comparison);
    let files = |json: String| {
        let mut files = vec![
            ("comparison.json".to_string(), json),
            (
                "comparison.csv".to_string(),
                report::csv::comparison(&comparison),
            ),
        ];
        // A chart per metric; shares are many, the table and CSV carry them.
        for q in comparison.quantities.iter().filter(|q| q.source != "share") {
            files.push((
                format!("charts/compare_{}.svg", q.name),
                report::charts::compared(q),
            ));
        }
        // Each scenario's shares over time, overlaid per actor (the reference's targets).
        let summaries: Vec<summary::Summary> = scenarios
            .iter()
            .zip(&outcomes)
            .zip(&args.files)
            .map(|((s, o), f)| summary::summarize(s, &f.display().to_string(), o))
            .collect();
        let same_layout = scenarios.iter().all(|s| {
            s.targets.len() == reference.targets.len() && s.actors.len() == reference.actors.len()
        });
        if same_layout {
            let refs: Vec<&summary::Summary> = summaries.iter().collect();
            for t in 0..=reference.targets.len() {
                let name = reference
                    .targets
                    .get(t)
                    .map_or("region", |t| t.name.as_str());
                files.push((
                    format!("charts/overlay_{name}.svg"),
                    report::charts::overlay(reference, &refs, t),
                ));
            }
        }
        files
    };
    deliver(&args.result, args.sim.quiet, json, files, || {
        report::compare::table(&comparison)
    })
}

fn sweep_command(ctx: &Context, args: SweepArgs) -> Result<(), CliError> {
    if args.vary.len() > 2 {
        return Err(CliError::Usage(
            "a sweep varies one or two assumptions; give --vary at most twice".into(),
        ));
    }
    let grid = crate::sweep::grid(&args.vary);
    // Load every point first: a bad name or value fails before any simulation.
    let mut scenarios = Vec::new();
    for values in &grid {
        let mut overrides = args.sim.set.clone();
        overrides.extend(
            args.vary
                .iter()
                .zip(values)
                .map(|(v, x)| format!("{}={x}", v.key())),
        );
        scenarios.push(load_scenario_in(ctx, &args.file, &overrides, &[])?);
    }
    let config = RunConfig {
        keep_runs: false,
        ..run_config(&scenarios[0], &args.sim)
    };
    check_out(&args.result)?;
    let file = args.file.display().to_string();
    let mut points = Vec::new();
    // One point at a time: each outcome is summarised and dropped.
    let jobs: Vec<(&Scenario, RunConfig)> = scenarios.iter().map(|s| (s, config.clone())).collect();
    if !ctx.simulate_all(&args.sim, &jobs, |i, outcome| {
        let summary = summary::summarize(&scenarios[i], &file, &outcome);
        points.push(crate::sweep::Point {
            values: grid[i].clone(),
            metrics: crate::sweep::headlines(&summary),
        });
        Ok(())
    })? {
        return Ok(());
    }
    let sweep = crate::sweep::Sweep {
        schema: crate::sweep::SCHEMA,
        scenario: scenarios[0].name.clone(),
        file,
        runs: config.runs,
        seed: config.seed,
        vary: args.vary.clone(),
        overrides: args.sim.set.clone(),
        points,
    };
    let files = |json: String| {
        vec![
            ("sweep.json".to_string(), json),
            ("sweep.csv".to_string(), report::csv::sweep(&sweep)),
        ]
    };
    deliver(
        &args.result,
        args.sim.quiet,
        || pretty_json(&sweep),
        files,
        || report::sweep::table(&sweep),
    )
}

fn sensitivity_command(ctx: &Context, args: SensitivityArgs) -> Result<(), CliError> {
    use crate::sensitivity::{self, Output};
    let scenario = load_scenario_in(ctx, &args.file, &args.sim.set, &[])?;
    check_out(&args.result)?;
    let output = match args.metric.split_once(':') {
        None => {
            let Some(m) = scenario.metrics.iter().position(|m| m.name == args.metric) else {
                let names: Vec<&str> = scenario.metrics.iter().map(|m| m.name.as_str()).collect();
                return Err(CliError::Usage(format!(
                    "--metric: {} has no metric `{}`; {}",
                    scenario.name,
                    args.metric,
                    crate::diagnostic::unknown_name_hint(&args.metric, "its metrics", names)
                )));
            };
            if args.over_time {
                return Err(CliError::Usage("--over-time follows a composite share over the years: give --metric TARGET:ACTOR".into()));
            }
            Output::Metric(m)
        }
        Some((target, actor)) => {
            let t = if target == "region" {
                Some(scenario.targets.len())
            } else {
                scenario.targets.iter().position(|x| x.name == target)
            };
            let a = if actor == crate::scenario::AUTONOMY {
                Some(scenario.actors.len())
            } else {
                scenario.actors.iter().position(|x| x.name == actor)
            };
            let (Some(t), Some(a)) = (t, a) else {
                return Err(CliError::Usage(format!(
                    "--metric {}: no such target and actor (write TARGET:ACTOR, e.g. kazakhstan:russia or region:china)",
                    args.metric
                )));
            };
            let per_year = scenario.step.per_year() as usize;
            let years: Vec<i32> = if args.over_time {
                ((scenario.start + 1)..=scenario.end).collect()
            } else {
                vec![scenario.end]
            };
            let points = years
                .iter()
                .map(|y| (y - scenario.start) as usize * per_year)
                .collect();
            Output::Series {
                series: t * scenario.n_slots() + a,
                label: args.metric.clone(),
                points,
                years,
            }
        }
    };
    let seed = args.sim.seed.unwrap_or(scenario.seed);
    let started = Instant::now();
    // The simulations first (a tornado's rows, the Sobol design's rows), then the analysis.
    let tornado_runs = args.sim.runs.unwrap_or(1000);
    let samples = args.samples as usize;
    let mut jobs = Vec::new();
    if args.method != Method::Sobol {
        jobs.push((
            &scenario,
            sensitivity::tornado_config(&scenario, &output, tornado_runs, seed),
        ));
    }
    if args.method != Method::Tornado {
        let config = sensitivity::sobol_config(&scenario, &output, samples, seed)
            .map_err(CliError::Usage)?;
        jobs.push((&scenario, config));
    }
    let Some(outcomes) = ctx.outcomes(&args.sim, &jobs)? else {
        return Ok(());
    };
    let mut outcomes = outcomes.into_iter();
    let tornado = if args.method != Method::Sobol {
        let outcome = outcomes.next().expect("the tornado's simulation");
        Some(
            sensitivity::tornado_from(&scenario, &output, tornado_runs, &outcome)
                .map_err(CliError::Usage)?,
        )
    } else {
        None
    };
    let sobol = if args.method != Method::Tornado {
        let outcome = outcomes.next().expect("the Sobol design's simulation");
        let bootstrap = args.bootstrap as usize;
        thread_pool(args.sim.threads)?
            .install(|| {
                sensitivity::sobol_from(&scenario, &output, samples, seed, bootstrap, &outcome)
            })
            .map_err(CliError::Usage)?
    } else {
        Vec::new()
    };
    if !args.sim.quiet && !ctx.is_merge() {
        say!("analysed in {:.2} s", started.elapsed().as_secs_f64());
    }
    let document = serde_json::json!({
        "schema": sensitivity::SCHEMA,
        "scenario": scenario.name,
        "file": args.file.display().to_string(),
        "overrides": scenario.overrides,
        "seed": seed,
        "tornado": tornado,
        "sobol": sobol,
    });
    let files = |json: String| {
        let mut files = vec![
            ("sensitivity.json".to_string(), json),
            (
                "sensitivity.csv".to_string(),
                report::csv::sensitivity(tornado.as_ref(), &sobol),
            ),
        ];
        if let Some(t) = &tornado {
            files.push(("charts/tornado.svg".to_string(), report::charts::tornado(t)));
        }
        for r in &sobol {
            files.push((
                format!("charts/sobol_{}.svg", r.output.replace([':', '@'], "_")),
                report::charts::sobol(r),
            ));
        }
        if sobol.len() > 1 {
            files.push((
                "charts/sobol_over_time.svg".to_string(),
                report::charts::sobol_over_time(&sobol),
            ));
        }
        files
    };
    deliver(
        &args.result,
        args.sim.quiet,
        || pretty_json(&document),
        files,
        || report::sensitivity::table(tornado.as_ref(), &sobol),
    )
}

fn discover_command(ctx: &Context, args: DiscoverArgs) -> Result<(), CliError> {
    let valid =
        (0.0 < args.peel && args.peel < 0.5) && (0.0 < args.min_support && args.min_support < 1.0);
    if !valid {
        return Err(CliError::Usage(
            "--peel must be within (0, 0.5) and --min-support within (0, 1)".into(),
        ));
    }
    const WHERE: &str = "discover_where";
    let (scenario, name) = match (&args.condition, &args.metric) {
        (Some(condition), _) => {
            let year = args
                .year
                .map(|y| format!("year = {y}\n"))
                .unwrap_or_default();
            let metric = format!(
                "[metrics.{WHERE}]\nkind = \"at\"\n{year}expr = {}\n",
                toml::Value::String(condition.clone())
            );
            (
                load_scenario_in(ctx, &args.file, &args.sim.set, &[metric])?,
                WHERE.to_string(),
            )
        }
        (None, Some(metric)) => (
            load_scenario_in(ctx, &args.file, &args.sim.set, &[])?,
            metric.clone(),
        ),
        (None, None) => {
            return Err(CliError::Usage(
                "give the outcome: --where EXPR [--year Y], or --metric NAME".into(),
            ));
        }
    };
    let Some(m) = scenario.metrics.iter().position(|x| x.name == name) else {
        let names: Vec<&str> = scenario.metrics.iter().map(|m| m.name.as_str()).collect();
        return Err(CliError::Usage(format!(
            "--metric: no metric `{name}`; {}",
            crate::diagnostic::unknown_name_hint(&name, "its metrics", names)
        )));
    };
    let kind = scenario.metrics[m].kind;
    if !(kind.is_probability() || kind == crate::scenario::MetricKind::First) {
        return Err(CliError::Usage(format!(
            "`{name}` is a number; discovery needs a condition (use --where with a comparison)"
        )));
    }
    check_out(&args.result)?;
    let config = run_config(&scenario, &args.sim);
    let Some(outcome) = simulate_one(ctx, &scenario, config, &args.sim)? else {
        return Ok(());
    };
    let holds: Vec<bool> = outcome.metrics[m]
        .iter()
        .map(|v| {
            if kind == crate::scenario::MetricKind::First {
                !v.is_nan()
            } else {
                *v != 0.0
            }
        })
        .collect();
    let params: Vec<(String, Vec<f64>)> = scenario
        .params
        .iter()
        .zip(&outcome.params)
        .filter(|(p, _)| {
            !matches!(
                p.distribution,
                crate::distribution::Distribution::Fixed { .. }
            )
        })
        .map(|(p, v)| (p.name.clone(), v.clone()))
        .collect();
    let label = args
        .condition
        .clone()
        .map_or(name.clone(), |c| match args.year {
            Some(y) => format!("{c} in {y}"),
            None => format!("{c} in {}", scenario.end),
        });
    let discovery = crate::discover::prim(&label, &params, &holds, args.peel, args.min_support);
    let files = |json: String| vec![("discovery.json".to_string(), json)];
    deliver(
        &args.result,
        args.sim.quiet,
        || pretty_json(&discovery),
        files,
        || report::discover::table(&discovery),
    )
}

fn report_command(args: ReportArgs) -> Result<(), CliError> {
    let mut scenarios = Vec::new();
    for file in &args.files {
        scenarios.push(load_scenario_with(file, &args.sim.set)?);
    }
    if args.output.exists() && !args.force {
        return Err(CliError::Usage(format!(
            "{} already exists; add --force to replace it",
            args.output.display()
        )));
    }
    let mut sections = Vec::new();
    for (scenario, file) in scenarios.iter().zip(&args.files) {
        let config = RunConfig {
            keep_runs: false,
            ..run_config(scenario, &args.sim)
        };
        check_memory(scenario, &config, &args.sim)?;
        let outcome = simulate(scenario, &config, &args.sim)?;
        let summary = summary::summarize(scenario, &file.display().to_string(), &outcome);
        let parent = scenario
            .extends
            .as_ref()
            .and_then(|p| load_scenario(Path::new(p)).ok());
        let mut charts = Vec::new();
        for t in 0..=scenario.targets.len() {
            let label = scenario
                .targets
                .get(t)
                .map_or("the region", |t| t.label.as_str());
            charts.push((
                format!("Composite shares in {label}"),
                report::charts::fan(scenario, &summary, t),
            ));
        }
        for (m, metric) in scenario.metrics.iter().enumerate() {
            let caption = if metric.description.is_empty() {
                metric.name.clone()
            } else {
                metric.description.clone()
            };
            charts.push((
                caption,
                report::charts::metric(&summary, &outcome.metric_values[m], m),
            ));
        }
        sections.push(report::html::Section {
            heading: scenario.heading(),
            explain: report::explain::render(
                scenario,
                parent.as_ref().zip(scenario.extends.as_deref()),
            ),
            table: report::table::render(scenario, &summary),
            charts,
        });
    }
    // With several scenarios, their comparison (same rules as `steppe compare`).
    let comparison = if scenarios.len() > 1 {
        let reference = &scenarios[0];
        if scenarios
            .iter()
            .any(|s| (s.start, s.end, s.step) != (reference.start, reference.end, reference.step))
        {
            return Err(CliError::Usage(
                "the report compares its scenarios, which needs the same start, end and step"
                    .into(),
            ));
        }
        let years: Vec<i32> = report::table::report_points(reference)
            .into_iter()
            .skip(1)
            .map(|(_, y)| y)
            .collect();
        let points: Vec<usize> = years
            .iter()
            .map(|&y| (y - reference.start) as usize * reference.step.per_year() as usize)
            .collect();
        let config = RunConfig {
            tracked_points: points,
            ..run_config(reference, &args.sim)
        };
        let mut outcomes = Vec::new();
        for scenario in &scenarios {
            outcomes.push(simulate(scenario, &config, &args.sim)?);
        }
        let tracked: Vec<Option<usize>> = (0..years.len()).map(Some).collect();
        let runs: Vec<crate::compare::Run> = scenarios
            .iter()
            .zip(&outcomes)
            .zip(&args.files)
            .map(|((scenario, outcome), file)| crate::compare::Run {
                scenario,
                file: file.display().to_string(),
                outcome,
                tracked: tracked.clone(),
            })
            .collect();
        let c = crate::compare::compare(&runs, &years, crate::compare::Order::File);
        let charts: Vec<(String, String)> = c
            .quantities
            .iter()
            .filter(|q| q.source != "share")
            .map(|q| (q.name.clone(), report::charts::compared(q)))
            .collect();
        Some((report::compare::table(&c), charts))
    } else {
        None
    };
    let title = if scenarios.len() == 1 {
        scenarios[0].heading()
    } else {
        format!(
            "{} and {} more scenario{}",
            scenarios[0].heading(),
            scenarios.len() - 1,
            if scenarios.len() > 2 { "s" } else { "" }
        )
    };
    let html = report::html::render(
        &title,
        &sections,
        comparison.as_ref().map(|(t, c)| (t.as_str(), c.as_slice())),
    );
    output::write_file(&args.output, &html, true)?;
    if !args.sim.quiet {
        say!("wrote {}", args.output.display());
    }
    Ok(())
}

fn explain_command(args: ExplainArgs) -> Result<(), CliError> {
    let scenario = load_scenario_with(&args.file, &args.set)?;
    // With --set, what the overrides change relative to the file as written; otherwise what the
    // file changes relative to the one it extends. A parent may be incomplete on its own (an
    // "abstract" base the child completes): then explain the child and say why its changes
    // are not listed.
    let mut note = None;
    let parent = if !args.set.is_empty() {
        let file = args.file.display().to_string();
        Some((load_scenario(&args.file)?, format!("{file} as written")))
    } else {
        match &scenario.extends {
            Some(parent) => match load_scenario(Path::new(parent)) {
                Ok(p) => Some((p, parent.clone())),
                Err(e) => {
                    let first = e.to_string().lines().next().unwrap_or_default().to_string();
                    note = Some(format!(
                        "(what it changes is not listed: {parent} does not load on its own — {first})\n\n"
                    ));
                    None
                }
            },
            None => None,
        }
    };
    let text = report::explain::render(
        &scenario,
        parent.as_ref().map(|(p, from)| (p, from.as_str())),
    );
    print_stdout(&format!("{}{text}", note.unwrap_or_default()))
}

fn init_command(args: InitArgs) -> Result<(), CliError> {
    let (name, file) = match args.name.strip_suffix(".toml") {
        Some(stem) => (stem.to_string(), args.name.clone()),
        None => (args.name.clone(), format!("{}.toml", args.name)),
    };
    let stem = Path::new(&name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = crate::scenario::template(&stem).map_err(CliError::Usage)?;
    output::write_file(Path::new(&file), &text, args.force)?;
    say!("wrote {file}; try: steppe run {file}");
    Ok(())
}

fn validate_command(args: ValidateArgs) -> Result<(), CliError> {
    let mut invalid = Vec::new();
    let mut stdout = std::io::stdout().lock();
    for file in &args.files {
        match load_scenario_with(file, &args.set) {
            Ok(scenario) => {
                let _ = writeln!(
                    stdout,
                    "{}: ok ({} actors, {} targets, {} channels, {} parameters, {} drivers, {} events, {} metrics)",
                    file.display(),
                    scenario.actors.len(),
                    scenario.targets.len(),
                    scenario.channels.len(),
                    scenario.n_named_params(),
                    scenario.drivers.len(),
                    scenario.events.len(),
                    scenario.metrics.len()
                );
            }
            Err(CliError::Invalid(mut files)) => invalid.append(&mut files),
            Err(other) => return Err(other),
        }
    }
    if invalid.is_empty() {
        Ok(())
    } else {
        Err(CliError::Invalid(invalid))
    }
}

fn run_command(ctx: &Context, args: RunArgs) -> Result<(), CliError> {
    let scenario = load_scenario_in(ctx, &args.file, &args.sim.set, &[])?;
    let file = args.file.display().to_string();
    let mut config = run_config(&scenario, &args.sim);
    // Every run's values only for runs.csv; otherwise memory stays flat in the run count.
    config.keep_runs = args.result.out.is_some() && !args.no_runs_csv;
    check_out(&args.result)?;
    let (outcome, summary) = match args.precision {
        None => {
            let Some(outcome) = simulate_one(ctx, &scenario, config, &args.sim)? else {
                return Ok(());
            };
            let summary = summary::summarize(&scenario, &file, &outcome);
            (outcome, summary)
        }
        Some(target) => {
            for name in &args.precision_metric {
                if !scenario.metrics.iter().any(|m| &m.name == name) {
                    let names: Vec<&str> =
                        scenario.metrics.iter().map(|m| m.name.as_str()).collect();
                    return Err(CliError::Usage(format!(
                        "--precision-metric: {} has no metric `{name}`; {}",
                        scenario.name,
                        crate::diagnostic::unknown_name_hint(name, "its metrics", names)
                    )));
                }
            }
            let precision = Precision {
                target,
                max_runs: args.max_runs,
                metrics: &args.precision_metric,
            };
            run_until_precise(&scenario, &file, config, &precision, &args.sim)?
        }
    };
    deliver(
        &args.result,
        args.sim.quiet,
        || report::json::render(&summary),
        |_| result_files(&scenario, &summary, &outcome),
        || report::table::render(&scenario, &summary),
    )
}

/// A command's only simulation; `None` when this is a shard (its partial is written).
fn simulate_one(
    ctx: &Context,
    scenario: &Scenario,
    config: RunConfig,
    sim: &SimulationArgs,
) -> Result<Option<engine::Outcome>, CliError> {
    Ok(ctx
        .outcomes(sim, &[(scenario, config)])?
        .and_then(|outcomes| outcomes.into_iter().next()))
}

/// The end of every command that produces a result: its files into `--out` (made only then),
/// then the JSON document or the table on stdout. `files` receives the JSON document, which
/// most commands also write.
fn deliver(
    result: &ResultArgs,
    quiet: bool,
    json: impl Fn() -> String,
    files: impl FnOnce(String) -> Vec<(String, String)>,
    table: impl FnOnce() -> String,
) -> Result<(), CliError> {
    if let Some(dir) = &result.out {
        output::write_dir(dir, &files(json()), result.force)?;
        if !quiet {
            say!("wrote {}", dir.display());
        }
    }
    print_stdout(&if result.json { json() } else { table() })
}

/// A result document as steppe prints and writes it: pretty JSON ending in a newline.
fn pretty_json<T: serde::Serialize>(value: &T) -> String {
    let mut text =
        serde_json::to_string_pretty(value).expect("a result document always serialises");
    text.push('\n');
    text
}

/// The files of a run's result directory.
fn result_files(
    scenario: &Scenario,
    summary: &summary::Summary,
    outcome: &engine::Outcome,
) -> Vec<(String, String)> {
    let mut files = vec![
        ("summary.json".to_string(), report::json::render(summary)),
        ("series.csv".to_string(), report::csv::series(summary)),
        ("metrics.csv".to_string(), report::csv::metrics(summary)),
    ];
    if outcome.metrics.len() == scenario.metrics.len()
        && outcome.params.len() == scenario.params.len()
    {
        files.push(("runs.csv".to_string(), report::csv::runs(scenario, outcome)));
    }
    for t in 0..=scenario.targets.len() {
        let name = scenario
            .targets
            .get(t)
            .map_or("region", |t| t.name.as_str());
        files.push((
            format!("charts/fan_{name}.svg"),
            report::charts::fan(scenario, summary, t),
        ));
    }
    for (m, metric) in scenario.metrics.iter().enumerate() {
        files.push((
            format!("charts/metric_{}.svg", metric.name),
            report::charts::metric(summary, &outcome.metric_values[m], m),
        ));
    }
    files
}
fn merge_command(args: MergeArgs) -> Result<(), CliError> {
    output::check_dir(&args.out, args.force)?;
    let mut parts = Vec::new();
    for dir in &args.dirs {
        let path = dir.join("partial.json");
        let text = input::partial(&path)?;
        let part: crate::shard::Partial = serde_json::from_str(&text).map_err(|e| {
            // serde_json's message ends with its own "at line L column C".
            let message = e.to_string();
            let message = message
                .rsplit_once(" at line ")
                .map_or(message.as_str(), |(m, _)| m);
            CliError::Usage(format!(
                "{}:{}:{}: not a partial result of this version of steppe: {message}",
                path.display(),
                e.line(),
                e.column()
            ))
        })?;
        parts.push((path.display().to_string(), part));
    }
    let crate::shard::Merged {
        header,
        outcomes,
        warning,
    } = crate::shard::merge(parts).map_err(CliError::Usage)?;
    if let Some(warning) = warning {
        say!("warning: {warning}");
    }
    let runs: u64 = outcomes.iter().map(|o| o.runs).sum();
    let n_simulations = outcomes.len();
    let ctx = Context::merged(header.sources, outcomes, args.quiet);
    // The command again, with its recorded arguments and this merge's output choices.
    fn finish<A: context::Recorded>(
        merge: &MergeArgs,
        arguments: serde_json::Value,
    ) -> Result<A, CliError> {
        let mut args: A = serde_json::from_value(arguments).map_err(|e| {
            CliError::Usage(format!(
                "the partials' arguments of `{}` cannot be read: {e}",
                A::NAME
            ))
        })?;
        let result = args.result_mut();
        result.out = Some(merge.out.clone());
        (result.force, result.json) = (merge.force, merge.json);
        args.sim_mut().quiet = merge.quiet;
        Ok(args)
    }
    let arguments = header.arguments;
    match header.command.as_str() {
        "run" => run_command(&ctx, finish(&args, arguments)?),
        "compare" => compare_command(&ctx, finish(&args, arguments)?),
        "sweep" => sweep_command(&ctx, finish(&args, arguments)?),
        "sensitivity" => sensitivity_command(&ctx, finish(&args, arguments)?),
        "discover" => discover_command(&ctx, finish(&args, arguments)?),
        other => Err(CliError::Usage(format!(
            "the partials are of `{other}`, which this version of steppe does not merge"
        ))),
    }?;
    if !ctx.all_used() {
        return Err(CliError::Usage(
            "the partials hold more simulations than the command used".into(),
        ));
    }
    if !args.quiet {
        say!(
            "merged {} shards of `{}` ({} simulation{}, {} runs)",
            header.shards,
            header.command,
            n_simulations,
            if n_simulations == 1 { "" } else { "s" },
            report::table::thousands(runs),
        );
    }
    Ok(())
}

fn run_config(scenario: &Scenario, sim: &SimulationArgs) -> RunConfig {
    let mut config = RunConfig::from_scenario(scenario);
    if let Some(runs) = sim.runs {
        config.runs = runs;
    }
    if let Some(seed) = sim.seed {
        config.seed = seed;
    }
    config.design = sim.design;
    config
}

/// What `--precision` asks: every chosen metric's headline standard error at most `target`,
/// with at most `max_runs` runs.
struct Precision<'a> {
    target: f64,
    max_runs: u64,
    /// The metrics it applies to; all when empty.
    metrics: &'a [String],
}

/// Doubles the run count, starting from the configured one, until every chosen metric's
/// headline standard error is at most the target or `max_runs` is reached. Each round is a
/// fresh simulation of runs 0..n, so the result is exactly that of `--runs n`.
fn run_until_precise(
    scenario: &Scenario,
    file: &str,
    mut config: RunConfig,
    precision: &Precision,
    sim: &SimulationArgs,
) -> Result<(engine::Outcome, summary::Summary), CliError> {
    config.runs = config.runs.min(precision.max_runs);
    loop {
        check_memory(scenario, &config, sim)?;
        let outcome = simulate(scenario, &config, sim)?;
        let summary = summary::summarize(scenario, file, &outcome);
        let headlines = crate::sweep::headlines(&summary);
        let worst = crate::sweep::least_precise(&headlines, precision.metrics);
        let reached = worst.is_none_or(|h| h.se <= precision.target);
        if reached || config.runs >= precision.max_runs {
            if !sim.quiet {
                let verdict = if reached {
                    "reached"
                } else {
                    "NOT reached (--max-runs)"
                };
                let binding = worst.map_or("no metric".to_string(), |h| {
                    format!("{:.3e}, of {} ({})", h.se, h.name, h.statistic)
                });
                say!(
                    "precision {} {verdict} with {} runs: largest standard error {binding}",
                    precision.target,
                    report::table::thousands(config.runs)
                );
            }
            return Ok((outcome, summary));
        }
        config.runs = (config.runs * 2).min(precision.max_runs);
    }
}

/// Refuses an `--out` directory that could not be written, before any simulation.
fn check_out(result: &ResultArgs) -> Result<(), CliError> {
    result
        .out
        .as_deref()
        .map_or(Ok(()), |dir| output::check_dir(dir, result.force))
}

/// Refuses a simulation that would need more memory than the budget, saying what the memory
/// is for and what would lower it.
fn check_memory(
    scenario: &Scenario,
    config: &RunConfig,
    sim: &SimulationArgs,
) -> Result<(), CliError> {
    let threads = sim.threads;
    let budget = (sim.max_memory * f64::from(1u32 << 30)) as u64;
    let threads = threads.map_or_else(rayon::current_num_threads, |t| t as usize);
    let estimate = engine::memory_estimate(scenario, config, threads);
    if estimate.total() <= budget {
        return Ok(());
    }
    let gib = |bytes: u64| bytes as f64 / f64::from(1u32 << 30);
    let size = |bytes: u64| {
        if bytes >= 1 << 30 {
            format!("{:.1} GiB", gib(bytes))
        } else {
            format!("{:.0} MiB", bytes as f64 / f64::from(1u32 << 20))
        }
    };
    let why = if estimate.design > estimate.series.max(estimate.per_run * estimate.runs) {
        format!(
            "{} of it for the parameter design: [correlations] reorders the correlated draws of every run of the run set at once (of each of the design's replicates under --design lhs|sobol): lower --runs",
            size(estimate.design)
        )
    } else if estimate.series > estimate.per_run * estimate.runs {
        format!(
            "{} of it for the per-step histograms of every series on {threads} threads: \
             use a longer step, a shorter horizon or fewer --threads",
            size(estimate.series)
        )
    } else {
        format!(
            "{} of it for the {} bytes per run kept for every metric and parameter: lower --runs (for `run`, --no-runs-csv keeps none)",
            size(estimate.per_run * estimate.runs),
            estimate.per_run
        )
    };
    Err(CliError::Usage(format!(
        "this simulation would need about {} of memory, more than the limit of {} GiB (--max-memory raises it); {why}",
        size(estimate.total()),
        sim.max_memory
    )))
}

fn thread_pool(threads: Option<u32>) -> Result<rayon::ThreadPool, CliError> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = threads {
        builder = builder.num_threads(threads as usize);
    }
    builder
        .build()
        .map_err(|e| CliError::Failure(format!("cannot start worker threads: {e}")))
}

/// Runs the engine on a pool of the requested size, with progress on a terminal.
fn simulate(
    scenario: &Scenario,
    config: &RunConfig,
    sim: &SimulationArgs,
) -> Result<engine::Outcome, CliError> {
    config
        .design
        .check(config.runs, scenario.params.len())
        .map_err(CliError::Usage)?;
    let pool = thread_pool(sim.threads)?;
    let show_progress = !sim.quiet && std::io::stderr().is_terminal();
    let started = Instant::now();
    let total = config.runs;
    let last_shown = std::sync::Mutex::new(Instant::now());
    let progress = |done: u64| {
        if !show_progress {
            return;
        }
        let Ok(mut last) = last_shown.lock() else {
            return;
        };
        if last.elapsed().as_millis() < 200 && done < total {
            return;
        }
        *last = Instant::now();
        let elapsed = started.elapsed().as_secs_f64();
        let eta = if done > 0 {
            elapsed * (total - done.min(total)) as f64 / done as f64
        } else {
            0.0
        };
        say_inline!("\r{done}/{total} runs, {elapsed:.1} s elapsed, about {eta:.1} s left   ");
    };
    let outcome = pool.install(|| engine::simulate_with_progress(scenario, config, &progress));
    if show_progress {
        say_inline!("\r{}\r", " ".repeat(60));
    }
    if !sim.quiet {
        let seconds = started.elapsed().as_secs_f64();
        say!(
            "simulated {} runs in {seconds:.2} s ({} runs/s) on {} threads",
            report::table::thousands(config.runs),
            report::table::thousands((config.runs as f64 / seconds.max(1e-9)) as u64),
            pool.current_num_threads()
        );
    }
    Ok(outcome)
}

/// Reads and validates a scenario file.
pub fn load_scenario(path: &Path) -> Result<Scenario, CliError> {
    load_scenario_with(path, &[])
}

/// Reads and validates a scenario file with `--set` overrides applied.
pub fn load_scenario_with(path: &Path, overrides: &[String]) -> Result<Scenario, CliError> {
    load_scenario_in(&Context::disk(), path, overrides, &[])
}

/// Reads a scenario with overrides and extra metrics (TOML) added by a command, its files
/// coming from the context (the disk, or a merge's partials).
fn load_scenario_in(
    ctx: &Context,
    path: &Path,
    overrides: &[String],
    extra_metrics: &[String],
) -> Result<Scenario, CliError> {
    let text = ctx.read(path, input::scenario)?;
    let mut read = |parent: &str| ctx.read_parent(parent, input::parent);
    let shown = path.display().to_string();
    let shown = if shown == input::STDIN {
        input::STDIN_NAME.to_string()
    } else {
        shown
    };
    let scenario = scenario::load_with_layers(&shown, &text, &mut read, overrides, extra_metrics)
        .map_err(|d| CliError::Invalid(vec![d]))?;
    ctx.warn(&scenario.warnings);
    Ok(scenario)
}

/// Prints to stdout; a closed pipe (`steppe run ... | head`) is not an error.
fn print_stdout(text: &str) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::Failure(format!("cannot write to stdout: {e}"))),
    }
}
