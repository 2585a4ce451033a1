using System;
using System.Collections.Generic;
using System.Threading;

namespace com.tencent.imsdk.unity.utils
{
    /// <summary>
    /// Carries callbacks from the native threads to the thread that called Init. Native trampolines only
    /// enqueue; one drain job per burst is posted to the SynchronizationContext captured in Init (Unity's
    /// main thread). Without a context (plain Mono, a server build) TencentIMSDK.DispatchCallbacks() drains.
    /// Every callback runs inside its own try/catch: user code never unwinds into native code.
    /// </summary>
    internal static class Dispatcher
    {
        private static readonly object Gate = new object();
        private static readonly SendOrPostCallback DrainJob = DrainFromContext;
        private static List<Action> queue = new List<Action>();
        private static SynchronizationContext context;
        private static bool drainPosted;
        private static long posts;

        /// <summary>Drain jobs posted to the context so far.</summary>
        internal static long Posts { get { return Interlocked.Read(ref posts); } }

        /// <summary>Callbacks waiting for delivery.</summary>
        internal static int Queued { get { lock (Gate) return queue.Count; } }

        /// <summary>Called by Init on the thread that will receive callbacks.</summary>
        internal static void CaptureContext()
        {
            lock (Gate)
            {
                context = SynchronizationContext.Current;
                drainPosted = false;
            }
        }

        /// <summary>Forgets the context and every queued callback (a new Play in the Editor starts clean).</summary>
        internal static void Reset()
        {
            lock (Gate)
            {
                context = null;
                drainPosted = false;
                queue = new List<Action>();
            }
        }

        internal static void Enqueue(Action callback)
        {
            SynchronizationContext target;
            lock (Gate)
            {
                queue.Add(callback);
                Monitor.PulseAll(Gate);
                target = drainPosted ? null : context;
                if (target != null) drainPosted = true;
            }
            if (target == null) return;
            Interlocked.Increment(ref posts);
            try
            {
                target.Post(DrainJob, null);
            }
            catch (Exception e)
            {
                lock (Gate) drainPosted = false;
                Log.Error("cannot post callbacks to the main thread: " + e.Message);
            }
        }

        /// <summary>Waits until at least `count` callbacks are queued; false on timeout.</summary>
        internal static bool WaitUntilQueued(int count, int timeoutMs)
        {
            DateTime deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
            lock (Gate)
            {
                while (queue.Count < count)
                {
                    int left = (int)(deadline - DateTime.UtcNow).TotalMilliseconds;
                    if (left <= 0 || !Monitor.Wait(Gate, left)) return queue.Count >= count;
                }
                return true;
            }
        }

        private static void DrainFromContext(object state)
        {
            lock (Gate) drainPosted = false;
            Drain();
        }

        /// <summary>Runs every queued callback on the calling thread, in arrival order; returns how many ran.</summary>
        internal static int Drain()
        {
            int ran = 0;
            while (true)
            {
                List<Action> batch;
                lock (Gate)
                {
                    if (queue.Count == 0) return ran;
                    batch = queue;
                    queue = new List<Action>();
                }
                foreach (Action callback in batch)
                {
                    ran++;
                    try
                    {
                        callback();
                    }
                    catch (Exception e)
                    {
                        Log.Error("a callback threw " + e);
                    }
                }
            }
        }

        /// <summary>Invokes each handler of a multicast delegate on its own, so one that throws does not
        /// keep the others from running.</summary>
        internal static void InvokeEach<T>(T handlers, Action<T> invoke) where T : class
        {
            Delegate multicast = handlers as Delegate;
            if (multicast == null) return;
            foreach (Delegate handler in multicast.GetInvocationList())
            {
                try
                {
                    invoke((T)(object)handler);
                }
                catch (Exception e)
                {
                    Log.Error("a listener threw " + e);
                }
            }
        }
    }
}
