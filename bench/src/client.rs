//! The load generator's side of a session: connect (spread over 127.0.0.x source addresses), log
//! in and follow others on either server, publish a stamped custom status, and recognise a
//! delivery of someone else's stamped status.

use futures_util::{SinkExt, StreamExt};
use imsdk_protocol::{encode, ClientFrame, ServerFrame, UserStatus, UserStatusType};
use imsdk_testkit::dev::login_frame_signed;
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
    let instance = format!("bench-{i}");
    let frame = login_frame_signed(1, &crate::proc::user(i), user_sig, "Linux", &instance);
    request(ws, &frame).await
}

/// Subscribes to `follows`, 100 ids per request (the protocol's cap).
async fn subscribe(ws: &mut Ws, follows: &[usize]) -> Result<(), String> {
    for (n, chunk) in follows
        .chunks(imsdk_protocol::SUBSCRIBE_MAX_IDS)
        .enumerate()
    {
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

/// The frame with which user `me` publishes change `seq` (its own `nth`, from 1), stamped with
/// `sent_ns`.
pub fn publish_frame(target: Target, me: &str, seq: u64, sent_ns: u64, nth: u64) -> String {
    let stamp = format!("{seq}:{sent_ns}:{nth}");
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

/// One stamped status change of someone else, as delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    /// The publisher's user number.
    pub from: usize,
    pub seq: u64,
    pub sent_ns: u64,
    /// The publisher's own change number: the ones between the previous receipt from it and this
    /// one were superseded (coalesced by the server), not lost.
    pub nth: u64,
}

/// The stamped status changes of users other than `me` in a frame (a coalesced push carries
/// several); nothing for anything else (replies, own changes, login notifications). A substring
/// scan: the load generator shares the machine with the server and must stay cheap.
pub fn receipts(text: &str, me: &str, out: &mut Vec<Receipt>) {
    if !text.starts_with(r#"{"op":"status_changed""#) {
        return;
    }
    let mut rest = text;
    while let Some((who, after)) = field(rest, r#""user_status_identifier":""#) {
        let Some((custom, after)) = field(after, r#""user_status_custom_status":""#) else {
            return;
        };
        rest = after;
        if who == me {
            continue;
        }
        let mut parts = custom.split(':').map(str::parse::<u64>);
        let from = who.strip_prefix('u').and_then(|n| n.parse().ok());
        if let (Some(from), Some(Ok(seq)), Some(Ok(sent_ns)), Some(Ok(nth))) =
            (from, parts.next(), parts.next(), parts.next())
        {
            out.push(Receipt {
                from,
                seq,
                sent_ns,
                nth,
            });
        }
    }
}

/// The value of `key` (a JSON string) and the text after it.
fn field<'a>(text: &'a str, key: &str) -> Option<(&'a str, &'a str)> {
    let start = text.find(key)? + key.len();
    let len = text[start..].find('"')?;
    Some((&text[start..start + len], &text[start + len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str, me: &str) -> Vec<Receipt> {
        let mut out = Vec::new();
        receipts(text, me, &mut out);
        out
    }

    #[test]
    fn receipts_of_both_targets() {
        let r = Receipt {
            from: 1,
            seq: 42,
            sent_ns: 777,
            nth: 3,
        };
        // What a subscriber receives: from imsdk-server, its own push of the stamped status (the
        // publisher sent a set_self_status); from the baseline, the published frame verbatim.
        // (An older version of this test built the baseline's frame for both targets.)
        let ours = encode(&ServerFrame::StatusChanged {
            statuses: vec![UserStatus {
                user_status_identifier: "u1".into(),
                user_status_status_type: UserStatusType::Online,
                user_status_custom_status: "42:777:3".into(),
                user_status_online_devices: vec!["Linux".into()],
            }],
        });
        let baseline = publish_frame(Target::Baseline, "u1", 42, 777, 3);
        // The baseline relays exactly what imsdk-server pushes, so both cost the same to read.
        assert_eq!(ours, baseline);
        for (target, pushed) in [(Target::Ours, ours), (Target::Baseline, baseline)] {
            assert_eq!(one(&pushed, "u2"), [r], "{target:?}");
            assert_eq!(one(&pushed, "u1"), [], "own change, {target:?}");
        }
        let set = publish_frame(Target::Ours, "u1", 3, 9, 1);
        assert!(set.contains(r#""custom_status":"3:9:1""#), "{set}");
        assert_eq!(one(&set, "u2"), [], "a request is no delivery");
        assert_eq!(
            one(
                r#"{"op":"status_changed","statuses":[{"user_status_identifier":"u1","user_status_custom_status":""}]}"#,
                "u2"
            ),
            []
        );
    }

    #[test]
    fn every_status_of_a_coalesced_push() {
        let text = r#"{"op":"status_changed","statuses":[{"user_status_identifier":"u1","user_status_status_type":1,"user_status_custom_status":"5:50:2","user_status_online_devices":["Linux"]},{"user_status_identifier":"u2","user_status_status_type":1,"user_status_custom_status":"6:60:1","user_status_online_devices":[]},{"user_status_identifier":"u3","user_status_status_type":1,"user_status_custom_status":"7:70:4","user_status_online_devices":[]}]}"#;
        let got = one(text, "u2");
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].from, got[0].nth), (1, 2));
        assert_eq!((got[1].from, got[1].seq, got[1].sent_ns), (3, 7, 70));
    }
}
