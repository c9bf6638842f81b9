#!/usr/bin/env bash
# The pure crates (ARCHITECTURE.md "Dependency rules") must not pull in IO frameworks, directly
# or through another dependency. Fails listing the offending paths.
set -euo pipefail
cd "$(dirname "$0")/.."
pure="federa-types federa-jose federa-saml federa-oidc federa-claims federa-policy"
forbidden='^(tokio|sqlx|sqlx-core|axum|reqwest|hyper|tower|mio) '
status=0
for crate in $pure; do
  [ -d "crates/$crate" ] || continue
  if hits=$(cargo tree -p "$crate" -e normal,build --prefix none --no-dedupe 2>/dev/null | grep -E "$forbidden" | sort -u); [ -n "$hits" ]; then
    echo "boundary violation: $crate depends on:"
    echo "$hits" | sed 's/^/  /'
    status=1
  fi
done
[ $status -eq 0 ] && echo "boundaries ok: $pure depend on no IO framework"
exit $status
