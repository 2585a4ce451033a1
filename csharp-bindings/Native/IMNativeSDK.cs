// P/Invoke declarations of the C API (include/TIMCloud.h). Strings cross as UTF-8 pointers the
// managed side allocates and frees (see Utf8); callbacks are the static trampolines in Trampolines.
using System;
using System.Runtime.InteropServices;

namespace com.tencent.imsdk.unity.native
{
    public static class IMNativeSDK
    {
        // One name on every platform: libImSDK.so, ImSDK.dll, libImSDK.dylib; on iOS the static
        // libImSDK.a is linked into the app ("__Internal"). WebGL has no native library: Init throws
        // PlatformNotSupportedException there (TencentIMSDK.EnsurePlatformSupported).
#if UNITY_IOS && !UNITY_EDITOR
        public const string MyLibName = "__Internal";
#else
        public const string MyLibName = "ImSDK";
#endif

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void CommonValueCallback(int code, IntPtr desc, IntPtr json_params, IntPtr user_data);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void TIMNetworkStatusListenerCallback(int status, int code, IntPtr desc, IntPtr user_data);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void TIMKickedOfflineCallback(IntPtr user_data);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void TIMUserSigExpiredCallback(IntPtr user_data);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void TIMUserStatusChangedCallback(IntPtr json_user_status_array, IntPtr user_data);

        [DllImport(MyLibName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int TIMInit(ulong sdk_app_id, IntPtr json_sdk_config);

        [DllImport(MyLibName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int TIMUninit();

        [DllImport(MyLibName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int TIMLogin(IntPtr user_id, IntPtr user_sig, CommonValueCallback cb, IntPtr user_data);

        [DllImport(MyLibName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int TIMLogout(CommonValueCallback cb, IntPtr user_data);

        [DllImport(MyLibName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int TIMGetLoginStatus();

        /// <param name="user_id_buffer">At least 128 bytes; receives a NUL-terminated UTF-8 id.</param>
        [DllImport(MyLibName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int TIMGetLoginUserID(IntPtr user_id_buffer);

        [DllImport(MyLibName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int TIMGetUserStatus(IntPtr json_identifier_array, CommonValueCallback cb, IntPtr user_data);

        [DllImport(MyLibName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int TIMSetSelfStatus(IntPtr json_current_user_status, CommonValueCallback cb, IntPtr user_data);

        [DllImport(MyLibName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int TIMSubscribeUserStatus(IntPtr json_identifier_array, CommonValueCallback cb, IntPtr user_data);

        [DllImport(MyLibName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int TIMUnsubscribeUserStatus(IntPtr json_identifier_array, CommonValueCallback cb, IntPtr user_data);

        [DllImport(MyLibName, CallingConvention = CallingConvention.Cdecl)]
        public static extern void TIMSetNetworkStatusListenerCallback(TIMNetworkStatusListenerCallback cb, IntPtr user_data);

        [DllImport(MyLibName, CallingConvention = CallingConvention.Cdecl)]
        public static extern void TIMSetKickedOfflineCallback(TIMKickedOfflineCallback cb, IntPtr user_data);

        [DllImport(MyLibName, CallingConvention = CallingConvention.Cdecl)]
        public static extern void TIMSetUserSigExpiredCallback(TIMUserSigExpiredCallback cb, IntPtr user_data);

        [DllImport(MyLibName, CallingConvention = CallingConvention.Cdecl)]
        public static extern void TIMSetUserStatusChangedCallback(TIMUserStatusChangedCallback cb, IntPtr user_data);

        /// <summary>A static NUL-terminated UTF-8 string owned by the library: never freed.</summary>
        [DllImport(MyLibName, CallingConvention = CallingConvention.Cdecl)]
        public static extern IntPtr TIMGetSDKVersion();

        /// <summary>Server time in seconds (local clock corrected by the server's at login; 0 before).</summary>
        [DllImport(MyLibName, CallingConvention = CallingConvention.Cdecl)]
        public static extern ulong TIMGetServerTime();

        [DllImport(MyLibName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int TIMSetConfig(IntPtr json_config, CommonValueCallback cb, IntPtr user_data);

        [DllImport(MyLibName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int callExperimentalAPI(IntPtr json_param, CommonValueCallback cb, IntPtr user_data);

        /// <summary>Runs the callbacks the library queued in manual dispatch mode; returns how many ran.</summary>
        [DllImport(MyLibName, CallingConvention = CallingConvention.Cdecl)]
        public static extern int TIMDispatchCallbacks();
    }
}
