#!/usr/bin/env bash
# Interop: two baresip 1.0.0 softphones (Debian baresip-core) and `warden proxy`.
#
#   1. bob and alice register at the proxy with digest authentication (401, then Authorization).
#   2. alice calls sip:bob@DOMAIN. The INVITE goes to the proxy, which asks alice for her
#      credentials (407), then forwards the INVITE to bob's registered contact with a
#      Record-Route. bob answers by himself (answermode=auto).
#   3. Audio flows directly between the phones for CALL_SECONDS: a 440 Hz sine, G.711 (PCMU),
#      SRTP with SDES keys (mediaenc=srtp-mand: no call without it). Both sides must report
#      SRTP, and RTP packets sent and received.
#   4. alice hangs up. Her BYE follows the route set through the proxy to bob, who answers 200.
#   5. The proxy exits 0 on SIGTERM.
#
# baresip puts media on the machine's own address, not on 127.0.0.1, so everything runs in a
# network namespace made for the test: a veth pair whose two ends are both inside it, PROXY_IP
# (10.77.0.1/24) on one end. Nothing can leave the namespace: it has no route anywhere else.
# Creating it needs root (CAP_NET_ADMIN); without it the test is skipped.
#
# Usage: baresip_test.sh WARDEN_BINARY. Exit 0 on success, 1 with FAIL: lines (each check is
# reported; the SIP messages each phone sent and received are listed), 77 (ctest SKIP) when
# baresip is missing or the namespace cannot be made. Knobs (environment): CALL_SECONDS
# (default 5), PHONE_IP (default PROXY_IP: the phones live on the proxy's host and address;
# 10.77.0.2 puts them on the other end of the veth pair), KEEP=1 keeps the folder (kept anyway
# on failure).
#
# The proxy is configured with [auth] algorithms = ["MD5"]: baresip 1.0.0 (libre 1.1.0) gives up
# at a WWW-Authenticate whose algorithm is not MD5 (tests/interop/README.md).
set -u
warden=${1:?usage: baresip_test.sh WARDEN_BINARY}
warden=$(cd "$(dirname "$warden")" && pwd)/$(basename "$warden")
source "$(dirname "$0")/lib.sh"

skip() { echo "SKIP: $*"; exit 77; }
for tool in baresip ip python3; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/install-deps.sh installs baresip-core)"
done
MODULES=/usr/lib/baresip/modules
for m in g711 ausine aubridge srtp account uuid menu; do
  [ -e "$MODULES/$m.so" ] || skip "baresip module $MODULES/$m.so is missing"
done

PROXY_IP=10.77.0.1
PHONE_IP=${PHONE_IP:-$PROXY_IP}
[[ $PHONE_IP =~ ^10\.77\.0\.([1-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-4])$ ]] ||
  { echo "PHONE_IP must be an address in 10.77.0.0/24" >&2; exit 2; }
CALL_SECONDS=${CALL_SECONDS:-5}
DOMAIN=$PROXY_IP            # warden's default domains: localhost and its listen addresses
PROXY=$PROXY_IP:5060
ALICE=$PHONE_IP:5070
BOB=$PHONE_IP:5080
ns=warden-baresip-$$
ns_made=

work=$(mktemp -d /tmp/warden-baresip-test.XXXXXX)
finish() {
  local rc=$? pid
  stop_all
  if [ -n "$ns_made" ]; then
    # Anything still running in the namespace was started by this script.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null || echo "could not delete network namespace $ns" >&2
  fi
  if [ -z "${KEEP:-}" ] && { [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ]; }; then rm -rf "$work"; else echo "files kept in $work"; fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 1' INT TERM
cd "$work" || exit 1
t_start=$SECONDS

# --- the namespace ---------------------------------------------------------------------------
ip netns add "$ns" 2>netns.err || skip "cannot create a network namespace (needs root or CAP_NET_ADMIN): $(head -n 1 netns.err)"
ns_made=1
# An array, not a function: a function run in the background is a subshell, and its pid would
# not be the program's.
in_ns=(ip netns exec "$ns")
{ "${in_ns[@]}" ip link set lo up &&
  "${in_ns[@]}" ip link add v0 type veth peer name v1 &&
  "${in_ns[@]}" ip addr add "$PROXY_IP/24" dev v0 &&
  "${in_ns[@]}" ip link set v0 up && "${in_ns[@]}" ip link set v1 up; } 2>netns.err ||
  skip "cannot set up the veth pair in namespace $ns: $(head -n 1 netns.err)"
if [ "$PHONE_IP" != "$PROXY_IP" ]; then
  "${in_ns[@]}" ip addr add "$PHONE_IP/24" dev v1 || die "cannot add $PHONE_IP to v1 in namespace $ns"
fi
log "namespace $ns: warden on $PROXY, alice on $ALICE, bob on $BOB; files in $work"

# --- accounts and the proxy --------------------------------------------------------------------
alice_pw=alice-$RANDOM$RANDOM$RANDOM
bob_pw=bob-$RANDOM$RANDOM$RANDOM
for acct in "alice@$DOMAIN:$alice_pw" "bob@$DOMAIN:$bob_pw"; do
  out=$(printf '%s\n' "${acct#*:}" | "$warden" user add "${acct%%:*}" --data-dir "$work/data" 2>&1) ||
    die "warden user add ${acct%%:*} failed: $out"
done

cat > warden.toml <<'EOF'
# baresip 1.0.0 (libre 1.1.0) computes MD5 digests only and stops at the first challenge of
# another algorithm.
[auth]
algorithms = ["MD5"]
EOF
"${in_ns[@]}" "$warden" proxy --data-dir "$work/data" --listen "udp:$PROXY" --listen "tcp:$PROXY" \
  --config warden.toml --log-level debug >warden.out 2>warden.err &
WARDEN_PID=$!
INTEROP_PIDS+=("$WARDEN_PID")
if ! wait_for_line warden.out '^ready$' 20 "$WARDEN_PID"; then
  cat warden.out >&2; tail -n 20 warden.err >&2
  die "warden proxy did not print 'ready' within 20 s"
fi
grep -q "^listening udp:$PROXY\$" warden.out || die "warden did not print 'listening udp:$PROXY'"
log "ok: warden proxy is ready (pid $WARDEN_PID)"

# --- the phones ------------------------------------------------------------------------------
# write_phone NAME SIP_PORT RTP_PORTS ACCOUNT_LINE: the configuration folder NAME/. Audio comes
# from ausine (48 kHz stereo only) and goes to aubridge, a player without a device.
write_phone() {
  mkdir -p "$1"
  cat > "$1/config" <<EOF
poll_method	epoll
sip_listen	$PHONE_IP:$2
audio_player	aubridge,sink_$1
audio_alert	aubridge,alert_$1
audio_source	ausine,440
ausrc_srate	48000
auplay_srate	48000
ausrc_channels	2
rtp_ports	$3
rtp_stats	yes
module_path	$MODULES
module	g711.so
module	ausine.so
module	aubridge.so
module	srtp.so
module_tmp	uuid.so
module_tmp	account.so
module_app	menu.so
EOF
  printf '%s\n' "$4" > "$1/accounts"
}
common=";regint=300;mediaenc=srtp-mand;audio_codecs=PCMU"
write_phone alice "${ALICE##*:}" 20000-20049 "<sip:alice@$DOMAIN>;auth_pass=$alice_pw$common"
write_phone bob "${BOB##*:}" 20100-20149 "<sip:bob@$DOMAIN>;auth_pass=$bob_pw$common;answermode=auto"

# A baresip log without colours and carriage returns (NAME.txt), and the SIP messages its trace
# (-s) shows, one per line (NAME.sip): source, destination, start line, CSeq, first Record-Route
# or Route, SDP media protocol, "crypto" when the SDP carries an a=crypto line.
digest_log() {
  sed 's/\x1b\[[0-9;]*m//g' "$1.log" | tr '\r' '\n' | grep -av '^\[[0-9:]*\] audio=' >"$1.txt"
  python3 - "$1.log" >"$1.sip" <<'PY'
import re, sys
text = re.sub(r"\x1b\[[0-9;]*m", "", open(sys.argv[1], encoding="utf-8", errors="replace", newline="").read())
lines = text.split("\n")
i = 0
while i < len(lines):
    m = re.match(r"^(?:UDP|TCP|TLS) (\S+) -> (\S+)$", lines[i])
    # The "#" line opens a trace block; a call's status line ("[0:00:05] audio=...", ended by
    # a carriage return only) may come first on the same line.
    if not (m and i > 0 and lines[i - 1].rstrip("\r").endswith("#")):
        i += 1
        continue
    i += 1
    msg = []
    while i < len(lines) and lines[i].endswith("\r"):
        msg.append(lines[i][:-1])
        i += 1
    if not msg:
        continue
    head, body = msg, []
    if "" in msg:
        k = msg.index("")
        head, body = msg[:k], msg[k + 1:]
    def header(name):
        for h in head[1:]:
            n, _, v = h.partition(":")
            if n.strip().lower() == name:
                return v.strip()
        return ""
    proto = ""
    for b in body:
        if b.startswith("m=audio"):
            parts = b.split()
            proto = parts[2] if len(parts) > 2 else ""
    crypto = "crypto" if any(b.startswith("a=crypto:") for b in body) else ""
    route = header("record-route") or header("route")
    print("\t".join([m.group(1), m.group(2), head[0], header("cseq"), route, proto, crypto]))
PY
}

# sip_seen NAME FROM TO START_REGEX [CSEQ_METHOD]: the lines of NAME.sip sent FROM -> TO whose
# start line matches START_REGEX (and whose CSeq method is CSEQ_METHOD).
sip_seen() {
  awk -F'\t' -v f="$2" -v t="$3" -v s="$4" -v c="${5:-}" \
    '$1 == f && $2 == t && $3 ~ s && (c == "" || $4 ~ (" " c "$"))' "$1.sip"
}

show_sip() {
  local name
  for name in "$@"; do
    echo "--- SIP messages in $name's trace (from, to, start line, CSeq, route, SDP proto, crypto):" >&2
    sed 's/\t/ | /g' "$name.sip" >&2
  done
}

# bob first: he must be registered before alice calls.
"${in_ns[@]}" baresip -f "$work/bob" -s -t 45 >bob.log 2>&1 &
BOB_PID=$!
INTEROP_PIDS+=("$BOB_PID")
if ! wait_for_line bob.log "^bob@$DOMAIN: \{[^}]*\} 200 OK" 10 "$BOB_PID"; then
  digest_log bob; show_sip bob
  grep -a -m3 -E 'Register:|reg:' bob.txt >&2
  die "bob did not register within 10 s (baresip prints 'bob@$DOMAIN: {0/UDP/v4} 200 OK ...' on success)"
fi
log "ok: bob registered"

# alice registers, dials at once, and quits (hanging up first) after CALL_SECONDS + 1 s.
"${in_ns[@]}" baresip -f "$work/alice" -s -e "/dial sip:bob@$DOMAIN" -t $((CALL_SECONDS + 1)) >alice.log 2>&1 &
ALICE_PID=$!
INTEROP_PIDS+=("$ALICE_PID")
for ((i = 0; i < (CALL_SECONDS + 40) * 10; i++)); do
  kill -0 "$ALICE_PID" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$ALICE_PID" 2>/dev/null; then
  fail "alice's baresip (-t $((CALL_SECONDS + 1))) was still running $((CALL_SECONDS + 40)) s later"
  stop_pid "$ALICE_PID" 3
else
  wait "$ALICE_PID"; rc=$?
  [ "$rc" -eq 0 ] || fail "alice's baresip exited with status $rc"
fi
# bob hangs up when alice's BYE reaches him: give it a moment, then stop him (SIGTERM: baresip
# hangs up what is left and un-registers).
bob_closed=0
wait_for_line bob.log "sip:bob@$DOMAIN: Call with .* terminated" 5 "$BOB_PID" && bob_closed=1
stop_pid "$BOB_PID" 10 || true
digest_log alice
digest_log bob

# --- 1. registrations ---------------------------------------------------------------------------
for who in alice bob; do
  addr=$ALICE; [ $who = bob ] && addr=$BOB
  if ! grep -q -E "^$who@$DOMAIN: \{[^}]*\} 200 OK" $who.txt; then
    fail "$who: no '$who@$DOMAIN: {0/UDP/v4} 200 OK' in baresip's output (registration failed: $(grep -a -m1 -E 'Register:' $who.txt))"
  elif [ -z "$(sip_seen $who "$PROXY" "$addr" '^SIP/2\.0 401 ' REGISTER)" ] ||
       [ -z "$(sip_seen $who "$PROXY" "$addr" '^SIP/2\.0 200 ' REGISTER)" ]; then
    fail "$who registered, but not through a 401 digest challenge from $PROXY then 200"
  else
    log "ok: $who registered with digest auth (401, REGISTER with Authorization, 200 OK)"
  fi
done

# --- 2. the call through the proxy -----------------------------------------------------------------
call_ok=1
[ -n "$(sip_seen alice "$ALICE" "$PROXY" "^INVITE sip:bob@$DOMAIN ")" ] ||
  { call_ok=0; fail "alice did not send INVITE sip:bob@$DOMAIN to the proxy $PROXY"; }
[ -n "$(sip_seen alice "$PROXY" "$ALICE" '^SIP/2\.0 407 ' INVITE)" ] ||
  { call_ok=0; fail "the proxy did not ask alice for credentials (407) for her INVITE"; }
[ -n "$(sip_seen alice "$PROXY" "$ALICE" '^SIP/2\.0 200 ' INVITE)" ] ||
  { call_ok=0; fail "alice got no 200 for her INVITE from the proxy"; }
bob_invite=$(sip_seen bob "$PROXY" "$BOB" '^INVITE ' | head -n 1)
if [ -z "$bob_invite" ]; then
  call_ok=0; fail "no INVITE reached bob from the proxy $PROXY"
elif [[ $(cut -f5 <<<"$bob_invite") != *"$PROXY"* ]]; then
  call_ok=0; fail "the INVITE bob got carries no Record-Route of the proxy: $(cut -f3,5 <<<"$bob_invite")"
fi
for who in alice bob; do
  grep -q -E "^$who@$DOMAIN: Call established" $who.txt ||
    { call_ok=0; fail "$who: no 'Call established' in baresip's output"; }
done
[ $call_ok = 1 ] && log "ok: alice called bob through the proxy (407, credentials, INVITE to bob's contact with Record-Route, 200, both 'Call established')"

# --- 3. SRTP audio both ways ---------------------------------------------------------------
offer=$(sip_seen bob "$PROXY" "$BOB" '^INVITE ' | head -n 1 | cut -f6,7)
answer=$(sip_seen alice "$PROXY" "$ALICE" '^SIP/2\.0 200 ' INVITE | head -n 1 | cut -f6,7)
for who in alice bob; do
  grep -q 'srtp: audio: SRTP is Enabled' $who.txt || fail "$who: no 'srtp: audio: SRTP is Enabled' in baresip's output"
done
if [ "$offer" = $'RTP/SAVP\tcrypto' ] && [ "$answer" = $'RTP/SAVP\tcrypto' ]; then
  log "ok: SDES-SRTP (RTP/SAVP with a=crypto in the offer and the answer, $(grep -m1 -o 'cryptosuite=[A-Z0-9_]*' alice.txt))"
else
  fail "expected RTP/SAVP with a=crypto in the offer and the answer; got offer '${offer//$'\t'/ }', answer '${answer//$'\t'/ }'"
fi
for who in alice bob; do
  # baresip prints "packets: SENT RECEIVED" when a call ends (rtp_stats yes).
  read -r sent received < <(grep -m1 -E '^packets:' $who.txt | awk '{print $2, $3}')
  if [ -z "${received:-}" ]; then
    fail "$who: baresip printed no RTP statistics (the call never ended, or never started)"
  elif [ "$sent" -gt 0 ] && [ "$received" -gt 0 ]; then
    log "ok: $who sent $sent and received $received RTP packets"
  else
    fail "$who: RTP packets sent $sent, received $received (both must be > 0)"
  fi
done

# --- 4. hang-up through the proxy -------------------------------------------------------------
bye=$(sip_seen alice "$ALICE" "$PROXY" '^BYE ' | head -n 1)
bye_cseq=$(cut -f4 <<<"$bye")
bye_answer=$(awk -F'\t' -v c="$bye_cseq" '$4 == c && $3 ~ /^SIP\/2\.0 [2-6]/ {print $3; exit}' alice.sip)
bob_bye=$(sip_seen bob "$PROXY" "$BOB" '^BYE ' | head -n 1)
bob_bye_answer=$(sip_seen bob "$BOB" "$PROXY" '^SIP/2\.0 ' BYE | head -n 1 | cut -f3)
if [ -z "$bye" ]; then
  fail "alice sent no BYE to the proxy"
elif [ -z "$bob_bye" ] || [ "$bye_answer" != "${bob_bye_answer:-none}" ] || [[ $bye_answer != "SIP/2.0 200 "* ]]; then
  fail "alice's BYE (${bye%%$'\t'*} -> $PROXY: '$(cut -f3 <<<"$bye")', Route $(cut -f5 <<<"$bye")) was answered '${bye_answer:-nothing}'; bob $( [ -n "$bob_bye" ] && echo "got it and answered '${bob_bye_answer:-nothing}'" || echo "never got it")"
  if [ "$PHONE_IP" = "$PROXY_IP" ] && [ -z "$bob_bye" ]; then
    echo "    (the phones share the proxy's address $PROXY_IP, and the BYE's Request-URI is bob's contact on it;" >&2
    echo "     PHONE_IP=10.77.0.2 moves the phones to the other end of the veth pair, to look past this)" >&2
  fi
elif [ $bob_closed = 0 ]; then
  fail "bob answered alice's BYE ('$bob_bye_answer') but his call did not end within 5 s (no 'Call with ... terminated')"
else
  log "ok: alice hung up; her BYE went through the proxy to bob, who answered '$bob_bye_answer' and ended the call"
fi

# --- 5. the proxy stops cleanly --------------------------------------------------------------------
if ! kill -0 "$WARDEN_PID" 2>/dev/null; then
  fail "warden proxy died during the test (stderr: $(tail -n 5 warden.err))"
else
  stop_pid "$WARDEN_PID" 10; rc=$?
  if [ "$rc" -eq 0 ]; then log "ok: warden proxy exits 0 on SIGTERM"; else fail "warden proxy exited with status $rc on SIGTERM (expected 0)"; fi
fi

if [ "$INTEROP_FAILED" -ne 0 ]; then
  show_sip alice bob
  echo "--- warden's log: $work/warden.err; baresip's output: $work/alice.txt, $work/bob.txt" >&2
  exit 1
fi
log "all baresip interop checks passed in $((SECONDS - t_start)) s"
