//! `imsdk-bench`: the load generator and benchmarks of imsdk-server and the ImSDK library.
//! See docs/BENCHMARKS.md for the method and the figures.

mod baseline;
mod client;
mod fanout;
mod library;
mod proc;
mod report;
mod sessions;
mod stats;
mod storage;
mod suite;

use clap::{Parser, Subcommand};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "imsdk-bench",
    version,
    about = "Benchmarks of imsdk-server and the ImSDK library (docs/BENCHMARKS.md)",
    after_help = "The server under test is imsdk-server next to this binary (build both with --release)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Every benchmark, one table (default --short; --long: the targets' sizes)
    All(Args),
    /// Idle sessions: server RSS per session [--sessions]
    Idle(Args),
    /// Sessions logging in at once [--sessions]
    Storm(Args),
    /// The baseline's and our maximum, then our latency curve at fractions of the baseline's
    /// maximum [--users --subs --seconds]
    Fanout(Args),
    /// Our server alone at one fixed rate [--rate CHANGES/S --users --subs --seconds]
    Paced(Args),
    /// The ring: users each followed by the next --subs, open-loop publishers, latency from the
    /// intended send time, at rising rates up to 100,000 notifications/s [--users --subs --seconds]
    Ring(Args),
    /// One change to N subscribers, repeated [--subs --changes]
    Burst(Args),
    /// A tenth of the subscribers stop reading 500 ms every 5 s, at 50% of our maximum
    /// [--users --subs --seconds --rate]
    Stall(Args),
    /// Call return, A→B latency, RSS (runs target/<profile>/examples/bench) [--changes]
    Library(Args),
    /// Durable import, subscribe storm, restart; storm/fan-out/burst in memory vs on disk
    /// [--accounts --users --sessions --seconds]
    Storage(Args),
    /// The baseline broadcast server the fan-out benchmarks compare against (spawned by them)
    #[command(hide = true)]
    BaselineServer {
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: String,
    },
}

#[derive(clap::Args, Clone)]
struct Args {
    /// Tiny sizes (CI: proves the benchmarks run, judges nothing)
    #[arg(long, group = "size")]
    smoke: bool,
    /// Short sizes (the default)
    #[arg(long, group = "size")]
    short: bool,
    /// The targets' sizes
    #[arg(long, group = "size")]
    long: bool,
    #[arg(long)]
    sessions: Option<usize>,
    #[arg(long)]
    users: Option<usize>,
    #[arg(long)]
    subs: Option<usize>,
    #[arg(long)]
    seconds: Option<usize>,
    #[arg(long)]
    changes: Option<usize>,
    /// Changes per second (all publishers together)
    #[arg(long)]
    rate: Option<usize>,
    #[arg(long)]
    accounts: Option<usize>,
    /// Also write the results (the table, latency curves and timelines) as JSON to this file
    /// (scripts/plot.py draws docs/img/ from it)
    #[arg(long)]
    json: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (name, args) = match cli.command {
        Command::BaselineServer { listen } => {
            return match baseline::run(&listen) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("baseline-server: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::All(a) => ("all", a),
        Command::Idle(a) => ("idle", a),
        Command::Storm(a) => ("storm", a),
        Command::Fanout(a) => ("fanout", a),
        Command::Paced(a) => ("paced", a),
        Command::Ring(a) => ("ring", a),
        Command::Burst(a) => ("burst", a),
        Command::Stall(a) => ("stall", a),
        Command::Library(a) => ("library", a),
        Command::Storage(a) => ("storage", a),
    };
    let opts = Options::from(&args);
    let fd_limit = proc::raise_fd_limit();
    let threads = std::env::var("IMSDK_BENCH_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(2);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("imsdk-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let results = match runtime.block_on(suite::run(name, &opts, fd_limit)) {
        Ok(results) => results,
        Err(e) => {
            eprintln!("imsdk-bench: {e}");
            return ExitCode::from(2);
        }
    };
    results.print(opts.profile != Profile::Smoke);
    if let Some(path) = &args.json {
        if let Err(e) = std::fs::write(path, results.to_json()) {
            eprintln!("imsdk-bench: {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    for e in &results.errors {
        eprintln!("imsdk-bench: {e}");
    }
    if results.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Run sizes: `--smoke` (CI), `--short` (default), `--long` (the targets' sizes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Smoke,
    Short,
    Long,
}

/// The run size and the sizes given on the command line, by name.
pub struct Options {
    pub profile: Profile,
    values: HashMap<&'static str, usize>,
}

impl From<&Args> for Options {
    fn from(a: &Args) -> Options {
        let profile = match (a.smoke, a.long) {
            (true, _) => Profile::Smoke,
            (_, true) => Profile::Long,
            _ => Profile::Short,
        };
        let given = [
            ("sessions", a.sessions),
            ("users", a.users),
            ("subs", a.subs),
            ("seconds", a.seconds),
            ("changes", a.changes),
            ("rate", a.rate),
            ("accounts", a.accounts),
        ];
        let values = given
            .into_iter()
            .filter_map(|(name, v)| Some((name, v?)))
            .collect();
        Options { profile, values }
    }
}

impl Options {
    /// The value given on the command line, else the profile's default.
    pub fn get(&self, name: &str, [smoke, short, long]: [usize; 3]) -> usize {
        self.values
            .get(name)
            .copied()
            .unwrap_or(match self.profile {
                Profile::Smoke => smoke,
                Profile::Short => short,
                Profile::Long => long,
            })
    }

    /// Whether `name` was given on the command line.
    pub fn given(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }
}
