//! The process-wide SDK instance (`TIMInit` .. `TIMUninit`). A call only validates, enqueues a
//! [`Command`] and wakes the worker thread; it never waits on the network.

use crate::config::Config;
use crate::dispatch::{Dispatcher, Event, Reply};
use crate::ffi::types::TIMLoginStatus;
use crate::worker;
use imsdk_protocol::{code, AppLimits};
use parking_lot::{Mutex, RwLock};
use std::sync::Arc;
use std::thread::JoinHandle;

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
    /// Test-only ([`inject_worker_panic`]): the worker panics while handling it.
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

/// Test hook (not part of the C API): makes the worker thread panic while handling a command
/// whose result goes to `reply`, to test the worker's panic boundary. `false` when not
/// initialised.
#[doc(hidden)]
pub fn inject_worker_panic(reply: Reply) -> bool {
    current().is_some_and(|inst| inst.submit(Command::InjectPanic { reply }))
}

static CURRENT: Mutex<Option<Arc<Instance>>> = Mutex::new(None);

pub fn current() -> Option<Arc<Instance>> {
    CURRENT.lock().clone()
}

/// Starts the worker and the callback dispatcher. A second `init` without `uninit` keeps the
/// running instance.
pub fn init(config: Config) -> std::io::Result<()> {
    let mut cur = CURRENT.lock();
    if cur.is_some() {
        return Ok(());
    }
    let poll = mio::Poll::new()?;
    let waker = mio::Waker::new(poll.registry(), worker::WAKE)?;
    let (inbox, commands) = crossbeam_channel::unbounded();
    let inst = Arc::new(Instance {
        dispatcher: Dispatcher::new(config.manual_dispatch)?,
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
    });
    let handle = worker::spawn(inst.clone(), poll);
    match handle {
        Ok(h) => *inst.worker.lock() = Some(h),
        Err(e) => {
            inst.dispatcher.close();
            return Err(e);
        }
    }
    *cur = Some(inst);
    Ok(())
}

/// Stops the instance: pending calls get 7009, the worker is joined, queued callbacks run, and
/// no callback runs after this returns. `false` when not initialised.
pub fn uninit() -> bool {
    let Some(inst) = CURRENT.lock().take() else {
        return false;
    };
    *inst.closed.write() = true;
    let _ = inst.waker.wake();
    let worker = inst.worker.lock().take();
    if let Some(h) = worker {
        let _ = h.join();
    }
    // Commands that raced with closing (none normally: the worker drains after `closed`).
    let (left, _) = inst.take_inbox();
    for cmd in left {
        let _ = inst.post(Event::result(
            cmd.reply(),
            code::SDK_COMM_INTERRUPT,
            "interrupted by TIMUninit",
            "",
        ));
    }
    inst.dispatcher.close();
    true
}
