//! The practical limit: a minimal WebSocket broadcast server on imsdk-server's stack (axum, tokio,
//! tungstenite) with no presence logic. A client joins with `join <me> <a>,<b>,...` (answered
//! `ok`); every text frame it sends afterwards is relayed verbatim to the clients that follow it,
//! through the same kind of bounded per-connection queue (64 frames, `try_send`).

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, RwLock};
use tokio::sync::mpsc;

const QUEUE: usize = 64;

/// Followers of each user.
#[derive(Default)]
struct Hub {
    followers: RwLock<HashMap<String, Vec<mpsc::Sender<Utf8Bytes>>>>,
}

/// `imsdk-bench baseline-server --listen ADDR`: serves until killed.
pub fn run(listen: &str) -> Result<(), String> {
    let listen: std::net::SocketAddr = listen.parse().map_err(|_| "bad --listen address")?;
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| format!("bind {listen}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        println!("baseline listening on {addr}");
        let _ = std::io::stdout().flush();
        let app = Router::new()
            .route("/ws", get(upgrade))
            .with_state(Arc::new(Hub::default()));
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, app).await.map_err(|e| e.to_string())
    })
}

async fn upgrade(State(hub): State<Arc<Hub>>, ws: WebSocketUpgrade) -> Response {
    ws.read_buffer_size(1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| serve(socket, hub))
}

async fn serve(mut socket: WebSocket, hub: Arc<Hub>) {
    let Some(Ok(Message::Text(join))) = socket.recv().await else {
        return;
    };
    let mut words = join.as_str().split(' ').skip(1);
    let me = words.next().unwrap_or_default().to_owned();
    let (tx, mut rx) = mpsc::channel(QUEUE);
    {
        let mut followers = hub.followers.write().unwrap_or_else(|e| e.into_inner());
        for followed in words.next().unwrap_or_default().split(',') {
            if !followed.is_empty() {
                followers
                    .entry(followed.to_owned())
                    .or_default()
                    .push(tx.clone());
            }
        }
    }
    if socket.send(Message::text("ok")).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(frame) => if socket.send(Message::Text(frame)).await.is_err() { return },
                None => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(frame))) => relay(&hub, &me, frame),
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

/// Queues the same bytes to every follower of `from`; a full queue drops the frame.
fn relay(hub: &Hub, from: &str, frame: Utf8Bytes) {
    let followers = hub.followers.read().unwrap_or_else(|e| e.into_inner());
    for tx in followers.get(from).into_iter().flatten() {
        let _ = tx.try_send(frame.clone());
    }
}
