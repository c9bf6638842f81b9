#!/usr/bin/env bash
# SAML interop: pysaml2 (PyPI) as the SP accepts Federa's signed responses, its signature check
# done by Debian's xmlsec1 (issue 5 item 4; ../shared/reference/peers.md).
#
# Installs pysaml2 into a venv under the build dir (target/interop-saml-venv) when missing,
# builds the server (`cargo build -p federa-server`) unless FEDERA_BIN names a binary, starts
# `federa serve` on 127.0.0.1 (port chosen by the OS) over a fresh data directory (it creates the
# `localhost` org and prints an admin token once), runs sp.py against it, stops the server.
# Ends with one line `saml-interop: N passed, M failed`; exits non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"

if ! command -v xmlsec1 >/dev/null 2>&1; then
  echo "saml-interop: installing Debian's xmlsec1"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q && apt-get install -y -q xmlsec1
fi

if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
  echo "saml-interop: installing Debian's python3-venv"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q && apt-get install -y -q python3 python3-venv
fi

venv="$target/interop-saml-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import saml2' 2>/dev/null; then
  echo "saml-interop: creating $venv with pysaml2"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check 'pysaml2>=7.5,<8'
fi
echo "saml-interop: pysaml2 $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("pysaml2"))'), $(xmlsec1 --version)"

if [ -z "${FEDERA_BIN:-}" ]; then
  cargo build -q -p federa-server
  bin="$target/debug/federa"
else
  bin="$FEDERA_BIN"
fi

data="$(mktemp -d)"
log="$target/interop-saml-federa.log"
out="$data/stdout"
mkdir -p "$target"
: >"$out"; : >"$log"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

# No FEDERA_* from our environment: the server reads them as configuration.
(cd "$data" && exec env $(env | sed -n 's/^\(FEDERA_[A-Za-z0-9_]*\)=.*/-u \1/p') NO_COLOR=1 \
  "$bin" serve --listen 127.0.0.1:0 --data-dir "$data" >"$out" 2>"$log") &
pid=$!

token=""; addr=""
for _ in $(seq 1 300); do
  token="$(sed -n 's/.*Admin API token (shown only this once; keep it): \([^ ]*\).*/\1/p' "$out" | head -n1)"
  addr="$(sed -n 's#.*listening on http://\([^ ]*\).*#\1#p' "$log" | head -n1)"
  if [ -n "$token" ] && [ -n "$addr" ]; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 0.1
done
if [ -z "$token" ] || [ -z "$addr" ]; then
  echo "saml-interop: federa did not start; log: $log"
  tail -n 30 "$log" || true
  echo "saml-interop: 0 passed, 1 failed"
  exit 1
fi
port="${addr##*:}"
base="http://localhost:$port"
for _ in $(seq 1 100); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done

set +e
"$venv/bin/python" "$here/sp.py" --base "$base" --token "$token"
rc=$?
set -e
if [ "$rc" -ne 0 ]; then echo "saml-interop: server log at $log"; fi
exit "$rc"
