#!/usr/bin/env python3
"""Third-party notices for the native library, from Cargo.lock: every crate that can be linked into
libImSDK (normal dependencies of the `imsdk` package, on any target platform, proc-macros and what only
they use left out: they run in the compiler, not in the library), each with its licence expression and
the licence files it ships (LICENSE*, LICENCE*, COPYING*, NOTICE*, UNLICENSE) from the cargo registry.

  third_party_notices.py [--out FILE]    (default: stdout)

unity_package.py writes it into the package as `Third Party Notices.md` and checks it is complete.
"""
import argparse
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LICENSE_FILE = re.compile(r"^(LICEN[CS]E|COPYING|NOTICE|UNLICENSE)", re.I)
PACKAGE = "imsdk"


def metadata():
    out = subprocess.run(["cargo", "metadata", "--format-version", "1", "--locked"], cwd=ROOT,
                         check=True, stdout=subprocess.PIPE).stdout
    return json.loads(out)


def linked_crates(meta=None):
    """The third-party packages linked into the library: [(package metadata), ...] sorted by name, version."""
    meta = meta or metadata()
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    root = next(p["id"] for p in meta["packages"] if p["name"] == PACKAGE and p["source"] is None)
    seen, stack = set(), [root]
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        for dep in nodes[pid]["deps"]:
            if not any(k["kind"] is None for k in dep["dep_kinds"]):
                continue  # build or dev dependency only
            if any("proc-macro" in t["kind"] for t in packages[dep["pkg"]]["targets"]):
                continue
            stack.append(dep["pkg"])
    third = [packages[p] for p in seen if packages[p]["source"] is not None]  # path crates are ours
    return sorted(third, key=lambda p: (p["name"], p["version"]))


def license_files(package):
    base = os.path.dirname(package["manifest_path"])
    files = sorted(f for f in os.listdir(base) if LICENSE_FILE.match(f) and os.path.isfile(os.path.join(base, f)))
    if package.get("license_file"):
        extra = os.path.relpath(os.path.join(base, package["license_file"]), base)
        if extra not in files:
            files.append(extra)
    return [(f, open(os.path.join(base, f), encoding="utf-8", errors="replace").read()) for f in files]


def sysroot_licenses():
    """The standard licence texts the Rust toolchain ships (share/doc/rust/licenses/<SPDX>.txt), or {}."""
    try:
        root = subprocess.run(["rustc", "--print", "sysroot"], check=True, stdout=subprocess.PIPE,
                              universal_newlines=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return {}
    folder = os.path.join(root, "share", "doc", "rust", "licenses")
    if not os.path.isdir(folder):
        return {}
    return {f[:-4]: os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".txt")}


def standard_text(expression, texts):
    """(SPDX id, text) of the first licence of the expression the toolchain has a text for, or None."""
    for spdx in re.findall(r"[A-Za-z0-9.+-]+", expression or ""):
        if spdx in texts and spdx not in ("OR", "AND", "WITH"):
            with open(texts[spdx], encoding="utf-8", errors="replace") as f:
                return spdx, f.read()
    return None


def heading(package):
    """The line the checker looks for: one per crate and version."""
    return "## %s %s" % (package["name"], package["version"])


def fenced(name, text):
    return ["### %s" % name, "", "```", text.rstrip("\n").replace("```", "'''"), "```", ""]


def render(crates):
    texts = sysroot_licenses()
    lines = ["# Third Party Notices", "",
             "The native library (libImSDK / ImSDK) in this package links the following Rust crates. Each is",
             "listed with its licence expression and the licence texts it ships. Generated from Cargo.lock by",
             "scripts/third_party_notices.py: do not edit.", ""]
    for p in crates:
        lines += [heading(p), "", "- Licence: %s" % (p.get("license") or "see the files below"),
                  "- Source: %s" % (p.get("repository") or "https://crates.io/crates/" + p["name"]), ""]
        files = license_files(p)
        if not files:
            lines += ["(The crate ships no licence file; its licence expression above applies.)", ""]
            standard = standard_text(p.get("license"), texts)
            if standard:
                lines += fenced("%s (standard text)" % standard[0], standard[1])
        for name, text in files:
            lines += fenced(name, text)
    # Rust's standard library (std, core, alloc and what they use) is linked into every Rust binary.
    lines += ["## Rust standard library", "", "- Licence: MIT OR Apache-2.0 (some parts under other permissive",
              "  licences: see COPYRIGHT-library.html of the Rust toolchain)",
              "- Source: https://github.com/rust-lang/rust", ""]
    for spdx in ("MIT", "Apache-2.0"):
        if spdx in texts:
            with open(texts[spdx], encoding="utf-8", errors="replace") as f:
                lines += fenced("%s (standard text)" % spdx, f.read())
    return "\n".join(lines)


def main_to(path):
    with open(path, "w", encoding="utf-8") as f:
        f.write(render(linked_crates()))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.out:
        main_to(args.out)
    else:
        sys.stdout.write(render(linked_crates()))


if __name__ == "__main__":
    main()
