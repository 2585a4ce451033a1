//! The wire decoder: any bytes either fail to decode or decode to a frame that encodes back to
//! the same frame.
#![no_main]

use imsdk_protocol::{encode, ClientFrame, ServerFrame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(frame) = serde_json::from_slice::<ClientFrame>(data) {
        let again: ClientFrame = serde_json::from_str(&encode(&frame)).expect("re-decodes");
        assert_eq!(again, frame);
    }
    // The library decodes server frames with the same types.
    let _ = serde_json::from_slice::<ServerFrame>(data);
});
