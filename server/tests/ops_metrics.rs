//! `/metrics` (scraped after real activity), `/healthz` and `/readyz`.

mod common;
mod ops_common;

use common::*;
use ops_common::*;

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_sessions_logins_pushes_and_latency() {
    let server = start(config(|_| {}));
    let addr = server.addr();
    let (status, page) = get(addr, "/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(metric(&page, "imsdk_notifications_sent_total"), 0.0);

    let mut bob = Client::login(addr, "bob", "Android", "phone").await;
    assert_eq!(bob.subscribe(&["alice"]).await.code, 0);
    let mut alice = Client::login(addr, "alice", "Windows", "pc").await;
    bob.next_status_of("alice").await;
    assert_eq!(alice.set_status(Some("x")).await.code, 0);
    bob.next_status_of("alice").await;
    let mut refused = Client::connect(addr).await;
    let mut bad = login_frame("carol", "iOS", "i");
    if let imsdk_protocol::ClientFrame::Login(imsdk_protocol::LoginRequest { user_sig, .. }) =
        &mut bad
    {
        *user_sig = "not-a-usersig".into();
    }
    assert_ne!(refused.send_frame(&bad).await.code, 0);

    let (_, page) = get(addr, "/metrics").await;
    let app = format!("sdk_app_id=\"{APP}\"");
    assert_eq!(
        metric(&page, &format!("imsdk_sessions_online{{{app}}}")),
        2.0,
        "{page}"
    );
    let ok = format!("imsdk_logins_total{{{app},result=\"ok\"}}");
    let failed = format!("imsdk_logins_total{{{app},result=\"failed\"}}");
    assert_eq!(metric(&page, &ok), 2.0, "{page}");
    assert_eq!(metric(&page, &failed), 1.0, "{page}");
    // bob heard alice's login and her status change.
    assert!(
        metric(&page, "imsdk_notifications_sent_total") >= 2.0,
        "{page}"
    );
    let subscribes = r#"imsdk_request_duration_seconds_count{kind="subscribe_user_status"}"#;
    assert_eq!(metric(&page, subscribes), 1.0, "{page}");
    assert_eq!(
        metric(
            &page,
            r#"imsdk_request_duration_seconds_count{kind="set_self_status"}"#
        ),
        1.0
    );
    assert!(page.contains("imsdk_redis_errors_total 0"), "{page}");
    let r = rest(
        addr,
        "/v4/openim/query_online_status",
        &serde_json::json!({"To_Account": ["alice"]}),
    )
    .await;
    assert_eq!(r["ErrorCode"], 0);
    let (_, page) = get(addr, "/metrics").await;
    let rest_count = r#"imsdk_request_duration_seconds_count{kind="rest"}"#;
    assert_eq!(metric(&page, rest_count), 1.0, "{page}");

    alice.drop_tcp();
    bob.next_status_of("alice").await;
    let (_, page) = get(addr, "/metrics").await;
    assert_eq!(
        metric(&page, &format!("imsdk_sessions_online{{{app}}}")),
        1.0,
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn health_and_readiness() {
    let server = start(config(|_| {}));
    let addr = server.addr();
    assert_eq!(get(addr, "/healthz").await, (200, "ok\n".into()));
    assert_eq!(get(addr, "/readyz").await, (200, "ready\n".into()));
}

/// The binary's `imsdk_build_info` and, on Linux, its `process_*` figures, scraped from a real
/// server process and checked against what /proc and `--version` say about it.
#[tokio::test(flavor = "multi_thread")]
async fn build_info_and_process_metrics_of_the_binary() {
    let unix_now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
    };
    let before = unix_now();
    let server = spawn_server(&["--listen", "127.0.0.1:0"], &[]);
    let after_start = unix_now();
    let addr = server.addr;
    let (status, page) = get(addr, "/metrics").await;
    assert_eq!(status, 200);

    let version = std::process::Command::new(env!("CARGO_BIN_EXE_imsdk-server"))
        .arg("--version")
        .output()
        .unwrap();
    let version = String::from_utf8(version.stdout).unwrap();
    let commit = version
        .lines()
        .find_map(|l| l.strip_prefix("commit:"))
        .expect("a commit line")
        .trim();
    let build_info = format!(
        "imsdk_build_info{{version=\"{}\",commit=\"{commit}\"}}",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(metric(&page, &build_info), 1.0, "{page}");

    if !cfg!(target_os = "linux") {
        assert!(!page.contains("process_"), "{page}");
        return;
    }
    let pid = server.pid();
    // Start time: /proc counts in clock ticks from a boot time in whole seconds.
    let start = metric(&page, "process_start_time_seconds");
    assert!(
        start > before - 2.0 && start < after_start + 2.0,
        "start {start}, spawned between {before} and {after_start}"
    );
    // Resident memory: what /proc/PID/status says, give or take what changed between the reads.
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let vm_rss_kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    let rss = metric(&page, "process_resident_memory_bytes");
    assert!(rss > 1_000_000.0, "{page}");
    assert!(
        (rss / (vm_rss_kb * 1024.0) - 1.0).abs() < 0.5,
        "rss {rss} vs VmRSS {vm_rss_kb} kB"
    );
    // Open descriptors: every WebSocket the server accepted is one more.
    let fds_before = metric(&page, "process_open_fds");
    assert!(fds_before >= 4.0, "stdio and the listener at least: {page}");
    let mut clients = Vec::new();
    for _ in 0..20 {
        clients.push(Client::connect(addr).await);
    }
    let (_, page) = get(addr, "/metrics").await;
    let fds_after = metric(&page, "process_open_fds");
    assert!(
        fds_after >= fds_before + 20.0,
        "{fds_before} -> {fds_after} with 20 more sockets"
    );
    // CPU: the process's user + system time, as /proc/PID/stat counts it (100 ticks a second on
    // Linux): between what the test reads just before and just after the scrape. Scrapes first
    // until the server has used 50 ms, so that the figure is not 0 (each answer reads /proc).
    let cpu_ticks = || {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 1..]
            .split_whitespace()
            .collect();
        fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap()
    };
    let http = reqwest::Client::new();
    let url = format!("http://{addr}/metrics");
    for _ in 0..20_000 {
        if cpu_ticks() >= 5.0 {
            break;
        }
        http.get(&url).send().await.unwrap().text().await.unwrap();
    }
    let low = cpu_ticks() / 100.0;
    let page = http.get(&url).send().await.unwrap().text().await.unwrap();
    let high = cpu_ticks() / 100.0;
    assert!(
        page.contains("# TYPE process_cpu_seconds counter"),
        "{page}"
    );
    let cpu = metric(&page, "process_cpu_seconds_total");
    assert!(
        low >= 0.05 && low <= cpu && cpu <= high,
        "cpu {cpu} s, /proc said {low} s before and {high} s after"
    );
    drop(clients);
}
