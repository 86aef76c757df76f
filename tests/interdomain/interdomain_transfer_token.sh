#!/usr/bin/env bash
# The transfer token (issue 7, sip/identity/referral_token.hpp) end to end: one `warden proxy`
# serves a.test (users alice, bob, carol, mallory) with SIP Identity's certificate (test PKI,
# served over HTTPS on sip.a.test, found by DNS) and [transfer] sign = true, verify = true.
#   1. alice calls bob; bob answers and blind-transfers her to carol (--transfer-to): the proxy
#      challenges bob's REFER and signs its Referred-By (rtoken=JWS); alice's phone calls carol
#      with that Referred-By; carol's phone prints `referred-by <sip:bob@a.test>;rtoken=...`
#      and answers; media flows.
#   2. mallory calls carol with `--header "Referred-By: <that exact value>"`: 403 (the token
#      names alice as the referee), and carol's phone gets no second call.
#   3. alice calls carol with the token changed in one character of its signature: 403.
#   4. alice calls carol with the exact value again: accepted (the token is not single-use
#      within its lifetime; this shows the two refusals are about the token, not the header).
# carol is an interactive phone that the test answers for. Runs inside a private network
# namespace (lib_interdomain.sh) for DNS (the info URL's host); no packet leaves it.
# Usage: interdomain_transfer_token.sh WARDEN. Exit 0 passed, 1 failed, 77 skipped (not root,
# dnsmasq missing, a phone without --header). KEEP=1 keeps the work folder.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../interop/lib.sh
. "$HERE/../interop/lib.sh"
# shellcheck source=lib_interdomain.sh
. "$HERE/lib_interdomain.sh"

WARDEN=$(readlink -f "${1:?usage: interdomain_transfer_token.sh WARDEN}")
[ -x "$WARDEN" ] || { echo "SKIP: $WARDEN is not executable"; exit 77; }
command -v /usr/sbin/dnsmasq >/dev/null || { echo "SKIP: dnsmasq (dnsmasq-base) is not installed"; exit 77; }
"$WARDEN" phone --account x call --help 2>&1 | grep -q -- '--header' || { echo "SKIP: warden phone has no --header"; exit 77; }
enter_test_namespace "$0" "$@"

W=$(mktemp -d /tmp/warden-rtoken.XXXXXX)
cleanup() {
  { exec 9>&-; } 2>/dev/null
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
WARDEN_EXTRA_TOML='[transfer]\nsign = true\nverify = true' \
  start_warden_provider "$WARDEN" "$W/a" a.test "$A_IP" "$A_SIP_PORT" "$A_TLS_PORT" "$B_IP" "$W/pki" \
  alice:alice-pw-1 bob:bob-pw-2 carol:carol-pw-3 mallory:mallory-pw-4
A_PID=$WARDEN_PID
ip_of() { case $1 in alice) echo 127.0.0.12 ;; bob) echo 127.0.0.14 ;; carol) echo 127.0.0.15 ;; mallory) echo 127.0.0.16 ;; esac; }
n=1
for u in alice bob carol mallory; do
  write_warden_phone "$W/$u.toml" "$u" a.test "$u-pw-$n" "$A_IP:$A_SIP_PORT" "$(ip_of $u)"
  n=$((n + 1))
done

# carol: interactive, stays registered across calls; every incoming call is answered by
# carol_answerer (one `answer` line per new `incoming` line).
mkfifo "$W/carol.in"
"$WARDEN" phone --account "$W/carol.toml" --log-level debug interactive --tone 660 <"$W/carol.in" \
  >"$W/carol.out" 2>"$W/carol.err" &
CAROL_PID=$!
INTEROP_PIDS+=("$CAROL_PID")
exec 9>"$W/carol.in"
wait_for_line "$W/carol.out" '^ready$' 20 "$CAROL_PID" || die "carol's phone is not ready: $(tr '\n' '|' <"$W/carol.out")"
carol_answerer() {
  local seen=0 n
  while kill -0 "$CAROL_PID" 2>/dev/null; do
    n=$(grep -c '^incoming' "$W/carol.out")
    if [ "$n" -gt "$seen" ]; then seen=$n; sleep 0.3; echo answer >&9; fi
    sleep 0.1
  done
}
carol_answerer &
ANSWERER_PID=$!
INTEROP_PIDS+=("$ANSWERER_PID")
carol_calls() { grep -c '^incoming' "$W/carol.out"; }

# call_carol NAME LABEL [ARGS...]: NAME's phone calls carol (ARGS after `call URI`); CALL_RC.
call_carol() {
  local name=$1 label=$2; shift 2
  timeout -k 5 30 "$WARDEN" phone --account "$W/$name.toml" --log-level debug call sip:carol@a.test \
    --timeout 10s "$@" >"$W/$label.out" 2>"$W/$label.err"
  CALL_RC=$?
}

# --- 1. the transfer ---------------------------------------------------------------------------
"$WARDEN" phone --account "$W/bob.toml" --log-level debug answer --auto --timeout 30s \
  --transfer-to sip:carol@a.test --transfer-at 1s >"$W/bob.out" 2>"$W/bob.err" &
BOB_PID=$!
INTEROP_PIDS+=("$BOB_PID")
wait_for_line "$W/bob.out" '^ready$' 20 "$BOB_PID" || die "bob's phone is not ready: $(tr '\n' '|' <"$W/bob.out")"
timeout -k 5 40 "$WARDEN" phone --account "$W/alice.toml" --log-level debug call sip:bob@a.test \
  --tone 440 --hangup-after 3s --timeout 15s >"$W/alice.out" 2>"$W/alice.err"
rc=$?
wait_pid "$BOB_PID" 10
[ "$rc" = 0 ] || fail "1: alice's phone exited $rc: $(tr '\n' '|' <"$W/alice.out" | cut -c1-600)"
grep -q '^transfer-progress status=200' "$W/bob.out" && log "ok: 1: bob's transfer succeeded" ||
  fail "1: bob saw no transfer-progress status=200: $(tr '\n' '|' <"$W/bob.out" | cut -c1-600)"
grep -q '^transfer-completed$' "$W/alice.out" && log "ok: 1: alice's call to carol was answered" ||
  fail "1: alice printed no transfer-completed: $(tr '\n' '|' <"$W/alice.out" | cut -c1-600)"
wait_for_line "$W/carol.out" '^ended reason=' 10 "$CAROL_PID" || fail "1: carol's call did not end"
grep -q -E '^incoming sip:alice@a\.test( |$)' "$W/carol.out" || fail "1: carol's phone shows no call from alice"
RB=$(sed -n 's/^referred-by //p' "$W/carol.out" | head -n1)
if [[ "$RB" =~ ^\<sip:bob@a\.test\>\;rtoken=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$ ]]; then
  log "ok: 1: carol's phone: referred-by ${RB:0:60}..."
else
  fail "1: carol's phone printed no 'referred-by <sip:bob@a.test>;rtoken=JWS' line (got '${RB:0:200}')"
fi
grep -q '^answered$' "$W/carol.out" && grep -q '^media ' "$W/carol.out" && log "ok: 1: carol answered, media ran" ||
  fail "1: carol's call was not answered with media: $(tr '\n' '|' <"$W/carol.out" | cut -c1-600)"
[ "$(carol_calls)" = 1 ] || fail "1: carol saw $(carol_calls) calls, not 1"

if [ -n "$RB" ]; then
  # --- 2. mallory replays the Referred-By: refused, carol is not disturbed ---------------------
  call_carol mallory mallory --header "Referred-By: $RB" --hangup-after 1s
  if [ "$CALL_RC" = 4 ] && grep -q '^failed status=403' "$W/mallory.out"; then
    log "ok: 2: mallory's call with alice's token: $(grep -m1 '^failed' "$W/mallory.out")"
  else
    fail "2: mallory's call with alice's token was not refused with 403 (exit $CALL_RC): $(tr '\n' '|' <"$W/mallory.out" | cut -c1-400)"
  fi
  grep -q -F "Referred-By: $RB" "$W/mallory.err" || fail "2: mallory's INVITE did not carry the Referred-By verbatim"
  sleep 1
  [ "$(carol_calls)" = 1 ] && log "ok: 2: carol got no second call" || fail "2: carol's phone rang for mallory's call"

  # --- 3. one character of the signature changed: refused -----------------------------------
  sig=${RB##*.}
  at=$(( ${#sig} / 2 ))
  c=${sig:$at:1}; r=A; [ "$c" = A ] && r=B
  TAMPERED=${RB%.*}.${sig:0:$at}$r${sig:$((at + 1))}
  [ "$TAMPERED" != "$RB" ] && [ ${#TAMPERED} = ${#RB} ] || die "3: the tampered token is not one character off"
  call_carol alice alice-tampered --header "Referred-By: $TAMPERED" --hangup-after 1s
  if [ "$CALL_RC" = 4 ] && grep -q '^failed status=403' "$W/alice-tampered.out"; then
    log "ok: 3: alice's call with a token one character off: $(grep -m1 '^failed' "$W/alice-tampered.out")"
  else
    fail "3: a tampered token was not refused with 403 (exit $CALL_RC): $(tr '\n' '|' <"$W/alice-tampered.out" | cut -c1-400)"
  fi
  sleep 1
  [ "$(carol_calls)" = 1 ] || fail "3: carol's phone rang for the tampered token"

  # --- 4. the referee herself, the exact token: accepted --------------------------------------
  call_carol alice alice-again --header "Referred-By: $RB" --tone 440 --hangup-after 1s
  if [ "$CALL_RC" = 0 ] && [ "$(carol_calls)" = 2 ] && grep -q '^answered$' "$W/alice-again.out"; then
    log "ok: 4: alice's own retry with the exact token reached carol"
  else
    fail "4: alice's retry with the exact token did not reach carol (exit $CALL_RC, carol's calls $(carol_calls)): $(tr '\n' '|' <"$W/alice-again.out" | cut -c1-400)"
  fi
fi

stop_pid "$ANSWERER_PID" 2   # it holds the fifo open too
exec 9>&-   # EOF: carol quits
wait_pid "$CAROL_PID" 10
[ "$WAIT_RC" = 0 ] || fail "carol's phone exited $WAIT_RC on EOF"
kill -TERM "$A_PID" 2>/dev/null
wait_pid "$A_PID" 40
[ "$WAIT_RC" = 0 ] || fail "warden a.test exited $WAIT_RC on SIGTERM"
[ "${INTEROP_FAILED:-0}" = 0 ] || exit 1
log "PASS: the transfer's token reached carol; replayed by mallory or altered, it was refused"
