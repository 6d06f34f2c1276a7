//! The command line as the user typed it (clap). Turning these into real objects happens in
//! the command functions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "steppe",
    version,
    about = "Monte Carlo scenarios of geopolitical influence",
    long_about = "steppe simulates many futures of a scenario file — actors competing for influence \
in target states through channels, with uncertain assumptions, regime-switching drivers and \
random events — and shows what the assumptions add up to.\n\n\
Start with:  steppe run scenarios/baseline.toml\n\
File format: docs/format.md    JSON output: docs/json.md",
    after_help = "Exit codes: 0 success, 2 invalid input or usage, 1 any other failure."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and summarise its futures.
    #[command(
        long_about = "Simulate a scenario and summarise its futures: each actor's composite \
influence share in each target and the region (median and 5–95 % interval) at the start and a few \
horizon years, and every metric the scenario defines, with its Monte Carlo standard error.\n\n\
The same scenario, seed and run count give the same numbers, bit for bit, on any number of threads."
    )]
    Run(RunArgs),
    /// Compare the futures of several scenarios, run by run, against the first.
    #[command(
        long_about = "Compare the futures of several scenarios against the first (the \
reference). Every scenario runs with the same seed and run count, and run i of each shares its \
random numbers with run i of the others wherever they share components (common random numbers), \
so differences are computed run by run: they show the effect of the assumptions, not sampling \
noise. For every metric and every composite share at the chosen years: each scenario's mean, \
median and 5–95 % interval; the difference to the reference with a 95 % interval; the probability \
that a run exceeds the same run of the reference; Kolmogorov–Smirnov and Wasserstein-1 distances; \
and how much the pairing narrowed the interval. See docs/compare.md."
    )]
    Compare(CompareArgs),
    /// Which assumptions a metric hangs on: tornado swings and Sobol indices.
    #[command(
        long_about = "Which assumptions a metric hangs on. The tornado puts each named \
parameter at its 10th and 90th percentile with the others at their medians, over the same runs, \
and sorts them by the swing of the metric. Sobol indices (Saltelli 2010 first-order, Jansen total, \
from a scrambled Sobol design, with bootstrap 95 % intervals) split the metric's variance among \
the parameters and 'chance' — the noise, regime paths and events inside a run, which no assumption \
removes — and split chance by its sources (the noise, each driver, each event). A composite share (TARGET:ACTOR, e.g. kazakhstan:russia or region:china) can be analysed \
at the horizon or, with --over-time, year by year. See docs/sensitivity.md."
    )]
    Sensitivity(SensitivityArgs),
    /// Scenario discovery (PRIM): the ranges of the assumptions in which an outcome is likely.
    #[command(
        long_about = "Scenario discovery with PRIM (Friedman & Fisher's patient rule \
induction): among the runs' parameter draws, peel off 5 % of the runs at a time from the edge of a \
box of assumptions, always where it raises the share of runs in which the outcome holds, and show \
the trajectory of boxes with their coverage (the share of all such runs inside) and density (the \
share of runs inside where it holds), and the box a user would pick. See docs/sensitivity.md."
    )]
    Discover(DiscoverArgs),
    /// Every metric across a grid of values of one or two assumptions.
    #[command(
        long_about = "Every metric across a grid of values of one or two assumptions. Each \
grid point is the scenario with the assumption set to that value (as --set would), run with the \
same seed and run count, so neighbouring points share all other random numbers: cells differ by \
the assumption, not by noise. See docs/tweaking.md."
    )]
    Sweep(SweepArgs),
    /// One self-contained HTML page: each scenario's assumptions, results and charts, and
    /// their comparison.
    #[command(
        after_help = "Example:\n  steppe report scenarios/baseline.toml scenarios/russia_rebound.toml -o report.html"
    )]
    Report(ReportArgs),
    /// Combine the partial results of `--shard K/N` (run, compare, sweep, sensitivity, discover)
    /// into the result of the whole work.
    Merge(MergeArgs),
    /// Check scenario files without running them; print every problem found.
    Validate(ValidateArgs),
    /// Print a scenario's assumptions in plain words (and what it changes, if it extends another).
    #[command(
        long_about = "Print a scenario's assumptions in plain words: every parameter with its \
distribution and its 5/50/95 % values, description and source; every rule of how strengths move; \
every driver and event with its hazard, window, condition and effects; every metric. For a scenario \
that extends another, it starts with exactly what it changes relative to its parent."
    )]
    Explain(ExplainArgs),
    /// Write a new, commented scenario file that validates and runs as written.
    Init(InitArgs),
    /// Print the JSON Schema of the scenario format (for editors: Taplo, Even Better TOML).
    Schema,
    /// Print a shell's completion script for steppe.
    #[command(after_help = "Install, for example:\n  \
steppe completions bash > ~/.local/share/bash-completion/completions/steppe\n  \
steppe completions zsh > \"${fpath[1]}/_steppe\"\n  \
steppe completions fish > ~/.config/fish/completions/steppe.fish")]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) of steppe, or of one of its commands.
    #[command(after_help = "Read it, or install it:\n  \
steppe man | man -l -\n  \
steppe man run | man -l -\n  \
steppe man > ~/.local/share/man/man1/steppe.1")]
    Man {
        /// A command (`run`, `compare`, …) for its own page, `steppe-COMMAND(1)`.
        command: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The scenario file (TOML), or `-` to read it from standard input.
    pub file: PathBuf,
    /// Explain the scenario with this override applied, as `--set` of `run` would
    /// (repeatable); the explanation then starts with what the overrides change.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_assignment)]
    pub set: Vec<String>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  steppe init my_scenario        # writes my_scenario.toml\n  steppe run my_scenario.toml"
)]
pub struct InitArgs {
    /// Name of the new scenario; the file is NAME.toml unless NAME ends in .toml.
    pub name: String,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
steppe run scenarios/baseline.toml\n  \
steppe run scenarios/baseline.toml --runs 100000 --seed 7\n  \
steppe run scenarios/baseline.toml --json > result.json\n  \
steppe run scenarios/baseline.toml --metric 'ahead=at@2030: region(\"china\") > region(\"russia\")'\n  \
steppe run scenarios/baseline.toml --out results/baseline")]
pub struct RunArgs {
    /// The scenario file (TOML), or `-` to read it from standard input.
    pub file: PathBuf,
    /// With --out, do not write runs.csv (every run's parameter draws and metric values).
    /// Keeping them costs 8 bytes per run per metric and parameter; without them memory does
    /// not grow with --runs.
    #[arg(long, requires = "out")]
    pub no_runs_csv: bool,
    /// Keep doubling the runs until every metric's Monte Carlo standard error is at most E;
    /// the result is the same as a plain run with the run count it reached. E is in each
    /// metric's own unit (0.005 is half a percentage point of a probability, 0.005 of a share,
    /// 0.005 years of a year): name the metrics it is meant for with --precision-metric.
    #[arg(long, value_name = "E", value_parser = parse_precision, conflicts_with = "shard")]
    pub precision: Option<f64>,
    /// A question to ask (repeatable; only the metrics asked are shown): a metric of the file
    /// by NAME (a leader metric's name asks every category), or a new one, NAME=[KIND[@YEAR]:]EXPR
    /// with the kinds and expressions of a [metrics] table — e.g.
    /// 'ahead=at@2030: region("china") > region("russia")', 'pass=first: share("kazakhstan",
    /// "china") > share("kazakhstan", "russia")', 'lead=leader: region(actor)',
    /// 'squeezes=count: energy_pressure'. Without KIND it is `at` of the horizon.
    #[arg(long = "metric", value_name = "QUESTION")]
    pub metric: Vec<String>,
    /// Apply --precision only to this metric (repeatable) [default: every metric].
    #[arg(long, value_name = "NAME", requires = "precision")]
    pub precision_metric: Vec<String>,
    /// The most runs --precision may reach.
    #[arg(long, value_name = "N", default_value = "1000000", requires = "precision", value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub max_runs: u64,
    #[command(flatten)]
    pub sim: SimulationArgs,
    #[command(flatten)]
    pub result: ResultArgs,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example (4 shards, e.g. on 4 machines, then one merge):\n  \
for k in 0 1 2 3; do steppe run scenarios/baseline.toml --runs 1000000 --shard $k/4 --out part$k; done\n  \
steppe merge part0 part1 part2 part3 --out result\n\
The same for compare, sweep, sensitivity and discover: add --shard K/N --out DIR to the command.\n\
See docs/cluster.md for SLURM and Kubernetes job files."
)]
pub struct MergeArgs {
    /// Directories written by `steppe COMMAND ... --shard K/N --out DIR`, in any order.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Write the merged result into DIR (the same files as the command's own --out).
    #[arg(long, value_name = "DIR", required = true)]
    pub out: PathBuf,
    /// Replace DIR if it holds an earlier result.
    #[arg(long)]
    pub force: bool,
    /// Print the result as JSON instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Print nothing on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The default of `--max-memory`, in GiB.
pub const DEFAULT_MAX_MEMORY: f64 = 8.0;

/// How to simulate: flags of every command that simulates (`report` included).
#[derive(Debug, Clone, Args)]
pub struct SimulationArgs {
    /// Number of simulated futures [default: the file's `runs`].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub runs: Option<u64>,
    /// Master seed of the random streams [default: the file's `seed`].
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores]; the results do not depend on it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
    /// Override a key of the scenario file for this run, e.g. `params.russia_trend=-0.02`,
    /// `params.russia_trend="normal(-0.02, 0.01)"`, `events.coercion.hazard=0.3`,
    /// `runs=50000`. Repeatable; the value is TOML (a bare word is taken as a string).
    /// Recorded in the results.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_assignment)]
    pub set: Vec<String>,
    /// How parameters are sampled across runs: `mc` (independent draws), `lhs` (Latin
    /// hypercube: one draw per stratum of each parameter), `sobol` (scrambled Sobol sequence).
    #[arg(long, value_enum, default_value = "mc")]
    pub design: DesignArg,
    /// Refuse to simulate if the estimated memory exceeds this many GiB.
    #[arg(long, value_name = "GIB", default_value_t = DEFAULT_MAX_MEMORY, value_parser = parse_gib)]
    pub max_memory: f64,
    /// Print nothing on stderr (no progress, no timing).
    #[arg(long, short)]
    pub quiet: bool,
}

/// Where a result goes: flags of every command that prints a result and writes its files.
#[derive(Debug, Clone, Args)]
pub struct ResultArgs {
    /// Print the full result as one JSON document on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Also write the result as files into DIR (run: summary.json, series.csv, metrics.csv,
    /// runs.csv, charts; compare: comparison.json, comparison.csv, charts; see docs/json.md).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace DIR if it holds an earlier result of steppe's.
    #[arg(long, requires = "out")]
    pub force: bool,
    /// Simulate only shard K of N (0 ≤ K < N) of every simulation the command needs and write
    /// a partial result into --out DIR; `steppe merge` combines the N partials into exactly the
    /// unsharded result (run, compare, sweep, sensitivity, discover). See docs/cluster.md.
    #[arg(long, value_name = "K/N", value_parser = steppe::shard::parse, requires = "out")]
    pub shard: Option<(u64, u64)>,
}

#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
steppe compare scenarios/baseline.toml scenarios/russia_rebound.toml\n  \
steppe compare scenarios/baseline.toml scenarios/*.toml --years 2030,2035 --sort file\n  \
steppe compare scenarios/baseline.toml scenarios/china_ascendant.toml --json > diff.json")]
pub struct CompareArgs {
    /// Scenario files; the first is the reference.
    #[arg(required = true, num_args = 2..)]
    pub files: Vec<PathBuf>,
    /// Years at which composite shares are compared [default: multiples of 5 and the end].
    #[arg(long, value_name = "Y,Y,...", value_delimiter = ',')]
    pub years: Vec<i32>,
    /// Compare only what is asked (repeatable): a metric by NAME, a new one as
    /// NAME=[KIND[@YEAR]:]EXPR (see `steppe run --help`), or a composite share as TARGET:ACTOR
    /// (`region` for the region) [default: every metric and share].
    #[arg(long = "metric", value_name = "QUESTION")]
    pub metric: Vec<String>,
    /// Order of the quantities: `largest` difference first (by Kolmogorov–Smirnov distance),
    /// or `file` order.
    #[arg(long, value_enum, default_value = "largest")]
    pub sort: SortOrder,
    #[command(flatten)]
    pub sim: SimulationArgs,
    #[command(flatten)]
    pub result: ResultArgs,
}

#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
steppe sweep scenarios/baseline.toml --vary russia_trend=-0.08..0:5\n  \
steppe sweep scenarios/baseline.toml --vary events.coercion.hazard=0.02,0.05,0.1,0.2\n  \
steppe sweep scenarios/baseline.toml --vary russia_trend=-0.06..0:4 --vary china_pull=0..0.08:5")]
pub struct SweepArgs {
    /// The scenario file (TOML), or `-` to read it from standard input.
    pub file: PathBuf,
    /// An assumption and its values: NAME=FROM..TO[:N] (N evenly spaced values, default 5) or
    /// NAME=V1,V2,... NAME is a parameter or any key path (events.coercion.hazard). At most two.
    #[arg(long, required = true, value_name = "NAME=VALUES", value_parser = steppe::sweep::Vary::parse)]
    pub vary: Vec<steppe::sweep::Vary>,
    #[command(flatten)]
    pub sim: SimulationArgs,
    #[command(flatten)]
    pub result: ResultArgs,
}

#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
steppe sensitivity scenarios/baseline.toml --metric russia_kz_2035\n  \
steppe sensitivity scenarios/baseline.toml --metric china_overtakes_russia_kz --method tornado\n  \
steppe sensitivity scenarios/baseline.toml --metric kazakhstan:russia --over-time --samples 512")]
pub struct SensitivityArgs {
    /// The scenario file (TOML), or `-` to read it from standard input.
    pub file: PathBuf,
    /// A metric's name, or a composite share as TARGET:ACTOR (`region` for the region).
    #[arg(long, value_name = "NAME")]
    pub metric: String,
    #[arg(long, value_enum, default_value = "both")]
    pub method: Method,
    /// Base size N of the Sobol design (a power of two is best); the analysis runs
    /// N·(k + 3 + S) rows for k parameters and S sources of chance [default: 1024].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(2..=65536))]
    pub samples: Option<u64>,
    /// Bootstrap resamples for the intervals of the Sobol indices [default: 500].
    #[arg(long, value_name = "B", value_parser = clap::value_parser!(u64).range(10..=100000))]
    pub bootstrap: Option<u64>,
    /// For a composite share: indices for every year, not only the horizon.
    #[arg(long)]
    pub over_time: bool,
    /// Joint Sobol indices of a group of parameters, swapped together: NAME=P1,P2,...
    /// (repeatable), e.g. `--group russia=russia_trend,russia_kz_extra`
    #[arg(long, value_name = "NAME=PARAMS", value_parser = parse_group)]
    pub group: Vec<(String, Vec<String>)>,
    #[command(flatten)]
    pub sim: SimulationArgs,
    #[command(flatten)]
    pub result: ResultArgs,
}

/// `NAME=P1,P2,...`.
fn parse_group(text: &str) -> Result<(String, Vec<String>), String> {
    let (name, members) = text
        .split_once('=')
        .ok_or("write NAME=P1,P2,... (a name, then the group's parameters)")?;
    let name = name.trim();
    if name.is_empty() {
        return Err("the group needs a name before `=`".into());
    }
    let members: Vec<String> = members
        .split(',')
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .collect();
    if members.is_empty() {
        return Err(format!("the group {name} names no parameters after `=`"));
    }
    Ok((name.to_string(), members))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    Tornado,
    Sobol,
    Both,
}

#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
steppe discover scenarios/baseline.toml --where 'share(\"kazakhstan\", \"russia\") > 0.3' --year 2030\n  \
steppe discover scenarios/baseline.toml --metric china_overtakes_russia_kz")]
#[command(group(clap::ArgGroup::new("outcome").required(true).args(["condition", "metric"])))]
pub struct DiscoverArgs {
    /// The scenario file (TOML), or `-` to read it from standard input.
    pub file: PathBuf,
    /// The outcome: a condition, evaluated at --year (default: the horizon).
    #[arg(long = "where", value_name = "EXPR", conflicts_with = "metric")]
    pub condition: Option<String>,
    /// The year at which --where is evaluated.
    #[arg(long, value_name = "YEAR", requires = "condition")]
    pub year: Option<i32>,
    /// Or: a metric that is a condition (at, ever) or a first-year question (happens by the horizon).
    #[arg(long, value_name = "NAME")]
    pub metric: Option<String>,
    /// Share of the runs peeled off at each step.
    #[arg(long, value_name = "ALPHA", default_value = "0.05")]
    pub peel: f64,
    /// Stop peeling when a box holds fewer than this share of the runs.
    #[arg(long, value_name = "SHARE", default_value = "0.05")]
    pub min_support: f64,
    #[command(flatten)]
    pub sim: SimulationArgs,
    #[command(flatten)]
    pub result: ResultArgs,
}

/// `--design`, as spelled on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DesignArg {
    /// Independent uniforms (plain Monte Carlo).
    Mc,
    /// Latin hypercube: one draw per stratum of each parameter.
    Lhs,
    /// Owen-scrambled Sobol sequence (at most 65,536 runs and 256 parameters).
    Sobol,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SortOrder {
    Largest,
    File,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Scenario files; with several, the first is the reference of the comparison.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The HTML file to write.
    #[arg(short = 'o', long = "output", value_name = "FILE", required = true)]
    pub output: PathBuf,
    /// Replace FILE if it exists.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub sim: SimulationArgs,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files to check.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Check the files with this override applied, as `--set` of `run` would (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_assignment)]
    pub set: Vec<String>,
}

fn parse_assignment(text: &str) -> Result<String, String> {
    match text.split_once('=') {
        Some((key, _)) if !key.trim().is_empty() => Ok(text.to_string()),
        _ => Err("expected KEY=VALUE, e.g. params.russia_trend=-0.02".to_string()),
    }
}

fn parse_precision(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(e) if e > 0.0 && e.is_finite() => Ok(e),
        _ => Err("expected a positive standard error, e.g. 0.005".to_string()),
    }
}

fn parse_gib(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(g) if g > 0.0 && g.is_finite() => Ok(g),
        _ => Err("expected a positive number of GiB, e.g. 8 or 0.5".to_string()),
    }
}
