//! Cluster mode: two or three real `imsdk-server` nodes sharing one real redis-server.

mod cluster_common;
mod common;

use cluster_common::{node_config, start_node, start_process, Redis};
use common::{rest, status, statuses, Client, WAIT};
use imsdk_protocol::{code, ServerFrame, UserStatusType::*};
use imsdk_server::config::LoginPolicy;
use serde_json::json;
use std::time::{Duration, Instant};

/// Node timeout of the tests (the default is 10 s).
const NODE_TIMEOUT_MS: u64 = 1500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_statuses_and_devices_cross_nodes() {
    let redis = Redis::start();
    let config = node_config(&redis, NODE_TIMEOUT_MS, |_| {});
    let (a, b) = (start_node(&config), start_node(&config));
    let mut alice = Client::login(a.addr(), "alice", "Windows", "a1").await;
    let mut bob = Client::login(b.addr(), "bob", "Android", "b1").await;
    assert_eq!(bob.subscribe(&["alice"]).await.code, 0);

    assert_eq!(alice.set_status(Some("in a meeting")).await.code, 0);
    let meeting = status("alice", Online, "in a meeting", &["Windows"]);
    assert_eq!(bob.next_status_of("alice").await, meeting);
    let own = status("alice", Online, "", &["Windows"]);
    assert_eq!(alice.next_status_of("alice").await, own);
    assert_eq!(alice.next_status_of("alice").await, meeting);

    // A second device of alice, on the other node: bob and alice's first device hear it.
    let mut alice2 = Client::login(b.addr(), "alice", "Mac", "a2").await;
    let both = status("alice", Online, "in a meeting", &["Windows", "Mac"]);
    assert_eq!(bob.next_status_of("alice").await, both);
    assert_eq!(alice.next_status_of("alice").await, both);
    let got = statuses(&bob.get(&["alice", "bob", "nobody"]).await);
    assert_eq!(got[0], both);
    assert_eq!(got[1], status("bob", Online, "", &["Android"]));
    assert_eq!(got.len(), 2);

    // The admin API of either node answers for the whole cluster.
    let q = json!({"To_Account": ["alice", "carol"], "IsNeedDetail": 1, "IsReturnCustomStatus": 1});
    let r = rest(a.addr(), "/v4/openim/query_online_status", &q).await;
    assert_eq!(r["QueryResult"][0]["Detail"].as_array().unwrap().len(), 2);
    assert_eq!(r["QueryResult"][0]["CustomStatus"], "in a meeting");
    assert_eq!(r["QueryResult"][1]["Status"], "Offline");

    // One device leaves: still online with the other; every push arrived exactly once.
    alice.drop_tcp();
    let mac_only = status("alice", Online, "in a meeting", &["Mac"]);
    assert_eq!(bob.next_status_of("alice").await, mac_only);
    assert_eq!(bob.heard_except("bob").await, Vec::<String>::new());
    assert_eq!(alice2.next_status_of("alice").await, both);
    assert_eq!(alice2.next_status_of("alice").await, mac_only);

    // Logout of the last device: UNLOGINED, custom status cleared.
    let r = alice2
        .request(|id| imsdk_protocol::ClientFrame::Logout { id })
        .await;
    assert_eq!(r.code, 0);
    assert_eq!(
        bob.next_status_of("alice").await,
        status("alice", UnLogined, "", &[])
    );
    assert_eq!(bob.heard_except("bob").await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_login_on_another_node_kicks_the_first() {
    let redis = Redis::start();
    let config = node_config(&redis, NODE_TIMEOUT_MS, |app| {
        app.login_policy = LoginPolicy::OnePerPlatform;
    });
    let (a, b) = (start_node(&config), start_node(&config));
    let mut carol = Client::login(a.addr(), "carol", "Linux", "c0").await;
    assert_eq!(carol.subscribe(&["alice"]).await.code, 0);
    let mut first = Client::login(a.addr(), "alice", "iOS", "phone-1").await;
    assert_eq!(
        carol.next_status_of("alice").await.user_status_status_type,
        Online
    );
    let _second = Client::login(b.addr(), "alice", "iOS", "phone-2").await;
    assert_eq!(
        first.end().await,
        common::close_code(imsdk_protocol::close::KICKED_OFFLINE)
    );
    assert!(first.pushes.iter().any(|p| matches!(
        p,
        ServerFrame::KickedOffline { code, .. } if *code == code::LOGIN_KICKED_OFF_BY_OTHER
    )));
    // The kick replaced one iOS device by another: no change to announce, alice stays online.
    assert_eq!(carol.heard_except("carol").await, Vec::<String>::new());
    let got = statuses(&carol.get(&["alice"]).await);
    assert_eq!(got[0], status("alice", Online, "", &["iOS"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn friends_and_rate_limits_hold_cluster_wide() {
    let redis = Redis::start();
    let config = node_config(&redis, NODE_TIMEOUT_MS, |app| {
        app.limits.rate_calls = 2;
        app.limits.rate_window_s = 60;
    });
    let (a, b) = (start_node(&config), start_node(&config));
    let add = json!({"From_Account": "alice", "AddFriendItem": [{"To_Account": "bob"}]});
    let r = rest(b.addr(), "/v4/sns/friend_add", &add).await;
    assert_eq!(r["ResultItem"][0]["ResultCode"], 0, "{r}");
    let mut bob = Client::login(b.addr(), "bob", "Linux", "b").await;
    let mut alice = Client::login(a.addr(), "alice", "Linux", "a").await;
    assert_eq!(
        bob.next_status_of("alice").await.user_status_status_type,
        Online
    );
    assert_eq!(alice.set_status(Some("hello")).await.code, 0);
    assert_eq!(
        bob.next_status_of("alice").await.user_status_custom_status,
        "hello"
    );

    // Two subscribe calls allowed per minute for alice, counted in Redis whatever the node.
    let mut alice_b = Client::login(b.addr(), "alice", "Web", "a-web").await;
    assert_eq!(alice.subscribe(&["carol"]).await.code, 0);
    assert_eq!(alice_b.subscribe(&["dave"]).await.code, 0);
    assert_eq!(
        alice.subscribe(&["dave"]).await.code,
        code::API_CALL_FREQUENCY_LIMIT
    );
    assert_eq!(
        alice_b.subscribe(&["carol"]).await.code,
        code::API_CALL_FREQUENCY_LIMIT
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_node_sessions_go_offline_within_the_bound_once() {
    let redis = Redis::start();
    let config = node_config(&redis, NODE_TIMEOUT_MS, |_| {});
    let (a, b, c) = (
        start_node(&config),
        start_node(&config),
        start_node(&config),
    );
    let mut alice = Client::login(a.addr(), "alice", "Linux", "a").await;
    assert_eq!(alice.set_status(Some("busy")).await.code, 0);
    let _dave = Client::login(a.addr(), "dave", "Linux", "d").await;
    let mut bob = Client::login(b.addr(), "bob", "Linux", "b").await;
    let mut carol = Client::login(c.addr(), "carol", "Linux", "c").await;
    assert_eq!(bob.subscribe(&["alice", "dave"]).await.code, 0);
    assert_eq!(carol.subscribe(&["alice"]).await.code, 0);

    let killed_at = Instant::now();
    a.kill();
    let offline = status("alice", Offline, "", &[]);
    let mut heard = vec![
        next_push_except(&mut bob, "bob").await,
        next_push_except(&mut bob, "bob").await,
    ];
    let took = killed_at.elapsed();
    eprintln!("OFFLINE {took:?} after the kill");
    heard.sort_by(|x, y| x.user_status_identifier.cmp(&y.user_status_identifier));
    assert_eq!(
        heard,
        [offline.clone(), status("dave", Offline, "", &[])],
        "alice and dave go OFFLINE, alice's custom status cleared"
    );
    assert!(
        took <= Duration::from_millis(NODE_TIMEOUT_MS),
        "declared OFFLINE after {took:?}, bound {NODE_TIMEOUT_MS} ms"
    );
    assert_eq!(timeout_status(&mut carol, "alice").await, offline);
    // Exactly once, though two surviving nodes sweep.
    assert_eq!(bob.heard_except("bob").await, Vec::<String>::new());
    assert_eq!(carol.heard_except("carol").await, Vec::<String>::new());

    // A restarted node is a new node: it owns nothing, alice stays OFFLINE.
    let a2 = start_node(&config);
    let mut bob2 = Client::login(a2.addr(), "bob", "Mac", "b2").await;
    let got = statuses(&bob2.get(&["alice", "dave"]).await);
    assert_eq!(got[0], offline);
    assert_eq!(got[1].user_status_status_type, Offline);
    // The new node takes part at once: alice back on it is heard by bob on both nodes, once.
    let _alice = Client::login(a2.addr(), "alice", "Linux", "a-again").await;
    let online = status("alice", Online, "", &["Linux"]);
    assert_eq!(bob2.next_status_of("alice").await, online);
    assert_eq!(next_push_except(&mut bob, "bob").await, online);
    assert_eq!(carol.next_status_of("alice").await, online);
    assert_eq!(bob.heard_except("bob").await, Vec::<String>::new());
}

/// The next status push not about `me`, waiting longer than WAIT (node-death detection runs on
/// its own clock).
async fn next_push_except(client: &mut Client, me: &str) -> imsdk_protocol::UserStatus {
    let wait = async {
        loop {
            let st = client.next_status().await;
            if st.user_status_identifier != me {
                return st;
            }
        }
    };
    tokio::time::timeout(WAIT * 2, wait)
        .await
        .expect("status in time")
}

/// The next status of `user`, waiting longer than WAIT (node-death detection runs on its own clock).
async fn timeout_status(client: &mut Client, user: &str) -> imsdk_protocol::UserStatus {
    tokio::time::timeout(WAIT * 2, client.next_status_of(user))
        .await
        .expect("status in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restart_fails_calls_clearly_then_nodes_rebuild_presence() {
    let mut redis = Redis::start();
    let config = node_config(&redis, NODE_TIMEOUT_MS, |_| {});
    let (a, b) = (start_node(&config), start_node(&config));
    let mut alice = Client::login(a.addr(), "alice", "Linux", "a").await;
    let mut bob = Client::login(b.addr(), "bob", "Linux", "b").await;
    let carol = Client::login(b.addr(), "carol", "Linux", "c").await;
    assert_eq!(bob.subscribe(&["alice"]).await.code, 0);

    alice.drain_statuses().await;
    bob.drain_statuses().await;
    redis.kill();
    let r = bob.set_status(Some("anyone?")).await;
    assert_eq!(r.code, code::STORE_UNAVAILABLE, "{}", r.desc);
    assert!(r.desc.contains("Redis"), "{}", r.desc);
    let mut dave = Client::connect(a.addr()).await;
    let r = dave
        .send_frame(&common::login_frame("dave", "Linux", "d"))
        .await;
    assert_eq!(r.code, code::STORE_UNAVAILABLE);
    let q = json!({"To_Account": ["alice"]});
    let r = rest(a.addr(), "/v4/openim/query_online_status", &q).await;
    assert_eq!(r["ErrorCode"], code::STORE_UNAVAILABLE, "{r}");
    // carol leaves during the outage: Redis must not keep her ONLINE afterwards.
    carol.drop_tcp();

    redis.restart();
    // The nodes re-register their live sessions (the restarted Redis came back empty): each
    // account hears itself come back ONLINE.
    let back = |u: &str| status(u, Online, "", &["Linux"]);
    assert_eq!(timeout_status(&mut alice, "alice").await, back("alice"));
    assert_eq!(timeout_status(&mut bob, "bob").await, back("bob"));
    let got = statuses(&bob.get(&["alice", "bob", "carol"]).await);
    let types: Vec<_> = got.iter().map(|s| s.user_status_status_type).collect();
    // carol: UNLOGINED (the empty Redis forgot her), or OFFLINE if a sync re-added her session
    // before her node saw the connection drop; never ONLINE.
    assert_eq!(types[..2], [Online, Online], "{got:?}");
    assert!([UnLogined, Offline].contains(&types[2]), "{got:?}");
    // Fully working again: a change of alice reaches bob once he subscribes again (the empty
    // Redis lost the subscription lists; see docs/CLUSTER.md for persistence).
    let mut alice2 = Client::login(b.addr(), "alice", "Mac", "a2").await;
    assert_eq!(alice2.set_status(Some("back")).await.code, 0);
    assert_eq!(bob.subscribe(&["alice"]).await.code, 0);
    assert_eq!(alice2.set_status(Some("back again")).await.code, 0);
    assert_eq!(
        bob.next_status_of("alice").await.user_status_custom_status,
        "back again"
    );
    drop((a, b));
}

#[test]
fn a_node_without_redis_does_not_start() {
    let redis = Redis::start();
    let mut config = node_config(&redis, NODE_TIMEOUT_MS, |_| {});
    let port = redis.port;
    drop(redis);
    config.server.redis = Some(format!("redis://127.0.0.1:{port}"));
    let err = imsdk_server::ServerHandle::start(config, "127.0.0.1:0".parse().unwrap())
        .err()
        .expect("no node without its Redis");
    assert!(err.to_string().contains("redis"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkilled_node_process_and_graceful_leave() {
    let redis = Redis::start();
    let extra = format!("node_timeout_ms = {NODE_TIMEOUT_MS}\nredis_prefix = \"proc:\"");
    let (mut p1, p2) = (start_process(&redis, &extra), start_process(&redis, &extra));
    let mut bob = Client::login(p2.addr, "bob", "Linux", "b").await;
    assert_eq!(bob.subscribe(&["alice"]).await.code, 0);
    let _alice = Client::login(p1.addr, "alice", "Linux", "a").await;
    assert_eq!(
        bob.next_status_of("alice").await.user_status_status_type,
        Online
    );

    let killed_at = Instant::now();
    p1.kill();
    assert_eq!(
        timeout_status(&mut bob, "alice").await,
        status("alice", Offline, "", &[])
    );
    let took = killed_at.elapsed();
    eprintln!("OFFLINE {took:?} after the kill");
    assert!(took <= Duration::from_millis(NODE_TIMEOUT_MS), "{took:?}");

    // A graceful stop does not wait for the lease: its sessions go OFFLINE at once.
    let config = node_config(&redis, 60_000, |_| {});
    let (n1, n2) = (start_node(&config), start_node(&config));
    let mut carol = Client::login(n2.addr(), "carol", "Linux", "c").await;
    let _dave = Client::login(n1.addr(), "dave", "Linux", "d").await;
    assert_eq!(carol.subscribe(&["dave"]).await.code, 0);
    n1.shutdown();
    assert_eq!(
        carol.next_status_of("dave").await,
        status("dave", Offline, "", &[])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscription_list_dropped_after_retention_across_nodes() {
    let redis = Redis::start();
    let config = node_config(&redis, NODE_TIMEOUT_MS, |app| {
        app.limits.subscription_retention_s = 1;
    });
    let (a, b) = (start_node(&config), start_node(&config));
    let mut alice = Client::login(a.addr(), "alice", "Linux", "a").await;
    let mut dave = Client::login(b.addr(), "dave", "Linux", "d1").await;
    assert_eq!(dave.subscribe(&["alice"]).await.code, 0);
    // A blip within the retention: dave comes back on the other node and still hears alice.
    dave.drop_tcp();
    let mut dave = Client::login(a.addr(), "dave", "Linux", "d2").await;
    assert_eq!(alice.set_status(Some("one")).await.code, 0);
    assert_eq!(
        dave.next_status_of("alice").await.user_status_custom_status,
        "one"
    );

    // Away for longer than the retention (plus the sweep ticks it may take, lock phase included):
    // the list is gone.
    let r = dave
        .request(|id| imsdk_protocol::ClientFrame::Logout { id })
        .await;
    assert_eq!(r.code, 0);
    let gone = Instant::now();
    let tick = Duration::from_millis(NODE_TIMEOUT_MS / 6);
    tokio::time::sleep((Duration::from_secs(1) + tick * 4).saturating_sub(gone.elapsed())).await;
    let mut dave = Client::login(b.addr(), "dave", "Linux", "d3").await;
    assert_eq!(alice.set_status(Some("two")).await.code, 0);
    // dave's own change is published after alice's: once dave has it, alice's would have come.
    assert_eq!(dave.set_status(Some("mark")).await.code, 0);
    loop {
        let st = dave.next_status().await;
        assert_ne!(
            st.user_status_identifier, "alice",
            "list should have expired"
        );
        if st.user_status_custom_status == "mark" {
            break;
        }
    }
}

/// Replies (code and data) of a mixed sequence of calls by alice, with bob online.
async fn answers(addr: std::net::SocketAddr) -> Vec<(i32, Option<serde_json::Value>)> {
    let import = json!({"Accounts": ["x y", "q\"t/\\", "bad\u{1}"]});
    let r = rest(addr, "/v4/im_open_login_svc/multiaccount_import", &import).await;
    assert_eq!(r["FailAccounts"], json!(["bad\u{1}"]), "{r}");
    let _bob = Client::login(addr, "bob", "Android", "b").await;
    let mut odd = Client::login(addr, "x y", "Web", "o").await;
    let mut alice = Client::login(addr, "alice", "Linux", "a").await;
    let mut out = Vec::new();
    let long = "é".repeat(51);
    for r in [
        odd.set_status(Some("«quotes\" and \\ / 🚀»")).await,
        alice.set_status(Some(&long)).await,
        alice.get(&[]).await,
        alice.get(&["alice"]).await,
        alice
            .get(&["nobody", "bad\u{1}", "x y", "bob", "bob", "q\"t/\\"])
            .await,
        alice.get(&["bad\u{1}", "nobody"]).await,
        alice.get(&["nobody", "bad\u{1}"]).await,
        alice.subscribe(&["alice"]).await,
        alice.subscribe(&["nobody"]).await,
        alice.subscribe(&["bad\u{1}", "nobody"]).await,
        alice.subscribe(&["bob", "nobody", "x y"]).await,
        alice.unsubscribe(Some(&["bob"])).await,
        alice.unsubscribe(None).await,
    ] {
        out.push((r.code, r.data));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_answers_as_the_in_memory_store_with_odd_ids_and_texts() {
    let memory = common::start(common::config(|_| {}));
    let expected = answers(memory.addr()).await;
    let redis = Redis::start();
    let node = start_node(&node_config(&redis, NODE_TIMEOUT_MS, |_| {}));
    assert_eq!(answers(node.addr()).await, expected);
    // The odd account's status made it through Lua and JSON intact.
    let got = &expected[4].1.as_ref().expect("data")[0];
    assert_eq!(got["user_status_custom_status"], "«quotes\" and \\ / 🚀»");
}

#[test]
fn the_binary_exits_1_when_redis_is_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_imsdk-server"))
        .args(["--listen", "127.0.0.1:0"])
        .args(["--redis", &format!("redis://127.0.0.1:{port}")])
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot start: redis"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_reaped_while_its_node_was_cut_off_is_kicked_if_its_place_was_taken() {
    let redis = Redis::start();
    let config = node_config(&redis, NODE_TIMEOUT_MS, |app| {
        app.login_policy = LoginPolicy::OnePerPlatform;
    });
    let p = format!("{}{}:", config.server.redis_prefix, common::APP);
    let (a, b) = (start_node(&config), start_node(&config));
    let mut old = Client::login(a.addr(), "alice", "iOS", "phone-1").await;
    // As if node A lost Redis for longer than its lease: its session of alice was reaped (the kick
    // below then has nobody to displace), and A's lease is gone.
    let gsid = redis.cli(&["HKEYS", &format!("{p}s:alice")]);
    let gsid = gsid.trim();
    let node = gsid.split('/').next().expect("node id");
    redis.cli(&["HDEL", &format!("{p}s:alice"), gsid]);
    redis.cli(&["SREM", &format!("{p}ns:{node}"), &format!("{gsid} alice")]);
    let mut new = Client::login(b.addr(), "alice", "iOS", "phone-2").await;
    redis.cli(&["DEL", &format!("{p}node:{node}")]);
    // A re-registers its sessions: the old one lost its place to the newer login and is kicked.
    assert_eq!(
        old.end().await,
        common::close_code(imsdk_protocol::close::KICKED_OFFLINE)
    );
    let got = statuses(&new.get(&["alice"]).await);
    assert_eq!(got[0], status("alice", Online, "", &["iOS"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_missed_while_pubsub_was_down_are_caught_up() {
    let redis = Redis::start();
    let config = node_config(&redis, NODE_TIMEOUT_MS, |_| {});
    let (a, b) = (start_node(&config), start_node(&config));
    let mut alice = Client::login(a.addr(), "alice", "Linux", "a").await;
    let mut bob = Client::login(b.addr(), "bob", "Linux", "b").await;
    assert_eq!(bob.subscribe(&["alice"]).await.code, 0);
    // Every node loses its pub/sub connection; alice changes before they are back (50 ms backoff).
    assert!(
        redis
            .cli(&["CLIENT", "KILL", "TYPE", "pubsub"])
            .trim()
            .parse::<u32>()
            .unwrap_or(0)
            >= 2
    );
    assert_eq!(alice.set_status(Some("moved")).await.code, 0);
    // bob hears it anyway, in the catch-up frame his node sends once resubscribed.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let frame = tokio::time::timeout_at(deadline, bob.next_frame())
            .await
            .expect("alice's change in time");
        if let ServerFrame::StatusChanged { statuses } = frame {
            if statuses.contains(&status("alice", Online, "moved", &["Linux"])) {
                break;
            }
        }
    }
}
