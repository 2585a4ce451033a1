//! Status is state: a subscriber that stops reading for a while is not cut off, its pending
//! pushes are coalesced per user, and when it reads again it gets the latest status of everyone
//! it follows. Only a socket that makes no progress for the slow-consumer timeout is cut.

mod common;
use common::*;
use imsdk_protocol::{close, encode, ClientFrame, UserStatusType};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const PUBLISHERS: usize = 50;
const CHANGES_EACH: usize = 400;

fn publisher(k: usize) -> String {
    format!("p{k:02}")
}

/// Change `i` of publisher `k`: padded so that the pushes are far more than the socket holds.
fn value(k: usize, i: usize) -> String {
    format!("{}-{i:05}-{}", publisher(k), "x".repeat(60))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_that_pauses_is_not_cut_and_ends_with_every_latest_status() {
    let mut accounts: Vec<String> = (0..PUBLISHERS).map(publisher).collect();
    accounts.push("reader".into());
    let server = start(
        config(|a| a.accounts = accounts)
            .with_send_buffer(8192)
            .with_slow_consumer_timeout(10_000),
    );
    let addr = server.addr();
    let mut reader = Client::login_small_window(addr, "reader").await;
    let follows: Vec<String> = (0..PUBLISHERS).map(publisher).collect();
    let follows: Vec<&str> = follows.iter().map(String::as_str).collect();
    assert_eq!(reader.subscribe(&follows).await.code, 0);

    // The reader reads nothing from now on. Each publisher pipelines all its changes, then waits
    // for their replies: once every reply is in, every change was handed to the reader's outbox.
    let started = Instant::now();
    let publishers: Vec<_> = (0..PUBLISHERS)
        .map(|k| {
            tokio::spawn(async move {
                let mut p = Client::login(addr, &publisher(k), "Linux", "p").await;
                for i in 0..CHANGES_EACH {
                    let set = ClientFrame::SetSelfStatus {
                        id: 1000 + i as u64,
                        custom_status: Some(value(k, i)),
                    };
                    p.send_text(&encode(&set)).await;
                }
                for i in 0..CHANGES_EACH {
                    assert_eq!(p.reply_for(1000 + i as u64).await.code, 0);
                }
                p
            })
        })
        .collect();
    let mut keep = Vec::new();
    for p in publishers {
        keep.push(p.await.expect("publisher"));
    }
    let flood = started.elapsed();

    // Reading again: every followed user's latest status arrives, each user's in order.
    let mut latest: HashMap<String, String> = HashMap::new();
    let mut received = 0usize;
    let done = |latest: &HashMap<String, String>| {
        (0..PUBLISHERS).all(|k| latest.get(&publisher(k)) == Some(&value(k, CHANGES_EACH - 1)))
    };
    while !done(&latest) {
        let st = reader.next_status().await;
        received += 1;
        let user = st.user_status_identifier.clone();
        if !user.starts_with('p') {
            continue;
        }
        let value = st.user_status_custom_status;
        if let Some(before) = latest.get(&user) {
            assert!(
                before <= &value,
                "{user}: {value} arrived after the newer {before}"
            );
        }
        latest.insert(user, value);
    }
    let frames_heard = received;
    assert_eq!(reader.heartbeat().await.code, 0, "the reader is still on");
    let total = PUBLISHERS * CHANGES_EACH;
    assert!(
        frames_heard < total,
        "coalesced: {frames_heard} statuses heard of {total} changes"
    );
    println!(
        "FIGURES: {total} changes by {PUBLISHERS} users in {flood:?} while the reader paused; \
         it then heard {frames_heard} statuses and had every latest one"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_that_never_reads_again_is_cut_after_the_timeout() {
    let timeout = Duration::from_millis(1_000);
    let server = start(
        config(|_| {})
            .with_send_buffer(8192)
            .with_slow_consumer_timeout(timeout.as_millis() as u64),
    );
    let addr = server.addr();
    let mut bob = Client::login(addr, "bob", "Linux", "b").await;
    assert_eq!(bob.subscribe(&["dave"]).await.code, 0);
    let mut dave = Client::login_small_window(addr, "dave").await;
    assert_eq!(dave.subscribe(&["alice"]).await.code, 0);
    let mut alice = Client::login(addr, "alice", "Linux", "a").await;
    let _ = bob.drain_statuses().await;
    // dave reads nothing from now on; alice changes until dave is declared OFFLINE.
    let started = Instant::now();
    let pad = "p".repeat(90);
    let mut n = 0u64;
    let offline_at = loop {
        alice
            .set_status_pipelined((n + 1..=n + 8).map(|k| format!("{pad}{k:08}")))
            .await;
        n += 8;
        let heard = bob.drain_statuses().await;
        if heard.iter().any(|s| {
            s.user_status_identifier == "dave"
                && s.user_status_status_type == UserStatusType::Offline
        }) {
            break started.elapsed();
        }
        assert!(started.elapsed() < timeout + WAIT, "dave is cut in time");
    };
    assert!(
        offline_at >= timeout,
        "cut only after the timeout without progress, not at {offline_at:?}"
    );
    let end = dave.end().await;
    assert!(
        end == End::Close(close::SLOW_CONSUMER) || end == End::NoCloseFrame,
        "{end:?}"
    );
    println!("FIGURES: a reader that stopped for good was cut {offline_at:?} into the flood ({n} changes)");
}

/// The library parses pushes with the protocol's own frame type: a frame with several statuses
/// (what a coalesced push is) reads as all of them, in order.
#[test]
fn a_frame_with_several_statuses_parses_as_all_of_them() {
    let text = r#"{"op":"status_changed","statuses":[{"user_status_identifier":"a","user_status_status_type":1,"user_status_custom_status":"1","user_status_online_devices":["Linux"]},{"user_status_identifier":"b","user_status_status_type":2,"user_status_custom_status":"","user_status_online_devices":[]}]}"#;
    match serde_json::from_str::<imsdk_protocol::ServerFrame>(text) {
        Ok(imsdk_protocol::ServerFrame::StatusChanged { statuses }) => {
            let ids: Vec<_> = statuses
                .iter()
                .map(|s| s.user_status_identifier.as_str())
                .collect();
            assert_eq!(ids, ["a", "b"]);
        }
        other => panic!("{other:?}"),
    }
}
