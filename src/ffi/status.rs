//! User status exports (`TIMManager.h` 6.5-6.8), under Tencent's names and the design card's.

use super::args::{self, logged_in, reply, submit, text};
use super::export;
use super::types::*;
use crate::sdk::Command;
use serde_json::Value;
use std::ffi::{c_char, c_int, c_void};

/// Sets (or, with "" / an absent key, clears) the own custom status:
/// `{"user_status_custom_status":"..."}` (at most 100 bytes, or the server's limit announced at
/// login; other keys ignored). The callback's
/// `json_params` is "".
#[no_mangle]
pub unsafe extern "C" fn TIMSetSelfStatus(
    json_current_user_status: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    export(|| {
        let inst = logged_in()?;
        // SAFETY: NULL or a NUL-terminated string valid for this call (the export's contract).
        let json = unsafe { text(json_current_user_status) }?;
        let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(json) else {
            return Err(TIMResult::TIM_ERR_JSON);
        };
        let custom_status = match obj.get("user_status_custom_status") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) if s.len() <= inst.limits().custom_status_max_bytes => s.clone(),
            Some(Value::String(_)) => return Err(TIMResult::TIM_ERR_PARAM),
            Some(_) => return Err(TIMResult::TIM_ERR_JSON),
        };
        submit(
            &inst,
            Command::SetSelfStatus {
                custom_status,
                reply: reply(cb, user_data),
            },
        )
    })
}

/// Queries `["id", ...]` (1 to 500 ids, or the server's limit). The callback's `json_params` is the status array.
#[no_mangle]
pub unsafe extern "C" fn TIMGetUserStatus(
    json_identifier_array: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    export(|| {
        let inst = logged_in()?;
        let max = inst.limits().get_max_ids;
        // SAFETY: NULL or a NUL-terminated string valid for this call (the export's contract).
        let user_ids = args::id_array(unsafe { text(json_identifier_array) }?, max)?;
        submit(
            &inst,
            Command::GetUserStatus {
                user_ids,
                reply: reply(cb, user_data),
            },
        )
    })
}

/// Subscribes to `["id", ...]` (1 to 100 ids, or the server's limit). At most 200 subscriptions: the oldest are
/// evicted. The list is the account's, kept by the server across reconnects and other devices
/// (the library restores nothing of its own). `json_params` is "".
#[no_mangle]
pub unsafe extern "C" fn TIMSubscribeUserStatus(
    json_identifier_array: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    export(|| {
        let inst = logged_in()?;
        let max = inst.limits().subscribe_max_ids;
        // SAFETY: NULL or a NUL-terminated string valid for this call (the export's contract).
        let user_ids = args::id_array(unsafe { text(json_identifier_array) }?, max)?;
        submit(
            &inst,
            Command::Subscribe {
                user_ids,
                reply: reply(cb, user_data),
            },
        )
    })
}

/// Unsubscribes `["id", ...]` (up to 100 ids); NULL, "", "null" or an empty JSON array ("[]",
/// "[ ]", "[\n]") unsubscribes all.
/// `json_params` is "".
#[no_mangle]
pub unsafe extern "C" fn TIMUnsubscribeUserStatus(
    json_identifier_array: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    export(|| {
        let inst = logged_in()?;
        // NULL, "", `null` or any empty JSON array (whitespace is JSON's) clears the list.
        // SAFETY: NULL or a NUL-terminated string valid for this call (the export's contract).
        let user_ids = match unsafe { args::opt_text(json_identifier_array) }?.map(str::trim) {
            None | Some("") => None,
            Some(json) => args::any_id_array(json, inst.limits().subscribe_max_ids)?
                .filter(|ids| !ids.is_empty()),
        };
        submit(
            &inst,
            Command::Unsubscribe {
                user_ids,
                reply: reply(cb, user_data),
            },
        )
    })
}

/// Same as `TIMSetSelfStatus` (the design card's name).
#[no_mangle]
pub unsafe extern "C" fn SetSelfStatus(
    json_current_user_status: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    // SAFETY: the same arguments, under the same contract, as the export this forwards to.
    unsafe { TIMSetSelfStatus(json_current_user_status, cb, user_data) }
}

/// Same as `TIMGetUserStatus` (the design card's name).
#[no_mangle]
pub unsafe extern "C" fn GetUserStatus(
    json_identifier_array: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    // SAFETY: the same arguments, under the same contract, as the export this forwards to.
    unsafe { TIMGetUserStatus(json_identifier_array, cb, user_data) }
}

/// Same as `TIMSubscribeUserStatus` (the design card's name).
#[no_mangle]
pub unsafe extern "C" fn SubscribeUserStatus(
    json_identifier_array: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    // SAFETY: the same arguments, under the same contract, as the export this forwards to.
    unsafe { TIMSubscribeUserStatus(json_identifier_array, cb, user_data) }
}

/// Same as `TIMUnsubscribeUserStatus` (the design card's name).
#[no_mangle]
pub unsafe extern "C" fn UnsubscribeUserStatus(
    json_identifier_array: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    // SAFETY: the same arguments, under the same contract, as the export this forwards to.
    unsafe { TIMUnsubscribeUserStatus(json_identifier_array, cb, user_data) }
}
