//! Frames from the server: read at most [`FRAMES_PER_PASS`] per pass of the loop, replies
//! matched to the request table, pushes turned into host events, and the own status told
//! across a lost connection.

use super::conn::Incoming;
use super::link::Link;
use super::requests::{Op, Pending};
use super::{Ended, Worker, FRAMES_PER_PASS, MAX_HEARTBEAT_EVERY};
use crate::dispatch::Event;
use imsdk_protocol::{code, HeartbeatReply, LoginReply, ServerFrame, UserStatus, UserStatusType};
use std::time::{Duration, Instant};

impl Worker {
    /// Flushes what waits to be sent, then reads and handles up to [`FRAMES_PER_PASS`] frames;
    /// `more_to_read` says whether frames may be left.
    pub(super) fn pump_socket(&mut self) {
        if let Some(c) = self.link.conn() {
            if c.flush().is_err() {
                return self.connection_lost(None);
            }
        }
        self.more_to_read = false;
        let mut handled = 0;
        while let Some(c) = self.link.conn() {
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
                if let Some(pending) = self.requests.take(id) {
                    self.complete(pending, code, &desc, data);
                }
            }
            ServerFrame::StatusChanged { statuses } => {
                // The server told the own account's ONLINE itself (it came back from OFFLINE):
                // that is the host's one ONLINE.
                let own = self.own_id();
                if statuses.iter().any(|s| {
                    s.user_status_status_type == UserStatusType::Online
                        && s.user_status_identifier == own
                }) {
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
            Pending::Login if code == code::SUCC => self.login_accepted(data),
            Pending::Login => self.login_failed(code, desc),
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

    /// The login answer's heartbeat timeout, server time and limits, then Online.
    fn login_accepted(&mut self, data: Option<serde_json::Value>) {
        let info = data.and_then(|d| serde_json::from_value::<LoginReply>(d).ok());
        let timeout_ms = info
            .as_ref()
            .map_or(400_000, |i| i.heartbeat_timeout_s.saturating_mul(1000))
            .max(300);
        self.heartbeat_every = Duration::from_millis(timeout_ms / 3).min(MAX_HEARTBEAT_EVERY);
        self.heartbeat_wait = Duration::from_millis(timeout_ms.saturating_mul(2) / 3)
            .min(self.inst.config.request_timeout);
        if let Some(i) = info {
            self.set_server_time(i.server_time);
            let limits = i.limits.unwrap_or_default();
            self.inst.update_view(|v| v.limits = limits);
        }
        self.logged_in(Instant::now() + self.heartbeat_every);
    }

    // ---- the own status across a lost connection --------------------------------------------

    pub(super) fn own_id(&self) -> String {
        self.session
            .as_ref()
            .map(|s| s.user_id.clone())
            .unwrap_or_default()
    }

    /// Once per lost connection of a logged-in session: the server clears the custom status of
    /// an account that goes offline, and so does Tencent's SDK when it notices it is offline.
    pub(super) fn tell_own_offline(&mut self) {
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
    pub(super) fn tell_own_online(&mut self, code: i32, data: Option<serde_json::Value>) {
        if !self.told_own_offline || !matches!(self.link, Link::Online { .. }) {
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
}

/// The query result in Tencent's form: every status with its four keys, in Tencent's order.
fn status_array_json(data: Option<serde_json::Value>) -> String {
    let statuses: Vec<UserStatus> = data
        .and_then(|d| serde_json::from_value(d).ok())
        .unwrap_or_default();
    serde_json::to_string(&statuses).unwrap_or_else(|_| "[]".into())
}
