using com.tencent.imsdk.unity.callback;
using com.tencent.imsdk.unity.native;

namespace com.tencent.imsdk.unity
{
    /// <summary>Listeners, as Tencent's setters behave: Set replaces the listener of its kind (null clears
    /// it), Remove clears it whatever its argument. Uninit, leaving Play mode and entering it again clear
    /// every listener, so they never pile up across plays.</summary>
    public static partial class TencentIMSDK
    {
        /// <summary>Status changes of subscribed users, friends (console switch) and your own account.
        /// Replaces both listeners of this kind (a null argument clears that one).</summary>
        public static void SetUserStatusChangedCallback(UserStatusChangedCallback callback = null, UserStatusChangedStringCallback stringCallback = null)
        {
            Listeners.Update(() =>
            {
                Listeners.UserStatusChanged = callback;
                Listeners.UserStatusChangedString = stringCallback;
            });
        }

        public static void RemoveUserStatusChangedCallback(UserStatusChangedCallback callback = null, UserStatusChangedStringCallback stringCallback = null)
        {
            SetUserStatusChangedCallback(null, null);
        }

        public static void SetNetworkStatusListenerCallback(NetworkStatusListenerCallback callback)
        {
            Listeners.Update(() => Listeners.NetworkStatus = callback);
        }

        public static void RemoveNetworkStatusListenerCallback(NetworkStatusListenerCallback callback = null)
        {
            SetNetworkStatusListenerCallback(null);
        }

        public static void SetKickedOfflineCallback(KickedOfflineCallback callback)
        {
            Listeners.Update(() => Listeners.KickedOffline = callback);
        }

        public static void RemoveKickedOfflineCallback(KickedOfflineCallback callback = null)
        {
            SetKickedOfflineCallback(null);
        }

        public static void SetUserSigExpiredCallback(UserSigExpiredCallback callback)
        {
            Listeners.Update(() => Listeners.UserSigExpired = callback);
        }

        public static void RemoveUserSigExpiredCallback(UserSigExpiredCallback callback = null)
        {
            SetUserSigExpiredCallback(null);
        }
    }
}
