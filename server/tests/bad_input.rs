//! Malformed frames, wrong types, unknown operations, binary and oversize frames.

mod common;
use common::*;
use imsdk_protocol::{close, code};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test(flavor = "multi_thread")]
async fn malformed_and_wrongly_typed_frames_get_error_replies_and_the_session_stays() {
    let server = start(config(|_| {}));
    let mut a = Client::login(server.addr(), "alice", "Linux", "a").await;
    a.send_text("{not json").await;
    let r = a.reply_for(0).await;
    assert_eq!(r.code, code::INVALID_JSON);
    a.send_text(r#"{"op":"get_user_status","id":41,"user_ids":"bob"}"#)
        .await;
    assert_eq!(a.reply_for(41).await.code, code::INVALID_PARAMETERS);
    a.send_text(r#"{"op":"fly_to_the_moon","id":42}"#).await;
    let r = a.reply_for(42).await;
    assert_eq!(r.code, code::INVALID_PARAMETERS);
    assert!(r.desc.contains("fly_to_the_moon"), "{}", r.desc);
    a.send_text(r#"{"op":"heartbeat","id":-3}"#).await;
    assert_eq!(a.reply_for(0).await.code, code::INVALID_PARAMETERS);
    a.send_text(r#"[1,2,3]"#).await;
    assert_eq!(a.reply_for(0).await.code, code::INVALID_PARAMETERS);
    a.send_text(r#"{"op":"set_self_status","id":43,"custom_status":5}"#)
        .await;
    assert_eq!(a.reply_for(43).await.code, code::INVALID_PARAMETERS);
    a.send_text(r#"{"op":"heartbeat","id":44,"extra":true}"#)
        .await;
    assert_eq!(
        a.reply_for(44).await.code,
        code::INVALID_PARAMETERS,
        "unknown fields are refused"
    );
    assert_eq!(a.heartbeat().await.code, 0);
    assert_eq!(a.set_status(Some("still fine")).await.code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_first_frame_is_answered_and_closed() {
    let server = start(config(|_| {}));
    let mut c = Client::connect(server.addr()).await;
    c.send_text("hello").await;
    assert_eq!(c.reply_for(0).await.code, code::INVALID_JSON);
    assert_eq!(c.end().await, End::Close(close::PROTOCOL_ERROR));
}

#[tokio::test(flavor = "multi_thread")]
async fn binary_frames_close_with_1002_and_others_are_unaffected() {
    let server = start(config(|_| {}));
    let mut b = Client::login(server.addr(), "bob", "Linux", "b").await;
    let mut a = Client::login(server.addr(), "alice", "Linux", "a").await;
    a.send_raw(Message::binary(vec![1u8, 2, 3])).await;
    assert_eq!(a.end().await, End::Close(close::PROTOCOL_ERROR));
    assert_eq!(b.heartbeat().await.code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn oversize_frames_close_with_1009() {
    let server = start(config(|_| {}).with_max_frame(4096));
    let mut b = Client::login(server.addr(), "bob", "Linux", "b").await;
    let mut a = Client::login(server.addr(), "alice", "Linux", "a").await;
    // Just under the cap is fine.
    let ok = format!(
        r#"{{"op":"set_self_status","id":7,"custom_status":"{}"}}"#,
        " ".repeat(3900)
    );
    a.send_text(&ok).await;
    assert_eq!(
        a.reply_for(7).await.code,
        code::INVALID_PARAMETERS,
        "answered: too long a status, not too big a frame"
    );
    let big = format!(
        r#"{{"op":"set_self_status","id":8,"custom_status":"{}"}}"#,
        "x".repeat(5000)
    );
    a.send_text(&big).await;
    assert_eq!(a.end().await, End::Close(close::MESSAGE_TOO_BIG));
    assert_eq!(b.heartbeat().await.code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn default_cap_is_64_kib() {
    let server = start(config(|_| {}));
    let mut a = Client::login(server.addr(), "alice", "Linux", "a").await;
    let big = format!(
        r#"{{"op":"heartbeat","id":8,"pad":"{}"}}"#,
        "x".repeat(64 * 1024)
    );
    a.send_text(&big).await;
    assert_eq!(a.end().await, End::Close(close::MESSAGE_TOO_BIG));
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_frames_never_take_the_server_down() {
    let server = start(config(|_| {}));
    let mut a = Client::login(server.addr(), "alice", "Linux", "a").await;
    a.drain_statuses().await;
    let deep = "[".repeat(20_000) + &"]".repeat(20_000);
    let long_ids = format!(
        r#"{{"op":"get_user_status","id":50,"user_ids":[{}]}}"#,
        vec![r#""x""#; 5000].join(",")
    );
    let inputs = [
        deep.as_str(),
        r#"{"op":"heartbeat","id":18446744073709551616}"#,
        r#"{"op":"heartbeat","id":null}"#,
        r#"{"op":null,"id":1}"#,
        r#"{"id":1}"#,
        r#""just a string""#,
        "null",
        "\u{0}\u{1}\u{2}",
        r#"{"op":"set_self_status","id":51,"custom_status":"\ud800"}"#,
        long_ids.as_str(),
    ];
    for input in inputs {
        a.send_text(input).await;
        let frame = a.next_frame().await;
        match frame {
            imsdk_protocol::ServerFrame::Reply { code, .. } => assert_ne!(code, 0, "{input:.60}"),
            other => panic!("{input:.60}: {other:?}"),
        }
    }
    assert_eq!(a.heartbeat().await.code, 0);
    let mut b = Client::login(server.addr(), "bob", "Linux", "b").await;
    assert_eq!(b.get(&["alice"]).await.code, 0);
}
