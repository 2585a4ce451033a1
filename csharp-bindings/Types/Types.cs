// Tencent's JSON types. Field names are the JSON keys of the C API.
using System.Collections.Generic;
using com.tencent.imsdk.unity.enums;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace com.tencent.imsdk.unity.types
{
    /// <summary>Keeps JSON keys this version does not know, so they survive a round trip.</summary>
    public class ExtraData
    {
        [JsonExtensionData]
        private IDictionary<string, JToken> _additionalData = new Dictionary<string, JToken>();

        /// <summary>Sets a key this class has no field for (a newer library's config key, say).</summary>
        public void SetExtra(string key, object value)
        {
            _additionalData[key] = value == null ? JValue.CreateNull() : JToken.FromObject(value);
        }

        /// <summary>A key read from JSON that this class has no field for; null when absent.</summary>
        public JToken GetExtra(string key)
        {
            JToken value;
            return _additionalData.TryGetValue(key, out value) ? value : null;
        }
    }

    [JsonObject(MemberSerialization.OptOut)]
    public class UserStatus : ExtraData
    {
        /// <summary>User id (read only).</summary>
        public string user_status_identifier;
        /// <summary>Online, Offline or UnLogined (read only).</summary>
        public TIMUserStatusType? user_status_status_type;
        /// <summary>Custom status, at most 100 bytes of UTF-8; empty clears it (read and write).</summary>
        public string user_status_custom_status;
        /// <summary>Platforms the user is online on, e.g. "Windows", "Android" (read only).</summary>
        public List<string> user_status_online_devices;
    }

    [JsonObject(MemberSerialization.OptOut)]
    public class SdkConfig : ExtraData
    {
        public string sdk_config_config_file_path;
        public string sdk_config_log_file_path;
        public ulong? sdk_config_java_vm;
        /// <summary>This library only: the imsdk-server to use, e.g. "wss://chat.example.com/ws".</summary>
        public string sdk_config_server_url;
        /// <summary>This library only: when true the native library queues callbacks until
        /// TencentIMSDK.DispatchCallbacks() runs them on the calling thread.</summary>
        public bool? sdk_config_manual_dispatch;
    }

    /// <summary>TIMSetConfig's object. The log keys and set_config_user_define_data are accepted
    /// (this library writes no log); other keys (proxies ...) are answered with 7013.</summary>
    [JsonObject(MemberSerialization.OptOut)]
    public class SetConfig : ExtraData
    {
        public TIMLogLevel? set_config_log_level;
        public TIMLogLevel? set_config_callback_log_level;
        public bool? set_config_is_log_output_console;
        public string set_config_user_define_data;
    }

    /// <summary>callExperimentalAPI's request (Tencent's spelling, "Reqeust"). This library supports
    /// internal_operation_set_ui_platform only (answered with 0); any other operation gets 7013.</summary>
    [JsonObject(MemberSerialization.OptOut)]
    public class ExperimentalAPIReqeustParam : ExtraData
    {
        /// <summary>A TIMInternalOperation name, e.g. "internal_operation_set_ui_platform".</summary>
        public string request_internal_operation;
        public int? request_set_ui_platform_param;
    }

    /// <summary>callExperimentalAPI's answer (Tencent's spelling, "Reponse"); empty for the operations
    /// this library supports.</summary>
    [JsonObject(MemberSerialization.OptOut)]
    public class ReponseInfo : ExtraData
    {
    }
}
