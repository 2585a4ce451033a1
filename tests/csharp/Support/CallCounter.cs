using System.Collections.Generic;
using com.tencent.imsdk.unity.callback;
using NUnit.Framework;

namespace ImSDK.Tests.Support
{
    /// <summary>Counts callbacks per call (by the user_data each call's callback receives).</summary>
    public sealed class CallCounter
    {
        private readonly Dictionary<string, int> seen = new Dictionary<string, int>();

        /// <summary>Distinct calls that called back.</summary>
        public int Calls { get { return seen.Count; } }

        public ValueCallback<string> Callback
        {
            get
            {
                return (code, desc, data, user_data) =>
                {
                    int n;
                    seen.TryGetValue(user_data, out n);
                    seen[user_data] = n + 1;
                };
            }
        }

        /// <summary>Asserts that `calls` calls called back, each exactly once.</summary>
        public void AssertEachOnce(int calls)
        {
            Assert.AreEqual(calls, seen.Count, "calls that called back");
            foreach (KeyValuePair<string, int> call in seen) Assert.AreEqual(1, call.Value, call.Key);
        }
    }
}
