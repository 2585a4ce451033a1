//! The request table: every request sent over the current connection and not answered yet,
//! with the deadline at which it is given up.

use crate::dispatch::Reply;
use std::collections::HashMap;
use std::time::Instant;

/// What a reply completes.
pub enum Pending {
    /// A host call: its reply is the host's callback.
    Call {
        reply: Reply,
        op: Op,
    },
    /// The login over a new connection. The host's `TIMLogin`, when it waits for it, is in
    /// [`super::link::Link::LoggingIn`].
    Login,
    Logout {
        reply: Reply,
    },
    Heartbeat,
    /// The own status asked for after a reconnect, to tell the host it is ONLINE again.
    OwnStatus,
}

impl Pending {
    /// The host callback this request answers, if any.
    pub fn host_reply(&self) -> Option<Reply> {
        match self {
            Pending::Call { reply, .. } | Pending::Logout { reply } => Some(*reply),
            Pending::Login | Pending::Heartbeat | Pending::OwnStatus => None,
        }
    }
}

/// What a call's reply carries to the host.
pub enum Op {
    /// Only the code (`json_params` "").
    Ack,
    /// The status array of a query.
    Query,
}

pub struct Requests {
    table: HashMap<u64, (Pending, Instant)>,
    next_id: u64,
}

impl Requests {
    pub fn new() -> Requests {
        Requests {
            table: HashMap::new(),
            next_id: 1,
        }
    }

    /// Remembers a request until `deadline`; returns its id.
    pub fn add(&mut self, pending: Pending, deadline: Instant) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.table.insert(id, (pending, deadline));
        id
    }

    /// The request a reply answers (none for an unknown or already expired id).
    pub fn take(&mut self, id: u64) -> Option<Pending> {
        self.table.remove(&id).map(|(p, _)| p)
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.table.values().map(|(_, d)| *d).min()
    }

    /// The requests whose deadline passed, removed, in the order they were sent.
    pub fn take_expired(&mut self, now: Instant) -> Vec<Pending> {
        let mut ids: Vec<u64> = self
            .table
            .iter()
            .filter(|(_, (_, d))| *d <= now)
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        ids.into_iter().filter_map(|id| self.take(id)).collect()
    }

    /// Every request, removed, in the order they were sent.
    pub fn take_all(&mut self) -> Vec<Pending> {
        let mut all: Vec<(u64, Pending)> = self.table.drain().map(|(id, (p, _))| (id, p)).collect();
        all.sort_by_key(|(id, _)| *id);
        all.into_iter().map(|(_, p)| p).collect()
    }
}
