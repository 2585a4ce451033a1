//! Harmless stand-ins for the native functions that Tencent's own C# layer
//! (`TencentIMSDK.Init`/`Uninit`) calls besides the user-status API, so that it loads and runs
//! unchanged. The rest of Tencent's API (messages, groups, friends...) is not provided.

use super::args::{instance, reply};
use super::types::{TIMCommCallback, TIMResult};
use super::{boundary, export};
use crate::dispatch::Event;
use std::ffi::{c_char, c_int, c_void};

/// Any listener type: these setters only accept and forget it.
pub type TIMAnyCallback = Option<unsafe extern "C" fn()>;

/// Accepted and answered with success (`json_params` ""), nothing else happens.
/// TIM_ERR_SDKUNINIT before `TIMInit` (Tencent's C# calls it first and ignores the result).
#[no_mangle]
pub extern "C" fn callExperimentalAPI(
    json_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    let _ = json_param;
    accept(cb, user_data)
}

/// Same as `callExperimentalAPI` (the name some of Tencent's layers use).
#[no_mangle]
pub extern "C" fn TIMCallExperimentalAPI(
    json_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    callExperimentalAPI(json_param, cb, user_data)
}

/// Accepted and answered with success; the configuration is ignored.
#[no_mangle]
pub extern "C" fn TIMSetConfig(
    json_config: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    let _ = json_config;
    accept(cb, user_data)
}

fn accept(cb: TIMCommCallback, user_data: *const c_void) -> c_int {
    export(|| {
        let inst = instance()?;
        // A `TIMUninit` racing this call may have closed the dispatcher: then the call is
        // refused, so that an accepted call always gets its callback.
        if inst.post(Event::result(reply(cb, user_data), 0, "", "")) {
            Ok(())
        } else {
            Err(TIMResult::TIM_ERR_SDKUNINIT)
        }
    })
}

macro_rules! ignored_listener {
    ($($name:ident),* $(,)?) => {$(
        /// Accepted for compatibility with Tencent's C# layer; never called.
        #[no_mangle]
        pub extern "C" fn $name(cb: TIMAnyCallback, user_data: *const c_void) {
            boundary((), || {
                let _ = (cb, user_data);
            })
        }
    )*};
}

ignored_listener!(
    TIMAddRecvNewMsgCallback,
    TIMSetConvEventCallback,
    TIMSetConvTotalUnreadMessageCountChangedCallback,
    TIMSetFriendAddRequestCallback,
    TIMSetFriendApplicationListDeletedCallback,
    TIMSetFriendApplicationListReadCallback,
    TIMSetFriendBlackListAddedCallback,
    TIMSetFriendBlackListDeletedCallback,
    TIMSetGroupAttributeChangedCallback,
    TIMSetGroupTipsEventCallback,
    TIMSetLogCallback,
    TIMSetMsgElemUploadProgressCallback,
    TIMSetMsgReadedReceiptCallback,
    TIMSetMsgRevokeCallback,
    TIMSetMsgUpdateCallback,
    TIMSetOnAddFriendCallback,
    TIMSetOnDeleteFriendCallback,
    TIMSetUpdateFriendProfileCallback,
    TIMSetSelfInfoUpdatedCallback,
);

/// Accepted for compatibility with Tencent's C# layer; does nothing.
#[no_mangle]
pub extern "C" fn TIMRemoveRecvNewMsgCallback(cb: TIMAnyCallback) {
    boundary((), || {
        let _ = cb;
    })
}
