//! Login: UserSig checks and their codes, account import, login reply, session expiry.

mod common;
use common::*;
use imsdk_protocol::{close, code, ClientFrame, ServerFrame, PROTOCOL_VERSION};

fn login_with(user: &str, user_sig: String, sdk_app_id: u64) -> ClientFrame {
    ClientFrame::Login(imsdk_protocol::LoginRequest {
        id: 9,
        version: PROTOCOL_VERSION,
        sdk_app_id,
        user_id: user.into(),
        user_sig,
        platform: "Linux".into(),
        instance_id: "i1".into(),
    })
}

/// Sends a login and expects it to fail with `want`, then the close 4005.
async fn expect_login_error(addr: std::net::SocketAddr, frame: ClientFrame, want: i32) {
    let mut c = Client::connect(addr).await;
    let reply = c.send_frame(&frame).await;
    assert_eq!(reply.code, want, "{}", reply.desc);
    assert_eq!(reply.id, 9);
    assert_eq!(c.end().await, End::Close(close::LOGIN_FAILED));
}

#[tokio::test(flavor = "multi_thread")]
async fn login_reply_carries_heartbeat_timeout_and_version() {
    let server = start(config(|a| a.heartbeat_timeout_s = 77));
    let mut c = Client::connect(server.addr()).await;
    let reply = c.send_frame(&login_frame("alice", "Windows", "i1")).await;
    assert_eq!((reply.id, reply.code), (1, 0));
    let data = login_reply(&reply);
    assert_eq!(data.heartbeat_timeout_s, 77);
    assert_eq!(data.version, PROTOCOL_VERSION);
    assert!(data.server_time.abs_diff(imsdk_usersig::unix_now()) < 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn usersig_errors_have_tencent_codes() {
    let server = start(config(|_| {}));
    let addr = server.addr();
    let now = imsdk_usersig::unix_now();
    let expired = imsdk_usersig::generate_at(APP, KEY, "alice", 10, now - 100);
    expect_login_error(
        addr,
        login_with("alice", expired, APP),
        code::USERSIG_EXPIRED,
    )
    .await;
    let wrong_key = imsdk_usersig::generate(APP, "another-key", "alice", 3600);
    expect_login_error(
        addr,
        login_with("alice", wrong_key, APP),
        code::USERSIG_CHECK_FAILED,
    )
    .await;
    expect_login_error(
        addr,
        login_with("alice", "not-a-usersig".into(), APP),
        code::USERSIG_CHECK_FAILED,
    )
    .await;
    expect_login_error(
        addr,
        login_with("alice", sig("bob"), APP),
        code::USERSIG_MISMATCH_ID,
    )
    .await;
    let other_app = imsdk_usersig::generate(1_400_000_999, KEY, "alice", 3600);
    expect_login_error(
        addr,
        login_with("alice", other_app, APP),
        code::USERSIG_MISMATCH_SDKAPPID,
    )
    .await;
    expect_login_error(
        addr,
        login_with("alice", sig("alice"), 1_400_000_999),
        code::USERSIG_MISMATCH_SDKAPPID,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn identifiers_must_be_printable_ascii_up_to_32_bytes_and_imported() {
    let server = start(config(|_| {}));
    let addr = server.addr();
    let long = "x".repeat(33);
    expect_login_error(
        addr,
        login_with(&long, sig(&long), APP),
        code::INVALID_IDENTIFIER,
    )
    .await;
    expect_login_error(
        addr,
        login_with("zoë", sig("zoë"), APP),
        code::INVALID_IDENTIFIER,
    )
    .await;
    expect_login_error(addr, login_with("", sig(""), APP), code::INVALID_IDENTIFIER).await;
    expect_login_error(
        addr,
        login_with("stranger", sig("stranger"), APP),
        code::ACCOUNT_NOT_FOUND,
    )
    .await;
    // 32 printable bytes, spaces included, are fine once imported.
    let max = "a b".repeat(10) + "cd";
    assert_eq!(max.len(), 32);
    let r = rest(
        addr,
        "/v4/im_open_login_svc/account_import",
        &serde_json::json!({"UserID": max}),
    )
    .await;
    assert_eq!(r["ErrorCode"], 0, "{r}");
    let mut c = Client::connect(addr).await;
    assert_eq!(
        c.send_frame(&login_with(&max, sig(&max), APP)).await.code,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_protocol_version_and_bad_platform_are_refused() {
    let server = start(config(|_| {}));
    let mut frame = login_with("alice", sig("alice"), APP);
    if let ClientFrame::Login(imsdk_protocol::LoginRequest { version, .. }) = &mut frame {
        *version = PROTOCOL_VERSION + 1;
    }
    expect_login_error(server.addr(), frame, code::INVALID_PARAMETERS).await;
    let mut frame = login_with("alice", sig("alice"), APP);
    if let ClientFrame::Login(imsdk_protocol::LoginRequest { platform, .. }) = &mut frame {
        platform.clear();
    }
    expect_login_error(server.addr(), frame, code::INVALID_PARAMETERS).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn request_before_login_is_refused_and_closed() {
    let server = start(config(|_| {}));
    let mut c = Client::connect(server.addr()).await;
    let reply = c
        .send_frame(&ClientFrame::GetUserStatus {
            id: 5,
            user_ids: vec!["alice".into()],
        })
        .await;
    assert_eq!((reply.id, reply.code), (5, code::SDK_NOT_LOGGED_IN));
    assert_eq!(c.end().await, End::Close(close::PROTOCOL_ERROR));
}

#[tokio::test(flavor = "multi_thread")]
async fn no_login_frame_in_time_closes() {
    let server = start(config(|_| {}).with_login_timeout(1));
    let mut c = Client::connect(server.addr()).await;
    assert_eq!(c.end().await, End::Close(close::PROTOCOL_ERROR));
}

#[tokio::test(flavor = "multi_thread")]
async fn usersig_expiring_during_the_session_is_pushed_then_closed() {
    let server = start(config(|_| {}));
    let mut c = Client::connect(server.addr()).await;
    let short = imsdk_usersig::generate(APP, KEY, "alice", 1);
    assert_eq!(c.send_frame(&login_with("alice", short, APP)).await.code, 0);
    let mut watcher = Client::login(server.addr(), "bob", "Linux", "b").await;
    assert_eq!(watcher.subscribe(&["alice"]).await.code, 0);
    assert_eq!(c.end().await, End::Close(close::USER_SIG_EXPIRED));
    assert!(c.pushes.contains(&ServerFrame::UserSigExpired {
        code: code::USERSIG_EXPIRED,
        desc: "UserSig expired".into()
    }));
    // The account went OFFLINE with the session.
    let st = watcher.next_status_of("alice").await;
    assert_eq!(
        st.user_status_status_type,
        imsdk_protocol::UserStatusType::Offline
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_login_on_the_same_connection_is_refused() {
    let server = start(config(|_| {}));
    let mut c = Client::login(server.addr(), "alice", "Linux", "a").await;
    let mut frame = login_frame("alice", "Linux", "a");
    if let ClientFrame::Login(imsdk_protocol::LoginRequest { id, .. }) = &mut frame {
        *id = 77;
    }
    assert_eq!(c.send_frame(&frame).await.code, code::INVALID_PARAMETERS);
    assert_eq!(c.heartbeat().await.code, 0, "the session is unaffected");
}
