#!/usr/bin/env bash
# End to end: two `warden phone ... interactive` driven through fifos on their standard input,
# through `warden proxy` on loopback (DTLS-SRTP over UDP). The script types:
#   1. alice: `answer`, `hold`, `transfer URI` with no call and an unknown word -> error lines; `call sip:bob@...`; bob is told `incoming`
#      and answers only when told `answer`; both print media; alice `dtmf 123` -> bob prints
#      `dtmf digit=1`, 2, 3 in that order; bob `status` -> in-call; alice `hangup`: both end
#   2. a second call the other way (the per-call state was reset): bob calls, alice answers,
#      bob `hold` / `resume` (held / resumed lines), bob `hangup`
#   3. a third call that bob `reject`s: alice prints `failed status=603`
#   4. alice `quit`, bob's standard input closes (EOF): both unregister and exit 0
# Usage: phone_interactive_test.sh WARDEN. Exit 0 passed, 1 failed, 77 skipped. KEEP=1 keeps the
# folder.
set -u
warden=${1:?usage: phone_interactive_test.sh WARDEN}
source "$(dirname "$0")/lib_phone.sh"

e2e_init "$warden" phone-interactive
phone_available || e2e_skip "warden phone is not there yet"
"$WARDEN" phone --account x interactive --help >/dev/null 2>&1 || e2e_skip "warden phone has no interactive mode"
e2e_start_proxy
write_account alice udp dtls PCMU
write_account bob udp dtls PCMU

# wait_count NAME REGEX N SECONDS: until N lines of NAME.out match REGEX.
wait_count() {
  local name=$1 re=$2 n=$3 secs=$4 i
  for ((i = 0; i < secs * 10; i++)); do
    [ "$(grep -c -E "$re" "$name.out" 2>/dev/null)" -ge "$n" ] && return 0
    sleep 0.1
  done
  fail "$name: fewer than $n lines match /$re/ within $secs s (output: $(tr '\n' '|' <"$name.out" | cut -c1-800))"
  return 1
}

start_interactive() {
  local name=$1 fd=$2
  mkfifo "$name.in"
  "$WARDEN" phone --account "$name.toml" --log-level debug interactive --tone 440 --record "$name.rec.wav" \
    <"$name.in" >"$name.out" 2>"$name.err" &
  printf -v "PHONE_PID_$name" '%s' "$!"
  INTEROP_PIDS+=("$!")
  eval "exec $fd>$name.in"
}
start_interactive alice 7
start_interactive bob 8
wait_count alice '^ready$' 1 20 && wait_count bob '^ready$' 1 20 || e2e_done

log "--- 1: alice calls bob, DTMF, alice hangs up"
echo "answer" >&7
wait_count alice '^error no incoming call' 1 5
echo "hold" >&7
wait_count alice '^error no call to hold' 1 5
echo "transfer sip:bob@$E2E_DOMAIN" >&7
wait_count alice '^error no call to transfer' 1 5
echo "frobnicate" >&7
wait_count alice "^error unknown command 'frobnicate'" 1 5
echo "call sip:bob@$E2E_DOMAIN" >&7
wait_count bob "^incoming sip:alice@$E2E_DOMAIN" 1 10
sleep 1.5
grep -q '^answered' bob.out && fail "bob answered before he was told to"
echo "answer" >&8
wait_count alice '^media codec=PCMU/8000 keying=dtls-srtp' 1 10
wait_count bob '^media codec=PCMU/8000 keying=dtls-srtp' 1 10
echo "dtmf 123" >&7
wait_count bob '^dtmf digit=' 3 10
digits=$(grep -E '^dtmf digit=' bob.out | sed 's/^dtmf digit=\(.\).*/\1/' | tr -d '\n')
[ "$digits" = 123 ] && log "ok: bob received the digits 123" || fail "bob received the digits '$digits', expected 123"
echo "status" >&8
wait_count bob "^status in-call sip:alice@$E2E_DOMAIN held=no codec=PCMU" 1 5
echo "hangup" >&7
wait_count alice '^ended reason=' 1 10
wait_count bob '^ended reason=' 1 10
wait_count bob '^report \{' 1 5

log "--- 2: bob calls alice, holds, resumes, hangs up"
echo "call sip:alice@$E2E_DOMAIN" >&8
wait_count alice "^incoming sip:bob@$E2E_DOMAIN" 1 10
echo "answer" >&7
wait_count bob '^media codec=' 2 10
wait_count alice '^media codec=' 2 10
sleep 1
echo "hold" >&8
wait_count bob '^held direction=sendonly$' 1 10
wait_count alice '^reoffer direction=held$' 1 10
echo "resume" >&8
wait_count bob '^resumed direction=sendrecv$' 1 10
sleep 1
echo "hangup" >&8
wait_count alice '^ended reason=' 2 10
wait_count bob '^ended reason=' 2 10
# the second call carried media both ways again (the reports of call 2)
for n in alice bob; do
  grep -E '^report \{' "$n.out" | sed -n 2p | sed 's/^report //' >"$n.r2.json"
  "$E2E_PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["media"]["packets_received"] >= 50 else 1)' "$n.r2.json" ||
    fail "$n: the second call's report shows no media: $(cat "$n.r2.json")"
done

log "--- 3: bob rejects a call"
echo "call sip:bob@$E2E_DOMAIN" >&7
wait_count bob "^incoming sip:alice@$E2E_DOMAIN" 2 10
echo "reject" >&8
wait_count alice '^failed status=603' 1 10

log "--- 4: quit and EOF"
echo "quit" >&7
exec 8>&-
exec 7>&-
phone_wait alice 10
[ "$PHONE_RC" -eq 0 ] && log "ok: alice quit with 0" || fail "alice exited $PHONE_RC after quit"
phone_wait bob 10
[ "$PHONE_RC" -eq 0 ] && log "ok: bob exited 0 on EOF" || fail "bob exited $PHONE_RC after EOF on its standard input"
e2e_done
