//! A slow consumer (stops reading, small TCP window) subscribed to a busy account: its pushes
//! coalesce to one pending status, its socket makes no progress for the slow-consumer timeout
//! (500 ms here), it is disconnected with 4003 (or, when even the close frame cannot fit, without
//! one) and declared OFFLINE, while another pair's change-to-push latency, measured before and
//! during the flood, stays where it was.

mod common;
use common::*;
use imsdk_protocol::UserStatusType;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// carol changes her status `samples` times; each time, how long until bob has the push.
async fn latencies(
    carol: &mut Client,
    bob: &mut Client,
    tag: &str,
    samples: usize,
) -> Vec<Duration> {
    let mut out = Vec::with_capacity(samples);
    for i in 0..samples {
        let text = format!("{tag} {i}");
        let t = Instant::now();
        assert_eq!(carol.set_status(Some(&text)).await.code, 0);
        loop {
            if bob.next_status_of("carol").await.user_status_custom_status == text {
                break;
            }
        }
        out.push(t.elapsed());
    }
    carol.pushes.clear();
    out
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * p) as usize]
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_consumer_is_cut_off_and_others_latency_is_unaffected() {
    let accounts = ["alice", "bob", "carol", "dave", "erin"]
        .map(String::from)
        .to_vec();
    let server = start(
        config(|a| a.accounts = accounts)
            .with_send_buffer(8192)
            .with_slow_consumer_timeout(500),
    );
    let addr = server.addr();
    let mut bob = Client::login(addr, "bob", "Linux", "b").await;
    assert_eq!(bob.subscribe(&["carol"]).await.code, 0);
    let mut carol = Client::login(addr, "carol", "Linux", "c").await;
    let mut erin = Client::login(addr, "erin", "Linux", "e").await;
    assert_eq!(erin.subscribe(&["dave"]).await.code, 0);
    let mut base = latencies(&mut carol, &mut bob, "before", 100).await;

    let mut dave = Client::login_small_window(addr, "dave").await;
    assert_eq!(dave.subscribe(&["alice"]).await.code, 0);
    // dave reads nothing from now on; alice changes as fast as the server answers her.
    let flooding = Arc::new(AtomicBool::new(true));
    let flooder = {
        let flooding = Arc::clone(&flooding);
        tokio::spawn(async move {
            let mut alice = Client::login(addr, "alice", "Linux", "a").await;
            let pad = "p".repeat(90);
            let mut changes = 0u64;
            while flooding.load(Ordering::SeqCst) {
                alice
                    .set_status_pipelined(
                        (changes + 1..=changes + 8).map(|k| format!("{pad}{k:08}")),
                    )
                    .await;
                changes += 8;
            }
            changes
        })
    };
    let flood_started = Instant::now();
    let cut_off = tokio::spawn(async move {
        loop {
            let s = erin.next_status_of("dave").await;
            if s.user_status_status_type == UserStatusType::Offline {
                return Instant::now();
            }
        }
    });
    // Sample while the queue fills, until dave is cut off (at least 50 samples).
    let mut during = Vec::new();
    while during.len() < 50 || !cut_off.is_finished() {
        assert!(flood_started.elapsed() < WAIT, "dave is cut off in time");
        during.extend(latencies(&mut carol, &mut bob, "during", 10).await);
    }
    let cut_off_at = tokio::time::timeout(WAIT, cut_off)
        .await
        .expect("dave is declared OFFLINE in time")
        .expect("erin's task");
    flooding.store(false, Ordering::SeqCst);
    let changes = flooder.await.expect("flooder");
    let end = dave.end().await;
    assert!(
        end == End::Close(imsdk_protocol::close::SLOW_CONSUMER) || end == End::NoCloseFrame,
        "{end:?}"
    );
    let (b50, b99) = (percentile(&mut base, 0.5), percentile(&mut base, 0.99));
    let (d50, d99) = (percentile(&mut during, 0.5), percentile(&mut during, 0.99));
    println!(
        "FIGURES: slow consumer declared OFFLINE {:?} into the flood ({changes} changes by then \
         or soon after); carol->bob latency p50/p99 before {b50:?}/{b99:?}, during \
         ({} samples) {d50:?}/{d99:?}",
        cut_off_at - flood_started,
        during.len()
    );
    assert!(
        d99 < b99 * 5 + Duration::from_millis(50),
        "others' latency stays: p99 {d99:?} during vs {b99:?} before"
    );
}
