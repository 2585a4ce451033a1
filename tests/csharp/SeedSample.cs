// The sample code of Tencent's "User Status" page (shared/seed/user-status.txt), copied verbatim into
// methods; it must compile and run unmodified against these bindings. Each method returns the
// snippet's `res`.
using System.Collections.Generic;
using com.tencent.imsdk.unity;
using com.tencent.imsdk.unity.enums;
using com.tencent.imsdk.unity.types;

namespace ImSDK.Tests
{
    public static class SeedSample
    {
        public static TIMResult SetSelfStatusSample()
        {
// Set user status
UserStatus status = new UserStatus
{
user_status_identifier = "userID",
user_status_status_type = TIMUserStatusType.kTIMUserStatusType_Online
};
TIMResult res = TencentIMSDK.SetSelfStatus(status, (int code, string desc, string result, string user_data)=>{
// Async result of the user status setting
});
            return res;
        }

        public static TIMResult GetUserStatusSample()
        {
// Query user status
TIMResult res = TencentIMSDK.GetUserStatus(new List<string> {"userID1"}, (int code, string desc, List<UserStatus> results, string user_data)=>{
// Async result of the user status query
});
            return res;
        }

        public static TIMResult SubscribeUserStatusSample()
        {
// Subscribe to the user status
TIMResult res = TencentIMSDK.SubscribeUserStatus(new List<string> {"userID1"}, (int code, string desc, string result, string user_data)=>{
// Async result of the user status subscription
});
            return res;
        }

        public static TIMResult UnsubscribeUserStatusSample()
        {
// Unsubscribe from the user status
TIMResult res = TencentIMSDK.UnsubscribeUserStatus(new List<string> {"userID1"}, (int code, string desc, string result, string user_data)=>{
// Async result of the user status unsubscription
});
            return res;
        }

        public static void StatusChangedSample()
        {
// Set the user status change notification callback
TencentIMSDK.SetUserStatusChangedCallback((List<UserStatus> json_user_status_array, string user_data)=>{
// Process the callback logic
});
        }
    }
}
