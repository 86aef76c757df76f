#!/usr/bin/env bash
# `warden proxy` as an operator meets it: bad settings name the key and exit 2; the embedded
# start creates its data folder, store and development certificates, says where it listens
# and "ready"; TLS on that port presents a certificate the development CA verifies; SIGTERM
# ends it with status 0.
set -u
warden=$1
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
fail=0
check() { if [ "$2" -ne 0 ]; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }

printf '[registrar]\nmin_expires = 7200\n' > "$dir/bad.toml"
out=$("$warden" proxy --config "$dir/bad.toml" --data-dir "$dir/d0" 2>&1); rc=$?
check "a bad value exits 2" $((rc != 2))
echo "$out" | grep -q "registrar.min_expires"; check "the error names the key ($out)" $?
out=$("$warden" proxy --listen sctp:127.0.0.1:5060 --data-dir "$dir/d0" 2>&1); rc=$?
check "a bad --listen exits 2" $((rc != 2))
echo "$out" | grep -qi "sctp"; check "the error names the value ($out)" $?

port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
p1=$(port); p2=$(port)
"$warden" proxy --data-dir "$dir/data" --listen "udp:127.0.0.1:$p1" --listen "tcp:127.0.0.1:$p1" \
  --listen "tls:127.0.0.1:$p2" >"$dir/out" 2>"$dir/err" &
pid=$!
for _ in $(seq 1 100); do grep -q '^ready$' "$dir/out" 2>/dev/null && break; sleep 0.1; done
grep -q '^ready$' "$dir/out"; check "prints ready" $?
grep -q "^listening udp:127.0.0.1:$p1$" "$dir/out"; check "prints the UDP address" $?
grep -q "^listening tls:127.0.0.1:$p2$" "$dir/out"; check "prints the TLS address" $?
[ -f "$dir/data/warden.db" ]; check "creates the store" $?
[ -f "$dir/data/pki/ca.pem" ] && [ -f "$dir/data/pki/server.pem" ]; check "creates the development CA and certificate" $?
[ "$(stat -c %a "$dir/data/pki/server.key")" = 600 ]; check "the key is private" $?
[ "$(stat -c %a "$dir/data/contact-token.key")" = 600 ] && [ "$(wc -c <"$dir/data/contact-token.key")" = 64 ]
check "the contact-token key is made, private" $?
token_key=$(cat "$dir/data/contact-token.key")
echo | timeout 5 openssl s_client -connect "127.0.0.1:$p2" -CAfile "$dir/data/pki/ca.pem" \
  -verify_return_error -verify_ip 127.0.0.1 >"$dir/tls" 2>&1
grep -q "Verify return code: 0 (ok)" "$dir/tls"; check "TLS verifies against the development CA" $?
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
check "SIGTERM exits 0" $rc
grep -q stopped "$dir/err"; check "logs that it stopped" $?
timeout 3 "$warden" proxy --data-dir "$dir/data" --listen "udp:127.0.0.1:$p1" >/dev/null 2>&1
[ "$(cat "$dir/data/contact-token.key")" = "$token_key" ]; check "the contact-token key is kept across a restart" $?
exit $fail
