// Tencent's enums, same names and values as TIMCloudDef.h / TIMManager.h.
namespace com.tencent.imsdk.unity.enums
{
    /// <summary>Synchronous result of every call. A callback is invoked only when the call returned TIM_SUCC.</summary>
    public enum TIMResult
    {
        TIM_SUCC = 0,
        TIM_ERR_SDKUNINIT = -1,
        TIM_ERR_NOTLOGIN = -2,
        TIM_ERR_JSON = -3,
        TIM_ERR_PARAM = -4,
        TIM_ERR_CONV = -5,
        TIM_ERR_GROUP = -6,
    }

    public enum TIMLoginStatus
    {
        kTIMLoginStatus_Logined = 1,
        kTIMLoginStatus_Logining = 2,
        kTIMLoginStatus_UnLogined = 3,
        kTIMLoginStatus_Logouting = 4,
    }

    public enum TIMNetworkStatus
    {
        kTIMConnected = 0,
        kTIMDisconnected = 1,
        kTIMConnecting = 2,
        kTIMConnectFailed = 3,
    }

    /// <summary>Both of Tencent's spellings of 0: "Unknown" (Tencent's C#) and "Unkown" (Tencent's C
    /// header, sic); TIMCloud.h has both too (the second as a #define).</summary>
    public enum TIMUserStatusType
    {
        kTIMUserStatusType_Unknown = 0,
        kTIMUserStatusType_Unkown = 0,
        kTIMUserStatusType_Online = 1,
        kTIMUserStatusType_Offline = 2,
        kTIMUserStatusType_UnLogined = 3,
    }

    /// <summary>Log level (SetConfig's set_config_log_level; this library writes no log).</summary>
    public enum TIMLogLevel
    {
        kTIMLog_Off = 0,
        kTIMLog_Test = 1,
        kTIMLog_Verbose = 2,
        kTIMLog_Debug = 3,
        kTIMLog_Info = 4,
        kTIMLog_Warn = 5,
        kTIMLog_Error = 6,
        kTIMLog_Assert = 7,
    }

    /// <summary>callExperimentalAPI operations (request_internal_operation) this library answers with 0.</summary>
    public enum TIMInternalOperation
    {
        internal_operation_set_ui_platform,
    }
}
