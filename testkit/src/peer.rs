//! Blocking raw protocol clients: another user or device next to the library under test.
//! [`Peer`] fails a read after [`PEER_WAIT`] of silence; [`Observer`] heartbeats whenever it has
//! waited `beat` for a frame, so that servers with short heartbeat timeouts keep its session.

use crate::dev::login_frame;
use imsdk_protocol::{encode, ClientFrame, ServerFrame, UserStatus};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// How long a [`Peer`] waits for a frame, and an [`Observer`] for a reply.
pub const PEER_WAIT: Duration = Duration::from_secs(10);

type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

/// Opens `ws://addr/ws` with reads timing out after `read_timeout`.
fn connect(addr: SocketAddr, read_timeout: Duration) -> Socket {
    let (ws, _) = tungstenite::connect(format!("ws://{addr}/ws")).expect("peer connects");
    if let MaybeTlsStream::Plain(s) = ws.get_ref() {
        s.set_read_timeout(Some(read_timeout)).expect("timeout");
    }
    ws
}

fn send(ws: &mut Socket, frame: &ClientFrame) {
    ws.send(Message::text(encode(frame))).expect("peer sends");
}

fn parse(text: &str) -> ServerFrame {
    serde_json::from_str(text).expect("server frame")
}

/// A read that ended because the socket's read timeout passed (nothing arrived).
fn is_read_timeout(e: &tungstenite::Error) -> bool {
    matches!(e, tungstenite::Error::Io(io) if matches!(
        io.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    ))
}

/// A logged-in session whose reads fail after [`PEER_WAIT`].
pub struct Peer {
    ws: Socket,
    next_id: u64,
    /// Pushes read while waiting for replies.
    pub pushes: Vec<ServerFrame>,
}

impl Peer {
    /// Connects and logs `user` in on `platform`; panics unless the login succeeds.
    pub fn login(addr: SocketAddr, user: &str, platform: &str) -> Peer {
        let mut p = Peer {
            ws: connect(addr, PEER_WAIT),
            next_id: 1,
            pushes: Vec::new(),
        };
        let instance = format!("peer-{user}-{platform}");
        let (code, _) = p.request(|id| login_frame(id, user, platform, &instance));
        assert_eq!(code, 0, "peer login {user}");
        p
    }

    /// Sends a request and reads until its reply; pushes read meanwhile are kept.
    pub fn request(
        &mut self,
        frame: impl FnOnce(u64) -> ClientFrame,
    ) -> (i32, Option<serde_json::Value>) {
        let id = self.next_id;
        self.next_id += 1;
        send(&mut self.ws, &frame(id));
        loop {
            match self.next_frame() {
                ServerFrame::Reply {
                    id: rid,
                    code,
                    data,
                    ..
                } if rid == id => return (code, data),
                other => self.pushes.push(other),
            }
        }
    }

    pub fn next_frame(&mut self) -> ServerFrame {
        loop {
            match self.ws.read().expect("peer reads (within the timeout)") {
                Message::Text(t) => return parse(t.as_str()),
                Message::Close(c) => panic!("peer closed: {c:?}"),
                _ => continue,
            }
        }
    }

    /// Reads pushes until one is a status change of `user` to `status_type` (with `custom`, when
    /// given).
    pub fn wait_status(
        &mut self,
        user: &str,
        status_type: u32,
        custom: Option<&str>,
    ) -> UserStatus {
        let matches = |f: &ServerFrame| match f {
            ServerFrame::StatusChanged { statuses } => statuses
                .iter()
                .find(|s| {
                    s.user_status_identifier == user
                        && s.user_status_status_type as u32 == status_type
                        && custom.map_or(true, |c| s.user_status_custom_status == c)
                })
                .cloned(),
            _ => None,
        };
        if let Some(i) = self.pushes.iter().position(|f| matches(f).is_some()) {
            let f = self.pushes.remove(i);
            return matches(&f).expect("matched");
        }
        loop {
            let f = self.next_frame();
            if let Some(s) = matches(&f) {
                return s;
            }
        }
    }

    pub fn set_custom(&mut self, text: &str) {
        let custom_status = Some(text.to_owned());
        assert_eq!(
            self.request(|id| ClientFrame::SetSelfStatus { id, custom_status })
                .0,
            0
        );
    }

    pub fn subscribe(&mut self, ids: &[&str]) {
        let user_ids = ids.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            self.request(|id| ClientFrame::SubscribeUserStatus { id, user_ids })
                .0,
            0
        );
    }
}

/// A logged-in session (platform Linux) that heartbeats whenever it has waited `beat` for a frame.
pub struct Observer {
    ws: Socket,
    next_id: u64,
    /// Every status push received, in order.
    pub statuses: Vec<UserStatus>,
}

impl Observer {
    pub fn login(addr: SocketAddr, user: &str, beat: Duration) -> Observer {
        let mut o = Observer {
            ws: connect(addr, beat),
            next_id: 1,
            statuses: Vec::new(),
        };
        let instance = format!("observer-{user}");
        let code = o.request(|id| login_frame(id, user, "Linux", &instance));
        assert_eq!(code, 0, "observer login");
        o
    }

    /// Sends a request; reads (heartbeating on silence) until its reply; returns its code.
    pub fn request(&mut self, frame: impl FnOnce(u64) -> ClientFrame) -> i32 {
        let id = self.next_id;
        self.next_id += 1;
        send(&mut self.ws, &frame(id));
        let deadline = Instant::now() + PEER_WAIT;
        loop {
            assert!(Instant::now() < deadline, "reply {id} in time");
            if let Some(ServerFrame::Reply { id: got, code, .. }) = self.read_one() {
                if got == id {
                    return code;
                }
            }
        }
    }

    pub fn subscribe(&mut self, ids: &[&str]) {
        let user_ids = ids.iter().map(|s| s.to_string()).collect();
        let code = self.request(|id| ClientFrame::SubscribeUserStatus { id, user_ids });
        assert_eq!(code, 0);
    }

    /// Every push queued for this session so far (a heartbeat round trip flushes them).
    pub fn sync(&mut self) {
        assert_eq!(self.request(|id| ClientFrame::Heartbeat { id }), 0);
    }

    /// Waits up to `limit` for a push about `user` matching `pred`; returns it.
    pub fn wait_status(
        &mut self,
        user: &str,
        limit: Duration,
        pred: impl Fn(&UserStatus) -> bool,
    ) -> UserStatus {
        let deadline = Instant::now() + limit;
        let mut seen = self.statuses.len();
        loop {
            if let Some(s) = self.statuses[seen..]
                .iter()
                .find(|s| s.user_status_identifier == user && pred(s))
            {
                return s.clone();
            }
            seen = self.statuses.len();
            assert!(
                Instant::now() < deadline,
                "no matching status of {user} in {limit:?}; got {:?}",
                self.statuses
            );
            self.read_one();
        }
    }

    /// The pushes about `user`, in order.
    pub fn about(&self, user: &str) -> Vec<UserStatus> {
        self.statuses
            .iter()
            .filter(|s| s.user_status_identifier == user)
            .cloned()
            .collect()
    }

    /// Reads until the connection ends: the close code, or None when it ended without one.
    pub fn close_code(&mut self) -> Option<u16> {
        let deadline = Instant::now() + PEER_WAIT;
        loop {
            assert!(Instant::now() < deadline, "connection ends in time");
            match self.ws.read() {
                Ok(Message::Close(c)) => return Some(c.map_or(1005, |f| f.code.into())),
                Ok(_) => continue,
                Err(e) if is_read_timeout(&e) => continue,
                Err(_) => return None,
            }
        }
    }

    /// One frame, or None after `beat` of silence (then a heartbeat is sent).
    fn read_one(&mut self) -> Option<ServerFrame> {
        match self.ws.read() {
            Ok(Message::Text(t)) => {
                let frame = parse(t.as_str());
                if let ServerFrame::StatusChanged { statuses } = &frame {
                    self.statuses.extend(statuses.iter().cloned());
                }
                Some(frame)
            }
            Ok(Message::Close(c)) => panic!("observer closed: {c:?}"),
            Ok(_) => None,
            Err(e) if is_read_timeout(&e) => {
                let id = self.next_id;
                self.next_id += 1;
                send(&mut self.ws, &ClientFrame::Heartbeat { id });
                None
            }
            Err(e) => panic!("observer: {e}"),
        }
    }
}
