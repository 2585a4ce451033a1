using System;
using System.Collections.Generic;
using com.tencent.imsdk.unity;
using com.tencent.imsdk.unity.callback;
using com.tencent.imsdk.unity.enums;
using com.tencent.imsdk.unity.types;
using com.tencent.imsdk.unity.utils;
using ImSDK.Tests.Support;
using NUnit.Framework;

namespace ImSDK.Tests
{
    /// <summary>Play, stop, play in one domain, as the Unity Editor does with "Enter Play Mode Options" (no
    /// domain reload): the hooks UnityLifecycle registers with Unity (Application.quitting on stop,
    /// SubsystemRegistration on the next Play) are called as Unity would call them, and every callback of
    /// each Play is counted.</summary>
    [TestFixture]
    public class EditorSafetyTests : SdkTest
    {
        private sealed class Play
        {
            public int Login, BobEvents, Network;
        }

        /// <summary>One Play: Init, listeners, Login, subscribe to bob; then bob changes his status once.</summary>
        private Play RunPlay(PeerUser bob, string custom)
        {
            Play play = new Play();
            UnityLifecycle.OnSubsystemRegistration();
            Assert.AreEqual(TIMResult.TIM_SUCC, TencentIMSDK.Init(TestServer.AppId, Config()));
            TencentIMSDK.SetUserStatusChangedCallback((List<UserStatus> changed, string u) =>
            {
                foreach (UserStatus s in changed)
                    if (s.user_status_identifier == "bob" && s.user_status_custom_status == custom) play.BobEvents++;
            });
            TencentIMSDK.SetNetworkStatusListenerCallback((status, code, desc, u) => play.Network++);
            Result<string> login = AwaitNull(cb => TencentIMSDK.Login("alice", TestServer.UserSig("alice"), (c, d, u) => { play.Login++; cb(c, d, u); }));
            Assert.AreEqual(0, login.Code, login.Desc);
            Subscribe("bob");
            bob.SetCustomStatus(custom);
            Assert.IsTrue(Loop.RunUntil(() => play.BobEvents > 0, Timeout), "no status event in this Play");
            Loop.RunUntil(() => false, TimeSpan.FromMilliseconds(300)); // late duplicates would arrive now
            return play;
        }

        [TestCase(true, TestName = "PlayStopPlayCountsEachCallbackOnce(stop calls Uninit)")]
        [TestCase(false, TestName = "PlayStopPlayCountsEachCallbackOnce(stop skips Uninit)")]
        public void PlayStopPlayCountsEachCallbackOnce(bool quittingRuns)
        {
            using (PeerUser bob = PeerUser.LogIn(Server, "bob"))
            {
                Play first = RunPlay(bob, "first play");
                // Stop: Unity raises Application.quitting, unless the Editor is killed mid-Play or the
                // user's own teardown never ran; either way the next Play starts from SubsystemRegistration.
                int pendingBeforeStop = TencentIMSDK.GetUserStatus(new List<string> { "bob" }, (int c, string d, string data, string u) => first.Login += 100) == TIMResult.TIM_SUCC ? 1 : 0;
                Assert.AreEqual(1, pendingBeforeStop);
                if (quittingRuns) UnityLifecycle.OnQuitting();
                Play second = RunPlay(bob, "second play");

                Assert.AreEqual(1, first.Login, "first Play: login callbacks");
                Assert.AreEqual(1, first.BobEvents, "first Play: status events");
                Assert.AreEqual(1, second.Login, "second Play: login callbacks");
                Assert.AreEqual(1, second.BobEvents, "second Play: status events (listeners piled up?)");
                Assert.Greater(second.Network, 0, "second Play: network events");
                Assert.AreEqual(TIMLoginStatus.kTIMLoginStatus_Logined, TencentIMSDK.GetLoginStatus());
            }
        }

        [Test]
        public void ResetWithoutInitForgetsListenersAndLeavesTheLibraryAlone()
        {
            int calls = 0;
            TencentIMSDK.SetKickedOfflineCallback(u => calls++);
            UnityLifecycle.OnSubsystemRegistration();
            Assert.IsFalse(TencentIMSDK.IsInitialized);
            Assert.IsNull(com.tencent.imsdk.unity.native.Listeners.KickedOffline, "listener of the previous Play kept");
            UnityLifecycle.OnQuitting(); // no Init in this Play: nothing to stop
            Assert.AreEqual(0, calls);
        }

        [Test]
        public void ResetDropsWhatAPreviousPlayLeft()
        {
            InitAndLogIn("alice");
            int late = 0;
            TencentIMSDK.SetKickedOfflineCallback(u => late++);
            Assert.AreEqual(TIMResult.TIM_SUCC, TencentIMSDK.GetUserStatus(new List<string> { "alice" }, (int c, string d, string data, string u) => late++));
            UnityLifecycle.OnSubsystemRegistration();
            Assert.AreEqual(0, PendingCalls.Count, "calls of the previous Play still in flight");
            Assert.AreEqual(0, Dispatcher.Queued, "callbacks of the previous Play still queued");
            Assert.AreEqual(TIMLoginStatus.kTIMLoginStatus_UnLogined, TencentIMSDK.GetLoginStatus());
            Loop.RunUntil(() => false, TimeSpan.FromMilliseconds(300));
            TencentIMSDK.DispatchCallbacks();
            Assert.AreEqual(0, late, "a callback of the previous Play ran");
        }
    }

    /// <summary>Tencent's calls around login: GetSDKVersion, GetServerTime, SetConfig, CallExperimentalAPI.</summary>
    [TestFixture]
    public class ConfigCallTests : SdkTest
    {
        [Test]
        public void VersionAndServerTime()
        {
            StringAssert.IsMatch(@"^\d+\.\d+\.\d+", TencentIMSDK.GetSDKVersion());
            InitAndLogIn("alice");
            long now = (long)(DateTime.UtcNow - new DateTime(1970, 1, 1)).TotalSeconds;
            Assert.That(TencentIMSDK.GetServerTime(), Is.InRange(now - 60, now + 60));
        }

        [Test]
        public void SetConfigAndCallExperimentalAPIAnswerOnce()
        {
            Assert.AreEqual(TIMResult.TIM_SUCC, TencentIMSDK.Init(TestServer.AppId, Config()));
            Result<SetConfig> typed = Await<SetConfig>(cb => TencentIMSDK.SetConfig(
                new SetConfig { set_config_log_level = TIMLogLevel.kTIMLog_Info, set_config_is_log_output_console = false }, cb));
            Assert.AreEqual(0, typed.Code, typed.Desc);
            Result<string> raw = Await<string>(cb => TencentIMSDK.SetConfig(new SetConfig { set_config_user_define_data = "x" }, cb));
            Assert.AreEqual(0, raw.Code, raw.Desc);
            Result<ReponseInfo> experimental = Await<ReponseInfo>(cb => TencentIMSDK.CallExperimentalAPI(new ExperimentalAPIReqeustParam
            {
                request_internal_operation = TIMInternalOperation.internal_operation_set_ui_platform.ToString(),
                request_set_ui_platform_param = 5,
            }, cb));
            Assert.AreEqual(0, experimental.Code, experimental.Desc);
        }

        [Test]
        public void BeforeInitTheyAreRefused()
        {
            Assert.AreEqual(TIMResult.TIM_ERR_SDKUNINIT, TencentIMSDK.SetConfig(new SetConfig(), (int c, string d, string data, string u) => { }));
            Assert.AreEqual(TIMResult.TIM_ERR_SDKUNINIT, TencentIMSDK.CallExperimentalAPI(new ExperimentalAPIReqeustParam(), (int c, string d, string data, string u) => { }));
            Assert.AreEqual(0, PendingCalls.Count);
        }
    }
}
