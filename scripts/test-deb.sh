#!/usr/bin/env bash
# The Debian package, end to end on this machine (root; called by scripts/test.sh): build it, install
# it with dpkg -i, verify the unit with systemd-analyze (when there), run the unit's ExecStart line
# as the unit's user against the installed config, as systemd would (state directory, environment,
# working directory, no new privileges), check /healthz, log three users in through the native
# library (imsdk-demo against the installed server), call the admin REST API with a UserSig from
# the installed `imsdk-server usersig`, stop it with SIGTERM (exit 0), purge the package and check
# that nothing is left but the data directory. systemd itself does not run in a container, hence
# the manual start.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "test-deb: FAILED: $*" >&2; exit 1; }

command -v curl >/dev/null 2>&1 || {
  echo "== installing curl"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends curl ca-certificates >/dev/null
}

echo "== package"
deb="$(bash scripts/package-deb.sh | tail -n1)"
echo "   $deb"
# The library side of the login test: the demo, as a client of an external server.
cargo build -q -p imsdk-demo
demo="${CARGO_TARGET_DIR:-$PWD/target}/debug/imsdk-demo"

if dpkg -s imsdk-server >/dev/null 2>&1; then
  echo "== purging an imsdk-server installed before"
  dpkg --purge imsdk-server >/dev/null
fi
data_dir=/var/lib/imsdk
data_dir_existed=no
[ -e "$data_dir" ] && data_dir_existed=yes

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== dpkg -i"
dpkg -i "$deb" >/dev/null
installed="$(dpkg -L imsdk-server)"
getent passwd imsdk >/dev/null || fail "postinst did not create the user imsdk"
[ "$(stat -c '%U:%G %a' /etc/imsdk/imsdk.toml)" = "root:imsdk 640" ] ||
  fail "/etc/imsdk/imsdk.toml is $(stat -c '%U:%G %a' /etc/imsdk/imsdk.toml), not root:imsdk 640"
dpkg-query -W -f='${Conffiles}\n' imsdk-server | grep -q '^ /etc/imsdk/imsdk.toml ' ||
  fail "/etc/imsdk/imsdk.toml is not a conffile"
/usr/bin/imsdk-server check-config /etc/imsdk/imsdk.toml >/dev/null 2>&1 ||
  fail "check-config refuses the installed config"
if readelf -S /usr/bin/imsdk-server | grep -q '\.debug_info'; then fail "the binary is not stripped"; fi
echo "   $(du -h /usr/bin/imsdk-server | cut -f1) stripped binary, user $(id imsdk)"

unit=/lib/systemd/system/imsdk-server.service
if command -v systemd-analyze >/dev/null 2>&1; then
  echo "== systemd-analyze verify"
  # Unknown keys are only warnings there: any output fails the test.
  verify="$(systemd-analyze verify "$unit" 2>&1)" || fail "systemd-analyze verify: $verify"
  [ -z "$verify" ] || fail "systemd-analyze verify: $verify"
  echo "   clean"
else
  echo "== systemd-analyze not available: the unit is not verified"
fi

echo "== the unit's ExecStart as user imsdk"
exec_start="$(sed -n 's/^ExecStart=//p' "$unit")"
unit_env="$(sed -n 's/^Environment=//p' "$unit")"
user="$(sed -n 's/^User=//p' "$unit")"
[ "$(sed -n 's/^StateDirectory=//p' "$unit")" = imsdk ] || fail "StateDirectory is not imsdk"
# What systemd does for StateDirectory= before the start.
install -d -o "$user" -g "$user" -m 0750 "$data_dir"
mkfifo "$work/stdout"
# exec all the way down (env, setpriv): $pid is the server's. Word splitting of the unit's lines
# is meant (no quoting in them). A free port instead of the default one.
(
  cd "$data_dir"
  # shellcheck disable=SC2086
  exec env $unit_env IMSDK_LISTEN=127.0.0.1:0 \
    setpriv --reuid="$user" --regid="$user" --init-groups --no-new-privs -- \
    $exec_start >"$work/stdout" 2>"$work/stderr"
) &
pid=$!
exec 3<"$work/stdout"
addr=""
printed=""
while IFS= read -r -t 60 line <&3; do
  printed+="$line"$'\n'
  case "$line" in
    "imsdk-server listening on "*) addr="${line#imsdk-server listening on }"; break ;;
  esac
done
[ -n "$addr" ] || fail "no listening line; stdout: $printed stderr: $(cat "$work/stderr")"
cat <&3 >/dev/null &
printf '%s' "$printed" | sed 's/^/   | /'
grep -q "^data directory: $data_dir\$" <<<"$printed" || fail "no 'data directory: $data_dir' line"
[ "$(stat -c %U "/proc/$pid")" = "$user" ] || fail "the server does not run as $user"
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$pid/status" || fail "no_new_privs is not set"

[ "$(curl -fsS "http://$addr/healthz")" = ok ] || fail "/healthz"
curl -fsS "http://$addr/metrics" | grep -q '^imsdk_build_info{' || fail "no imsdk_build_info in /metrics"

app="$(sed -n 's/^sdk_app_id = //p' /etc/imsdk/imsdk.toml)"
key="$(sed -n 's/^secret_key = "\(.*\)"$/\1/p' /etc/imsdk/imsdk.toml)"
echo "== three users log in through the library (imsdk-demo on ws://$addr/ws, app $app)"
IMSDK_SERVER_URL="ws://$addr/ws" IMSDK_SECRET_KEY="$key" timeout 120 "$demo" >"$work/demo.out" 2>&1 ||
  { cat "$work/demo.out"; fail "the demo against the installed server"; }
grep -c "login → ok" "$work/demo.out" | grep -qx 3 || { cat "$work/demo.out"; fail "three logins"; }
echo "   3 logins, the story to the end ($(grep -c '→ ok' "$work/demo.out") calls ok)"

echo "== admin REST with a UserSig from the installed 'imsdk-server usersig'"
sig="$(/usr/bin/imsdk-server usersig --sdk-app-id "$app" --secret-key "$key" --user-id administrator)"
reply="$(curl -fsS -X POST -H 'Content-Type: application/json' -d '{"To_Account":["alice"]}' \
  "http://$addr/v4/openim/query_online_status?sdkappid=$app&identifier=administrator&usersig=$sig&random=1&contenttype=json")"
grep -q '"ErrorCode":0' <<<"$reply" || fail "query_online_status: $reply"
echo "   $reply"

echo "== SIGTERM"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=""
[ "$status" = 0 ] || fail "exit status $status after SIGTERM; stderr: $(cat "$work/stderr")"
exec 3<&-
echo "   exit 0"

echo "== dpkg --purge"
dpkg --purge imsdk-server >/dev/null
left=()
while IFS= read -r path; do
  # Directories shared with other packages (/usr/bin, /etc ...) stay; nothing of ours may.
  [ "$path" = /. ] && continue
  if [ -e "$path" ] && ! dpkg -S "$path" >/dev/null 2>&1; then left+=("$path"); fi
done <<<"$installed"
[ -e /etc/imsdk ] && left+=(/etc/imsdk)
[ -e /etc/systemd/system/multi-user.target.wants/imsdk-server.service ] && left+=(enable link)
getent passwd imsdk >/dev/null && left+=("user imsdk")
getent group imsdk >/dev/null && left+=("group imsdk")
dpkg-statoverride --list /etc/imsdk/imsdk.toml >/dev/null && left+=("statoverride")
[ ${#left[@]} -eq 0 ] || fail "left after purge: ${left[*]}"
[ -d "$data_dir" ] || fail "the data directory $data_dir was removed"
echo "   nothing left but $data_dir"
if [ "$data_dir_existed" = no ]; then rm -rf "$data_dir"; fi
echo "test-deb: ok"
