#!/usr/bin/env bash
# Compares the real #include edges between components with the allowed dependency edges
# (docs/ARCHITECTURE.md, "Layers and the dependency rule"). Prints every forbidden edge and
# exits 1 if there is one. Components are folders under src/ (sip/* counts as its own).
set -euo pipefail
cd "$(dirname "$0")/.."

# component -> components it may include (itself always allowed)
declare -A allowed=(
  [base]=""
  [crypto]="base"
  [sip/msg]="base"
  [sip/sdp]="base"
  [sip/txn]="base sip/msg"
  [sip/dialog]="base sip/msg sip/txn"
  [sip/auth]="base crypto sip/msg"
  [sip/identity]="base crypto sip/msg"
  [sip/resolve]="base runtime sip/msg"
  [shield]="base sip/msg store"
  [media]="base crypto sip/sdp"
  [nat]="base crypto"
  [overlay]="base crypto runtime store"
  [runtime]="base"
  [io]="base crypto runtime sip/msg"
  [store]="base crypto"
  [proxy]="base crypto runtime store sip/msg sip/sdp sip/txn sip/dialog sip/auth sip/identity sip/resolve shield nat"
  [phone]="base crypto runtime store sip/msg sip/sdp sip/txn sip/dialog sip/auth sip/identity sip/resolve media nat"
  [admin]="base runtime store"
)

component_of() {  # src/sip/msg/parser.cpp -> sip/msg ; src/base/x.hpp -> base
  local rel=${1#src/}
  local first=${rel%%/*}
  if [ "$first" = sip ]; then rel=${rel#sip/}; echo "sip/${rel%%/*}"; else echo "$first"; fi
}

status=0
while IFS= read -r file; do
  from=$(component_of "$file")
  while IFS= read -r inc; do
    to=$(component_of "src/$inc")
    [ "$to" = "$from" ] && continue
    [ -d "src/$to" ] || continue  # a system or third-party header
    ok=0
    for a in ${allowed[$from]-__unknown__}; do [ "$a" = "$to" ] && ok=1; done
    if [ $ok -eq 0 ]; then
      echo "layering: $file includes $inc ($from -> $to is not an allowed edge)"
      status=1
    fi
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
done < <(find src -name '*.hpp' -o -name '*.cpp' | grep -v '/test/\|/fuzz/')

# Only crypto/ and io/ may include OpenSSL; only io/ may include Asio.
if grep -rln '#include <openssl/' src | grep -v '^src/crypto/\|^src/io/'; then
  echo "layering: the files above include OpenSSL outside crypto/ and io/"; status=1
fi
if grep -rln '#include <asio' src | grep -v '^src/io/'; then
  echo "layering: the files above include Asio outside io/"; status=1
fi
[ $status -eq 0 ] && echo "layering: all include edges allowed"
exit $status
