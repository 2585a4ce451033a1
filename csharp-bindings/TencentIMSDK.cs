using System;
using System.Runtime.InteropServices;
using System.Text;
using com.tencent.imsdk.unity.callback;
using com.tencent.imsdk.unity.enums;
using com.tencent.imsdk.unity.native;
using com.tencent.imsdk.unity.types;
using com.tencent.imsdk.unity.utils;

namespace com.tencent.imsdk.unity
{
    /// <summary>
    /// Tencent Chat's Unity API for login and user status, on the native ImSDK library.
    /// Callbacks run on the thread that called Init when it has a SynchronizationContext (Unity's main
    /// thread); otherwise call DispatchCallbacks() regularly (once a frame, or in a server's loop).
    /// </summary>
    public static partial class TencentIMSDK
    {
        /// <summary>ERR_SDK_COMM_INTERRUPT: what a call still in flight receives when Uninit ends it.</summary>
        public const int ERR_SDK_COMM_INTERRUPT = 7009;

        private const int LoginUserIdBufferSize = 128;
        private static volatile bool manualDispatch;
        private static bool unloadHooked;
        /// <summary>Init succeeded and Uninit has not run since (in this domain).</summary>
        private static volatile bool initialized;

        internal static bool IsInitialized { get { return initialized; } }

        /// <summary>Initialises the library. Captures the calling thread's SynchronizationContext: call it
        /// from Unity's main thread (Awake/Start). need_log logs every call and its result.</summary>
        public static TIMResult Init(long sdk_app_id, SdkConfig json_sdk_config, bool? need_log = false)
        {
            EnsurePlatformSupported();
            Log.Verbose = need_log == true;
            if (sdk_app_id <= 0) return Logged("Init", TIMResult.TIM_ERR_PARAM);
            Dispatcher.CaptureContext();
            manualDispatch = json_sdk_config != null && json_sdk_config.sdk_config_manual_dispatch == true;
            int result;
            using (Utf8String config = new Utf8String(json_sdk_config == null ? "" : Utils.ToJson(json_sdk_config)))
            {
                result = IMNativeSDK.TIMInit((ulong)sdk_app_id, config.Ptr);
            }
            if (result == (int)TIMResult.TIM_SUCC)
            {
                initialized = true;
                Listeners.RegisterNative();
                UninitOnDomainUnload();
            }
            return Logged("Init", (TIMResult)result);
        }

        /// <summary>Shuts the library down and forgets every listener. Calls still in flight receive
        /// ERR_SDK_COMM_INTERRUPT (7009) once, through the usual callback path.</summary>
        public static TIMResult Uninit()
        {
            Listeners.Clear();
            initialized = false;
            int result = IMNativeSDK.TIMUninit();
            foreach (PendingCall call in PendingCalls.TakeAll())
            {
                PendingCall ended = call;
                Dispatcher.Enqueue(() => ended.Complete(ERR_SDK_COMM_INTERRUPT, "interrupted by Uninit", ""));
            }
            return Logged("Uninit", (TIMResult)result);
        }

        /// <summary>Runs the callbacks waiting for this thread (and, in manual dispatch mode, those the
        /// native library holds); returns how many user callbacks ran. Needed only without a
        /// SynchronizationContext at Init, or with sdk_config_manual_dispatch; harmless otherwise.</summary>
        public static int DispatchCallbacks()
        {
            if (manualDispatch) IMNativeSDK.TIMDispatchCallbacks();
            return Dispatcher.Drain();
        }

        public static TIMResult Login(string user_id, string user_sig, NullValueCallback callback)
        {
            return Login(user_id, user_sig, new NullValuePending("Login", callback));
        }

        public static TIMResult Login(string user_id, string user_sig, ValueCallback<string> callback)
        {
            return Login(user_id, user_sig, new ValuePending<string>("Login", callback));
        }

        public static TIMResult Logout(NullValueCallback callback)
        {
            return Call(new NullValuePending("Logout", callback), id => IMNativeSDK.TIMLogout(Trampolines.CommonValue, id));
        }

        public static TIMResult Logout(ValueCallback<string> callback)
        {
            return Call(new ValuePending<string>("Logout", callback), id => IMNativeSDK.TIMLogout(Trampolines.CommonValue, id));
        }

        public static TIMLoginStatus GetLoginStatus()
        {
            return (TIMLoginStatus)IMNativeSDK.TIMGetLoginStatus();
        }

        /// <summary>Replaces the builder's content with the logged-in user's id.</summary>
        public static TIMResult GetLoginUserID(StringBuilder user_id)
        {
            if (user_id == null) return TIMResult.TIM_ERR_PARAM;
            IntPtr buffer = Marshal.AllocHGlobal(LoginUserIdBufferSize);
            try
            {
                Marshal.WriteByte(buffer, 0, 0);
                int result = IMNativeSDK.TIMGetLoginUserID(buffer);
                user_id.Length = 0;
                if (result == (int)TIMResult.TIM_SUCC) user_id.Append(Utf8String.ReadBounded(buffer, LoginUserIdBufferSize));
                return (TIMResult)result;
            }
            finally
            {
                Marshal.FreeHGlobal(buffer);
            }
        }

        /// <summary>WebGL players have no native library (and no threads): refuse clearly at Init rather
        /// than fail to link or crash at the first call.</summary>
        private static void EnsurePlatformSupported()
        {
#if UNITY_WEBGL && !UNITY_EDITOR
            throw new PlatformNotSupportedException("TencentIMSDK (native ImSDK library) does not run on WebGL: " +
                "there is no native library for the browser. Build for a desktop, Android or iOS player.");
#endif
        }

        /// <summary>Back to the state of a fresh domain, for Play mode without domain reload: stops a library
        /// a previous Play left initialised, drops its queued callbacks and calls in flight (they belong to
        /// objects of the previous Play), forgets every listener and the captured context.</summary>
        internal static void ResetStaticState()
        {
            // Native calls only when this domain initialised the library: a player that never uses the
            // SDK (or a WebGL one, which has none) does not load it at startup.
            bool wasInitialized = initialized;
            initialized = false;
            if (wasInitialized)
            {
                Listeners.Clear();
                IMNativeSDK.TIMUninit();
            }
            else
            {
                Listeners.ForgetManaged();
            }
            PendingCalls.TakeAll();
            Dispatcher.Reset();
            manualDispatch = false;
            Log.Verbose = false;
        }

        /// <summary>The Unity Editor reloads scripts in a new domain while the native library stays loaded:
        /// stop it first, so it never calls a trampoline of the unloaded domain.</summary>
        private static void UninitOnDomainUnload()
        {
            if (unloadHooked) return;
            unloadHooked = true;
            AppDomain.CurrentDomain.DomainUnload += (sender, e) => Uninit();
        }

        private static TIMResult Login(string user_id, string user_sig, PendingCall pending)
        {
            return Call(pending, id =>
            {
                using (Utf8String user = new Utf8String(user_id))
                using (Utf8String sig = new Utf8String(user_sig))
                {
                    return IMNativeSDK.TIMLogin(user.Ptr, sig.Ptr, Trampolines.CommonValue, id);
                }
            });
        }

        /// <summary>Passes a string argument as UTF-8 to an asynchronous native call.</summary>
        private static TIMResult Call(PendingCall pending, string argument, Func<IntPtr, IMNativeSDK.CommonValueCallback, IntPtr, int> native)
        {
            return Call(pending, id =>
            {
                using (Utf8String text = new Utf8String(argument))
                {
                    return native(text.Ptr, Trampolines.CommonValue, id);
                }
            });
        }

        /// <summary>Registers the call under a fresh id, makes it, and forgets it when the library refuses
        /// it (a refused call never gets a callback).</summary>
        private static TIMResult Call(PendingCall pending, Func<IntPtr, int> native)
        {
            IntPtr id = PendingCalls.Add(pending);
            int result;
            try
            {
                result = native(id);
            }
            catch
            {
                PendingCalls.Take(id);
                throw;
            }
            if (result != (int)TIMResult.TIM_SUCC) PendingCalls.Take(id);
            return Logged(pending.Method, (TIMResult)result);
        }

        private static TIMResult Logged(string method, TIMResult result)
        {
            Log.Info(method + " -> " + result);
            return result;
        }
    }
}
