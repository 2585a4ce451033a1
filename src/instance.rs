//! What the SDK instance and its worker share: the host's [`Command`]s, the [`View`] the
//! synchronous getters read, and the [`Instance`] (inbox, waker, dispatcher). `sdk` creates and
//! stops it; the worker takes commands from it and posts results through it.

use crate::config::Config;
use crate::dispatch::{Dispatcher, Event, Reply};
use crate::types::TIMLoginStatus;
use imsdk_protocol::AppLimits;
use parking_lot::{Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{SystemTime, UNIX_EPOCH};

/// A request from the host to the worker.
pub enum Command {
    Login {
        user_id: String,
        user_sig: String,
        reply: Reply,
    },
    Logout {
        reply: Reply,
    },
    SetSelfStatus {
        custom_status: String,
        reply: Reply,
    },
    GetUserStatus {
        user_ids: Vec<String>,
        reply: Reply,
    },
    Subscribe {
        user_ids: Vec<String>,
        reply: Reply,
    },
    /// `None`: every subscription.
    Unsubscribe {
        user_ids: Option<Vec<String>>,
        reply: Reply,
    },
    /// Test-only (`sdk::inject_worker_panic`): the worker panics while handling it.
    InjectPanic {
        reply: Reply,
    },
}

impl Command {
    pub fn reply(&self) -> Reply {
        match self {
            Command::Login { reply, .. }
            | Command::Logout { reply }
            | Command::SetSelfStatus { reply, .. }
            | Command::GetUserStatus { reply, .. }
            | Command::Subscribe { reply, .. }
            | Command::Unsubscribe { reply, .. }
            | Command::InjectPanic { reply } => *reply,
        }
    }
}

/// What the synchronous getters read; written by the worker.
#[derive(Debug, Clone)]
pub struct View {
    pub login_status: TIMLoginStatus,
    pub user_id: String,
    /// Server clock minus local clock, seconds (0 until the first login).
    pub server_time_offset: i64,
    /// What calls are checked against: the server's, announced at login; Tencent's before.
    pub limits: AppLimits,
}

pub struct Instance {
    pub config: Config,
    pub dispatcher: Dispatcher,
    inbox: crossbeam_channel::Sender<Command>,
    commands: crossbeam_channel::Receiver<Command>,
    /// Set by `TIMUninit` (write lock): no command is queued after, the worker fails what is
    /// left with 7009 and exits. Submitters hold the read lock while they queue.
    closed: RwLock<bool>,
    waker: mio::Waker,
    view: Mutex<View>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl Instance {
    /// An open instance whose worker is woken by `waker`; its worker is set with
    /// [`Self::set_worker`].
    pub fn new(config: Config, dispatcher: Dispatcher, waker: mio::Waker) -> Instance {
        let (inbox, commands) = crossbeam_channel::unbounded();
        Instance {
            dispatcher,
            config,
            inbox,
            commands,
            closed: RwLock::new(false),
            waker,
            view: Mutex::new(View {
                login_status: TIMLoginStatus::kTIMLoginStatus_UnLogined,
                user_id: String::new(),
                server_time_offset: 0,
                limits: AppLimits::default(),
            }),
            worker: Mutex::new(None),
        }
    }

    pub fn set_worker(&self, handle: JoinHandle<()>) {
        *self.worker.lock() = Some(handle);
    }

    /// Closes the inbox (no command is queued after), wakes the worker and joins it.
    pub fn close_and_join(&self) {
        *self.closed.write() = true;
        let _ = self.waker.wake();
        let worker = self.worker.lock().take();
        if let Some(h) = worker {
            let _ = h.join();
        }
    }

    /// Queues a command for the worker; `false` once the instance is closing.
    pub fn submit(&self, cmd: Command) -> bool {
        {
            let closed = self.closed.read();
            if *closed || self.inbox.send(cmd).is_err() {
                return false;
            }
        }
        let _ = self.waker.wake();
        true
    }

    /// Wakes the worker (a connector thread finished).
    pub fn wake(&self) {
        let _ = self.waker.wake();
    }

    /// The commands queued so far, and whether `TIMUninit` closed the inbox (then nothing more
    /// will come).
    pub fn take_inbox(&self) -> (Vec<Command>, bool) {
        let closed = *self.closed.read();
        (self.commands.try_iter().collect(), closed)
    }

    pub fn view(&self) -> View {
        self.view.lock().clone()
    }

    /// The limits calls are checked against (cheaper than a whole [`Self::view`]).
    pub fn limits(&self) -> AppLimits {
        self.view.lock().limits
    }

    pub fn update_view(&self, f: impl FnOnce(&mut View)) {
        f(&mut self.view.lock())
    }

    /// Queues a callback; `false` once `TIMUninit` closed the dispatcher.
    pub fn post(&self, event: Event) -> bool {
        self.dispatcher.post(event)
    }
}

/// The local clock, Unix seconds.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Local clock corrected by the server's (`offset`, server minus local), Unix seconds.
pub fn server_time(offset: i64) -> u64 {
    (unix_now() + offset).max(0) as u64
}
