//! Runs callbacks: on one SDK callback thread, or on the host's thread through
//! `TIMDispatchCallbacks` (manual dispatch). Callbacks run in the order the events were posted and
//! never while a library lock is held, so a callback may call any export.

use crate::ffi::types::TIMNetworkStatus;
use crate::listeners;
use imsdk_protocol::UserStatus;
use std::collections::VecDeque;
use std::ffi::{c_char, c_void, CString};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle, ThreadId};

/// The caller's `const void* user_data`, handed back untouched on the callback thread.
#[derive(Debug, Clone, Copy)]
pub struct UserData(pub *const c_void);
// SAFETY: the library never dereferences it; it only hands it back to the caller's callback.
unsafe impl Send for UserData {}

pub type CommFn = unsafe extern "C" fn(i32, *const c_char, *const c_char, *const c_void);

/// Where the result of one asynchronous call goes (`cb` NULL: nowhere).
#[derive(Debug, Clone, Copy)]
pub struct Reply {
    pub cb: Option<CommFn>,
    pub user_data: UserData,
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
                .map(|cb| unsafe { cb(code, desc.as_ptr(), json.as_ptr(), reply.user_data.0) }),
            Event::Network { status, code, desc } => listeners::network()
                .map(|(cb, ud)| unsafe { cb(status, code, desc.as_ptr(), ud.0) }),
            Event::KickedOffline => listeners::kicked_offline().map(|(cb, ud)| unsafe { cb(ud.0) }),
            Event::UserSigExpired => {
                listeners::user_sig_expired().map(|(cb, ud)| unsafe { cb(ud.0) })
            }
            Event::StatusChanged { statuses } => {
                listeners::user_status_changed().map(|(cb, ud)| {
                    let json = serde_json::to_string(&statuses).unwrap_or_else(|_| "[]".into());
                    let json = c_string(&json);
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

#[derive(Default)]
struct Queue {
    events: VecDeque<Event>,
    closed: bool,
}

#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn pop(&self) -> Option<Event> {
        self.lock().events.pop_front()
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
        q.events.push_back(event);
        self.shared.ready.notify_one();
        true
    }

    /// Manual dispatch: runs the events queued so far on the calling thread and returns how many
    /// host callbacks ran. 0 without manual dispatch (the callback thread owns the queue).
    pub fn pump(&self) -> usize {
        if !self.manual {
            return 0;
        }
        let queued = self.shared.lock().events.len();
        let mut ran = 0;
        for _ in 0..queued {
            let Some(event) = self.shared.pop() else {
                break;
            };
            ran += usize::from(event.run());
        }
        ran
    }

    /// Runs every queued event, then stops: no callback runs after this returns. Safe to call
    /// from a callback (the callback thread is then not joined; it exits by itself).
    pub fn close(&self) {
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
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
                if let Some(e) = q.events.pop_front() {
                    break e;
                }
                if q.closed {
                    return;
                }
                q = shared.ready.wait(q).unwrap_or_else(PoisonError::into_inner);
            }
        };
        event.run();
    }
}
