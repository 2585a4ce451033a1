using System;
using com.tencent.imsdk.unity.enums;

namespace ImSDK.Tests.Support
{
    /// <summary>Another logged-in user: Peer.exe in its own process, on the real library.</summary>
    public sealed class PeerUser : IDisposable
    {
        public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

        private readonly ChildProcess process;
        public readonly string UserId;

        private PeerUser(string userId, ChildProcess process)
        {
            UserId = userId;
            this.process = process;
        }

        /// <summary>Starts the peer and logs it in; throws unless the login succeeds.</summary>
        public static PeerUser LogIn(TestServer server, string userId, long appId = TestServer.AppId)
        {
            ChildProcess process = new ChildProcess("peer " + userId, "mono", "--debug \"" + Paths.Peer + "\"", Paths.TargetDir);
            PeerUser peer = new PeerUser(userId, process);
            try
            {
                peer.Command("init " + appId + " " + server.Url, "init");
                peer.Command("login " + userId + " " + TestServer.UserSig(userId, appId), "login");
                peer.ExpectDone("login");
                return peer;
            }
            catch
            {
                peer.Dispose();
                throw;
            }
        }

        public void SetCustomStatus(string text)
        {
            Command("set " + Hex.Encode(text), "set");
            ExpectDone("set");
        }

        public void Subscribe(params string[] users)
        {
            Command("subscribe " + string.Join(",", users), "subscribe");
            ExpectDone("subscribe");
        }

        public void Logout()
        {
            Command("logout", "logout");
            ExpectDone("logout");
        }

        /// <summary>Waits for a status-change event about `user` of the given type and custom status.</summary>
        public void ExpectStatus(string user, TIMUserStatusType type, string custom)
        {
            string wanted = "status " + user + " " + (int)type + " " + Hex.Encode(custom);
            process.Expect(l => l == wanted, Timeout, "'" + wanted + "'");
        }

        public void ExpectEvent(string line)
        {
            process.Expect(l => l == line, Timeout, "'" + line + "'");
        }

        /// <summary>Ends the process without logging out, as a crash or a lost network would.</summary>
        public void Kill()
        {
            process.Kill();
        }

        private void Command(string line, string name)
        {
            process.Send(line);
            string reply = process.ExpectPrefix(name + " ", Timeout);
            if (reply != name + " 0") throw new InvalidOperationException(UserId + ": " + line.Split(' ')[0] + " returned " + reply);
        }

        private void ExpectDone(string name)
        {
            string done = process.ExpectPrefix(name + "-done ", Timeout);
            if (done != name + "-done 0") throw new InvalidOperationException(UserId + ": " + done);
        }

        public void Dispose()
        {
            process.Dispose();
        }
    }
}
