//! The load generator's side of a session: connect (spread over 127.0.0.x source addresses), log
//! in and follow others on either server, publish a stamped custom status, and recognise a
//! delivery of someone else's stamped status.

use futures_util::{SinkExt, StreamExt};
use imsdk_protocol::{encode, ClientFrame, ServerFrame, UserStatus, UserStatusType};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

pub type Ws = WebSocketStream<TcpStream>;

/// Which server the sessions talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// imsdk-server: login, subscribe_user_status, set_self_status.
    Ours,
    /// The minimal broadcast server (`baseline`): one join line, then frames relayed verbatim.
    Baseline,
}

/// Client sockets per source address: the ephemeral port range (32768-60999) holds ~28k per
/// address, so larger runs spread over 127.0.0.1, 127.0.0.2, ...
const PER_SOURCE: usize = 10_000;
/// How long any single handshake step may take.
const STEP: Duration = Duration::from_secs(30);

/// Nanoseconds since the first call: the clock stamped into statuses (sender and receiver are
/// this one process).
pub fn now_ns() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// Opens the WebSocket of session `i` from source address 127.0.0.(1 + i / PER_SOURCE).
pub async fn connect(server: SocketAddr, i: usize) -> Result<Ws, String> {
    let last = u8::try_from(1 + i / PER_SOURCE).map_err(|_| "too many sessions")?;
    let socket = TcpSocket::new_v4().map_err(|e| format!("socket: {e}"))?;
    defer_port_choice(&socket);
    socket
        .bind(SocketAddr::from((Ipv4Addr::new(127, 0, 0, last), 0)))
        .map_err(|e| format!("bind 127.0.0.{last}: {e}"))?;
    // Small buffers: the load generator holds tens of thousands of sessions on the same machine.
    let _ = socket.set_recv_buffer_size(16 * 1024);
    let _ = socket.set_send_buffer_size(16 * 1024);
    let tcp = socket
        .connect(server)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (ws, _) =
        tokio_tungstenite::client_async_with_config(format!("ws://{server}/ws"), tcp, Some(config))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
    Ok(ws)
}

/// IP_BIND_ADDRESS_NO_PORT: the port is chosen at connect time, knowing the destination, so
/// ports still in TIME_WAIT from an earlier run (another server port) can be used again.
fn defer_port_choice(socket: &TcpSocket) {
    use std::os::fd::AsRawFd;
    let on: libc::c_int = 1;
    // SAFETY: a valid socket descriptor and a c_int option value of the size passed.
    unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

/// Connects session `i` as user u{i} and makes it follow `follows` (user numbers).
pub async fn join(
    target: Target,
    server: SocketAddr,
    i: usize,
    user_sig: &str,
    follows: &[usize],
) -> Result<Ws, String> {
    let mut ws = connect(server, i).await?;
    match target {
        Target::Ours => {
            login(&mut ws, i, user_sig).await?;
            subscribe(&mut ws, follows).await?;
        }
        Target::Baseline => {
            let list: Vec<String> = follows.iter().map(|&f| crate::proc::user(f)).collect();
            let join = format!("join {} {}", crate::proc::user(i), list.join(","));
            send(&mut ws, join).await?;
            let ok = next_text(&mut ws).await?;
            if ok != "ok" {
                return Err(format!("baseline join answered {ok:?}"));
            }
        }
    }
    Ok(ws)
}

/// Logs session `i` in as u{i}.
pub async fn login(ws: &mut Ws, i: usize, user_sig: &str) -> Result<(), String> {
    let frame = ClientFrame::Login {
        id: 1,
        version: imsdk_protocol::PROTOCOL_VERSION,
        sdk_app_id: crate::proc::APP,
        user_id: crate::proc::user(i),
        user_sig: user_sig.to_owned(),
        platform: "Linux".into(),
        instance_id: format!("bench-{i}"),
    };
    request(ws, &frame).await
}

/// Subscribes to `follows`, 100 ids per request (the protocol's cap).
async fn subscribe(ws: &mut Ws, follows: &[usize]) -> Result<(), String> {
    for (n, chunk) in follows.chunks(100).enumerate() {
        let frame = ClientFrame::SubscribeUserStatus {
            id: 2 + n as u64,
            user_ids: chunk.iter().map(|&f| crate::proc::user(f)).collect(),
        };
        request(ws, &frame).await?;
    }
    Ok(())
}

/// Sends a request and waits for its reply (pushes in between are skipped); Err unless code 0.
pub async fn request(ws: &mut Ws, frame: &ClientFrame) -> Result<(), String> {
    send(ws, encode(frame)).await?;
    loop {
        let text = next_text(ws).await?;
        if let Ok(ServerFrame::Reply { id, code, desc, .. }) = serde_json::from_str(&text) {
            if id == frame.id() {
                return match code {
                    0 => Ok(()),
                    _ => Err(format!("request {} failed: {code} {desc}", frame.id())),
                };
            }
        }
    }
}

async fn send(ws: &mut Ws, text: String) -> Result<(), String> {
    ws.send(Message::text(text))
        .await
        .map_err(|e| format!("send: {e}"))
}

async fn next_text(ws: &mut Ws) -> Result<String, String> {
    loop {
        let msg = tokio::time::timeout(STEP, ws.next())
            .await
            .map_err(|_| "no answer within 30 s".to_owned())?;
        match msg {
            Some(Ok(Message::Text(text))) => return Ok(text.as_str().to_owned()),
            Some(Ok(Message::Close(c))) => return Err(format!("closed: {c:?}")),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(format!("read: {e}")),
            None => return Err("connection ended".into()),
        }
    }
}

/// The frame with which user `me` publishes change `seq`, stamped with `sent_ns`.
pub fn publish_frame(target: Target, me: &str, seq: u64, sent_ns: u64) -> String {
    let stamp = format!("{seq}:{sent_ns}");
    match target {
        Target::Ours => encode(&ClientFrame::SetSelfStatus {
            id: seq,
            custom_status: Some(stamp),
        }),
        // What imsdk-server would push for the same change, relayed as is.
        Target::Baseline => encode(&ServerFrame::StatusChanged {
            statuses: vec![UserStatus {
                user_status_identifier: me.to_owned(),
                user_status_status_type: UserStatusType::Online,
                user_status_custom_status: stamp,
                user_status_online_devices: vec!["Linux".into()],
            }],
        }),
    }
}

/// (seq, sent_ns) of a stamped status change of someone other than `me`; None for anything else
/// (replies, own changes, login notifications). A substring scan: the load generator shares the
/// machine with the server and must stay cheap.
pub fn receipt(text: &str, me: &str) -> Option<(u64, u64)> {
    if !text.starts_with(r#"{"op":"status_changed""#) {
        return None;
    }
    let who = field(text, r#""user_status_identifier":""#)?;
    if who == me {
        return None;
    }
    let (seq, sent) = field(text, r#""user_status_custom_status":""#)?.split_once(':')?;
    Some((seq.parse().ok()?, sent.parse().ok()?))
}

fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let start = text.find(key)? + key.len();
    let len = text[start..].find('"')?;
    Some(&text[start..start + len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_of_both_targets() {
        // What a subscriber receives: from imsdk-server, its own push of the stamped status (the
        // publisher sent a set_self_status); from the baseline, the published frame verbatim.
        // (This loop used to build the baseline's frame for both targets.)
        let ours = encode(&ServerFrame::StatusChanged {
            statuses: vec![UserStatus {
                user_status_identifier: "u1".into(),
                user_status_status_type: UserStatusType::Online,
                user_status_custom_status: "42:777".into(),
                user_status_online_devices: vec!["Linux".into()],
            }],
        });
        let baseline = publish_frame(Target::Baseline, "u1", 42, 777);
        // The baseline relays exactly what imsdk-server pushes, so both cost the same to read.
        assert_eq!(ours, baseline);
        for (target, pushed) in [(Target::Ours, ours), (Target::Baseline, baseline)] {
            assert_eq!(receipt(&pushed, "u2"), Some((42, 777)), "{target:?}");
            assert_eq!(receipt(&pushed, "u1"), None, "own change, {target:?}");
        }
        let set = publish_frame(Target::Ours, "u1", 3, 9);
        assert!(set.contains(r#""custom_status":"3:9""#), "{set}");
        assert_eq!(receipt(&set, "u2"), None, "a request is no delivery");
        assert_eq!(
            receipt(
                r#"{"op":"status_changed","statuses":[{"user_status_identifier":"u1","user_status_custom_status":""}]}"#,
                "u2"
            ),
            None
        );
    }
}
