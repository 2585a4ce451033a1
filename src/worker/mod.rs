//! The worker thread: owns the connection, the session and every request in flight. It sleeps
//! in `mio::Poll` until a command (woken by [`WAKE`]), a socket event or its next timer.
//!
//! - this file: the event loop (inside the worker's panic boundary), the host's commands and
//!   the timers;
//! - [`link`]: the connection's state machine, where the network and login callbacks come from;
//! - [`requests`]: the request table with its deadlines;
//! - [`frames`]: frames from the server (bounded per pass) and the own status across a gap.

mod backoff;
mod conn;
mod frames;
mod link;
mod requests;

use crate::dispatch::{Event, Reply};
use crate::instance::{unix_now, Command, Instance};
use crate::types::{TIMLoginStatus, TIMNetworkStatus};
use backoff::Backoff;
use imsdk_protocol::{code, encode, AppLimits, ClientFrame};
use link::Link;
use requests::{Op, Pending, Requests};
use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::collections::VecDeque;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const WAKE: mio::Token = mio::Token(0);
const SOCKET: mio::Token = mio::Token(1);
/// Tencent's heartbeat period, the upper bound of ours.
const MAX_HEARTBEAT_EVERY: Duration = Duration::from_secs(120);
/// The code of calls failed by a panic in the worker (a bug): Tencent's invalid-parameters code,
/// as the issue proposed; `desc` says what happened.
pub const WORKER_FAILED: i32 = code::INVALID_PARAMETERS;
const WORKER_FAILED_DESC: &str = "the SDK's worker failed (a bug); call TIMUninit";
/// Frames handled per pass of the loop before the inbox (`TIMUninit`) and the timers get their
/// turn: a flood of pushes cannot starve them.
const FRAMES_PER_PASS: usize = 64;

pub fn spawn(inst: Arc<Instance>, poll: mio::Poll) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("imsdk-worker".into())
        .spawn(move || Worker::new(inst, poll).run())
}

struct Session {
    user_id: String,
    user_sig: String,
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
    /// Where the connection is: the one state machine.
    link: Link,
    /// Present from `TIMLogin` until logout, kick or expiry; survives reconnects.
    session: Option<Session>,
    requests: Requests,
    /// The host was told its own account went OFFLINE (connection lost) and not yet that it is
    /// ONLINE again.
    told_own_offline: bool,
    heartbeat_every: Duration,
    heartbeat_wait: Duration,
    backoff: Backoff,
    /// The last pass stopped at [`FRAMES_PER_PASS`] with frames left: poll without waiting.
    more_to_read: bool,
    /// Commands taken from the inbox and not handled yet (a panic fails them).
    batch: VecDeque<Command>,
    /// The reply of the command being handled until it is answered or waits in the request
    /// table or the link state (a panic fails it).
    current: Cell<Option<Reply>>,
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
            link: Link::Idle,
            session: None,
            requests: Requests::new(),
            told_own_offline: false,
            heartbeat_every: MAX_HEARTBEAT_EVERY,
            heartbeat_wait: Duration::from_secs(15),
            backoff,
            more_to_read: false,
            batch: VecDeque::new(),
            current: Cell::new(None),
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
            self.check_opening();
            self.pump_socket();
            self.run_timers();
        }
    }

    /// After a panic: whatever the state, every call still waiting gets its one answer.
    fn fail_everything(&mut self) {
        if let Some(reply) = self.current.take() {
            self.post_result(reply, WORKER_FAILED, WORKER_FAILED_DESC, "");
        }
        for cmd in std::mem::take(&mut self.batch) {
            self.post_result(cmd.reply(), WORKER_FAILED, WORKER_FAILED_DESC, "");
        }
        let was_connected = !matches!(self.link, Link::Idle);
        self.stop(WORKER_FAILED, WORKER_FAILED_DESC);
        if was_connected {
            self.post(Event::network(
                TIMNetworkStatus::kTIMDisconnected,
                code::NET_DISCONNECT,
                WORKER_FAILED_DESC,
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
                (WORKER_FAILED, WORKER_FAILED_DESC)
            };
            for cmd in commands {
                self.post_result(cmd.reply(), code, desc, "");
            }
            if closed {
                return;
            }
        }
    }

    /// `TIMUninit`: everything waiting gets 7009.
    fn shutdown(&mut self) {
        self.stop(code::SDK_COMM_INTERRUPT, "interrupted by TIMUninit");
    }

    /// Logged out at once, without a word to the server: a waiting `TIMLogin` and every request
    /// in flight get `code`.
    fn stop(&mut self, code: i32, desc: &str) {
        let reply = self.login_reply();
        self.drop_link();
        self.session = None;
        self.set_status(TIMLoginStatus::kTIMLoginStatus_UnLogined);
        if let Some(reply) = reply {
            self.post_result(reply, code, desc, "");
        }
        self.fail_requests(code, desc);
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
        self.settled(&reply);
        self.connect(Some(reply));
    }

    fn logout(&mut self, reply: Reply) {
        if self.session.is_none() {
            return self.post_result(reply, code::SUCC, "", "");
        }
        if let Link::Online { logging_out, .. } = &mut self.link {
            *logging_out = true;
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
        if !matches!(self.link, Link::Online { .. }) {
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
        let wait = match pending {
            Pending::Heartbeat => self.heartbeat_wait,
            _ => self.inst.config.request_timeout,
        };
        if let Some(reply) = pending.host_reply() {
            self.settled(&reply);
        }
        let id = self.requests.add(pending, Instant::now() + wait);
        let text = encode(&frame(id));
        let sent = match self.link.conn() {
            Some(c) => c.send(text),
            None => Err("not connected".into()),
        };
        if sent.is_err() {
            self.connection_lost(None);
            return false;
        }
        true
    }

    // ---- timers ---------------------------------------------------------------------------

    fn next_timer(&self) -> Option<Instant> {
        self.requests
            .next_deadline()
            .into_iter()
            .chain(self.link.timer())
            .min()
    }

    fn run_timers(&mut self) {
        let now = Instant::now();
        for pending in self.requests.take_expired(now) {
            match pending {
                Pending::Call { reply, .. } => {
                    self.post_result(reply, code::REQUEST_TIME_OUT, "request timed out", "")
                }
                Pending::Login => match self.login_reply() {
                    Some(reply) => {
                        self.fail_login(reply, code::REQUEST_TIME_OUT, "login timed out")
                    }
                    None => self.connection_lost(None),
                },
                Pending::Logout { reply } => {
                    self.end_session(None);
                    self.post_result(reply, code::REQUEST_TIME_OUT, "logout timed out", "");
                }
                Pending::Heartbeat => self.connection_lost(None),
                Pending::OwnStatus => self.tell_own_online(code::REQUEST_TIME_OUT, None),
            }
        }
        match &mut self.link {
            Link::Opening { deadline, .. } if *deadline <= now => self.check_opening(),
            Link::Online { next_heartbeat, .. } if *next_heartbeat <= now => {
                *next_heartbeat = now + self.heartbeat_every;
                self.send_request(|id| ClientFrame::Heartbeat { id }, Pending::Heartbeat);
            }
            Link::Backoff { until } if *until <= now => self.connect(None),
            _ => {}
        }
    }

    // ---- helpers ---------------------------------------------------------------------------

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

    /// `reply` is answered or waits (request table, link state): a panic from here on does not
    /// fail it again.
    fn settled(&self, reply: &Reply) {
        if self.current.get().is_some_and(|c| c.same(reply)) {
            self.current.set(None);
        }
    }
}
