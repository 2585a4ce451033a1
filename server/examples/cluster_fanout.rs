//! Cluster fan-out: one account with SUBS subscribers changes its custom status CHANGES times, on
//! 1 node in memory, 1 node on Redis, and 2 nodes on Redis (subscribers split between them).
//! Prints the time until the last subscriber has each change, and the Redis commands per change.
//!
//!     cargo build --release -p imsdk-server --bin imsdk-server --example cluster_fanout
//!     target/release/examples/cluster_fanout [SUBS=2000] [CHANGES=20]
//!
//! Needs redis-server (started on a free port). Clients, nodes and Redis share the machine.

use futures_util::{SinkExt, StreamExt};
use imsdk_protocol::{encode, ClientFrame, ServerFrame};
use imsdk_testkit::process::{ServerCommand, ServerProcess};
use imsdk_testkit::{dev, redis};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn start_node(subs: usize, redis: Option<(&str, &str)>) -> ServerProcess {
    let bin = std::env::current_exe()
        .ok()
        .and_then(|e| Some(e.parent()?.parent()?.join("imsdk-server")))
        .expect("target dir");
    let mut accounts = vec!["star".to_owned()];
    accounts.extend((0..subs).map(|i| format!("s{i}")));
    let server = match redis {
        Some((url, prefix)) => {
            format!("[server]\nredis = \"{url}\"\nredis_prefix = \"{prefix}\"\n")
        }
        None => String::new(),
    };
    let app = dev::app_toml(&accounts, false, "");
    ServerCommand::new(bin)
        .config_toml(&format!("{server}{app}"))
        .args(["--listen", "127.0.0.1:0"])
        .spawn()
}

/// Sends a request and waits for its reply (ignoring pushes); panics unless it succeeds.
async fn call(ws: &mut Ws, frame: ClientFrame) {
    let id = frame.id();
    ws.send(Message::text(encode(&frame))).await.expect("send");
    loop {
        let msg = ws.next().await.expect("open").expect("frame");
        if let Ok(ServerFrame::Reply {
            id: got,
            code,
            desc,
            ..
        }) = serde_json::from_str(msg.to_text().unwrap_or_default())
        {
            assert!(got == id && code == 0, "request {id} failed: {code} {desc}");
            return;
        }
    }
}

async fn login(addr: &str, user: &str) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .expect("connect");
    call(&mut ws, dev::login_frame(1, user, "Linux", user)).await;
    ws
}

/// Logs the subscribers in (round-robin over `addrs`), subscribes them to `star`, and returns a
/// channel that gets the change number each time one of them receives change `c<k>`.
async fn followers(addrs: &[String], subs: usize) -> mpsc::UnboundedReceiver<usize> {
    let (tx, rx) = mpsc::unbounded_channel();
    for chunk in (0..subs).collect::<Vec<_>>().chunks(200) {
        let logins = chunk.iter().map(|&i| {
            let addr = addrs[i % addrs.len()].clone();
            let tx = tx.clone();
            async move {
                let mut ws = login(&addr, &format!("s{i}")).await;
                let user_ids = vec!["star".to_owned()];
                call(
                    &mut ws,
                    ClientFrame::SubscribeUserStatus { id: 2, user_ids },
                )
                .await;
                tokio::spawn(async move {
                    while let Some(Ok(msg)) = ws.next().await {
                        let text = msg.to_text().unwrap_or_default();
                        if let Ok(ServerFrame::StatusChanged { statuses }) =
                            serde_json::from_str(text)
                        {
                            let k = statuses[0].user_status_custom_status.strip_prefix('c');
                            if let Some(k) = k.and_then(|k| k.parse().ok()) {
                                let _ = tx.send(k);
                            }
                        }
                    }
                });
            }
        });
        futures_util::future::join_all(logins).await;
    }
    rx
}

/// Redis commands per operation: the growth of each counter between two snapshots, over `ops`.
type Cost = Vec<(String, f64)>;

fn cost(before: &[(String, u64)], after: Vec<(String, u64)>, ops: usize) -> Cost {
    after
        .into_iter()
        .filter_map(|(name, calls)| {
            let was = before
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(0, |(_, c)| *c);
            (calls > was).then(|| (name, (calls - was) as f64 / ops as f64))
        })
        .collect()
}

/// Runs the scenario; returns per-change times to the last subscriber (sorted) and, with
/// `redis`, the Redis commands per subscriber (login + subscribe) and per change.
async fn scenario(
    addrs: &[String],
    subs: usize,
    changes: usize,
    redis: Option<&redis::Redis>,
) -> (Vec<Duration>, Cost, Cost) {
    let snapshot = || redis.map(|r| r.command_calls()).unwrap_or_default();
    let start = snapshot();
    let mut rx = followers(addrs, subs).await;
    let per_subscriber = cost(&start, snapshot(), subs);
    let mut star = login(&addrs[0], "star").await;
    let before = snapshot();
    let mut times = Vec::new();
    for k in 1..=changes {
        let start = Instant::now();
        let custom_status = Some(format!("c{k}"));
        call(
            &mut star,
            ClientFrame::SetSelfStatus {
                id: 10 + k as u64,
                custom_status,
            },
        )
        .await;
        let mut got = 0;
        while got < subs {
            let heard = tokio::time::timeout(Duration::from_secs(30), rx.recv())
                .await
                .expect("every subscriber hears the change")
                .expect("readers alive");
            got += usize::from(heard == k);
        }
        times.push(start.elapsed());
    }
    let per_change = cost(&before, snapshot(), changes);
    times.sort();
    (times, per_subscriber, per_change)
}

fn report(label: &str, subs: usize, times: &[Duration]) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<28} {subs} subscribers, {} changes: median {:.1} ms, max {:.1} ms to the last subscriber",
        times.len(),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    );
}

#[tokio::main]
async fn main() {
    let arg = |i: usize, default: usize| {
        std::env::args()
            .nth(i)
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
            .max(1)
    };
    let (subs, changes) = (arg(1, 2000), arg(2, 20));
    let redis = redis::Redis::start();
    let url = redis.url();

    let node = start_node(subs, None);
    let (times, _, _) = scenario(&[node.addr.to_string()], subs, changes, None).await;
    report("1 node, in memory:", subs, &times);
    drop(node);

    let node = start_node(subs, Some((&url, "one:")));
    let (times, setup, change) =
        scenario(&[node.addr.to_string()], subs, changes, Some(&redis)).await;
    report("1 node, Redis:", subs, &times);
    print_cost("per change", &change);
    print_cost("per subscriber (login + subscribe)", &setup);
    drop(node);

    let nodes = [
        start_node(subs, Some((&url, "two:"))),
        start_node(subs, Some((&url, "two:"))),
    ];
    let addrs: Vec<String> = nodes.iter().map(|n| n.addr.to_string()).collect();
    let (times, _, change) = scenario(&addrs, subs, changes, Some(&redis)).await;
    report("2 nodes, Redis (split):", subs, &times);
    print_cost("per change", &change);
}

/// Redis commands per operation (lease renewals and sweeps of the nodes included: a few per second).
fn print_cost(what: &str, cost: &[(String, f64)]) {
    let total: f64 = cost.iter().map(|c| c.1).sum();
    let parts: Vec<String> = cost.iter().map(|(n, c)| format!("{n} {c:.1}")).collect();
    println!("  Redis commands {what}: {total:.1} ({})", parts.join(", "));
}
