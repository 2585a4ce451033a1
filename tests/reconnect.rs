//! Reconnection through the C ABI. The server dies (abruptly, then gracefully) and comes back on
//! the same address; the library reconnects with backoff and logs in again, reporting each step
//! through the network status callback. The subscription list is the account's, kept by the
//! server: the library restores nothing of its own (issue 14, finding 1), and it tells the host
//! its own status across the gap, OFFLINE once and ONLINE once (finding 2).

mod common;
mod faults_common;

use common::*;
use faults_common::alice_behind_proxy;
use imsdk_protocol::ClientFrame;
use imsdk_server::ServerHandle;
use ImSDK::*;

const FAST: &str = r#""sdk_config_reconnect_min_ms":50,"sdk_config_reconnect_max_ms":400"#;

/// A fresh directory for a server's database.
fn data_dir(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!(
        "imsdk-reconnect-{name}-{}-{}",
        std::process::id(),
        faults_common::unix_ms()
    ));
    std::fs::create_dir_all(&dir).expect("data dir");
    dir.to_string_lossy().into_owned()
}

#[test]
fn reconnects_after_server_restart_and_the_servers_list_applies() {
    let _g = serial();
    let accounts = ["alice", "bob"];
    // A durable server: alice's list survives its restarts, so she keeps hearing bob without the
    // library re-subscribing.
    let dir = data_dir("restart");
    let config = || {
        let mut c = server_config(&accounts);
        c.server.data_dir = Some(dir.clone());
        c
    };
    let mut server = start_server(config());
    let addr = server.addr();
    set_listeners();
    assert_eq!(init(&ws_url(addr), FAST), 0);
    login("alice");
    wait_network(TIMNetworkStatus::kTIMConnected);
    assert_eq!(call(TIMSubscribeUserStatus, r#"["bob"]"#).0, 0);

    for (round, abrupt) in [(1, true), (2, false)] {
        take_all();
        // Kill (no close frame) or shut down (close 1001): either way the library reconnects.
        if abrupt {
            server.kill();
        } else {
            server.shutdown();
        }
        assert_eq!(
            wait_network(TIMNetworkStatus::kTIMDisconnected),
            9508,
            "round {round}"
        );
        assert_eq!(TIMGetLoginStatus(), TIMLoginStatus::kTIMLoginStatus_Logined);
        // It keeps trying while nothing listens.
        assert_eq!(wait_network(TIMNetworkStatus::kTIMConnectFailed), 9508);
        server = ServerHandle::start(config(), addr).expect("restart on the same address");
        wait_network(TIMNetworkStatus::kTIMConnected);
        let mut bob = Peer::login(addr, "bob", "Android");
        let text = format!("round {round}");
        bob.set_custom(&text);
        wait_change("bob", 1, Some(&text));
        assert_eq!(query(&["alice"])[0]["user_status_status_type"], 1);
    }
    assert_eq!(TIMUninit(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Status changes of `user` recorded so far, as (status type, custom status).
fn changes_of(user: &str) -> Vec<(u64, String)> {
    snapshot()
        .into_iter()
        .filter_map(|r| match r {
            Rec::Changed(serde_json::Value::Array(items)) => Some(items),
            _ => None,
        })
        .flatten()
        .filter(|s| s["user_status_identifier"] == user)
        .map(|s| {
            (
                s["user_status_status_type"].as_u64().unwrap_or(99),
                s["user_status_custom_status"]
                    .as_str()
                    .unwrap_or("?")
                    .to_owned(),
            )
        })
        .collect()
}

#[test]
fn own_status_goes_offline_once_when_the_link_is_lost_and_online_once_when_back() {
    let _g = serial();
    let (_server, proxy) = alice_behind_proxy(server_config(&["alice", "bob"]), FAST);
    assert_eq!(
        call(TIMSetSelfStatus, r#"{"user_status_custom_status":"mine"}"#).0,
        0
    );
    wait_change("alice", 1, Some("mine"));
    take_all();
    // Lost, and not back for a few attempts: still one OFFLINE.
    proxy.refuse(true);
    proxy.cut();
    wait_network(TIMNetworkStatus::kTIMDisconnected);
    wait_network(TIMNetworkStatus::kTIMConnectFailed);
    wait_network(TIMNetworkStatus::kTIMConnectFailed);
    let offline = wait_change("alice", 2, Some(""));
    assert_eq!(
        offline[0]["user_status_online_devices"],
        serde_json::json!([])
    );
    proxy.refuse(false);
    wait_network(TIMNetworkStatus::kTIMConnected);
    let online = wait_change("alice", 1, Some(""));
    assert_eq!(
        online[0]["user_status_online_devices"],
        serde_json::json!(["Linux"])
    );
    // A round trip after the login: anything the server or the library had queued about alice
    // has arrived by now.
    assert_eq!(query(&["alice"])[0]["user_status_status_type"], 1);
    assert_eq!(
        changes_of("alice"),
        Vec::<(u64, String)>::new(),
        "one OFFLINE and one ONLINE, nothing else"
    );
    assert_eq!(TIMUninit(), 0);
}

#[test]
fn a_reconnect_does_not_bring_back_what_another_device_unsubscribed() {
    let _g = serial();
    let (server, proxy) = alice_behind_proxy(server_config(&["alice", "bob"]), FAST);
    take_all();
    let mut bob = Peer::login(server.addr(), "bob", "Android");
    assert_eq!(call(TIMSubscribeUserStatus, r#"["bob"]"#).0, 0);
    bob.set_custom("one");
    wait_change("bob", 1, Some("one"));
    // Device 2 of alice unsubscribes everything: the account's one list is empty.
    let mut device2 = Peer::login(server.addr(), "alice", "Android");
    assert_eq!(
        device2
            .request(|id| ClientFrame::UnsubscribeUserStatus { id, user_ids: None })
            .0,
        0
    );
    // A subscribe in flight when the link drops gets exactly one callback.
    proxy.go_silent();
    let in_flight = start(TIMSubscribeUserStatus, r#"["bob"]"#);
    proxy.cut();
    assert_eq!(result_of(in_flight, WAIT).0, 9508);
    wait_network(TIMNetworkStatus::kTIMConnected);
    // A round trip: whatever the library sent the server on reconnecting was handled before it.
    assert_eq!(query(&["bob"])[0]["user_status_status_type"], 1);
    // Bob changes, then device 2 changes alice's status: alice's own change reaches the library
    // after bob's would have (one session, one ordered queue).
    take_all();
    bob.set_custom("two");
    device2.set_custom("sync");
    wait_change("alice", 1, Some("sync"));
    assert!(
        changes_of("bob").is_empty(),
        "the library re-subscribed: {:?}",
        snapshot()
    );
    assert_eq!(results_with(in_flight), 0, "exactly one callback");
    assert_eq!(TIMUninit(), 0);
}

#[test]
fn a_list_the_server_dropped_after_retention_stays_dropped() {
    let _g = serial();
    let mut config = server_config(&["alice", "bob", "carol"]);
    config.apps[0].limits.subscription_retention_s = 1;
    let (server, proxy) = alice_behind_proxy(config, FAST);
    take_all();
    let mut bob = Peer::login(server.addr(), "bob", "Android");
    let mut carol = Peer::login(server.addr(), "carol", "Android");
    assert_eq!(call(TIMSubscribeUserStatus, r#"["bob"]"#).0, 0);
    // Alice's only session is cut and stays away past the retention (1 s; the server's sweep
    // may take as long again): the server drops her list.
    proxy.refuse(true);
    proxy.cut();
    wait_network(TIMNetworkStatus::kTIMDisconnected);
    std::thread::sleep(std::time::Duration::from_millis(2500));
    proxy.refuse(false);
    wait_network(TIMNetworkStatus::kTIMConnected);
    // Carol is followed from now on; bob's change comes first, carol's after it.
    assert_eq!(call(TIMSubscribeUserStatus, r#"["carol"]"#).0, 0);
    take_all();
    bob.set_custom("after");
    carol.set_custom("after");
    wait_change("carol", 1, Some("after"));
    assert!(
        changes_of("bob").is_empty(),
        "the library restored its list: {:?}",
        snapshot()
    );
    assert_eq!(TIMUninit(), 0);
}
