// User Status Demo: put this on a GameObject, fill in userSig, press Play.
// First Play against a local server (defaults below: the dev app 1400000001 of `imsdk-server` on
// ws://127.0.0.1:7788/ws, the server's default address):
//   1. cargo run -p imsdk-server
//   2. cargo run -p imsdk-server -- usersig --sdk-app-id 1400000001 --secret-key imsdk-dev-secret-key --user-id alice
//      and paste the printed UserSig into `userSig` (local tests only: in a real game your backend signs it).
// The dev app imports an account on its first login with a valid UserSig, so no other setup is needed.
// It logs in, sets a custom status, subscribes to the users listed, and shows every status it hears of:
// subscribed users, friends (when the app's friend status switch is on) and yourself.
using System.Collections.Generic;
using System.Linq;
using com.tencent.imsdk.unity;
using com.tencent.imsdk.unity.enums;
using com.tencent.imsdk.unity.types;
using UnityEngine;

public class UserStatusDemo : MonoBehaviour
{
    public long sdkAppId = 1400000001;
    public string serverUrl = "ws://127.0.0.1:7788/ws";
    public string userId = "alice";
    public string userSig = "";
    public string customStatus = "Playing level 1";
    [Tooltip("Comma-separated user ids to subscribe to")]
    public string subscribeTo = "bob,carol";

    private readonly Dictionary<string, UserStatus> statuses = new Dictionary<string, UserStatus>();
    private string state = "starting";

    private void Start()
    {
        // Init on the main thread: callbacks come back to it.
        TIMResult init = TencentIMSDK.Init(sdkAppId, new SdkConfig
        {
            sdk_config_config_file_path = Application.persistentDataPath + "/TIM-Config",
            sdk_config_server_url = serverUrl,
        });
        if (init != TIMResult.TIM_SUCC)
        {
            state = "Init failed: " + init;
            return;
        }
        TencentIMSDK.SetUserStatusChangedCallback((List<UserStatus> changed, string user_data) => Remember(changed));
        TencentIMSDK.SetNetworkStatusListenerCallback((status, code, desc, user_data) => state = "network: " + status);
        TencentIMSDK.SetKickedOfflineCallback(user_data => state = "kicked offline by another login");
        TencentIMSDK.SetUserSigExpiredCallback(user_data => state = "UserSig expired: log in again");

        TencentIMSDK.Login(userId, userSig, (int code, string desc, string user_data) =>
        {
            state = code == 0 ? "logged in as " + userId : "login failed: " + code + " " + desc;
            if (code != 0) return;
            SetCustomStatus();
            List<string> others = subscribeTo.Split(',').Select(s => s.Trim()).Where(s => s.Length > 0).ToList();
            if (others.Count == 0) return;
            TencentIMSDK.SubscribeUserStatus(others, (int c, string d, string u) =>
            {
                if (c != 0) state = "subscribe failed: " + c + " " + d;
            });
            TencentIMSDK.GetUserStatus(others, (int c, string d, List<UserStatus> current, string u) =>
            {
                if (c == 0) Remember(current);
            });
        });
    }

    private void SetCustomStatus()
    {
        TencentIMSDK.SetSelfStatus(new UserStatus { user_status_custom_status = customStatus }, (int code, string desc, string user_data) =>
        {
            if (code != 0) state = "set status failed: " + code + " " + desc;
        });
    }

    private void Remember(List<UserStatus> changed)
    {
        if (changed == null) return;
        foreach (UserStatus s in changed) statuses[s.user_status_identifier] = s;
    }

    private void OnGUI()
    {
        GUILayout.BeginArea(new Rect(10, 10, 520, 600));
        GUILayout.Label(state);
        GUILayout.BeginHorizontal();
        customStatus = GUILayout.TextField(customStatus, GUILayout.Width(300));
        if (GUILayout.Button("Set my status")) SetCustomStatus();
        GUILayout.EndHorizontal();
        foreach (UserStatus s in statuses.Values.OrderBy(s => s.user_status_identifier))
        {
            string type = s.user_status_status_type.HasValue ? s.user_status_status_type.Value.ToString().Replace("kTIMUserStatusType_", "") : "?";
            string devices = s.user_status_online_devices == null ? "" : string.Join(", ", s.user_status_online_devices.ToArray());
            GUILayout.Label(s.user_status_identifier + ": " + type + "  \"" + s.user_status_custom_status + "\"  " + devices);
        }
        GUILayout.EndArea();
    }

    private void OnDestroy()
    {
        TencentIMSDK.Uninit();
    }
}
