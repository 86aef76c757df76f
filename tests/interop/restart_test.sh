#!/usr/bin/env bash
# Interop: registrations survive `kill -9` of `warden proxy`.
#
#   1. 10,000 accounts imported; SIPp registers every one of them with digest auth, each binding
#      pointing at one of four SIPp UAS ports (account i at UAS i mod 4).
#   2. The proxy is killed with SIGKILL, then started again on the same data folder and port.
#   3. A SIPp UAC sends a MESSAGE from a foreign domain to every sip:userN@interop.test through
#      the proxy. The UAS at the registered contact answers 200 only if the request is for the
#      account whose contact it is (uas_route_check.xml), and the UAC accepts only that 200. Any
#      404, 480 or other answer fails the test. ROUTE_METHOD=options sends OPTIONS instead.
#
# Usage: restart_test.sh WARDEN_BINARY. Exit 0 on success, 1 with a FAIL: line on failure, 77
# (ctest SKIP) when SIPp is missing. USERS=N changes the count; KEEP=1 keeps the folder.
set -u
warden=${1:?usage: restart_test.sh WARDEN_BINARY}
warden=$(cd "$(dirname "$warden")" && pwd)/$(basename "$warden")
source "$(dirname "$0")/lib.sh"

for tool in sipp python3 timeout; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/install-deps.sh installs it)"; exit 77; }
done

USERS=${USERS:-10000}
RATE=${RATE:-1000}        # REGISTERs and OPTIONS per second offered
UAS_COUNT=4
ROUTE_METHOD=${ROUTE_METHOD:-message}
DOMAIN=interop.test

work=$(mktemp -d /tmp/warden-restart-test.XXXXXX)
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
uas_ports=()
while [ ${#uas_ports[@]} -lt $UAS_COUNT ]; do
  p=$(free_port)
  [[ " $port ${uas_ports[*]} " == *" $p "* ]] || uas_ports+=("$p")
done
contacts=$(printf '127.0.0.1:%s,' "${uas_ports[@]}"); contacts=${contacts%,}
log "warden on udp/tcp 127.0.0.1:$port, UAS on ${uas_ports[*]}, files in $work"

write_accounts "$USERS" "$DOMAIN" accounts.csv register.inf "$contacts" user
out=$("$warden" user import accounts.csv --data-dir "$work/data" 2>&1) || die "warden user import failed: $out"
echo "$out" | grep -q "imported $USERS accounts, 0 lines refused" ||
  die "warden user import: expected 'imported $USERS accounts, 0 lines refused', got: $out"
log "ok: imported $USERS accounts ($((SECONDS - t_start)) s)"

# One source address (127.0.0.1) sends everything: raise the per-source transaction limit (see
# sipp_test.sh) to the largest value allowed.
cat > warden.toml <<EOF
domains = ["$DOMAIN"]
[auth]
algorithms = ["MD5"]    # all SIPp 3.6.1 computes
[proxy]
max_transactions_per_source = 65536
peers = ["127.0.0.0/8"]   # the MESSAGEs from foreign.test come from a peer (never rate limited)
EOF
start_warden "$warden" "$work/data" "$port" warden-1 warden.toml
first_pid=$WARDEN_PID
log "ok: warden proxy is ready (pid $first_pid)"

common=(-i 127.0.0.1 -default_behaviors all,-bye)

t=$SECONDS
SIPP_TIMEOUT=90 sipp_run register -sf "$SCENARIOS/register.xml" -inf "$work/register.inf" -auth_uri "$DOMAIN" \
  -m "$USERS" -r "$RATE" -l 2000 -p "$(free_port)" "${common[@]}" "127.0.0.1:$port"
expect_sipp register "$USERS" "REGISTER with digest auth for $USERS users in $((SECONDS - t)) s"

# --- kill -9 and start again ------------------------------------------------------------------
kill -KILL "$first_pid"
wait "$first_pid" 2>/dev/null
log "killed warden (pid $first_pid) with SIGKILL"
start_warden "$warden" "$work/data" "$port" warden-2 warden.toml
log "ok: warden proxy is ready again on the same data folder (pid $WARDEN_PID)"

# --- every account is still routable --------------------------------------------------------
per_uas=$((USERS / UAS_COUNT))
for ((i = 0; i < UAS_COUNT; i++)); do
  n=$per_uas
  [ $i -lt $((USERS % UAS_COUNT)) ] && n=$((n + 1))
  sipp_start "uas$i" -sf "$SCENARIOS/uas_route_check.xml" -p "${uas_ports[i]}" -m "$n" -timeout 90 "${common[@]}"
done
sleep 0.5

t=$SECONDS
SIPP_TIMEOUT=90 sipp_run route -sf "$SCENARIOS/uac_$ROUTE_METHOD.xml" -inf "$work/register.inf" \
  -m "$USERS" -r "$RATE" -l 2000 -p "$(free_port)" "${common[@]}" "127.0.0.1:$port"
ok=$(sipp_ok route)
if [ "$SIPP_RC" -ne 0 ] || [ "$ok" != "$USERS" ]; then
  # Name what came back instead of 200, by status line, with one example each.
  python3 - route/errors.log <<'PY' >&2 || true
import re, sys, collections
text = open(sys.argv[1], errors="replace").read()
seen = collections.Counter(re.findall(r"received 'SIP/2\.0 (\d{3}[^\r\n]*)", text))
for status, n in seen.most_common():
    print(f"  {n} x SIP/2.0 {status}")
PY
  show_sipp_errors route
  die "after kill -9 and restart, $ok of $USERS accounts were routable (SIPp exit $SIPP_RC)"
fi
log "ok: after kill -9 and restart, all $ok accounts reached their registered contact ($((SECONDS - t)) s)"

for ((i = 0; i < UAS_COUNT; i++)); do
  sipp_wait "uas$i" 20
  n=$per_uas
  [ $i -lt $((USERS % UAS_COUNT)) ] && n=$((n + 1))
  expect_sipp "uas$i" "$n" "UAS $i (127.0.0.1:${uas_ports[i]}) got the ${ROUTE_METHOD^^} requests of its own accounts"
done

kill -0 "$WARDEN_PID" 2>/dev/null || die "warden proxy died during the test (stderr: $(tail -n 5 warden-2.err))"
stop_pid "$WARDEN_PID" 10; rc=$?
[ "$rc" -eq 0 ] || die "warden proxy exited with status $rc on SIGTERM (expected 0)"
log "all restart checks passed in $((SECONDS - t_start)) s"
