#!/usr/bin/env bash
# Privacy between two providers (issue 7, RFC 3323/3325): a.test and b.test are both `warden
# proxy`, found by DNS, TLS between them (as in interdomain_warden_warden.sh). alice@a.test
# (phone on 127.0.0.12) calls bob@b.test (phone on 127.0.0.22) with `--privacy id`; bob answers,
# media flows both ways, alice hangs up. Everything to or from bob's address is captured
# (tshark on lo, filter "host 127.0.0.22") during the call, and must:
#   - hold the call: a SIP INVITE for bob, and RTP-looking (SRTP) packets both ways;
#   - not hold the text "alice@a.test", "sip:alice" or alice's address "127.0.0.12" anywhere;
#   - hold no packet whose IP source or destination is alice's address (a.test relays the media).
# bob's phone must print an anonymous caller (incoming sip:anonymous@anonymous.invalid ...).
# Needs a.test's [privacy] wiring (media_relay on by default for calls that ask for privacy).
# Runs inside a private network namespace (lib_interdomain.sh): no packet leaves it.
# Usage: interdomain_privacy.sh WARDEN. Exit 0 passed, 1 failed, 77 skipped (not root, dnsmasq
# or tshark missing). KEEP=1 keeps the work folder (kept anyway on failure).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../interop/lib.sh
. "$HERE/../interop/lib.sh"
# shellcheck source=lib_interdomain.sh
. "$HERE/lib_interdomain.sh"
# shellcheck source=../e2e/capture.sh
. "$HERE/../e2e/capture.sh"

WARDEN=$(readlink -f "${1:?usage: interdomain_privacy.sh WARDEN}")
[ -x "$WARDEN" ] || { echo "SKIP: $WARDEN is not executable"; exit 77; }
command -v /usr/sbin/dnsmasq >/dev/null || { echo "SKIP: dnsmasq (dnsmasq-base) is not installed"; exit 77; }
command -v tshark >/dev/null || { echo "SKIP: tshark is not installed"; exit 77; }
"$WARDEN" phone --account x call --help 2>&1 | grep -q -- '--privacy' || { echo "SKIP: warden phone has no --privacy"; exit 77; }
enter_test_namespace "$0" "$@"

ALICE_IP=$A_USER_IP     # 127.0.0.12
BOB_IP=127.0.0.22

W=$(mktemp -d /tmp/warden-privacy.XXXXXX)
cleanup() {
  capture_stop
  stop_all
  stop_dns
  [ -n "${NS_RESOLV_CONF:-}" ] && rm -f "$NS_RESOLV_CONF"
  if [ "${INTEROP_FAILED:-0}" = 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$W"; else echo "files kept in $W"; fi
}
trap cleanup EXIT
cd "$W" || exit 1
log "work folder $W (inside a private network namespace)"

make_pki "$W/pki"
start_dns "$W"
WARDEN_EXTRA_TOML='[privacy]\nmedia_relay = true' \
  start_warden_provider "$WARDEN" "$W/a" a.test "$A_IP" "$A_SIP_PORT" "$A_TLS_PORT" "$B_IP" "$W/pki" alice:alice-pw-1
A_PID=$WARDEN_PID
start_warden_provider "$WARDEN" "$W/b" b.test "$B_IP" "$B_SIP_PORT" "$B_TLS_PORT" "$A_IP" "$W/pki" bob:bob-pw-2
B_PID=$WARDEN_PID
write_warden_phone "$W/alice.toml" alice a.test alice-pw-1 "$A_IP:$A_SIP_PORT" "$ALICE_IP"
write_warden_phone "$W/bob.toml" bob b.test bob-pw-2 "$B_IP:$B_SIP_PORT" "$BOB_IP"

# bob registers before the capture starts (his REGISTER names him, not alice); the capture
# covers the whole call.
"$WARDEN" phone --account "$W/bob.toml" --log-level debug answer --auto --timeout 30s --hangup-after 6s \
  >"$W/bob.out" 2>"$W/bob.err" &
BOB_PID=$!
INTEROP_PIDS+=("$BOB_PID")
wait_for_line "$W/bob.out" '^ready$' 20 "$BOB_PID" || die "bob's phone is not ready: $(tr '\n' '|' <"$W/bob.out")"
capture_start "$W/bob.pcapng" "host $BOB_IP" || die "tshark could not capture on lo"

timeout -k 5 40 "$WARDEN" phone --account "$W/alice.toml" --log-level debug call sip:bob@b.test --privacy id \
  --tone 440 --hangup-after 3s >"$W/alice.out" 2>"$W/alice.err"
rc=$?
wait_pid "$BOB_PID" 15
capture_stop
[ "$rc" = 0 ] || fail "alice's call ended with exit $rc: $(tr '\n' '|' <"$W/alice.out")"
grep -q '^Privacy: id' "$W/alice.err" && log "ok: alice's INVITE asked for privacy (Privacy: id)" ||
  fail "alice's phone sent no 'Privacy: id' (its debug log has no such header line)"
if grep -q -E '^incoming sip:anonymous@anonymous\.invalid( |$)' "$W/bob.out"; then
  log "ok: bob's phone: $(grep -m1 '^incoming' "$W/bob.out")"
else
  fail "bob's phone did not show an anonymous caller: $(grep -m1 '^incoming' "$W/bob.out" || echo 'no incoming line')"
fi
for p in alice bob; do
  grep -q '^media ' "$W/$p.out" || fail "$p's phone has no media line: $(tr '\n' '|' <"$W/$p.out" | cut -c1-400)"
  grep -q '^answered$' "$W/$p.out" || fail "$p's phone did not print 'answered'"
done
# Both reports: packets went both ways (through a.test's relay on bob's side).
for p in alice bob; do
  /usr/bin/python3 - "$p" "$W/$p.out" <<'PY' || fail "$p's report shows no two-way media"
import json, sys
name, path = sys.argv[1], sys.argv[2]
line = next((l for l in open(path) if l.startswith("report {")), None)
if line is None:
    print(f"{name}: no report line", file=sys.stderr); sys.exit(1)
m = json.loads(line[len("report "):]).get("media") or {}
print(f"{name}: sent {m.get('packets_sent')} received {m.get('packets_received')} keying {m.get('keying')}")
sys.exit(0 if (m.get("packets_sent") or 0) >= 100 and (m.get("packets_received") or 0) >= 100 else 1)
PY
done

# What bob's address saw. Frames are read by no_plaintext.py's pcap/pcapng reader.
/usr/bin/python3 - "$W/bob.pcapng" "$ALICE_IP" "$BOB_IP" "$HERE/../e2e" <<'PY' || fail "the capture of bob's traffic leaks alice or misses the call (above)"
import struct, sys
path, alice_ip, bob_ip, e2e = sys.argv[1:5]
sys.path.insert(0, e2e)
import no_plaintext as np_
data = open(path, "rb").read()
frames = np_._packets_pcapng(data) if data[:4] == b"\x0a\x0d\x0d\x0a" else np_._packets_pcap(data)
bad = 0
packets = 0
invites = 0
rtp = {"to_bob": 0, "from_bob": 0}
leaks = {}
direct = []
needles = [b"alice@a.test", b"sip:alice", alice_ip.encode()]
for link, frame in frames:
    ip = np_._ip_payload(link, frame)
    if not ip or ip[0] >> 4 != 4 or len(ip) < 20:
        continue
    packets += 1
    src, dst = ".".join(map(str, ip[12:16])), ".".join(map(str, ip[16:20]))
    if alice_ip in (src, dst):
        direct.append(f"{src}->{dst}")
    for n in needles:
        if n in frame:
            leaks.setdefault(n.decode(), []).append(f"{src}->{dst}")
    ihl = (ip[0] & 0x0F) * 4
    if ip[9] != 17:
        continue
    l4 = ip[ihl:]
    if len(l4) < 8:
        continue
    payload = l4[8:]
    if payload.startswith(b"INVITE sip:bob@") and dst == bob_ip:
        invites += 1
    # RTP/SRTP: version 2, not RTCP (payload types 72-79 with the marker are RTCP under rtcp-mux)
    if len(payload) >= 12 and payload[0] >> 6 == 2 and not (192 <= payload[1] <= 223):
        rtp["to_bob" if dst == bob_ip else "from_bob"] += 1
if direct:
    print(f"FAIL: {len(direct)} packet(s) between bob and alice's address, e.g. {direct[:3]}", file=sys.stderr)
    bad = 1
for n, where in leaks.items():
    print(f"FAIL: the text {n!r} is in {len(where)} packet(s) to/from bob, e.g. {where[:3]}", file=sys.stderr)
    bad = 1
print(f"capture: {packets} IPv4 packets to/from {bob_ip}, {invites} INVITE(s) for bob, RTP-looking {rtp}")
if invites == 0:
    print("FAIL: no SIP INVITE for bob in the capture (nothing captured?)", file=sys.stderr); bad = 1
if rtp["to_bob"] < 100 or rtp["from_bob"] < 100:
    print("FAIL: fewer than 100 RTP-looking packets each way in the capture", file=sys.stderr); bad = 1
sys.exit(bad)
PY
[ "${INTEROP_FAILED:-0}" = 0 ] && log "ok: bob's wire: the call, no trace of alice"

# Where bob's media went: a.test's relay, not alice.
bob_media=$(grep -m1 '^media ' "$W/bob.out")
case "$bob_media" in
  *" remote=$A_IP:"*) log "ok: bob's media goes to a.test's relay ($bob_media)" ;;
  *) fail "bob's media does not go to a.test's relay at $A_IP: $bob_media" ;;
esac

for pid in "$A_PID" "$B_PID"; do
  kill -TERM "$pid" 2>/dev/null
  wait_pid "$pid" 40
  [ "$WAIT_RC" = 0 ] || fail "warden (pid $pid) exited $WAIT_RC on SIGTERM"
done
[ "${INTEROP_FAILED:-0}" = 0 ] || exit 1
log "PASS: alice called bob anonymously: bob's wire carries the call and nothing of alice"
