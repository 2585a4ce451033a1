//! Reconnection through the C ABI: the server dies (abruptly, then gracefully) and comes back on
//! the same address; the library reconnects with backoff, logs in again and restores its
//! subscriptions, reporting each step through the network status callback.

mod common;

use common::*;
use imsdk_server::ServerHandle;
use ImSDK::*;

#[test]
fn reconnects_after_server_restart_and_restores_subscriptions() {
    let _g = serial();
    let accounts = ["alice", "bob"];
    let mut server = start_server(server_config(&accounts));
    let addr = server.addr();
    set_listeners();
    let fast = r#""sdk_config_reconnect_min_ms":50,"sdk_config_reconnect_max_ms":400"#;
    assert_eq!(init(&ws_url(addr), fast), 0);
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
        server = ServerHandle::start(server_config(&accounts), addr)
            .expect("restart on the same address");
        wait_network(TIMNetworkStatus::kTIMConnected);
        // The new server knows alice's subscription only because the library restored it.
        let mut bob = Peer::login(addr, "bob", "Android");
        let text = format!("round {round}");
        bob.set_custom(&text);
        wait_change("bob", 1, Some(&text));
        assert_eq!(query(&["alice"])[0]["user_status_status_type"], 1);
    }
    assert_eq!(TIMUninit(), 0);
}
