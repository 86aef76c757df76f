#!/usr/bin/env bash
# no_plaintext.py tested on captures this script makes: tshark captures on lo while send_rtp.py
# sends, from and to ports picked here, what a leaking phone would send (G.711 mu-law and A-law
# RTP, sox's mu-law in bare UDP, mu-law through another resampler, plaintext Opus, one leaked
# 12-byte window among random packets) and what an encrypting one would (RTP headers with random
# payloads, random datagrams). Each leak must be reported (exit 1, and by the search meant to
# catch it), each clean stream must not (exit 0, zero hits), a capture with no RTP must exit 3
# under --min-rtp-packets, tshark must see the RTP payload types, and broken captures (truncated
# at many offsets, garbage, empty) must give a clean exit, never a traceback.
#
# Usage: test_no_plaintext.sh. Exit 0 passed, 1 failed (FAIL: lines), 77 skipped (tshark, capture
# rights, sox, espeak-ng or numpy missing). KEEP=1 keeps the folder.
set -u
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
source "$here/capture.sh"
skip() { echo "SKIP: $*"; exit 77; }
capture_available || skip "tshark is missing or cannot capture here (needs root)"
for tool in sox espeak-ng; do command -v "$tool" >/dev/null || skip "$tool is not installed"; done
"$py" -c 'import numpy' 2>/dev/null || skip "numpy is not installed for $py (python3-numpy)"

work=$(mktemp -d /tmp/warden-no-plaintext.XXXXXX)
finish() {
  local rc=$?
  capture_stop
  if [ -z "${KEEP:-}" ] && [ "$rc" -eq 0 ]; then rm -rf "$work"; else echo "files kept in $work"; fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 1' INT TERM
cd "$work" || exit 1
failed=0
fail() { echo "FAIL: $*"; failed=1; }

espeak-ng -w speech.wav "This is a Warden test call. The quick brown fox jumps over the lazy dog." || exit 1
sox -D speech.wav -r 8000 -c 1 -b 16 ref.wav || exit 1
have_opus=1
"$py" -c 'import ctypes, ctypes.util; ctypes.CDLL(ctypes.util.find_library("opus") or "libopus.so.0")' 2>/dev/null ||
  have_opus=0

# One port pair per mode (destination, source), all free on 127.0.0.1 now.
modes=(pcmu pcma ulaw-sox pcmu-gain srtp-like random one-leak)
[ $have_opus = 1 ] && modes+=(opus)
ports=$("$py" - $((2 * ${#modes[@]} + 1)) <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
)
read -r -a port <<<"$ports"
filter="udp and (port ${port[0]}"
for p in "${port[@]:1}"; do filter+=" or port $p"; done
filter+=")"
empty_port=${port[-1]}

capture_start cap.pcapng "$filter" || { fail "tshark did not start"; exit 1; }
for ((i = 0; i < ${#modes[@]}; i++)); do
  "$py" "$here/send_rtp.py" "${modes[i]}" ref.wav "${port[2 * i]}" --src-port "${port[2 * i + 1]}" --pace 0.3 ||
    fail "send_rtp.py ${modes[i]} failed"
done
capture_stop
[ -s cap.pcapng ] || { fail "tshark wrote no capture"; exit 1; }
editcap -F pcap cap.pcapng cap.pcap 2>/dev/null || fail "editcap -F pcap failed"

# run MODE EXPECT_RC CHECK...: no_plaintext.py on that mode's ports (JSON), exit status compared;
# each CHECK is a Python expression over r (the result) that must hold.
run() {
  local mode=$1 want=$2 i p=; shift 2
  for ((i = 0; i < ${#modes[@]}; i++)); do [ "${modes[i]}" = "$mode" ] && p="${port[2 * i]}"; done
  local out rc
  out=$("$py" "$here/no_plaintext.py" "${CAP:-cap.pcapng}" ref.wav --ports "$p" --json --min-rtp-packets "${MINRTP:-0}" 2>"$mode.err"); rc=$?
  "$py" - "$mode" "$rc" "$want" "$out" "$@" <<'PY' || failed=1
import json, sys
mode, rc, want, out, checks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5:]
try:
    r = json.loads(out)
except ValueError:
    print(f"FAIL: {mode}: no JSON from no_plaintext.py (exit {rc}): {out[:300]}")
    sys.exit(1)
flows = r["flows"]
print(f"{mode:10s} rc={rc} datagrams={r['udp_datagrams']} rtp={r['rtp_packets']} hits={r['hits']} "
      f"{r['hits_by_encoding']} plaintext_flows={r['plaintext_flows']} tshark_pt={r['tshark_payload_types']} "
      + " | ".join(f"chi2={f['chi2']} first={f['first_byte_share']} g711_corr={f['g711_corr']}" for f in flows))
bad = [] if rc == want else [f"exit {rc}, expected {want}"]
for c in checks:
    if not eval(c, {"r": r, "flows": flows}):
        bad.append(f"check failed: {c}")
for b in bad:
    print(f"FAIL: {mode}: {b}")
sys.exit(1 if bad else 0)
PY
}

# Leaks: every one found, and by the search that should find it.
run pcmu 1 'r["hits_by_encoding"].get("ulaw", 0) > 1000' 'flows[0]["g711_corr"] > 0.9' 'flows[0]["chi2"] > 10000' \
  'r["tshark_payload_types"] in (None, {"0": r["rtp_packets"]})'
run pcma 1 'r["hits_by_encoding"].get("alaw", 0) > 1000' 'flows[0]["g711_corr"] > 0.9' \
  'r["tshark_payload_types"] in (None, {"8": r["rtp_packets"]})'
run ulaw-sox 1 'r["hits_by_encoding"].get("ulaw-sox", 0) > 1000'
run pcmu-gain 1 'flows[0]["g711_corr"] > 0.9' 'r["hits"] < 2000'
run one-leak 1 'r["hits"] >= 1' 'r["plaintext_flows"] == 0'
[ $have_opus = 1 ] && run opus 1 'r["hits"] == 0' 'len(flows[0]["plaintext"]) >= 1' \
  'r["tshark_payload_types"] in (None, {"111": r["rtp_packets"]})'
# Clean streams: nothing found.
run srtp-like 0 'r["hits"] == 0' 'r["rtp_packets"] > 200' 'flows[0]["chi2"] < 400' 'flows[0]["g711_corr"] < 0.2' \
  'r["tshark_payload_types"] in (None, {"0": r["rtp_packets"]})'
run random 0 'r["hits"] == 0' 'r["udp_datagrams"] > 200'
# The same on the classic pcap format.
CAP=cap.pcap run pcmu 1 'r["hits"] > 1000'
CAP=cap.pcap run srtp-like 0 'r["hits"] == 0' 'r["rtp_packets"] > 200'
# A capture without RTP proves nothing: exit 3 when RTP packets were required.
out=$("$py" "$here/no_plaintext.py" cap.pcapng ref.wav --ports "$empty_port" --min-rtp-packets 50 2>&1); rc=$?
echo "no-rtp     rc=$rc $(head -n 1 <<<"$out")"
[ "$rc" -eq 3 ] || fail "an empty selection with --min-rtp-packets 50 exited $rc, expected 3 ($out)"

# Broken captures: truncated at many offsets, garbage, empty, missing; a clean exit each time.
: > empty.pcap
head -c 5000 /dev/urandom > garbage.pcap
printf '\x0a\x0d\x0d\x0a\xff\xff\xff\x7f\x4d\x3c\x2b\x1a' > badblock.pcapng
head -c 64 /dev/zero >> badblock.pcapng
bad_exit=0
for f in empty.pcap garbage.pcap badblock.pcapng missing.pcap; do
  "$py" "$here/no_plaintext.py" "$f" ref.wav >"trunc.out" 2>&1; rc=$?
  { [ "$rc" -eq 2 ] && ! grep -q Traceback trunc.out; } || { bad_exit=1; fail "$f: exit $rc, expected 2: $(tail -n 2 trunc.out)"; }
done
# Every prefix of the first 8 KB of both captures, and those 8 KB with each 7th byte flipped in
# turn: the parser returns the whole packets or raises BadCapture, never anything else.
"$py" - "$here" cap.pcapng cap.pcap <<'PY' || { bad_exit=1; fail "the capture parser broke on a truncated or corrupted capture"; }
import sys
sys.path.insert(0, sys.argv[1])
import no_plaintext as npl

def count(blob):
    try:
        return len(npl.udp_datagrams_in(blob))
    except npl.BadCapture:
        return -1

for path in sys.argv[2:]:
    data = open(path, "rb").read()[:8192]
    whole = count(data)
    assert whole > 10, (path, whole)
    last = -1
    for cut in range(len(data) + 1):
        n = count(data[:cut])
        assert n <= whole and (n >= last or n == -1), (path, cut, n, last, whole)
        last = max(last, n)
    assert count(data) == whole
    for pos in range(0, len(data), 7):
        count(data[:pos] + bytes([data[pos] ^ 0xFF]) + data[pos + 1:])
    print(f"{path}: {len(data) + 1} prefixes and {len(data) // 7 + 1} one-byte corruptions of its first 8 KB "
          f"({whole} datagrams) parsed cleanly")
PY
[ $bad_exit = 0 ] && echo "broken captures: clean exits (every prefix, byte flips, garbage, empty, missing)"
out=$("$py" "$here/no_plaintext.py" cap.pcapng no-such.wav 2>&1); rc=$?
[ "$rc" -eq 2 ] || fail "a missing reference exited $rc, expected 2 ($out)"

[ "$failed" -eq 0 ] && echo "all no_plaintext self-tests passed"
exit "$failed"
