//! Fan-out: users online, each publisher followed by the same number of others; publishers change
//! their custom status either as fast as a window of undelivered notifications allows (the
//! maximum throughput) or at a fixed total rate; every receiver records send→receive latency.

use crate::client::{self, now_ns, Target, Ws};
use crate::proc::{user, ServerProc, Usage, APP, KEY};
use crate::stats::Latency;
use futures_util::{SinkExt, StreamExt};
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

/// What one run measured.
pub struct Outcome {
    /// Deliveries per second, from the first publish to the last receipt.
    pub rate: f64,
    pub latency: Latency,
    /// Per change: the time until its last follower had it.
    pub all_delivered: Latency,
    pub expected: u64,
    pub lost: u64,
    pub closed_sessions: usize,
    /// Server CPU seconds spent during the run, and its RSS at the end.
    pub server: Usage,
}

impl Outcome {
    pub fn losses(&self) -> String {
        format!(
            "{} lost of {}, {} sessions closed",
            self.lost, self.expected, self.closed_sessions
        )
    }
}

#[derive(Default)]
struct Progress {
    delivered: AtomicU64,
    last_ns: AtomicU64,
    arrived: Notify,
}

/// Starts the server, joins every user, publishes, drains, and measures.
pub async fn run(
    target: Target,
    graph: &Graph,
    pace: Pace,
    until: Until,
) -> Result<Outcome, String> {
    let server = match target {
        Target::Ours => ServerProc::ours(graph.users, 64)?,
        Target::Baseline => ServerProc::baseline()?,
    };
    let sessions = join_all(target, &server, graph).await?;
    let progress = Arc::new(Progress::default());
    let window = match pace {
        Pace::Window(w) => Some(Arc::new(Semaphore::new(w.max(graph.fanout)))),
        Pace::Rate(_) => None,
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut publish = Vec::with_capacity(sessions.len());
    let mut drivers = Vec::with_capacity(sessions.len());
    for (i, ws) in sessions.into_iter().enumerate() {
        let (tx, rx) = mpsc::unbounded_channel();
        publish.push(tx);
        let driver = Driver {
            target,
            me: user(i),
            cmds: rx,
            progress: Arc::clone(&progress),
            window: window.clone(),
            stop: stop_rx.clone(),
        };
        drivers.push(tokio::spawn(driver.run(ws)));
    }
    let before = server.usage();
    let start_ns = now_ns();
    let changes = pace_changes(graph, pace, until, &publish, window.as_deref()).await;
    let expected = changes * graph.fanout as u64;
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while progress.delivered.load(Ordering::Acquire) < expected {
            let arrived = progress.arrived.notified();
            if progress.delivered.load(Ordering::Acquire) >= expected {
                break;
            }
            arrived.await;
        }
    })
    .await;
    let after = server.usage();
    let _ = stop_tx.send(true);
    let mut samples = Vec::new();
    let mut closed_sessions = 0;
    for d in drivers {
        let (got, closed) = d.await.map_err(|e| e.to_string())?;
        samples.extend(got);
        closed_sessions += usize::from(closed);
    }
    let delivered = samples.len() as u64;
    let span_s = (progress
        .last_ns
        .load(Ordering::Acquire)
        .saturating_sub(start_ns)) as f64
        / 1e9;
    let mut per_change = vec![0u64; changes as usize];
    for &(seq, us) in &samples {
        if let Some(m) = per_change.get_mut(seq as usize) {
            *m = (*m).max(u64::from(us));
        }
    }
    let mut lat: Vec<u64> = samples.iter().map(|&(_, us)| u64::from(us)).collect();
    Ok(Outcome {
        rate: if span_s > 0.0 {
            delivered as f64 / span_s
        } else {
            0.0
        },
        latency: Latency::of(&mut lat),
        all_delivered: Latency::of(&mut per_change),
        expected,
        lost: expected.saturating_sub(delivered),
        closed_sessions,
        server: Usage {
            rss_kib: after.rss_kib,
            cpu_s: after.cpu_s - before.cpu_s,
        },
    })
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

/// Issues changes until `until`; returns how many were issued.
async fn pace_changes(
    graph: &Graph,
    pace: Pace,
    until: Until,
    publish: &[mpsc::UnboundedSender<(u64, u64)>],
    window: Option<&Semaphore>,
) -> u64 {
    let start = Instant::now();
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
                        seq += 1;
                    }
                    seq
                });
            }
            (Pace::Window(_), None) => break,
        }
    }
    seq
}

/// One session of the run: sends its publisher's changes, records deliveries.
struct Driver {
    target: Target,
    me: String,
    cmds: mpsc::UnboundedReceiver<(u64, u64)>,
    progress: Arc<Progress>,
    window: Option<Arc<Semaphore>>,
    stop: watch::Receiver<bool>,
}

impl Driver {
    /// Returns (seq, latency µs) per delivery and whether the connection closed early.
    async fn run(mut self, mut ws: Ws) -> (Vec<(u32, u32)>, bool) {
        let mut got = Vec::new();
        loop {
            tokio::select! {
                _ = self.stop.changed() => return (got, false),
                Some((seq, sent)) = self.cmds.recv() => {
                    let frame = client::publish_frame(self.target, &self.me, seq, sent);
                    if ws.send(Message::text(frame)).await.is_err() {
                        return (got, true);
                    }
                }
                msg = ws.next() => match msg {
                    Some(Ok(Message::Text(text))) => {
                        if let Some((seq, sent)) = client::receipt(&text, &self.me) {
                            let now = now_ns();
                            got.push((seq as u32, (now.saturating_sub(sent) / 1000) as u32));
                            self.progress.last_ns.fetch_max(now, Ordering::AcqRel);
                            self.progress.delivered.fetch_add(1, Ordering::AcqRel);
                            self.progress.arrived.notify_one();
                            if let Some(w) = &self.window {
                                w.add_permits(1);
                            }
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => return (got, true),
                },
            }
        }
    }
}
