//! Measures the server's resident memory per idle logged-in session, then the fan-out of one status
//! change to every other session.
//!
//!     cargo build --release -p imsdk-server --bin imsdk-server --example idle_rss
//!     target/release/examples/idle_rss [SESSIONS=5000]
//!
//! Starts `target/release/imsdk-server` with SESSIONS imported accounts, logs one WebSocket session
//! in for each, and prints the server's RSS growth divided by SESSIONS (Linux: reads /proc). Then
//! every session but the first subscribes to the first, the first sets its custom status, and the
//! time until the last subscriber has the push is printed (clients and server share the machine).

use futures_util::{SinkExt, StreamExt};
use imsdk_protocol::{encode, ClientFrame};
use imsdk_testkit::dev;
use imsdk_testkit::process::ServerCommand;
use tokio_tungstenite::tungstenite::Message;

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .unwrap_or("VmRSS: 0 kB");
    line.split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5000)
        .max(2);
    let exe = std::env::current_exe().expect("exe");
    let bin = exe
        .parent()
        .and_then(|p| p.parent())
        .expect("target dir")
        .join("imsdk-server");
    let accounts: Vec<String> = (0..n).map(|i| format!("u{i}")).collect();
    let mut server = ServerCommand::new(&bin)
        .config_toml(&dev::app_toml(&accounts, true, ""))
        .args(["--listen", "127.0.0.1:0"])
        .spawn();
    let addr = server.addr.to_string();
    let pid = server.pid();
    let before = rss_kib(pid);

    let mut sessions = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let logins = chunk.iter().map(|&i| {
            let addr = addr.clone();
            async move {
                let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
                    .await
                    .expect("connect");
                let user = format!("u{i}");
                let login = dev::login_frame(1, &user, "Linux", &format!("i{i}"));
                ws.send(Message::text(encode(&login)))
                    .await
                    .expect("send login");
                let reply = ws.next().await.expect("reply").expect("reply frame");
                assert!(
                    reply.to_text().unwrap_or_default().contains("\"code\":0"),
                    "login failed: {reply:?}"
                );
                ws
            }
        });
        sessions.extend(futures_util::future::join_all(logins).await);
    }
    // Let the server settle (allocator, pushes of own ONLINE status already written).
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let after = rss_kib(pid);
    println!(
        "{n} idle sessions: server RSS {before} KiB -> {after} KiB, {:.1} KiB per session",
        (after.saturating_sub(before)) as f64 / n as f64
    );

    // Fan-out: everyone subscribes to u0, then u0 changes once.
    let mut sessions = sessions.into_iter();
    let mut star = sessions.next().expect("n >= 2");
    let subscribe = encode(&ClientFrame::SubscribeUserStatus {
        id: 2,
        user_ids: vec!["u0".into()],
    });
    let followers: Vec<_> = sessions.collect();
    let subscribed = std::sync::Arc::new(tokio::sync::Barrier::new(followers.len() + 1));
    let mut waiting = Vec::new();
    for mut ws in followers {
        let subscribe = subscribe.clone();
        let subscribed = std::sync::Arc::clone(&subscribed);
        waiting.push(tokio::spawn(async move {
            ws.send(Message::text(subscribe)).await.expect("subscribe");
            let mut replied = false;
            loop {
                let msg = ws.next().await.expect("frame").expect("frame");
                let text = msg.to_text().unwrap_or_default();
                if !replied && text.contains("\"op\":\"reply\"") && text.contains("\"id\":2,") {
                    assert!(text.contains("\"code\":0"), "subscribe failed: {text}");
                    replied = true;
                    subscribed.wait().await;
                } else if text.contains("\"op\":\"status_changed\"") && text.contains("\"go\"") {
                    return std::time::Instant::now();
                }
            }
        }));
    }
    subscribed.wait().await;
    let start = std::time::Instant::now();
    let set = ClientFrame::SetSelfStatus {
        id: 3,
        custom_status: Some("go".into()),
    };
    star.send(Message::text(encode(&set))).await.expect("set");
    let mut last = start;
    for w in waiting {
        last = last.max(w.await.expect("follower"));
    }
    println!(
        "one change to {} subscribers: last push received after {:?}",
        n - 1,
        last - start
    );
    drop(star);
    server.kill();
}
