//! A network that silently drops everything: a loopback proxy between the library and the
//! server stops forwarding without closing. The server declares the user OFFLINE after its
//! heartbeat timeout (custom status cleared, subscribers told once); the library finds the dead
//! link by its own heartbeat and reconnects. A library that comes back before the server's
//! timeout replaces its old session with no OFFLINE in between.

mod common;
mod faults_common;

use common::*;
use faults_common::*;
use imsdk_protocol::UserStatusType;
use std::time::{Duration, Instant};
use ImSDK::*;

/// A server with heartbeat timeout `hb_s`, a proxy in front of it, bob (directly connected)
/// subscribed to alice, and the library initialised with `config` to reach it through the proxy.
fn setup(hb_s: u64, config: &str) -> (imsdk_server::ServerHandle, Proxy, Observer) {
    let mut server_cfg = server_config(&["alice", "bob"]);
    server_cfg.apps[0].heartbeat_timeout_s = hb_s;
    let server = start_server(server_cfg);
    let proxy = Proxy::start(server.addr());
    let mut bob = Observer::login(server.addr(), "bob", Duration::from_millis(300));
    bob.subscribe(&["alice"]);
    set_listeners();
    assert_eq!(init(&ws_url(proxy.addr), config), 0);
    (server, proxy, bob)
}

#[test]
fn silent_link_goes_offline_once_after_the_heartbeat_timeout_and_the_library_comes_back() {
    let _g = serial();
    let fast = r#""sdk_config_reconnect_min_ms":50,"sdk_config_reconnect_max_ms":200"#;
    let (_server, proxy, mut bob) = setup(2, fast);
    login("alice");
    wait_network(TIMNetworkStatus::kTIMConnected);
    assert_eq!(
        call(
            TIMSetSelfStatus,
            r#"{"user_status_custom_status":"on the train"}"#
        )
        .0,
        0
    );
    bob.wait_status("alice", WAIT, |s| {
        s.user_status_custom_status == "on the train"
    });

    // The tunnel: the link goes silent, and the library cannot get through again yet.
    proxy.refuse(true);
    let silent_at = Instant::now();
    proxy.go_silent();
    let offline = bob.wait_status("alice", WAIT, |s| {
        s.user_status_status_type == UserStatusType::Offline
    });
    let declared_after = silent_at.elapsed();
    assert_eq!(
        offline.user_status_custom_status, "",
        "custom status cleared"
    );
    assert!(offline.user_status_online_devices.is_empty());
    assert!(
        declared_after >= Duration::from_millis(1300)
            && declared_after < Duration::from_millis(2500),
        "declared after the 2 s heartbeat timeout (minus the last beat's age): {declared_after:?}"
    );
    proxy
        .upstream_closed
        .recv_timeout(WAIT)
        .expect("the server closed its side");

    // The library noticed by itself (no close ever reached it) and keeps retrying.
    assert_eq!(wait_network(TIMNetworkStatus::kTIMDisconnected), 9508);
    let detected_by = silent_at.elapsed();
    wait_network(TIMNetworkStatus::kTIMConnectFailed);
    proxy.refuse(false);
    wait_network(TIMNetworkStatus::kTIMConnected);
    bob.wait_status("alice", WAIT, |s| {
        s.user_status_status_type == UserStatusType::Online
    });
    bob.sync();
    let offline_pushes = bob
        .about("alice")
        .iter()
        .filter(|s| s.user_status_status_type == UserStatusType::Offline)
        .count();
    assert_eq!(
        offline_pushes,
        1,
        "subscribers told once: {:?}",
        bob.about("alice")
    );
    println!(
        "FIGURES: heartbeat timeout 2 s; server declared OFFLINE {declared_after:?} after the \
         link went silent; library had detected it by {detected_by:?}"
    );
    assert_eq!(TIMUninit(), 0);
}

#[test]
fn a_library_back_before_the_server_timeout_replaces_its_session_without_offline() {
    let _g = serial();
    // Server: 3 s of silence. Library: heartbeat every 1 s, dead after 300 ms without an answer.
    let fast = r#""sdk_config_reconnect_min_ms":50,"sdk_config_reconnect_max_ms":200,"sdk_config_request_timeout_ms":300"#;
    let (_server, proxy, mut bob) = setup(3, fast);
    login("alice");
    wait_network(TIMNetworkStatus::kTIMConnected);
    bob.wait_status("alice", WAIT, |s| {
        s.user_status_status_type == UserStatusType::Online
    });
    let silent_at = Instant::now();
    proxy.go_silent();
    assert_eq!(wait_network(TIMNetworkStatus::kTIMDisconnected), 9508);
    wait_network(TIMNetworkStatus::kTIMConnected);
    let back_after = silent_at.elapsed();
    assert!(
        back_after < Duration::from_secs(3),
        "back before the server's timeout: {back_after:?}"
    );
    // The new login replaced the old session: the server closes the old (silent) connection.
    proxy
        .upstream_closed
        .recv_timeout(WAIT)
        .expect("old connection closed by the server");
    bob.sync();
    assert_eq!(
        bob.about("alice")
            .iter()
            .filter(|s| s.user_status_status_type != UserStatusType::Online)
            .count(),
        0,
        "no OFFLINE in between: {:?}",
        bob.about("alice")
    );
    assert_eq!(query(&["alice"])[0]["user_status_status_type"], 1);
    println!("FIGURES: library back {back_after:?} after the link went silent, no OFFLINE seen");
    assert_eq!(TIMUninit(), 0);
}
