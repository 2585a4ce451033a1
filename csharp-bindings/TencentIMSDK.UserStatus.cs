using System.Collections.Generic;
using com.tencent.imsdk.unity.callback;
using com.tencent.imsdk.unity.native;
using com.tencent.imsdk.unity.enums;
using com.tencent.imsdk.unity.types;
using com.tencent.imsdk.unity.utils;

namespace com.tencent.imsdk.unity
{
    public static partial class TencentIMSDK
    {
        /// <summary>Queries the status of users (your own id included). Result: List&lt;UserStatus&gt;.</summary>
        public static TIMResult GetUserStatus(List<string> json_identifier_array, ValueCallback<List<UserStatus>> callback)
        {
            return Call(new ValuePending<List<UserStatus>>("GetUserStatus", callback), IdList(json_identifier_array), IMNativeSDK.TIMGetUserStatus);
        }

        /// <summary>As above; the result is the raw JSON array.</summary>
        public static TIMResult GetUserStatus(List<string> json_identifier_array, ValueCallback<string> callback)
        {
            return Call(new ValuePending<string>("GetUserStatus", callback), IdList(json_identifier_array), IMNativeSDK.TIMGetUserStatus);
        }

        /// <summary>Sets your own custom status (user_status_custom_status; null or empty clears it).</summary>
        public static TIMResult SetSelfStatus(UserStatus json_current_user_status, NullValueCallback callback)
        {
            return Call(new NullValuePending("SetSelfStatus", callback), StatusJson(json_current_user_status), IMNativeSDK.TIMSetSelfStatus);
        }

        public static TIMResult SetSelfStatus(UserStatus json_current_user_status, ValueCallback<string> callback)
        {
            return Call(new ValuePending<string>("SetSelfStatus", callback), StatusJson(json_current_user_status), IMNativeSDK.TIMSetSelfStatus);
        }

        /// <summary>Subscribes to users' status changes (at most 200; the oldest is evicted).</summary>
        public static TIMResult SubscribeUserStatus(List<string> json_identifier_array, NullValueCallback callback)
        {
            return Call(new NullValuePending("SubscribeUserStatus", callback), IdList(json_identifier_array), IMNativeSDK.TIMSubscribeUserStatus);
        }

        public static TIMResult SubscribeUserStatus(List<string> json_identifier_array, ValueCallback<string> callback)
        {
            return Call(new ValuePending<string>("SubscribeUserStatus", callback), IdList(json_identifier_array), IMNativeSDK.TIMSubscribeUserStatus);
        }

        /// <summary>Unsubscribes; a null or empty list cancels every subscription.</summary>
        public static TIMResult UnsubscribeUserStatus(List<string> json_identifier_array, NullValueCallback callback)
        {
            return Call(new NullValuePending("UnsubscribeUserStatus", callback), IdList(json_identifier_array), IMNativeSDK.TIMUnsubscribeUserStatus);
        }

        public static TIMResult UnsubscribeUserStatus(List<string> json_identifier_array, ValueCallback<string> callback)
        {
            return Call(new ValuePending<string>("UnsubscribeUserStatus", callback), IdList(json_identifier_array), IMNativeSDK.TIMUnsubscribeUserStatus);
        }

        /// <summary>A null list is passed as NULL (the C API's "absent"), not as the text "null".</summary>
        private static string IdList(List<string> ids)
        {
            return ids == null ? null : Utils.ToJson(ids);
        }

        private static string StatusJson(UserStatus status)
        {
            return Utils.ToJson(status ?? new UserStatus());
        }
    }
}
