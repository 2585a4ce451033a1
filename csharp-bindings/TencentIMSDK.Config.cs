using System;
using com.tencent.imsdk.unity.callback;
using com.tencent.imsdk.unity.enums;
using com.tencent.imsdk.unity.native;
using com.tencent.imsdk.unity.types;
using com.tencent.imsdk.unity.utils;

namespace com.tencent.imsdk.unity
{
    /// <summary>Tencent's calls around login: version, server time, configuration, experimental API.</summary>
    public static partial class TencentIMSDK
    {
        /// <summary>The native library's version, e.g. "0.1.0".</summary>
        public static string GetSDKVersion()
        {
            return Utf8String.Read(IMNativeSDK.TIMGetSDKVersion());
        }

        /// <summary>Server time in seconds since 1970 (0 before the first login).</summary>
        public static long GetServerTime()
        {
            return (long)IMNativeSDK.TIMGetServerTime();
        }

        /// <summary>Tencent's global configuration. The result is the config echoed back (null here).</summary>
        public static TIMResult SetConfig(SetConfig config, ValueCallback<SetConfig> callback)
        {
            return Call(new ValuePending<SetConfig>("SetConfig", callback), ConfigJson(config), IMNativeSDK.TIMSetConfig);
        }

        public static TIMResult SetConfig(SetConfig config, ValueCallback<string> callback)
        {
            return Call(new ValuePending<string>("SetConfig", callback), ConfigJson(config), IMNativeSDK.TIMSetConfig);
        }

        /// <summary>Tencent's internal operations; this library answers internal_operation_set_ui_platform
        /// with 0 and any other operation with 7013.</summary>
        public static TIMResult CallExperimentalAPI(ExperimentalAPIReqeustParam json_param, ValueCallback<ReponseInfo> callback)
        {
            return Call(new ValuePending<ReponseInfo>("CallExperimentalAPI", callback), ConfigJson(json_param), IMNativeSDK.callExperimentalAPI);
        }

        public static TIMResult CallExperimentalAPI(ExperimentalAPIReqeustParam json_param, ValueCallback<string> callback)
        {
            return Call(new ValuePending<string>("CallExperimentalAPI", callback), ConfigJson(json_param), IMNativeSDK.callExperimentalAPI);
        }

        /// <summary>The object as JSON; null as "{}" (the library refuses NULL).</summary>
        private static string ConfigJson(object value)
        {
            return value == null ? "{}" : Utils.ToJson(value);
        }
    }
}
