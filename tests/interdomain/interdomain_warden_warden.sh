#!/usr/bin/env bash
# Warden to Warden between two providers (issue 7): a.test and b.test are both `warden proxy`,
# found by each other through RFC 3263 records (dnsmasq), talking TLS with certificates checked
# against the domain; alice@a.test calls bob@b.test with `warden phone` on each side.
#   1. a.test signs the INVITE (SIP Identity, PASSporT ES256, info URL served by a.test over
#      HTTPS); b.test fetches the certificate, verifies, and bob's phone says identity=verified;
#      the call is answered and media flows both ways, then alice hangs up.
#   2. The INVITE as bob received it, sent again to b.test over TLS from a.test's address (a
#      replay by someone who captured it): 438, and bob's phone gets no second call.
#   SRV failover: b.test's first SRV target is down (nothing listens); the call goes to the second.
#   Mutual TLS: b.test trusts a.test by the client certificate a.test presents ([proxy]
#   tls_peers), not by its address; the same INVITE without that certificate gets 407.
#   3. The same with the From changed (alice -> mallory): not refused, but the callee is told
#      identity failed (verstat=TN-Validation-Failed on the From URI).
# Runs inside a private network namespace (lib_interdomain.sh): no packet leaves it.
# Usage: interdomain_warden_warden.sh WARDEN
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../interop/lib.sh
. "$HERE/../interop/lib.sh"
# shellcheck source=lib_interdomain.sh
. "$HERE/lib_interdomain.sh"

WARDEN=$(readlink -f "${1:?usage: interdomain_warden_warden.sh WARDEN}")
[ -x "$WARDEN" ] || { echo "SKIP: $WARDEN is not executable"; exit 77; }
command -v /usr/sbin/dnsmasq >/dev/null || { echo "SKIP: dnsmasq (dnsmasq-base) is not installed"; exit 77; }
enter_test_namespace "$0" "$@"

W=$(mktemp -d /tmp/warden-w2w.XXXXXX)
cleanup() {
  stop_all
  stop_dns
  [ -n "${NS_RESOLV_CONF:-}" ] && rm -f "$NS_RESOLV_CONF"
  if [ "${INTEROP_FAILED:-0}" = 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$W"; else echo "files kept in $W"; fi
}
trap cleanup EXIT
cd "$W" || exit 1
log "work folder $W (inside a private network namespace)"

make_pki "$W/pki"
# RFC 3263 failover on loopback: b.test's first SRV target (priority 0) is an address where
# nothing listens; its real server comes second (priority 10). a.test must move on at once (the
# connection is refused) and the call goes through.
B_SRV_PRIORITY=10
DNS_EXTRA=(--srv-host="_sips._tcp.b.test,down.b.test,5999,0,100" --host-record="down.b.test,127.0.0.4")
start_dns "$W"

# start_provider NAME IP SIP_PORT TLS_PORT PEER USER PASSWORD (PEER: see start_warden_provider)
start_provider() {
  local d=$1
  start_warden_provider "$WARDEN" "$W/$d" "$d.test" "$2" "$3" "$4" "$5" "$W/pki" "$6:$7"
  printf -v "PROXY_PID_$d" '%s' "$WARDEN_PID"
  grep -q "^identity certificate https://sip.$d.test:8443/identity.pem" "$W/$d/warden.out" ||
    fail "$d.test does not say where its identity certificate is served"
}
start_provider a "$A_IP" "$A_SIP_PORT" "$A_TLS_PORT" "$B_IP" alice alice-pw-1
# b.test knows a.test by its certificate (mutual TLS), a.test knows b.test by its address.
start_provider b "$B_IP" "$B_SIP_PORT" "$B_TLS_PORT" tls:a.test bob bob-pw-2

write_warden_phone "$W/alice.toml" alice a.test alice-pw-1 "$A_IP:$A_SIP_PORT" "$A_USER_IP"
write_warden_phone "$W/bob.toml" bob b.test bob-pw-2 "$B_IP:$B_SIP_PORT" "$B_USER_IP"

start_bob() {
  : >"$W/bob.out"
  "$WARDEN" phone --account "$W/bob.toml" --log-level debug answer --auto --timeout 30s --hangup-after 4s \
    >"$W/bob.out" 2>"$W/bob.err" &
  BOB_PID=$!
  INTEROP_PIDS+=("$BOB_PID")
  wait_for_line "$W/bob.out" '^ready$' 20 "$BOB_PID" || die "bob's phone is not ready: $(tr '\n' '|' <"$W/bob.out")"
}

# --- 1. a signed call, verified at b.test ------------------------------------------------------
start_bob
timeout -k 5 40 "$WARDEN" phone --account "$W/alice.toml" --log-level debug call sip:bob@b.test \
  --tone 440 --hangup-after 3s >"$W/alice.out" 2>"$W/alice.err"
rc=$?
wait_pid "$BOB_PID" 15
[ "$rc" = 0 ] || fail "alice's call ended with exit $rc: $(tr '\n' '|' <"$W/alice.out")"
if grep -q -E '^incoming sip:alice@a\.test identity=verified$' "$W/bob.out"; then
  log "ok: bob's phone: $(grep -m1 '^incoming' "$W/bob.out")"
else
  fail "bob's phone did not report a verified caller: $(grep -m1 '^incoming' "$W/bob.out" || echo 'no incoming line')"
fi
grep -q '^media ' "$W/alice.out" && grep -q '^media ' "$W/bob.out" ||
  fail "no media line on both phones (alice: $(grep -c '^media' "$W/alice.out"), bob: $(grep -c '^media' "$W/bob.out"))"
grep -q -E '^NAPTR|query\[NAPTR\] b\.test' "$W/dnsmasq.log" && log "ok: a.test asked DNS for b.test's NAPTR" ||
  fail "dnsmasq saw no NAPTR query for b.test"
if grep -q '"trying the next server".*domain=b.test.*target=127.0.0.3:5071' "$W/a/warden.err"; then
  log "ok: the first SRV target (127.0.0.4:5999) refused; a.test failed over to 127.0.0.3:5071"
else
  fail "a.test did not log a failover from the dead SRV target to 127.0.0.3:5071: $(grep -m2 -i 'next server' "$W/a/warden.err")"
fi
grep -q 'query\[A\] sip\.a\.test' "$W/dnsmasq.log" && log "ok: b.test looked up sip.a.test (the info URL's host)" ||
  fail "dnsmasq saw no query for sip.a.test: b.test did not fetch the certificate"

# The INVITE as bob's phone received it (its --log-level debug prints every message).
/usr/bin/python3 - "$W/bob.err" "$W/invite.txt" <<'PY' || fail "no INVITE with an Identity header in bob's log"
import sys
text = open(sys.argv[1], encoding="latin-1").read()
for block in text.split("<<< from ")[1:]:
    msg = block.split("\n", 1)[1]
    if msg.startswith("INVITE ") and "\nIdentity: " in msg:
        head, _, body = msg.partition("\n\n")
        open(sys.argv[2], "w", encoding="latin-1").write(head + "\n\n" + body)
        sys.exit(0)
sys.exit(1)
PY

# replay_to_b TAMPER: sends the captured INVITE to b.test over TLS from a.test's address, as
# a.test would, with a new Via (ours) and the Route/Record-Route/Max-Forwards bob's proxy added
# removed; prints b.test's final response status (and ACKs it when it is not a 2xx).
# With CERT=none the client presents no certificate (b.test then does not take it for a.test).
replay_to_b() {
  /usr/bin/python3 - "$W/invite.txt" "$W/pki/ca.pem" "$1" "$A_IP" "$B_IP" "$B_TLS_PORT" "${CERT:-$W/pki/a.test}" <<'PY'
import re, socket, ssl, sys, os
path, ca, tamper, src, dst, port, cert = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]), sys.argv[7]
raw = open(path, encoding="latin-1").read()
head, _, body = raw.partition("\n\n")
lines = head.split("\n")
branch = "z9hG4bK-replay-" + os.urandom(4).hex()
out = []
for l in lines[1:]:
    name = l.split(":", 1)[0].strip().lower()
    if name in ("via", "v", "record-route", "route", "max-forwards", "content-length", "l"):
        continue
    if tamper == "from" and name in ("from", "f"):
        l = l.replace("sip:alice@a.test", "sip:mallory@a.test")
    out.append(l)
req_line = lines[0].replace(lines[0].split(" ")[1], "sip:bob@b.test")
msg = [req_line, f"Via: SIP/2.0/TLS {src}:5061;branch={branch}", "Max-Forwards: 70"] + out
msg.append(f"Content-Length: {len(body.encode('latin-1'))}")
data = ("\r\n".join(msg) + "\r\n\r\n" + body.replace("\n", "\r\n") if body else "\r\n".join(msg) + "\r\n\r\n")
# the body was printed with \n line ends by the phone only where the message had them: SDP uses CRLF
data = data.encode("latin-1")
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = True
if cert != "none":
    ctx.load_cert_chain(cert + ".pem", cert + ".key")
s = socket.create_connection((dst, port), timeout=10, source_address=(src, 0))
t = ctx.wrap_socket(s, server_hostname="b.test")
# fix Content-Length for the CRLF-converted body
hdr, _, b = data.partition(b"\r\n\r\n")
hdr = re.sub(rb"Content-Length: \d+", b"Content-Length: " + str(len(b)).encode(), hdr)
t.sendall(hdr + b"\r\n\r\n" + b)
t.settimeout(15)
buf = b""
while True:
    try:
        chunk = t.recv(65536)
    except socket.timeout:
        print("timeout"); sys.exit(0)
    if not chunk:
        print("closed"); sys.exit(0)
    buf += chunk
    for m in re.finditer(rb"SIP/2\.0 (\d{3}) ", buf):
        code = int(m.group(1))
        if code >= 200:
            print(code)
            sys.exit(0)
PY
}

# --- 2. the same INVITE replayed: refused ---------------------------------------------------------
if [ -s "$W/invite.txt" ]; then
  start_bob
  # Without a.test's client certificate, b.test does not take the sender for a.test (mutual
  # TLS, [proxy] tls_peers): the INVITE for its user is challenged like any stranger's.
  status=$(CERT=none replay_to_b none)
  if [ "$status" = 407 ]; then log "ok: without a.test's client certificate the INVITE is challenged (407)"
  else fail "without a client certificate the INVITE got '$status', not 407"; fi
  status=$(replay_to_b none)
  if [ "$status" = 438 ]; then log "ok: the replayed INVITE got 438"; else fail "the replayed INVITE got '$status', not 438"; fi
  grep -q '^incoming' "$W/bob.out" && fail "bob's phone rang for the replayed INVITE"

  # --- 3. the From changed in transit: the callee is told it failed ------------------------------
  status=$(replay_to_b from)
  if grep -q -E '^incoming sip:mallory@a\.test identity=failed$' "$W/bob.out"; then
    log "ok: a tampered From reaches bob as identity=failed (final status $status)"
  else
    fail "bob's phone did not report a failed identity for a tampered From: $(grep -m1 '^incoming' "$W/bob.out" || echo none) (status $status)"
  fi
  wait_pid "$BOB_PID" 15
fi

for d in a b; do
  var=PROXY_PID_$d
  kill -TERM "${!var}" 2>/dev/null
  wait_pid "${!var}" 40
  [ "$WAIT_RC" = 0 ] || fail "warden $d.test exited $WAIT_RC on SIGTERM"
done
[ "${INTEROP_FAILED:-0}" = 0 ] || exit 1
log "PASS: Warden to Warden over TLS by DNS, Identity verified, replay refused, tampering reported"
