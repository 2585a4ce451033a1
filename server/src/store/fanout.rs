//! Delivery to sessions: each session has a bounded outbound queue of shared frames and a control
//! slot through which the store ends it (kick, replacement, slow consumer).

use super::lock;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, Notify};

/// An encoded text frame. Cloning shares the bytes: a status change is encoded once for all recipients.
pub type Frame = axum::extract::ws::Utf8Bytes;

/// Why the store ends a session from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// Another login on the same platform took its place (6208, close 4001).
    Kicked,
    /// A re-login with the same instance id took its place (close 1000, no push).
    Replaced,
    /// Its outbound queue overflowed (close 4003).
    SlowConsumer,
}

/// The store's side of a session's control channel; the session task waits on it.
#[derive(Debug, Default)]
pub struct SessionCtl {
    end: Mutex<Option<EndReason>>,
    notify: Notify,
}

impl SessionCtl {
    /// Asks the session to end; the first reason wins.
    pub fn end(&self, reason: EndReason) {
        let mut end = lock(&self.end);
        if end.is_none() {
            *end = Some(reason);
            self.notify.notify_one();
        }
    }

    /// Waits until [`SessionCtl::end`] was called and returns the reason.
    pub async fn ended(&self) -> EndReason {
        loop {
            if let Some(r) = *lock(&self.end) {
                return r;
            }
            self.notify.notified().await;
        }
    }
}

/// What the store keeps to reach one session.
#[derive(Debug, Clone)]
pub struct SessionLink {
    pub sid: u64,
    pub tx: mpsc::Sender<Frame>,
    pub ctl: Arc<SessionCtl>,
}

impl SessionLink {
    /// Queues a frame without waiting; a full queue ends the session as a slow consumer.
    pub fn deliver(&self, frame: &Frame) {
        match self.tx.try_send(frame.clone()) {
            Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => {}
            Err(mpsc::error::TrySendError::Full(_)) => self.ctl.end(EndReason::SlowConsumer),
        }
    }
}
