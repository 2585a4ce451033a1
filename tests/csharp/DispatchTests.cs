using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using com.tencent.imsdk.unity;
using com.tencent.imsdk.unity.enums;
using com.tencent.imsdk.unity.types;
using com.tencent.imsdk.unity.utils;
using ImSDK.Tests.Support;
using NUnit.Framework;

namespace ImSDK.Tests
{
    /// <summary>Where callbacks run: the context captured by Init, the DispatchCallbacks pump, manual mode.</summary>
    [TestFixture]
    public class DispatchTests : SdkTest
    {
        [Test]
        public void BurstIsDeliveredOnTheMainThreadByOneDrainJob()
        {
            InitAndLogIn("alice");
            Loop.RunPending();
            const int burst = 50;
            int delivered = 0, offThread = 0;
            long postsBefore = Loop.Posts;
            for (int i = 0; i < burst; i++)
            {
                TIMResult r = TencentIMSDK.SetSelfStatus(new UserStatus { user_status_custom_status = "n" + i }, (int code, string desc, string user_data) =>
                {
                    delivered++;
                    if (Thread.CurrentThread.ManagedThreadId != Loop.ThreadId) offThread++;
                });
                Assert.AreEqual(TIMResult.TIM_SUCC, r);
            }
            // The main thread is busy: results (and own-status events) pile up in the queue.
            Assert.IsTrue(Dispatcher.WaitUntilQueued(burst, 10000), "results did not arrive");
            Assert.AreEqual(0, delivered, "a callback ran off the main thread's loop");
            // One drain job covers the whole burst (it may have been posted just before it, for a late event).
            Assert.AreEqual(1, Loop.Pending, "drain jobs waiting");
            Assert.LessOrEqual(Loop.Posts - postsBefore, 1, "drain jobs posted during the burst");
            Assert.IsTrue(Loop.RunUntil(() => delivered == burst, Timeout));
            Assert.AreEqual(0, offThread);
        }

        [Test]
        public void WithoutContextDispatchCallbacksDelivers()
        {
            SynchronizationContext.SetSynchronizationContext(null);
            Assert.AreEqual(TIMResult.TIM_SUCC, TencentIMSDK.Init(TestServer.AppId, Config()));
            int code = -1, thread = 0;
            TIMResult r = TencentIMSDK.Login("alice", TestServer.UserSig("alice"), (int c, string d, string u) =>
            {
                code = c;
                thread = Thread.CurrentThread.ManagedThreadId;
            });
            Assert.AreEqual(TIMResult.TIM_SUCC, r);
            Assert.IsTrue(Dispatcher.WaitUntilQueued(1, 10000), "login result did not arrive");
            Assert.AreEqual(-1, code, "delivered before DispatchCallbacks");
            Assert.GreaterOrEqual(TencentIMSDK.DispatchCallbacks(), 1);
            Assert.AreEqual(0, code);
            Assert.AreEqual(Thread.CurrentThread.ManagedThreadId, thread);
        }

        [Test]
        public void ManualDispatchModeRunsCallbacksOnThePumpingThread()
        {
            SynchronizationContext.SetSynchronizationContext(null);
            SdkConfig config = Config();
            config.sdk_config_manual_dispatch = true;
            Assert.AreEqual(TIMResult.TIM_SUCC, TencentIMSDK.Init(TestServer.AppId, config));
            int code = -1, thread = 0;
            TIMResult r = TencentIMSDK.Login("alice", TestServer.UserSig("alice"), (int c, string d, string u) =>
            {
                code = c;
                thread = Thread.CurrentThread.ManagedThreadId;
            });
            Assert.AreEqual(TIMResult.TIM_SUCC, r);
            Pump(() => code != -1);
            Assert.AreEqual(0, code);
            Assert.AreEqual(Thread.CurrentThread.ManagedThreadId, thread);

            // Calls in flight at Uninit, their results unpumped: each still gets exactly one callback.
            CallCounter counter = new CallCounter();
            for (int i = 0; i < 50; i++)
                Assert.AreEqual(TIMResult.TIM_SUCC, TencentIMSDK.GetUserStatus(new List<string> { "alice" }, counter.Callback));
            Assert.AreEqual(TIMResult.TIM_SUCC, TencentIMSDK.Uninit());
            Pump(() => counter.Calls == 50);
            counter.AssertEachOnce(50);
        }

        /// <summary>A game or server loop calls DispatchCallbacks every frame or tick; this is that loop.</summary>
        private static void Pump(Func<bool> done)
        {
            Stopwatch clock = Stopwatch.StartNew();
            while (!done() && clock.Elapsed < Timeout)
            {
                TencentIMSDK.DispatchCallbacks();
                Thread.Yield();
            }
        }
    }
}
