// Runs the package's IUnityLinkerProcessor under Mono (scripts/test-csharp.sh): with no package folder
// found (the stand-in's PackageInfo finds none) it writes its embedded copy of Runtime/link.xml and hands
// that to the linker; the copy must preserve what Runtime/link.xml preserves.
//   mono RunLinkXmlProcessor.exe PATH/TO/unity/Runtime/link.xml     (run in a scratch directory)
using System;
using System.IO;
using System.Text.RegularExpressions;
using com.tencent.imsdk.unity.editor;

public static class RunLinkXmlProcessor
{
    public static int Main(string[] args)
    {
        string path = new LinkXmlProcessor().GenerateAdditionalLinkXmlFile(null, null);
        if (path == null || !File.Exists(path))
        {
            Console.Error.WriteLine("link.xml processor: no file at " + path);
            return 1;
        }
        string given = Assemblies(File.ReadAllText(path));
        string package = Assemblies(File.ReadAllText(args[0]));
        if (given.Length == 0 || given != package)
        {
            Console.Error.WriteLine("link.xml processor: hands the linker [" + given + "], the package's link.xml has [" + package + "]");
            return 1;
        }
        Console.WriteLine("link.xml processor: " + path + " preserves " + given);
        return 0;
    }

    private static string Assemblies(string xml)
    {
        string found = "";
        foreach (Match m in Regex.Matches(xml, "<assembly[^>]*/>")) found += m.Value + " ";
        return found.Trim();
    }
}
