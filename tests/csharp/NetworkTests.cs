using System.Collections.Generic;
using System.Threading;
using com.tencent.imsdk.unity;
using com.tencent.imsdk.unity.enums;
using com.tencent.imsdk.unity.types;
using com.tencent.imsdk.unity.utils;
using ImSDK.Tests.Support;
using NUnit.Framework;

namespace ImSDK.Tests
{
    /// <summary>Connection loss and recovery as the C# listeners see them, and calls from other threads.</summary>
    [TestFixture]
    public class NetworkTests : SdkTest
    {
        [Test]
        public void ServerLossAndRestartAreReportedAndTheSessionRecovers()
        {
            TestServer own = new TestServer();
            int port = own.Port;
            try
            {
                List<TIMNetworkStatus> network = new List<TIMNetworkStatus>();
                SdkConfig config = new SdkConfig { sdk_config_server_url = own.Url };
                // Library keys without a field of their own go through SetExtra: reconnect fast for the test.
                config.SetExtra("sdk_config_reconnect_min_ms", 20);
                config.SetExtra("sdk_config_reconnect_max_ms", 200);
                Assert.AreEqual(TIMResult.TIM_SUCC, TencentIMSDK.Init(TestServer.AppId, config));
                TencentIMSDK.SetNetworkStatusListenerCallback((status, code, desc, user_data) => network.Add(status));
                Result<string> login = AwaitNull(cb => TencentIMSDK.Login("alice", TestServer.UserSig("alice"), cb));
                Assert.AreEqual(0, login.Code, login.Desc);
                Assert.IsTrue(Loop.RunUntil(() => network.Contains(TIMNetworkStatus.kTIMConnected), Timeout), "no kTIMConnected");

                network.Clear();
                own.Dispose();
                own = null;
                Assert.IsTrue(Loop.RunUntil(() => network.Contains(TIMNetworkStatus.kTIMDisconnected) || network.Contains(TIMNetworkStatus.kTIMConnecting), Timeout),
                    "loss not reported: " + string.Join(",", network));

                own = new TestServer(port);
                Assert.IsTrue(Loop.RunUntil(() => network.Contains(TIMNetworkStatus.kTIMConnected), Timeout), "no reconnect: " + string.Join(",", network));
                Assert.AreEqual(TIMLoginStatus.kTIMLoginStatus_Logined, TencentIMSDK.GetLoginStatus());
                Assert.AreEqual(TIMUserStatusType.kTIMUserStatusType_Online, GetStatus("alice")[0].user_status_status_type);
            }
            finally
            {
                TencentIMSDK.Uninit();
                if (own != null) own.Dispose();
            }
        }

        [Test]
        public void CallsFromWorkerThreadsCallBackOnTheMainThread()
        {
            InitAndLogIn("alice");
            const int threads = 8;
            int delivered = 0, wrongThread = 0, refused = 0;
            Thread[] workers = new Thread[threads];
            for (int t = 0; t < threads; t++)
            {
                workers[t] = new Thread(() =>
                {
                    TIMResult r = TencentIMSDK.GetUserStatus(new List<string> { "alice" }, (int c, string d, List<UserStatus> s, string u) =>
                    {
                        delivered++;
                        if (Thread.CurrentThread.ManagedThreadId != Loop.ThreadId || c != 0) wrongThread++;
                    });
                    if (r != TIMResult.TIM_SUCC) Interlocked.Increment(ref refused);
                });
                workers[t].Start();
            }
            foreach (Thread w in workers) w.Join();
            Assert.AreEqual(0, refused);
            Assert.IsTrue(Loop.RunUntil(() => delivered == threads, Timeout));
            Assert.AreEqual(0, wrongThread);
        }

        [Test]
        public void ListenerSetBeforeInitIsRegisteredByInit()
        {
            List<TIMNetworkStatus> network = new List<TIMNetworkStatus>();
            TencentIMSDK.SetNetworkStatusListenerCallback((status, code, desc, user_data) => network.Add(status));
            Assert.AreEqual(TIMResult.TIM_SUCC, TencentIMSDK.Init(TestServer.AppId, Config()));
            Result<string> login = AwaitNull(cb => TencentIMSDK.Login("bob", TestServer.UserSig("bob"), cb));
            Assert.AreEqual(0, login.Code, login.Desc);
            Assert.IsTrue(Loop.RunUntil(() => network.Contains(TIMNetworkStatus.kTIMConnected), Timeout));
        }

        [Test]
        public void NullIdListForQueryIsRefusedAndForgotten()
        {
            InitAndLogIn("alice");
            TIMResult r = TencentIMSDK.GetUserStatus(null, (int c, string d, List<UserStatus> s, string u) => { });
            Assert.AreNotEqual(TIMResult.TIM_SUCC, r);
            Assert.AreEqual(0, PendingCalls.Count);
        }
    }
}
