// Compile-only stand-in for the UnityEditor APIs the package's Editor assembly uses (Unity 2021.3
// shapes), so the suite checks on Mono that unity/Editor compiles. Nothing here runs.
namespace UnityEditor.Build
{
    public interface IOrderedCallback
    {
        int callbackOrder { get; }
    }
}

namespace UnityEditor.Build.Reporting
{
    public sealed class BuildReport { }
}

namespace UnityEditor.UnityLinker
{
    public sealed class UnityLinkerBuildPipelineData { }

    public interface IUnityLinkerProcessor : UnityEditor.Build.IOrderedCallback
    {
        string GenerateAdditionalLinkXmlFile(UnityEditor.Build.Reporting.BuildReport report, UnityLinkerBuildPipelineData data);
        void OnBeforeRun(UnityEditor.Build.Reporting.BuildReport report, UnityLinkerBuildPipelineData data);
        void OnAfterRun(UnityEditor.Build.Reporting.BuildReport report, UnityLinkerBuildPipelineData data);
    }
}

namespace UnityEditor.PackageManager
{
    public sealed class PackageInfo
    {
        public string resolvedPath { get { return ""; } }
        public static PackageInfo FindForAssembly(System.Reflection.Assembly assembly) { return null; }
    }
}
