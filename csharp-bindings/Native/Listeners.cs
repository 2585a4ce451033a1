using System;
using com.tencent.imsdk.unity.callback;

namespace com.tencent.imsdk.unity.native
{
    /// <summary>
    /// The user's listeners (one per kind: the setters replace) and their native registration: a native
    /// trampoline is registered while a managed listener of its kind exists.
    /// </summary>
    internal static class Listeners
    {
        private static readonly object Gate = new object();

        internal static NetworkStatusListenerCallback NetworkStatus;
        internal static KickedOfflineCallback KickedOffline;
        internal static UserSigExpiredCallback UserSigExpired;
        internal static UserStatusChangedCallback UserStatusChanged;
        internal static UserStatusChangedStringCallback UserStatusChangedString;

        /// <summary>Changes the listener fields under the lock, then (re)registers natively.</summary>
        internal static void Update(Action change)
        {
            lock (Gate)
            {
                change();
                RegisterNative();
            }
        }

        /// <summary>Tells the library which trampolines to call; also run by Init, since a listener may be
        /// set before the library is initialised.</summary>
        internal static void RegisterNative()
        {
            lock (Gate)
            {
                IMNativeSDK.TIMSetNetworkStatusListenerCallback(NetworkStatus != null ? Trampolines.NetworkStatus : null, IntPtr.Zero);
                IMNativeSDK.TIMSetKickedOfflineCallback(KickedOffline != null ? Trampolines.KickedOffline : null, IntPtr.Zero);
                IMNativeSDK.TIMSetUserSigExpiredCallback(UserSigExpired != null ? Trampolines.UserSigExpired : null, IntPtr.Zero);
                bool status = UserStatusChanged != null || UserStatusChangedString != null;
                IMNativeSDK.TIMSetUserStatusChangedCallback(status ? Trampolines.UserStatusChanged : null, IntPtr.Zero);
            }
        }

        /// <summary>Forgets every listener without telling the library (which is not running).</summary>
        internal static void ForgetManaged()
        {
            lock (Gate)
            {
                NetworkStatus = null;
                KickedOffline = null;
                UserSigExpired = null;
                UserStatusChanged = null;
                UserStatusChangedString = null;
            }
        }

        /// <summary>Uninit forgets every listener (Tencent's wrapper forgot only some, so re-adding them
        /// after a new Init delivered twice).</summary>
        internal static void Clear()
        {
            Update(() =>
            {
                NetworkStatus = null;
                KickedOffline = null;
                UserSigExpired = null;
                UserStatusChanged = null;
                UserStatusChangedString = null;
            });
        }
    }
}
