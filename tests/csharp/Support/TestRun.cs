using ImSDK.Tests.Support;
using NUnit.Framework;

namespace ImSDK.Tests
{
    /// <summary>One imsdk-server for the whole run, started by the first test that needs it.</summary>
    [SetUpFixture]
    public class TestRun
    {
        private static TestServer server;

        public static TestServer Server
        {
            get { return server ?? (server = new TestServer()); }
        }

        [TearDown]
        public void StopServer()
        {
            if (server != null) server.Dispose();
            server = null;
        }
    }
}
