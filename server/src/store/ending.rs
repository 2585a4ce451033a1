//! How a session ended: one vocabulary for the store (which ends sessions from outside), the
//! session task, and the metrics, logs and webhook events that report it.

/// How a logged-in session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// The client logged out (webhook `Logout`).
    LoggedOut,
    /// The connection closed or failed, or the UserSig expired (webhook `Disconnect`,
    /// `LinkClose`).
    LinkClosed,
    /// No frame within the heartbeat timeout (webhook `Disconnect`, `TimeOut`).
    TimedOut,
    /// Its outbox passed its entry cap or byte budget, or its socket made no progress for the
    /// slow-consumer timeout (close 4003; counted as a queue drop; webhook `LinkClose`).
    SlowConsumer,
    /// Another login on the same platform took its place (6208, close 4001; no event: the new
    /// login is one).
    Kicked,
    /// A re-login with the same instance id took its place (close 1000, no push, no event).
    Replaced,
    /// The store removed it without a reason of its own (its outbox closed; no event).
    Displaced,
    /// The server shut down (close 1001): the store keeps no state across a stop; webhook
    /// `LinkClose`.
    Shutdown,
}

impl SessionEnd {
    /// Whether the session is still registered with the store when it ends this way: then its
    /// end makes the account OFFLINE. A logout, a kick or a replacement removed it already; a
    /// shutdown leaves the store as it is.
    pub fn lost(self) -> bool {
        matches!(
            self,
            SessionEnd::LinkClosed | SessionEnd::TimedOut | SessionEnd::SlowConsumer
        )
    }
}
