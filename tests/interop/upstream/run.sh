#!/usr/bin/env bash
# Federa's SP role (broker) against third-party upstream IdPs (issue 6 item 4): the OIDC `amr`
# carrier with npm `oidc-provider` (OpenID Certified OP; version pinned by package-lock.json
# here) and the SAML `session.amr` carrier with PyPI `pysaml2` signing through Debian's xmlsec1.
#
# Installs what is missing (Debian's nodejs, npm, python3-venv and xmlsec1; the npm packages of
# package-lock.json; pysaml2 into a venv under the build dir), builds the server
# (`cargo build -p federa-server`) unless FEDERA_BIN names a binary, then starts on 127.0.0.1,
# each on a port the OS picks:
#   - `federa serve` over a fresh temporary data directory, FEDERA_OUTBOUND__ALLOW_LOOPBACK=true
#     (its code exchange and JWKS fetch go to the OP on loopback);
#   - op.mjs: the oidc-provider OP, its client being Federa's /oauth2/v1/authorize/callback;
#   - saml_idp.py: the pysaml2 IdP with a key and certificate made at start.
# interop.py then sets Federa up through the admin API and drives every case with plain HTTP
# (see its docstring). Ends with one line `upstream-interop: N passed, M failed`; exits non-zero
# on any failure. Non-interactive; works from a fresh clone with CI=true.
#
# Output under target/upstream-interop/: federa.log, op.log, saml_idp.log, results.json and the
# freshly emitted vectors (test_vectors/). UPSTREAM_UPDATE_VECTORS=1 also rewrites
# tests/interop/upstream/test_vectors/ (see its README).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"

started=$(date +%s)
target="${CARGO_TARGET_DIR:-$root/target}"
out="$target/upstream-interop"
mkdir -p "$out"
rm -f "$out/results.json" "$out/op.json" "$out/saml_idp.json" "$out/id_tokens.jsonl"

summary_printed=0
summary() {
  [ "$summary_printed" -eq 0 ] || return 0
  summary_printed=1
  echo "upstream-interop: $1 passed, $2 failed${3:-}"
}

pids=()
data_dir=""
stop() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  for pid in "${pids[@]}"; do stop "$pid"; done
  if [ -n "$data_dir" ]; then rm -rf "$data_dir"; fi
  if [ "$rc" -ne 0 ]; then summary 0 1 " (setup failed, exit $rc; see above)"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

apt_updated=0
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [ "$apt_updated" -eq 0 ]; then apt-get update -q; apt_updated=1; fi
  apt-get install -y -q "$@"
}
need=()
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v xmlsec1 >/dev/null 2>&1 || need+=(xmlsec1)
command -v python3 >/dev/null 2>&1 || need+=(python3)
python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  echo "upstream-interop: installing Debian packages: ${need[*]}"
  apt_install "${need[@]}"
fi

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f "$here/node_modules/.package-lock.json" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  (cd "$here" && npm ci --no-audit --no-fund)
fi

venv="$out/venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import saml2, cryptography' 2>/dev/null; then
  echo "upstream-interop: creating $venv with pysaml2"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check 'pysaml2>=7.5,<8'
fi

if [ -z "${FEDERA_BIN:-}" ]; then
  cargo build -p federa-server
  FEDERA_BIN="$target/debug/federa"
fi
case "$FEDERA_BIN" in /*) ;; *) FEDERA_BIN="$root/$FEDERA_BIN" ;; esac
[ -x "$FEDERA_BIN" ] || { echo "upstream-interop: no federa binary at $FEDERA_BIN" >&2; exit 1; }
echo "upstream-interop: FEDERA_BIN=$FEDERA_BIN, node $(node --version), oidc-provider $(cd "$here" && node -p 'require("./node_modules/oidc-provider/package.json").version'), pysaml2 $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("pysaml2"))'), $(xmlsec1 --version)"
built=$(date +%s)

# --- Federa ----------------------------------------------------------------------------------
# The server reads FEDERA_* as its own configuration and rejects unknown keys (FEDERA_BIN among
# them), so it gets none of ours: only the loopback allowance for outbound fetches.
unset_federa=()
while IFS= read -r name; do unset_federa+=(-u "$name"); done < <(env | sed -n 's/^\(FEDERA_[A-Za-z0-9_]*\)=.*/\1/p')

data_dir="$(mktemp -d "${TMPDIR:-/tmp}/federa-upstream-interop.XXXXXX")"  # 0700: token and keys
log="$out/federa.log"
(
  cd "$data_dir"
  exec env "${unset_federa[@]}" NO_COLOR=1 FEDERA_OUTBOUND__ALLOW_LOOPBACK=true \
    "$FEDERA_BIN" serve --listen 127.0.0.1:0 --data-dir "$data_dir/data" >"$data_dir/stdout" 2>"$log"
) &
pids+=($!)
federa_pid=$!

token=""
port=""
for _ in $(seq 1 300); do
  token=$(sed -n 's/^Admin API token (shown only this once; keep it): \([^ ]*\)$/\1/p' "$data_dir/stdout" 2>/dev/null | head -n1)
  port=$(sed -n 's#^listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$log" 2>/dev/null | head -n1)
  [ -n "$token" ] && [ -n "$port" ] && break
  kill -0 "$federa_pid" 2>/dev/null || { echo "upstream-interop: federa exited before it was ready:" >&2; tail -n 30 "$log" >&2; exit 1; }
  sleep 0.1
done
if [ -z "$token" ] || [ -z "$port" ]; then
  echo "upstream-interop: federa printed no token and address within 30 s:" >&2
  tail -n 30 "$log" >&2
  exit 1
fi
sed -e 's/\(keep it): \).*/\1<redacted>/' -e 's/SSWS [^ '"'"']*/SSWS <redacted>/g' "$data_dir/stdout" >"$out/federa.stdout.log"
federa="http://127.0.0.1:$port"
echo "upstream-interop: federa pid $federa_pid at $federa (log: $log)"

# --- oidc-provider ---------------------------------------------------------------------------
client_id="federa-sp"
client_secret="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
OP_CLIENT_ID="$client_id" OP_CLIENT_SECRET="$client_secret" \
OP_REDIRECT_URI="$federa/oauth2/v1/authorize/callback" OP_OUT="$out" \
  node "$here/op.mjs" >"$out/op.log" 2>&1 &
pids+=($!)
op_pid=$!

# --- pysaml2 IdP -----------------------------------------------------------------------------
rm -rf "$out/saml"
mkdir -p "$out/saml"
"$venv/bin/python" "$here/saml_idp.py" --out "$out/saml" >"$out/saml_idp.log" 2>&1 &
pids+=($!)
saml_pid=$!

for _ in $(seq 1 300); do
  [ -f "$out/op.json" ] && [ -f "$out/saml/saml_idp.json" ] && break
  kill -0 "$op_pid" 2>/dev/null || { echo "upstream-interop: op.mjs exited:" >&2; tail -n 30 "$out/op.log" >&2; exit 1; }
  kill -0 "$saml_pid" 2>/dev/null || { echo "upstream-interop: saml_idp.py exited:" >&2; tail -n 30 "$out/saml_idp.log" >&2; exit 1; }
  sleep 0.1
done
[ -f "$out/op.json" ] && [ -f "$out/saml/saml_idp.json" ] || { echo "upstream-interop: the upstreams did not start within 30 s" >&2; exit 1; }
cp "$out/saml/saml_idp.json" "$out/saml_idp.json"
echo "upstream-interop: oidc-provider pid $op_pid ($(sed -n 's/.*"issuer":"\([^"]*\)".*/\1/p' "$out/op.json")), pysaml2 IdP pid $saml_pid"
upstreams=$(date +%s)

set +e
UPSTREAM_FEDERA="$federa" UPSTREAM_ADMIN_TOKEN="$token" UPSTREAM_OUT="$out" \
UPSTREAM_OP_CLIENT_ID="$client_id" UPSTREAM_OP_CLIENT_SECRET="$client_secret" \
  "$venv/bin/python" "$here/interop.py"
rc=$?
set -e
finished=$(date +%s)

passed=""
failed=""
if [ -f "$out/results.json" ]; then
  passed=$("$venv/bin/python" -c "import json,sys; print(json.load(open(sys.argv[1]))['passed'])" "$out/results.json" 2>/dev/null || true)
  failed=$("$venv/bin/python" -c "import json,sys; print(json.load(open(sys.argv[1]))['failed'])" "$out/results.json" 2>/dev/null || true)
fi
echo "upstream-interop: setup and build $((built - started)) s, servers $((upstreams - built)) s, checks $((finished - upstreams)) s"
if [ "$rc" -ne 0 ]; then echo "upstream-interop: logs in $out (federa.log, op.log, saml_idp.log)"; fi
if [ -z "$passed" ] || [ -z "$failed" ]; then
  summary "${passed:-0}" "$(( ${failed:-0} + 1 ))" " (interop.py exited with $rc before writing its results)"
  exit 1
fi
if [ "$rc" -eq 0 ] && { [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; }; then rc=1; fi
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  summary "$passed" 1 " (interop.py exited with $rc)"
else
  summary "$passed" "$failed"
fi
exit "$rc"
