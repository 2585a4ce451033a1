using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace ImSDK.Tests.Support
{
    /// <summary>A child process whose stdout lines are read on a background thread and awaited with a timeout.
    /// stderr is forwarded to ours so failures show.</summary>
    public sealed class ChildProcess : IDisposable
    {
        private readonly Process process;
        private readonly BlockingCollection<string> lines = new BlockingCollection<string>();
        private readonly string name;

        public ChildProcess(string name, string file, string arguments, string libraryDir = null)
        {
            this.name = name;
            ProcessStartInfo info = new ProcessStartInfo(file, arguments)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                StandardOutputEncoding = new UTF8Encoding(false),
            };
            if (libraryDir != null) info.EnvironmentVariables["LD_LIBRARY_PATH"] = libraryDir;
            process = new Process { StartInfo = info };
            process.OutputDataReceived += (s, e) =>
            {
                if (e.Data == null) lines.CompleteAdding();
                else lines.Add(e.Data);
            };
            process.ErrorDataReceived += (s, e) =>
            {
                if (e.Data != null) Console.Error.WriteLine("[" + name + "] " + e.Data);
            };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public int Id { get { return process.Id; } }

        public void Send(string line)
        {
            process.StandardInput.WriteLine(line);
            process.StandardInput.Flush();
        }

        /// <summary>The next stdout line for which `match` holds (earlier lines are skipped); throws on timeout.</summary>
        public string Expect(Func<string, bool> match, TimeSpan timeout, string what)
        {
            Stopwatch clock = Stopwatch.StartNew();
            while (true)
            {
                TimeSpan left = timeout - clock.Elapsed;
                string line;
                if (left <= TimeSpan.Zero || !lines.TryTake(out line, left))
                {
                    if (lines.IsCompleted) throw new InvalidOperationException(name + " exited before " + what);
                    throw new TimeoutException(name + ": no " + what + " within " + timeout.TotalSeconds + " s");
                }
                if (match(line)) return line;
            }
        }

        public string ExpectPrefix(string prefix, TimeSpan timeout)
        {
            return Expect(l => l.StartsWith(prefix, StringComparison.Ordinal), timeout, "'" + prefix + "'");
        }

        /// <summary>Kills the process at once (no logout: the server sees the TCP connection drop).</summary>
        public void Kill()
        {
            if (!process.HasExited) process.Kill();
            process.WaitForExit(10000);
        }

        public void Dispose()
        {
            try
            {
                Kill();
            }
            catch (InvalidOperationException)
            {
                // never started or already reaped
            }
            process.Dispose();
        }
    }
}
