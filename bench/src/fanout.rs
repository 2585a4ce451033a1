//! Fan-out: users online, each publisher followed by the same number of others; publishers change
//! their custom status either as fast as a window of undelivered notifications allows (the
//! maximum throughput) or at a fixed total rate; every receiver records send→receive latency.

use crate::client::{self, now_ns, Target, Ws};
use crate::proc::{user, ServerProc, Usage, APP, KEY};
use crate::stats::Latency;
use futures_util::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch, Notify, Semaphore};
use tokio_tungstenite::tungstenite::Message;

/// Who follows whom.
pub struct Graph {
    pub users: usize,
    /// Users that publish; each is followed by exactly `fanout` others.
    pub publishers: Vec<usize>,
    pub fanout: usize,
    /// The users that user `i` follows.
    pub follows: fn(usize, &Graph) -> Vec<usize>,
}

impl Graph {
    /// `users` users, each following the next `subs` (mod users), every user publishing.
    pub fn ring(users: usize, subs: usize) -> Graph {
        Graph {
            users,
            publishers: (0..users).collect(),
            fanout: subs,
            follows: |i, g| (1..=g.fanout).map(|k| (i + k) % g.users).collect(),
        }
    }

    /// User 0 followed by `subs` others.
    pub fn star(subs: usize) -> Graph {
        Graph {
            users: subs + 1,
            publishers: vec![0],
            fanout: subs,
            follows: |i, _| if i == 0 { vec![] } else { vec![0] },
        }
    }
}

/// How publishing is paced.
#[derive(Debug, Clone, Copy)]
pub enum Pace {
    /// At most `window` notifications sent and not yet received: the maximum the server sustains.
    Window(usize),
    /// A fixed total rate of changes per second (open loop, stamped at the scheduled time).
    Rate(f64),
}

/// When publishing stops.
#[derive(Debug, Clone, Copy)]
pub enum Until {
    Elapsed(Duration),
    Changes(u64),
}

/// Some subscribers stop reading now and then (a GC pause, a busy frame, a radio waking up).
#[derive(Debug, Clone, Copy)]
pub struct Stall {
    /// Sessions 0..sessions pause; their pauses are spread evenly over `every`.
    pub sessions: usize,
    pub every: Duration,
    pub pause: Duration,
}

/// What one run measured.
pub struct Outcome {
    /// Deliveries per second, from the first publish to the last receipt.
    pub rate: f64,
    pub latency: Latency,
    /// The same, of the sessions that never paused (all of them without a [`Stall`]).
    pub others: Latency,
    /// Per change: the time until its last follower had it.
    pub all_delivered: Latency,
    /// Changes × followers.
    pub expected: u64,
    /// Statuses received.
    pub delivered: u64,
    /// Changes a follower never saw because a newer one of the same user replaced it on the way.
    pub coalesced: u64,
    /// Changes neither delivered nor superseded by a delivered newer one.
    pub lost: u64,
    /// (follower, followed user) pairs where the follower's last status is not the user's last
    /// change, over all followers and over the pausing ones.
    pub stale: u64,
    pub stale_paused: u64,
    pub closed_sessions: usize,
    /// Server CPU seconds spent during the run, and its RSS at the end.
    pub server: Usage,
    /// Deliveries and latency over time, by [`BUCKET_MS`].
    pub timeline: Vec<Bucket>,
}

/// The width of a timeline bucket.
pub const BUCKET_MS: u32 = 250;

/// What arrived in one [`BUCKET_MS`] of the run (by arrival time since the first publish).
pub struct Bucket {
    pub others: Latency,
    /// At the sessions that pause (none without a [`Stall`]).
    pub paused: Latency,
}

impl Outcome {
    pub fn losses(&self) -> String {
        format!(
            "{} lost of {} ({} coalesced), {} sessions closed",
            self.lost, self.expected, self.coalesced, self.closed_sessions
        )
    }
}

#[derive(Default)]
struct Progress {
    /// Changes delivered or superseded by a delivered newer one.
    accounted: AtomicU64,
    last_ns: AtomicU64,
    arrived: Notify,
}

/// One delivery.
#[derive(Clone, Copy)]
struct Sample {
    /// The change's sequence number.
    seq: u32,
    /// Latency from the change's (intended) send time.
    us: u32,
    /// Arrival, since the first publish.
    at_ms: u32,
}

/// What one session saw.
struct Seen {
    samples: Vec<Sample>,
    closed: bool,
    /// The last change number received from each followed user.
    last_nth: HashMap<usize, u64>,
}

/// Starts the server, joins every user, publishes, drains, and measures.
pub async fn run(
    target: Target,
    graph: &Graph,
    pace: Pace,
    until: Until,
) -> Result<Outcome, String> {
    run_with(target, graph, pace, until, None).await
}

/// [`run`], with some subscribers pausing their reads.
pub async fn run_with(
    target: Target,
    graph: &Graph,
    pace: Pace,
    until: Until,
    stall: Option<Stall>,
) -> Result<Outcome, String> {
    let server = match target {
        // The server's own default limits (0), so that runs of different versions compare.
        Target::Ours => ServerProc::ours(graph.users, 0)?,
        Target::Baseline => ServerProc::baseline()?,
    };
    let sessions = join_all(target, &server, graph).await?;
    let progress = Arc::new(Progress::default());
    let window = match pace {
        Pace::Window(w) => Some(Arc::new(Semaphore::new(w.max(graph.fanout)))),
        Pace::Rate(_) => None,
    };
    let paused = stall.map_or(0, |s| s.sessions.min(graph.users));
    let (stop_tx, stop_rx) = watch::channel(false);
    let start_ns = now_ns();
    let mut publish = Vec::with_capacity(sessions.len());
    let mut drivers = Vec::with_capacity(sessions.len());
    for (i, ws) in sessions.into_iter().enumerate() {
        let (tx, rx) = mpsc::unbounded_channel();
        publish.push(tx);
        let pauses = stall.filter(|_| i < paused).map(|s| {
            let offset = s.every.mul_f64(i as f64 / paused as f64);
            (s, offset)
        });
        let driver = Driver {
            target,
            me: user(i),
            cmds: rx,
            progress: Arc::clone(&progress),
            window: window.clone(),
            stop: stop_rx.clone(),
            pauses,
            start_ns,
        };
        drivers.push(tokio::spawn(driver.run(ws)));
    }
    let before = server.usage();
    if let Until::Elapsed(d) = until {
        if d >= Duration::from_secs(10) {
            tokio::spawn(report_progress(Arc::clone(&progress), stop_rx.clone()));
        }
    }
    let per_user = pace_changes(graph, pace, until, &publish, window.as_deref()).await;
    let changes: u64 = per_user.iter().sum();
    let expected = changes * graph.fanout as u64;
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while progress.accounted.load(Ordering::Acquire) < expected {
            let arrived = progress.arrived.notified();
            if progress.accounted.load(Ordering::Acquire) >= expected {
                break;
            }
            arrived.await;
        }
    })
    .await;
    let after = server.usage();
    let _ = stop_tx.send(true);
    let mut samples: Vec<Sample> = Vec::new();
    // Sessions 0..paused are the pausing ones: their samples come first, up to `paused_end`.
    let mut paused_end = None;
    let (mut closed_sessions, mut stale, mut stale_paused, mut accounted) = (0, 0, 0, 0);
    for (i, d) in drivers.into_iter().enumerate() {
        let seen = d.await.map_err(|e| e.to_string())?;
        closed_sessions += usize::from(seen.closed);
        for f in (graph.follows)(i, graph) {
            let last = seen.last_nth.get(&f).copied().unwrap_or(0);
            accounted += last;
            if last < per_user[f] {
                stale += 1;
                stale_paused += u64::from(i < paused);
            }
        }
        if i == paused {
            paused_end = Some(samples.len());
        }
        samples.extend(seen.samples);
    }
    let paused_end = paused_end.unwrap_or(samples.len());
    let delivered = samples.len() as u64;
    let span_s = (progress
        .last_ns
        .load(Ordering::Acquire)
        .saturating_sub(start_ns)) as f64
        / 1e9;
    let mut per_change = vec![0u64; changes as usize];
    for s in &samples {
        if let Some(m) = per_change.get_mut(s.seq as usize) {
            *m = (*m).max(u64::from(s.us));
        }
    }
    Ok(Outcome {
        rate: if span_s > 0.0 {
            delivered as f64 / span_s
        } else {
            0.0
        },
        latency: Latency::of(samples.iter().map(|s| u64::from(s.us))),
        others: Latency::of(samples[paused_end..].iter().map(|s| u64::from(s.us))),
        all_delivered: Latency::of(per_change),
        expected,
        delivered,
        coalesced: accounted.saturating_sub(delivered),
        lost: expected.saturating_sub(accounted),
        stale,
        stale_paused,
        closed_sessions,
        server: Usage {
            rss_kib: after.rss_kib,
            cpu_s: after.cpu_s - before.cpu_s,
        },
        timeline: timeline(&samples[paused_end..], &samples[..paused_end]),
    })
}

/// Latency by arrival time, in [`BUCKET_MS`] buckets.
fn timeline(others: &[Sample], paused: &[Sample]) -> Vec<Bucket> {
    let end = others
        .iter()
        .chain(paused)
        .map(|s| s.at_ms)
        .max()
        .unwrap_or(0);
    let buckets = (end / BUCKET_MS + 1) as usize;
    let by_bucket = |samples: &[Sample]| {
        let mut v = vec![Vec::new(); buckets];
        for s in samples {
            v[(s.at_ms / BUCKET_MS) as usize].push(u64::from(s.us));
        }
        v.into_iter().map(Latency::of)
    };
    by_bucket(others)
        .zip(by_bucket(paused))
        .map(|(others, paused)| Bucket { others, paused })
        .collect()
}

/// Every 5 s of a long run, one line with the notifications accounted for so far.
async fn report_progress(progress: Arc<Progress>, mut stop: watch::Receiver<bool>) {
    let start = Instant::now();
    let mut last = 0;
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
        let now = progress.accounted.load(Ordering::Acquire);
        crate::report::progress(
            "load",
            format_args!(
                "{:.0} s: {now} notifications accounted for, {:.0}/s in the last 5 s",
                start.elapsed().as_secs_f64(),
                (now - last) as f64 / 5.0
            ),
        );
        last = now;
    }
}

/// Joins every user (UserSigs made beforehand), 256 handshakes at a time.
async fn join_all(target: Target, server: &ServerProc, graph: &Graph) -> Result<Vec<Ws>, String> {
    let gate = Arc::new(Semaphore::new(256));
    let tasks: Vec<_> = (0..graph.users)
        .map(|i| {
            let sig = imsdk_usersig::generate(APP, KEY, &user(i), 86_400);
            let follows = (graph.follows)(i, graph);
            let (gate, addr) = (Arc::clone(&gate), server.addr);
            tokio::spawn(async move {
                let _permit = gate.acquire_owned().await.map_err(|e| e.to_string())?;
                client::join(target, addr, i, &sig, &follows).await
            })
        })
        .collect();
    let mut sessions = Vec::with_capacity(graph.users);
    for t in tasks {
        sessions.push(t.await.map_err(|e| e.to_string())??);
    }
    Ok(sessions)
}

/// Issues changes until `until`; returns how many each user issued.
async fn pace_changes(
    graph: &Graph,
    pace: Pace,
    until: Until,
    publish: &[mpsc::UnboundedSender<(u64, u64)>],
    window: Option<&Semaphore>,
) -> Vec<u64> {
    let start = Instant::now();
    let mut per_user = vec![0u64; graph.users];
    let mut seq: u64 = 0;
    let done = |seq: u64| match until {
        Until::Elapsed(d) => start.elapsed() >= d,
        Until::Changes(n) => seq >= n,
    };
    // Publishers in a scattered order, so that the changes in flight reach different followers.
    let publisher =
        |seq: u64| graph.publishers[(seq as usize).wrapping_mul(7919) % graph.publishers.len()];
    while !done(seq) {
        match (pace, window) {
            (Pace::Window(_), Some(window)) => {
                let permits = u32::try_from(graph.fanout).unwrap_or(u32::MAX);
                // Undelivered notifications never come back: stop instead of waiting forever.
                match tokio::time::timeout(Duration::from_secs(5), window.acquire_many(permits))
                    .await
                {
                    Ok(Ok(p)) => p.forget(),
                    _ => break,
                }
                let _ = publish[publisher(seq)].send((seq, now_ns()));
                per_user[publisher(seq)] += 1;
                seq += 1;
            }
            (Pace::Rate(per_s), _) => {
                // This thread sleeps to each change's time (tokio's timers tick in whole
                // milliseconds); the runtime's other workers carry on meanwhile.
                return tokio::task::block_in_place(|| {
                    let base = now_ns();
                    while !done(seq) {
                        let at = base + (seq as f64 * 1e9 / per_s) as u64;
                        let wait = at.saturating_sub(now_ns());
                        if wait > 0 {
                            std::thread::sleep(Duration::from_nanos(wait));
                        }
                        let _ = publish[publisher(seq)].send((seq, at));
                        per_user[publisher(seq)] += 1;
                        seq += 1;
                    }
                    per_user
                });
            }
            (Pace::Window(_), None) => break,
        }
    }
    per_user
}

/// One session of the run: sends its publisher's changes, records deliveries.
struct Driver {
    target: Target,
    me: String,
    cmds: mpsc::UnboundedReceiver<(u64, u64)>,
    progress: Arc<Progress>,
    window: Option<Arc<Semaphore>>,
    stop: watch::Receiver<bool>,
    /// Whether and when this session stops reading: the schedule and its first pause's offset.
    pauses: Option<(Stall, Duration)>,
    /// When the run started (arrival times are relative to it).
    start_ns: u64,
}

impl Driver {
    async fn run(mut self, mut ws: Ws) -> Seen {
        let mut seen = Seen {
            samples: Vec::new(),
            closed: false,
            last_nth: HashMap::new(),
        };
        let mut published = 0u64;
        let mut receipts = Vec::new();
        let far = Duration::from_secs(86_400 * 365);
        let (every, pause, offset) = match self.pauses {
            Some((s, offset)) => (s.every, s.pause, offset),
            None => (far, far, far),
        };
        let next_pause = tokio::time::sleep(offset);
        tokio::pin!(next_pause);
        let resume = tokio::time::sleep(far);
        tokio::pin!(resume);
        let mut reading = true;
        loop {
            tokio::select! {
                _ = self.stop.changed() => return seen,
                () = &mut next_pause => {
                    reading = false;
                    let now = tokio::time::Instant::now();
                    resume.as_mut().reset(now + pause);
                    next_pause.as_mut().reset(now + every);
                }
                () = &mut resume, if !reading => {
                    reading = true;
                    resume.as_mut().reset(tokio::time::Instant::now() + far);
                }
                Some((seq, sent)) = self.cmds.recv() => {
                    published += 1;
                    let frame = client::publish_frame(self.target, &self.me, seq, sent, published);
                    if ws.send(Message::text(frame)).await.is_err() {
                        seen.closed = true;
                        return seen;
                    }
                }
                msg = ws.next(), if reading => match msg {
                    Some(Ok(Message::Text(text))) => {
                        client::receipts(&text, &self.me, &mut receipts);
                        if receipts.is_empty() {
                            continue;
                        }
                        let now = now_ns();
                        let mut accounted = 0;
                        for r in receipts.drain(..) {
                            let last = seen.last_nth.entry(r.from).or_insert(0);
                            accounted += r.nth.saturating_sub(*last);
                            *last = (*last).max(r.nth);
                            seen.samples.push(Sample {
                                seq: r.seq as u32,
                                us: (now.saturating_sub(r.sent_ns) / 1000) as u32,
                                at_ms: (now.saturating_sub(self.start_ns) / 1_000_000) as u32,
                            });
                        }
                        self.progress.last_ns.fetch_max(now, Ordering::AcqRel);
                        self.progress.accounted.fetch_add(accounted, Ordering::AcqRel);
                        self.progress.arrived.notify_one();
                        if let Some(w) = &self.window {
                            w.add_permits(accounted as usize);
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => {
                        seen.closed = true;
                        return seen;
                    }
                },
            }
        }
    }
}

/// A latency curve as JSON: one point per paced run at `offered` changes/s, for our server and
/// for the baseline broadcast server at the same rate.
pub fn curve_json(
    id: &str,
    name: &str,
    graph: &Graph,
    reference: serde_json::Value,
    points: &[(f64, Outcome, Outcome)],
) -> serde_json::Value {
    let point = |offered: f64, out: &Outcome| {
        serde_json::json!({
            "offered_changes_per_s": offered,
            "offered_notifications_per_s": offered * graph.fanout as f64,
            "delivered_per_s": out.rate,
            "p50_ms": out.latency.p50_us / 1e3,
            "p99_ms": out.latency.p99_us / 1e3,
            "max_ms": out.latency.max_us / 1e3,
            "lost": out.lost,
            "coalesced": out.coalesced,
            "closed_sessions": out.closed_sessions,
            "server_cpu_s": out.server.cpu_s,
        })
    };
    let ours: Vec<_> = points.iter().map(|(r, out, _)| point(*r, out)).collect();
    let baseline: Vec<_> = points.iter().map(|(r, _, b)| point(*r, b)).collect();
    serde_json::json!({
        "id": id,
        "name": name,
        "users": graph.users,
        "subscribers": graph.fanout,
        "reference": reference,
        "points": ours,
        "baseline_points": baseline,
    })
}

/// A run's timeline as JSON (the stall test's picture).
pub fn timeline_json(id: &str, name: &str, out: &Outcome, stall: &Stall) -> serde_json::Value {
    let lat = |l: &Latency| {
        serde_json::json!({
            "count": l.count, "p50_ms": l.p50_us / 1e3, "p99_ms": l.p99_us / 1e3,
            "max_ms": l.max_us / 1e3,
        })
    };
    let buckets: Vec<serde_json::Value> = out
        .timeline
        .iter()
        .enumerate()
        .map(|(i, b)| {
            serde_json::json!({
                "t_s": (i as u32 * BUCKET_MS) as f64 / 1e3,
                "others": lat(&b.others),
                "paused": lat(&b.paused),
            })
        })
        .collect();
    serde_json::json!({
        "id": id,
        "name": name,
        "bucket_ms": BUCKET_MS,
        "paused_sessions": stall.sessions,
        "pause_ms": stall.pause.as_millis() as u64,
        "every_ms": stall.every.as_millis() as u64,
        "closed_sessions": out.closed_sessions,
        "stale": out.stale,
        "buckets": buckets,
    })
}
