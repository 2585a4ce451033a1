//! Tencent's enums and callback typedefs, with Tencent's names and values (`TIMCloudDef.h`, `TIMManager.h`):
//! the C-visible types, at the bottom of the library so that every layer may use them (`ffi`
//! re-exports them as `ffi::types`).
#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_void};

/// Synchronous result of every call that takes a callback. The callback runs only when the call
/// returned `TIM_SUCC`, and then exactly once.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TIMResult {
    /// Accepted: the callback will be called exactly once.
    TIM_SUCC = 0,
    /// `TIMInit` has not been called (or `TIMUninit` has).
    TIM_ERR_SDKUNINIT = -1,
    /// Not logged in.
    TIM_ERR_NOTLOGIN = -2,
    /// Malformed JSON or a JSON key of the wrong type.
    TIM_ERR_JSON = -3,
    /// Bad parameter: NULL where not allowed, invalid UTF-8, over a length limit.
    TIM_ERR_PARAM = -4,
    /// Invalid conversation (not used by this library).
    TIM_ERR_CONV = -5,
    /// Invalid group (not used by this library).
    TIM_ERR_GROUP = -6,
}

/// Connection state reported through `TIMNetworkStatusListenerCallback`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TIMNetworkStatus {
    kTIMConnected = 0,
    kTIMDisconnected = 1,
    kTIMConnecting = 2,
    kTIMConnectFailed = 3,
}

/// Result of `TIMGetLoginStatus`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TIMLoginStatus {
    kTIMLoginStatus_Logined = 1,
    kTIMLoginStatus_Logining = 2,
    kTIMLoginStatus_UnLogined = 3,
    kTIMLoginStatus_Logouting = 4,
}

/// Value of the `user_status_status_type` JSON key (Tencent's spelling, "Unkown" included).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TIMUserStatusType {
    kTIMUserStatusType_Unkown = 0,
    kTIMUserStatusType_Online = 1,
    kTIMUserStatusType_Offline = 2,
    kTIMUserStatusType_UnLogined = 3,
}

/// Log level of `TIMLogCallback` (accepted for compatibility; this library does not log through it).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TIMLogLevel {
    kTIMLog_Off = 0,
    kTIMLog_Test = 1,
    kTIMLog_Verbose = 2,
    kTIMLog_Debug = 3,
    kTIMLog_Info = 4,
    kTIMLog_Warn = 5,
    kTIMLog_Error = 6,
    kTIMLog_Assert = 7,
}

/// Result of an asynchronous call. `desc` and `json_params` are never NULL and are valid only
/// during the call: copy what you keep. `code` is a Tencent error code (0 = success).
pub type TIMCommCallback = Option<
    unsafe extern "C" fn(
        code: i32,
        desc: *const c_char,
        json_params: *const c_char,
        user_data: *const c_void,
    ),
>;
/// Connection state changes. `desc` is valid only during the call.
pub type TIMNetworkStatusListenerCallback = Option<
    unsafe extern "C" fn(
        status: TIMNetworkStatus,
        code: i32,
        desc: *const c_char,
        user_data: *const c_void,
    ),
>;
/// Another login of the same account took this session's place (6208). The SDK is logged out.
pub type TIMKickedOfflineCallback = Option<unsafe extern "C" fn(user_data: *const c_void)>;
/// The UserSig expired (70001): log in again with a new one. The SDK is logged out.
pub type TIMUserSigExpiredCallback = Option<unsafe extern "C" fn(user_data: *const c_void)>;
/// Status changes: a JSON array of `TIMUserStatus` objects, valid only during the call.
pub type TIMUserStatusChangedCallback =
    Option<unsafe extern "C" fn(json_user_status_array: *const c_char, user_data: *const c_void)>;
/// Own profile changes (accepted for compatibility; never called by this library).
pub type TIMSelfInfoUpdatedCallback =
    Option<unsafe extern "C" fn(json_user_profile: *const c_char, user_data: *const c_void)>;
/// Log lines (accepted for compatibility; never called by this library).
pub type TIMLogCallback =
    Option<unsafe extern "C" fn(level: TIMLogLevel, log: *const c_char, user_data: *const c_void)>;
/// Generic listener with one JSON argument, used by the compatibility setters (never called).
pub type TIMJsonListenerCallback =
    Option<unsafe extern "C" fn(json: *const c_char, user_data: *const c_void)>;
