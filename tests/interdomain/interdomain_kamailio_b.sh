#!/usr/bin/env bash
# Two providers, the Kamailio side alone (tests/interdomain/README.md): everything the
# Warden-against-Kamailio test (interdomain_warden_kamailio.sh) stands on, proved without warden.
#
#   1. dnsmasq answers the RFC 3263 chain for a.test and b.test (NAPTR SIPS+D2T, SRV
#      _sips._tcp, A), asked directly and through the system resolver (/etc/resolv.conf of the
#      test's namespace, the way Kamailio asks).
#   2. Kamailio (b.test) starts with its TLS listener; bob@b.test registers (401, digest) from a
#      SIPp UAS.
#   3. Another provider (a SIPp UAC behind a TLS bridge presenting a.test's certificate, checking
#      b.test's) calls bob@b.test over TLS: INVITE, 180, 200, ACK, BYE; the UAS sees all of them.
#      The same INVITE over plain TCP is refused (403).
#   4. carol@b.test calls alice@a.test: 407, then Kamailio finds a.test by DNS (NAPTR, SRV, A:
#      127.0.0.2:5061) and calls over TLS a stand-in for a.test (socat with a.test's certificate
#      in front of a SIPp UAS); the call completes, the ACK and BYE go there over TLS too.
#   5. The stand-in with a certificate for a.test from another CA, then with b.test's certificate
#      (right CA, wrong name): the call fails and no INVITE (resp. no answer) gets through.
#
# Usage: interdomain_kamailio_b.sh. Runs itself again inside private network, mount and PID
# namespaces (needs root; exit 77 otherwise, or when a tool is missing). Exit 0 passed, 1 failed
# (FAIL: lines); KEEP=1 keeps the work folder (kept anyway on failure).
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../interop/lib.sh"
source "$here/lib_interdomain.sh"

for tool in kamailio sipp socat openssl /usr/sbin/dnsmasq ip ss unshare; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/install-deps.sh installs it)"; exit 77; }
done
[ -f "$(kamailio_modules_dir)/tls.so" ] || { echo "SKIP: kamailio-tls-modules is not installed"; exit 77; }
enter_test_namespace "$here/$(basename "$0")" "$@"

work=$(mktemp -d /tmp/warden-interdomain-kam.XXXXXX)
finish() {
  local rc=$?
  stop_all
  [ "$INTEROP_FAILED" -ne 0 ] && [ "$rc" -eq 0 ] && rc=1
  if [ "$rc" -eq 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$work"; else echo "files kept in $work"; fi
  rm -f "${NS_RESOLV_CONF:-}"
  exit "$rc"
}
trap finish EXIT
trap 'exit 1' INT TERM
cd "$work" || exit 1
log "work folder $work (inside a private network namespace)"

make_pki "$work/pki"
pki=$work/pki

# --- 1. DNS ------------------------------------------------------------------------------------
start_dns "$work"
expect_dns() {  # expect_dns NAME TYPE EXPECTED
  local got; got=$(dns_query "$1" "$2" 2>&1)
  if [ "$got" = "$3" ]; then log "ok: $1 $2 -> $got"; else fail "DNS $1 $2: expected '$3', got '$got'"; fi
}
for d in a b; do
  ip=$([ $d = a ] && echo $A_IP || echo $B_IP); tls=$([ $d = a ] && echo $A_TLS_PORT || echo $B_TLS_PORT)
  expect_dns "$d.test" NAPTR "10 100 S SIPS+D2T  _sips._tcp.$d.test"
  expect_dns "_sips._tcp.$d.test" SRV "0 100 $tls sip.$d.test"
  expect_dns "sip.$d.test" A "$ip"
done
# The system resolver (what Kamailio uses): resolv.conf names $DNS_IP:53.
got=$("$PY" -c 'import socket; print(socket.gethostbyname("sip.a.test"))' 2>&1)
[ "$got" = "$A_IP" ] && log "ok: the system resolver finds sip.a.test at $got" ||
  fail "the system resolver (resolv.conf -> $DNS_IP) gave '$got' for sip.a.test, expected $A_IP"
[ "$INTEROP_FAILED" -eq 0 ] || exit 1

# --- 2. Kamailio, bob registers --------------------------------------------------------------
bob_pw=bob-$RANDOM$RANDOM; carol_pw=carol-$RANDOM$RANDOM
start_kamailio_b "$work/kamailio" "$pki" "bob:$bob_pw" "carol:$carol_pw"
log "ok: Kamailio (b.test) answers on udp $B_IP:$B_SIP_PORT, pid $KAM_PID"
wait_tcp_listen "$B_IP" "$B_TLS_PORT" && log "ok: Kamailio listens for TLS on $B_IP:$B_TLS_PORT" ||
  die "Kamailio does not listen on tls $B_IP:$B_TLS_PORT"

bob_port=5080
printf 'SEQUENTIAL\nbob;b.test;[authentication username=bob password=%s];%s:%s\n' "$bob_pw" "$B_USER_IP" "$bob_port" >bob.inf
printf 'SEQUENTIAL\ncarol;b.test;[authentication username=carol password=%s];%s:5081\n' "$carol_pw" "$B_USER_IP" >carol.inf
common=(-default_behaviors all,-bye)
sipp_run bob-register -sf "$SCENARIOS/register.xml" -inf "$work/bob.inf" -auth_uri b.test -m 1 \
  -i "$B_USER_IP" -p 5082 "${common[@]}" "$B_IP:$B_SIP_PORT"
expect_sipp bob-register 1 "bob@b.test registers at Kamailio (401, digest)" || exit 1

# --- 3. another provider calls bob over TLS ----------------------------------------------------
sipp_start bob-uas -sf "$SCENARIOS/uas_call.xml" -i "$B_USER_IP" -p "$bob_port" -m 1 -timeout 30 "${common[@]}"
tls_client_bridge a-to-b-bridge.log "$A_IP" 5099 "$B_IP" "$B_TLS_PORT" "$pki/a.test.pem" "$pki/a.test.key" \
  "$pki/ca.pem" b.test
sipp_run provider-a-call -sf "$SCENARIOS/uac_call_foreign.xml" -t t1 -s bob -key domain b.test -m 1 \
  -i "$A_IP" -p 5098 "${common[@]}" "$A_IP:5099"
expect_sipp provider-a-call 1 "another provider calls bob@b.test over TLS (INVITE, 180, 200, ACK, BYE)"
sipp_wait bob-uas 10
if expect_sipp bob-uas 1 "bob's UAS answered the call from the other provider"; then
  n="$(sipp_counts_sum bob-uas '_INVITE_Recv$')/$(sipp_counts_sum bob-uas '_ACK_Recv$')/$(sipp_counts_sum bob-uas '_BYE_Recv$')"
  [ "$n" = 1/1/1 ] && log "ok: bob's UAS saw INVITE/ACK/BYE $n" || fail "bob's UAS saw INVITE/ACK/BYE $n, expected 1/1/1"
fi
grep -q "in: INVITE sip:bob@b.test from .* over tls" "$work/kamailio/kamailio.log" &&
  log "ok: Kamailio got the INVITE over TLS" || fail "Kamailio's log shows no INVITE for bob over tls"

# Over plain TCP, from another domain: refused.
cat >"$work/plain-tcp-invite.xml" <<'EOF'
<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="INVITE from another provider over plain TCP: 403 expected">
  <send><![CDATA[

      INVITE sip:bob@b.test SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      Max-Forwards: 70
      From: <sip:mallory@a.test>;tag=[pid]p[call_number]
      To: <sip:bob@b.test>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:mallory@[local_ip]:[local_port];transport=tcp>
      Content-Length: 0

  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="403"/>
  <send><![CDATA[

      ACK sip:bob@b.test SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-2];rport
      Max-Forwards: 70
      From: <sip:mallory@a.test>;tag=[pid]p[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Content-Length: 0

  ]]></send>
</scenario>
EOF
sipp_run plain-tcp -sf "$work/plain-tcp-invite.xml" -t t1 -m 1 -i "$A_IP" -p 5097 "${common[@]}" "$B_IP:$B_SIP_PORT"
expect_sipp plain-tcp 1 "an INVITE from another domain over plain TCP gets 403"

# --- 4. carol@b.test calls alice@a.test: DNS, TLS, certificate checked ---------------------------
# stand_in_a NAME CERT KEY: a.test's stand-in on the address and port DNS gives (127.0.0.2:5061):
# socat (TLS with CERT) in front of a SIPp UAS over TCP.
stand_in_a() {
  sipp_start "$1-uas" -sf "$ID_SCENARIOS/uas_provider.xml" -t t1 -i "$A_USER_IP" -p 5090 -m 1 -timeout 15 \
    -key contact_uri "sip:alice@a.test;transport=tls" "${common[@]}"
  tls_server_bridge "$1-bridge.log" "$A_IP" "$A_TLS_PORT" "$A_USER_IP" 5090 "$2" "$3" "$pki/ca.pem"
  STAND_IN_BRIDGE=$BRIDGE_PID
}
# stop_stand_in: the bridge and the connections it forked (Kamailio must not reuse one of them).
stop_stand_in() {
  local c
  for c in $(ps -o pid= --ppid "$STAND_IN_BRIDGE" 2>/dev/null); do kill "$c" 2>/dev/null; done
  stop_pid "$STAND_IN_BRIDGE" 3
}
carol_call() {  # carol_call NAME: carol calls alice@a.test through Kamailio
  sipp_run "$1" -sf "$ID_SCENARIOS/uac_call_remote.xml" -inf "$work/carol.inf" -s alice -key callee_domain a.test \
    -auth_uri alice@a.test -m 1 -i "$B_USER_IP" -p 5081 -recv_timeout 15000 "${common[@]}" "$B_IP:$B_SIP_PORT"
}

stand_in_a good "$pki/a.test.pem" "$pki/a.test.key"
dns_lines=$(wc -l <"$work/dnsmasq.log")   # the queries below are Kamailio's (nobody else asks now)
carol_call carol-call
expect_sipp carol-call 1 "carol@b.test calls alice@a.test: 407, then Kamailio -> DNS -> TLS to a.test"
sipp_wait good-uas 10
if expect_sipp good-uas 1 "a.test's stand-in answered (the INVITE came over TLS with Kamailio's Record-Route)"; then
  n="$(sipp_counts_sum good-uas '_INVITE_Recv$')/$(sipp_counts_sum good-uas '_ACK_Recv$')/$(sipp_counts_sum good-uas '_BYE_Recv$')"
  [ "$n" = 1/1/1 ] && log "ok: a.test's stand-in saw INVITE/ACK/BYE $n over TLS" ||
    fail "a.test's stand-in saw INVITE/ACK/BYE $n, expected 1/1/1"
fi
# (no A query: dnsmasq puts sip.a.test's A in the SRV answer's additional section, and
# Kamailio's DNS cache takes it from there)
for q in "query\[NAPTR\] a.test" "query\[SRV\] _sips._tcp.a.test"; do
  # (the system resolver sends from 127.0.0.1 whatever Kamailio's own address)
  tail -n +"$((dns_lines + 1))" "$work/dnsmasq.log" | grep -q "$q from " && log "ok: Kamailio asked DNS: ${q//\\/}" ||
    fail "dnsmasq saw no '${q//\\/}' during carol's call"
done
grep -q "peer certificate SAN a.test verified" "$work/kamailio/kamailio.log" &&
  log "ok: Kamailio checked a.test's certificate (CA and name)" ||
  fail "Kamailio's log shows no verified a.test certificate"
stop_stand_in

# --- 5. wrong certificates on a.test's address ---------------------------------------------------
stand_in_a rogue "$pki/a.test-rogue.pem" "$pki/a.test-rogue.key"
carol_call carol-call-rogue
if [ "$(sipp_ok carol-call-rogue)" = 0 ] && [ "$SIPP_RC" -ne 0 ]; then
  log "ok: a.test with a certificate from another CA: the call fails (SIPp exit $SIPP_RC)"
else
  fail "a.test with a certificate from another CA: the call should fail, SIPp exit $SIPP_RC, $(sipp_ok carol-call-rogue) successful"
fi
sipp_wait rogue-uas 1   # (it got nothing: stop it now)
got=$(sipp_counts_sum rogue-uas '_INVITE_Recv$')
[ "$got" = 0 ] && log "ok: no INVITE reached the rogue stand-in" || fail "the rogue stand-in got $got INVITE(s)"
stop_stand_in

stand_in_a wrongname "$pki/b.test.pem" "$pki/b.test.key"
carol_call carol-call-wrongname
if [ "$(sipp_ok carol-call-wrongname)" = 0 ] && [ "$SIPP_RC" -ne 0 ]; then
  log "ok: a.test's address with b.test's certificate (right CA, wrong name): the call fails (SIPp exit $SIPP_RC)"
else
  fail "a.test with b.test's certificate: the call should fail, SIPp exit $SIPP_RC, $(sipp_ok carol-call-wrongname) successful"
fi
grep -q "does not name a.test" "$work/kamailio/kamailio.log" &&
  log "ok: Kamailio dropped the answers of a peer whose certificate names b.test" ||
  fail "Kamailio's log does not show the name check refusing b.test's certificate"
sipp_wait wrongname-uas 1
stop_stand_in

kill -0 "$KAM_PID" 2>/dev/null || fail "Kamailio is not running any more"
[ "$INTEROP_FAILED" -eq 0 ] && log "PASS: Kamailio as b.test: DNS, TLS both ways, certificate checks"
exit "$INTEROP_FAILED"
