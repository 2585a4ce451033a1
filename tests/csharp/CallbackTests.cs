using System;
using System.Collections.Generic;
using System.Text;
using com.tencent.imsdk.unity;
using com.tencent.imsdk.unity.callback;
using com.tencent.imsdk.unity.enums;
using com.tencent.imsdk.unity.types;
using ImSDK.Tests.Support;
using Newtonsoft.Json.Linq;
using NUnit.Framework;

namespace ImSDK.Tests
{
    /// <summary>Both callback overloads, UTF-8 in both directions, login state, and user code that throws.</summary>
    [TestFixture]
    public class CallbackTests : SdkTest
    {
        [Test]
        public void StringOverloadsGiveRawJsonAndNamedUserData()
        {
            Assert.AreEqual(TIMResult.TIM_SUCC, TencentIMSDK.Init(TestServer.AppId, Config()));
            Result<string> login = Await<string>(cb => TencentIMSDK.Login("alice", TestServer.UserSig("alice"), cb));
            Assert.AreEqual(0, login.Code, login.Desc);
            StringAssert.StartsWith("Login_", login.UserData);

            Result<string> get = Await<string>(cb => TencentIMSDK.GetUserStatus(new List<string> { "alice" }, cb));
            Assert.AreEqual(0, get.Code, get.Desc);
            JArray array = JArray.Parse(get.Data);
            Assert.AreEqual("alice", (string)array[0]["user_status_identifier"]);
            Assert.AreEqual(1, (int)array[0]["user_status_status_type"]);
            StringAssert.StartsWith("GetUserStatus_", get.UserData);

            Result<string> set = Await<string>(cb => TencentIMSDK.SetSelfStatus(new UserStatus { user_status_custom_status = "x" }, cb));
            Assert.AreEqual(0, set.Code, set.Desc);
            Result<string> sub = Await<string>(cb => TencentIMSDK.SubscribeUserStatus(new List<string> { "bob" }, cb));
            Assert.AreEqual(0, sub.Code, sub.Desc);
            Result<string> unsub = AwaitNull(cb => TencentIMSDK.UnsubscribeUserStatus(null, cb));
            Assert.AreEqual(0, unsub.Code, "unsubscribe all: " + unsub.Desc);
            Assert.AreNotEqual(login.UserData, get.UserData, "each call has its own id");

            Result<string> logout = Await<string>(cb => TencentIMSDK.Logout(cb));
            Assert.AreEqual(0, logout.Code, logout.Desc);
            Assert.AreEqual(TIMLoginStatus.kTIMLoginStatus_UnLogined, TencentIMSDK.GetLoginStatus());
        }

        [Test]
        public void LoginStateAndUserId()
        {
            Assert.AreEqual(TIMResult.TIM_SUCC, TencentIMSDK.Init(TestServer.AppId, Config()));
            Assert.AreEqual(TIMLoginStatus.kTIMLoginStatus_UnLogined, TencentIMSDK.GetLoginStatus());
            List<TIMNetworkStatus> network = new List<TIMNetworkStatus>();
            TencentIMSDK.SetNetworkStatusListenerCallback((status, code, desc, user_data) => network.Add(status));
            Result<string> login = AwaitNull(cb => TencentIMSDK.Login("bob", TestServer.UserSig("bob"), cb));
            Assert.AreEqual(0, login.Code, login.Desc);
            Assert.AreEqual(TIMLoginStatus.kTIMLoginStatus_Logined, TencentIMSDK.GetLoginStatus());
            StringBuilder id = new StringBuilder("stale");
            Assert.AreEqual(TIMResult.TIM_SUCC, TencentIMSDK.GetLoginUserID(id));
            Assert.AreEqual("bob", id.ToString());
            Assert.IsTrue(Loop.RunUntil(() => network.Contains(TIMNetworkStatus.kTIMConnected), Timeout), "no kTIMConnected");
        }

        [Test]
        public void RejectedCallsReturnAnErrorAndNeverCallBack()
        {
            bool called = false;
            TIMResult r = TencentIMSDK.GetUserStatus(new List<string> { "alice" }, (int c, string d, string data, string u) => called = true);
            Assert.AreEqual(TIMResult.TIM_ERR_SDKUNINIT, r, "before Init");
            Assert.AreEqual(TIMResult.TIM_ERR_PARAM, TencentIMSDK.Init(0, Config()));
            Assert.AreEqual(TIMResult.TIM_ERR_PARAM, TencentIMSDK.GetLoginUserID(null));
            Loop.RunPending();
            Assert.IsFalse(called);
        }

        [Test]
        public void Utf8RoundTripsByteForByte()
        {
            const string text = "ゲーム中 🎮 café ñ €";
            Assert.LessOrEqual(Encoding.UTF8.GetByteCount(text), 100);
            using (PeerUser bob = PeerUser.LogIn(Server, "bob"))
            {
                InitAndLogIn("alice");
                bob.Subscribe("alice");
                SetCustomStatus(text);
                UserStatus mine = GetStatus("alice")[0];
                CollectionAssert.AreEqual(Encoding.UTF8.GetBytes(text), Encoding.UTF8.GetBytes(mine.user_status_custom_status));
                // The peer prints what its callback got as hex of its UTF-8 bytes.
                bob.ExpectStatus("alice", TIMUserStatusType.kTIMUserStatusType_Online, text);
            }
        }

        [Test]
        public void OverLongCustomStatusIsRefusedWithoutCallback()
        {
            InitAndLogIn("alice");
            string text = new string('é', 51); // 102 bytes of UTF-8, 51 characters
            bool called = false;
            TIMResult r = TencentIMSDK.SetSelfStatus(new UserStatus { user_status_custom_status = text }, (int c, string d, string u) => called = true);
            Assert.AreEqual(TIMResult.TIM_ERR_PARAM, r, "102 bytes accepted");
            Assert.AreEqual(0, com.tencent.imsdk.unity.utils.PendingCalls.Count, "refused call still registered");
            SetCustomStatus(new string('é', 50)); // exactly 100 bytes is fine
            Assert.IsFalse(called);
        }

        [Test]
        public void ExceptionInUserCallbackIsCaughtAndLogged()
        {
            InitAndLogIn("alice");
            // One multicast listener: the handler after the one that throws still runs.
            int secondListener = 0;
            UserStatusChangedCallback both = (statuses, user_data) => { throw new InvalidOperationException("listener boom"); };
            both += (statuses, user_data) => secondListener++;
            TencentIMSDK.SetUserStatusChangedCallback(both);

            Result<string> thrown = null;
            TIMResult sync = TencentIMSDK.SetSelfStatus(new UserStatus { user_status_custom_status = "boom" }, (int code, string desc, string user_data) =>
            {
                thrown = new Result<string> { Code = code };
                throw new InvalidOperationException("result boom");
            });
            Assert.AreEqual(TIMResult.TIM_SUCC, sync);
            Assert.IsTrue(Loop.RunUntil(() => thrown != null && secondListener > 0, Timeout), "callbacks not delivered");
            Assert.IsTrue(LoggedErrors.Exists(e => e.Contains("result boom")), string.Join("\n", LoggedErrors));
            Assert.IsTrue(LoggedErrors.Exists(e => e.Contains("listener boom")), string.Join("\n", LoggedErrors));

            // The SDK still works afterwards.
            Assert.AreEqual("alice", GetStatus("alice")[0].user_status_identifier);
        }

        [Test]
        public void SetReplacesTheListenerAndRemoveClearsIt()
        {
            InitAndLogIn("alice");
            int replaced = 0, typed = 0, raw = 0;
            TencentIMSDK.SetUserStatusChangedCallback((s, u) => replaced++);
            TencentIMSDK.SetUserStatusChangedCallback((s, u) => typed++, (json, u) => raw++);
            SetCustomStatus("again");
            Assert.IsTrue(Loop.RunUntil(() => typed > 0 && raw > 0, Timeout), "the replacing listeners were not called");
            Loop.RunUntil(() => false, TimeSpan.FromMilliseconds(300));
            Assert.AreEqual(0, replaced, "a replaced listener was called");
            Assert.AreEqual(typed, raw, "typed and raw listeners heard different events");
            int heard = typed;

            // Remove clears both, whatever its argument (as Tencent's does).
            TencentIMSDK.RemoveUserStatusChangedCallback((s, u) => { });
            SetCustomStatus("once more");
            Loop.RunUntil(() => false, TimeSpan.FromMilliseconds(300));
            Assert.AreEqual(heard, typed, "called after Remove");
            Assert.AreEqual(heard, raw, "called after Remove");
        }
    }
}
