# shellcheck shell=bash
# Helpers for the two-provider tests (tests/interdomain/*.sh): a private network namespace, a
# test PKI, a DNS server with the RFC 3263 records of a.test and b.test, Kamailio as b.test and
# TLS bridges for SIPp (Debian's SIPp 3.6.1 has no TLS). Source it after tests/interop/lib.sh;
# it defines functions and variables and sets no shell options. See tests/interdomain/README.md.
#
# Addresses (all on the namespace's own loopback; Linux answers for the whole of 127/8 on lo):
#   127.0.0.53  the DNS server (dnsmasq, port 53: the system resolver cannot take another port)
#   127.0.0.2   a.test's proxy (warden, or a stand-in)     127.0.0.12  a.test's users (SIPp)
#   127.0.0.3   b.test's proxy (Kamailio)                  127.0.0.13  b.test's users (SIPp)

INTERDOMAIN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ID_SCENARIOS=$INTERDOMAIN_DIR/scenarios
PY=/usr/bin/python3

DNS_IP=127.0.0.53
DNS_PORT=53
A_IP=127.0.0.2
B_IP=127.0.0.3
A_USER_IP=127.0.0.12
B_USER_IP=127.0.0.13
# Ports inside the namespace: nothing else lives there, so they are fixed (and different per
# role, so that a capture or a log line says who is who).
A_SIP_PORT=5060      # a.test: udp+tcp for its users
A_TLS_PORT=5061      # a.test: TLS between providers (the SRV record's port)
B_SIP_PORT=5070      # b.test: udp+tcp for its users
B_TLS_PORT=5071      # b.test: TLS between providers (the SRV record's port)

# --- the namespace -----------------------------------------------------------------------------

# enter_test_namespace SCRIPT ARGS...: unless already inside, runs SCRIPT again in new network,
# mount and PID namespaces (unshare; needs root or CAP_SYS_ADMIN) and exits with its status;
# exit 77 when namespaces cannot be made. Inside: lo is up (127/8 answers) and /etc/resolv.conf
# is replaced, for this mount namespace only, by one naming $DNS_IP (port 53). When the script,
# PID 1 of the new PID namespace, ends, the kernel kills whatever it left running there; no
# packet can leave the namespace (it has no other interface).
enter_test_namespace() {
  local script=$1; shift
  if [ -z "${INTERDOMAIN_IN_NS:-}" ]; then
    command -v unshare >/dev/null || { echo "SKIP: unshare (util-linux) is not installed"; exit 77; }
    if ! unshare --net --mount --pid --fork --mount-proc true 2>/dev/null; then
      echo "SKIP: cannot create network/mount/PID namespaces (needs root or CAP_SYS_ADMIN)"; exit 77
    fi
    INTERDOMAIN_IN_NS=1 exec unshare --net --mount --pid --fork --mount-proc --kill-child=TERM \
      /bin/bash "$script" "$@"
  fi
  ip link set lo up || die "cannot bring lo up in the test namespace"
  local rc
  rc=$(mktemp /tmp/warden-interdomain-resolv.XXXXXX)
  printf 'nameserver %s\noptions attempts:2 timeout:1\n' "$DNS_IP" >"$rc"
  chmod 644 "$rc"
  # A private mount namespace: the bind mount is seen by this script and its children only.
  mount --make-rprivate / 2>/dev/null
  mount --bind "$rc" /etc/resolv.conf || die "cannot bind-mount a resolv.conf in the test namespace"
  NS_RESOLV_CONF=$rc
}

# --- PKI -------------------------------------------------------------------------------------

# make_pki DIR: a test CA (DIR/ca.pem) and, signed by it, certificates for a.test and b.test
# (DIR/a.test.pem + .key, DIR/b.test.pem + .key; subjectAltName DNS:<domain>, DNS:sip.<domain>,
# serverAuth and clientAuth: they serve as server and as client certificates between the
# providers). Also DIR/rogue-ca.pem and DIR/a.test-rogue.pem/.key, a certificate for a.test from
# another CA, for the negative checks. openssl CLI; EC P-256 keys.
make_pki() {
  local dir=$1 d
  mkdir -p "$dir"
  (
    cd "$dir" || exit 1
    for ca in ca rogue-ca; do
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$ca.key" -out "$ca.pem" \
        -days 2 -subj "/CN=warden interdomain test $ca" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || exit 1
    done
    issue() {  # issue NAME DOMAIN CA
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" \
        -subj "/CN=$2" 2>/dev/null || return 1
      printf 'subjectAltName=DNS:%s,DNS:sip.%s\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n' \
        "$2" "$2" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial -days 2 \
        -extfile "$1.ext" -out "$1.pem" 2>/dev/null || return 1
      rm -f "$1.csr" "$1.ext"
    }
    for d in a.test b.test; do issue "$d" "$d" ca || exit 1; done
    issue a.test-rogue a.test rogue-ca || exit 1
    chmod 600 ./*.key
  ) || die "make_pki: openssl could not make the test certificates in $dir"
}

# --- DNS ---------------------------------------------------------------------------------------

# start_dns WORKDIR [ADDRESS [PORT]]: dnsmasq (dnsmasq-base) on ADDRESS:PORT ($DNS_IP:$DNS_PORT by
# default), answering only from its command line (no upstream, no /etc/hosts):
#   <d> NAPTR 10 100 "S" "SIPS+D2T" "" _sips._tcp.<d>.
#   _sips._tcp.<d> SRV 0 100 <tls port> sip.<d>.      (b.test: priority $B_SRV_PRIORITY when set)
#   sip.<d> A <proxy address>
# for d = a.test ($A_IP:$A_TLS_PORT) and b.test ($B_IP:$B_TLS_PORT). DNS_EXTRA (an array) adds
# dnsmasq options. Sets DNS_PID; waits until it answers a query for sip.b.test.
start_dns() {
  local dir=$1 addr=${2:-$DNS_IP} port=${3:-$DNS_PORT}
  local args=(--keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --no-poll --pid-file=
              --listen-address="$addr" --bind-interfaces --port="$port" --user=root --log-queries
              --log-facility=- --local-ttl=30)
  local d ip tls prio
  for d in a b; do
    if [ $d = a ]; then ip=$A_IP; tls=$A_TLS_PORT; prio=0; else ip=$B_IP; tls=$B_TLS_PORT; prio=${B_SRV_PRIORITY:-0}; fi
    args+=(--naptr-record="$d.test,10,100,S,SIPS+D2T,,_sips._tcp.$d.test"
           --srv-host="_sips._tcp.$d.test,sip.$d.test,$tls,$prio,100"
           --host-record="sip.$d.test,$ip")
  done
  args+=(${DNS_EXTRA[@]+"${DNS_EXTRA[@]}"})
  spawn "$dir/dnsmasq.log" /usr/sbin/dnsmasq "${args[@]}"
  DNS_PID=$SPAWNED_PID
  local i
  for ((i = 0; i < 50; i++)); do
    dns_query sip.b.test A "$addr" "$port" >/dev/null 2>&1 && return 0
    kill -0 "$DNS_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$dir/dnsmasq.log" >&2
  die "dnsmasq did not answer on $addr:$port (command: dnsmasq ${args[*]})"
}

stop_dns() { [ -n "${DNS_PID:-}" ] && stop_pid "$DNS_PID" 3; DNS_PID=; }

# dns_query NAME TYPE [SERVER [PORT]]: one query over UDP (TYPE A, SRV or NAPTR), answers on
# stdout one a line in presentation form ("10 100 S SIPS+D2T  _sips._tcp.b.test",
# "0 100 5071 sip.b.test", "127.0.0.3"); exit 1 on no answer or an error RCODE. A small parser
# for the test only (dig is not installed): no compression loops are possible in its input
# because it follows a pointer at most 20 times.
dns_query() {
  "$PY" - "$1" "$2" "${3:-$DNS_IP}" "${4:-$DNS_PORT}" <<'PY'
import os, socket, struct, sys
name, qtype, server, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
codes = {"A": 1, "SRV": 33, "NAPTR": 35}
qid = int.from_bytes(os.urandom(2), "big")
q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".")) + b"\0"
q += struct.pack("!HH", codes[qtype], 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1.0)
s.sendto(q, (server, port))
m = s.recv(4096)
def rname(off):
    labels, jumps, end = [], 0, None
    while True:
        n = m[off]
        if n >= 0xC0:
            if end is None: end = off + 2
            off = ((n & 0x3F) << 8) | m[off + 1]; jumps += 1
            if jumps > 20: raise ValueError("loop")
            continue
        if n == 0:
            return ".".join(labels), (end if end is not None else off + 1)
        labels.append(m[off + 1:off + 1 + n].decode()); off += 1 + n
rid, flags, qd, an = struct.unpack("!HHHH", m[:8])
if rid != qid or flags & 0xF or an == 0: sys.exit(1)
off = 12
for _ in range(qd):
    _, off = rname(off); off += 4
for _ in range(an):
    _, off = rname(off)
    t, _, _, rdlen = struct.unpack("!HHIH", m[off:off + 10]); off += 10
    rd = off; off += rdlen
    if t == 1: print(socket.inet_ntoa(m[rd:rd + 4]))
    elif t == 33:
        pr, w, p = struct.unpack("!HHH", m[rd:rd + 6]); print(pr, w, p, rname(rd + 6)[0])
    elif t == 35:
        o, pf = struct.unpack("!HH", m[rd:rd + 4]); p = rd + 4; strs = []
        for _ in range(3):
            n = m[p]; strs.append(m[p + 1:p + 1 + n].decode()); p += 1 + n
        print(o, pf, *strs, rname(p)[0])
PY
}

# --- Kamailio as b.test --------------------------------------------------------------------------

# kamailio_modules_dir: where Debian's kamailio keeps its modules (tm.so).
kamailio_modules_dir() {
  dirname "$(find /usr/lib -name tm.so -path '*kamailio/modules*' 2>/dev/null | head -n1)"
}

# write_b_users FILE USER:PASSWORD...: the db_text subscriber table for b.test's local users.
write_b_users() {
  local dir=$1; shift
  mkdir -p "$dir"
  printf 'id(int,auto) table_name(string) table_version(int) \n0:subscriber:7\n' >"$dir/version"
  printf 'id(int,auto) username(string) domain(string) password(string) \n' >"$dir/subscriber"
  local i=1 up
  for up in "$@"; do
    printf '%d:%s:b.test:%s\n' "$i" "${up%%:*}" "${up#*:}" >>"$dir/subscriber"
    i=$((i + 1))
  done
}

# start_kamailio_b WORKDIR PKI_DIR USER:PASSWORD...: Kamailio (Debian kamailio +
# kamailio-tls-modules) as b.test's proxy and registrar, from kamailio-b.cfg.in:
#   udp+tcp $B_IP:$B_SIP_PORT for its users, tls $B_IP:$B_TLS_PORT (certificate b.test from the
#   test CA) for other providers; REGISTER (401) and INVITE (407) from its users need digest
#   (db_text table, MD5: the SIPp users compute nothing else); requests for other domains go
#   where DNS says (NAPTR, SRV, A through /etc/resolv.conf, i.e. $DNS_IP), over TLS only, the
#   peer's certificate verified against PKI_DIR/ca.pem (KAM_CA overrides) and its name checked
#   against the target domain; requests from other providers must come over TLS.
# KAM_DEBUG (log level, 2 by default; 3 shows every TLS and DNS step), KAM_REQUIRE_CLIENT_CERT
# (yes/no, default no: a peer that presents a certificate must chain to the CA either way).
# Sets KAM_PID; waits until it answers an OPTIONS on UDP. Log: WORKDIR/kamailio.log.
start_kamailio_b() {
  local kdir=$1 pki=$2; shift 2
  local mpath; mpath=$(kamailio_modules_dir)
  [ -d "$mpath" ] || die "Kamailio's modules (tm.so) not found under /usr/lib (scripts/install-deps.sh)"
  [ -f "$mpath/tls.so" ] || die "Kamailio's tls.so is missing: install kamailio-tls-modules"
  mkdir -p "$kdir"
  write_b_users "$kdir/dbtext" "$@"
  local ca=${KAM_CA:-$pki/ca.pem}
  cat >"$kdir/tls.cfg" <<EOF
# b.test's TLS profiles (generated by tests/interdomain/lib_interdomain.sh)
[server:default]
method = TLSv1.2+
verify_certificate = yes
require_certificate = ${KAM_REQUIRE_CLIENT_CERT:-no}
private_key = $pki/b.test.key
certificate = $pki/b.test.pem
ca_list = $ca

[client:default]
method = TLSv1.2+
verify_certificate = yes
require_certificate = yes
private_key = $pki/b.test.key
certificate = $pki/b.test.pem
ca_list = $ca
EOF
  sed -e "s#__MPATH__#$mpath/#" -e "s#__WORK__#$kdir#g" -e "s/__IP__/$B_IP/g" \
      -e "s/__PORT__/$B_SIP_PORT/g" -e "s/__TLS_PORT__/$B_TLS_PORT/g" -e "s/__DEBUG__/${KAM_DEBUG:-2}/" \
      -e "s/__SECRET__/$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')/" \
      "$INTERDOMAIN_DIR/kamailio-b.cfg.in" >"$kdir/kamailio.cfg"
  kamailio -c -f "$kdir/kamailio.cfg" >"$kdir/kamailio-check.log" 2>&1 ||
    { tail -n 30 "$kdir/kamailio-check.log" >&2; die "kamailio -c: $kdir/kamailio.cfg does not check"; }
  spawn "$kdir/kamailio.log" kamailio -DD -E -f "$kdir/kamailio.cfg" -P "$kdir/kamailio.pid" -w "$kdir" -m 64 -M 16
  KAM_PID=$SPAWNED_PID
  sip_options_ping "$B_IP" "$B_SIP_PORT" ||
    { tail -n 30 "$kdir/kamailio.log" >&2; die "Kamailio (b.test) does not answer on udp $B_IP:$B_SIP_PORT"; }
}

stop_kamailio_b() { [ -n "${KAM_PID:-}" ] && stop_pid "$KAM_PID" 5; KAM_PID=; }

# sip_options_ping IP PORT: is something answering SIP over UDP there (any response to an
# OPTIONS, within ~5 s)?
sip_options_ping() {
  "$PY" - "$1" "$2" <<'PY'
import socket, sys, time
ip, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); s.settimeout(0.25)
me = s.getsockname()[1]
for i in range(20):
    msg = (f"OPTIONS sip:{ip}:{port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bK-ping{i};rport\r\n"
           f"Max-Forwards: 70\r\nFrom: <sip:ping@{ip}>;tag=p{i}\r\nTo: <sip:{ip}:{port}>\r\n"
           f"Call-ID: ping-{i}-{me}@127.0.0.1\r\nCSeq: {i + 1} OPTIONS\r\nContent-Length: 0\r\n\r\n")
    try:
        s.sendto(msg.encode(), (ip, port))
        if s.recv(65535).startswith(b"SIP/2.0 "):
            sys.exit(0)
    except OSError:
        time.sleep(0.25)
sys.exit(1)
PY
}

# --- TLS bridges for SIPp ------------------------------------------------------------------------
# Debian's SIPp 3.6.1 is built without TLS (`sipp -h` offers u1/un/ui/t1/tn/s1/sn only). Where a
# test needs a SIPp that speaks TLS (a stand-in for another provider), socat carries SIPp's TCP
# stream over TLS. The SIP messages then say TCP in their Via while the connection is TLS; the
# proxies answer on the connection a request came in on, so this is invisible to them.

# tls_client_bridge LOGFILE LISTEN_IP LISTEN_PORT TARGET_IP TARGET_PORT CERT KEY CA SNI: accepts
# TCP on LISTEN and opens, for each connection, a TLS connection to TARGET presenting CERT/KEY and
# verifying the server's certificate against CA and the name SNI. Sets BRIDGE_PID.
tls_client_bridge() {
  local log=$1 lip=$2 lport=$3 tip=$4 tport=$5 cert=$6 key=$7 ca=$8 sni=$9
  spawn "$log" socat -d -d "TCP-LISTEN:$lport,bind=$lip,reuseaddr,fork" \
    "OPENSSL:$tip:$tport,cert=$cert,key=$key,cafile=$ca,verify=1,commonname=$sni,snihost=$sni"
  BRIDGE_PID=$SPAWNED_PID
  wait_tcp_listen "$lip" "$lport" || die "socat did not listen on $lip:$lport (see $log)"
}

# tls_server_bridge LOGFILE LISTEN_IP LISTEN_PORT TARGET_IP TARGET_PORT CERT KEY CA: accepts TLS
# on LISTEN with CERT/KEY (a client certificate is verified against CA when one is sent) and
# carries each connection to TCP TARGET. Sets BRIDGE_PID.
tls_server_bridge() {
  local log=$1 lip=$2 lport=$3 tip=$4 tport=$5 cert=$6 key=$7 ca=$8
  spawn "$log" socat -d -d "OPENSSL-LISTEN:$lport,bind=$lip,reuseaddr,fork,cert=$cert,key=$key,cafile=$ca,verify=0" \
    "TCP:$tip:$tport"
  BRIDGE_PID=$SPAWNED_PID
  wait_tcp_listen "$lip" "$lport" || die "socat did not listen on $lip:$lport (see $log)"
}

# wait_tcp_listen IP PORT: until a socket listens for TCP there (5 s). Looks at the socket table
# (ss) rather than connecting: a probe connection would make a client bridge open a TLS
# connection of its own.
wait_tcp_listen() {
  local i
  for ((i = 0; i < 50; i++)); do
    ss -Hltn "src $1:$2" 2>/dev/null | grep -q . && return 0
    sleep 0.1
  done
  return 1
}

# --- warden as a.test ----------------------------------------------------------------------------

# write_warden_a_config FILE PKI_DIR: warden proxy's configuration for a.test.
# ASSUMED KEYS (the lead is wiring them into apps/warden/settings.cpp; see README.md):
#   [dns] servers                 the resolver c-ares asks (address:port)
#   [[domain_policy]] domain/action  "require_tls": requests for b.test leave over TLS only
#   [tls] ca                      trust anchors for the peers' certificates (the existing key;
#                                 WARDEN_TLS_CA_KEY=ca_file if the lead names it so)
# The rest exists today; WARDEN_ASSUMED_KEYS=0 leaves the assumed sections out. [proxy] peers names b.test's proxy (127.0.0.3, where Kamailio's
# connections come from): its requests for a.test users are not challenged.
write_warden_a_config() {
  local file=$1 pki=$2
  cat >"$file" <<EOF2
domains = ["a.test"]
[auth]
algorithms = ["MD5"]    # all SIPp 3.6.1 computes
[proxy]
max_transactions_per_source = 65536
peers = ["$B_IP/32"]
[tls]
certificate = "$pki/a.test.pem"
private_key = "$pki/a.test.key"
${WARDEN_TLS_CA_KEY:-ca} = "$pki/ca.pem"
EOF2
  [ "${WARDEN_ASSUMED_KEYS:-1}" = 0 ] && return 0   # today's warden: without the keys below
  cat >>"$file" <<EOF2
# --- needs the lead's wiring (issue 7) ---
[dns]
servers = ["$DNS_IP:$DNS_PORT"]
ipv6 = false            # dnsmasq has no AAAA records here
[[domain_policy]]
domain = "b.test"
action = "require_tls"
EOF2
}

# start_warden_a WARDEN WORKDIR PKI_DIR USER:PASSWORD...: imports the a.test accounts and starts
# `warden proxy` for a.test on udp+tcp $A_IP:$A_SIP_PORT (its users) and tls $A_IP:$A_TLS_PORT
# (other providers; the SRV record's port); waits for "ready". Sets WARDEN_PID. Logs:
# WORKDIR/warden.out, WORKDIR/warden.err. WARDEN_LOG_LEVEL (info by default).
start_warden_a() {
  local bin=$1 wdir=$2 pki=$3; shift 3
  mkdir -p "$wdir"
  local up out
  : >"$wdir/accounts.csv"
  for up in "$@"; do echo "${up%%:*}@a.test,${up#*:}" >>"$wdir/accounts.csv"; done
  out=$("$bin" user import "$wdir/accounts.csv" --data-dir "$wdir/data" 2>&1) || die "warden user import: $out"
  write_warden_a_config "$wdir/warden-a.toml" "$pki"
  "$bin" proxy --config "$wdir/warden-a.toml" --data-dir "$wdir/data" \
    --listen "udp:$A_IP:$A_SIP_PORT" --listen "tcp:$A_IP:$A_SIP_PORT" --listen "tls:$A_IP:$A_TLS_PORT" \
    --log-level "${WARDEN_LOG_LEVEL:-info}" >"$wdir/warden.out" 2>"$wdir/warden.err" &
  WARDEN_PID=$!
  INTEROP_PIDS+=("$WARDEN_PID")
  if ! wait_for_line "$wdir/warden.out" '^ready$' 20 "$WARDEN_PID"; then
    echo "--- warden stdout" >&2; cat "$wdir/warden.out" >&2
    echo "--- warden stderr (last 30 lines)" >&2; tail -n 30 "$wdir/warden.err" >&2
    die "warden proxy (a.test) did not print 'ready' within 20 s (config $wdir/warden-a.toml)"
  fi
  grep -q "^listening tls:$A_IP:$A_TLS_PORT\$" "$wdir/warden.out" ||
    die "warden did not report 'listening tls:$A_IP:$A_TLS_PORT' (stdout: $(tr '\n' '|' <"$wdir/warden.out"))"
}

# --- warden as any provider, warden phones -------------------------------------------------------

# start_warden_provider WARDEN WORKDIR DOMAIN IP SIP_PORT TLS_PORT PEER PKI_DIR USER:PASSWORD...:
# `warden proxy` for DOMAIN (a.test or b.test: PKI_DIR/DOMAIN.pem from make_pki) on udp+tcp
# IP:SIP_PORT (its users) and tls IP:TLS_PORT (other providers), as interdomain_warden_warden.sh
# runs them: the other provider PEER trusted by its address ([proxy] peers = PEER) or, as
# tls:DOMAIN, by the client certificate it presents (mutual TLS, [proxy] tls_peers), DNS through $DNS_IP, TLS required toward every domain, SIP
# Identity signed and verified (the certificate served on IP:8443, info URL
# https://sip.DOMAIN:8443/identity.pem, trust anchor PKI_DIR/ca.pem). WARDEN_EXTRA_TOML is
# appended to the configuration (whole tables, e.g. "[privacy]\nmedia_relay = true"). Waits for
# "ready"; sets WARDEN_PID. Files: WORKDIR/warden.toml, warden.out, warden.err.
start_warden_provider() {
  local bin=$1 wdir=$2 d=$3 ip=$4 sip=$5 tls=$6 peer=$7 pki=$8; shift 8
  local up out
  mkdir -p "$wdir"
  : >"$wdir/users.csv"
  for up in "$@"; do echo "${up%%:*}@$d,${up#*:}" >>"$wdir/users.csv"; done
  out=$("$bin" user import "$wdir/users.csv" --data-dir "$wdir/data" 2>&1) || die "warden user import ($d): $out"
  local peers_line
  case $peer in
    tls:*) peers_line="tls_peers = [\"${peer#tls:}\"]" ;;  # trusted by its client certificate
    *) peers_line="peers = [\"$peer/32\"]" ;;               # trusted by its address
  esac
  cat >"$wdir/warden.toml" <<EOF
domains = ["$d"]
[proxy]
$peers_line
[tls]
certificate = "$pki/$d.pem"
private_key = "$pki/$d.key"
ca = "$pki/ca.pem"
[dns]
servers = ["$DNS_IP:$DNS_PORT"]
ipv6 = false
[[domain_policy]]
domain = "*"
action = "require_tls"
[identity]
sign = true
serve = "$ip:8443"
info_url = "https://sip.$d:8443/identity.pem"
trust_anchors = ["$pki/ca.pem"]
EOF
  [ -n "${WARDEN_EXTRA_TOML:-}" ] && printf '%b\n' "$WARDEN_EXTRA_TOML" >>"$wdir/warden.toml"
  "$bin" proxy --config "$wdir/warden.toml" --data-dir "$wdir/data" \
    --listen "udp:$ip:$sip" --listen "tcp:$ip:$sip" --listen "tls:$ip:$tls" \
    --log-level "${WARDEN_LOG_LEVEL:-info}" >"$wdir/warden.out" 2>"$wdir/warden.err" &
  WARDEN_PID=$!
  INTEROP_PIDS+=("$WARDEN_PID")
  wait_for_line "$wdir/warden.out" '^ready$' 20 "$WARDEN_PID" ||
    die "warden ($d) did not start: $(tail -n 5 "$wdir/warden.err" | tr '\n' '|') (config $wdir/warden.toml)"
  log "ok: warden $d on $ip (udp/tcp $sip, tls $tls)"
}

# write_warden_phone FILE USER DOMAIN PASSWORD PROXY_IP:PORT MEDIA_IP: a `warden phone` account
# (UDP to its proxy, registers, DTLS-SRTP, PCMU). The phone binds both its SIP and its media
# sockets to MEDIA_IP ([media] address), so everything it sends comes from that address.
write_warden_phone() {
  cat >"$1" <<EOF
uri = "sip:$2@$3"
username = "$2"
password = "$4"
proxy = "udp:$5"
register = true
[media]
keying = "dtls"
codecs = ["PCMU"]
address = "$6"
EOF
}
