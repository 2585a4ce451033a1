using System;
using System.IO;

namespace ImSDK.Tests.Support
{
    /// <summary>Where the built Rust artefacts are: $IMSDK_TARGET_DIR, else target/debug of this checkout.</summary>
    public static class Paths
    {
        public static string TargetDir
        {
            get
            {
                string dir = Environment.GetEnvironmentVariable("IMSDK_TARGET_DIR");
                if (!string.IsNullOrEmpty(dir)) return dir;
                string here = Path.GetDirectoryName(typeof(Paths).Assembly.Location);
                return Path.GetFullPath(Path.Combine(here, "..", "..", "..", "target", "debug"));
            }
        }

        /// <summary>The checkout: tests/csharp/build/ is where the test assembly runs from.</summary>
        public static string RepoRoot
        {
            get
            {
                string here = Path.GetDirectoryName(typeof(Paths).Assembly.Location);
                return Path.GetFullPath(Path.Combine(here, "..", "..", ".."));
            }
        }

        public static string Server { get { return Path.Combine(TargetDir, "imsdk-server"); } }

        /// <summary>The compiled peer program (tests/csharp/build/Peer.exe), beside the test assembly.</summary>
        public static string Peer
        {
            get { return Path.Combine(Path.GetDirectoryName(typeof(Paths).Assembly.Location), "Peer.exe"); }
        }
    }
}
