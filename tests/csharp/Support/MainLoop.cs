using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading;

namespace ImSDK.Tests.Support
{
    /// <summary>
    /// A SynchronizationContext standing in for Unity's main thread: Post queues work, and the owning
    /// thread runs it while it waits for a condition (RunUntil). Callbacks of the bindings arrive here.
    /// </summary>
    public sealed class MainLoop : SynchronizationContext
    {
        private readonly BlockingCollection<Action> work = new BlockingCollection<Action>();
        private long posts;

        public int ThreadId { get; private set; }

        /// <summary>Jobs posted and not yet run.</summary>
        public int Pending { get { return work.Count; } }

        /// <summary>Jobs posted so far.</summary>
        public long Posts { get { return Interlocked.Read(ref posts); } }

        /// <summary>Installs a new loop as the calling thread's context.</summary>
        public static MainLoop Install()
        {
            MainLoop loop = new MainLoop { ThreadId = Thread.CurrentThread.ManagedThreadId };
            SetSynchronizationContext(loop);
            return loop;
        }

        public override void Post(SendOrPostCallback d, object state)
        {
            Interlocked.Increment(ref posts);
            work.Add(() => d(state));
        }

        public override void Send(SendOrPostCallback d, object state)
        {
            throw new NotSupportedException("the bindings must only Post");
        }

        /// <summary>Runs posted jobs on this thread until `done` holds; false when `timeout` passes first.</summary>
        public bool RunUntil(Func<bool> done, TimeSpan timeout)
        {
            if (Thread.CurrentThread.ManagedThreadId != ThreadId) throw new InvalidOperationException("not the loop's thread");
            Stopwatch clock = Stopwatch.StartNew();
            while (!done())
            {
                TimeSpan left = timeout - clock.Elapsed;
                Action job;
                if (left <= TimeSpan.Zero || !work.TryTake(out job, left)) return done();
                job();
            }
            return true;
        }

        /// <summary>Runs the jobs already posted, without waiting.</summary>
        public int RunPending()
        {
            int ran = 0;
            Action job;
            while (work.TryTake(out job))
            {
                job();
                ran++;
            }
            return ran;
        }
    }
}
