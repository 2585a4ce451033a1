//! Harmless stand-ins for the native functions that Tencent's own C# layer
//! (`TencentIMSDK.Init`/`Uninit`) declares besides the user-status API, so that it loads and
//! runs unchanged: every listener setter it declares is exported (the ones for events this
//! library does not have store nothing and never call back). The rest of Tencent's API (messages, groups, friends...) is not provided.

use super::args::{instance, opt_text, reply};
use super::types::{TIMCommCallback, TIMResult};
use super::{boundary, export};
use crate::dispatch::{Event, Reply};
use crate::sdk::Instance;
use imsdk_protocol::code;
use serde_json::Value;
use std::ffi::{c_char, c_int, c_void};

/// Any listener type: these setters only accept and forget it.
pub type TIMAnyCallback = Option<unsafe extern "C" fn()>;

/// `json_param`: `{"request_internal_operation": "...", ...}`. Answers 0 for the operations this
/// library supports (`internal_operation_set_ui_platform`, which Tencent's C# layer sends from
/// `Init`; accepted, no effect), 7013 with the operation's name for any other, 6017 for NULL or
/// JSON that is not such an object. TIM_ERR_SDKUNINIT before `TIMInit` (no callback then).
#[no_mangle]
pub unsafe extern "C" fn callExperimentalAPI(
    json_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    export(|| {
        let inst = instance()?;
        let (code, desc) = match object(json_param)
            .as_ref()
            .and_then(|o| o.get("request_internal_operation"))
            .and_then(Value::as_str)
        {
            Some(op) if SUPPORTED_OPERATIONS.contains(&op) => (code::SUCC, String::new()),
            Some(op) => (
                code::INTERFACE_NOT_SUPPORT,
                format!("not supported by this library: {op}"),
            ),
            None => (
                code::INVALID_PARAMETERS,
                "json_param must be an object with request_internal_operation".to_owned(),
            ),
        };
        answer(&inst, reply(cb, user_data), code, &desc)
    })
}

/// Same as `callExperimentalAPI` (the name some of Tencent's layers use).
#[no_mangle]
pub unsafe extern "C" fn TIMCallExperimentalAPI(
    json_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    // SAFETY: the same arguments, under the same contract, as the export this forwards to.
    unsafe { callExperimentalAPI(json_param, cb, user_data) }
}

/// `json_config`: Tencent's `TIMSetConfig` object. The log keys and
/// `set_config_user_define_data` are accepted (0; this library writes no log), any other key
/// (proxies, ...) is answered with 7013 naming it, NULL or non-object JSON with 6017.
/// TIM_ERR_SDKUNINIT before `TIMInit` (no callback then).
#[no_mangle]
pub unsafe extern "C" fn TIMSetConfig(
    json_config: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    export(|| {
        let inst = instance()?;
        let (code, desc) = match object(json_config) {
            None => (
                code::INVALID_PARAMETERS,
                "json_config must be a JSON object".to_owned(),
            ),
            Some(obj) => {
                let unsupported: Vec<&str> = obj
                    .keys()
                    .map(String::as_str)
                    .filter(|k| !SUPPORTED_CONFIG_KEYS.contains(k))
                    .collect();
                if unsupported.is_empty() {
                    (code::SUCC, String::new())
                } else {
                    (
                        code::INTERFACE_NOT_SUPPORT,
                        format!("not supported by this library: {}", unsupported.join(", ")),
                    )
                }
            }
        };
        answer(&inst, reply(cb, user_data), code, &desc)
    })
}

/// `callExperimentalAPI` operations answered with 0.
const SUPPORTED_OPERATIONS: &[&str] = &["internal_operation_set_ui_platform"];
/// `TIMSetConfig` keys answered with 0.
const SUPPORTED_CONFIG_KEYS: &[&str] = &[
    "set_config_log_level",
    "set_config_callback_log_level",
    "set_config_is_log_output_console",
    "set_config_user_define_data",
];

/// The caller's JSON object, or `None` for NULL, invalid UTF-8 or JSON, or another JSON type.
fn object(p: *const c_char) -> Option<serde_json::Map<String, Value>> {
    // SAFETY: NULL or NUL-terminated, by the export's contract.
    match unsafe { opt_text(p) } {
        Ok(Some(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(obj)) => Some(obj),
            _ => None,
        },
        _ => None,
    }
}

/// Queues the answer. A `TIMUninit` racing this call may have closed the dispatcher: then the
/// call is refused, so that an accepted call always gets its callback.
fn answer(inst: &Instance, reply: Reply, code: i32, desc: &str) -> Result<(), TIMResult> {
    if inst.post(Event::result(reply, code, desc, "")) {
        Ok(())
    } else {
        Err(TIMResult::TIM_ERR_SDKUNINIT)
    }
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
    TIMSetCommunityAddMembersToPermissionGroupCallback,
    TIMSetCommunityAddTopicPermissionCallback,
    TIMSetCommunityChangePermissionGroupInfoCallback,
    TIMSetCommunityChangeTopicInfoCallback,
    TIMSetCommunityCreatePermissionGroupCallback,
    TIMSetCommunityCreateTopicCallback,
    TIMSetCommunityDeletePermissionGroupCallback,
    TIMSetCommunityDeleteTopicCallback,
    TIMSetCommunityDeleteTopicPermissionCallback,
    TIMSetCommunityModifyTopicPermissionCallback,
    TIMSetCommunityReceiveTopicRESTCustomDataCallback,
    TIMSetCommunityRemoveMembersFromPermissionGroupCallback,
    TIMSetConvConversationGroupCreatedCallback,
    TIMSetConvConversationGroupDeletedCallback,
    TIMSetConvConversationGroupNameChangedCallback,
    TIMSetConvConversationsAddedToGroupCallback,
    TIMSetConvConversationsDeletedFromGroupCallback,
    TIMSetConvEventCallback,
    TIMSetConvTotalUnreadMessageCountChangedCallback,
    TIMSetConvUnreadMessageCountChangedByFilterCallback,
    TIMSetExperimentalNotifyCallback,
    TIMSetFriendAddRequestCallback,
    TIMSetFriendApplicationListDeletedCallback,
    TIMSetFriendApplicationListReadCallback,
    TIMSetFriendBlackListAddedCallback,
    TIMSetFriendBlackListDeletedCallback,
    TIMSetFriendGroupCreatedCallback,
    TIMSetFriendGroupDeletedCallback,
    TIMSetFriendGroupNameChangedCallback,
    TIMSetFriendsAddedToGroupCallback,
    TIMSetFriendsDeletedFromGroupCallback,
    TIMSetGroupAttributeChangedCallback,
    TIMSetGroupCounterChangedCallback,
    TIMSetGroupTipsEventCallback,
    TIMSetGroupTopicChangedCallback,
    TIMSetGroupTopicCreatedCallback,
    TIMSetGroupTopicDeletedCallback,
    TIMSetLogCallback,
    TIMSetMsgAllMessageReceiveOptionCallback,
    TIMSetMsgElemUploadProgressCallback,
    TIMSetMsgExtensionsChangedCallback,
    TIMSetMsgExtensionsDeletedCallback,
    TIMSetMsgGroupPinnedMessageChangedCallback,
    TIMSetMsgReactionsChangedCallback,
    TIMSetMsgReadedReceiptCallback,
    TIMSetMsgRevokeCallback,
    TIMSetMsgUpdateCallback,
    TIMSetMutualFollowersListChangedCallback,
    TIMSetMyFollowersListChangedCallback,
    TIMSetMyFollowingListChangedCallback,
    TIMSetOfficialAccountDeletedCallback,
    TIMSetOfficialAccountInfoChangedCallback,
    TIMSetOfficialAccountSubscribedCallback,
    TIMSetOfficialAccountUnsubscribedCallback,
    TIMSetOnAddFriendCallback,
    TIMSetOnDeleteFriendCallback,
    TIMSetSelfInfoUpdatedCallback,
    TIMSetSignalingInvitationCancelledCallback,
    TIMSetSignalingInvitationModifiedCallback,
    TIMSetSignalingInvitationTimeoutCallback,
    TIMSetSignalingInviteeAcceptedCallback,
    TIMSetSignalingInviteeRejectedCallback,
    TIMSetSignalingReceiveNewInvitationCallback,
    TIMSetUpdateFriendProfileCallback,
    TIMSetUserInfoChangedCallback,
);

/// Accepted for compatibility with Tencent's C# layer; does nothing.
#[no_mangle]
pub extern "C" fn TIMRemoveRecvNewMsgCallback(cb: TIMAnyCallback) {
    boundary((), || {
        let _ = cb;
    })
}
