#!/usr/bin/env bash
# Interop: the TLS policy of `warden proxy`'s TLS listener as sslscan (a scanner nobody here
# wrote) sees it. Issue 7's check: "only TLS 1.2/1.3 and forward-secret AEAD suites are offered".
#
#   1. warden proxy starts with one TLS listener on 127.0.0.1 and a free port (development PKI
#      in a fresh data folder).
#   2. sslscan scans it (XML report).
#   3. sslscan_check.py reads the report, which must show: SSLv2, SSLv3, TLS 1.0 and TLS 1.1
#      refused, TLS 1.2 and 1.3 accepted; every accepted suite either a TLS 1.3 suite (all AEAD,
#      all ephemeral) or, for TLS 1.2, ECDHE with AES-GCM or ChaCha20-Poly1305; at least one
#      suite of each version; no key-exchange group other than X25519, P-256, P-384; no insecure
#      renegotiation, no compression, no Heartbleed.
#   4. warden proxy is still running after the scan.
#
# Usage: sslscan_test.sh WARDEN_BINARY. Exit 0 on success, 1 with FAIL: lines on failure, 77
# (ctest SKIP) when sslscan is missing. KEEP=1 keeps the folder (warden's output, scan.xml).
set -u
warden=${1:?usage: sslscan_test.sh WARDEN_BINARY}
warden=$(cd "$(dirname "$warden")" && pwd)/$(basename "$warden")
source "$(dirname "$0")/lib.sh"

for tool in sslscan python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/install-deps.sh installs it)"; exit 77; }
done

work=$(mktemp -d /tmp/warden-sslscan-test.XXXXXX)
finish() {
  local rc=$?
  stop_all
  if [ "$rc" -eq 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$work"; else echo "files kept in $work"; fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 1' INT TERM
cd "$work" || exit 1

port=$(free_port)
spawn warden.log "$warden" proxy --data-dir "$work/data" --listen "tls:127.0.0.1:$port" --log-level warn
warden_pid=$SPAWNED_PID
if ! wait_for_line warden.log '^ready$' 20 "$warden_pid"; then
  tail -n 30 warden.log >&2
  die "warden proxy did not print 'ready' within 20 s"
fi
grep -q "^listening tls:127.0.0.1:$port\$" warden.log ||
  die "warden did not report 'listening tls:127.0.0.1:$port' (output: $(tr '\n' '|' <warden.log))"
log "warden proxy listens for TLS on 127.0.0.1:$port"

timeout 120 sslscan --no-colour --xml=scan.xml "127.0.0.1:$port" >scan.txt 2>&1 ||
  die "sslscan failed (exit $?): $(tail -n 5 scan.txt)"
[ -s scan.xml ] || die "sslscan wrote no XML report"

/usr/bin/python3 "$INTEROP_DIR/sslscan_check.py" scan.xml || INTEROP_FAILED=1

# warden must still be serving after the scan (hundreds of handshakes, most refused).
kill -0 "$warden_pid" 2>/dev/null || fail "warden proxy exited during the scan"

[ "$INTEROP_FAILED" -eq 0 ] || exit 1
log "ok: the TLS listener offers only TLS 1.2/1.3 with forward-secret AEAD suites"
