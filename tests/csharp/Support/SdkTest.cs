using System;
using System.Collections.Generic;
using System.Text;
using com.tencent.imsdk.unity;
using com.tencent.imsdk.unity.callback;
using com.tencent.imsdk.unity.enums;
using com.tencent.imsdk.unity.types;
using com.tencent.imsdk.unity.utils;
using NUnit.Framework;
using ImSDK.Tests;

namespace ImSDK.Tests.Support
{
    /// <summary>What a callback received, and on which thread.</summary>
    public sealed class Result<T>
    {
        public int Code;
        public string Desc;
        public T Data;
        public string UserData;
        public int ThreadId;
    }

    /// <summary>
    /// Base of the tests: each runs on a thread whose SynchronizationContext is a fresh MainLoop (Unity's
    /// main thread stand-in), with the shared server of TestRun; TearDown uninitialises the library.
    /// </summary>
    public abstract class SdkTest
    {
        public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

        protected MainLoop Loop;
        protected readonly List<string> LoggedErrors = new List<string>();
        protected readonly List<UserStatus> StatusEvents = new List<UserStatus>();

        protected static TestServer Server { get { return TestRun.Server; } }

        [SetUp]
        public void InstallLoop()
        {
            Loop = MainLoop.Install();
            LoggedErrors.Clear();
            StatusEvents.Clear();
            Log.ErrorLogged += RecordError;
        }

        [TearDown]
        public void UninitSdk()
        {
            TencentIMSDK.Uninit();
            Loop.RunPending();
            TencentIMSDK.DispatchCallbacks();
            Log.ErrorLogged -= RecordError;
            System.Threading.SynchronizationContext.SetSynchronizationContext(null);
            Assert.AreEqual(0, PendingCalls.Count, "calls left in flight after Uninit");
        }

        private void RecordError(string message)
        {
            lock (LoggedErrors) LoggedErrors.Add(message);
        }

        protected static SdkConfig Config()
        {
            return new SdkConfig { sdk_config_server_url = Server.Url };
        }

        /// <summary>Init on this thread (so callbacks come to Loop) and log in; records status events.</summary>
        protected void InitAndLogIn(string userId, long appId = TestServer.AppId, SdkConfig config = null)
        {
            Assert.AreEqual(TIMResult.TIM_SUCC, TencentIMSDK.Init(appId, config ?? Config()));
            TencentIMSDK.SetUserStatusChangedCallback((statuses, user_data) => StatusEvents.AddRange(statuses));
            Result<string> login = AwaitNull(cb => TencentIMSDK.Login(userId, TestServer.UserSig(userId, appId), cb));
            Assert.AreEqual(0, login.Code, "login: " + login.Desc);
        }

        /// <summary>Makes a call with a ValueCallback, asserts it was accepted, and pumps Loop until its callback ran.</summary>
        protected Result<T> Await<T>(Func<ValueCallback<T>, TIMResult> call)
        {
            Result<T> result = null;
            TIMResult sync = call((code, desc, data, user_data) => result = new Result<T>
            {
                Code = code, Desc = desc, Data = data, UserData = user_data,
                ThreadId = System.Threading.Thread.CurrentThread.ManagedThreadId,
            });
            Assert.AreEqual(TIMResult.TIM_SUCC, sync, "synchronous result");
            Assert.IsTrue(Loop.RunUntil(() => result != null, Timeout), "no callback within " + Timeout);
            Assert.AreEqual(Loop.ThreadId, result.ThreadId, "callback not on the main thread");
            return result;
        }

        /// <summary>The same for a NullValueCallback; Data stays null.</summary>
        protected Result<string> AwaitNull(Func<NullValueCallback, TIMResult> call)
        {
            return Await<string>(cb => call((code, desc, user_data) => cb(code, desc, null, user_data)));
        }

        protected List<UserStatus> GetStatus(params string[] users)
        {
            Result<List<UserStatus>> r = Await<List<UserStatus>>(cb => TencentIMSDK.GetUserStatus(new List<string>(users), cb));
            Assert.AreEqual(0, r.Code, "GetUserStatus: " + r.Desc);
            return r.Data;
        }

        protected void SetCustomStatus(string text)
        {
            Result<string> r = AwaitNull(cb => TencentIMSDK.SetSelfStatus(new UserStatus { user_status_custom_status = text }, cb));
            Assert.AreEqual(0, r.Code, "SetSelfStatus: " + r.Desc);
        }

        protected void Subscribe(params string[] users)
        {
            Result<string> r = AwaitNull(cb => TencentIMSDK.SubscribeUserStatus(new List<string>(users), cb));
            Assert.AreEqual(0, r.Code, "SubscribeUserStatus: " + r.Desc);
        }

        /// <summary>Pumps Loop until a status event about `user` with this type and custom status arrived.</summary>
        protected void WaitForStatus(string user, TIMUserStatusType type, string custom)
        {
            bool seen = Loop.RunUntil(() => StatusEvents.Exists(s => Matches(s, user, type, custom)), Timeout);
            Assert.IsTrue(seen, "no status event " + user + "/" + type + "/'" + custom + "'; got " + Describe(StatusEvents));
        }

        protected static bool Matches(UserStatus s, string user, TIMUserStatusType type, string custom)
        {
            return s.user_status_identifier == user && s.user_status_status_type == type && (s.user_status_custom_status ?? "") == custom;
        }

        protected static string Describe(IEnumerable<UserStatus> statuses)
        {
            StringBuilder text = new StringBuilder("[");
            foreach (UserStatus s in statuses)
                text.Append(s.user_status_identifier + "/" + s.user_status_status_type + "/'" + s.user_status_custom_status + "' ");
            return text.Append("]").ToString();
        }
    }
}
