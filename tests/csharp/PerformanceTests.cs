using System;
using System.Collections.Generic;
using System.Diagnostics;
using com.tencent.imsdk.unity;
using com.tencent.imsdk.unity.enums;
using com.tencent.imsdk.unity.types;
using ImSDK.Tests.Support;
using NUnit.Framework;

namespace ImSDK.Tests
{
    /// <summary>Figures through the C# layer (debug build of the library, Mono JIT): printed, with loose bounds.</summary>
    [TestFixture]
    public class PerformanceTests : SdkTest
    {
        [Test]
        public void CallReturnAndRoundTripTimes()
        {
            InitAndLogIn("alice");
            // Own change -> server -> own listener on the main thread (first: the server coalesces bursts).
            List<double> trips = new List<double>();
            for (int i = 0; i < 200; i++)
            {
                string text = "trip" + i;
                StatusEvents.Clear();
                Stopwatch trip = Stopwatch.StartNew();
                TencentIMSDK.SetSelfStatus(new UserStatus { user_status_custom_status = text }, (int c, string d, string u) => { });
                Assert.IsTrue(Loop.RunUntil(() => StatusEvents.Exists(s => s.user_status_custom_status == text), Timeout));
                trips.Add(trip.Elapsed.TotalMilliseconds * 1000);
            }
            const int calls = 2000;
            List<double> returns = new List<double>(calls);
            int completed = 0;
            for (int i = 0; i < calls; i++)
            {
                UserStatus status = new UserStatus { user_status_custom_status = "p" + (i % 10) };
                Stopwatch call = Stopwatch.StartNew();
                TIMResult r = TencentIMSDK.SetSelfStatus(status, (int c, string d, string u) => completed++);
                returns.Add(call.Elapsed.TotalMilliseconds * 1000);
                Assert.AreEqual(TIMResult.TIM_SUCC, r);
                if (i % 100 == 99) Assert.IsTrue(Loop.RunUntil(() => completed == i + 1, Timeout));
            }

            double callMedian = Percentile(returns, 0.5), tripMedian = Percentile(trips, 0.5);
            Console.WriteLine("SetSelfStatus via C#: call returns in {0:F1} µs median ({1:F1} µs p99); own change reaches own listener on the main thread in {2:F0} µs median ({3:F0} µs p99)",
                callMedian, Percentile(returns, 0.99), tripMedian, Percentile(trips, 0.99));
            Assert.Less(callMedian, 1000, "a call should only queue work");
            Assert.Less(tripMedian, 50000);
        }

        private static double Percentile(List<double> values, double p)
        {
            List<double> sorted = new List<double>(values);
            sorted.Sort();
            return sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
        }
    }
}
