// Another user, in its own process (the library is one per process): driven by lines on stdin, it
// reports results and events on stdout. Uses the same C# bindings as the tests.
//   init <app> <url> | login <user> <sig> | set <hex> | subscribe <a,b> | logout | quit
// replies "<cmd> <TIMResult as int>", then "<cmd>-done <code>"; events:
//   status <user> <type as int> <custom status as hex> | kicked | sigexpired | network <status as int>
using System;
using System.Collections.Generic;
using System.Threading;
using com.tencent.imsdk.unity;
using com.tencent.imsdk.unity.callback;
using com.tencent.imsdk.unity.types;
using ImSDK.Tests.Support;

namespace ImSDK.Tests.Peer
{
    public static class PeerMain
    {
        private static volatile bool quit;

        public static int Main()
        {
            MainLoop loop = MainLoop.Install();
            Thread reader = new Thread(() =>
            {
                string line;
                while ((line = Console.In.ReadLine()) != null)
                {
                    string command = line;
                    loop.Post(_ => Run(command.Split(' ')), null);
                }
                loop.Post(_ => Run(new[] { "quit" }), null);
            }) { IsBackground = true };
            reader.Start();
            loop.RunUntil(() => quit, TimeSpan.FromHours(1));
            return 0;
        }

        private static void Say(string line)
        {
            Console.Out.WriteLine(line);
            Console.Out.Flush();
        }

        private static NullValueCallback Done(string command)
        {
            return (code, desc, user_data) => Say(command + "-done " + code);
        }

        private static void Run(string[] args)
        {
            switch (args[0])
            {
                case "init":
                    int rc = (int)TencentIMSDK.Init(long.Parse(args[1]), new SdkConfig { sdk_config_server_url = args[2] });
                    TencentIMSDK.SetUserStatusChangedCallback((statuses, user_data) =>
                    {
                        foreach (UserStatus s in statuses)
                            Say("status " + s.user_status_identifier + " " + (int)s.user_status_status_type + " " + Hex.Encode(s.user_status_custom_status));
                    });
                    TencentIMSDK.SetKickedOfflineCallback(user_data => Say("kicked"));
                    TencentIMSDK.SetUserSigExpiredCallback(user_data => Say("sigexpired"));
                    TencentIMSDK.SetNetworkStatusListenerCallback((status, code, desc, user_data) => Say("network " + (int)status));
                    Say("init " + rc);
                    break;
                case "login":
                    Say("login " + (int)TencentIMSDK.Login(args[1], args[2], Done("login")));
                    break;
                case "set":
                    UserStatus self = new UserStatus { user_status_custom_status = Hex.Decode(args[1]) };
                    Say("set " + (int)TencentIMSDK.SetSelfStatus(self, Done("set")));
                    break;
                case "subscribe":
                    Say("subscribe " + (int)TencentIMSDK.SubscribeUserStatus(new List<string>(args[1].Split(',')), Done("subscribe")));
                    break;
                case "logout":
                    Say("logout " + (int)TencentIMSDK.Logout(Done("logout")));
                    break;
                case "quit":
                    TencentIMSDK.Uninit();
                    quit = true;
                    break;
                default:
                    Say("unknown " + args[0]);
                    break;
            }
        }
    }
}
