//! Init, login and listener exports (`TIMManager.h`).

use super::args::{self, instance, reply, submit, text};
use super::types::*;
use super::{boundary, export};
use crate::config::{Config, ConfigError};
use crate::dispatch::UserData;
use crate::listeners;
use crate::sdk::{self, Command};
use std::ffi::{c_char, c_int, c_void};

/// Longest UserSig accepted, in bytes.
pub(crate) const MAX_USER_SIG_BYTES: usize = 8 * 1024;

/// Starts the SDK: a worker thread that owns the connection and, unless
/// `sdk_config_manual_dispatch` is true, one callback thread.
///
/// `json_sdk_config` may be NULL or "": a JSON object with Tencent's keys
/// (`sdk_config_config_file_path`, `sdk_config_log_file_path`, accepted and unused) and this
/// library's: `sdk_config_server_url` (default: env `IMSDK_SERVER_URL`, else
/// `ws://127.0.0.1:7788/ws`), `sdk_config_manual_dispatch`, `sdk_config_request_timeout_ms`
/// (15000), `sdk_config_platform`, `sdk_config_reconnect_min_ms` (500),
/// `sdk_config_reconnect_max_ms` (30000), `sdk_config_ca_file` (extra PEM roots for wss://).
/// Unknown keys are ignored. Calling it again while initialised keeps the running instance.
///
/// Returns TIM_SUCC, TIM_ERR_JSON (bad JSON, key of the wrong type) or TIM_ERR_PARAM
/// (sdk_app_id 0, invalid UTF-8, URL not ws:// or wss://).
#[no_mangle]
pub unsafe extern "C" fn TIMInit(sdk_app_id: u64, json_sdk_config: *const c_char) -> c_int {
    export(|| {
        // SAFETY: NULL or a NUL-terminated string valid for this call (the export's contract).
        let json = unsafe { args::opt_text(json_sdk_config) }?;
        let config = Config::parse(sdk_app_id, json).map_err(|e| match e {
            ConfigError::Json => TIMResult::TIM_ERR_JSON,
            ConfigError::Param => TIMResult::TIM_ERR_PARAM,
        })?;
        sdk::init(config).map_err(|_| TIMResult::TIM_ERR_PARAM)
    })
}

/// Stops the SDK. Calls still in flight get their callback with 7009 before this returns; no
/// callback runs after it returns. May be called from a callback. TIM_ERR_SDKUNINIT when not
/// initialised.
#[no_mangle]
pub extern "C" fn TIMUninit() -> c_int {
    export(|| {
        if sdk::uninit() {
            Ok(())
        } else {
            Err(TIMResult::TIM_ERR_SDKUNINIT)
        }
    })
}

/// Logs in. `user_id` (1..32 bytes) and `user_sig` must not be NULL. The callback gets 0, a
/// server code (70001 expired, 70003 bad signature, 6208, ...), 9508 when the server cannot be
/// reached, 6012 on timeout, 7501 while another login runs.
#[no_mangle]
pub unsafe extern "C" fn TIMLogin(
    user_id: *const c_char,
    user_sig: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    export(|| {
        let inst = instance()?;
        // SAFETY: NULL or a NUL-terminated string valid for this call (the export's contract).
        let user_id = args::user_id(unsafe { text(user_id) }?)?;
        // SAFETY: NULL or a NUL-terminated string valid for this call (the export's contract).
        let user_sig = unsafe { text(user_sig) }?;
        if user_sig.is_empty() || user_sig.len() > MAX_USER_SIG_BYTES {
            return Err(TIMResult::TIM_ERR_PARAM);
        }
        let cmd = Command::Login {
            user_id,
            user_sig: user_sig.to_owned(),
            reply: reply(cb, user_data),
        };
        submit(&inst, cmd)
    })
}

/// Logs out: the account becomes UNLOGINED for others. Subscriptions are dropped.
#[no_mangle]
pub unsafe extern "C" fn TIMLogout(cb: TIMCommCallback, user_data: *const c_void) -> c_int {
    export(|| {
        let inst = instance()?;
        if inst.view().login_status == TIMLoginStatus::kTIMLoginStatus_UnLogined {
            return Err(TIMResult::TIM_ERR_NOTLOGIN);
        }
        submit(
            &inst,
            Command::Logout {
                reply: reply(cb, user_data),
            },
        )
    })
}

/// The login status (kTIMLoginStatus_UnLogined when not initialised). It stays Logined while
/// the library reconnects after a network loss.
#[no_mangle]
pub extern "C" fn TIMGetLoginStatus() -> TIMLoginStatus {
    boundary(TIMLoginStatus::kTIMLoginStatus_UnLogined, || {
        sdk::current().map_or(TIMLoginStatus::kTIMLoginStatus_UnLogined, |i| {
            i.view().login_status
        })
    })
}

/// Copies the logged-in user id, NUL-terminated, into `user_id_buffer` (at least 128 bytes,
/// must not be NULL). TIM_ERR_NOTLOGIN when nobody is logged in.
#[no_mangle]
pub unsafe extern "C" fn TIMGetLoginUserID(user_id_buffer: *mut c_char) -> c_int {
    export(|| {
        let inst = instance()?;
        if user_id_buffer.is_null() {
            return Err(TIMResult::TIM_ERR_PARAM);
        }
        let view = inst.view();
        if view.login_status == TIMLoginStatus::kTIMLoginStatus_UnLogined {
            return Err(TIMResult::TIM_ERR_NOTLOGIN);
        }
        let id = view.user_id.as_bytes();
        let n = id.len().min(127);
        // SAFETY: the caller provides at least 128 writable bytes (Tencent's contract).
        unsafe {
            std::ptr::copy_nonoverlapping(id.as_ptr(), user_id_buffer.cast::<u8>(), n);
            *user_id_buffer.add(n) = 0;
        }
        Ok(())
    })
}

/// The library version, a static string (never freed).
#[no_mangle]
pub extern "C" fn TIMGetSDKVersion() -> *const c_char {
    static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    boundary(std::ptr::null(), || VERSION.as_ptr().cast())
}

/// Server time in Unix seconds (the local clock corrected at each login and heartbeat).
#[no_mangle]
pub extern "C" fn TIMGetServerTime() -> u64 {
    boundary(0, sdk::server_time)
}

/// Runs the callbacks queued so far on the calling thread and returns how many ran. Only
/// useful with `"sdk_config_manual_dispatch": true`; otherwise returns 0.
#[no_mangle]
pub extern "C" fn TIMDispatchCallbacks() -> c_int {
    boundary(0, || {
        sdk::current().map_or(0, |i| i.dispatcher.pump().try_into().unwrap_or(c_int::MAX))
    })
}

/// Connection state changes: kTIMConnecting, kTIMConnected, kTIMDisconnected (code 9508),
/// kTIMConnectFailed. NULL removes the listener.
#[no_mangle]
pub extern "C" fn TIMSetNetworkStatusListenerCallback(
    cb: TIMNetworkStatusListenerCallback,
    user_data: *const c_void,
) {
    boundary((), || listeners::set_network(cb, UserData(user_data)))
}

/// Kicked by another login of the same account (6208); the SDK is then logged out.
#[no_mangle]
pub extern "C" fn TIMSetKickedOfflineCallback(
    cb: TIMKickedOfflineCallback,
    user_data: *const c_void,
) {
    boundary((), || {
        listeners::set_kicked_offline(cb, UserData(user_data))
    })
}

/// The UserSig expired (70001); the SDK is then logged out.
#[no_mangle]
pub extern "C" fn TIMSetUserSigExpiredCallback(
    cb: TIMUserSigExpiredCallback,
    user_data: *const c_void,
) {
    boundary((), || {
        listeners::set_user_sig_expired(cb, UserData(user_data))
    })
}

/// Status changes of subscribed users, friends, and the own account's other devices: a JSON
/// array of `{"user_status_identifier","user_status_status_type","user_status_custom_status",
/// "user_status_online_devices"}`.
#[no_mangle]
pub extern "C" fn TIMSetUserStatusChangedCallback(
    cb: TIMUserStatusChangedCallback,
    user_data: *const c_void,
) {
    boundary((), || {
        listeners::set_user_status_changed(cb, UserData(user_data))
    })
}

/// Same as `TIMSetUserStatusChangedCallback` (the design card's name).
#[no_mangle]
pub extern "C" fn SetUserStatusChangedCallback(
    cb: TIMUserStatusChangedCallback,
    user_data: *const c_void,
) {
    TIMSetUserStatusChangedCallback(cb, user_data)
}
