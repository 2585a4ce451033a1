"""The package check must catch what breaks a package in Unity: run by scripts/test-csharp.sh
(python3 -m unittest discover -s tests/csharp/PackageCheck) after the package is assembled."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TOOL = os.path.join(ROOT, "scripts", "unity_package.py")


class PackageCheck(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        lib = os.path.join(self.tmp, "libImSDK.so")
        with open(lib, "wb") as f:
            f.write(b"\x7fELF stand-in")
        subprocess.run([sys.executable, TOOL, "build", "--lib", lib, "--out", self.tmp], check=True, capture_output=True)
        self.pkg = os.path.join(self.tmp, "com.imsdk.userstatus")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def check(self):
        return subprocess.run([sys.executable, TOOL, "check", self.pkg], capture_output=True, text=True)

    def path(self, rel):
        return os.path.join(self.pkg, rel)

    def edit(self, rel, old, new):
        with open(self.path(rel)) as f:
            text = f.read()
        self.assertIn(old, text)
        with open(self.path(rel), "w") as f:
            f.write(text.replace(old, new))

    def assertRejected(self, fragment):
        result = self.check()
        self.assertEqual(1, result.returncode, result.stdout)
        self.assertIn(fragment, result.stderr)

    def test_assembled_package_passes(self):
        result = self.check()
        self.assertEqual(0, result.returncode, result.stderr)

    def test_guids_are_stable_across_builds(self):
        with open(self.path("Runtime/TencentIMSDK.cs.meta")) as f:
            first = f.read()
        subprocess.run([sys.executable, TOOL, "build", "--lib", os.path.join(self.tmp, "libImSDK.so"), "--out", self.tmp], check=True, capture_output=True)
        with open(self.path("Runtime/TencentIMSDK.cs.meta")) as f:
            self.assertEqual(first, f.read())

    def test_missing_meta(self):
        os.remove(self.path("Runtime/Enums/Enums.cs.meta"))
        self.assertRejected("Runtime/Enums/Enums.cs: no .meta")

    def test_duplicate_guid(self):
        shutil.copy(self.path("Runtime/Utils/Log.cs.meta"), self.path("Runtime/Utils/Utils.cs.meta"))
        self.assertRejected("also used by")

    def test_invalid_json(self):
        with open(self.path("Runtime/com.tencent.imsdk.unity.asmdef"), "a") as f:
            f.write("}")
        self.assertRejected("invalid JSON")

    def test_unresolved_asmdef_reference(self):
        self.edit("Samples~/UserStatusDemo/com.imsdk.userstatus.samples.asmdef", '"com.tencent.imsdk.unity"', '"Tencent.Missing"')
        self.assertRejected("reference 'Tencent.Missing' is no assembly of this package")

    def test_plugin_enabled_for_a_second_platform(self):
        self.edit("Runtime/Plugins/Linux/x86_64/libImSDK.so.meta",
                  "Standalone: Win64\n    second:\n      enabled: 0", "Standalone: Win64\n    second:\n      enabled: 1")
        self.assertRejected("expected exactly")

    def test_bindings_drift(self):
        with open(self.path("Runtime/TencentIMSDK.cs"), "a") as f:
            f.write("// edited in the package\n")
        self.assertRejected("differs from csharp-bindings")

    def test_manifest_without_newtonsoft(self):
        self.edit("package.json", "com.unity.nuget.newtonsoft-json", "com.example.other")
        self.assertRejected("no dependency on com.unity.nuget.newtonsoft-json")


    def test_oversized_library(self):
        with open(self.path("Runtime/Plugins/Linux/x86_64/libImSDK.so"), "wb") as f:
            f.truncate((4 << 20) + 1)
        self.assertRejected("over the 4194304-byte budget")

    def test_notices_miss_a_crate(self):
        self.edit("Third Party Notices.md", "## rustls ", "## rustls-renamed ")
        self.assertRejected("Third Party Notices.md: no section for rustls ")

    def test_notices_missing(self):
        os.remove(self.path("Third Party Notices.md"))
        self.assertRejected("Third Party Notices.md missing")

    def test_ios_static_library_enabled_for_ios_only(self):
        lib = os.path.join(self.tmp, "libImSDK.a")
        with open(lib, "wb") as f:
            f.write(b"!<arch>\n")
        subprocess.run([sys.executable, TOOL, "build", "--lib", lib, "--lib", os.path.join(self.tmp, "libImSDK.so"),
                        "--out", self.tmp], check=True, capture_output=True)
        with open(self.path("Runtime/Plugins/iOS/libImSDK.a.meta")) as f:
            self.assertIn("iPhone: iOS\n    second:\n      enabled: 1", f.read())
        result = self.check()
        self.assertEqual(0, result.returncode, result.stderr)


class FirstPlay(unittest.TestCase):
    """The sample's defaults are what a local imsdk-server answers to out of the box."""

    def read(self, rel):
        with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
            return f.read()

    def test_sample_defaults_match_the_server_defaults(self):
        sample = self.read("unity/Samples~/UserStatusDemo/UserStatusDemo.cs")
        library_default = re.search(r'DEFAULT_SERVER_URL: &str = "([^"]+)"', self.read("src/config.rs")).group(1)
        listen = re.search(r'default_value = "(127\.0\.0\.1:\d+)"', self.read("server/src/main.rs")).group(1)
        self.assertEqual("ws://%s/ws" % listen, library_default)
        self.assertIn('serverUrl = "%s"' % library_default, sample)
        self.assertIn("sdkAppId = 1400000001", sample)
        self.assertIn("imsdk-server -- usersig --sdk-app-id 1400000001 --secret-key imsdk-dev-secret-key", sample)
        self.assertIn('"imsdk-dev-secret-key"', self.read("server/src/config.rs"))


if __name__ == "__main__":
    unittest.main()
