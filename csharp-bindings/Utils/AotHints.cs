// IL2CPP: Newtonsoft.Json builds the types the bindings deserialise by reflection, which the managed
// code stripper cannot see. [Preserve] (Unity honours any attribute named PreserveAttribute) keeps
// these hints, and the hints name every type and generic instantiation the bindings deserialise, so
// their constructors and fields survive stripping and their generic code is generated ahead of time.
// The Editor assembly also adds the package's link.xml to every build (Editor/LinkXmlProcessor.cs).
using System.Collections.Generic;
using com.tencent.imsdk.unity.types;
using Newtonsoft.Json;

namespace com.tencent.imsdk.unity.utils
{
    [System.AttributeUsage(System.AttributeTargets.All, Inherited = false)]
    internal sealed class PreserveAttribute : System.Attribute
    {
    }

    [Preserve]
    internal static class AotHints
    {
        /// <summary>Never called: it only has to exist in the build.</summary>
        [Preserve]
        internal static void Ensure()
        {
            Keep(new UserStatus(), new List<UserStatus>(), new SdkConfig(), new SetConfig(), new ReponseInfo(),
                new ExperimentalAPIReqeustParam(), new List<string>());
            JsonConvert.DeserializeObject<List<UserStatus>>("[]");
            JsonConvert.DeserializeObject<UserStatus>("{}");
            JsonConvert.DeserializeObject<SetConfig>("{}");
            JsonConvert.DeserializeObject<ReponseInfo>("{}");
            JsonConvert.DeserializeObject<List<string>>("[]");
        }

        private static void Keep(params object[] values)
        {
        }
    }
}
