#!/usr/bin/env bash
# Federa's browser end-to-end tests: sign-in through the server-rendered pages in headless
# Chromium (Debian's /usr/bin/chromium, driven by playwright-core; never `npx playwright install`).
#
# Installs what is missing (Debian's chromium, Node.js, the npm packages of package-lock.json),
# builds the server (`cargo build -p federa-server`) unless FEDERA_BIN names a binary already,
# runs `node --test` here, and ends with one line: `browser: N passed, M failed`.
# Screenshots go to target/browser-screenshots/, the server's log to target/browser-federa.log.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "$@"
}

if [ ! -x /usr/bin/chromium ]; then
  echo "browser: installing Debian's chromium"
  apt_install chromium
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "browser: installing Node.js"
  apt_install nodejs npm
fi
echo "browser: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium: version unknown'), node $(node --version)"

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f "$here/node_modules/.package-lock.json" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  (cd "$here" && npm ci --no-audit --no-fund)
fi

if [ -z "${FEDERA_BIN:-}" ]; then
  cargo build -p federa-server
  export FEDERA_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/federa"
fi
echo "browser: FEDERA_BIN=$FEDERA_BIN"

mkdir -p "$root/target"
tap="$root/target/browser-tests.tap"
rm -f "$tap"
set +e
(cd "$here" && node --test \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap")
rc=$?
set -e

passed=$(sed -n 's/^# pass \([0-9]\+\)$/\1/p' "$tap" 2>/dev/null | tail -n1)
failed=$(sed -n 's/^# fail \([0-9]\+\)$/\1/p' "$tap" 2>/dev/null | tail -n1)
cancelled=$(sed -n 's/^# cancelled \([0-9]\+\)$/\1/p' "$tap" 2>/dev/null | tail -n1)
passed=${passed:-0}
failed=$(( ${failed:-0} + ${cancelled:-0} ))
echo "screenshots: $root/target/browser-screenshots/"
# No tests found, or a failure outside any test (a hook, a crash), is a failure too.
if [ "$rc" -eq 0 ] && { [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; }; then rc=1; fi
note=""
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then note=" (node --test exited with $rc)"; fi
echo "browser: $passed passed, $failed failed$note"
exit "$rc"
