//! The host's listener callbacks (`TIMSet...Callback`). Process-wide, like Tencent's: they may be
//! set before `TIMInit` and survive `TIMUninit`.

use crate::types::{
    TIMKickedOfflineCallback, TIMNetworkStatusListenerCallback, TIMUserSigExpiredCallback,
    TIMUserStatusChangedCallback,
};
use parking_lot::Mutex;
use std::ffi::c_void;

/// The caller's `const void* user_data`, handed back untouched on the callback thread.
#[derive(Debug, Clone, Copy)]
pub struct UserData(pub *const c_void);
// SAFETY: the library never dereferences it; it only hands it back to the caller's callback.
unsafe impl Send for UserData {}

type Slot<F> = Option<(F, UserData)>;
type Inner<T> = <T as Unwrap>::F;

/// The function pointer type inside a nullable callback typedef.
pub trait Unwrap {
    type F: Copy;
}
impl<F: Copy> Unwrap for Option<F> {
    type F = F;
}

struct Listeners {
    network: Slot<Inner<TIMNetworkStatusListenerCallback>>,
    kicked_offline: Slot<Inner<TIMKickedOfflineCallback>>,
    user_sig_expired: Slot<Inner<TIMUserSigExpiredCallback>>,
    user_status_changed: Slot<Inner<TIMUserStatusChangedCallback>>,
}

static LISTENERS: Mutex<Listeners> = Mutex::new(Listeners {
    network: None,
    kicked_offline: None,
    user_sig_expired: None,
    user_status_changed: None,
});

macro_rules! listener {
    ($get:ident, $set:ident, $field:ident, $ty:ty) => {
        pub fn $get() -> Slot<Inner<$ty>> {
            LISTENERS.lock().$field
        }
        /// Sets (or, with a NULL callback, removes) the listener.
        pub fn $set(cb: $ty, user_data: UserData) {
            LISTENERS.lock().$field = cb.map(|f| (f, user_data));
        }
    };
}

listener!(
    network,
    set_network,
    network,
    TIMNetworkStatusListenerCallback
);
listener!(
    kicked_offline,
    set_kicked_offline,
    kicked_offline,
    TIMKickedOfflineCallback
);
listener!(
    user_sig_expired,
    set_user_sig_expired,
    user_sig_expired,
    TIMUserSigExpiredCallback
);
listener!(
    user_status_changed,
    set_user_status_changed,
    user_status_changed,
    TIMUserStatusChangedCallback
);
