#!/usr/bin/env bash
# Interop: `warden proxy` against peers nobody here wrote (SIPp, sipsak, sipvicious), on loopback.
#
#   1. 1,000 accounts imported with `warden user import`; SIPp registers all of them with digest
#      authentication (401, then REGISTER with Authorization): SIPp exit 0, 1,000 successful calls.
#   2. A SIPp UAS registers as callee@interop.test. A caller from a foreign domain calls it through
#      the proxy (INVITE, 180, 200, ACK and BYE along the Record-Route set) without credentials.
#   3. Local users call it too: 407 first, then the INVITE with Proxy-Authorization.
#      The UAS must see every call, its ACK and its BYE.
#   4. A MESSAGE and an OPTIONS from a foreign domain to registered users reach the UA at their
#      contact (the proxy answers an OPTIONS itself only when it is addressed to the proxy).
#   5. sipsak's OPTIONS ping and sipvicious' svmap scan get a well-formed answer.
# Every check runs even when an earlier one failed; the exit status is 1 if any failed.
#
# Usage: sipp_test.sh WARDEN_BINARY. Exit 0 on success, 1 with a FAIL: line on failure, 77 (ctest
# SKIP) when a tool is missing (scripts/install-deps.sh installs them). KEEP=1 keeps the folder
# with every log; it is kept anyway on failure.
#
# SIPp 3.6.1 computes MD5 (and AKAv1-MD5) digests only, and takes the algorithm of the first
# challenge it is given, so warden is configured here with [auth] algorithms = ["MD5"]
# (see tests/interop/README.md).
set -u
warden=${1:?usage: sipp_test.sh WARDEN_BINARY}
warden=$(cd "$(dirname "$warden")" && pwd)/$(basename "$warden")
source "$(dirname "$0")/lib.sh"

for tool in sipp sipsak svmap python3 timeout; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/install-deps.sh installs it)"; exit 77; }
done

USERS=${USERS:-1000}          # accounts registered in step 1
FOREIGN_CALLS=${FOREIGN_CALLS:-200}
LOCAL_CALLS=${LOCAL_CALLS:-200}
DOMAIN=interop.test
# Where the SIPp UAS (callee@interop.test) listens. 127.0.0.1 is also warden's own address: a
# phone on the proxy's host must be reachable, in-dialog requests included. UAS_IP=127.0.0.2
# moves it elsewhere on loopback, to look past a failure there.
UAS_IP=${UAS_IP:-127.0.0.1}
[[ $UAS_IP =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "UAS_IP must be a loopback address (127.x.y.z)" >&2; exit 2; }

work=$(mktemp -d /tmp/warden-sipp-test.XXXXXX)
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
uas_port=$(free_port)
while [ "$uas_port" = "$port" ]; do uas_port=$(free_port); done
log "warden on udp/tcp 127.0.0.1:$port, SIPp UAS on $UAS_IP:$uas_port, files in $work"

# --- accounts -------------------------------------------------------------------------------
write_accounts "$USERS" "$DOMAIN" accounts.csv register.inf "$UAS_IP:$uas_port" user
callee_pw=pw-callee-$RANDOM$RANDOM
echo "callee@$DOMAIN,$callee_pw" >> accounts.csv
printf 'SEQUENTIAL\ncallee;%s;[authentication username=callee password=%s];%s:%s\n' \
  "$DOMAIN" "$callee_pw" "$UAS_IP" "$uas_port" > callee.inf
out=$("$warden" user import accounts.csv --data-dir "$work/data" 2>&1) ||
  die "warden user import failed: $out"
echo "$out" | grep -q "imported $((USERS + 1)) accounts, 0 lines refused" ||
  die "warden user import: expected 'imported $((USERS + 1)) accounts, 0 lines refused', got: $out"
log "ok: imported $((USERS + 1)) accounts"

# --- the proxy ------------------------------------------------------------------------------
# Every SIPp here sends from 127.0.0.1, and warden counts the open server transactions of each
# source address, a transaction staying open for Timer J (32 s over UDP) after its answer: the
# default limit (256) would refuse all but the first 128 REGISTERs with 503. The test raises it
# to the largest value allowed.
cat > warden.toml <<EOF
domains = ["$DOMAIN", "127.0.0.1", "localhost"]
[auth]
algorithms = ["MD5"]    # all SIPp 3.6.1 computes
[proxy]
max_transactions_per_source = 65536
# The "foreign" callers (SIPp from another domain) come from loopback: a peer whose requests
# reach local users without digest; any other source is challenged first (issue 5).
peers = ["127.0.0.0/8"]
EOF
start_warden "$warden" "$work/data" "$port" warden warden.toml
log "ok: warden proxy is ready (pid $WARDEN_PID)"

common=(-i 127.0.0.1 -default_behaviors all,-bye)

# --- 1. REGISTER with digest for every account -------------------------------------------------
sipp_run register -sf "$SCENARIOS/register.xml" -inf "$work/register.inf" -auth_uri "$DOMAIN" \
  -m "$USERS" -r 500 -l 200 -p "$(free_port)" "${common[@]}" "127.0.0.1:$port"
expect_sipp register "$USERS" "REGISTER with digest auth for $USERS users"

sipp_run callee-register -sf "$SCENARIOS/register.xml" -inf "$work/callee.inf" -auth_uri "$DOMAIN" \
  -m 1 -p "$(free_port)" "${common[@]}" "127.0.0.1:$port"
expect_sipp callee-register 1 "REGISTER of callee@$DOMAIN (contact: the SIPp UAS)"

# --- 2. and 3. calls through the proxy -------------------------------------------------------
calls=$((FOREIGN_CALLS + LOCAL_CALLS))
sipp_start uas -sf "$SCENARIOS/uas_call.xml" -p "$uas_port" -m "$calls" -timeout 90 "${common[@]}" -i "$UAS_IP"
sleep 0.5
kill -0 "$SIPP_PID" 2>/dev/null || { show_sipp_errors uas; die "the SIPp UAS did not start"; }

calls_ok=1
sipp_run foreign -sf "$SCENARIOS/uac_call_foreign.xml" -s callee -key domain "$DOMAIN" \
  -m "$FOREIGN_CALLS" -r 100 -l 100 -p "$(free_port)" "${common[@]}" "127.0.0.1:$port"
expect_sipp foreign "$FOREIGN_CALLS" "calls from a foreign domain to callee@$DOMAIN (no auth asked)" || calls_ok=0

sipp_run local -sf "$SCENARIOS/uac_call_local_auth.xml" -inf "$work/register.inf" -s callee \
  -auth_uri "callee@$DOMAIN" -m "$LOCAL_CALLS" -r 100 -l 100 -p "$(free_port)" "${common[@]}" \
  "127.0.0.1:$port"
expect_sipp local "$LOCAL_CALLS" "calls from local users with proxy authentication (407, then credentials)" || calls_ok=0

sipp_wait uas $((calls_ok ? 30 : 3))   # after failed calls it may wait for BYEs that never come
if expect_sipp uas "$calls" "the UAS answered every call"; then
  invites=$(sipp_counts_sum uas '_INVITE_Recv$')
  acks=$(sipp_counts_sum uas '_ACK_Recv$')
  byes=$(sipp_counts_sum uas '_BYE_Recv$')
  if [ "$invites" = "$calls" ] && [ "$acks" = "$calls" ] && [ "$byes" = "$calls" ]; then
    log "ok: the UAS saw $invites INVITEs, $acks ACKs and $byes BYEs"
  else
    fail "the UAS saw $invites INVITEs, $acks ACKs (they follow the Record-Route set) and $byes BYEs for $calls calls"
  fi
fi

# --- 4. out-of-dialog requests to registered users reach the phone at their contact ------------
# The users' bindings point at $UAS_IP:$uas_port, free again now: a route-check UAS answers there.
ROUTE_CHECKS=${ROUTE_CHECKS:-100}
sipp_start route-uas -sf "$SCENARIOS/uas_route_check.xml" -p "$uas_port" -m $((2 * ROUTE_CHECKS)) -timeout 60 \
  "${common[@]}" -i "$UAS_IP"
sleep 0.5
for method in message options; do
  sipp_run "route-$method" -sf "$SCENARIOS/uac_$method.xml" -inf "$work/register.inf" -m "$ROUTE_CHECKS" \
    -r 200 -p "$(free_port)" "${common[@]}" "127.0.0.1:$port"
  expect_sipp "route-$method" "$ROUTE_CHECKS" \
    "${method^^} from a foreign domain to $ROUTE_CHECKS registered users, answered by the UA at their contact"
done
sipp_wait route-uas 10
got=$(sipp_counts_sum route-uas '_(OPTIONS|MESSAGE)_Recv$')
if [ "$got" = $((2 * ROUTE_CHECKS)) ]; then
  log "ok: the route-check UAS got $got requests"
else
  fail "the route-check UAS at the users' contact got $got of $((2 * ROUTE_CHECKS)) requests" \
    "(MESSAGE: $(sipp_counts_sum route-uas '_MESSAGE_Recv$'), OPTIONS: $(sipp_counts_sum route-uas '_OPTIONS_Recv$'))"
fi

# --- 5. sipsak and svmap ---------------------------------------------------------------------
# sipsak 0.9.8.1 drops the last digit of the port when it writes the Request-URI and To
# (sip:127.0.0.1:25080 becomes sip:127.0.0.1:2508; it still sends to the right port), so the
# ping is also sent as `-s sip:127.0.0.1 -r PORT`, the form its manual gives for another port.
timeout 20 sipsak -vv -s "sip:127.0.0.1:$port" >sipsak.out 2>&1; rc=$?
status=$(grep -m1 -E '^SIP/2\.0 [1-6][0-9][0-9] ' sipsak.out | tr -d '\r')
if [ "$rc" -gt 1 ] || [ -z "$status" ]; then
  cat sipsak.out >&2
  fail "sipsak -vv -s sip:127.0.0.1:$port: no well-formed final answer (exit $rc)"
else
  log "ok: sipsak -vv -s sip:127.0.0.1:$port got '$status' (exit $rc)"
fi
timeout 20 sipsak -vv -s "sip:127.0.0.1" -r "$port" >sipsak-r.out 2>&1; rc=$?
status=$(grep -m1 -E '^SIP/2\.0 [1-6][0-9][0-9] ' sipsak-r.out | tr -d '\r')
if [ "$rc" -ne 0 ]; then
  cat sipsak-r.out >&2
  fail "sipsak -vv -s sip:127.0.0.1 -r $port (OPTIONS to the proxy's own domain): expected 200, got '${status:-no answer}' (exit $rc)"
else
  log "ok: sipsak -vv -s sip:127.0.0.1 -r $port got '$status'"
fi

# svmap keeps its session files under $HOME/.sipvicious: give it the work folder.
HOME=$work timeout 30 svmap 127.0.0.1 -p "$port" >svmap.out 2>&1; rc=$?
if [ "$rc" -ne 0 ] || ! grep -q -F "| 127.0.0.1:$port " svmap.out; then
  cat svmap.out >&2
  fail "svmap 127.0.0.1 -p $port did not list the server (exit $rc)"
else
  log "ok: svmap lists $(grep -F "127.0.0.1:$port" svmap.out | tr -s ' ')"
fi

# --- the proxy is still alive and stops cleanly ------------------------------------------------
kill -0 "$WARDEN_PID" 2>/dev/null || die "warden proxy died during the test (stderr: $(tail -n 5 warden.err))"
stop_pid "$WARDEN_PID" 10; rc=$?
if [ "$rc" -eq 0 ]; then log "ok: warden proxy exits 0 on SIGTERM"; else fail "warden proxy exited with status $rc on SIGTERM (expected 0)"; fi
if [ "$INTEROP_FAILED" -ne 0 ]; then
  echo "FAILED: see the FAIL: lines above ($((SECONDS - t_start)) s)" >&2
  exit 1
fi
log "all interop checks passed in $((SECONDS - t_start)) s"
