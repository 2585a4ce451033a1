using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace ImSDK.Tests.Support
{
    /// <summary>A real imsdk-server on 127.0.0.1 (port 0), started with a config naming the test accounts.</summary>
    public sealed class TestServer : IDisposable
    {
        public const long AppId = 1400000001;
        public const string SecretKey = "imsdk-dev-secret-key";
        public const string Admin = "administrator";
        /// <summary>An app whose second login on the same platform kicks the first (6208).</summary>
        public const long KickAppId = 1400000002;

        public static readonly string[] Accounts = { "alice", "bob", "carol", "dave", "erin", "userID", "userID1" };

        private readonly ChildProcess process;
        private readonly string configPath;

        public int Port { get; private set; }
        public string Url { get { return "ws://127.0.0.1:" + Port + "/ws"; } }

        /// <param name="port">0 for any free port; a given port lets a restarted server take the place of a dead one.</param>
        public TestServer(int port = 0)
        {
            configPath = Path.Combine(Path.GetTempPath(), "imsdk-cs-" + Process.GetCurrentProcess().Id + "-" + Guid.NewGuid().ToString("N") + ".toml");
            File.WriteAllText(configPath, Config());
            process = new ChildProcess("server", Paths.Server, "--listen 127.0.0.1:" + port + " --config " + configPath);
            string line = process.ExpectPrefix("imsdk-server listening on ", TimeSpan.FromSeconds(20));
            Port = int.Parse(Regex.Match(line, @":(\d+)\s*$").Groups[1].Value);
        }

        private static string Config()
        {
            string accounts = "[\"" + string.Join("\", \"", Accounts) + "\"]";
            StringBuilder toml = new StringBuilder();
            foreach (string[] app in new[] { new[] { AppId.ToString(), "multi" }, new[] { KickAppId.ToString(), "one_per_platform" } })
            {
                toml.AppendLine("[[app]]");
                toml.AppendLine("sdk_app_id = " + app[0]);
                toml.AppendLine("secret_key = \"" + SecretKey + "\"");
                toml.AppendLine("admin = \"" + Admin + "\"");
                toml.AppendLine("plan = \"ultimate\"");
                toml.AppendLine("user_status_enabled = true");
                toml.AppendLine("friend_status_notify = true");
                toml.AppendLine("login_policy = \"" + app[1] + "\"");
                toml.AppendLine("accounts = " + accounts);
                // The suite makes many subscribe calls in a few seconds; rate limits are the server's tests.
                toml.AppendLine("[app.limits]");
                toml.AppendLine("rate_calls = 100000");
            }
            return toml.ToString();
        }

        /// <summary>A UserSig made by `imsdk-server usersig` (Tencent's TLSSigAPIv2).</summary>
        public static string UserSig(string userId, long appId = AppId, int expireSeconds = 86400)
        {
            ProcessStartInfo info = new ProcessStartInfo(Paths.Server,
                "usersig --sdk-app-id " + appId + " --secret-key " + SecretKey + " --user-id " + userId + " --expire " + expireSeconds)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
            };
            using (Process p = Process.Start(info))
            {
                string sig = p.StandardOutput.ReadToEnd().Trim();
                p.WaitForExit();
                if (p.ExitCode != 0 || sig.Length == 0) throw new InvalidOperationException("imsdk-server usersig failed");
                return sig;
            }
        }

        /// <summary>Makes two accounts friends through the admin REST API (Tencent's sns/friend_add).</summary>
        public void AddFriends(string from, string to)
        {
            string body = "{\"From_Account\":\"" + from + "\",\"AddFriendItem\":[{\"To_Account\":\"" + to +
                          "\",\"AddSource\":\"AddSource_Type_Test\"}],\"AddType\":\"Add_Type_Both\",\"ForceAddFlags\":1}";
            string reply = Rest("/v4/sns/friend_add", body);
            if (!reply.Contains("\"ActionStatus\":\"OK\"")) throw new InvalidOperationException("friend_add failed: " + reply);
        }

        private string Rest(string path, string body)
        {
            string url = "http://127.0.0.1:" + Port + path + "?sdkappid=" + AppId + "&identifier=" + Admin +
                         "&usersig=" + Uri.EscapeDataString(UserSig(Admin)) + "&random=1&contenttype=json";
            using (WebClient client = new WebClient())
            {
                client.Encoding = Encoding.UTF8;
                client.Headers[HttpRequestHeader.ContentType] = "application/json";
                return client.UploadString(url, "POST", body);
            }
        }

        /// <summary>Kills the server at once: clients see their connections drop.</summary>
        public void Dispose()
        {
            process.Dispose();
            File.Delete(configPath);
        }
    }
}
