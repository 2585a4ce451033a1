using System;

namespace com.tencent.imsdk.unity.utils
{
    /// <summary>Where the bindings report what they cannot return: Unity's console, or stderr elsewhere.</summary>
    internal static class Log
    {
        /// <summary>Set by Init's need_log: log each call and its synchronous result.</summary>
        internal static bool Verbose;

        /// <summary>Tests observe errors here (an exception thrown by a user callback, say).</summary>
        internal static event Action<string> ErrorLogged;

        internal static void Info(string message)
        {
            if (!Verbose) return;
#if UNITY_5_3_OR_NEWER
            UnityEngine.Debug.Log("[TencentIMSDK] " + message);
#else
            Console.Error.WriteLine("[TencentIMSDK] " + message);
#endif
        }

        internal static void Error(string message)
        {
#if UNITY_5_3_OR_NEWER
            UnityEngine.Debug.LogError("[TencentIMSDK] " + message);
#else
            Console.Error.WriteLine("[TencentIMSDK] error: " + message);
#endif
            Action<string> observers = ErrorLogged;
            if (observers != null) observers(message);
        }
    }
}
