//! The embedded store's durable data (docs/STORAGE.md): what was acknowledged survives a restart,
//! a SIGKILL, a backup and restore, and an upgrade of the schema.

mod common;
mod ops_common;

use common::*;
use imsdk_protocol::{code, UserStatusType};
use imsdk_server::config::Config;
use imsdk_server::store::durable;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The test app on `dir`, with rate limits out of the way of streaming tests.
fn durable_config(dir: &Path) -> Config {
    let mut cfg = config(|app| {
        app.friend_status_notify = true;
        app.limits.rate_calls = 1_000_000;
    });
    cfg.server.data_dir = Some(dir.display().to_string());
    cfg
}

/// Which of `ids` are imported, by the REST online query (500 per call).
async fn imported(addr: SocketAddr, ids: &[String]) -> HashSet<String> {
    let mut out = HashSet::new();
    for chunk in ids.chunks(500) {
        let answer = rest(
            addr,
            "/v4/openim/query_online_status",
            &json!({"To_Account": chunk}),
        )
        .await;
        assert_eq!(answer["ErrorCode"], 0, "{answer}");
        for item in answer["QueryResult"].as_array().expect("QueryResult") {
            out.insert(item["To_Account"].as_str().unwrap().to_owned());
        }
    }
    out
}

async fn import(addr: SocketAddr, ids: &[String]) -> Value {
    rest(
        addr,
        "/v4/im_open_login_svc/multiaccount_import",
        &json!({"Accounts": ids}),
    )
    .await
}

/// The account's friends and subscriptions as the console shows them.
async fn lists(addr: SocketAddr, token: &str, id: &str) -> (Vec<String>, Vec<String>) {
    let (status, body, _) = http(
        addr,
        "GET",
        &format!("/console/api/accounts/{id}"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let list = |k: &str| -> Vec<String> {
        serde_json::from_value(body["account"][k].clone()).expect("list")
    };
    (list("friends"), list("subscriptions"))
}

#[tokio::test(flavor = "multi_thread")]
async fn accounts_friends_subscriptions_and_settings_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(durable_config(dir.path()));
    let addr = server.addr();
    let new: Vec<String> = (0..250).map(|i| format!("user{i}")).collect();
    assert_eq!(import(addr, &new[..100]).await["ErrorCode"], 0);
    assert_eq!(import(addr, &new[100..200]).await["ErrorCode"], 0);
    let friend = rest(
        addr,
        "/v4/sns/friend_add",
        &json!({"From_Account": "carol", "AddFriendItem": [{"To_Account": "user7"}]}),
    )
    .await;
    assert_eq!(friend["ResultItem"][0]["ResultCode"], 0, "{friend}");
    let mut alice = Client::login(addr, "alice", "Linux", "a").await;
    assert_eq!(alice.subscribe(&["bob", "user1", "user2"]).await.code, 0);
    assert_eq!(alice.unsubscribe(Some(&["user1"])).await.code, 0);
    // Re-subscribing moves an entry to the end of the list.
    assert_eq!(alice.subscribe(&["bob"]).await.code, 0);
    let token = sign_in(addr).await;
    let (status, _, _) = http(
        addr,
        "PUT",
        "/console/api/settings",
        Some(&token),
        Some(&json!({"heartbeat_timeout_s": 77})),
    )
    .await;
    assert_eq!(status, 200);
    drop(alice);
    server.shutdown();

    let server = start(durable_config(dir.path()));
    let addr = server.addr();
    let found = imported(addr, &new).await;
    let expected: HashSet<String> = new[..200].iter().cloned().collect();
    assert_eq!(
        found, expected,
        "imported before the restart, and only those"
    );
    let token = sign_in(addr).await;
    assert_eq!(
        lists(addr, &token, "alice").await.1,
        vec!["user2".to_owned(), "bob".to_owned()]
    );
    assert_eq!(
        lists(addr, &token, "user7").await.0,
        vec!["carol".to_owned()]
    );
    assert_eq!(
        lists(addr, &token, "carol").await.0,
        vec!["user7".to_owned()]
    );
    // The stored list is live: bob's login reaches alice without a new subscribe, and the
    // friendship reaches carol (friend notification on).
    let mut alice = Client::login(addr, "alice", "Linux", "a").await;
    let mut carol = Client::login(addr, "carol", "Linux", "c").await;
    let reply = alice.heartbeat().await;
    assert_eq!(reply.code, 0);
    alice.pushes.clear();
    carol.drain_statuses().await;
    let _bob = Client::login(addr, "bob", "Linux", "b").await;
    assert_eq!(
        alice.next_status_of("bob").await.user_status_status_type,
        UserStatusType::Online
    );
    let _user7 = Client::login(addr, "user7", "Linux", "u").await;
    assert_eq!(
        carol.next_status_of("user7").await.user_status_status_type,
        UserStatusType::Online
    );
    // The console setting came back from the database.
    let login = Client::connect(addr)
        .await
        .send_frame(&login_frame("dave", "Linux", "d"))
        .await;
    assert_eq!(login_reply(&login).heartbeat_timeout_s, 77);
}

#[test]
fn data_directory_file_is_private_and_a_bad_one_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    drop(start(durable_config(dir.path())));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(durable::DB_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A file where the directory should be: a clear error, and no port opened.
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let err =
        imsdk_server::ServerHandle::start(durable_config(&file), "127.0.0.1:0".parse().unwrap())
            .err()
            .expect("refused");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(err.to_string().contains("not-a-dir"), "{err}");
}

#[test]
fn a_first_schema_file_is_migrated_and_a_newer_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = rusqlite::Connection::open(dir.path().join(durable::DB_FILE)).unwrap();
        durable::migrate(&conn, 1).unwrap();
        conn.execute("INSERT INTO accounts VALUES (?1, 'zed')", [APP as i64])
            .unwrap();
    }
    let server = start(durable_config(dir.path()));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // Imported in the old file: the login succeeds.
        let _zed = Client::login(server.addr(), "zed", "Linux", "z").await;
    });
    drop(server);
    let conn = rusqlite::Connection::open(dir.path().join(durable::DB_FILE)).unwrap();
    let version: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, durable::SCHEMA_VERSION);
    conn.pragma_update(None, "user_version", durable::SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    let err = imsdk_server::ServerHandle::start(
        durable_config(dir.path()),
        "127.0.0.1:0".parse().unwrap(),
    )
    .err()
    .expect("a newer file is refused");
    assert!(err.to_string().contains("newer imsdk-server"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_taken_under_write_load_restores_everything_acknowledged_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(durable_config(dir.path()));
    let addr = server.addr();
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (acked, stop) = (Arc::clone(&acked), Arc::clone(&stop));
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let ids: Vec<String> = (0..20).map(|i| format!("w{n}-{i}")).collect();
                n += 1;
                if import(addr, &ids).await["ErrorCode"] == 0 {
                    acked.lock().unwrap().extend(ids);
                }
            }
        })
    };
    // Wait until the load is under way, then back up while it goes on.
    while acked.lock().unwrap().len() < 400 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let before = acked.lock().unwrap().clone();
    let copy = dir.path().join("backup.db");
    let (data, dest) = (dir.path().to_owned(), copy.clone());
    tokio::task::spawn_blocking(move || durable::backup(&data, &dest))
        .await
        .unwrap()
        .expect("backup");
    // (The writer never paused: whether it got a commit in while the copy ran depends on how
    // fast the copy was; what was answered before it must be in it either way.)
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.await.unwrap();
    server.shutdown();

    let restored = tempfile::tempdir().unwrap();
    std::fs::copy(&copy, restored.path().join(durable::DB_FILE)).unwrap();
    let server = start(durable_config(restored.path()));
    let found = imported(server.addr(), &before).await;
    assert_eq!(
        found.len(),
        before.len(),
        "every account acknowledged before the backup"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sigkilled_server_keeps_every_acknowledged_import_and_subscription() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let env = [
        ("IMSDK_SERVER_DATA_DIR", data.as_str()),
        ("IMSDK_DATA_DIR", data.as_str()),
        ("IMSDK_APP_LIMITS_RATE_CALLS", "1000000"),
    ];
    let mut server = ops_common::spawn_server(&["--listen", "127.0.0.1:0"], &env);
    let addr = server.addr;
    // The dev app starts with no account.
    assert_eq!(import(addr, &["alice".to_owned()]).await["ErrorCode"], 0);
    // Four streams of single-account imports, and one client subscribing to each account as its
    // import is answered (a subscription needs an imported target). Once the server is killed
    // their clients panic on the lost connection, which ends their tasks.
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut streams = Vec::new();
    for s in 0..4 {
        let acked = Arc::clone(&acked);
        streams.push(tokio::spawn(async move {
            for n in 0.. {
                let id = format!("k{s}-{n}");
                let answer = import(addr, std::slice::from_ref(&id)).await;
                assert_eq!(answer["ErrorCode"], 0, "{answer}");
                acked.lock().unwrap().push(id);
            }
        }));
    }
    let subscribed = Arc::new(Mutex::new(Vec::<String>::new()));
    let subscriber = {
        let (acked, subscribed) = (Arc::clone(&acked), Arc::clone(&subscribed));
        tokio::spawn(async move {
            let mut alice = Client::login(addr, "alice", "Linux", "a").await;
            for next in 0.. {
                let target = loop {
                    if let Some(t) = acked.lock().unwrap().get(next).cloned() {
                        break t;
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                };
                let reply = alice.subscribe(&[&target]).await;
                assert_eq!(reply.code, 0, "{}", reply.desc);
                subscribed.lock().unwrap().push(target);
            }
        })
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while subscribed.lock().unwrap().len() < 300 || acked.lock().unwrap().len() < 2000 {
        assert!(std::time::Instant::now() < deadline, "the streams stalled");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill();
    for s in streams {
        let _ = s.await;
    }
    let _ = subscriber.await;
    let acked = acked.lock().unwrap().clone();
    let subscribed = subscribed.lock().unwrap().clone();
    drop(server);

    let server = ops_common::spawn_server(&["--listen", "127.0.0.1:0"], &env);
    let found = imported(server.addr, &acked).await;
    let missing: Vec<&String> = acked.iter().filter(|id| !found.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged imports lost: {missing:?}",
        missing.len()
    );
    let token = sign_in(server.addr).await;
    let list: HashSet<String> = lists(server.addr, &token, "alice")
        .await
        .1
        .into_iter()
        .collect();
    // The list keeps the newest 200; at most one more subscribe may have been applied unanswered.
    let newest = &subscribed[subscribed.len().saturating_sub(199)..];
    let lost: Vec<&String> = newest.iter().filter(|t| !list.contains(*t)).collect();
    assert!(lost.is_empty(), "acknowledged subscriptions lost: {lost:?}");
    println!(
        "SIGKILL after {} imports and {} subscriptions acknowledged: none lost",
        acked.len(),
        subscribed.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_that_fails_answers_an_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(durable_config(dir.path()));
    let addr = server.addr();
    let mut alice = Client::login(addr, "alice", "Linux", "a").await;
    assert_eq!(alice.subscribe(&["bob"]).await.code, 0);
    // The database becomes unwritable (as on a full disk): an open transaction of another
    // connection holds the write lock for longer than the writer's busy timeout.
    let conn = rusqlite::Connection::open(dir.path().join(durable::DB_FILE)).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    let reply = alice.subscribe(&["carol"]).await;
    assert_eq!(reply.code, code::STORE_UNAVAILABLE, "{}", reply.desc);
    let answer = import(addr, &["nobody1".to_owned()]).await;
    assert_eq!(answer["ErrorCode"], code::STORE_UNAVAILABLE, "{answer}");
    // Presence keeps working meanwhile.
    assert_eq!(alice.set_status(Some("still here")).await.code, 0);
    conn.execute_batch("ROLLBACK").unwrap();
    drop(conn);
    let token = sign_in(addr).await;
    assert_eq!(lists(addr, &token, "alice").await.1, vec!["bob".to_owned()]);
    assert!(imported(addr, &["nobody1".to_owned()]).await.is_empty());
    // Writable again: the same calls succeed.
    assert_eq!(alice.subscribe(&["carol"]).await.code, 0);
    assert_eq!(import(addr, &["nobody1".to_owned()]).await["ErrorCode"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_old_state_file_is_read_once_into_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("imsdk.toml.state.json");
    std::fs::write(
        &state,
        json!({"apps": {APP.to_string(): {"heartbeat_timeout_s": 55}}}).to_string(),
    )
    .unwrap();
    let mut cfg = durable_config(dir.path());
    cfg.server.state_file = Some(state.display().to_string());
    let heartbeat = |server: &imsdk_server::ServerHandle| {
        let addr = server.addr();
        async move {
            let mut c = Client::connect(addr).await;
            login_reply(&c.send_frame(&login_frame("alice", "Linux", "a")).await)
                .heartbeat_timeout_s
        }
    };
    let server = start(cfg);
    assert_eq!(heartbeat(&server).await, 55);
    server.shutdown();
    // Kept in the database: the file is no longer needed.
    std::fs::remove_file(&state).unwrap();
    let server = start(durable_config(dir.path()));
    assert_eq!(heartbeat(&server).await, 55);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_retention_clock_of_a_stored_list_runs_on_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let make = || {
        let mut cfg = durable_config(dir.path());
        cfg.apps[0].limits.subscription_retention_s = 1;
        cfg
    };
    let server = start(make());
    let mut alice = Client::login(server.addr(), "alice", "Linux", "a").await;
    assert_eq!(alice.subscribe(&["bob"]).await.code, 0);
    alice.drop_tcp();
    let mut bob = Client::login(server.addr(), "bob", "Linux", "b").await;
    // alice OFFLINE, as bob queries it: her clock started (and was queued to disk) before.
    while statuses(&bob.get(&["alice"]).await)[0].user_status_status_type != UserStatusType::Offline
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.shutdown();
    let started = std::time::Instant::now();
    let server = start(make());
    let token = sign_in(server.addr()).await;
    while !lists(server.addr(), &token, "alice").await.1.is_empty() {
        assert!(
            started.elapsed() < WAIT,
            "the list is dropped about 1 s after alice left"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_backs_up_and_refuses_a_bad_or_newer_data_directory() {
    let bin = env!("CARGO_BIN_EXE_imsdk-server");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.display().to_string();
    let env = [("IMSDK_DATA_DIR", data_s.as_str())];
    let server = ops_common::spawn_server(&["--listen", "127.0.0.1:0"], &env);
    assert_eq!(
        import(server.addr, &["zed".to_owned()]).await["ErrorCode"],
        0
    );
    // `imsdk-server backup` while the server runs.
    let copy = dir.path().join("copy.db");
    let out = std::process::Command::new(bin)
        .args(["backup", "--data-dir", &data_s, copy.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(server);
    let restored = dir.path().join("restored");
    std::fs::create_dir(&restored).unwrap();
    std::fs::copy(&copy, restored.join(durable::DB_FILE)).unwrap();
    let restored_s = restored.display().to_string();
    let server = ops_common::spawn_server(
        &["--listen", "127.0.0.1:0"],
        &[("IMSDK_DATA_DIR", restored_s.as_str())],
    );
    assert_eq!(imported(server.addr, &["zed".to_owned()]).await.len(), 1);
    drop(server);
    // Exit 2 with the reason, before listening: a file as the directory, a newer schema.
    let run = |data: &str| {
        std::process::Command::new(bin)
            .args(["--listen", "127.0.0.1:0", "--data-dir", data])
            .output()
            .unwrap()
    };
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let out = run(file.to_str().unwrap());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a-file"));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"));
    let conn = rusqlite::Connection::open(restored.join(durable::DB_FILE)).unwrap();
    conn.pragma_update(None, "user_version", durable::SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    let out = run(&restored_s);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("newer imsdk-server"));
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_report_the_stores_commits_latency_and_size() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(durable_config(dir.path()));
    let addr = server.addr();
    let scrape = || async move { ops_common::get(addr, "/metrics").await.1 };
    let before = scrape().await;
    let commits = |page: &str| ops_common::metric(page, "imsdk_store_commits_total");
    let ids: Vec<String> = (0..100).map(|i| format!("m{i}")).collect();
    assert_eq!(import(addr, &ids).await["ErrorCode"], 0);
    let after = scrape().await;
    assert!(commits(&after) >= commits(&before) + 1.0, "{after}");
    assert!(ops_common::metric(&after, "imsdk_store_commit_seconds_total") > 0.0);
    assert!(ops_common::metric(&after, "imsdk_store_size_bytes") > 0.0);
    assert_eq!(
        ops_common::metric(&after, "imsdk_store_write_failures_total"),
        0.0
    );
}
