#!/usr/bin/env bash
# End to end: blind transfer (RFC 3515 REFER) between three `warden phone`s through `warden proxy`
# on loopback. carol waits with `answer --auto --record`; bob waits with `answer --auto
# --transfer-to sip:carol@... --transfer-at 2s`; alice calls bob, playing espeak-ng speech. Then:
#   - bob printed transferring and transfer-progress status=200, hung up and exited 0
#   - alice printed transfer-requested target=sip:carol@..., calling sip:carol@...,
#     transfer-completed, and exited 0 after her speech played to carol
#   - carol received the INVITE with Referred-By: <sip:bob@...>, exited 0, and her recording
#     holds alice's speech (audio_match.py)
#
#   T1  PCMU, DTLS-SRTP, UDP
#   T2  PCMU, SDES-SRTP, TLS
#   T3  as T1 with bob interactive: `answer`, `transfer sip:carol@...` on his stdin; bob is then
#       idle and still registered, and exits 0 on EOF
#
# Usage: phone_transfer_test.sh WARDEN. Exit 0 passed, 1 failed, 77 skipped (espeak-ng, sox or
# numpy missing, or no --transfer-to). KEEP=1 keeps the folder; CASES="T2" runs some cases only.
set -u
warden=${1:?usage: phone_transfer_test.sh WARDEN}
source "$(dirname "$0")/lib_phone.sh"

e2e_require espeak-ng sox
e2e_init "$warden" phone-transfer
phone_available || e2e_skip "warden phone is not there yet"
"$WARDEN" phone --account x answer --help 2>&1 | grep -q -- '--transfer-to' || e2e_skip "warden phone has no --transfer-to"
CASES=${CASES:-T1 T2 T3}

CAROL_PW=carol-$RANDOM$RANDOM$RANDOM
out=$(printf '%s\n' "$CAROL_PW" | "$WARDEN" user add "carol@$E2E_DOMAIN" --data-dir "$E2E_WORK/data" 2>&1) ||
  die "warden user add carol@$E2E_DOMAIN failed: $out"
e2e_start_proxy
e2e_speech speech8k.wav 8000

transfer_case() {
  local tag=$1 tr=$2 keying=$3
  mkdir -p "$tag" && cd "$tag" || exit 1
  write_account alice "$tr" "$keying" PCMU
  write_account bob "$tr" "$keying" PCMU
  ALICE_PW=$CAROL_PW write_account carol "$tr" "$keying" PCMU
  if phone_answer carol -- --timeout 40s && phone_answer bob -- --transfer-to "sip:carol@$E2E_DOMAIN" --transfer-at 2s --timeout 40s; then
    PHONE_CALL_TIMEOUT=40 phone_call alice "sip:bob@$E2E_DOMAIN" -- --play "$E2E_WORK/speech8k.wav" --timeout 15s
    [ "$PHONE_RC" -eq 0 ] || fail "$tag: alice exited $PHONE_RC; stderr: $(tail -n 3 alice.err | tr '\n' '|')"
    phone_wait bob 10
    [ "$PHONE_RC" -eq 0 ] || fail "$tag: bob exited $PHONE_RC; stderr: $(tail -n 3 bob.err | tr '\n' '|')"
    phone_wait carol 10
    [ "$PHONE_RC" -eq 0 ] || fail "$tag: carol exited $PHONE_RC; stderr: $(tail -n 3 carol.err | tr '\n' '|')"
  fi
  expect_line bob "^transferring sip:carol@$E2E_DOMAIN\$" "$tag: bob sent the REFER"
  expect_line bob '^transfer-progress status=200' "$tag: bob learnt that the transfer succeeded"
  expect_line alice "^transfer-requested target=sip:carol@$E2E_DOMAIN by=.*bob@$E2E_DOMAIN" "$tag: alice got the REFER"
  expect_line alice "^calling sip:carol@$E2E_DOMAIN\$" "$tag: alice called carol"
  expect_line alice '^transfer-completed$' "$tag: alice's call to carol was answered"
  expect_line carol "^incoming sip:alice@$E2E_DOMAIN" "$tag: carol got alice's call"
  expect_line carol "^media codec=PCMU/8000 keying=" "$tag: carol's media"
  if grep -a -q -i "^Referred-By: <sip:bob@$E2E_DOMAIN>" carol.err; then
    log "ok: $tag: carol's INVITE carried Referred-By: <sip:bob@$E2E_DOMAIN>"
  else
    fail "$tag: carol's INVITE has no Referred-By naming bob"
  fi
  if [ -s carol.rec.wav ]; then
    e2e_audio "$E2E_WORK/speech8k.wav" carol.rec.wav "$tag: carol heard alice's speech"
  else
    fail "$tag: carol wrote no recording"
  fi
  cd "$E2E_WORK" || exit 1
}

# T3: the same with bob interactive: `answer`, then `transfer sip:carol@...` typed on his stdin;
# afterwards bob is idle and still registered (`status idle registered=yes`), and EOF exits 0.
transfer_interactive_case() {
  local i
  mkdir -p T3 && cd T3 || exit 1
  write_account alice udp dtls PCMU
  write_account bob udp dtls PCMU
  ALICE_PW=$CAROL_PW write_account carol udp dtls PCMU
  phone_answer carol -- --timeout 40s || { cd "$E2E_WORK" || exit 1; return; }
  mkfifo bob.in
  "$WARDEN" phone --account bob.toml --log-level debug interactive --tone 440 <bob.in >bob.out 2>bob.err &
  PHONE_PID_bob=$!
  INTEROP_PIDS+=("$!")
  exec 9>bob.in
  wait_for_line bob.out '^ready$' 20 "$PHONE_PID_bob" || fail "T3: interactive bob is not ready"
  PHONE_CALL_TIMEOUT=40 phone_call alice "sip:bob@$E2E_DOMAIN" -- --play "$E2E_WORK/speech8k.wav" --timeout 15s &
  local caller=$!
  wait_for_line bob.out "^incoming sip:alice@$E2E_DOMAIN" 15 "$PHONE_PID_bob" || fail "T3: bob got no call"
  echo answer >&9
  wait_for_line bob.out '^media codec=' 10 "$PHONE_PID_bob" || fail "T3: bob's call has no media"
  sleep 1
  echo "transfer sip:carol@$E2E_DOMAIN" >&9
  wait_for_line bob.out '^transfer-succeeded$' 15 "$PHONE_PID_bob" || fail "T3: bob saw no transfer-succeeded"
  wait_for_line bob.out '^ended reason=' 10 "$PHONE_PID_bob" || fail "T3: bob's call did not end"
  echo status >&9
  wait_for_line bob.out '^status idle registered=yes$' 5 "$PHONE_PID_bob" || fail "T3: bob is not idle and registered after the transfer"
  wait "$caller"
  expect_line alice '^transfer-completed$' "T3: alice's call to carol was answered"
  expect_line alice '^ended reason="local hangup"' "T3: alice hung up on carol when her speech ended"
  phone_wait carol 10
  [ "$PHONE_RC" -eq 0 ] || fail "T3: carol exited $PHONE_RC"
  exec 9>&-
  phone_wait bob 10
  [ "$PHONE_RC" -eq 0 ] && log "ok: T3: interactive bob transferred alice to carol and exited 0 on EOF" || fail "T3: bob exited $PHONE_RC"
  if [ -s carol.rec.wav ]; then
    e2e_audio "$E2E_WORK/speech8k.wav" carol.rec.wav "T3: carol heard alice's speech"
  else
    fail "T3: carol wrote no recording"
  fi
  cd "$E2E_WORK" || exit 1
}

[[ " $CASES " == *" T1 "* ]] && { log "--- T1: transfer, PCMU, DTLS-SRTP, UDP"; transfer_case T1 udp dtls; }
[[ " $CASES " == *" T2 "* ]] && { log "--- T2: transfer, PCMU, SDES-SRTP, TLS"; transfer_case T2 tls sdes; }
[[ " $CASES " == *" T3 "* ]] && { log "--- T3: transfer typed on an interactive bob"; transfer_interactive_case; }
e2e_done
