//! Tencent error codes (`TIMErrCode`) used by the server and the library.

pub const SUCC: i32 = 0;
/// No answer within the request timeout (library side).
pub const REQUEST_TIME_OUT: i32 = 6012;
pub const SDK_NOT_LOGGED_IN: i32 = 6014;
pub const INVALID_PARAMETERS: i32 = 6017;
pub const INVALID_JSON: i32 = 6027;
/// This session was kicked by another login of the same account.
pub const LOGIN_KICKED_OFF_BY_OTHER: i32 = 6208;
/// Identifier not printable ASCII (0x20-0x7e) or longer than 32 bytes.
pub const INVALID_IDENTIFIER: i32 = 7003;
pub const API_CALL_FREQUENCY_LIMIT: i32 = 7008;
/// The call was interrupted by `TIMUninit`.
pub const SDK_COMM_INTERRUPT: i32 = 7009;
/// The app's plan does not include this feature (needs the ultimate plan).
pub const INTERFACE_NOT_SUPPORT: i32 = 7013;
pub const LOGIN_IN_PROCESS: i32 = 7501;
pub const LOGOUT_IN_PROCESS: i32 = 7502;
/// The connection was lost before the answer came (library side).
pub const NET_DISCONNECT: i32 = 9508;
pub const USERSIG_EXPIRED: i32 = 70001;
pub const USERSIG_CHECK_FAILED: i32 = 70003;
pub const USERSIG_MISMATCH_ID: i32 = 70013;
pub const USERSIG_MISMATCH_SDKAPPID: i32 = 70014;
/// Too many failed logins: retry after a minute.
pub const ACCOUNT_FREQ_LIMIT: i32 = 70050;
pub const ACCOUNT_NOT_FOUND: i32 = 70107;
/// The user-status feature is switched off in the console.
pub const USER_STATUS_DISABLED: i32 = 72001;
/// Server in cluster mode: its shared store (Redis) did not answer; the call changed nothing it
/// reported, retry later. Same number as [`REQUEST_TIME_OUT`], which clients already retry.
pub const STORE_UNAVAILABLE: i32 = REQUEST_TIME_OUT;
