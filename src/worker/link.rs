//! The connection's state machine. [`Link`] is the one place that says where the connection
//! is; each transition below is a method of the worker and is where its callbacks come from:
//!
//! ```text
//!  Idle ──TIMLogin──▶ Opening ──opened──▶ LoggingIn ──login reply 0──▶ Online
//!   ▲                  │ failed / deadline   │ refused / lost / 6012      │ lost (TCP, close,
//!   │                  ▼                     ▼                            │  heartbeat silence)
//!   └── session ends ◀─ (host's TIMLogin: its callback, then Idle)        ▼
//!                      (reconnect: Backoff{until} ──until──▶ Opening) ◀── Backoff
//! ```
//!
//! The host's `TIMLogin` callback travels with the state (`Opening`/`LoggingIn` `reply`) and is
//! answered exactly once: when the state is left.

use super::conn::Connection;
use super::requests::Pending;
use super::{Ended, Worker, SOCKET};
use crate::dispatch::{Event, Reply};
use crate::types::{TIMLoginStatus, TIMNetworkStatus};
use imsdk_protocol::{code, ClientFrame, LoginRequest, PROTOCOL_VERSION};
use std::sync::mpsc;
use std::time::Instant;

pub enum Link {
    /// No connection and none wanted: no session.
    Idle,
    /// A connector thread opens a connection; the whole open gives up at `deadline` (the
    /// request timeout). `reply`: the host's `TIMLogin` waiting for it (`None`: a reconnect).
    Opening {
        result: mpsc::Receiver<Result<Connection, String>>,
        reply: Option<Reply>,
        deadline: Instant,
    },
    /// Connected, the login frame sent (its deadline is in the request table).
    LoggingIn {
        conn: Connection,
        reply: Option<Reply>,
    },
    /// Logged in: requests may be sent. `logging_out`: the host's `TIMLogout` is in flight.
    Online {
        conn: Connection,
        next_heartbeat: Instant,
        logging_out: bool,
    },
    /// The session waits to reconnect.
    Backoff { until: Instant },
}

impl Link {
    pub fn conn(&mut self) -> Option<&mut Connection> {
        match self {
            Link::LoggingIn { conn, .. } | Link::Online { conn, .. } => Some(conn),
            _ => None,
        }
    }

    /// The link's own timer: the open's deadline, the next heartbeat, the reconnect.
    pub fn timer(&self) -> Option<Instant> {
        match self {
            Link::Opening { deadline, .. } => Some(*deadline),
            Link::Online { next_heartbeat, .. } => Some(*next_heartbeat),
            Link::Backoff { until } => Some(*until),
            Link::Idle | Link::LoggingIn { .. } => None,
        }
    }
}

impl Worker {
    /// Idle or Backoff → Opening (`kTIMConnecting`). DNS, TCP, TLS and WebSocket handshakes
    /// block, on a connector thread: the worker keeps serving commands (and `TIMUninit`).
    pub(super) fn connect(&mut self, reply: Option<Reply>) {
        if self.session.is_none() {
            self.link = Link::Idle;
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
                self.link = Link::Opening {
                    result: rx,
                    reply,
                    deadline,
                }
            }
            Err(e) => self.open_failed(reply, code::NET_DISCONNECT, &e.to_string()),
        }
    }

    /// Opening → LoggingIn when the connector has a connection; → [`Self::open_failed`] when it
    /// failed or the deadline passed.
    pub(super) fn check_opening(&mut self) {
        let Link::Opening {
            result, deadline, ..
        } = &self.link
        else {
            return;
        };
        let timed_out = Instant::now() >= *deadline;
        let opened = match result.try_recv() {
            Ok(opened) => opened,
            Err(mpsc::TryRecvError::Empty) if !timed_out => return,
            // The connector gives up by itself at the same deadline; a late result goes nowhere.
            Err(mpsc::TryRecvError::Empty) => Err("opening the connection timed out".into()),
            Err(mpsc::TryRecvError::Disconnected) => Err("connector thread failed".into()),
        };
        let Link::Opening { reply, .. } = std::mem::replace(&mut self.link, Link::Idle) else {
            return;
        };
        let registry = self.poll.registry();
        let registered = opened.and_then(|mut c| {
            c.register(registry, SOCKET)
                .map(|_| c)
                .map_err(|e| e.to_string())
        });
        let (conn, session) = match (registered, &self.session) {
            (Ok(conn), Some(session)) => (conn, session),
            (Ok(conn), None) => return conn.close(),
            (Err(e), _) => {
                let code = if timed_out {
                    code::REQUEST_TIME_OUT
                } else {
                    code::NET_DISCONNECT
                };
                return self.open_failed(reply, code, &e);
            }
        };
        let cfg = &self.inst.config;
        // The request id comes when it is sent.
        let login = LoginRequest {
            id: 0,
            version: PROTOCOL_VERSION,
            sdk_app_id: cfg.sdk_app_id,
            user_id: session.user_id.clone(),
            user_sig: session.user_sig.clone(),
            platform: cfg.platform.clone(),
            instance_id: self.instance_id.clone(),
        };
        self.link = Link::LoggingIn { conn, reply };
        self.send_request(
            move |id| ClientFrame::from(LoginRequest { id, ..login }),
            Pending::Login,
        );
    }

    /// Opening → (`kTIMConnectFailed`) Idle with the host's `TIMLogin` answered `code` (9508
    /// unreachable, 6012 past the deadline), or Backoff for a reconnect.
    pub(super) fn open_failed(&mut self, reply: Option<Reply>, code: i32, error: &str) {
        self.post(Event::network(
            TIMNetworkStatus::kTIMConnectFailed,
            code::NET_DISCONNECT,
            error,
        ));
        match reply {
            Some(reply) => self.fail_login(reply, code, error),
            None => self.back_off(),
        }
    }

    /// LoggingIn → Online: `kTIMConnected`, then the host's `TIMLogin` answered 0 (or, after a
    /// reconnect, the own status asked for).
    pub(super) fn logged_in(&mut self, next_heartbeat: Instant) {
        let Link::LoggingIn { conn, reply } = std::mem::replace(&mut self.link, Link::Idle) else {
            return;
        };
        self.link = Link::Online {
            conn,
            next_heartbeat,
            logging_out: false,
        };
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

    /// The login over a connection failed with `code`: the host's `TIMLogin` gets it and the
    /// session ends; a re-login ends the session on the server's word (kick, expired UserSig)
    /// or counts as a lost connection.
    pub(super) fn login_failed(&mut self, code: i32, desc: &str) {
        match (self.login_reply(), code) {
            (Some(reply), _) => self.fail_login(reply, code, desc),
            (None, code::USERSIG_EXPIRED) => self.end_session(Some(Ended::SigExpired)),
            (None, code::LOGIN_KICKED_OFF_BY_OTHER) => self.end_session(Some(Ended::Kicked)),
            (None, _) => self.connection_lost(None),
        }
    }

    /// Takes the host's `TIMLogin` callback out of the state, if it waits there.
    pub(super) fn login_reply(&mut self) -> Option<Reply> {
        match &mut self.link {
            Link::Opening { reply, .. } | Link::LoggingIn { reply, .. } => reply.take(),
            _ => None,
        }
    }

    /// The host's `TIMLogin` failed: the session ends, then its callback (last, so that it
    /// reads UnLogined).
    pub(super) fn fail_login(&mut self, reply: Reply, code: i32, desc: &str) {
        self.end_session(None);
        self.post_result(reply, code, desc, "");
    }

    /// → Backoff: the next attempt after the jittered delay.
    fn back_off(&mut self) {
        self.link = Link::Backoff {
            until: Instant::now() + self.backoff.delay(),
        };
    }

    /// The connection died (TCP loss, close frame, missed heartbeat, a frame over the cap).
    /// `close_code` is the server's close code when it sent one. The session ends on a kick,
    /// an expired UserSig, during the first login or a logout; otherwise Online/LoggingIn →
    /// (`kTIMDisconnected`, the own status OFFLINE once) Backoff, and every request in flight
    /// gets 9508.
    pub(super) fn connection_lost(&mut self, close_code: Option<u16>) {
        match close_code {
            Some(imsdk_protocol::close::KICKED_OFFLINE) => {
                return self.end_session(Some(Ended::Kicked))
            }
            Some(imsdk_protocol::close::USER_SIG_EXPIRED) => {
                return self.end_session(Some(Ended::SigExpired))
            }
            _ => {}
        }
        let ends_session = matches!(
            self.link,
            Link::Opening { reply: Some(_), .. }
                | Link::LoggingIn { reply: Some(_), .. }
                | Link::Online {
                    logging_out: true,
                    ..
                }
        );
        if ends_session || self.session.is_none() {
            return self.end_session(None);
        }
        self.drop_link();
        self.post(Event::network(
            TIMNetworkStatus::kTIMDisconnected,
            code::NET_DISCONNECT,
            "connection lost",
        ));
        self.tell_own_offline();
        self.back_off();
        self.fail_requests(code::NET_DISCONNECT, "connection lost");
    }

    /// Any state → Idle: logged out, nothing to restore. The status changes before any callback
    /// is queued, so callbacks read the new one; then a waiting `TIMLogin` and every request in
    /// flight get 9508, then the kick or expiry callback.
    pub(super) fn end_session(&mut self, why: Option<Ended>) {
        let reply = self.login_reply();
        self.drop_link();
        self.session = None;
        self.told_own_offline = false;
        self.set_status(TIMLoginStatus::kTIMLoginStatus_UnLogined);
        if let Some(reply) = reply {
            self.post_result(reply, code::NET_DISCONNECT, "session ended", "");
        }
        self.fail_requests(code::NET_DISCONNECT, "session ended");
        match why {
            Some(Ended::Kicked) => self.post(Event::KickedOffline),
            Some(Ended::SigExpired) => self.post(Event::UserSigExpired),
            None => {}
        }
    }

    /// Closes the connection, if any, and leaves the state Idle (a connection being opened is
    /// forgotten: its `TIMLogin` callback must have been taken out first).
    pub(super) fn drop_link(&mut self) {
        if let Some(mut c) = match std::mem::replace(&mut self.link, Link::Idle) {
            Link::LoggingIn { conn, .. } | Link::Online { conn, .. } => Some(conn),
            _ => None,
        } {
            c.deregister(self.poll.registry());
            c.close();
        }
    }

    /// Fails every request in flight with `code`, in the order they were sent.
    pub(super) fn fail_requests(&mut self, code: i32, desc: &str) {
        for p in self.requests.take_all() {
            if let Some(reply) = p.host_reply() {
                self.post_result(reply, code, desc, "");
            }
        }
    }
}
