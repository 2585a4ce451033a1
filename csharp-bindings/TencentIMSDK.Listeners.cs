using com.tencent.imsdk.unity.callback;
using com.tencent.imsdk.unity.native;

namespace com.tencent.imsdk.unity
{
    /// <summary>Listeners: Set adds (several may be set), Remove(callback) removes one, Remove() removes all.
    /// Uninit removes every listener.</summary>
    public static partial class TencentIMSDK
    {
        /// <summary>Status changes of subscribed users, friends (console switch) and your own account.</summary>
        public static void SetUserStatusChangedCallback(UserStatusChangedCallback callback = null, UserStatusChangedStringCallback stringCallback = null)
        {
            Listeners.Update(() =>
            {
                Listeners.UserStatusChanged += callback;
                Listeners.UserStatusChangedString += stringCallback;
            });
        }

        public static void RemoveUserStatusChangedCallback(UserStatusChangedCallback callback = null, UserStatusChangedStringCallback stringCallback = null)
        {
            Listeners.Update(() =>
            {
                bool all = callback == null && stringCallback == null;
                Listeners.UserStatusChanged = all ? null : Listeners.UserStatusChanged - callback;
                Listeners.UserStatusChangedString = all ? null : Listeners.UserStatusChangedString - stringCallback;
            });
        }

        public static void SetNetworkStatusListenerCallback(NetworkStatusListenerCallback callback)
        {
            Listeners.Update(() => Listeners.NetworkStatus += callback);
        }

        public static void RemoveNetworkStatusListenerCallback(NetworkStatusListenerCallback callback = null)
        {
            Listeners.Update(() => Listeners.NetworkStatus = callback == null ? null : Listeners.NetworkStatus - callback);
        }

        public static void SetKickedOfflineCallback(KickedOfflineCallback callback)
        {
            Listeners.Update(() => Listeners.KickedOffline += callback);
        }

        public static void RemoveKickedOfflineCallback(KickedOfflineCallback callback = null)
        {
            Listeners.Update(() => Listeners.KickedOffline = callback == null ? null : Listeners.KickedOffline - callback);
        }

        public static void SetUserSigExpiredCallback(UserSigExpiredCallback callback)
        {
            Listeners.Update(() => Listeners.UserSigExpired += callback);
        }

        public static void RemoveUserSigExpiredCallback(UserSigExpiredCallback callback = null)
        {
            Listeners.Update(() => Listeners.UserSigExpired = callback == null ? null : Listeners.UserSigExpired - callback);
        }
    }
}
