#!/usr/bin/env bash
# Federa's OpenID Provider against a certified relying-party library: openid-client (npm,
# OpenID Certified RP), version pinned by package-lock.json here.
#
# Installs what is missing (Debian's Node.js and npm, the npm packages of package-lock.json),
# builds the server (`cargo build -p federa-server`) unless FEDERA_BIN names a binary already,
# starts `federa serve` on 127.0.0.1 (a port the OS picks) with a fresh temporary data directory,
# runs interop.mjs against the default org (issuer http://127.0.0.1:PORT) and ends with one line:
# `oidc-interop: N passed, M failed`. Non-interactive; works from a fresh clone with CI=true.
#
# Output: the server's log in target/oidc-interop/federa.log, per-check results in
# target/oidc-interop/results.json, the freshly emitted tokens in target/oidc-interop/test_vectors/.
# OIDC_INTEROP_UPDATE_VECTORS=1 also rewrites tests/interop/oidc/test_vectors/ (see its README).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"

started=$(date +%s)
out="${CARGO_TARGET_DIR:-$root/target}/oidc-interop"
mkdir -p "$out"
rm -f "$out/results.json"

summary_printed=0
summary() {
  [ "$summary_printed" -eq 0 ] || return 0
  summary_printed=1
  echo "oidc-interop: $1 passed, $2 failed${3:-}"
}

server_pid=""
data_dir=""
cleanup() {
  local rc=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    # SIGTERM drains in-flight requests; give it a bounded moment, then SIGKILL.
    for _ in $(seq 1 100); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$data_dir" ]; then rm -rf "$data_dir"; fi
  if [ "$rc" -ne 0 ]; then summary 0 1 " (setup failed, exit $rc; see above)"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "$@"
}
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "oidc-interop: installing Node.js"
  apt_install nodejs npm
fi

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f "$here/node_modules/.package-lock.json" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  (cd "$here" && npm ci --no-audit --no-fund)
fi

if [ -z "${FEDERA_BIN:-}" ]; then
  cargo build -p federa-server
  FEDERA_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/federa"
fi
case "$FEDERA_BIN" in /*) ;; *) FEDERA_BIN="$root/$FEDERA_BIN" ;; esac
[ -x "$FEDERA_BIN" ] || { echo "oidc-interop: no federa binary at $FEDERA_BIN" >&2; exit 1; }
echo "oidc-interop: FEDERA_BIN=$FEDERA_BIN, node $(node --version), openid-client $(cd "$here" && node -p 'require("./node_modules/openid-client/package.json").version')"
built=$(date +%s)

# The server reads FEDERA_* as its own configuration and rejects unknown keys (FEDERA_BIN
# among them), so it gets none of ours: only the loopback allowance for outbound fetches.
unset_federa=()
while IFS= read -r name; do unset_federa+=(-u "$name"); done < <(env | sed -n 's/^\(FEDERA_[A-Za-z0-9_]*\)=.*/\1/p')

data_dir="$(mktemp -d "${TMPDIR:-/tmp}/federa-oidc-interop.XXXXXX")"  # 0700: the token lands here
log="$out/federa.log"
(
  cd "$data_dir"
  exec env "${unset_federa[@]}" NO_COLOR=1 FEDERA_OUTBOUND__ALLOW_LOOPBACK=true \
    "$FEDERA_BIN" serve --listen 127.0.0.1:0 --data-dir "$data_dir/data" >"$data_dir/stdout" 2>"$log"
) &
server_pid=$!

# `serve` on an empty database prints the default org's admin token once on stdout and its
# address on stderr.
token=""
port=""
for _ in $(seq 1 300); do
  token=$(sed -n 's/^Admin API token (shown only this once; keep it): \([^ ]*\)$/\1/p' "$data_dir/stdout" 2>/dev/null | head -n1)
  port=$(sed -n 's#^listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$log" 2>/dev/null | head -n1)
  [ -n "$token" ] && [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { echo "oidc-interop: federa exited before it was ready:" >&2; tail -n 30 "$log" >&2; exit 1; }
  sleep 0.1
done
if [ -z "$token" ] || [ -z "$port" ]; then
  echo "oidc-interop: federa printed no token and address within 30 s:" >&2
  tail -n 30 "$log" >&2
  exit 1
fi
# What `serve` printed on stdout, less the token, is kept beside the log.
sed -e 's/\(keep it): \).*/\1<redacted>/' -e 's/SSWS [^ '"'"']*/SSWS <redacted>/g' "$data_dir/stdout" >"$out/federa.stdout.log"
echo "oidc-interop: federa pid $server_pid listening on 127.0.0.1:$port (log: $log)"

set +e
OIDC_INTEROP_ISSUER="http://127.0.0.1:$port" \
OIDC_INTEROP_ADMIN_TOKEN="$token" \
OIDC_INTEROP_OUT="$out" \
  node "$here/interop.mjs"
rc=$?
set -e
finished=$(date +%s)

passed=""
failed=""
if [ -f "$out/results.json" ]; then
  passed=$(node -p "require('$out/results.json').passed" 2>/dev/null || true)
  failed=$(node -p "require('$out/results.json').failed" 2>/dev/null || true)
fi
echo "oidc-interop: setup and build $((built - started)) s, checks $((finished - built)) s"
if [ -z "$passed" ] || [ -z "$failed" ]; then
  summary "${passed:-0}" "$(( ${failed:-0} + 1 ))" " (interop.mjs exited with $rc before writing its results)"
  exit 1
fi
# No checks run, or a crash after the results were written, is a failure too.
if [ "$rc" -eq 0 ] && { [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; }; then rc=1; fi
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  summary "$passed" 1 " (interop.mjs exited with $rc)"
else
  summary "$passed" "$failed"
fi
exit "$rc"
