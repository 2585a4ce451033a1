//! An async raw protocol client (tokio): connect, log in, send frames, wait for replies and pushes,
//! and see how the connection ended. Every wait is bounded by [`WAIT`].

use crate::dev::login_frame as dev_login_frame;
use futures_util::{SinkExt, StreamExt};
use imsdk_protocol::{ClientFrame, LoginReply, ServerFrame, UserStatus, UserStatusType};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Longest wait for anything the server should do at once.
pub const WAIT: Duration = Duration::from_secs(5);

/// The login request (id 1) of `user` on the dev app.
pub fn login_frame(user: &str, platform: &str, instance: &str) -> ClientFrame {
    dev_login_frame(1, user, platform, instance)
}

pub fn status(user: &str, t: UserStatusType, custom: &str, devices: &[&str]) -> UserStatus {
    UserStatus {
        user_status_identifier: user.into(),
        user_status_status_type: t,
        user_status_custom_status: custom.into(),
        user_status_online_devices: devices.iter().map(|d| d.to_string()).collect(),
    }
}

/// A reply as the tests look at it.
#[derive(Debug)]
pub struct Reply {
    pub id: u64,
    pub code: i32,
    pub desc: String,
    pub data: Option<Value>,
}

/// How a connection ended.
#[derive(Debug, PartialEq)]
pub enum End {
    /// A close frame with this code.
    Close(u16),
    /// The TCP connection ended without a close frame.
    NoCloseFrame,
}

/// A TCP connection from source address `from` (any 127.x.y.z works on loopback).
pub async fn tcp_from(addr: SocketAddr, from: &str) -> std::io::Result<TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(format!("{from}:0").parse().expect("a source address"))?;
    socket.connect(addr).await
}

/// A WebSocket to the server from source address `from`; the upgrade's error (e.g. HTTP 503 over
/// a connection cap) as is.
pub async fn ws_from(
    addr: SocketAddr,
    from: &str,
) -> Result<WebSocketStream<MaybeTlsStream<TcpStream>>, tokio_tungstenite::tungstenite::Error> {
    let tcp = tcp_from(addr, from).await.expect("tcp connect");
    tokio_tungstenite::client_async(format!("ws://{addr}/ws"), MaybeTlsStream::Plain(tcp))
        .await
        .map(|(ws, _)| ws)
}

pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    /// Pushes received while waiting for a reply.
    pub pushes: Vec<ServerFrame>,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Client {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
            .await
            .expect("ws connect");
        Client::from_stream(ws)
    }

    /// A client on an already connected stream (e.g. `wss://`).
    pub fn from_stream(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Client {
        Client {
            ws,
            next_id: 100,
            pushes: Vec::new(),
        }
    }

    /// Connects with a small TCP receive buffer (for clients that stop reading) and logs in.
    pub async fn login_small_window(addr: SocketAddr, user: &str) -> Client {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
        let tcp = socket.connect(addr).await.expect("tcp connect");
        let (ws, _) =
            tokio_tungstenite::client_async(format!("ws://{addr}/ws"), MaybeTlsStream::Plain(tcp))
                .await
                .expect("ws");
        let mut c = Client {
            ws,
            next_id: 100,
            pushes: Vec::new(),
        };
        assert_eq!(
            c.send_frame(&login_frame(user, "Linux", "small"))
                .await
                .code,
            0
        );
        c
    }

    /// Connects and logs in; panics unless the login succeeds.
    pub async fn login(addr: SocketAddr, user: &str, platform: &str, instance: &str) -> Client {
        let mut c = Client::connect(addr).await;
        let reply = c.send_frame(&login_frame(user, platform, instance)).await;
        assert_eq!(reply.code, 0, "login of {user}: {}", reply.desc);
        c
    }

    /// Data segments this connection has received so far (Linux `TCP_INFO`). On loopback with
    /// Nagle off, each `write` of the server up to a segment's size arrives as one segment, so
    /// the difference between two readings counts the server's writes in between.
    #[cfg(target_os = "linux")]
    pub fn data_segments_in(&self) -> u32 {
        use std::os::fd::AsRawFd;
        let MaybeTlsStream::Plain(tcp) = self.ws.get_ref() else {
            panic!("a plain TCP connection");
        };
        // SAFETY: tcp_info is plain data: all zeroes is a valid value.
        let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
        // SAFETY: a valid socket; getsockopt writes at most `len` bytes into `info`.
        let rc = unsafe {
            libc::getsockopt(
                tcp.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_INFO,
                (&mut info as *mut libc::tcp_info).cast(),
                &mut len,
            )
        };
        assert_eq!(rc, 0, "TCP_INFO: {}", std::io::Error::last_os_error());
        info.tcpi_data_segs_in
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::text(text)).await.expect("send");
    }

    pub async fn send_raw(&mut self, msg: Message) {
        self.ws.send(msg).await.expect("send");
    }

    /// Sends a frame and waits for the reply with its id, collecting pushes on the way.
    pub async fn send_frame(&mut self, frame: &ClientFrame) -> Reply {
        self.send_text(&imsdk_protocol::encode(frame)).await;
        self.reply_for(frame.id()).await
    }

    /// Sends a request built with a fresh id.
    pub async fn request(&mut self, make: impl FnOnce(u64) -> ClientFrame) -> Reply {
        self.next_id += 1;
        let frame = make(self.next_id);
        self.send_frame(&frame).await
    }

    pub async fn reply_for(&mut self, id: u64) -> Reply {
        loop {
            match self.next_frame().await {
                ServerFrame::Reply {
                    id: got,
                    code,
                    desc,
                    data,
                } if got == id => {
                    return Reply {
                        id,
                        code,
                        desc,
                        data,
                    }
                }
                ServerFrame::Reply { id: got, .. } => {
                    panic!("reply for {got} while waiting for {id}")
                }
                push => self.pushes.push(push),
            }
        }
    }

    /// The next server frame (panics on close or timeout).
    pub async fn next_frame(&mut self) -> ServerFrame {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("frame in time");
            match msg {
                Some(Ok(Message::Text(t))) => {
                    return serde_json::from_str(&t).expect("server frame")
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("expected a frame, got {other:?}"),
            }
        }
    }

    pub async fn heartbeat(&mut self) -> Reply {
        self.request(|id| ClientFrame::Heartbeat { id }).await
    }

    /// All status pushes that arrived before a heartbeat round trip, i.e. every push already queued
    /// for this session (the server writes queued pushes before answering the next request).
    pub async fn drain_statuses(&mut self) -> Vec<UserStatus> {
        let r = self.heartbeat().await;
        assert_eq!(r.code, 0);
        let mut out = Vec::new();
        for p in self.pushes.drain(..) {
            match p {
                ServerFrame::StatusChanged { statuses } => out.extend(statuses),
                other => panic!("unexpected push {other:?}"),
            }
        }
        out
    }

    /// Ids of the users whose status pushes were already queued, leaving out `me`.
    pub async fn heard_except(&mut self, me: &str) -> Vec<String> {
        let statuses = self.drain_statuses().await;
        statuses
            .into_iter()
            .map(|s| s.user_status_identifier)
            .filter(|u| u != me)
            .collect()
    }

    /// Waits for the next status pushed (a frame may carry several: they come one by one).
    pub async fn next_status(&mut self) -> UserStatus {
        loop {
            if let Some(pos) = self
                .pushes
                .iter()
                .position(|p| matches!(p, ServerFrame::StatusChanged { .. }))
            {
                if let ServerFrame::StatusChanged { statuses } = &mut self.pushes[pos] {
                    let first = (!statuses.is_empty()).then(|| statuses.remove(0));
                    if statuses.is_empty() {
                        self.pushes.remove(pos);
                    }
                    if let Some(first) = first {
                        return first;
                    }
                }
                continue;
            }
            match self.next_frame().await {
                push @ ServerFrame::StatusChanged { .. } => self.pushes.push(push),
                other => panic!("expected a status push, got {other:?}"),
            }
        }
    }

    /// Waits for the next status push about `user`, skipping pushes about others.
    pub async fn next_status_of(&mut self, user: &str) -> UserStatus {
        loop {
            let st = self.next_status().await;
            if st.user_status_identifier == user {
                return st;
            }
        }
    }

    pub async fn set_status(&mut self, custom: Option<&str>) -> Reply {
        let custom_status = custom.map(String::from);
        self.request(|id| ClientFrame::SetSelfStatus { id, custom_status })
            .await
    }

    /// Sends one `set_self_status` request (id 1) per custom status without waiting, then reads
    /// their replies; pushes received meanwhile are dropped.
    pub async fn set_status_pipelined(&mut self, customs: impl IntoIterator<Item = String>) {
        let mut sent = 0;
        for custom in customs {
            let frame = ClientFrame::SetSelfStatus {
                id: 1,
                custom_status: Some(custom),
            };
            self.send_text(&imsdk_protocol::encode(&frame)).await;
            sent += 1;
        }
        for _ in 0..sent {
            self.reply_for(1).await;
        }
        self.pushes.clear();
    }

    pub async fn get(&mut self, ids: &[&str]) -> Reply {
        let user_ids = ids.iter().map(|s| s.to_string()).collect();
        self.request(|id| ClientFrame::GetUserStatus { id, user_ids })
            .await
    }

    pub async fn subscribe(&mut self, ids: &[&str]) -> Reply {
        let user_ids = ids.iter().map(|s| s.to_string()).collect();
        self.request(|id| ClientFrame::SubscribeUserStatus { id, user_ids })
            .await
    }

    pub async fn unsubscribe(&mut self, ids: Option<&[&str]>) -> Reply {
        let user_ids = ids.map(|ids| ids.iter().map(|s| s.to_string()).collect());
        self.request(|id| ClientFrame::UnsubscribeUserStatus { id, user_ids })
            .await
    }

    /// Waits for the end of the connection, skipping any frames before it.
    pub async fn end(&mut self) -> End {
        self.end_within(WAIT).await
    }

    pub async fn end_within(&mut self, wait: Duration) -> End {
        loop {
            match tokio::time::timeout(wait, self.ws.next())
                .await
                .expect("connection ends in time")
            {
                Some(Ok(Message::Close(frame))) => {
                    return End::Close(frame.map_or(1005, |f| u16::from(f.code)))
                }
                Some(Ok(Message::Text(t))) => self
                    .pushes
                    .push(serde_json::from_str(&t).expect("server frame")),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return End::NoCloseFrame,
            }
        }
    }

    /// Drops the TCP connection without a close frame, as a killed process would.
    pub fn drop_tcp(self) {
        drop(self.ws);
    }
}

pub fn close_code(code: u16) -> End {
    End::Close(u16::from(CloseCode::from(code)))
}

/// Statuses of a successful get_user_status reply.
pub fn statuses(reply: &Reply) -> Vec<UserStatus> {
    assert_eq!(reply.code, 0, "{}", reply.desc);
    serde_json::from_value(reply.data.clone().expect("data")).expect("status array")
}

pub fn login_reply(reply: &Reply) -> LoginReply {
    serde_json::from_value(reply.data.clone().expect("data")).expect("login reply")
}
