using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text.RegularExpressions;
using com.tencent.imsdk.unity;
using com.tencent.imsdk.unity.enums;
using com.tencent.imsdk.unity.native;
using com.tencent.imsdk.unity.types;
using com.tencent.imsdk.unity.utils;
using ImSDK.Tests.Support;
using NUnit.Framework;

namespace ImSDK.Tests
{
    /// <summary>Uninit with calls in flight, kicks, expiry, and 10,000 calls without growth.</summary>
    [TestFixture]
    public class LifecycleTests : SdkTest
    {
        [Test]
        public void UninitWithCallsInFlightCompletesEachCallOnce()
        {
            InitAndLogIn("alice");
            const int calls = 200;
            CallCounter counter = new CallCounter();
            for (int i = 0; i < calls; i++)
                Assert.AreEqual(TIMResult.TIM_SUCC, TencentIMSDK.GetUserStatus(new List<string> { "alice", "bob" }, counter.Callback));
            Assert.AreEqual(TIMResult.TIM_SUCC, TencentIMSDK.Uninit());
            Assert.AreEqual(0, PendingCalls.Count);
            Assert.IsTrue(Loop.RunUntil(() => counter.Calls == calls, Timeout), "only " + counter.Calls + " callbacks");
            counter.AssertEachOnce(calls);

            // A new session works, and nothing of the old one arrives late.
            InitAndLogIn("alice");
            Assert.AreEqual("alice", GetStatus("alice")[0].user_status_identifier);
            counter.AssertEachOnce(calls);
        }

        [Test]
        public void UninitFromInsideACallback()
        {
            InitAndLogIn("alice");
            TIMResult uninit = (TIMResult)99;
            TencentIMSDK.GetUserStatus(new List<string> { "alice" }, (int c, string d, string data, string u) => uninit = TencentIMSDK.Uninit());
            Assert.IsTrue(Loop.RunUntil(() => (int)uninit != 99, Timeout));
            Assert.AreEqual(TIMResult.TIM_SUCC, uninit);
            Assert.AreEqual(TIMResult.TIM_ERR_SDKUNINIT, TencentIMSDK.GetUserStatus(new List<string> { "alice" }, (int c, string d, string data, string u) => { }));
        }

        [Test]
        public void SecondLoginOnTheSamePlatformKicksThisOne()
        {
            InitAndLogIn("alice", TestServer.KickAppId);
            bool kicked = false;
            TencentIMSDK.SetKickedOfflineCallback(user_data => kicked = true);
            using (PeerUser.LogIn(Server, "alice", TestServer.KickAppId))
            {
                Assert.IsTrue(Loop.RunUntil(() => kicked, Timeout), "no KickedOffline callback");
                Assert.AreEqual(TIMLoginStatus.kTIMLoginStatus_UnLogined, TencentIMSDK.GetLoginStatus());
            }
        }

        [Test]
        public void ExpiringUserSigIsReported()
        {
            Assert.AreEqual(TIMResult.TIM_SUCC, TencentIMSDK.Init(TestServer.AppId, Config()));
            bool expired = false;
            TencentIMSDK.SetUserSigExpiredCallback(user_data => expired = true);
            Result<string> login = AwaitNull(cb => TencentIMSDK.Login("dave", TestServer.UserSig("dave", TestServer.AppId, 2), cb));
            Assert.AreEqual(0, login.Code, login.Desc);
            Assert.IsTrue(Loop.RunUntil(() => expired, Timeout), "no UserSigExpired callback");
        }

        [Test]
        public void TenThousandCallsDoNotGrowMemory()
        {
            InitAndLogIn("alice");
            RunCalls(1000); // warm up: JIT, pools, buffers
            long managedBefore = GC.GetTotalMemory(true);
            long rssBefore = RssBytes();
            Stopwatch clock = Stopwatch.StartNew();
            RunCalls(10000);
            clock.Stop();
            long managedAfter = GC.GetTotalMemory(true);
            long rssAfter = RssBytes();
            Console.WriteLine("10,000 calls: {0} ms ({1:F1} µs/call round trip, batches of 100); managed {2:+#;-#;0} B; RSS {3:+#;-#;0} B",
                clock.ElapsedMilliseconds, clock.Elapsed.TotalMilliseconds * 1000 / 10000, managedAfter - managedBefore, rssAfter - rssBefore);
            Assert.AreEqual(0, PendingCalls.Count, "pending calls left");
            Assert.AreEqual(0, Utf8String.Live, "unmanaged strings not freed");
            Assert.Less(managedAfter - managedBefore, 256 * 1024, "managed heap grew");
            Assert.Less(rssAfter - rssBefore, 4 * 1024 * 1024, "RSS grew");
        }

        /// <summary>Alternates set and get of the own status (no rate limit), 100 in flight at a time.</summary>
        private void RunCalls(int count)
        {
            for (int done = 0; done < count; done += 100)
            {
                int completed = 0, failed = 0;
                for (int i = 0; i < 100; i++)
                {
                    TIMResult r = i % 2 == 0
                        ? TencentIMSDK.SetSelfStatus(new UserStatus { user_status_custom_status = "s" + (i % 10) }, (int c, string d, string u) => { completed++; if (c != 0) failed++; })
                        : TencentIMSDK.GetUserStatus(new List<string> { "alice" }, (int c, string d, List<UserStatus> s, string u) => { completed++; if (c != 0) failed++; });
                    Assert.AreEqual(TIMResult.TIM_SUCC, r);
                }
                Assert.IsTrue(Loop.RunUntil(() => completed == 100, Timeout), "batch stuck at " + completed);
                Assert.AreEqual(0, failed);
                StatusEvents.Clear();
            }
        }

        private static long RssBytes()
        {
            Match m = Regex.Match(File.ReadAllText("/proc/self/status"), @"VmRSS:\s+(\d+) kB");
            return long.Parse(m.Groups[1].Value) * 1024;
        }
    }
}
