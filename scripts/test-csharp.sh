#!/usr/bin/env bash
# The C# suite: builds the native library and imsdk-server, compiles the bindings (csharp-bindings/),
# the peer program and the NUnit tests (tests/csharp/) with mcs, and runs them with nunit-console on
# Mono against a real imsdk-server on 127.0.0.1. Then builds the shipped library (scripts/build-dist-lib.sh),
# assembles the Unity package with it and checks it.
# Installs the Debian packages it needs when they are missing. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
for p in mono-mcs mono-runtime nunit-console libnunit-cil-dev libnewtonsoft-json-cil-dev binutils; do
  dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "== installing ${need_pkgs[*]}"
  apt-get update -qq
  # With recommends: the Mono setup this suite is tested on (a leaner one is untested).
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

echo "== cargo build -p imsdk -p imsdk-server"
cargo build -q -p imsdk -p imsdk-server
target_dir="${CARGO_TARGET_DIR:-$(pwd)/target}/debug"

build=tests/csharp/build
mkdir -p "$build"
newtonsoft=/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll
nunit=/usr/lib/cli/nunit.framework-2.6.3/nunit.framework.dll
cp "$newtonsoft" "$nunit" "$build/"

echo "== mcs: bindings, peer, tests"
bindings_src=$(find csharp-bindings -name '*.cs' | sort)
# shellcheck disable=SC2086
mcs -nologo -warnaserror+ -debug -target:library -out:"$build/com.tencent.imsdk.unity.dll" \
  -r:"$newtonsoft" $bindings_src
mcs -nologo -warnaserror+ -debug -target:exe -out:"$build/Peer.exe" \
  -r:"$build/com.tencent.imsdk.unity.dll" -r:"$newtonsoft" \
  tests/csharp/Peer/Peer.cs tests/csharp/Support/MainLoop.cs tests/csharp/Support/Hex.cs
test_src=$(find tests/csharp -name '*.cs' -not -path 'tests/csharp/build/*' -not -path 'tests/csharp/Peer/*' \
  -not -path 'tests/csharp/UnityStub/*' -not -path 'tests/csharp/EditorStub/*' -not -path 'tests/csharp/WebGL/*' | sort)
# shellcheck disable=SC2086
mcs -nologo -warnaserror+ -debug -target:library -out:"$build/ImSDK.Tests.dll" \
  -r:"$build/com.tencent.imsdk.unity.dll" -r:"$newtonsoft" -r:"$nunit" $test_src

echo "== mcs: the package's Runtime and sample as Unity compiles them (UnityEngine stub)"
unity_build="$build/unity-compile"
mkdir -p "$unity_build"
mcs -nologo -warnaserror+ -target:library -out:"$unity_build/UnityEngine.dll" tests/csharp/UnityStub/UnityEngine.cs
# shellcheck disable=SC2086
mcs -nologo -warnaserror+ -target:library -define:UNITY_5_3_OR_NEWER -out:"$unity_build/com.tencent.imsdk.unity.dll" \
  -r:"$newtonsoft" -r:"$unity_build/UnityEngine.dll" $bindings_src
mcs -nologo -warnaserror+ -target:library -define:UNITY_5_3_OR_NEWER -out:"$unity_build/com.imsdk.userstatus.samples.dll" \
  -r:"$unity_build/com.tencent.imsdk.unity.dll" -r:"$unity_build/UnityEngine.dll" -r:System.Core.dll \
  unity/Samples~/UserStatusDemo/*.cs
# The Editor assembly (IL2CPP link.xml processor) against a UnityEditor stand-in.
mcs -nologo -warnaserror+ -target:library -out:"$unity_build/UnityEditor.dll" tests/csharp/EditorStub/UnityEditor.cs
mcs -nologo -warnaserror+ -target:library -define:UNITY_5_3_OR_NEWER -define:UNITY_EDITOR -out:"$unity_build/com.tencent.imsdk.unity.editor.dll" \
  -r:"$unity_build/com.tencent.imsdk.unity.dll" -r:"$unity_build/UnityEditor.dll" -r:"$unity_build/UnityEngine.dll" \
  unity/Editor/*.cs
mcs -nologo -warnaserror+ -target:exe -out:"$unity_build/RunLinkXmlProcessor.exe" \
  -r:"$unity_build/com.tencent.imsdk.unity.editor.dll" -r:"$unity_build/UnityEditor.dll" \
  tests/csharp/EditorStub/RunLinkXmlProcessor.cs
cp "$newtonsoft" "$unity_build/"
(cd "$unity_build" && mono RunLinkXmlProcessor.exe "$OLDPWD/unity/Runtime/link.xml")

echo "== WebGL: the bindings as a WebGL player compiles them refuse at Init (PlatformNotSupportedException)"
webgl_build="$build/webgl"
mkdir -p "$webgl_build"
cp "$newtonsoft" "$webgl_build/"
# shellcheck disable=SC2086
mcs -nologo -warnaserror+ -target:library -define:UNITY_WEBGL -out:"$webgl_build/com.tencent.imsdk.unity.dll" \
  -r:"$newtonsoft" $bindings_src
mcs -nologo -warnaserror+ -target:exe -out:"$webgl_build/WebGLInit.exe" -r:"$webgl_build/com.tencent.imsdk.unity.dll" \
  tests/csharp/WebGL/WebGLInit.cs
mono "$webgl_build/WebGLInit.exe"

echo "== nunit-console (Mono) against imsdk-server"
export IMSDK_TARGET_DIR="$target_dir"
export LD_LIBRARY_PATH="$target_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export MONO_ENV_OPTIONS="--debug"
run_filter=()
if [ -n "${CS_TEST:-}" ]; then run_filter=(-run="$CS_TEST"); fi
timeout 240 nunit-console -nologo -labels -noshadow -domain=None "${run_filter[@]}" \
  -xml="$build/TestResult.xml" "$build/ImSDK.Tests.dll"

echo "== Unity package: the shipped (stripped, symbols split off) library, assembled and checked"
# The checker holds it to its size budget and the notices to Cargo.lock (scripts/unity_package.py).
bash scripts/build-dist-lib.sh
bash scripts/build-unity-package.sh --lib "${CARGO_TARGET_DIR:-$(pwd)/target}/dist/ship/libImSDK.so" --out unity/build
python3 scripts/unity_package.py check unity/build/com.imsdk.userstatus
python3 -m unittest discover -s tests/csharp/PackageCheck
