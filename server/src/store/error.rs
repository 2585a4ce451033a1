//! The codes the server answers with (Tencent's), and a short reason for each.

use imsdk_protocol::code;

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
