using System;
using System.Collections.Generic;
using AOT;
using com.tencent.imsdk.unity.enums;
using com.tencent.imsdk.unity.types;
using com.tencent.imsdk.unity.utils;

namespace com.tencent.imsdk.unity.native
{
    /// <summary>
    /// The only managed code native threads run: static methods (IL2CPP-safe) held in static readonly
    /// delegates so the GC never collects what native code points to. Each copies its strings, queues the
    /// user's callback for the Dispatcher and returns; nothing here lets an exception reach native code.
    /// </summary>
    internal static class Trampolines
    {
        internal static readonly IMNativeSDK.CommonValueCallback CommonValue = OnCommonValue;
        internal static readonly IMNativeSDK.TIMNetworkStatusListenerCallback NetworkStatus = OnNetworkStatus;
        internal static readonly IMNativeSDK.TIMKickedOfflineCallback KickedOffline = OnKickedOffline;
        internal static readonly IMNativeSDK.TIMUserSigExpiredCallback UserSigExpired = OnUserSigExpired;
        internal static readonly IMNativeSDK.TIMUserStatusChangedCallback UserStatusChanged = OnUserStatusChanged;

        [MonoPInvokeCallback(typeof(IMNativeSDK.CommonValueCallback))]
        private static void OnCommonValue(int code, IntPtr desc, IntPtr json_params, IntPtr user_data)
        {
            Guard("result", () =>
            {
                PendingCall call = PendingCalls.Take(user_data);
                if (call == null) return;
                string descText = Utf8String.Read(desc);
                string json = Utf8String.Read(json_params);
                Dispatcher.Enqueue(() => call.Complete(code, descText, json));
            });
        }

        [MonoPInvokeCallback(typeof(IMNativeSDK.TIMNetworkStatusListenerCallback))]
        private static void OnNetworkStatus(int status, int code, IntPtr desc, IntPtr user_data)
        {
            Guard("network status", () =>
            {
                string descText = Utf8String.Read(desc);
                Dispatcher.Enqueue(() => Dispatcher.InvokeEach(Listeners.NetworkStatus,
                    h => h((TIMNetworkStatus)status, code, descText, "")));
            });
        }

        [MonoPInvokeCallback(typeof(IMNativeSDK.TIMKickedOfflineCallback))]
        private static void OnKickedOffline(IntPtr user_data)
        {
            Guard("kicked offline", () => Dispatcher.Enqueue(() => Dispatcher.InvokeEach(Listeners.KickedOffline, h => h(""))));
        }

        [MonoPInvokeCallback(typeof(IMNativeSDK.TIMUserSigExpiredCallback))]
        private static void OnUserSigExpired(IntPtr user_data)
        {
            Guard("user sig expired", () => Dispatcher.Enqueue(() => Dispatcher.InvokeEach(Listeners.UserSigExpired, h => h(""))));
        }

        [MonoPInvokeCallback(typeof(IMNativeSDK.TIMUserStatusChangedCallback))]
        private static void OnUserStatusChanged(IntPtr json_user_status_array, IntPtr user_data)
        {
            Guard("user status", () =>
            {
                string json = Utf8String.Read(json_user_status_array);
                Dispatcher.Enqueue(() => DeliverUserStatus(json));
            });
        }

        /// <summary>The exception boundary of every trampoline.</summary>
        private static void Guard(string what, Action body)
        {
            try
            {
                body();
            }
            catch (Exception e)
            {
                Log.Error(what + " callback failed: " + e);
            }
        }

        private static void DeliverUserStatus(string json)
        {
            if (Listeners.UserStatusChanged != null)
            {
                List<UserStatus> statuses = Utils.FromJson<List<UserStatus>>(json);
                Dispatcher.InvokeEach(Listeners.UserStatusChanged, h => h(statuses, ""));
            }
            Dispatcher.InvokeEach(Listeners.UserStatusChangedString, h => h(json, ""));
        }
    }
}
