//! Which benchmarks run, at which sizes, and the rows they produce.

use crate::client::Target;
use crate::fanout::{self, Graph, Pace, Stall, Until};
use crate::report::{Row, Verdict};
use crate::{library, sessions, storage, Options};
use std::time::Duration;

/// Notifications in flight when measuring the maximum throughput: at most this many, and about 8
/// per user.
fn window(users: usize) -> usize {
    (users * 8).min(4096)
}

/// Runs `cmd`; Err for an unknown command. Benchmarks that fail are reported, the others still run.
pub async fn run(
    cmd: &str,
    opts: &Options,
    fd_limit: usize,
) -> Result<(Vec<Row>, Vec<String>), String> {
    let all = cmd == "all";
    let known = [
        "idle", "storm", "fanout", "paced", "burst", "library", "storage", "stall",
    ];
    if !all && !known.contains(&cmd) {
        return Err(format!("unknown command {cmd:?}"));
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut record = |name: &str, result: Result<Vec<Row>, String>| match result {
        Ok(r) => rows.extend(r),
        Err(e) => errors.push(format!("{name}: {e}")),
    };
    // Both the load generator and the server hold one descriptor per session.
    let max_sessions = fd_limit.saturating_sub(512).max(1);
    if all || cmd == "library" {
        let changes = opts.get("changes", [200, 2_000, 10_000]);
        record("library", library::run(changes));
    }
    if all || cmd == "storm" {
        let n = opts.get("sessions", [200, 2_000, 10_000]).min(max_sessions);
        record("storm", sessions::storm(n).await);
    }
    if all || cmd == "idle" {
        let n = opts
            .get("sessions", [200, 5_000, 100_000])
            .min(max_sessions);
        record("idle", sessions::idle(n).await);
    }
    if all || cmd == "burst" {
        let subs = opts.get("subs", [200, 200, 200]);
        let changes = opts.get("changes", [20, 500, 2_000]) as u64;
        record("burst", burst(subs, changes).await);
    }
    if all || cmd == "storage" {
        let accounts = opts.get("accounts", [2_000, 20_000, 100_000]);
        let users = opts
            .get("users", [200, 2_000, 10_000])
            .min(max_sessions / 2);
        record(
            "storage",
            storage::durable(accounts, users.min(accounts), 100).await,
        );
        let sessions = opts.get("sessions", [200, 2_000, 10_000]).min(max_sessions);
        let fan = opts.get("users", [100, 1_000, 2_000]).min(max_sessions / 2);
        let secs = opts.get("seconds", [1, 3, 10]) as u64;
        record(
            "storage: memory vs data directory",
            memory_vs_disk(sessions, fan, Duration::from_secs(secs)).await,
        );
    }
    if all || cmd == "fanout" || cmd == "paced" {
        let users = opts.get("users", [100, 1_000, 2_000]);
        let subs = opts
            .get("subs", [10, 20, 50])
            .min(users.saturating_sub(1))
            .max(1);
        let secs = opts.get("seconds", [1, 3, 10]) as u64;
        // The smoke run (debug build) paces at a modest fixed rate: it proves the path, not the speed.
        let rate = opts.get("rate", [500, 0, 0]) as f64;
        let time = Duration::from_secs(secs);
        match cmd {
            "paced" => record("paced", paced(users, subs, time, rate).await),
            _ => record("fanout", fan_out(users, subs, time, rate).await),
        }
    }
    if all || cmd == "stall" {
        let users = opts.get("users", [100, 1_000, 1_000]).min(max_sessions / 2);
        let subs = opts
            .get("subs", [10, 10, 10])
            .min(users.saturating_sub(1))
            .max(1);
        let secs = opts.get("seconds", [3, 10, 30]) as u64;
        // The smoke run (debug build) paces at a modest fixed rate and pauses every second.
        let rate = opts.get("rate", [500, 0, 0]) as f64;
        let every = Duration::from_secs(if opts.profile == crate::Profile::Smoke {
            1
        } else {
            5
        });
        let stall = Stall {
            sessions: users / 10,
            every,
            pause: Duration::from_millis(500),
        };
        let time = Duration::from_secs(secs);
        record("stall", stalls(users, subs, time, rate, stall).await);
        // The same with 100 users × 50: each subscriber receives 5 times as much, enough for a
        // 500 ms pause to fill its socket (the case where coalescing, not buffers, keeps it).
        if opts.profile != crate::Profile::Smoke {
            let dense = Stall {
                sessions: 10,
                ..stall
            };
            let time = time.min(Duration::from_secs(10));
            record("stall (dense)", stalls(100, 50, time, rate, dense).await);
        }
    }
    Ok((rows, errors))
}

/// A tenth of the subscribers stop reading for 500 ms every 5 s while the others receive at 50 %
/// of our maximum (or `rate` changes/s): nobody is cut, the paused ones end with every followed
/// user's latest status, the others' latency stays low.
async fn stalls(
    users: usize,
    subs: usize,
    time: Duration,
    rate: f64,
    stall: Stall,
) -> Result<Vec<Row>, String> {
    let graph = Graph::ring(users, subs);
    let (rate, why) = match rate > 0.0 {
        true => (rate, "--rate".to_owned()),
        false => {
            let max = fanout::run(
                Target::Ours,
                &graph,
                Pace::Window(window(users)),
                Until::Elapsed(Duration::from_secs(3)),
            )
            .await?;
            let max_changes = max.rate / subs as f64;
            (
                0.5 * max_changes,
                format!("50% of our max {max_changes:.0}"),
            )
        }
    };
    let out = fanout::run_with(
        Target::Ours,
        &graph,
        Pace::Rate(rate),
        Until::Elapsed(time),
        Some(stall),
    )
    .await?;
    let met = out.closed_sessions == 0
        && out.stale == 0
        && out.lost == 0
        && out.others.p99_us <= 20_000.0;
    Ok(vec![Row {
        name: format!(
            "stall: {users} users × {subs} subscribers, {} stop reading {} ms every {} s, \
             {rate:.0} changes/s ({why}) for {} s",
            stall.sessions,
            stall.pause.as_millis(),
            stall.every.as_secs(),
            time.as_secs()
        ),
        measured: format!(
            "{} sessions cut; {} of {} followed statuses stale at the end ({} of the pausing \
             subscribers'); {} delivered, {} coalesced, {} lost; p50/p99/max others {}, all {}; \
             server CPU {:.1} s",
            out.closed_sessions,
            out.stale,
            users * subs,
            out.stale_paused,
            out.delivered,
            out.coalesced,
            out.lost,
            out.others.ms(),
            out.latency.ms(),
            out.server.cpu_s
        ),
        target: "0 cut, 0 stale, others' p99 ≤ 20 ms".into(),
        verdict: Verdict::from(met),
    }])
}

/// Item 4 and 5: the baseline's and our maximum throughput, then ours at 80% of our maximum.
/// `rate` (changes/s), when not 0, replaces 80% of our maximum for the paced run.
async fn fan_out(users: usize, subs: usize, time: Duration, rate: f64) -> Result<Vec<Row>, String> {
    let graph = Graph::ring(users, subs);
    let size = format!("{users} users × {subs} subscribers");
    let max = |target| {
        fanout::run(
            target,
            &graph,
            Pace::Window(window(users)),
            Until::Elapsed(time),
        )
    };
    let base = max(Target::Baseline).await?;
    let ours = max(Target::Ours).await?;
    let ratio = ours.rate / base.rate.max(1.0);
    let (rate, why) = match rate > 0.0 {
        true => (rate, "--rate"),
        false => (0.8 * ours.rate / subs as f64, "80% of our max"),
    };
    Ok(vec![
        Row {
            name: format!("fan-out max, baseline broadcast server ({size})"),
            measured: format!("{:.0} notifications/s; {}", base.rate, resources(&base)),
            target: "the practical limit".into(),
            verdict: Verdict::Info,
        },
        Row {
            name: format!("fan-out max, imsdk-server ({size})"),
            measured: format!(
                "{:.0} notifications/s = {ratio:.2}× baseline; {}",
                ours.rate,
                resources(&ours)
            ),
            target: "≥ 0.7× baseline".into(),
            verdict: Verdict::from(ratio >= 0.7 && ours.lost == 0),
        },
        paced_row(&graph, time, rate, why).await?,
    ])
}

/// Our server at a fixed total rate of changes: latency and losses.
async fn paced_row(graph: &Graph, time: Duration, rate: f64, why: &str) -> Result<Row, String> {
    let out = fanout::run(Target::Ours, graph, Pace::Rate(rate), Until::Elapsed(time)).await?;
    Ok(Row {
        name: format!(
            "fan-out paced at {rate:.0} changes/s ({why}), imsdk-server ({} users × {} subscribers)",
            graph.users, graph.fanout
        ),
        measured: format!(
            "{:.0} notifications/s, p50/p99/max {}; {}",
            out.rate,
            out.latency.ms(),
            resources(&out)
        ),
        target: "p99 ≤ 20 ms at 80% of max, no loss".into(),
        verdict: Verdict::from(out.latency.p99_us <= 20_000.0 && out.lost == 0),
    })
}

/// Item 4 alone at the given rates (a latency curve): `imsdk-bench paced --rate N`.
async fn paced(users: usize, subs: usize, time: Duration, rate: f64) -> Result<Vec<Row>, String> {
    if rate <= 0.0 {
        return Err("paced needs --rate CHANGES/S".into());
    }
    let graph = Graph::ring(users, subs);
    Ok(vec![paced_row(&graph, time, rate, "--rate").await?])
}

/// Losses, server CPU and RSS of a run.
fn resources(out: &fanout::Outcome) -> String {
    format!(
        "{}; server CPU {:.1} s, RSS {} KiB",
        out.losses(),
        out.server.cpu_s,
        out.server.rss_kib
    )
}

/// One change to `subs` subscribers on an otherwise idle server, `changes` times, one at a time;
/// the same on the baseline broadcast server for reference.
async fn burst(subs: usize, changes: u64) -> Result<Vec<Row>, String> {
    let graph = Graph::star(subs);
    let mut rows = Vec::new();
    for target in [Target::Baseline, Target::Ours] {
        let out = fanout::run(target, &graph, Pace::Window(subs), Until::Changes(changes)).await?;
        if out.lost > 0 {
            return Err(format!(
                "one change to {subs} ({target:?}): {}",
                out.losses()
            ));
        }
        let (server, target, verdict) = match target {
            Target::Baseline => ("baseline broadcast server", "reference", Verdict::Info),
            Target::Ours => (
                "imsdk-server",
                "p99 ≤ 2 ms",
                Verdict::from(out.all_delivered.p99_us <= 2_000.0),
            ),
        };
        rows.push(Row {
            name: format!(
                "one change to {subs} subscribers, all delivered, {server} ({changes} changes)"
            ),
            measured: format!(
                "p50/p99/max {}; server CPU {:.2} s",
                out.all_delivered.ms(),
                out.server.cpu_s
            ),
            target: target.into(),
            verdict,
        });
    }
    Ok(rows)
}

/// The login storm, the fan-out maximum and the 200-subscriber burst with the server in memory,
/// then on a data directory, in the same run.
async fn memory_vs_disk(sessions: usize, users: usize, time: Duration) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for durable in [false, true] {
        crate::proc::set_durable(durable);
        let how = if durable {
            "data directory"
        } else {
            "in memory"
        };
        let mut add = |mut more: Vec<Row>| {
            for row in &mut more {
                row.name = format!("{} [{how}]", row.name);
            }
            rows.extend(more);
        };
        let storm = sessions::storm(sessions).await;
        let graph = Graph::ring(users, 20.min(users.saturating_sub(1)).max(1));
        let max = fanout::run(
            Target::Ours,
            &graph,
            Pace::Window(window(users)),
            Until::Elapsed(time),
        )
        .await;
        let star = Graph::star(200);
        let burst = fanout::run(Target::Ours, &star, Pace::Window(200), Until::Changes(200)).await;
        crate::proc::set_durable(false);
        add(storm?);
        let max = max?;
        add(vec![Row {
            name: format!("fan-out max ({} users × {})", graph.users, graph.fanout),
            measured: format!("{:.0} notifications/s; {}", max.rate, resources(&max)),
            target: "within 10% of in memory".into(),
            verdict: Verdict::Info,
        }]);
        let burst = burst?;
        add(vec![Row {
            name: "one change to 200 subscribers, all delivered (200 changes)".into(),
            measured: format!("p50/p99/max {}", burst.all_delivered.ms()),
            target: "within 10% of in memory".into(),
            verdict: Verdict::Info,
        }]);
    }
    Ok(rows)
}
