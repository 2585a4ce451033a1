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

    public enum TIMUserStatusType
    {
        kTIMUserStatusType_Unknown = 0,
        kTIMUserStatusType_Online = 1,
        kTIMUserStatusType_Offline = 2,
        kTIMUserStatusType_UnLogined = 3,
    }
}
