//! The process-wide SDK instance (`TIMInit` .. `TIMUninit`). A call only validates, enqueues a
//! [`Command`] and wakes the worker thread; it never waits on the network.

use crate::config::Config;
use crate::dispatch::{Dispatcher, Event, Reply};
use crate::worker;
use imsdk_protocol::code;
use parking_lot::Mutex;
use std::sync::Arc;

pub use crate::instance::{Command, Instance, View};

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
    let dispatcher = Dispatcher::new(config.manual_dispatch)?;
    let inst = Arc::new(Instance::new(config, dispatcher, waker));
    let handle = worker::spawn(inst.clone(), poll);
    match handle {
        Ok(h) => inst.set_worker(h),
        Err(e) => {
            inst.dispatcher.close();
            return Err(e);
        }
    }
    *cur = Some(inst);
    Ok(())
}

/// Server time in Unix seconds: the local clock corrected by the server's (0 offset when not
/// initialised).
pub fn server_time() -> u64 {
    crate::instance::server_time(current().map_or(0, |i| i.view().server_time_offset))
}

/// Stops the instance: pending calls get 7009, the worker is joined, queued callbacks run, and
/// no callback runs after this returns. `false` when not initialised.
pub fn uninit() -> bool {
    let Some(inst) = CURRENT.lock().take() else {
        return false;
    };
    inst.close_and_join();
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
