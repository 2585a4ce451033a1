//! The node-local hub: this process's sessions by account, the only ones it delivers to. Both
//! stores use it: the embedded store delivers a change to its recipients here directly, a cluster
//! node delivers here what it hears from Redis.

use super::fanout::{Frame, SessionLink, StatusPush};
use super::SessionEnd;
use dashmap::DashMap;

/// One session of this node.
pub struct HubSession {
    pub link: SessionLink,
    pub platform: String,
    pub instance_id: String,
}

#[derive(Default)]
pub struct Hub {
    sessions: DashMap<String, Vec<HubSession>>,
}

impl Hub {
    pub fn add(&self, user: &str, session: HubSession) {
        self.sessions
            .entry(user.to_owned())
            .or_default()
            .push(session);
    }

    /// Removes one session; None if it was not (or no longer) here.
    pub fn remove(&self, user: &str, sid: u64) -> Option<HubSession> {
        let mut entry = self.sessions.get_mut(user)?;
        let pos = entry.iter().position(|s| s.link.sid == sid)?;
        let gone = entry.remove(pos);
        let empty = entry.is_empty();
        drop(entry);
        if empty {
            self.sessions.remove_if(user, |_, v| v.is_empty());
        }
        Some(gone)
    }

    /// Removes a session displaced by another login and tells it why.
    pub fn end(&self, user: &str, sid: u64, reason: SessionEnd) {
        if let Some(gone) = self.remove(user, sid) {
            gone.link.ctl.end(reason);
        }
    }

    /// Queues a status change to this node's sessions of `user`; returns how many.
    pub fn deliver(&self, user: &str, push: &StatusPush) -> u64 {
        let Some(sessions) = self.sessions.get(user) else {
            return 0;
        };
        for s in sessions.iter() {
            s.link.deliver(push);
        }
        sessions.len() as u64
    }

    /// Queues a frame, never coalesced, to this node's sessions of `user`.
    pub fn deliver_frame(&self, user: &str, frame: &Frame) {
        if let Some(sessions) = self.sessions.get(user) {
            for s in sessions.iter() {
                s.link.deliver_frame(frame);
            }
        }
    }

    /// Accounts with a session here.
    pub fn users(&self) -> Vec<String> {
        self.sessions.iter().map(|e| e.key().clone()).collect()
    }

    /// Calls `f(user, session)` for every session here (shard locks held: `f` must not call back).
    pub fn for_each(&self, mut f: impl FnMut(&str, &HubSession)) {
        for entry in self.sessions.iter() {
            for s in entry.value() {
                f(entry.key(), s);
            }
        }
    }
}
