#!/usr/bin/env bash
# Attack: scripted SIP attacks against `warden proxy` (issue 5), each from a third loopback
# address, each refused while the call or registration it targets goes on unharmed.
#
# Addresses: warden 127.0.0.1, the caller alice 127.0.0.2, the callee bob 127.0.0.3 (his phone,
# registered there), the attacker 127.0.0.66. Warden has no peers: alice and the attacker's own
# account (mallory) are local users who authenticate (MD5 digests: SIPp 3.6.1 knows no other).
# The victims are SIPp scenarios that trace their messages (-trace_msg); sipp_trace.py reads the
# values an attacker needs from that trace (Via branch, Call-ID, tags, route, Authorization) and
# the attacker is a SIPp scenario of its own that gets them through -key and -cid_str.
#
#   1. forged CANCEL: alice calls bob, bob rings (180, then 4 s); the attacker sends a CANCEL with
#      the INVITE's Request-URI, Via (branch), From, To, Call-ID and CSeq: warden answers 481, bob
#      sees no CANCEL, then answers 200 and the call goes on (ACK).
#   2. forged BYE, in the same call once it is established: the dialog's Call-ID, both tags, its
#      route (warden's Record-Route) and bob's contact as Request-URI: 403 or 481, bob sees no
#      BYE from the attacker (it is marked X-Attack), then alice's own BYE reaches bob, 200.
#   3. registration hijack with credentials of one's own: REGISTER To bob, authenticated as
#      mallory, contact the attacker's: 403; then a MESSAGE from alice to bob reaches bob's phone
#      at 127.0.0.3 and nothing reaches the attacker's contact.
#   4. replay of bob's captured REGISTER with its Authorization (same nonce, nc, cnonce,
#      response) from the attacker: as captured, and with a new branch, CSeq + 1 and the
#      attacker's contact: no 200 (401/403 or silence); bob's binding unchanged (as in 3).
#   5. redirect hijack: bob's side answers alice's INVITE with 301 Moved Permanently, Contact
#      <sip:bob@evil.test>: alice gets 502 (no 301) and evil.test appears nowhere in it.
# A listener on the attacker's contact (127.0.0.66) must receive nothing during the whole test.
# Every check runs even after a failure; warden must still be alive and exit 0 on SIGTERM.
#
# Usage: scripted_test.sh WARDEN_BINARY. Exit 0 passed, 1 failed (FAIL: lines), 77 (ctest SKIP)
# when sipp or python3 is missing. KEEP=1 keeps the work folder (kept anyway on failure): one
# folder per SIPp run with its trace (*_messages.log), warden.err (log level info: the security
# events). Takes ~25 s.
set -u
warden=${1:?usage: scripted_test.sh WARDEN_BINARY}
warden=$(cd "$(dirname "$warden")" && pwd)/$(basename "$warden")
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../interop/lib.sh"
ATTACK=$here/scenarios
trace=$here/sipp_trace.py

for tool in sipp python3 timeout; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/install-deps.sh installs it)"; exit 77; }
done

DOMAIN=attack.test
CALLER_IP=127.0.0.2
CALLEE_IP=127.0.0.3
ATTACKER_IP=127.0.0.66

work=$(mktemp -d /tmp/warden-scripted-test.XXXXXX)
finish() {
  local rc=$?
  stop_all
  if [ "$rc" -eq 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$work"; else echo "files kept in $work"; fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 1' INT TERM
cd "$work" || exit 1
t_start=$SECONDS

port=$(free_port)
bob_port=$(free_port)
trap_port=$(free_port)   # the attacker's contact: nothing may ever arrive there
log "warden on 127.0.0.1:$port; alice $CALLER_IP, bob $CALLEE_IP:$bob_port, attacker $ATTACKER_IP (contact :$trap_port); files in $work"

# --- accounts and the proxy ---------------------------------------------------------------------
salt=$RANDOM$RANDOM
for u in alice bob mallory; do echo "$u@$DOMAIN,pw-$u-$salt"; done > accounts.csv
out=$("$warden" user import accounts.csv --data-dir "$work/data" 2>&1) || die "warden user import failed: $out"
auth_line() { printf '[authentication username=%s password=pw-%s-%s]' "$1" "$1" "$salt"; }
printf 'SEQUENTIAL\nalice;%s;%s\n' "$DOMAIN" "$(auth_line alice)" > alice.inf
printf 'SEQUENTIAL\nbob;%s;%s;%s:%s\n' "$DOMAIN" "$(auth_line bob)" "$CALLEE_IP" "$bob_port" > bob-register.inf
# mallory's own (valid) credentials, bob's address-of-record, the attacker's contact
printf 'SEQUENTIAL\nbob;%s;%s;%s:%s\n' "$DOMAIN" "$(auth_line mallory)" "$ATTACKER_IP" "$trap_port" > hijack.inf

cat > warden.toml <<EOF
domains = ["$DOMAIN"]
[auth]
algorithms = ["MD5"]    # all SIPp 3.6.1 computes
# no [proxy] peers: every caller is a local user who authenticates
EOF
WARDEN_LOG_LEVEL=info start_warden "$warden" "$work/data" "$port" warden warden.toml
log "ok: warden proxy is ready (pid $WARDEN_PID)"

# The attacker's contact: a listener that writes down every datagram that reaches it.
python3 -u - "$ATTACKER_IP" "$trap_port" >trap.log 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
print("listening", flush=True)
while True:
    data, src = s.recvfrom(65535)
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    print("from %s:%d: %s" % (src[0], src[1], line), flush=True)
PY
INTEROP_PIDS+=("$!")
wait_for_line trap.log '^listening' 5 || die "the listener on the attacker's contact did not start: $(cat trap.log)"

sipp_common=(-default_behaviors all,-bye -trace_msg)
to_warden=127.0.0.1:$port

# expect_ok NAME WHAT: SIPp exit 0 and one successful call.
expect_ok() { expect_sipp "$1" 1 "$2"; }
# answers NAME: the status lines the SIPp run NAME received ("none" when it got no answer).
answers() {
  local a
  a=$(cat "$1"/*_messages.log 2>/dev/null | tr -d '\r' | grep -E '^SIP/2\.0 [0-9]{3}' | sort | uniq -c |
      sed -E 's/^ *([0-9]+) SIP\/2\.0 /\1 x /' | paste -sd, -)
  echo "${a:-none}"
}
# attacker_run NAME WHAT SIPP-ARGS...: an attacker's SIPp run, checked and its answers shown.
attacker_run() {
  local name=$1 what=$2; shift 2
  sipp_run "$name" "$@"
  expect_ok "$name" "$what" && log "    $name got: $(answers "$name")"
}

# keys_of: sipp_trace.py's name=value lines as SIPp arguments (-key name value; -cid_str Call-ID).
keys_of() {
  KEYS=()
  local line
  while IFS= read -r line; do
    case $line in
      a_cid=*) KEYS+=(-cid_str "${line#a_cid=}") ;;
      a_*=*) KEYS+=(-key "${line%%=*}" "${line#*=}") ;;
    esac
  done
}

# route_check WHAT: a MESSAGE from alice to bob must reach bob's phone at his own contact
# ($CALLEE_IP:$bob_port; uas_route_check.xml puts X-Route-Check in its 200) and nothing else.
route_check() {
  local n=route-check-$1
  sipp_start "$n-uas" -sf "$SCENARIOS/uas_route_check.xml" -i "$CALLEE_IP" -p "$bob_port" -m 1 -timeout 20 \
    "${sipp_common[@]}"
  sleep 0.3
  sipp_run "$n" -sf "$ATTACK/uac_message_auth.xml" -inf "$work/alice.inf" -s bob -auth_uri "bob@$DOMAIN" -m 1 \
    -i "$CALLER_IP" -p "$(free_port)" "${sipp_common[@]}" "$to_warden"
  expect_ok "$n" "$2: a MESSAGE from alice to bob still reaches bob's phone at $CALLEE_IP:$bob_port"
  sipp_wait "$n-uas" 5
  expect_ok "$n-uas" "$2: bob's phone answered the MESSAGE"
}

# --- bob registers from his own address --------------------------------------------------------------
sipp_run bob-register -sf "$SCENARIOS/register.xml" -inf "$work/bob-register.inf" -auth_uri "$DOMAIN" -m 1 \
  -i "$CALLEE_IP" -p "$(free_port)" "${sipp_common[@]}" "$to_warden"
expect_ok bob-register "bob registers from $CALLEE_IP with digest (contact $CALLEE_IP:$bob_port)" ||
  die "without bob's registration nothing else can be tested"

# --- 3. REGISTER of bob's address-of-record with mallory's own credentials ----------------------------
attacker_run hijack "3. REGISTER To bob from $ATTACKER_IP, authenticated as mallory (valid credentials), is answered 403" \
  -sf "$ATTACK/attacker_register_other.xml" -inf "$work/hijack.inf" -auth_uri "$DOMAIN" -m 1 \
  -i "$ATTACKER_IP" -p "$(free_port)" "${sipp_common[@]}" "$to_warden"
route_check hijack "3. after the hijack attempt"

# --- 4. replay of bob's REGISTER with its Authorization --------------------------------------------
reg_trace=$(ls bob-register/*_messages.log 2>/dev/null | head -n 1)
if ! python3 "$trace" replay "$reg_trace" >replay-asis.keys; then
  fail "4. could not read bob's REGISTER with Authorization from his trace ($reg_trace)"
else
  keys_of <replay-asis.keys
  log "4. replaying bob's REGISTER ($(grep -o ',nonce="[^"]*"' replay-asis.keys | cut -c2-30)..., $(grep -o 'nc=[0-9a-f]*' replay-asis.keys)) from $ATTACKER_IP"
  attacker_run replay-asis "4a. bob's REGISTER replayed as captured (same Via, CSeq, Contact, Authorization) gets no 200" \
    -sf "$ATTACK/attacker_replay_register.xml" "${KEYS[@]}" -m 1 -i "$ATTACKER_IP" \
    -p "$(free_port)" "${sipp_common[@]}" "$to_warden"
  rport=$(free_port)
  python3 "$trace" replay "$reg_trace" "SIP/2.0/UDP $ATTACKER_IP:$rport;branch=z9hG4bK-replay-$salt;rport" \
    "<sip:bob@$ATTACKER_IP:$trap_port>" >replay-moved.keys
  keys_of <replay-moved.keys
  attacker_run replay-moved "4b. the same Authorization with a new branch, CSeq + 1 and the attacker's contact gets no 200" \
    -sf "$ATTACK/attacker_replay_register.xml" "${KEYS[@]}" -m 1 -i "$ATTACKER_IP" \
    -p "$rport" "${sipp_common[@]}" "$to_warden"
fi
route_check replay "4. after the replays"

# --- 1. and 2.: one call from alice to bob, a forged CANCEL while it rings, a forged BYE once it is up
sipp_start call-uas -sf "$ATTACK/uas_guarded_call.xml" -i "$CALLEE_IP" -p "$bob_port" -m 1 -timeout 30 \
  "${sipp_common[@]}"
sleep 0.3
# the caller keeps the established call up for 3 s before its BYE
sipp_start call-uac -sf "$ATTACK/uac_guarded_call.xml" -inf "$work/alice.inf" -s bob -auth_uri "bob@$DOMAIN" \
  -d 3000 -m 1 -timeout 30 -i "$CALLER_IP" -p "$(free_port)" "${sipp_common[@]}" "$to_warden"
uac_trace() { ls call-uac/*_messages.log 2>/dev/null | head -n 1; }
for _ in $(seq 50); do [ -n "$(uac_trace)" ] && break; sleep 0.1; done

# 1. bob is ringing (alice got the 180): the forged CANCEL
if ! python3 "$trace" wait "$(uac_trace)" '^SIP/2\.0 180 ' 3; then
  fail "1. alice's call to bob did not ring within 3 s (no 180 in call-uac's trace)"
else
  python3 "$trace" cancel "$(uac_trace)" >cancel.keys || fail "1. could not read alice's INVITE from the trace"
  keys_of <cancel.keys
  attacker_run forged-cancel "1. a CANCEL copying the ringing INVITE (branch, Call-ID, From, To, CSeq) from $ATTACKER_IP is answered 481" \
    -sf "$ATTACK/attacker_cancel.xml" "${KEYS[@]}" -m 1 -i "$ATTACKER_IP" \
    -p "$(free_port)" "${sipp_common[@]}" "$to_warden"
fi

# 2. the call is established (alice got the 200 and sent her ACK): the forged BYE
if ! python3 "$trace" wait "$(uac_trace)" '^CSeq: 2 ACK' 8; then
  fail "2. alice's call to bob was not established within 8 s (no ACK in call-uac's trace)"
else
  python3 "$trace" bye "$(uac_trace)" >bye.keys || fail "2. could not read the dialog from the trace"
  keys_of <bye.keys
  attacker_run forged-bye "2. a BYE with the dialog's Call-ID, tags and route from $ATTACKER_IP is answered 403 or 481" \
    -sf "$ATTACK/attacker_bye.xml" "${KEYS[@]}" -m 1 -i "$ATTACKER_IP" \
    -p "$(free_port)" "${sipp_common[@]}" "$to_warden"
fi

sipp_wait call-uac 15
expect_ok call-uac "1.+2. alice's call survives both: 200 after the ringing, ACK, her own BYE answered 200"
sipp_wait call-uas 5
expect_ok call-uas "1.+2. bob's phone: the call was never cancelled, and the only BYE it got was alice's"
cancels=$(sipp_counts_sum call-uas '_CANCEL_Recv$')
byes=$(sipp_counts_sum call-uas '_BYE_Recv$')
if [ "$cancels" = 0 ] && [ "$byes" = 1 ]; then
  log "ok: bob's phone got 0 CANCELs and 1 BYE"
else
  fail "bob's phone got $cancels CANCELs (expected 0) and $byes BYEs (expected 1: alice's)"
fi

# --- 5. a 301 to another domain from downstream -------------------------------------------------------
sipp_start redirect-uas -sf "$ATTACK/uas_redirect.xml" -i "$CALLEE_IP" -p "$bob_port" -m 1 -timeout 20 \
  "${sipp_common[@]}"
sleep 0.3
attacker_run redirect-uac "5. bob's side answers 301 Contact <sip:bob@evil.test>: alice gets 502, no 301, no evil.test" \
  -sf "$ATTACK/uac_call_redirected.xml" -inf "$work/alice.inf" -s bob -auth_uri "bob@$DOMAIN" \
  -m 1 -i "$CALLER_IP" -p "$(free_port)" "${sipp_common[@]}" "$to_warden"
sipp_wait redirect-uas 5
expect_ok redirect-uas "5. the 301 was acknowledged (ACK from warden)"

# --- nothing ever reached the attacker's contact; warden is alive and stops cleanly -----------------------
if grep -q '^from ' trap.log; then
  fail "the attacker's contact $ATTACKER_IP:$trap_port received: $(grep '^from ' trap.log | head -n 3 | tr '\n' '|')"
else
  log "ok: nothing reached the attacker's contact $ATTACKER_IP:$trap_port"
fi
kill -0 "$WARDEN_PID" 2>/dev/null || die "warden proxy died during the test (stderr: $(tail -n 5 warden.err))"
log "warden's security events:"
grep -E 'security event' warden.err | sed -E 's/^[^ ]+ //' | sed 's/^/    /' | head -n 20
stop_pid "$WARDEN_PID" 10; rc=$?
if [ "$rc" -eq 0 ]; then log "ok: warden proxy exits 0 on SIGTERM"; else fail "warden proxy exited with status $rc on SIGTERM (expected 0)"; fi
if [ "$INTEROP_FAILED" -ne 0 ]; then
  echo "FAILED: see the FAIL: lines above ($((SECONDS - t_start)) s)" >&2
  exit 1
fi
log "all scripted attacks refused, every victim unharmed, in $((SECONDS - t_start)) s"
