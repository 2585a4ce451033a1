//! `TIMInit`'s `json_sdk_config`, through the C ABI: refused with TIM_ERR_JSON/TIM_ERR_PARAM or
//! accepted (then `TIMUninit` succeeds); never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::ffi::CString;

fuzz_target!(|data: &[u8]| {
    let text: Vec<u8> = data.iter().copied().take_while(|b| *b != 0).collect();
    let Ok(json) = CString::new(text) else { return };
    let rc = unsafe { ImSDK::TIMInit(imsdk_fuzz::APP, json.as_ptr()) };
    match rc {
        0 => assert_eq!(ImSDK::TIMUninit(), 0),
        -3 | -4 => {}
        other => panic!("TIMInit returned {other}"),
    }
});
