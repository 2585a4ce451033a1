// IL2CPP code stripping: Unity ignores a link.xml inside a UPM package (only Assets/ is scanned), so
// this processor hands the package's Runtime/link.xml to the linker on every player build. It keeps the
// JSON types Newtonsoft.Json builds by reflection (UserStatus, SdkConfig ...) whole. The Runtime also
// carries [Preserve]d AOT hints for every type it deserialises (Runtime/Utils/AotHints.cs).
using System.IO;
using UnityEditor.Build;
using UnityEditor.Build.Reporting;
using UnityEditor.UnityLinker;

namespace com.tencent.imsdk.unity.editor
{
    public sealed class LinkXmlProcessor : IUnityLinkerProcessor
    {
        /// <summary>The package's link.xml, also written here when the package folder cannot be found.</summary>
        internal const string LinkXml =
            "<linker>\n  <assembly fullname=\"com.tencent.imsdk.unity\" preserve=\"all\"/>\n</linker>\n";

        public int callbackOrder { get { return 0; } }

        public string GenerateAdditionalLinkXmlFile(BuildReport report, UnityLinkerBuildPipelineData data)
        {
            UnityEditor.PackageManager.PackageInfo package =
                UnityEditor.PackageManager.PackageInfo.FindForAssembly(typeof(TencentIMSDK).Assembly);
            if (package != null)
            {
                string inPackage = Path.Combine(package.resolvedPath, "Runtime", "link.xml");
                if (File.Exists(inPackage)) return Path.GetFullPath(inPackage);
            }
            string generated = Path.GetFullPath(Path.Combine("Library", "com.imsdk.userstatus", "link.xml"));
            Directory.CreateDirectory(Path.GetDirectoryName(generated));
            File.WriteAllText(generated, LinkXml);
            return generated;
        }

        // Members of IUnityLinkerProcessor in Unity 2021.3 (removed later; harmless there).
        public void OnBeforeRun(BuildReport report, UnityLinkerBuildPipelineData data)
        {
        }

        public void OnAfterRun(BuildReport report, UnityLinkerBuildPipelineData data)
        {
        }
    }
}
