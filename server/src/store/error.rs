//! The one error of a status call: a Tencent code (`imsdk_protocol::code`, the REST API's
//! `rest_code`, the UserSig's) with its reason. The store returns it, the session layer answers it
//! in a reply frame, REST as `ErrorCode`/`ErrorInfo`, the console as `"<code>: <reason>"`.

use imsdk_protocol::code;
use std::borrow::Cow;

/// A refused or failed call: [`StatusError::code`] is the code the client sees, `Display` the
/// reason (the code's usual one, [`describe`], unless a more precise one was given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusError {
    code: i32,
    info: Option<Cow<'static, str>>,
}

impl StatusError {
    /// The code with its usual reason.
    pub const fn new(code: i32) -> StatusError {
        StatusError { code, info: None }
    }

    /// The code with a reason of its own ("at most 100 accounts per call").
    pub fn with_info(code: i32, info: impl Into<Cow<'static, str>>) -> StatusError {
        StatusError {
            code,
            info: Some(info.into()),
        }
    }

    /// Tencent's error code.
    pub fn code(&self) -> i32 {
        self.code
    }
}

impl std::fmt::Display for StatusError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.info {
            Some(info) => f.write_str(info),
            None => f.write_str(describe(self.code)),
        }
    }
}

impl std::error::Error for StatusError {}

impl From<imsdk_usersig::VerifyError> for StatusError {
    fn from(e: imsdk_usersig::VerifyError) -> StatusError {
        StatusError::with_info(e.code(), e.to_string())
    }
}

/// A short English reason for each code the server answers with.
pub fn describe(err: i32) -> &'static str {
    match err {
        code::INVALID_PARAMETERS => "invalid parameters",
        code::INVALID_JSON => "invalid JSON",
        code::INVALID_IDENTIFIER => "identifier must be 1-32 bytes of printable ASCII",
        code::API_CALL_FREQUENCY_LIMIT => "API call frequency limit",
        code::INTERFACE_NOT_SUPPORT => {
            "the app's plan does not include this feature (ultimate needed)"
        }
        code::USER_STATUS_DISABLED => "user status is switched off in the console",
        code::ACCOUNT_NOT_FOUND => "account not imported",
        code::SDK_NOT_LOGGED_IN => "log in first",
        code::STORE_UNAVAILABLE => {
            "the store is unavailable (Redis unreachable, or the database cannot be written): retry later"
        }
        _ => "",
    }
}
