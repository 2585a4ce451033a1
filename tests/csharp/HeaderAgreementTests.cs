using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using com.tencent.imsdk.unity.native;
using ImSDK.Tests.Support;
using NUnit.Framework;

namespace ImSDK.Tests
{
    /// <summary>The P/Invoke declarations (IMNativeSDK) and the enums agree with include/TIMCloud.h: every
    /// DllImport names a declared function with the same parameter and return types, every callback
    /// delegate matches its typedef, every enum has the same names and values as the header's.</summary>
    [TestFixture]
    public class HeaderAgreementTests
    {
        private static string HeaderText()
        {
            return File.ReadAllText(Path.Combine(Paths.RepoRoot, "include", "TIMCloud.h"));
        }

        [Test]
        public void PInvokeAndEnumsMatchTheHeader()
        {
            List<string> differences = HeaderAgreement.Compare(HeaderText());
            Assert.IsEmpty(differences, string.Join("\n", differences.ToArray()));
        }

        [Test]
        public void EveryDllImportIsChecked()
        {
            int imports = typeof(IMNativeSDK).GetMethods(BindingFlags.Public | BindingFlags.Static)
                .Count(m => m.GetCustomAttributes(typeof(DllImportAttribute), false).Length > 0);
            Assert.GreaterOrEqual(imports, 18);
        }

        // The comparison itself catches each kind of difference.
        [TestCase("kTIMUserStatusType_Online = 1", "kTIMUserStatusType_Online = 5", "TIMUserStatusType.kTIMUserStatusType_Online")]
        [TestCase("#define kTIMUserStatusType_Unknown kTIMUserStatusType_Unkown", "", "kTIMUserStatusType_Unknown")]
        [TestCase("TIM_DECL int TIMUninit(void);", "TIM_DECL void TIMUninit(void);", "TIMUninit")]
        [TestCase("TIM_DECL int TIMInit(uint64_t sdk_app_id", "TIM_DECL int TIMInit(int64_t sdk_app_id", "TIMInit")]
        [TestCase("TIM_DECL int TIMDispatchCallbacks(void);", "", "TIMDispatchCallbacks")]
        [TestCase("typedef void (*TIMKickedOfflineCallback)(const void *user_data);", "typedef void (*TIMKickedOfflineCallback)(int32_t code, const void *user_data);", "TIMKickedOfflineCallback")]
        public void ADifferenceIsReported(string original, string changed, string named)
        {
            string header = HeaderText();
            StringAssert.Contains(original, header);
            List<string> differences = HeaderAgreement.Compare(header.Replace(original, changed));
            Assert.IsTrue(differences.Any(d => d.Contains(named)), "not reported: " + string.Join("\n", differences.ToArray()));
        }
    }

    /// <summary>A small reader of the cbindgen header: enums, #define aliases, callback typedefs, functions.</summary>
    internal static class HeaderAgreement
    {
        internal static List<string> Compare(string header)
        {
            string text = Regex.Replace(header, @"/\*.*?\*/", " ", RegexOptions.Singleline);
            text = Regex.Replace(text, @"//[^\n]*", " ");
            var errors = new List<string>();

            // Enums: typedef enum NAME { A = 1, ... } NAME; plus #define aliases of enumerators.
            var enums = new Dictionary<string, Dictionary<string, long>>();
            foreach (Match m in Regex.Matches(text, @"typedef\s+enum\s+(\w+)\s*\{([^}]*)\}"))
            {
                var members = new Dictionary<string, long>();
                foreach (Match e in Regex.Matches(m.Groups[2].Value, @"(\w+)\s*=\s*(-?\d+)"))
                    members[e.Groups[1].Value] = long.Parse(e.Groups[2].Value);
                enums[m.Groups[1].Value] = members;
            }
            foreach (Match a in Regex.Matches(text, @"#define\s+(\w+)\s+(\w+)\s*\n"))
                foreach (var members in enums.Values)
                    if (members.ContainsKey(a.Groups[2].Value)) members[a.Groups[1].Value] = members[a.Groups[2].Value];
            Assembly bindings = typeof(IMNativeSDK).Assembly;
            foreach (Type type in bindings.GetTypes().Where(t => t.IsEnum && t.IsPublic && t.Namespace == "com.tencent.imsdk.unity.enums"))
            {
                Dictionary<string, long> header_members;
                if (!enums.TryGetValue(type.Name, out header_members)) continue; // C#-only (TIMInternalOperation)
                var cs = type.GetFields(BindingFlags.Public | BindingFlags.Static)
                    .ToDictionary(f => f.Name, f => Convert.ToInt64(f.GetRawConstantValue()));
                foreach (var kv in header_members)
                {
                    long v;
                    if (!cs.TryGetValue(kv.Key, out v)) errors.Add(type.Name + "." + kv.Key + ": in the header, not in C#");
                    else if (v != kv.Value) errors.Add(type.Name + "." + kv.Key + ": C# " + v + ", header " + kv.Value);
                }
                foreach (var kv in cs.Where(kv => !header_members.ContainsKey(kv.Key)))
                    errors.Add(type.Name + "." + kv.Key + ": in C#, not in the header");
            }

            // Callback typedefs: typedef void (*NAME)(params);
            var callbacks = new Dictionary<string, string[]>();
            foreach (Match m in Regex.Matches(text, @"typedef\s+void\s*\(\*\s*(\w+)\)\s*\(([^)]*)\)\s*;"))
                callbacks[m.Groups[1].Value] = Params(m.Groups[2].Value);

            // Functions: TIM_DECL RET NAME(params);
            var functions = new Dictionary<string, KeyValuePair<string, string[]>>();
            foreach (Match m in Regex.Matches(text, @"TIM_DECL\s+([\w\s\*]+?)\s*\b(\w+)\s*\(([^)]*)\)\s*;"))
                functions[m.Groups[2].Value] = new KeyValuePair<string, string[]>(m.Groups[1].Value.Trim(), Params(m.Groups[3].Value));

            foreach (MethodInfo method in typeof(IMNativeSDK).GetMethods(BindingFlags.Public | BindingFlags.Static))
            {
                var import = (DllImportAttribute)method.GetCustomAttributes(typeof(DllImportAttribute), false).FirstOrDefault();
                if (import == null) continue;
                string name = string.IsNullOrEmpty(import.EntryPoint) ? method.Name : import.EntryPoint;
                if (import.CallingConvention != CallingConvention.Cdecl) errors.Add(name + ": not Cdecl");
                KeyValuePair<string, string[]> c;
                if (!functions.TryGetValue(name, out c)) { errors.Add(name + ": imported, not declared in the header"); continue; }
                if (!Same(c.Key, method.ReturnType, callbacks)) errors.Add(name + ": returns " + method.ReturnType.Name + ", header " + c.Key);
                ParameterInfo[] ps = method.GetParameters();
                if (ps.Length != c.Value.Length) { errors.Add(name + ": " + ps.Length + " parameters, header " + c.Value.Length); continue; }
                for (int i = 0; i < ps.Length; i++)
                {
                    string ctype = CType(c.Value[i]);
                    if (!Same(ctype, ps[i].ParameterType, callbacks))
                        errors.Add(name + " parameter " + i + ": C# " + ps[i].ParameterType.Name + ", header " + ctype);
                    else if (callbacks.ContainsKey(ctype))
                        errors.AddRange(DelegateDifferences(ctype, callbacks[ctype], ps[i].ParameterType, callbacks));
                }
            }
            return errors.Distinct().ToList();
        }

        private static string[] Params(string list)
        {
            string trimmed = Regex.Replace(list, @"\s+", " ").Trim();
            if (trimmed == "void" || trimmed == "") return new string[0];
            return trimmed.Split(',').Select(p => p.Trim()).ToArray();
        }

        /// <summary>"const char *json" -> "const char *"; "enum TIMNetworkStatus status" -> "enum TIMNetworkStatus".</summary>
        private static string CType(string param)
        {
            Match m = Regex.Match(param, @"^(.*?[\s\*])(\w+)$");
            string type = m.Success ? m.Groups[1].Value : param;
            return Regex.Replace(type.Replace("*", " * "), @"\s+", " ").Trim();
        }

        private static bool Same(string ctype, Type cs, Dictionary<string, string[]> callbacks)
        {
            ctype = Regex.Replace(ctype.Replace("*", " * "), @"\s+", " ").Trim();
            if (callbacks.ContainsKey(ctype)) return typeof(Delegate).IsAssignableFrom(cs);
            switch (ctype)
            {
                case "void": return cs == typeof(void);
                case "int": case "int32_t": return cs == typeof(int);
                case "uint64_t": return cs == typeof(ulong);
                case "int64_t": return cs == typeof(long);
                case "const char *": case "char *": case "const void *": case "void *": return cs == typeof(IntPtr);
            }
            if (ctype.StartsWith("enum ")) return cs == typeof(int);
            return false;
        }

        private static IEnumerable<string> DelegateDifferences(string name, string[] cparams, Type del, Dictionary<string, string[]> callbacks)
        {
            var attr = (UnmanagedFunctionPointerAttribute)del.GetCustomAttributes(typeof(UnmanagedFunctionPointerAttribute), false).FirstOrDefault();
            if (attr == null || attr.CallingConvention != CallingConvention.Cdecl)
                yield return name + ": delegate " + del.Name + " is not [UnmanagedFunctionPointer(Cdecl)]";
            MethodInfo invoke = del.GetMethod("Invoke");
            if (invoke.ReturnType != typeof(void)) yield return name + ": delegate " + del.Name + " does not return void";
            ParameterInfo[] ps = invoke.GetParameters();
            if (ps.Length != cparams.Length)
            {
                yield return name + ": delegate " + del.Name + " has " + ps.Length + " parameters, header " + cparams.Length;
                yield break;
            }
            for (int i = 0; i < ps.Length; i++)
                if (!Same(CType(cparams[i]), ps[i].ParameterType, callbacks))
                    yield return name + ": delegate " + del.Name + " parameter " + i + " is " + ps[i].ParameterType.Name + ", header " + CType(cparams[i]);
        }
    }
}
