//! Admin REST bodies, over real HTTP to a real server: every body of every command gets a
//! Tencent-style JSON answer (ActionStatus, ErrorCode), never a 5xx or silence.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::{Read, Write};
use std::net::TcpStream;

const COMMANDS: [&str; 6] = [
    "im_open_login_svc/account_import",
    "im_open_login_svc/multiaccount_import",
    "sns/friend_add",
    "sns/friend_delete",
    "openim/query_online_status",
    "openim/no_such_command",
];

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let addr = imsdk_fuzz::server();
    let path = format!(
        "/v4/{}?{}",
        COMMANDS[which as usize % COMMANDS.len()],
        imsdk_fuzz::admin_query()
    );
    let mut tcp = TcpStream::connect(addr).expect("connect");
    tcp.set_read_timeout(Some(imsdk_fuzz::WAIT))
        .expect("timeout");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    tcp.write_all(head.as_bytes()).expect("write head");
    tcp.write_all(body).expect("write body");
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).expect("an answer in time");
    let answer = String::from_utf8(answer).expect("UTF-8 answer");
    let (head, json) = answer.split_once("\r\n\r\n").expect("HTTP answer");
    assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
    let v: serde_json::Value = serde_json::from_str(json).expect("JSON answer");
    assert!(v["ErrorCode"].is_i64(), "{json}");
    assert!(
        v["ActionStatus"] == "OK" || v["ActionStatus"] == "FAIL",
        "{json}"
    );
});
