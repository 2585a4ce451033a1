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

use std::collections::HashMap;
use std::process::ExitCode;

const USAGE: &str =
    "usage: imsdk-bench <all|idle|storm|fanout|paced|burst|stall|library> [--smoke|--short|--long] [options]
  all        every benchmark, one table            (default --short; --long: full sizes)
  idle       idle sessions: server RSS per session   --sessions N
  storm      sessions logging in at once             --sessions N
  fanout     baseline max, our max, ours at 80%      --users N --subs N --seconds N [--rate CHANGES/S]
  paced      our server alone at a fixed rate      --rate CHANGES/S --users N --subs N --seconds N
  burst      one change to N subscribers, repeated   --subs N --changes N
  stall      a tenth of the subscribers stop reading 500 ms every 5 s, at 50% of our max
                                                     --users N --subs N --seconds N [--rate CHANGES/S]
  library    call return, A→B latency, RSS (runs target/<profile>/examples/bench)  --changes N
  storage    durable import, subscribe storm, restart; storm/fan-out/burst in memory vs on disk
                                                     --accounts N --users N --sessions N --seconds N
The server under test is imsdk-server next to this binary (build both with --release).";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    if cmd == "baseline-server" {
        let listen = args.get(2).map_or("127.0.0.1:0", String::as_str);
        return match baseline::run(listen) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("baseline-server: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let opts = match Options::parse(&args[1..]) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("imsdk-bench: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
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
    let result = runtime.block_on(suite::run(cmd, &opts, fd_limit));
    match result {
        Ok((rows, errors)) => {
            report::print(&rows, opts.profile != Profile::Smoke);
            for e in &errors {
                eprintln!("imsdk-bench: {e}");
            }
            if errors.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("imsdk-bench: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// Run sizes: `--smoke` (CI), `--short` (default), `--long` (the targets' sizes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Smoke,
    Short,
    Long,
}

pub struct Options {
    pub profile: Profile,
    values: HashMap<String, usize>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let mut profile = Profile::Short;
        let mut values = HashMap::new();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--smoke" => profile = Profile::Smoke,
                "--short" => profile = Profile::Short,
                "--long" => profile = Profile::Long,
                name @ ("--sessions" | "--users" | "--subs" | "--seconds" | "--changes"
                | "--rate" | "--accounts") => {
                    let value = it
                        .next()
                        .and_then(|v| v.parse().ok())
                        .ok_or(format!("{name} needs a number"))?;
                    values.insert(name.trim_start_matches('-').to_owned(), value);
                }
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok(Options { profile, values })
    }

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
}
