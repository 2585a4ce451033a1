//! The server's frame handling, over a real WebSocket to a real server: every text frame after
//! login is answered (a reply, or a close for the documented cases), and the server stays up.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Mutex;
use tungstenite::Message;

static WS: Mutex<Option<imsdk_fuzz::Ws>> = Mutex::new(None);

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let mut slot = WS.lock().unwrap_or_else(|e| e.into_inner());
    let ws = slot.get_or_insert_with(|| imsdk_fuzz::login("bob", "fuzz"));
    let mut closed = ws.send(Message::text(text)).is_err();
    while !closed {
        match ws.read() {
            Ok(Message::Text(t)) => {
                let v: serde_json::Value = serde_json::from_str(&t).expect("server sends JSON");
                if v["op"] == "reply" {
                    break;
                }
            }
            Ok(Message::Close(_)) => closed = true,
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                panic!("no answer from the server")
            }
            Err(_) => closed = true,
        }
    }
    if closed {
        // logout, oversize: log in again for the next input.
        *slot = None;
    }
});
