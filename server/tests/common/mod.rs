//! Test helpers: a real server on 127.0.0.1:0, real WebSocket clients and a real HTTP client.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use imsdk_protocol::{
    ClientFrame, LoginReply, ServerFrame, UserStatus, UserStatusType, PROTOCOL_VERSION,
};
use imsdk_server::config::{AppConfig, Config};
use imsdk_server::ServerHandle;
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const APP: u64 = 1_400_000_001;
pub const KEY: &str = "imsdk-dev-secret-key";
pub const ADMIN: &str = "administrator";
/// Longest wait for anything the server should do at once.
pub const WAIT: Duration = Duration::from_secs(5);

/// The dev app with accounts `alice`, `bob`, `carol`, `dave` imported, changed by `edit`.
pub fn config(edit: impl FnOnce(&mut AppConfig)) -> Config {
    let mut config = Config::dev_default();
    config.apps[0].accounts = ["alice", "bob", "carol", "dave"].map(String::from).to_vec();
    edit(&mut config.apps[0]);
    config
}

/// Changes of the `[server]` settings.
pub trait ServerEdit {
    fn with_login_timeout(self, s: u64) -> Self;
    fn with_max_frame(self, bytes: usize) -> Self;
    fn with_queue(self, frames: usize) -> Self;
    fn with_send_buffer(self, bytes: usize) -> Self;
    fn with_slow_consumer_timeout(self, ms: u64) -> Self;
}

impl ServerEdit for Config {
    fn with_login_timeout(mut self, s: u64) -> Self {
        self.server.login_timeout_s = s;
        self
    }
    fn with_max_frame(mut self, bytes: usize) -> Self {
        self.server.max_frame_bytes = bytes;
        self
    }
    fn with_queue(mut self, frames: usize) -> Self {
        self.server.outbound_queue = frames;
        self
    }
    fn with_send_buffer(mut self, bytes: usize) -> Self {
        self.server.socket_send_buffer_bytes = bytes;
        self
    }
    fn with_slow_consumer_timeout(mut self, ms: u64) -> Self {
        self.server.slow_consumer_timeout_ms = ms;
        self
    }
}

pub fn start(config: Config) -> ServerHandle {
    ServerHandle::start(config, "127.0.0.1:0".parse().unwrap()).expect("server starts")
}

pub fn sig(user: &str) -> String {
    imsdk_usersig::generate(APP, KEY, user, 3600)
}

pub fn login_frame(user: &str, platform: &str, instance: &str) -> ClientFrame {
    ClientFrame::Login {
        id: 1,
        version: PROTOCOL_VERSION,
        sdk_app_id: APP,
        user_id: user.into(),
        user_sig: sig(user),
        platform: platform.into(),
        instance_id: instance.into(),
    }
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

/// POSTs JSON to the admin REST API with the admin's UserSig; returns the JSON answer.
pub async fn rest(addr: SocketAddr, path: &str, body: &Value) -> Value {
    let query = format!(
        "sdkappid={APP}&identifier={ADMIN}&usersig={}&random=7&contenttype=json",
        sig(ADMIN)
    );
    rest_raw(addr, &format!("{path}?{query}"), &body.to_string())
        .await
        .1
}

/// POSTs a raw body to a raw path-and-query; returns the HTTP status and the JSON answer.
pub async fn rest_raw(addr: SocketAddr, path_and_query: &str, body: &str) -> (u16, Value) {
    let mut tcp = TcpStream::connect(addr).await.expect("http connect");
    let req = format!(
        "POST {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(req.as_bytes()).await.expect("http write");
    let mut resp = Vec::new();
    tokio::time::timeout(WAIT, tcp.read_to_end(&mut resp))
        .await
        .expect("http answer in time")
        .expect("http read");
    let resp = String::from_utf8(resp).expect("utf-8 answer");
    let (head, body) = resp.split_once("\r\n\r\n").expect("http head");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// One HTTP/1.1 request; returns status, JSON body (Null if none) and the raw head.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value, String) {
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    let body = body.map(Value::to_string).unwrap_or_default();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(req.as_bytes()).await.expect("write");
    let mut resp = Vec::new();
    tokio::time::timeout(WAIT, tcp.read_to_end(&mut resp))
        .await
        .expect("answer in time")
        .expect("read");
    let resp = String::from_utf8_lossy(&resp).into_owned();
    let (head, body) = resp.split_once("\r\n\r\n").expect("http head");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    (
        status,
        serde_json::from_str(body).unwrap_or(Value::Null),
        head.to_owned(),
    )
}

pub async fn sign_in(addr: SocketAddr) -> String {
    let (status, body, head) = http(
        addr,
        "POST",
        "/console/api/login",
        None,
        Some(&serde_json::json!({"sdk_app_id": APP, "admin": ADMIN, "secret_key": KEY})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(head.contains("HttpOnly"), "{head}");
    body["token"].as_str().expect("token").to_owned()
}
