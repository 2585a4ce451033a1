//! The worker's panic boundary (issue 14): a panic inside the worker's loop (injected through a
//! test-only hook) fails every call waiting for an answer once with 6017, reports the network as
//! disconnected and logs out; later calls are answered with 6017; `TIMUninit` works and the SDK
//! starts again.

mod common;
mod faults_common;

use common::*;
use faults_common::alice_behind_proxy;
use std::ffi::c_void;
use std::time::{Duration, Instant};
use ImSDK::dispatch::{Reply, UserData};
use ImSDK::*;

#[test]
fn a_panic_in_the_worker_fails_pending_calls_once_and_uninit_still_works() {
    let _g = serial();
    let (server, proxy) = alice_behind_proxy(server_config(&["alice", "bob"]), "");
    take_all();
    // A call the server will never answer (the link is silent), then the panic.
    proxy.go_silent();
    let pending = start(TIMGetUserStatus, r#"["bob"]"#);
    let panicking = new_tag();
    assert!(ImSDK::sdk::inject_worker_panic(Reply {
        cb: Some(on_result),
        user_data: UserData(panicking as *const c_void),
    }));
    let (code, desc, _) = result_of(pending, WAIT);
    assert_eq!(code, 6017, "{desc}");
    assert_eq!(result_of(panicking, WAIT).0, 6017);
    assert_eq!(wait_network(TIMNetworkStatus::kTIMDisconnected), 9508);
    assert_eq!(
        TIMGetLoginStatus(),
        TIMLoginStatus::kTIMLoginStatus_UnLogined
    );
    // Later calls: still exactly one answer each.
    let again = login_start("alice", &sig("alice"));
    assert_eq!(result_of(again, WAIT).0, 6017);
    let started = Instant::now();
    assert_eq!(TIMUninit(), 0);
    assert!(started.elapsed() < Duration::from_secs(1));
    for tag in [pending, panicking, again] {
        assert_eq!(results_with(tag), 0, "exactly once");
    }
    // A fresh start works.
    assert_eq!(init(&ws_url(server.addr()), ""), 0);
    login("alice");
    assert_eq!(TIMUninit(), 0);
}
