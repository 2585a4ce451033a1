//! The byte side of a session: reads WebSocket messages, parses client frames, writes replies,
//! pushes and close frames. A later binary encoding would only change this module.

use crate::store::Frame;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::SinkExt;
use imsdk_protocol::{close, code, encode, ClientFrame, ServerFrame};
use std::time::Duration;

/// What a read produced, as the session needs it.
pub enum Incoming {
    Text(axum::extract::ws::Utf8Bytes),
    /// Ping or pong: liveness only.
    Control,
    /// The connection is over (peer closed, I/O error, or a protocol violation we closed for).
    Closed,
}

pub struct Conn {
    ws: WebSocket,
}

impl Conn {
    pub fn new(ws: WebSocket) -> Conn {
        Conn { ws }
    }

    /// Reads the next message. Binary and oversize frames close the connection (1002, 1009).
    pub async fn recv(&mut self) -> Incoming {
        match self.ws.recv().await {
            Some(Ok(Message::Text(text))) => Incoming::Text(text),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => Incoming::Control,
            Some(Ok(Message::Binary(_))) => {
                self.close(
                    close::PROTOCOL_ERROR,
                    "binary frames are not supported: send JSON text frames",
                )
                .await;
                Incoming::Closed
            }
            Some(Ok(Message::Close(_))) | None => Incoming::Closed,
            Some(Err(e)) => {
                if is_too_big(&e) {
                    self.close(close::MESSAGE_TOO_BIG, "frame over the server's size cap")
                        .await;
                }
                Incoming::Closed
            }
        }
    }

    /// Parses a client frame; on failure, the reply to send: 6027 (not JSON) or 6017 (unknown op,
    /// wrong or missing field), with the request id when one can be read.
    pub fn parse(text: &str) -> Result<ClientFrame, ServerFrame> {
        let failed = |id, code, desc: String| ServerFrame::Reply {
            id,
            code,
            desc,
            data: None,
        };
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| failed(0, code::INVALID_JSON, format!("invalid JSON: {e}")))?;
        let id = value
            .get("id")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        serde_json::from_value::<ClientFrame>(value)
            .map_err(|e| failed(id, code::INVALID_PARAMETERS, format!("invalid frame: {e}")))
    }

    pub async fn reply(&mut self, id: u64, code: i32, desc: &str, data: Option<serde_json::Value>) {
        self.send(&ServerFrame::Reply {
            id,
            code,
            desc: desc.to_owned(),
            data,
        })
        .await;
    }

    pub async fn send(&mut self, frame: &ServerFrame) -> bool {
        self.send_shared(Frame::from(encode(frame))).await
    }

    /// Sends an already encoded frame; false if the connection is gone.
    pub async fn send_shared(&mut self, frame: Frame) -> bool {
        self.ws.send(Message::Text(frame)).await.is_ok()
    }

    /// Writes `frames` (a session's pending pushes, coalesced) with one flush: under load a
    /// session's pushes leave in one write instead of one each. Empties `frames`; false if the
    /// connection is gone.
    pub async fn send_batch(&mut self, frames: &mut Vec<Frame>) -> bool {
        for frame in frames.drain(..) {
            if self.ws.feed(Message::Text(frame)).await.is_err() {
                return false;
            }
        }
        self.ws.flush().await.is_ok()
    }

    /// Sends a close frame and waits briefly for the peer's answer so the close frame is not lost
    /// to a TCP reset. Bounded in time: a peer that reads nothing cannot hold the session. A peer
    /// silent for the whole heartbeat timeout, or too slow to read its queue, is presumed gone:
    /// no wait for its answer and only 100 ms for the frame to fit, so that its account is
    /// declared OFFLINE then, not a second later.
    pub async fn close(&mut self, code: u16, reason: &str) {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        let gone = matches!(code, close::HEARTBEAT_TIMEOUT | close::SLOW_CONSUMER);
        let bound = Duration::from_millis(if gone { 100 } else { 1000 });
        let _ = tokio::time::timeout(bound, async {
            if self.ws.send(Message::Close(Some(frame))).await.is_ok() && !gone {
                while let Some(Ok(_)) = self.ws.recv().await {}
            }
        })
        .await;
    }
}

fn is_too_big(e: &axum::Error) -> bool {
    use std::error::Error;
    let mut source: Option<&(dyn Error + 'static)> = e.source();
    while let Some(err) = source {
        if let Some(tungstenite::Error::Capacity(_)) = err.downcast_ref::<tungstenite::Error>() {
            return true;
        }
        source = err.source();
    }
    false
}
