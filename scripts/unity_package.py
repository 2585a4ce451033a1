#!/usr/bin/env python3
"""Assembles the Unity package from unity/ (manifest, asmdef, samples, docs), csharp-bindings/ (the C#
sources, copied so the two never drift) and built native libraries; and checks an assembled package.

  build --lib FILE[:PLATFORM] ... [--out DIR]   (PLATFORM: one of PLATFORMS below; guessed from the file name
                                                 when omitted: .dll Windows, .dylib macOS, .a iOS, else Linux)
  check PACKAGE_DIR [--bindings csharp-bindings]

The build also writes `Third Party Notices.md` (scripts/third_party_notices.py, from Cargo.lock); the check
fails when a crate linked into the library is missing from it, or a shared library is over its size budget.

Metas of copied files get GUIDs derived from their path in the package, so they are stable across builds.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import sys

import third_party_notices

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNITY_SRC = os.path.join(ROOT, "unity")
BINDINGS = os.path.join(ROOT, "csharp-bindings")
RUNTIME_SCRIPTS = "Runtime"

# Folder in the package, Unity's Standalone/Android target name, Editor OS (None: not for the Editor), CPU.
PLATFORMS = {
    "linux-x86_64": ("Runtime/Plugins/Linux/x86_64", ("Standalone", "Linux64"), "Linux", "x86_64"),
    "windows-x86_64": ("Runtime/Plugins/Windows/x86_64", ("Standalone", "Win64"), "Windows", "x86_64"),
    "macos": ("Runtime/Plugins/macOS", ("Standalone", "OSXUniversal"), "OSX", "AnyCPU"),
    "android-arm64": ("Runtime/Plugins/Android/arm64-v8a", ("Android", "Android"), None, "ARM64"),
    "android-armv7": ("Runtime/Plugins/Android/armeabi-v7a", ("Android", "Android"), None, "ARMv7"),
    "android-x86_64": ("Runtime/Plugins/Android/x86_64", ("Android", "Android"), None, "X86_64"),
    # libImSDK.a (staticlib, built on a Mac: docs/PLATFORMS.md), linked into the Xcode project; C# binds
    # it as "__Internal".
    "ios": ("Runtime/Plugins/iOS", ("iPhone", "iOS"), None, "AnyCPU"),
}
# Size budget of one shared library (stripped release build): per platform, bytes. The macOS one is
# universal (two architectures). Static libraries (.a) are not shipped in the player as they are.
MAX_PLUGIN_BYTES = {"macos": 8 << 20}
DEFAULT_MAX_PLUGIN_BYTES = 4 << 20
NOTICES = "Third Party Notices.md"
TARGETS = list(dict.fromkeys(p[1] for p in PLATFORMS.values()))
# Precompiled assemblies an asmdef may reference, and the package dependency that provides each.
PRECOMPILED = {"Newtonsoft.Json.dll": "com.unity.nuget.newtonsoft-json"}
BINARY_EXT = (".so", ".dll", ".dylib", ".bundle", ".a")


def read(path, binary=False):
    with open(path, "rb" if binary else "r", **({} if binary else {"encoding": "utf-8"})) as f:
        return f.read()


def guid_for(package, rel):
    return hashlib.md5(("%s/%s" % (package, rel)).encode("utf-8")).hexdigest()


def meta_text(guid, importer_body):
    return "fileFormatVersion: 2\nguid: %s\n%s" % (guid, importer_body)


FOLDER = "folderAsset: yes\nDefaultImporter:\n  externalObjects: {}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n"
SCRIPT = ("MonoImporter:\n  externalObjects: {}\n  serializedVersion: 2\n  defaultReferences: []\n  executionOrder: 0\n"
          "  icon: {instanceID: 0}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n")
ASMDEF = "AssemblyDefinitionImporter:\n  externalObjects: {}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n"
MANIFEST = "PackageManifestImporter:\n  externalObjects: {}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n"
TEXT = "TextScriptImporter:\n  externalObjects: {}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n"


def plugin_importer(platform):
    """A PluginImporter enabling the binary for exactly its platform (and the Editor on the same OS)."""
    _, target, editor_os, cpu = PLATFORMS[platform]
    lines = ["PluginImporter:", "  externalObjects: {}", "  serializedVersion: 2", "  iconMap: {}",
             "  executionOrder: {}", "  defineConstraints: []", "  isPreloaded: 0", "  isOverridable: 1",
             "  isExplicitlyReferenced: 0", "  validateReferences: 1", "  platformData:",
             "  - first:", "      Any: ", "    second:", "      enabled: 0", "      settings: {}",
             "  - first:", "      Editor: Editor", "    second:", "      enabled: %d" % (1 if editor_os else 0),
             "      settings:", "        CPU: %s" % (cpu if editor_os else "None"),
             "        DefaultValueInitialized: true", "        OS: %s" % (editor_os or "AnyOS")]
    for group, name in TARGETS:
        on = (group, name) == target
        lines += ["  - first:", "      %s: %s" % (group, name), "    second:", "      enabled: %d" % on,
                  "      settings:", "        CPU: %s" % (cpu if on else "None")]
    lines += ["  userData: ", "  assetBundleName: ", "  assetBundleVariant: "]
    return "\n".join(lines) + "\n"


def importer_for(path, plugin_platforms):
    if os.path.isdir(path):
        return FOLDER
    if path in plugin_platforms:
        return plugin_importer(plugin_platforms[path])
    name = os.path.basename(path)
    if name == "package.json":
        return MANIFEST
    ext = os.path.splitext(name)[1]
    return {".cs": SCRIPT, ".asmdef": ASMDEF, ".md": TEXT, ".json": TEXT, ".xml": TEXT, ".txt": TEXT}.get(ext, FOLDER.split("\n", 1)[1])


def hidden(rel):
    """Unity imports nothing in dot-folders or folders ending with '~' (Samples~, Documentation~)."""
    return any(part.startswith(".") or part.endswith("~") for part in rel.split(os.sep))


def guess_platform(lib):
    if lib.endswith(".dll"):
        return "windows-x86_64"
    if lib.endswith(".dylib"):
        return "macos"
    if lib.endswith(".a"):
        return "ios"
    return "linux-x86_64"


def build(args):
    manifest = json.loads(read(os.path.join(UNITY_SRC, "package.json")))
    package = manifest["name"]
    out = os.path.join(os.path.abspath(args.out), package)
    if os.path.exists(out):
        shutil.rmtree(out)
    shutil.copytree(UNITY_SRC, out, ignore=shutil.ignore_patterns("build"))
    for dirpath, _, files in os.walk(BINDINGS):
        for f in files:
            if f.endswith(".cs"):
                rel = os.path.relpath(os.path.join(dirpath, f), BINDINGS)
                dest = os.path.join(out, RUNTIME_SCRIPTS, rel)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                shutil.copy2(os.path.join(dirpath, f), dest)
    third_party_notices.main_to(os.path.join(out, NOTICES))
    plugin_platforms = {}
    for spec in args.lib:
        lib, _, platform = spec.partition(":")
        platform = platform or guess_platform(lib)
        if platform not in PLATFORMS:
            sys.exit("unknown platform %r (one of %s)" % (platform, ", ".join(PLATFORMS)))
        if not os.path.isfile(lib):
            sys.exit("no library at %s (build it first: cargo build -p imsdk)" % lib)
        dest = os.path.join(out, PLATFORMS[platform][0], os.path.basename(lib))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copy2(lib, dest)
        plugin_platforms[dest] = platform
    for dirpath, dirs, files in os.walk(out):
        for name in dirs + files:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, out)
            if name.endswith(".meta") or hidden(rel) or os.path.exists(path + ".meta"):
                continue
            with open(path + ".meta", "w", encoding="utf-8") as meta:
                meta.write(meta_text(guid_for(package, rel), importer_for(path, plugin_platforms)))
    print("assembled %s (%d plugin binaries)" % (out, len(plugin_platforms)))


class Checker:
    def __init__(self, root):
        self.root = root
        self.errors = []

    def fail(self, message):
        self.errors.append(message)

    def load_json(self, path):
        try:
            with open(path, encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError) as e:
            self.fail("%s: invalid JSON: %s" % (os.path.relpath(path, self.root), e))
            return None

    def manifest(self):
        m = self.load_json(os.path.join(self.root, "package.json"))
        if m is None:
            return {}
        if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+){2,}", m.get("name", "")):
            self.fail("package.json: name %r is not lowercase reverse-DNS" % m.get("name"))
        if not re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", m.get("version", "")):
            self.fail("package.json: version %r is not semver" % m.get("version"))
        if not re.fullmatch(r"\d{4}\.\d+", m.get("unity", "")):
            self.fail("package.json: unity %r is not a minimum Unity version like 2021.3" % m.get("unity"))
        for key in ("displayName", "description", "license"):
            if not m.get(key):
                self.fail("package.json: %s missing" % key)
        if "com.unity.nuget.newtonsoft-json" not in m.get("dependencies", {}):
            self.fail("package.json: no dependency on com.unity.nuget.newtonsoft-json")
        for sample in m.get("samples", []):
            if not os.path.isdir(os.path.join(self.root, sample.get("path", ""))):
                self.fail("package.json: sample path %r missing" % sample.get("path"))
        return m

    def metas(self):
        guids = {}
        for dirpath, dirs, files in os.walk(self.root):
            for name in dirs + files:
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, self.root)
                if hidden(rel):
                    continue
                if name.endswith(".meta"):
                    if not os.path.exists(path[:-5]):
                        self.fail("%s: .meta without its asset" % rel)
                        continue
                    m = re.search(r"^guid: ([0-9a-f]{32})$", read(path), re.M)
                    if not m:
                        self.fail("%s: no 32-hex-digit guid" % rel)
                    elif m.group(1) in guids:
                        self.fail("%s: guid %s also used by %s" % (rel, m.group(1), guids[m.group(1)]))
                    else:
                        guids[m.group(1)] = rel
                elif not os.path.exists(path + ".meta"):
                    self.fail("%s: no .meta" % rel)
        return guids

    def asmdefs(self, manifest, guids):
        found = {}
        for dirpath, _, files in os.walk(self.root):
            for f in files:
                if f.endswith((".json", ".asmdef", ".asmref")) and os.path.join(dirpath, f) != os.path.join(self.root, "package.json"):
                    data = self.load_json(os.path.join(dirpath, f))
                    if f.endswith(".asmdef") and data is not None:
                        found[os.path.relpath(os.path.join(dirpath, f), self.root)] = data
        names = {d.get("name") for d in found.values()}
        deps = manifest.get("dependencies", {})
        for rel, data in found.items():
            for ref in data.get("references", []):
                ok = ref in names if not ref.startswith("GUID:") else guids.get(ref[5:], "").endswith(".asmdef")
                if not ok:
                    self.fail("%s: reference %r is no assembly of this package" % (rel, ref))
            for dll in data.get("precompiledReferences", []):
                if PRECOMPILED.get(dll) not in deps:
                    self.fail("%s: precompiled %r comes from no dependency in package.json" % (rel, dll))
        if not any(rel.startswith("Runtime" + os.sep) for rel in found):
            self.fail("no asmdef in Runtime/")

    def plugins(self):
        count = 0
        for platform, (folder, target, _, _) in PLATFORMS.items():
            base = os.path.join(self.root, folder)
            if not os.path.isdir(base):
                continue
            for f in os.listdir(base):
                if not f.endswith(BINARY_EXT):
                    continue
                count += 1
                meta = os.path.join(base, f + ".meta")
                text = read(meta) if os.path.exists(meta) else ""
                enabled = re.findall(r"first:\n\s+(\w+): (\w+)\n\s+second:\n\s+enabled: 1", text)
                players = [e for e in enabled if e[0] != "Editor"]
                if players != [target]:
                    self.fail("%s/%s: enables %s, expected exactly %s" % (folder, f, players, target))
                size = os.path.getsize(os.path.join(base, f))
                budget = MAX_PLUGIN_BYTES.get(platform, DEFAULT_MAX_PLUGIN_BYTES)
                if not f.endswith(".a") and size > budget:
                    self.fail("%s/%s: %d bytes, over the %d-byte budget (ship the stripped release build: "
                              "scripts/build-dist-lib.sh)" % (folder, f, size, budget))
        if count == 0:
            self.fail("no native library under Runtime/Plugins")

    def notices(self):
        """Every third-party crate linked into the library has its section, with a licence, in the notices."""
        path = os.path.join(self.root, NOTICES)
        if not os.path.isfile(path):
            self.fail("%s missing (scripts/third_party_notices.py)" % NOTICES)
            return
        text = read(path)
        sections = {}
        for block in re.split(r"^(?=## )", text, flags=re.M)[1:]:
            head, _, body = block.partition("\n")
            sections[head.strip()] = body
        if "## Rust standard library" not in sections:
            self.fail("%s: no section for the Rust standard library" % NOTICES)
        for crate in third_party_notices.linked_crates():
            body = sections.get(third_party_notices.heading(crate))
            if body is None:
                self.fail("%s: no section for %s %s" % (NOTICES, crate["name"], crate["version"]))
            elif "- Licence: " not in body:
                self.fail("%s: %s %s has no licence" % (NOTICES, crate["name"], crate["version"]))

    def bindings_match(self, bindings):
        for dirpath, _, files in os.walk(bindings):
            for f in files:
                if not f.endswith(".cs"):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, f), bindings)
                copy = os.path.join(self.root, RUNTIME_SCRIPTS, rel)
                if not os.path.exists(copy) or read(copy, True) != read(os.path.join(dirpath, f), True):
                    self.fail("Runtime/%s differs from csharp-bindings/%s (rebuild the package)" % (rel, rel))


def check(args):
    c = Checker(os.path.abspath(args.package))
    manifest = c.manifest()
    guids = c.metas()
    c.asmdefs(manifest, guids)
    c.plugins()
    c.notices()
    c.bindings_match(args.bindings)
    for e in c.errors:
        print("package check: " + e, file=sys.stderr)
    if c.errors:
        sys.exit(1)
    print("package check: %s complete (%d assets with metas)" % (args.package, len(guids)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--lib", action="append", default=[], help="FILE[:PLATFORM], repeatable")
    b.add_argument("--out", default=os.path.join(UNITY_SRC, "build"))
    k = sub.add_parser("check")
    k.add_argument("package")
    k.add_argument("--bindings", default=BINDINGS)
    args = parser.parse_args()
    build(args) if args.command == "build" else check(args)


if __name__ == "__main__":
    main()
