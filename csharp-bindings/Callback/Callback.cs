// Tencent's public callback delegates. `user_data` is a string naming the call ("GetUserStatus_42"),
// as in Tencent's wrapper; it is not a value the caller chose.
using System.Collections.Generic;
using com.tencent.imsdk.unity.enums;
using com.tencent.imsdk.unity.types;

namespace com.tencent.imsdk.unity.callback
{
    public delegate void ValueCallback<T>(int code, string desc, T data, string user_data);
    public delegate void NullValueCallback(int code, string desc, string user_data);
    public delegate void NetworkStatusListenerCallback(TIMNetworkStatus status, int code, string desc, string user_data);
    public delegate void KickedOfflineCallback(string user_data);
    public delegate void UserSigExpiredCallback(string user_data);
    public delegate void UserStatusChangedCallback(List<UserStatus> json_user_status_array, string user_data);
    public delegate void UserStatusChangedStringCallback(string json_user_status_array, string user_data);
}
