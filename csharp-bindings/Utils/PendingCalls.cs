using System;
using System.Collections.Generic;
using com.tencent.imsdk.unity.callback;

namespace com.tencent.imsdk.unity.utils
{
    /// <summary>One asynchronous call waiting for its single result.</summary>
    internal abstract class PendingCall
    {
        internal readonly string Method;
        internal long Id;

        protected PendingCall(string method)
        {
            Method = method;
        }

        /// <summary>What the user callback receives as user_data, as in Tencent's wrapper.</summary>
        protected string UserData { get { return Method + "_" + Id; } }

        /// <summary>Runs the user callback; called once, on the callback thread.</summary>
        internal abstract void Complete(int code, string desc, string json);
    }

    internal sealed class NullValuePending : PendingCall
    {
        private readonly NullValueCallback callback;

        internal NullValuePending(string method, NullValueCallback callback) : base(method)
        {
            this.callback = callback;
        }

        internal override void Complete(int code, string desc, string json)
        {
            if (callback != null) callback(code, desc, UserData);
        }
    }

    internal sealed class ValuePending<T> : PendingCall
    {
        private readonly ValueCallback<T> callback;

        internal ValuePending(string method, ValueCallback<T> callback) : base(method)
        {
            this.callback = callback;
        }

        internal override void Complete(int code, string desc, string json)
        {
            if (callback != null) callback(code, desc, Utils.FromJson<T>(json), UserData);
        }
    }

    /// <summary>
    /// Calls in flight by id. The id travels through the C API as user_data; the entry is removed when
    /// its result arrives (or the call is refused, or Uninit ends it), so the table holds only what is
    /// really in flight.
    /// </summary>
    internal static class PendingCalls
    {
        private static readonly object Gate = new object();
        private static readonly Dictionary<long, PendingCall> Calls = new Dictionary<long, PendingCall>();
        private static long lastId;

        internal static int Count { get { lock (Gate) return Calls.Count; } }

        internal static IntPtr Add(PendingCall call)
        {
            lock (Gate)
            {
                // Ids start at 1 (user_data NULL means "no call") and stay within a pointer on 32-bit targets.
                lastId = lastId >= int.MaxValue ? 1 : lastId + 1;
                call.Id = lastId;
                Calls[lastId] = call;
                return new IntPtr(lastId);
            }
        }

        /// <summary>Removes and returns the call, or null when unknown (already completed or ended).</summary>
        internal static PendingCall Take(IntPtr userData)
        {
            long id = userData.ToInt64();
            lock (Gate)
            {
                PendingCall call;
                if (!Calls.TryGetValue(id, out call)) return null;
                Calls.Remove(id);
                return call;
            }
        }

        internal static List<PendingCall> TakeAll()
        {
            lock (Gate)
            {
                List<PendingCall> all = new List<PendingCall>(Calls.Values);
                Calls.Clear();
                return all;
            }
        }
    }
}
