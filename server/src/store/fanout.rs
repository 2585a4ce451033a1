//! Delivery to sessions: each session has an outbox of pending pushes, keyed by user for status
//! changes (a newer status replaces the pending one), and a control slot through which the store
//! ends it (kick, replacement, slow consumer).

use super::lock;
use super::SessionEnd;
use imsdk_protocol::UserStatus;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use tokio::sync::Notify;

/// An encoded text frame. Cloning shares the bytes: a status change is encoded once for all recipients.
pub type Frame = axum::extract::ws::Utf8Bytes;

/// The store's side of a session's control channel; the session task waits on it.
#[derive(Debug, Default)]
pub struct SessionCtl {
    end: Mutex<Option<SessionEnd>>,
    notify: Notify,
}

impl SessionCtl {
    /// Asks the session to end (the store: [`SessionEnd::Kicked`], [`SessionEnd::Replaced`] or
    /// [`SessionEnd::SlowConsumer`]); the first reason wins.
    pub fn end(&self, reason: SessionEnd) {
        let mut end = lock(&self.end);
        if end.is_none() {
            *end = Some(reason);
            self.notify.notify_one();
        }
    }

    /// Waits until [`SessionCtl::end`] was called and returns the reason.
    pub async fn ended(&self) -> SessionEnd {
        loop {
            if let Some(r) = *lock(&self.end) {
                return r;
            }
            self.notify.notified().await;
        }
    }
}

/// What the store keeps to reach one session. One per session: dropping it (the store removed the
/// session) closes the outbox, which the session's writer sees.
#[derive(Debug)]
pub struct SessionLink {
    pub sid: u64,
    pub outbox: Arc<Outbox>,
    pub ctl: Arc<SessionCtl>,
}

impl SessionLink {
    /// Queues a status change without waiting; an outbox over its limits ends the session as a
    /// slow consumer.
    pub fn deliver(&self, push: &StatusPush) {
        if self.outbox.push(Item::Status(push.clone())).is_err() {
            self.ctl.end(SessionEnd::SlowConsumer);
        }
    }

    /// Queues a frame that is never coalesced nor dropped (several statuses at once, e.g. a
    /// cluster node's catch-up).
    pub fn deliver_frame(&self, frame: &Frame) {
        if self.outbox.push(Item::Frame(frame.clone())).is_err() {
            self.ctl.end(SessionEnd::SlowConsumer);
        }
    }
}

impl Drop for SessionLink {
    fn drop(&mut self) {
        self.outbox.close();
    }
}

/// The start and end of a `status_changed` frame around its statuses.
const PREFIX: &str = r#"{"op":"status_changed","statuses":["#;
const SUFFIX: &str = "]}";

/// One user's status change, encoded once as a whole `status_changed` frame and shared by every
/// recipient (cloning shares it).
#[derive(Debug, Clone)]
pub struct StatusPush(Arc<Encoded>);

#[derive(Debug)]
struct Encoded {
    user: Arc<str>,
    frame: Frame,
}

impl StatusPush {
    pub fn new(status: &UserStatus) -> StatusPush {
        let one = serde_json::to_string(status).unwrap_or_default();
        let frame = format!("{PREFIX}{one}{SUFFIX}");
        StatusPush(Arc::new(Encoded {
            user: Arc::from(status.user_status_identifier.as_str()),
            frame: Frame::from(frame),
        }))
    }

    /// The single-status frame, shared.
    pub fn frame(&self) -> &Frame {
        &self.0.frame
    }

    /// The status object alone, to join others in one frame.
    fn status_json(&self) -> &str {
        let f = self.0.frame.as_str();
        &f[PREFIX.len()..f.len() - SUFFIX.len()]
    }
}

/// A pending push.
#[derive(Debug, Clone)]
pub enum Item {
    /// The latest pending status of its user: replaced in place by a newer one.
    Status(StatusPush),
    /// Sent as is, in order; statuses queued before it are no longer replaced (a newer status of
    /// the same user goes after it, so that no client ever sees an older status after a newer one).
    Frame(Frame),
}

impl Item {
    fn bytes(&self) -> usize {
        match self {
            Item::Status(s) => s.0.frame.len(),
            Item::Frame(f) => f.len(),
        }
    }
}

/// A session's limits: beyond either, it is cut as a slow consumer.
#[derive(Debug, Clone, Copy)]
pub struct OutboxLimits {
    /// Most pending entries (a backstop: statuses hold one per followed user).
    pub max_entries: usize,
    /// Most pending bytes.
    pub max_bytes: usize,
}

/// Most bytes the writer takes at once: one write's worth (see [`Outbox::next`]).
pub const TAKE_BYTES: usize = 64 * 1024;
/// Most bytes of one coalesced `status_changed` frame.
pub const FRAME_BYTES: usize = 16 * 1024;

/// The pending pushes of one session, filled by the store and drained by the session's writer.
///
/// Order: first in, first out; a newer status of a user already pending **keeps the first one's
/// position** and takes its value. Why the first position: every user's latest status then leaves
/// no later than its first unsent change would have (a user changing continuously cannot be
/// pushed back behind the others for ever), and the replacement is one write in place.
///
/// Cost: a push into an empty outbox is one lock and a shared clone, no hashing; the map by user
/// is only built once a status joins a non-empty outbox (the session is behind), and dropped when
/// the writer empties it.
///
/// Memory: at most one status per followed user (≤ subscriptions + friends + the own account),
/// each an entry of ~40 bytes here plus ~40 in the map, the status bytes themselves being shared
/// with the other recipients; hard caps in [`OutboxLimits`].
#[derive(Debug)]
pub struct Outbox {
    queue: Mutex<Queue>,
    limits: OutboxLimits,
}

#[derive(Debug, Default)]
struct Queue {
    items: VecDeque<Item>,
    /// Sequence number of `items[0]`.
    head: u64,
    /// Replaceable statuses (those after the last [`Item::Frame`]) by user: sequence numbers.
    by_user: HashMap<Arc<str>, u64>,
    /// Whether `by_user` is up to date (built lazily).
    indexed: bool,
    bytes: usize,
    waker: Option<Waker>,
    closed: bool,
}

/// The outbox is over its limits.
#[derive(Debug, PartialEq, Eq)]
pub struct Overflow;

impl Outbox {
    pub fn new(limits: OutboxLimits) -> Outbox {
        Outbox {
            queue: Mutex::new(Queue::default()),
            limits,
        }
    }

    /// Adds a push; Err when the outbox is then over its limits.
    pub fn push(&self, item: Item) -> Result<(), Overflow> {
        let mut q = lock(&self.queue);
        if q.closed {
            return Ok(());
        }
        let was_empty = q.items.is_empty();
        q.bytes += item.bytes();
        match item {
            Item::Status(s) if !was_empty => q.coalesce(s),
            Item::Status(s) => {
                q.items.push_back(Item::Status(s));
                q.indexed = false;
            }
            Item::Frame(f) => {
                q.items.push_back(Item::Frame(f));
                q.by_user.clear();
                q.indexed = true;
            }
        }
        let over = q.items.len() > self.limits.max_entries || q.bytes > self.limits.max_bytes;
        let waker = if was_empty { q.waker.take() } else { None };
        drop(q);
        if let Some(w) = waker {
            w.wake();
        }
        if over {
            Err(Overflow)
        } else {
            Ok(())
        }
    }

    /// No more pushes: the session is over (the store dropped it, or the session ended), the
    /// writer sees it at once and later pushes are ignored.
    pub fn close(&self) {
        let mut q = lock(&self.queue);
        q.closed = true;
        let waker = q.waker.take();
        drop(q);
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Waits for pending pushes and moves them into `out` in order (at least one, at most about
    /// [`TAKE_BYTES`]); false once the store dropped the session. Cancel-safe: nothing is taken
    /// unless it returns.
    pub async fn next(&self, out: &mut Vec<Item>) -> bool {
        std::future::poll_fn(|cx| {
            let mut q = lock(&self.queue);
            if q.closed {
                return Poll::Ready(false);
            }
            if q.items.is_empty() {
                if !q.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    q.waker = Some(cx.waker().clone());
                }
                return Poll::Pending;
            }
            q.take(out, TAKE_BYTES);
            Poll::Ready(true)
        })
        .await
    }

    /// Moves what is pending now into `out` (as [`Outbox::next`], without waiting; nothing once
    /// the outbox is closed).
    pub fn take_pending(&self, out: &mut Vec<Item>) {
        let mut q = lock(&self.queue);
        if !q.closed && !q.items.is_empty() {
            q.take(out, TAKE_BYTES);
        }
    }

    /// Entries pending now.
    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.queue).items.len()
    }
}

impl Queue {
    /// A status joins a non-empty queue: replaces its user's pending one, or goes last.
    fn coalesce(&mut self, s: StatusPush) {
        if !self.indexed {
            self.index();
        }
        let seq = self.head + self.items.len() as u64;
        match self.by_user.get(&s.0.user) {
            Some(&at) => {
                let slot = &mut self.items[(at - self.head) as usize];
                self.bytes -= slot.bytes();
                *slot = Item::Status(s);
            }
            None => {
                self.by_user.insert(Arc::clone(&s.0.user), seq);
                self.items.push_back(Item::Status(s));
            }
        }
    }

    /// Builds the map of replaceable statuses: those after the last frame.
    fn index(&mut self) {
        self.by_user.clear();
        for (i, item) in self.items.iter().enumerate().rev() {
            match item {
                Item::Status(s) => {
                    self.by_user
                        .entry(Arc::clone(&s.0.user))
                        .or_insert(self.head + i as u64);
                }
                Item::Frame(_) => break,
            }
        }
        self.indexed = true;
    }

    /// Moves pending items into `out`: at least one, then while under `budget` bytes.
    fn take(&mut self, out: &mut Vec<Item>, budget: usize) {
        let mut taken = 0;
        while let Some(item) = self.items.front() {
            let n = item.bytes();
            if taken > 0 && taken + n > budget {
                break;
            }
            taken += n;
            out.extend(self.items.pop_front());
            self.head += 1;
        }
        self.bytes -= taken;
        // Rebuilt when needed; an emptied map gives its memory back if it grew.
        self.indexed = false;
        if self.by_user.capacity() > 64 {
            self.by_user = HashMap::new();
        } else {
            self.by_user.clear();
        }
    }
}

/// Turns taken items into frames: each run of statuses becomes one `status_changed` frame (up to
/// [`FRAME_BYTES`]); a lone status goes out as its shared frame, encoded once for everyone.
/// Returns the frames and the number of statuses they carry.
pub fn frames(items: &mut Vec<Item>, out: &mut Vec<Frame>) -> usize {
    let mut statuses = 0;
    let mut run: Vec<StatusPush> = Vec::new();
    let flush = |run: &mut Vec<StatusPush>, out: &mut Vec<Frame>| match run.len() {
        0 => {}
        1 => out.extend(run.pop().map(|s| s.0.frame.clone())),
        _ => {
            let len = run.iter().map(|s| s.status_json().len() + 1).sum::<usize>();
            let mut text = String::with_capacity(PREFIX.len() + len + SUFFIX.len());
            text.push_str(PREFIX);
            for (i, s) in run.drain(..).enumerate() {
                if i > 0 {
                    text.push(',');
                }
                text.push_str(s.status_json());
            }
            text.push_str(SUFFIX);
            out.push(Frame::from(text));
        }
    };
    let mut run_bytes = 0;
    for item in items.drain(..) {
        match item {
            Item::Status(s) => {
                statuses += 1;
                let n = s.status_json().len() + 1;
                if !run.is_empty() && run_bytes + n > FRAME_BYTES {
                    flush(&mut run, out);
                    run_bytes = 0;
                }
                run_bytes += n;
                run.push(s);
            }
            Item::Frame(f) => {
                flush(&mut run, out);
                run_bytes = 0;
                out.push(f);
            }
        }
    }
    flush(&mut run, out);
    statuses
}

#[cfg(test)]
mod tests {
    use super::*;
    use imsdk_protocol::{encode, ServerFrame, UserStatusType};

    fn status(user: &str, custom: &str) -> UserStatus {
        UserStatus {
            user_status_identifier: user.into(),
            user_status_status_type: UserStatusType::Online,
            user_status_custom_status: custom.into(),
            user_status_online_devices: vec!["Linux".into()],
        }
    }

    fn push(user: &str, custom: &str) -> Item {
        Item::Status(StatusPush::new(&status(user, custom)))
    }

    fn outbox() -> Outbox {
        Outbox::new(OutboxLimits {
            max_entries: 1000,
            max_bytes: 1 << 20,
        })
    }

    /// Takes everything pending now, as the statuses of each frame sent.
    fn drain(o: &Outbox) -> Vec<Vec<(String, String)>> {
        let mut items = Vec::new();
        let mut q = lock(&o.queue);
        while !q.items.is_empty() {
            q.take(&mut items, usize::MAX);
        }
        drop(q);
        let mut out = Vec::new();
        frames(&mut items, &mut out);
        out.iter()
            .map(|f| match serde_json::from_str::<ServerFrame>(f.as_str()) {
                Ok(ServerFrame::StatusChanged { statuses }) => statuses
                    .into_iter()
                    .map(|s| (s.user_status_identifier, s.user_status_custom_status))
                    .collect(),
                other => panic!("not a status_changed frame: {other:?}"),
            })
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(u, c)| (u.to_string(), c.to_string()))
            .collect()
    }

    #[test]
    fn a_push_is_the_protocols_own_encoding_and_shared() {
        let s = status("alice", "hi \"there\"");
        let p = StatusPush::new(&s);
        let expected = encode(&ServerFrame::StatusChanged {
            statuses: vec![s.clone()],
        });
        assert_eq!(p.frame().as_str(), expected);
        // A lone pending status leaves as the very bytes encoded once.
        let o = outbox();
        o.push(Item::Status(p.clone())).unwrap();
        let mut items = Vec::new();
        lock(&o.queue).take(&mut items, TAKE_BYTES);
        let mut out = Vec::new();
        assert_eq!(frames(&mut items, &mut out), 1);
        assert_eq!(out[0].as_str().as_ptr(), p.frame().as_str().as_ptr());
    }

    #[test]
    fn newer_status_replaces_the_pending_one_in_its_first_position() {
        let o = outbox();
        o.push(push("a", "1")).unwrap();
        o.push(push("b", "1")).unwrap();
        o.push(push("a", "2")).unwrap();
        o.push(push("c", "1")).unwrap();
        o.push(push("a", "3")).unwrap();
        o.push(push("b", "2")).unwrap();
        assert_eq!(o.len(), 3);
        assert_eq!(
            drain(&o),
            vec![pairs(&[("a", "3"), ("b", "2"), ("c", "1")])]
        );
        assert_eq!(o.len(), 0);
        assert_eq!(lock(&o.queue).bytes, 0);
    }

    #[test]
    fn pending_entries_are_bounded_by_the_users_followed() {
        let o = outbox();
        for i in 0..10_000 {
            o.push(push(&format!("u{}", i % 200), &i.to_string()))
                .unwrap();
        }
        assert_eq!(o.len(), 200);
        let sent = drain(&o);
        let all: Vec<_> = sent.into_iter().flatten().collect();
        assert_eq!(all.len(), 200);
        for (k, (user, custom)) in all.iter().enumerate() {
            assert_eq!(user, &format!("u{k}"));
            assert_eq!(custom, &(9_800 + k).to_string(), "the latest of {user}");
        }
    }

    #[test]
    fn frames_are_never_coalesced_and_act_as_barriers() {
        let o = outbox();
        o.push(push("a", "1")).unwrap();
        let other = Frame::from(encode(&ServerFrame::StatusChanged {
            statuses: vec![status("a", "x"), status("b", "x")],
        }));
        o.push(Item::Frame(other.clone())).unwrap();
        o.push(Item::Frame(other)).unwrap();
        o.push(push("a", "2")).unwrap();
        o.push(push("a", "3")).unwrap();
        assert_eq!(
            drain(&o),
            vec![
                pairs(&[("a", "1")]),
                pairs(&[("a", "x"), ("b", "x")]),
                pairs(&[("a", "x"), ("b", "x")]),
                pairs(&[("a", "3")]),
            ]
        );
    }

    #[test]
    fn what_was_taken_is_not_replaced_and_the_rest_still_coalesces() {
        let o = outbox();
        o.push(push("a", "1")).unwrap();
        o.push(push("b", "1")).unwrap();
        let mut items = Vec::new();
        // One item only: "a" is on its way.
        lock(&o.queue).take(&mut items, 1);
        assert_eq!(items.len(), 1);
        o.push(push("a", "2")).unwrap();
        o.push(push("b", "2")).unwrap();
        assert_eq!(drain(&o), vec![pairs(&[("b", "2"), ("a", "2")])]);
    }

    #[test]
    fn big_runs_are_split_into_frames_under_the_size_cap() {
        let o = outbox();
        let pad = "p".repeat(100);
        for i in 0..500 {
            o.push(push(&format!("u{i}"), &pad)).unwrap();
        }
        let mut items = Vec::new();
        lock(&o.queue).take(&mut items, usize::MAX);
        let mut out = Vec::new();
        assert_eq!(frames(&mut items, &mut out), 500);
        assert!(out.len() > 1);
        assert!(out.iter().all(|f| f.len() <= FRAME_BYTES + 64));
    }

    #[test]
    fn a_take_alongside_a_reply_is_bounded_like_a_push_write() {
        let o = outbox();
        let pad = "p".repeat(200);
        for i in 0..1_000 {
            o.push(push(&format!("u{i}"), &pad)).unwrap();
        }
        let mut items = Vec::new();
        o.take_pending(&mut items);
        let taken: usize = items.iter().map(Item::bytes).sum();
        assert!(taken <= TAKE_BYTES, "{taken} bytes taken at once");
        assert!(
            taken > TAKE_BYTES / 2 && o.len() > 0,
            "one write's worth, the rest left"
        );
        let left = o.len();
        o.close();
        items.clear();
        o.take_pending(&mut items);
        assert!(items.is_empty(), "nothing once closed");
        assert_eq!(o.len(), left);
    }

    #[test]
    fn limits_are_reported_and_a_closed_outbox_ends_the_writer() {
        let o = Outbox::new(OutboxLimits {
            max_entries: 2,
            max_bytes: 1 << 20,
        });
        assert!(o.push(push("a", "1")).is_ok());
        assert!(o.push(push("b", "1")).is_ok());
        assert!(o.push(push("a", "2")).is_ok(), "a replacement adds nothing");
        assert_eq!(o.push(push("c", "1")), Err(Overflow));
        let small = Outbox::new(OutboxLimits {
            max_entries: 100,
            max_bytes: 300,
        });
        assert!(small.push(push("a", "1")).is_ok());
        assert_eq!(small.push(push("b", &"x".repeat(300))), Err(Overflow));
        small.close();
        let mut items = Vec::new();
        let ready = futures_util::FutureExt::now_or_never(small.next(&mut items));
        assert_eq!(ready, Some(false));
    }

    #[tokio::test]
    async fn the_writer_wakes_for_a_push() {
        let o = Arc::new(outbox());
        let writer = {
            let o = Arc::clone(&o);
            tokio::spawn(async move {
                let mut items = Vec::new();
                let more = o.next(&mut items).await;
                (more, items.len())
            })
        };
        tokio::task::yield_now().await;
        o.push(push("a", "1")).unwrap();
        assert_eq!(writer.await.unwrap(), (true, 1));
    }
}
