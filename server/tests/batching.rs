//! Pushes pending for one session are written in batches, one flush per batch, and a user's
//! pending status is replaced by a newer one (coalescing): a user's statuses never arrive out of
//! order or twice, and the latest always arrives.

mod common;
use common::*;
use imsdk_protocol::{encode, ClientFrame, ServerFrame};

#[tokio::test(flavor = "multi_thread")]
async fn queued_pushes_arrive_in_order_ending_with_the_latest() {
    // 100 changes, pipelined: several batches, some of them coalesced.
    let server = start(config(|_| {}));
    let mut bob = Client::login(server.addr(), "bob", "Linux", "b").await;
    let mut alice = Client::login(server.addr(), "alice", "Linux", "a").await;
    assert_eq!(bob.subscribe(&["alice"]).await.code, 0);
    // Pipelined: the server reads them back to back, so pushes pile up in bob's queue.
    for i in 0..100u64 {
        let set = ClientFrame::SetSelfStatus {
            id: 1000 + i,
            custom_status: Some(format!("s{i}")),
        };
        alice.send_text(&encode(&set)).await;
    }
    let mut replies = 0;
    while replies < 100 {
        if let ServerFrame::Reply { code, .. } = alice.next_frame().await {
            assert_eq!(code, 0);
            replies += 1;
        }
    }
    let mut last = None;
    loop {
        let st = bob.next_status_of("alice").await;
        let i: u64 = st.user_status_custom_status[1..]
            .parse()
            .expect("s<number>");
        assert!(
            last < Some(i),
            "s{i} after s{last:?}: out of order or twice"
        );
        last = Some(i);
        if i == 99 {
            break;
        }
    }
    // Nothing more: the next frame is the heartbeat's reply.
    assert!(bob.heard_except("bob").await.is_empty());
}

/// A follower who is both a subscriber and a friend (switch on) hears each change once; one who is
/// only a subscriber (switch off) hears it too.
#[tokio::test(flavor = "multi_thread")]
async fn subscriber_and_friend_hears_each_change_once() {
    for friend_notify in [true, false] {
        let server = start(config(|app| app.friend_status_notify = friend_notify));
        let addr = server.addr();
        let add =
            serde_json::json!({"From_Account": "bob", "AddFriendItem": [{"To_Account": "alice"}]});
        let r = rest(addr, "/v4/sns/friend_add", &add).await;
        assert_eq!(r["ResultItem"][0]["ResultCode"], 0, "{r}");
        let mut bob = Client::login(addr, "bob", "Linux", "b").await;
        let mut alice = Client::login(addr, "alice", "Linux", "a").await;
        assert_eq!(bob.subscribe(&["alice"]).await.code, 0);
        let _ = bob.drain_statuses().await;
        assert_eq!(alice.set_status(Some("one")).await.code, 0);
        assert_eq!(alice.set_status(Some("two")).await.code, 0);
        let _ = alice.heartbeat().await;
        let heard: Vec<String> = bob
            .drain_statuses()
            .await
            .into_iter()
            .filter(|s| s.user_status_identifier == "alice")
            .map(|s| s.user_status_custom_status)
            .collect();
        // Once each, in order; "one" may have been replaced by "two" while it was still pending
        // (statuses are coalesced per user), never heard twice.
        assert!(
            heard == ["one", "two"] || heard == ["two"],
            "friend_status_notify = {friend_notify}: {heard:?}"
        );
    }
}

/// A reply and the pushes pending when it is written leave in one write: after a set_self_status,
/// the setter's own change (pushed to all its sessions, this one included) rides with the reply
/// instead of costing a second write (and the client a second wake-up).
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn a_reply_carries_the_pushes_pending_with_it() {
    let server = start(config(|_| {}));
    let mut alice = Client::login(server.addr(), "alice", "Linux", "a").await;
    // Whatever the login queued is out before the measured changes.
    alice.drain_statuses().await;
    for i in 0..20 {
        let custom = format!("s{i}");
        let before = alice.data_segments_in();
        assert_eq!(alice.set_status(Some(&custom)).await.code, 0);
        let own = alice.next_status_of("alice").await;
        assert_eq!(own.user_status_custom_status, custom);
        let segments = alice.data_segments_in() - before;
        assert_eq!(
            segments, 1,
            "change {i}: the reply and the own status came in {segments} writes"
        );
    }
}
