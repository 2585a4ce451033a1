//! Checked conversions of caller input: NULL, invalid UTF-8, bad JSON and over-limit values
//! become a `TIMResult` error, never a panic.

use super::types::{TIMCommCallback, TIMResult};
use crate::dispatch::{Reply, UserData};
use crate::sdk::{self, Command, Instance};
use crate::types::TIMLoginStatus;
use imsdk_protocol::MAX_USER_ID_BYTES;
use serde_json::Value;
use std::ffi::{c_char, c_void, CStr};
use std::sync::Arc;

/// Longest string argument accepted at all (UserSig, JSON), in bytes.
pub(crate) const MAX_ARG_BYTES: usize = 64 * 1024;

/// A required UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string.
pub unsafe fn text<'a>(p: *const c_char) -> Result<&'a str, TIMResult> {
    opt_text(p)?.ok_or(TIMResult::TIM_ERR_PARAM)
}

/// An optional UTF-8 string argument (`None` for NULL).
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string.
pub unsafe fn opt_text<'a>(p: *const c_char) -> Result<Option<&'a str>, TIMResult> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's contract.
    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
    if bytes.len() > MAX_ARG_BYTES {
        return Err(TIMResult::TIM_ERR_PARAM);
    }
    std::str::from_utf8(bytes)
        .map(Some)
        .map_err(|_| TIMResult::TIM_ERR_PARAM)
}

/// A user id: 1 to 32 bytes.
pub fn user_id(s: &str) -> Result<String, TIMResult> {
    if s.is_empty() || s.len() > MAX_USER_ID_BYTES {
        return Err(TIMResult::TIM_ERR_PARAM);
    }
    Ok(s.to_owned())
}

/// A JSON array of 1 to `max` user ids (`null`, which Tencent's C# sends for a null list, is a
/// missing parameter).
pub fn id_array(json: &str, max: usize) -> Result<Vec<String>, TIMResult> {
    match any_id_array(json, max)? {
        Some(ids) if !ids.is_empty() => Ok(ids),
        _ => Err(TIMResult::TIM_ERR_PARAM),
    }
}

/// A JSON array of 0 to `max` user ids, or `null` (`None`). Whitespace anywhere is JSON's:
/// `"[ ]"` and `"[\n]"` are the empty array like `"[]"`.
pub fn any_id_array(json: &str, max: usize) -> Result<Option<Vec<String>>, TIMResult> {
    let items = match serde_json::from_str::<Value>(json) {
        Ok(Value::Array(items)) => items,
        Ok(Value::Null) => return Ok(None),
        _ => return Err(TIMResult::TIM_ERR_JSON),
    };
    if items.len() > max {
        return Err(TIMResult::TIM_ERR_PARAM);
    }
    items
        .iter()
        .map(|v| v.as_str().ok_or(TIMResult::TIM_ERR_JSON).and_then(user_id))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The running instance, or `TIM_ERR_SDKUNINIT`.
pub fn instance() -> Result<Arc<Instance>, TIMResult> {
    sdk::current().ok_or(TIMResult::TIM_ERR_SDKUNINIT)
}

/// The running instance with a logged-in (or reconnecting) session, or the matching error.
pub fn logged_in() -> Result<Arc<Instance>, TIMResult> {
    let inst = instance()?;
    match inst.view().login_status {
        TIMLoginStatus::kTIMLoginStatus_Logined => Ok(inst),
        _ => Err(TIMResult::TIM_ERR_NOTLOGIN),
    }
}

pub fn reply(cb: TIMCommCallback, user_data: *const c_void) -> Reply {
    Reply {
        cb,
        user_data: UserData(user_data),
    }
}

/// Queues the command; its callback will run exactly once.
pub fn submit(inst: &Instance, cmd: Command) -> Result<(), TIMResult> {
    if inst.submit(cmd) {
        Ok(())
    } else {
        Err(TIMResult::TIM_ERR_SDKUNINIT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_arrays_are_checked() {
        assert_eq!(
            id_array(r#"["a","b"]"#, 2),
            Ok(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(id_array(r#"["a","b"]"#, 1), Err(TIMResult::TIM_ERR_PARAM));
        assert_eq!(id_array("[]", 1), Err(TIMResult::TIM_ERR_PARAM));
        assert_eq!(id_array("[1]", 1), Err(TIMResult::TIM_ERR_JSON));
        assert_eq!(id_array("{", 1), Err(TIMResult::TIM_ERR_JSON));
        assert_eq!(id_array("null", 1), Err(TIMResult::TIM_ERR_PARAM));
        assert_eq!(id_array("null", 1), Err(TIMResult::TIM_ERR_PARAM));
        assert_eq!(
            id_array(&format!(r#"["{}"]"#, "x".repeat(33)), 1),
            Err(TIMResult::TIM_ERR_PARAM)
        );
        assert_eq!(id_array(r#"[""]"#, 1), Err(TIMResult::TIM_ERR_PARAM));
        for empty in ["[]", "[ ]", "[\n]", " [\t\r\n] "] {
            assert_eq!(any_id_array(empty, 1), Ok(Some(vec![])), "{empty:?}");
        }
        assert_eq!(any_id_array("null", 1), Ok(None));
        assert_eq!(any_id_array("[", 1), Err(TIMResult::TIM_ERR_JSON));
    }
}
