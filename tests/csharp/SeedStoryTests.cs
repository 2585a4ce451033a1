using System.Collections.Generic;
using com.tencent.imsdk.unity;
using com.tencent.imsdk.unity.enums;
using com.tencent.imsdk.unity.types;
using com.tencent.imsdk.unity.utils;
using ImSDK.Tests.Support;
using NUnit.Framework;

namespace ImSDK.Tests
{
    /// <summary>The seed page's story through the C# API: this process is one user, peers are others.</summary>
    [TestFixture]
    public class SeedStoryTests : SdkTest
    {
        [Test]
        public void SeedSampleCodeRunsUnmodified()
        {
            using (PeerUser.LogIn(Server, "userID1"))
            {
                InitAndLogIn("userID");
                SeedSample.StatusChangedSample();
                Assert.AreEqual(TIMResult.TIM_SUCC, SeedSample.SetSelfStatusSample());
                Assert.AreEqual(TIMResult.TIM_SUCC, SeedSample.GetUserStatusSample());
                Assert.AreEqual(TIMResult.TIM_SUCC, SeedSample.SubscribeUserStatusSample());
                Assert.AreEqual(TIMResult.TIM_SUCC, SeedSample.UnsubscribeUserStatusSample());
                // Every sample callback is delivered (and forgotten): nothing stays in flight or queued.
                Assert.IsTrue(Loop.RunUntil(() => PendingCalls.Count == 0 && Dispatcher.Queued == 0, Timeout));
                CollectionAssert.IsEmpty(LoggedErrors);
            }
        }

        [Test]
        public void SubscribedUserStatusQueryAndOwnChanges()
        {
            using (PeerUser bob = PeerUser.LogIn(Server, "bob"))
            {
                InitAndLogIn("alice");
                bob.Subscribe("alice");
                Subscribe("bob");

                bob.SetCustomStatus("在游戏中 🎮");
                WaitForStatus("bob", TIMUserStatusType.kTIMUserStatusType_Online, "在游戏中 🎮");

                List<UserStatus> statuses = GetStatus("bob", "alice");
                Assert.AreEqual(2, statuses.Count, Describe(statuses));
                UserStatus b = statuses.Find(s => s.user_status_identifier == "bob");
                Assert.IsTrue(Matches(b, "bob", TIMUserStatusType.kTIMUserStatusType_Online, "在游戏中 🎮"), Describe(statuses));
                CollectionAssert.Contains(b.user_status_online_devices, "Linux");

                // Own change: this account's listener hears it, and so does the subscriber.
                SetCustomStatus("listening to music");
                WaitForStatus("alice", TIMUserStatusType.kTIMUserStatusType_Online, "listening to music");
                bob.ExpectStatus("alice", TIMUserStatusType.kTIMUserStatusType_Online, "listening to music");

                // Logout (on purpose) gives UNLOGINED.
                bob.Logout();
                WaitForStatus("bob", TIMUserStatusType.kTIMUserStatusType_UnLogined, "");
            }
        }

        [Test]
        public void FriendsAreNotifiedWithoutSubscriptionAndGoOfflineOnCrash()
        {
            Server.AddFriends("alice", "carol");
            using (PeerUser carol = PeerUser.LogIn(Server, "carol"))
            {
                InitAndLogIn("alice");
                carol.SetCustomStatus("on the call");
                WaitForStatus("carol", TIMUserStatusType.kTIMUserStatusType_Online, "on the call");

                // The process dies without logging out: OFFLINE, and the custom status is cleared.
                carol.Kill();
                WaitForStatus("carol", TIMUserStatusType.kTIMUserStatusType_Offline, "");
            }
        }

        [Test]
        public void UnsubscribedUserIsNoLongerHeard()
        {
            Server.AddFriends("alice", "dave");
            using (PeerUser erin = PeerUser.LogIn(Server, "erin"))
            using (PeerUser dave = PeerUser.LogIn(Server, "dave"))
            {
                InitAndLogIn("alice");
                Subscribe("erin");
                erin.SetCustomStatus("one");
                WaitForStatus("erin", TIMUserStatusType.kTIMUserStatusType_Online, "one");

                Result<string> r = Await<string>(cb => TencentIMSDK.UnsubscribeUserStatus(new List<string> { "erin" }, cb));
                Assert.AreEqual(0, r.Code, r.Desc);
                erin.SetCustomStatus("two");
                // Barrier: dave (a friend) changes after erin's change was accepted, so erin's change, had it
                // been pushed, would have arrived first.
                dave.SetCustomStatus("after");
                WaitForStatus("dave", TIMUserStatusType.kTIMUserStatusType_Online, "after");
                Assert.IsFalse(StatusEvents.Exists(s => s.user_status_custom_status == "two"), Describe(StatusEvents));
            }
        }
    }
}
