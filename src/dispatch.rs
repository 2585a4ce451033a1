//! Runs callbacks: on one SDK callback thread, or on the host's thread through
//! `TIMDispatchCallbacks` (manual dispatch). Callbacks run in the order the events were posted and
//! never while a library lock is held, so a callback may call any export.

use crate::listeners;
use crate::types::TIMNetworkStatus;
use imsdk_protocol::UserStatus;
use parking_lot::{Condvar, Mutex, MutexGuard};
use std::collections::{HashMap, VecDeque};
use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;
use std::thread::{self, JoinHandle, ThreadId};

pub use crate::listeners::UserData;

pub type CommFn = unsafe extern "C" fn(i32, *const c_char, *const c_char, *const c_void);

/// Where the result of one asynchronous call goes (`cb` NULL: nowhere).
#[derive(Debug, Clone, Copy)]
pub struct Reply {
    pub cb: Option<CommFn>,
    pub user_data: UserData,
}

impl Reply {
    /// The same callback and user data.
    pub fn same(&self, other: &Reply) -> bool {
        self.cb.map(|f| f as usize) == other.cb.map(|f| f as usize)
            && self.user_data.0 == other.user_data.0
    }
}

/// Something to tell the host.
pub enum Event {
    Result {
        reply: Reply,
        code: i32,
        desc: CString,
        json: CString,
    },
    Network {
        status: TIMNetworkStatus,
        code: i32,
        desc: CString,
    },
    KickedOffline,
    UserSigExpired,
    /// Serialised when it runs: queued changes of one user collapse into the latest.
    StatusChanged {
        statuses: Vec<UserStatus>,
    },
}

impl Event {
    pub fn result(reply: Reply, code: i32, desc: &str, json: &str) -> Event {
        Event::Result {
            reply,
            code,
            desc: c_string(desc),
            json: c_string(json),
        }
    }

    pub fn network(status: TIMNetworkStatus, code: i32, desc: &str) -> Event {
        Event::Network {
            status,
            code,
            desc: c_string(desc),
        }
    }

    /// Calls the host; `false` when there was nobody to call. Listener callbacks are looked up
    /// now, so a listener changed or removed before this point is honoured.
    fn run(self) -> bool {
        // SAFETY (all calls): the function pointers come from the host, which promises they are
        // valid C functions of these signatures; the strings live until the end of this call.
        match self {
            Event::Result {
                reply,
                code,
                desc,
                json,
            } => reply
                .cb
                // SAFETY: a C function the host registered with this signature; its arguments outlive the call.
                .map(|cb| unsafe { cb(code, desc.as_ptr(), json.as_ptr(), reply.user_data.0) }),
            Event::Network { status, code, desc } => listeners::network()
                // SAFETY: a C function the host registered with this signature; its arguments outlive the call.
                .map(|(cb, ud)| unsafe { cb(status, code, desc.as_ptr(), ud.0) }),
            // SAFETY: a C function the host registered with this signature; its arguments outlive the call.
            Event::KickedOffline => listeners::kicked_offline().map(|(cb, ud)| unsafe { cb(ud.0) }),
            Event::UserSigExpired => {
                // SAFETY: a C function the host registered with this signature; its arguments outlive the call.
                listeners::user_sig_expired().map(|(cb, ud)| unsafe { cb(ud.0) })
            }
            Event::StatusChanged { statuses } => {
                listeners::user_status_changed().map(|(cb, ud)| {
                    let json = serde_json::to_string(&statuses).unwrap_or_else(|_| "[]".into());
                    let json = c_string(&json);
                    // SAFETY: a C function the host registered with this signature; its arguments outlive the call.
                    unsafe { cb(json.as_ptr(), ud.0) }
                })
            }
        }
        .is_some()
    }
}

/// A C string from text that never holds NUL (JSON, our own messages); a stray NUL is dropped.
pub fn c_string(s: &str) -> CString {
    CString::new(s).unwrap_or_else(|_| CString::new(s.replace('\0', "")).unwrap_or_default())
}

/// Users with a queued status change, at most: beyond, changes of further users are dropped (a
/// hostile server inventing ids); a followed user's latest change always has its place.
pub(crate) const MAX_QUEUED_STATUS_USERS: usize = 4096;

/// Events waiting on the callback thread beyond which status changes collapse (the host's
/// callbacks do not keep up). Below it every change is delivered.
pub(crate) const COLLAPSE_AFTER_ON_THREAD: usize = 256;

/// The callback queue. Bounded: status changes of one user collapse into the latest (a host
/// that does not pump for a while gets one callback per user, not a backlog), at most
/// [`MAX_QUEUED_STATUS_USERS`] users; results and the other events are never dropped (one per
/// accepted call, or per connection step). Collapsing starts once `collapse_after` events wait:
/// at once with manual dispatch (the host pumps at its own pace and needs the latest), after
/// [`COLLAPSE_AFTER_ON_THREAD`] on the callback thread.
#[derive(Default)]
struct Queue {
    collapse_after: usize,
    /// Events in posting order, each with its sequence number.
    events: VecDeque<(u64, Event)>,
    next_seq: u64,
    /// User id → sequence number of the queued event holding that user's latest change.
    latest: HashMap<String, u64>,
    /// Queued status events emptied by a later change (skipped when they come up).
    emptied: usize,
    closed: bool,
}

impl Queue {
    fn push(&mut self, event: Event) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let event = match event {
            Event::StatusChanged { statuses } => {
                let statuses = self.collapse(seq, statuses);
                if statuses.is_empty() {
                    return;
                }
                Event::StatusChanged { statuses }
            }
            other => other,
        };
        self.events.push_back((seq, event));
    }

    /// Takes the users of `statuses` out of the events queued before (their change is stale),
    /// and returns what event `seq` carries.
    fn collapse(&mut self, seq: u64, statuses: Vec<UserStatus>) -> Vec<UserStatus> {
        let collapsing = self.events.len() >= self.collapse_after;
        let mut keep: Vec<UserStatus> = Vec::with_capacity(statuses.len());
        for status in statuses {
            let id = &status.user_status_identifier;
            match self.latest.get(id).copied() {
                Some(old) if old == seq => keep.retain(|k| &k.user_status_identifier != id),
                Some(old) if collapsing => self.forget(old, id),
                Some(_) => {}
                None if collapsing && self.latest.len() >= MAX_QUEUED_STATUS_USERS => continue,
                None => {}
            }
            self.latest.insert(id.clone(), seq);
            keep.push(status);
        }
        if self.emptied > 64 && self.emptied * 2 > self.events.len() {
            self.events.retain(
                |(_, e)| !matches!(e, Event::StatusChanged { statuses } if statuses.is_empty()),
            );
            self.emptied = 0;
        }
        keep
    }

    /// Removes `id` from queued event `seq`.
    fn forget(&mut self, seq: u64, id: &str) {
        let Ok(i) = self.events.binary_search_by_key(&seq, |(s, _)| *s) else {
            return;
        };
        if let (_, Event::StatusChanged { statuses }) = &mut self.events[i] {
            statuses.retain(|s| s.user_status_identifier != id);
            if statuses.is_empty() {
                self.emptied += 1;
            }
        }
    }

    /// The next event posted before `before` (sequence number), skipping emptied ones.
    fn pop(&mut self, before: u64) -> Option<Event> {
        loop {
            if self.events.front().map_or(true, |(seq, _)| *seq >= before) {
                return None;
            }
            let (seq, event) = self.events.pop_front()?;
            if let Event::StatusChanged { statuses } = &event {
                if statuses.is_empty() {
                    self.emptied -= 1;
                    continue;
                }
                for s in statuses {
                    if self.latest.get(&s.user_status_identifier) == Some(&seq) {
                        self.latest.remove(&s.user_status_identifier);
                    }
                }
            }
            return Some(event);
        }
    }
}

#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock()
    }

    fn pop(&self) -> Option<Event> {
        self.lock().pop(u64::MAX)
    }
}

pub struct Dispatcher {
    shared: Arc<Shared>,
    manual: bool,
    thread: Mutex<Option<(ThreadId, JoinHandle<()>)>>,
}

impl Dispatcher {
    /// With `manual`, events wait for [`Dispatcher::pump`]; otherwise a callback thread runs them.
    pub fn new(manual: bool) -> std::io::Result<Dispatcher> {
        let shared = Arc::new(Shared::default());
        shared.lock().collapse_after = if manual { 0 } else { COLLAPSE_AFTER_ON_THREAD };
        let thread = if manual {
            None
        } else {
            let s = shared.clone();
            let handle = thread::Builder::new()
                .name("imsdk-callbacks".into())
                .spawn(move || callback_thread(&s))?;
            Some((handle.thread().id(), handle))
        };
        Ok(Dispatcher {
            shared,
            manual,
            thread: Mutex::new(thread),
        })
    }

    /// Queues an event; `false` (the event dropped) once the dispatcher is closed.
    pub fn post(&self, event: Event) -> bool {
        let mut q = self.shared.lock();
        if q.closed {
            return false;
        }
        q.push(event);
        self.shared.ready.notify_one();
        true
    }

    /// Manual dispatch: runs the events queued so far on the calling thread and returns how many
    /// host callbacks ran. 0 without manual dispatch (the callback thread owns the queue).
    pub fn pump(&self) -> usize {
        if !self.manual {
            return 0;
        }
        let before = self.shared.lock().next_seq;
        let mut ran = 0;
        loop {
            // Popped under the lock, run without it.
            let Some(event) = self.shared.lock().pop(before) else {
                break;
            };
            ran += usize::from(event.run());
        }
        ran
    }

    /// Runs every queued event, then stops: no callback runs after this returns. Safe to call
    /// from a callback (the callback thread is then not joined; it exits by itself).
    pub fn close(&self) {
        let thread = self.thread.lock().take();
        {
            // Let the callback thread finish the queue, then exit.
            self.shared.lock().closed = true;
            self.shared.ready.notify_all();
        }
        if let Some((id, handle)) = thread {
            if id != thread::current().id() {
                let _ = handle.join();
            }
        }
        while let Some(event) = self.shared.pop() {
            event.run();
        }
    }
}

fn callback_thread(shared: &Shared) {
    loop {
        let event = {
            let mut q = shared.lock();
            loop {
                if let Some(e) = q.pop(u64::MAX) {
                    break e;
                }
                if q.closed {
                    return;
                }
                shared.ready.wait(&mut q);
            }
        };
        event.run();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use imsdk_protocol::UserStatusType;

    fn change(id: &str, custom: &str) -> Event {
        Event::StatusChanged {
            statuses: vec![UserStatus {
                user_status_identifier: id.into(),
                user_status_status_type: UserStatusType::Online,
                user_status_custom_status: custom.into(),
                user_status_online_devices: vec![],
            }],
        }
    }

    fn drain(q: &mut Queue) -> Vec<String> {
        std::iter::from_fn(|| q.pop(u64::MAX))
            .map(|e| match e {
                Event::StatusChanged { statuses } => statuses
                    .iter()
                    .map(|s| {
                        format!(
                            "{}={}",
                            s.user_status_identifier, s.user_status_custom_status
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                Event::Result { code, .. } => format!("result {code}"),
                _ => "other".into(),
            })
            .collect()
    }

    #[test]
    fn changes_of_one_user_collapse_into_the_latest_and_results_stay() {
        let mut q = Queue::default();
        let reply = Reply {
            cb: None,
            user_data: UserData(std::ptr::null()),
        };
        q.push(change("bob", "1"));
        q.push(Event::result(reply, 7, "", ""));
        for i in 2..10_000 {
            q.push(change("bob", &i.to_string()));
            q.push(change("carol", &i.to_string()));
        }
        assert!(q.events.len() < 200, "{} queued", q.events.len());
        assert_eq!(drain(&mut q), ["result 7", "bob=9999", "carol=9999"]);
        assert!(q.latest.is_empty());
        // Bounded in users too.
        for i in 0..MAX_QUEUED_STATUS_USERS + 10 {
            q.push(change(&format!("u{i}"), ""));
        }
        assert_eq!(q.latest.len(), MAX_QUEUED_STATUS_USERS);
        assert_eq!(drain(&mut q).len(), MAX_QUEUED_STATUS_USERS);
    }

    #[test]
    fn on_the_callback_thread_changes_collapse_only_behind_a_backlog() {
        let mut q = Queue {
            collapse_after: 4,
            ..Queue::default()
        };
        for i in 0..3 {
            q.push(change("bob", &i.to_string()));
        }
        assert_eq!(drain(&mut q), ["bob=0", "bob=1", "bob=2"], "every change");
        for i in 0..100 {
            q.push(change("bob", &i.to_string()));
        }
        // Queued before the backlog, then the latest in place of the 4th and every later one.
        assert_eq!(q.events.len() - q.emptied, 4);
        assert_eq!(drain(&mut q), ["bob=0", "bob=1", "bob=2", "bob=99"]);
    }
}
