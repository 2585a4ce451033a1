//! The user-status rules that do not depend on where the data is: argument checks (the same codes in
//! the same order whichever store answers) and who hears a status change.

use super::StatusError;
use crate::config::{AppConfig, Plan};
use imsdk_protocol::code;

/// Plan (7013) then console switch (72001).
pub fn check_feature(cfg: &AppConfig) -> Result<(), StatusError> {
    if cfg.plan != Plan::Ultimate {
        return Err(StatusError::new(code::INTERFACE_NOT_SUPPORT));
    }
    if !cfg.user_status_enabled {
        return Err(StatusError::new(code::USER_STATUS_DISABLED));
    }
    Ok(())
}

/// Whether a status change is pushed to other users (subscribers, friends): the seed gates "status
/// change notification" behind the Ultimate plan and the console switch, like the calls. A user's
/// own sessions (multi-device sync) always hear their own changes.
pub fn notifies_others(cfg: &AppConfig) -> bool {
    check_feature(cfg).is_ok()
}

/// get_user_status before its rate check; true when others are asked (then the rate counts).
pub fn check_get(cfg: &AppConfig, caller: &str, ids: &[String]) -> Result<bool, StatusError> {
    if ids.is_empty() {
        return Err(StatusError::new(code::INVALID_PARAMETERS));
    }
    if ids.iter().all(|id| id == caller) {
        return Ok(false);
    }
    check_feature(cfg)?;
    if ids.len() > cfg.limits.get_max_ids {
        return Err(StatusError::new(code::INVALID_PARAMETERS));
    }
    Ok(true)
}

/// subscribe before its rate check.
pub fn check_subscribe(cfg: &AppConfig, caller: &str, ids: &[String]) -> Result<(), StatusError> {
    check_feature(cfg)?;
    if ids.is_empty()
        || ids.len() > cfg.limits.subscribe_max_ids
        || ids.iter().any(|id| id == caller)
    {
        return Err(StatusError::new(code::INVALID_PARAMETERS));
    }
    Ok(())
}

/// unsubscribe before its rate check.
pub fn check_unsubscribe(cfg: &AppConfig, ids: Option<&[String]>) -> Result<(), StatusError> {
    check_feature(cfg)?;
    if ids.is_some_and(|ids| ids.len() > cfg.limits.subscribe_max_ids) {
        return Err(StatusError::new(code::INVALID_PARAMETERS));
    }
    Ok(())
}

/// The custom status text (None: cleared), or 6017 if too long.
pub fn check_custom<'a>(cfg: &AppConfig, text: Option<&'a str>) -> Result<&'a str, StatusError> {
    let text = text.unwrap_or("");
    if text.len() > cfg.limits.custom_status_max_bytes {
        return Err(StatusError::new(code::INVALID_PARAMETERS));
    }
    Ok(text)
}
