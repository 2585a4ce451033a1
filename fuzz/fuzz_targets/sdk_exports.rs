//! Every JSON-taking export of the library, called through the C ABI as C would, on an SDK
//! logged in to a real server: the synchronous return is a documented code, and a call that
//! returned TIM_SUCC gets exactly one callback.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use std::ffi::{c_char, c_void, CString};
use std::sync::{Condvar, Mutex, Once};
use std::time::Instant;
use ImSDK::*;

type Call = unsafe extern "C" fn(*const c_char, TIMCommCallback, *const c_void) -> i32;

unsafe extern "C" fn set_config(j: *const c_char, cb: TIMCommCallback, ud: *const c_void) -> i32 {
    TIMSetConfig(j, cb, ud)
}
unsafe extern "C" fn experimental(j: *const c_char, cb: TIMCommCallback, ud: *const c_void) -> i32 {
    TIMCallExperimentalAPI(j, cb, ud)
}

const EXPORTS: [Call; 10] = [
    TIMSetSelfStatus,
    TIMGetUserStatus,
    TIMSubscribeUserStatus,
    TIMUnsubscribeUserStatus,
    SetSelfStatus,
    GetUserStatus,
    SubscribeUserStatus,
    UnsubscribeUserStatus,
    set_config,
    experimental,
];

/// Callbacks seen per user_data tag.
static SEEN: Mutex<Option<HashMap<usize, u32>>> = Mutex::new(None);
static SEEN_CHANGED: Condvar = Condvar::new();

unsafe extern "C" fn on_result(_c: i32, _d: *const c_char, _j: *const c_char, ud: *const c_void) {
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    let n = seen
        .get_or_insert_with(HashMap::new)
        .entry(ud as usize)
        .or_insert(0);
    *n += 1;
    if *n > 1 {
        eprintln!("callback {} ran {} times", ud as usize, *n);
        std::process::abort();
    }
    SEEN_CHANGED.notify_all();
}

fn wait_callback(tag: usize) {
    let deadline = Instant::now() + imsdk_fuzz::WAIT;
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    while seen.as_ref().and_then(|m| m.get(&tag)).is_none() {
        let now = Instant::now();
        assert!(now < deadline, "no callback for call {tag}");
        seen = SEEN_CHANGED
            .wait_timeout(seen, deadline - now)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
}

fn setup() {
    let addr = imsdk_fuzz::server();
    let cfg = CString::new(format!(r#"{{"sdk_config_server_url":"ws://{addr}/ws"}}"#)).unwrap();
    assert_eq!(unsafe { TIMInit(imsdk_fuzz::APP, cfg.as_ptr()) }, 0);
    let user = CString::new("alice").unwrap();
    let sig = CString::new(imsdk_fuzz::sig("alice")).unwrap();
    let rc = unsafe {
        TIMLogin(
            user.as_ptr(),
            sig.as_ptr(),
            Some(on_result),
            1 as *const c_void,
        )
    };
    assert_eq!(rc, 0);
    wait_callback(1);
    assert_eq!(TIMGetLoginStatus(), TIMLoginStatus::kTIMLoginStatus_Logined);
}

static SETUP: Once = Once::new();
static NEXT_TAG: Mutex<usize> = Mutex::new(2);

fuzz_target!(|data: &[u8]| {
    SETUP.call_once(setup);
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text: Vec<u8> = rest.iter().copied().take_while(|b| *b != 0).collect();
    let Ok(json) = CString::new(text) else { return };
    let tag = {
        let mut next = NEXT_TAG.lock().unwrap_or_else(|e| e.into_inner());
        *next += 1;
        *next
    };
    let export = EXPORTS[which as usize % EXPORTS.len()];
    let rc = unsafe { export(json.as_ptr(), Some(on_result), tag as *const c_void) };
    match rc {
        0 => wait_callback(tag),
        -3 | -4 => {}
        other => panic!("export {which} returned {other}"),
    }
});
