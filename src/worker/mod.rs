//! The worker thread: owns the connection, the session and every pending request. It sleeps in
//! `mio::Poll` until a command (woken by [`WAKE`]), a socket event or its next timer.

mod backoff;
mod conn;

use crate::dispatch::{Event, Reply};
use crate::ffi::types::{TIMLoginStatus, TIMNetworkStatus};
use crate::sdk::{Command, Instance};
use backoff::Backoff;
use conn::{Connection, Incoming};
use imsdk_protocol::{
    code, encode, AppLimits, ClientFrame, HeartbeatReply, LoginReply, ServerFrame, UserStatus,
    UserStatusType, PROTOCOL_VERSION,
};
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const WAKE: mio::Token = mio::Token(0);
const SOCKET: mio::Token = mio::Token(1);
/// Tencent's heartbeat period, the upper bound of ours.
const MAX_HEARTBEAT_EVERY: Duration = Duration::from_secs(120);
/// The code of calls failed by a panic in the worker (a bug): Tencent's invalid-parameters code,
/// as the issue proposed; `desc` says what happened.
pub const WORKER_FAILED: i32 = code::INVALID_PARAMETERS;
/// Frames handled per pass of the loop before the inbox (`TIMUninit`) and the timers get their
/// turn: a flood of pushes cannot starve them.
const FRAMES_PER_PASS: usize = 64;

pub fn spawn(inst: Arc<Instance>, poll: mio::Poll) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("imsdk-worker".into())
        .spawn(move || Worker::new(inst, poll).run())
}

/// What a reply completes.
enum Pending {
    Call {
        reply: Reply,
        op: Op,
    },
    /// `reply` is `Some` for the host's `TIMLogin`, `None` for a re-login after a reconnect.
    Login {
        reply: Option<Reply>,
    },
    Logout {
        reply: Reply,
    },
    Heartbeat,
    /// The own status asked for after a reconnect, to tell the host it is ONLINE again.
    OwnStatus,
}

/// What a call's reply carries to the host.
enum Op {
    /// Only the code (`json_params` "").
    Ack,
    /// The status array of a query.
    Query,
}

struct Session {
    user_id: String,
    user_sig: String,
}

/// A connection being opened by the connector thread.
struct Opening {
    result: mpsc::Receiver<Result<Connection, String>>,
    /// The host's `TIMLogin` waiting for it (`None` for a reconnect).
    reply: Option<Reply>,
    /// The whole open (DNS, TCP, TLS, WebSocket) gives up here: the request timeout.
    deadline: Instant,
}

/// The login frame's fields; the request id comes when it is sent.
struct LoginFrame {
    sdk_app_id: u64,
    user_id: String,
    user_sig: String,
    platform: String,
    instance_id: String,
}

impl LoginFrame {
    fn with_id(self, id: u64) -> ClientFrame {
        ClientFrame::Login {
            id,
            version: PROTOCOL_VERSION,
            sdk_app_id: self.sdk_app_id,
            user_id: self.user_id,
            user_sig: self.user_sig,
            platform: self.platform,
            instance_id: self.instance_id,
        }
    }
}

/// How a session ended on the server's word.
enum Ended {
    Kicked,
    SigExpired,
}

struct Worker {
    inst: Arc<Instance>,
    poll: mio::Poll,
    tls: Result<Arc<rustls::ClientConfig>, String>,
    instance_id: String,
    conn: Option<Connection>,
    opening: Option<Opening>,
    /// Present from `TIMLogin` until logout, kick or expiry; survives reconnects.
    session: Option<Session>,
    /// The current connection's login succeeded: requests may be sent.
    online: bool,
    pending: HashMap<u64, (Pending, Instant)>,
    next_id: u64,
    /// The host was told its own account went OFFLINE (connection lost) and not yet that it is
    /// ONLINE again.
    told_own_offline: bool,
    heartbeat_every: Duration,
    heartbeat_wait: Duration,
    next_heartbeat: Option<Instant>,
    reconnect_at: Option<Instant>,
    backoff: Backoff,
    /// The last pass stopped at [`FRAMES_PER_PASS`] with frames left: poll without waiting.
    more_to_read: bool,
    /// Commands taken from the inbox and not handled yet (a panic fails them).
    batch: std::collections::VecDeque<Command>,
    /// The reply of the command being handled until it is answered or waits in `pending`.
    current: std::cell::Cell<Option<Reply>>,
}

fn random_u64() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Worker {
    fn new(inst: Arc<Instance>, poll: mio::Poll) -> Worker {
        let tls = conn::tls_config(&inst.config);
        let backoff = Backoff::new(
            inst.config.reconnect_min,
            inst.config.reconnect_max,
            random_u64(),
        );
        Worker {
            tls,
            instance_id: format!("{:016x}{:016x}", random_u64(), random_u64()),
            inst,
            poll,
            conn: None,
            opening: None,
            session: None,
            online: false,
            pending: HashMap::new(),
            next_id: 1,
            told_own_offline: false,
            heartbeat_every: MAX_HEARTBEAT_EVERY,
            heartbeat_wait: Duration::from_secs(15),
            next_heartbeat: None,
            reconnect_at: None,
            backoff,
            more_to_read: false,
            batch: Default::default(),
            current: std::cell::Cell::new(None),
        }
    }

    /// The loop inside the worker's panic boundary. A panic (a bug) fails every call waiting
    /// for an answer once with [`WORKER_FAILED`], reports the network as disconnected and logs
    /// out; the worker then answers every later call with [`WORKER_FAILED`] until `TIMUninit`,
    /// which works as usual.
    fn run(mut self) {
        let failed =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.event_loop())).is_err();
        if !failed {
            return self.shutdown();
        }
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.fail_everything()));
        self.serve_failed();
    }

    fn event_loop(&mut self) {
        let mut events = mio::Events::with_capacity(16);
        loop {
            let timeout = if self.more_to_read {
                Some(Duration::ZERO)
            } else {
                self.next_timer()
                    .map(|t| t.saturating_duration_since(Instant::now()))
            };
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != std::io::ErrorKind::Interrupted {
                    break;
                }
            }
            let (commands, closed) = self.inst.take_inbox();
            if closed {
                for cmd in commands {
                    self.post_result(
                        cmd.reply(),
                        code::SDK_COMM_INTERRUPT,
                        "interrupted by TIMUninit",
                        "",
                    );
                }
                break;
            }
            self.batch.extend(commands);
            while let Some(cmd) = self.batch.pop_front() {
                self.current.set(Some(cmd.reply()));
                self.handle_command(cmd);
                self.current.set(None);
            }
            self.finish_opening();
            self.pump_socket();
            self.run_timers();
        }
    }

    /// After a panic: whatever the state, every call still waiting gets its one answer.
    fn fail_everything(&mut self) {
        let desc = "the SDK's worker failed (a bug); call TIMUninit";
        if let Some(reply) = self.current.take() {
            self.post_result(reply, WORKER_FAILED, desc, "");
        }
        for cmd in std::mem::take(&mut self.batch) {
            self.post_result(cmd.reply(), WORKER_FAILED, desc, "");
        }
        let was_connected = self.conn.is_some() || self.opening.is_some();
        self.drop_connection();
        self.session = None;
        self.reconnect_at = None;
        self.set_status(TIMLoginStatus::kTIMLoginStatus_UnLogined);
        self.abandon_opening(WORKER_FAILED, desc);
        self.fail_pending(WORKER_FAILED, desc);
        if was_connected {
            self.post(Event::network(
                TIMNetworkStatus::kTIMDisconnected,
                code::NET_DISCONNECT,
                desc,
            ));
        }
    }

    /// After a panic, until `TIMUninit`: every call is answered with [`WORKER_FAILED`].
    fn serve_failed(&mut self) {
        let mut events = mio::Events::with_capacity(4);
        loop {
            let _ = self.poll.poll(&mut events, None);
            let (commands, closed) = self.inst.take_inbox();
            let (code, desc) = if closed {
                (code::SDK_COMM_INTERRUPT, "interrupted by TIMUninit")
            } else {
                (
                    WORKER_FAILED,
                    "the SDK's worker failed (a bug); call TIMUninit",
                )
            };
            for cmd in commands {
                self.post_result(cmd.reply(), code, desc, "");
            }
            if closed {
                return;
            }
        }
    }

    // ---- commands -------------------------------------------------------------------------

    fn handle_command(&mut self, cmd: Command) {
        match cmd {
            Command::Login {
                user_id,
                user_sig,
                reply,
            } => self.login(user_id, user_sig, reply),
            Command::Logout { reply } => self.logout(reply),
            Command::InjectPanic { .. } => panic!("panic injected by a test"),
            Command::SetSelfStatus {
                custom_status,
                reply,
            } => {
                let custom_status = Some(custom_status);
                self.call(reply, Op::Ack, |id| ClientFrame::SetSelfStatus {
                    id,
                    custom_status,
                })
            }
            Command::GetUserStatus { user_ids, reply } => self.call(reply, Op::Query, |id| {
                ClientFrame::GetUserStatus { id, user_ids }
            }),
            Command::Subscribe { user_ids, reply } => self.call(reply, Op::Ack, |id| {
                ClientFrame::SubscribeUserStatus { id, user_ids }
            }),
            Command::Unsubscribe { user_ids, reply } => self.call(reply, Op::Ack, |id| {
                ClientFrame::UnsubscribeUserStatus { id, user_ids }
            }),
        }
    }

    fn login(&mut self, user_id: String, user_sig: String, reply: Reply) {
        if let Some(s) = &self.session {
            let (code, desc) = match self.inst.view().login_status {
                TIMLoginStatus::kTIMLoginStatus_Logined if s.user_id == user_id => (code::SUCC, ""),
                TIMLoginStatus::kTIMLoginStatus_Logouting => {
                    (code::LOGOUT_IN_PROCESS, "logout in progress")
                }
                TIMLoginStatus::kTIMLoginStatus_Logined => {
                    (code::INVALID_PARAMETERS, "another user is logged in")
                }
                _ => (code::LOGIN_IN_PROCESS, "login in progress"),
            };
            return self.post_result(reply, code, desc, "");
        }
        self.inst.update_view(|v| {
            v.login_status = TIMLoginStatus::kTIMLoginStatus_Logining;
            v.user_id = user_id.clone();
        });
        self.session = Some(Session { user_id, user_sig });
        self.backoff.reset();
        self.connect(Some(reply));
    }

    fn logout(&mut self, reply: Reply) {
        if self.session.is_none() {
            return self.post_result(reply, code::SUCC, "", "");
        }
        if self.online {
            if self.send_request(|id| ClientFrame::Logout { id }, Pending::Logout { reply }) {
                self.set_status(TIMLoginStatus::kTIMLoginStatus_Logouting);
            }
        } else {
            // Not connected: nothing to tell the server.
            self.end_session(None);
            self.post_result(reply, code::SUCC, "", "");
        }
    }

    fn call(&mut self, reply: Reply, op: Op, frame: impl FnOnce(u64) -> ClientFrame) {
        if self.session.is_none() {
            return self.post_result(reply, code::SDK_NOT_LOGGED_IN, "not logged in", "");
        }
        if !self.online {
            return self.post_result(
                reply,
                code::NET_DISCONNECT,
                "not connected to the server",
                "",
            );
        }
        self.send_request(frame, Pending::Call { reply, op });
    }

    /// Sends a request and remembers it until its reply or deadline; `false` when the connection
    /// failed (the request was then already failed with the connection).
    fn send_request(&mut self, frame: impl FnOnce(u64) -> ClientFrame, pending: Pending) -> bool {
        let id = self.next_id;
        self.next_id += 1;
        let wait = match pending {
            Pending::Heartbeat => self.heartbeat_wait,
            _ => self.inst.config.request_timeout,
        };
        if let Pending::Call { reply, .. }
        | Pending::Login { reply: Some(reply) }
        | Pending::Logout { reply } = &pending
        {
            self.settled(reply);
        }
        self.pending.insert(id, (pending, Instant::now() + wait));
        let text = encode(&frame(id));
        let sent = match self.conn.as_mut() {
            Some(c) => c.send(text),
            None => Err("not connected".into()),
        };
        if sent.is_err() {
            self.connection_lost(None);
            return false;
        }
        true
    }

    // ---- connection -------------------------------------------------------------------------

    /// Starts opening a connection on a connector thread: DNS, TCP, TLS and WebSocket
    /// handshakes block, and the worker must keep serving commands (and `TIMUninit`) meanwhile.
    fn connect(&mut self, reply: Option<Reply>) {
        self.reconnect_at = None;
        if self.session.is_none() {
            return;
        }
        self.post(Event::network(TIMNetworkStatus::kTIMConnecting, 0, ""));
        let (tx, rx) = mpsc::channel();
        let (inst, tls) = (self.inst.clone(), self.tls.clone());
        let deadline = Instant::now() + self.inst.config.request_timeout;
        let spawned = std::thread::Builder::new()
            .name("imsdk-connect".into())
            .spawn(move || {
                let cfg = &inst.config;
                let (url, max) = (&cfg.server_url, cfg.max_message_bytes);
                let opened = match &tls {
                    Ok(tls) => Connection::open(url, Some(tls), deadline, max),
                    Err(e) if url.starts_with("wss://") => Err(e.clone()),
                    Err(_) => Connection::open(url, None, deadline, max),
                };
                // After TIMUninit nobody listens: the connection is simply dropped.
                let _ = tx.send(opened);
                inst.wake();
            });
        match spawned {
            Ok(_) => {
                self.opening = Some(Opening {
                    result: rx,
                    reply,
                    deadline,
                })
            }
            Err(e) => self.open_failed(reply, code::NET_DISCONNECT, &e.to_string()),
        }
    }

    /// Takes the connector's result, if there is one yet, and logs in over the new connection.
    fn finish_opening(&mut self) {
        let Some(opening) = &self.opening else { return };
        let result = match opening.result.try_recv() {
            Ok(result) => result,
            Err(mpsc::TryRecvError::Empty) => return,
            Err(mpsc::TryRecvError::Disconnected) => Err("connector thread failed".into()),
        };
        let Some(Opening {
            reply, deadline, ..
        }) = self.opening.take()
        else {
            return;
        };
        let registry = self.poll.registry();
        let registered = result.and_then(|mut c| {
            c.register(registry, SOCKET)
                .map(|_| c)
                .map_err(|e| e.to_string())
        });
        let (conn, session) = match (registered, &self.session) {
            (Ok(conn), Some(session)) => (conn, session),
            (Ok(conn), None) => return conn.close(),
            (Err(e), _) => {
                let code = if Instant::now() >= deadline {
                    code::REQUEST_TIME_OUT
                } else {
                    code::NET_DISCONNECT
                };
                return self.open_failed(reply, code, &e);
            }
        };
        let cfg = &self.inst.config;
        let frame = LoginFrame {
            sdk_app_id: cfg.sdk_app_id,
            user_id: session.user_id.clone(),
            user_sig: session.user_sig.clone(),
            platform: cfg.platform.clone(),
            instance_id: self.instance_id.clone(),
        };
        self.conn = Some(conn);
        self.send_request(move |id| frame.with_id(id), Pending::Login { reply });
    }

    /// `code`: 9508 when the server could not be reached, 6012 when opening took longer than
    /// the request timeout (the host's `TIMLogin` gets it; a reconnect just tries again later).
    fn open_failed(&mut self, reply: Option<Reply>, code: i32, error: &str) {
        self.post(Event::network(
            TIMNetworkStatus::kTIMConnectFailed,
            code::NET_DISCONNECT,
            error,
        ));
        match reply {
            Some(reply) => {
                self.end_session(None);
                self.post_result(reply, code, error, "");
            }
            None => self.schedule_reconnect(),
        }
    }

    /// Forgets a connection being opened; a waiting `TIMLogin` gets `code`.
    fn abandon_opening(&mut self, code: i32, desc: &str) {
        if let Some(Opening {
            reply: Some(reply), ..
        }) = self.opening.take()
        {
            self.post_result(reply, code, desc, "");
        }
    }

    fn schedule_reconnect(&mut self) {
        self.reconnect_at = Some(Instant::now() + self.backoff.delay());
    }

    fn drop_connection(&mut self) {
        if let Some(mut c) = self.conn.take() {
            c.deregister(self.poll.registry());
            c.close();
        }
        self.online = false;
        self.next_heartbeat = None;
    }

    /// Fails every pending request with `code`, in the order they were sent.
    fn fail_pending(&mut self, code: i32, desc: &str) {
        let mut all: Vec<(u64, Pending)> =
            self.pending.drain().map(|(id, (p, _))| (id, p)).collect();
        all.sort_by_key(|(id, _)| *id);
        for (_, p) in all {
            match p {
                Pending::Call { reply, .. }
                | Pending::Login { reply: Some(reply) }
                | Pending::Logout { reply } => self.post_result(reply, code, desc, ""),
                Pending::Login { reply: None } | Pending::Heartbeat | Pending::OwnStatus => {}
            }
        }
    }

    /// The connection died (TCP loss, close frame, missed heartbeat). `close_code` is the
    /// server's close code when it sent one.
    fn connection_lost(&mut self, close_code: Option<u16>) {
        match close_code {
            Some(imsdk_protocol::close::KICKED_OFFLINE) => {
                return self.end_session(Some(Ended::Kicked))
            }
            Some(imsdk_protocol::close::USER_SIG_EXPIRED) => {
                return self.end_session(Some(Ended::SigExpired))
            }
            _ => {}
        }
        let logging_out = self
            .pending
            .values()
            .any(|(p, _)| matches!(p, Pending::Logout { .. }));
        let first_login = self
            .pending
            .values()
            .any(|(p, _)| matches!(p, Pending::Login { reply: Some(_) }));
        self.drop_connection();
        if logging_out || first_login {
            return self.end_session(None);
        }
        if self.session.is_some() {
            self.post(Event::network(
                TIMNetworkStatus::kTIMDisconnected,
                code::NET_DISCONNECT,
                "connection lost",
            ));
            self.tell_own_offline();
            self.schedule_reconnect();
        }
        self.fail_pending(code::NET_DISCONNECT, "connection lost");
    }

    /// Leaves the session: logged out, nothing to restore.
    /// The status changes before any callback is queued, so callbacks read the new one.
    fn end_session(&mut self, why: Option<Ended>) {
        self.drop_connection();
        self.session = None;
        self.reconnect_at = None;
        self.told_own_offline = false;
        self.set_status(TIMLoginStatus::kTIMLoginStatus_UnLogined);
        self.abandon_opening(code::NET_DISCONNECT, "session ended");
        self.fail_pending(code::NET_DISCONNECT, "session ended");
        match why {
            Some(Ended::Kicked) => self.post(Event::KickedOffline),
            Some(Ended::SigExpired) => self.post(Event::UserSigExpired),
            None => {}
        }
    }

    fn pump_socket(&mut self) {
        if let Some(c) = self.conn.as_mut() {
            if c.flush().is_err() {
                return self.connection_lost(None);
            }
        }
        self.more_to_read = false;
        let mut handled = 0;
        while let Some(c) = self.conn.as_mut() {
            if handled == FRAMES_PER_PASS {
                self.more_to_read = true;
                break;
            }
            handled += 1;
            match c.read() {
                Incoming::Text(text) => self.handle_frame(&text),
                Incoming::Idle => break,
                Incoming::Closed(code) => self.connection_lost(code),
            }
        }
    }

    // ---- frames from the server ---------------------------------------------------------------

    fn handle_frame(&mut self, text: &str) {
        let Ok(frame) = serde_json::from_str::<ServerFrame>(text) else {
            return;
        };
        match frame {
            ServerFrame::Reply {
                id,
                code,
                desc,
                data,
            } => {
                if let Some((pending, _)) = self.pending.remove(&id) {
                    self.complete(pending, code, &desc, data);
                }
            }
            ServerFrame::StatusChanged { statuses } => {
                // The server told the own account's ONLINE itself (it came back from OFFLINE):
                // that is the host's one ONLINE.
                if self.told_own_offline
                    && statuses.iter().any(|s| {
                        s.user_status_status_type == UserStatusType::Online
                            && self
                                .session
                                .as_ref()
                                .is_some_and(|me| me.user_id == s.user_status_identifier)
                    })
                {
                    self.told_own_offline = false;
                }
                self.post(Event::StatusChanged { statuses })
            }
            ServerFrame::KickedOffline { .. } => self.end_session(Some(Ended::Kicked)),
            ServerFrame::UserSigExpired { .. } => self.end_session(Some(Ended::SigExpired)),
        }
    }

    fn complete(
        &mut self,
        pending: Pending,
        code: i32,
        desc: &str,
        data: Option<serde_json::Value>,
    ) {
        match pending {
            Pending::Call { reply, op } => {
                let json = match op {
                    Op::Query if code == code::SUCC => status_array_json(data),
                    _ => String::new(),
                };
                self.post_result(reply, code, desc, &json);
            }
            Pending::Login { reply } => self.login_replied(reply, code, desc, data),
            Pending::Logout { reply } => {
                self.end_session(None);
                self.post_result(reply, code, desc, "");
            }
            Pending::Heartbeat => {
                if let Some(hb) =
                    data.and_then(|d| serde_json::from_value::<HeartbeatReply>(d).ok())
                {
                    self.set_server_time(hb.server_time);
                }
            }
            Pending::OwnStatus => self.tell_own_online(code, data),
        }
    }

    fn login_replied(
        &mut self,
        reply: Option<Reply>,
        code: i32,
        desc: &str,
        data: Option<serde_json::Value>,
    ) {
        if code != code::SUCC {
            return match (reply, code) {
                (Some(reply), _) => {
                    self.end_session(None);
                    self.post_result(reply, code, desc, "");
                }
                (None, code::USERSIG_EXPIRED) => self.end_session(Some(Ended::SigExpired)),
                (None, code::LOGIN_KICKED_OFF_BY_OTHER) => self.end_session(Some(Ended::Kicked)),
                (None, _) => self.connection_lost(None),
            };
        }
        let info = data.and_then(|d| serde_json::from_value::<LoginReply>(d).ok());
        let timeout_ms = info
            .as_ref()
            .map_or(400_000, |i| i.heartbeat_timeout_s.saturating_mul(1000))
            .max(300);
        self.heartbeat_every = Duration::from_millis(timeout_ms / 3).min(MAX_HEARTBEAT_EVERY);
        self.heartbeat_wait = Duration::from_millis(timeout_ms.saturating_mul(2) / 3)
            .min(self.inst.config.request_timeout);
        self.next_heartbeat = Some(Instant::now() + self.heartbeat_every);
        if let Some(i) = info {
            self.set_server_time(i.server_time);
            let limits = i.limits.unwrap_or_default();
            self.inst.update_view(|v| v.limits = limits);
        }
        self.online = true;
        self.backoff.reset();
        self.set_status(TIMLoginStatus::kTIMLoginStatus_Logined);
        self.post(Event::network(TIMNetworkStatus::kTIMConnected, 0, ""));
        // Nothing of the session is restored here: the subscription list is the account's, kept
        // by the server (another device may have changed it meanwhile).
        match reply {
            Some(reply) => self.post_result(reply, code::SUCC, "", ""),
            None if self.told_own_offline => {
                let user_ids = vec![self.own_id()];
                self.send_request(
                    |id| ClientFrame::GetUserStatus { id, user_ids },
                    Pending::OwnStatus,
                );
            }
            None => {}
        }
    }

    // ---- timers ---------------------------------------------------------------------------

    fn next_timer(&self) -> Option<Instant> {
        let deadlines = self.pending.values().map(|(_, d)| *d);
        deadlines
            .chain(self.next_heartbeat)
            .chain(self.reconnect_at)
            .chain(self.opening.as_ref().map(|o| o.deadline))
            .min()
    }

    fn run_timers(&mut self) {
        let now = Instant::now();
        if self.opening.as_ref().is_some_and(|o| o.deadline <= now) {
            // The connector thread gives up by itself at the same deadline; its result, if it
            // still comes, goes nowhere.
            if let Some(Opening { reply, .. }) = self.opening.take() {
                self.open_failed(
                    reply,
                    code::REQUEST_TIME_OUT,
                    "opening the connection timed out",
                );
            }
        }
        let mut expired: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, (_, d))| *d <= now)
            .map(|(id, _)| *id)
            .collect();
        expired.sort_unstable();
        for id in expired {
            let Some((pending, _)) = self.pending.remove(&id) else {
                continue;
            };
            match pending {
                Pending::Call { reply, .. } => {
                    self.post_result(reply, code::REQUEST_TIME_OUT, "request timed out", "")
                }
                Pending::Login { reply: Some(reply) } => {
                    self.end_session(None);
                    self.post_result(reply, code::REQUEST_TIME_OUT, "login timed out", "");
                }
                Pending::Logout { reply } => {
                    self.end_session(None);
                    self.post_result(reply, code::REQUEST_TIME_OUT, "logout timed out", "");
                }
                Pending::Login { reply: None } | Pending::Heartbeat => self.connection_lost(None),
                Pending::OwnStatus => self.tell_own_online(code::REQUEST_TIME_OUT, None),
            }
        }
        if self.online && self.next_heartbeat.is_some_and(|t| t <= now) {
            self.next_heartbeat = Some(now + self.heartbeat_every);
            self.send_request(|id| ClientFrame::Heartbeat { id }, Pending::Heartbeat);
        }
        if self.reconnect_at.is_some_and(|t| t <= now) {
            self.connect(None);
        }
    }

    // ---- the own status across a lost connection --------------------------------------------

    fn own_id(&self) -> String {
        self.session
            .as_ref()
            .map(|s| s.user_id.clone())
            .unwrap_or_default()
    }

    /// Once per lost connection of a logged-in session: the server clears the custom status of
    /// an account that goes offline, and so does Tencent's SDK when it notices it is offline.
    fn tell_own_offline(&mut self) {
        if self.told_own_offline {
            return;
        }
        self.told_own_offline = true;
        let statuses = vec![UserStatus {
            user_status_identifier: self.own_id(),
            user_status_status_type: UserStatusType::Offline,
            user_status_custom_status: String::new(),
            user_status_online_devices: Vec::new(),
        }];
        self.post(Event::StatusChanged { statuses });
    }

    /// Once the session is back, unless the server already pushed it (it does when the account
    /// was OFFLINE for it; not when this login replaced a session it still had): the own status
    /// as the server has it, or ONLINE on this device when the server did not answer.
    fn tell_own_online(&mut self, code: i32, data: Option<serde_json::Value>) {
        if !self.told_own_offline || !self.online {
            return;
        }
        self.told_own_offline = false;
        let own = self.own_id();
        let from_server = (code == code::SUCC)
            .then(|| data.and_then(|d| serde_json::from_value::<Vec<UserStatus>>(d).ok()))
            .flatten()
            .and_then(|all| all.into_iter().find(|s| s.user_status_identifier == own))
            .filter(|s| s.user_status_status_type == UserStatusType::Online);
        let status = from_server.unwrap_or_else(|| UserStatus {
            user_status_identifier: own,
            user_status_status_type: UserStatusType::Online,
            user_status_custom_status: String::new(),
            user_status_online_devices: vec![self.inst.config.platform.clone()],
        });
        self.post(Event::StatusChanged {
            statuses: vec![status],
        });
    }

    // ---- helpers ---------------------------------------------------------------------------

    fn shutdown(&mut self) {
        self.drop_connection();
        self.session = None;
        self.set_status(TIMLoginStatus::kTIMLoginStatus_UnLogined);
        self.abandon_opening(code::SDK_COMM_INTERRUPT, "interrupted by TIMUninit");
        self.fail_pending(code::SDK_COMM_INTERRUPT, "interrupted by TIMUninit");
    }

    fn set_status(&self, status: TIMLoginStatus) {
        self.inst.update_view(|v| {
            v.login_status = status;
            if status == TIMLoginStatus::kTIMLoginStatus_UnLogined {
                v.user_id.clear();
                v.limits = AppLimits::default();
            }
        });
    }

    fn set_server_time(&self, server_time: u64) {
        let offset = server_time as i64 - unix_now();
        self.inst.update_view(|v| v.server_time_offset = offset);
    }

    /// The dispatcher closes only after the worker is joined: the worker's events always land.
    fn post(&self, event: Event) {
        let _ = self.inst.post(event);
    }

    fn post_result(&self, reply: Reply, code: i32, desc: &str, json: &str) {
        self.settled(&reply);
        self.post(Event::result(reply, code, desc, json))
    }

    /// `reply` is answered or waits in `pending`: a panic from here on does not fail it again.
    fn settled(&self, reply: &Reply) {
        if self.current.get().is_some_and(|c| c.same(reply)) {
            self.current.set(None);
        }
    }
}

/// The query result in Tencent's form: every status with its four keys, in Tencent's order.
fn status_array_json(data: Option<serde_json::Value>) -> String {
    let statuses: Vec<UserStatus> = data
        .and_then(|d| serde_json::from_value(d).ok())
        .unwrap_or_default();
    serde_json::to_string(&statuses).unwrap_or_else(|_| "[]".into())
}

/// Local clock corrected by the server's, Unix seconds.
pub fn server_time(offset: i64) -> u64 {
    (unix_now() + offset).max(0) as u64
}
