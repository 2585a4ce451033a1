#!/usr/bin/env bash
# Builds the Debian package of imsdk-server: target/debian/imsdk-server_<version>_<arch>.deb, and
# next to it (not in it) the binary's debug info, imsdk-server_<version>_<arch>.debug, which gdb
# finds through the stripped binary's .gnu_debuglink. Prints the .deb's path on the last line.
#
# Plain `dpkg-deb --build` of a staging directory rather than cargo-deb: installing cargo-deb means
# compiling it (minutes on CI, every fresh machine), while dpkg-deb is part of every Debian system;
# the package is small enough (a binary, a unit, a config, three maintainer scripts) to lay out here.
#
# Contents: /usr/bin/imsdk-server (stripped; the web console is embedded in it),
# /lib/systemd/system/imsdk-server.service, /etc/imsdk/imsdk.toml (conffile: `imsdk-server
# default-config`, commented defaults and a placeholder app), /usr/share/doc/imsdk-server/.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
# dpkg-shlibdeps (the Depends line) is in dpkg-dev; strip and objcopy in binutils.
for p in dpkg-dev binutils; do dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p"); done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "== installing ${need_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
echo "== cargo build --release -p imsdk-server" >&2
cargo build --release -p imsdk-server --bin imsdk-server >&2
built="$target_dir/release/imsdk-server"

version="$("$built" --version | sed -n '1s/^imsdk-server //p')"
# Package what this checkout built: a target directory shared with another checkout of the same
# workspace can hold the other's build (cargo names the artifacts alike).
head="$(git rev-parse --short=12 HEAD 2>/dev/null || true)"
built_commit="$("$built" --version | sed -n 's/^commit: *//p')"
if [ -n "$head" ] && [ "$built_commit" != "$head" ]; then
  echo "package-deb: $built was built from commit '$built_commit', this checkout is at $head" >&2
  exit 1
fi
arch="$(dpkg --print-architecture)"
out="$target_dir/debian"
name="imsdk-server_${version}_${arch}"
stage="$out/$name"
rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/usr/bin" "$stage/lib/systemd/system" "$stage/etc/imsdk" \
  "$stage/usr/share/doc/imsdk-server"

# Stripped binary; its debug info kept outside the package, linked by name and checksum.
cp "$built" "$stage/usr/bin/imsdk-server"
objcopy --only-keep-debug "$stage/usr/bin/imsdk-server" "$out/$name.debug"
strip --strip-unneeded "$stage/usr/bin/imsdk-server"
(cd "$out" && objcopy --add-gnu-debuglink="$name.debug" "$stage/usr/bin/imsdk-server")
chmod 0644 "$out/$name.debug"

install -m 0644 packaging/deb/imsdk-server.service "$stage/lib/systemd/system/"
"$built" default-config >"$stage/etc/imsdk/imsdk.toml"
# The template must be a config the server accepts as it is.
"$built" check-config "$stage/etc/imsdk/imsdk.toml" >/dev/null 2>&1 || {
  echo "package-deb: the generated imsdk.toml is refused by check-config" >&2
  exit 1
}
chmod 0644 "$stage/etc/imsdk/imsdk.toml" # 0640 root:imsdk once the user exists (postinst)
install -m 0644 docs/OPERATIONS.md "$stage/usr/share/doc/imsdk-server/"
cat >"$stage/usr/share/doc/imsdk-server/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: imsdk-server

Files: *
License: MIT
EOF
install -m 0755 packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm "$stage/DEBIAN/"
echo /etc/imsdk/imsdk.toml >"$stage/DEBIAN/conffiles"

# Shared-library dependencies of the binary (libc6, libgcc-s1) with their minimum versions.
shlib_dir="$(mktemp -d)"
trap 'rm -rf "$shlib_dir"' EXIT
mkdir -p "$shlib_dir/debian"
printf 'Source: imsdk-server\n\nPackage: imsdk-server\nArchitecture: any\n' >"$shlib_dir/debian/control"
depends="$(cd "$shlib_dir" && dpkg-shlibdeps -O "$stage/usr/bin/imsdk-server" 2>/dev/null |
  sed -n 's/^shlibs:Depends=//p')"

cat >"$stage/DEBIAN/control" <<EOF
Package: imsdk-server
Version: $version
Architecture: $arch
Maintainer: imsdk maintainers <maintainers@users.noreply.r-seed-039cb70a.example>
Section: net
Priority: optional
Depends: ${depends:+$depends, }passwd
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Description: user-status backend of the ImSDK native library
 WebSocket sessions for the ImSDK library (Tencent Chat's C API for user
 status), Tencent's admin REST API, a web console, Prometheus metrics.
 Runs as the systemd service imsdk-server (user imsdk, data in /var/lib/imsdk);
 edit /etc/imsdk/imsdk.toml (placeholder app) before enabling it.
EOF

dpkg-deb --build --root-owner-group "$stage" "$out/$name.deb" >&2
rm -rf "$stage"
echo "$(du -h "$out/$name.deb" | cut -f1) package, $(du -h "$out/$name.debug" | cut -f1) debug info" >&2
echo "$out/$name.deb"
