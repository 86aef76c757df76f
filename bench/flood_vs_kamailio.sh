#!/usr/bin/env bash
# What an INVITE flood costs warden proxy and Kamailio, side by side on loopback, and the flood
# rate at which legitimate calls start to fail. A benchmark, not a test: it prints figures and
# Warden/Kamailio ratios and fails only when it cannot run. See bench/README.md.
#
#   bench/flood_vs_kamailio.sh [--quick] [--rates 0,2000,5000,10000,20000,40000] [--sources 1,50]
#                              [--duration SECONDS] [--warden PATH] [--no-pike] [--keep]
#
# Servers: warden proxy with its defaults (shield on, no peers: every caller authenticates);
# Kamailio with bench/kamailio.cfg.in as proxy_vs_kamailio.sh runs it (no flood protection);
# and, when Kamailio's pike module is installed, the same config with pike in front of the
# request route (kamailio+pike; --no-pike leaves it out).
# Each step, for each server in turn: legitimate calls at 50 calls/s for DURATION seconds (15;
# SIPp, uac_call_local_auth.xml: 200 local users registered from 127.0.0.11-15, 10 calls/s from
# each address, proxy authentication with 407, to svc@bench.test, a SIPp UAS on 127.0.0.2)
# while a python3 flooder sends INVITEs (from a local-domain user without credentials, so that
# both servers must answer 407; a new branch and Call-ID each) at RATE packets/s from one
# source address (127.0.0.50) or from 50 (127.0.0.100-149), all on one process. The flooder
# measures the rate it really sent and, from the kernel's counters of its sockets, how many
# answers came back.
# Per step and server: legitimate success (SIPp successful / calls offered), the server's CPU
# seconds during the step (utime+stime of it and its children, /proc/PID/stat), flood packets
# sent, CPU per flood packet ((CPU of the step - CPU of the 0-flood step) / packets), memory
# (RSS; for Kamailio also PSS, its processes share memory), datagrams the kernel dropped at the
# server's socket. At the end: a table, the breaking rate (lowest rate with legitimate success
# below 99%) per server and series, and the ratio Warden/Kamailio of CPU per flood packet.
# Raw lines: build/flood_vs_kamailio.jsonl. Flooder, SIPp and server share the machine's cores.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
source "$root/tests/interop/lib.sh"

duration=15
rates=0,2000,5000,10000,20000,40000
source_series=1,50
warden=""
keep=""
pike=1
callers=200
legit_rate=50
legit_sources=5
usage() { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --duration) duration=${2:?}; shift 2 ;;
    --rates) rates=${2:?}; shift 2 ;;
    --sources) source_series=${2:?}; shift 2 ;;
    --quick) duration=8; rates=0,5000,20000,40000; shift ;;
    --warden) warden=${2:?}; shift 2 ;;
    --no-pike) pike=""; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) usage ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
done
[[ $rates =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "--rates: comma-separated packets/s" >&2; exit 2; }
[[ $source_series =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "--sources: comma-separated counts" >&2; exit 2; }
# the 0-flood step comes first: it is every server's baseline
rates=$(tr , '\n' <<<"0,$rates" | sort -n -u | paste -sd,)

# --- tools (as proxy_vs_kamailio.sh) -----------------------------------------------------------
if ! command -v kamailio >/dev/null || ! command -v sipp >/dev/null; then
  log "installing kamailio and sip-tester (Debian packages)"
  SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e '^lock$' -e '^partial$' -e '^auxfiles$')" ]; then
    $SUDO apt-get update -qq >/dev/null
  fi
  $SUDO apt-get install -y -qq kamailio sip-tester >/dev/null ||
    { $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq kamailio sip-tester >/dev/null; } ||
    die "could not install kamailio and sip-tester"
fi
kam_modules=$(dirname "$(find /usr/lib -name tm.so -path '*kamailio/modules*' 2>/dev/null | head -n1)")
[ -d "$kam_modules" ] || die "Kamailio's modules (tm.so) not found under /usr/lib"
if [ -n "$pike" ] && [ ! -f "$kam_modules/pike.so" ]; then
  log "Kamailio's pike module is not installed ($kam_modules/pike.so): the kamailio+pike variant is skipped"
  pike=""
fi

if [ -z "$warden" ]; then
  warden=$root/build/release/apps/warden/warden
  if [ ! -x "$warden" ]; then
    log "building warden (release preset)"
    (cd "$root" && cmake --preset release >/dev/null && cmake --build build/release -j2 --target warden >/dev/null) ||
      die "could not build warden"
  fi
fi
[ -x "$warden" ] || die "no warden binary at $warden"
warden=$(cd "$(dirname "$warden")" && pwd)/$(basename "$warden")

# --- work folder, cleanup ---------------------------------------------------------------------
work=$(mktemp -d /tmp/warden-flood-bench.XXXXXX)
finish() {
  local rc=$?
  stop_all
  if [ -z "$keep" ] && [ "$rc" -eq 0 ]; then rm -rf "$work"; else echo "files kept in $work"; fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 1' INT TERM
cd "$work" || exit 1

DOMAIN=bench.test
UAS_IP=127.0.0.2
SINGLE_IP=127.0.0.50      # the flood from one address
MANY_FIRST=127.0.0.100    # the flood from many: 127.0.0.100, .101, ...
pick_port() {  # a free port that this run has not handed out before
  local p
  while :; do p=$(free_port); [[ " ${picked[*]-} " == *" $p "* ]] || break; done
  picked+=("$p")
  echo "$p"
}
picked=()
servers=(w k); [ -n "$pike" ] && servers+=(p)
declare -A PORT UAS_PORT PID NAME=([w]=warden [k]=kamailio [p]=kamailio+pike)
for s in "${servers[@]}"; do PORT[$s]=$(pick_port); UAS_PORT[$s]=$(pick_port); done
log "servers: $(for s in "${servers[@]}"; do printf '%s 127.0.0.1:%s  ' "${NAME[$s]}" "${PORT[$s]}"; done)files in $work"
log "legitimate load: $legit_rate calls/s for $duration s per step, from $legit_sources addresses (127.0.0.11-$((10 + legit_sources)));" \
    "flood rates $rates packets/s from $source_series source address(es)"
log "NOTE: flooder, SIPp and servers share this machine's $(nproc) cores; other work may run too. CPU time is measured, not wall time."

# cpu_ticks PID: clock ticks of user and of sys time of PID and every process below it, "USER SYS"
# (proxy_vs_kamailio.sh's, with the two kept apart).
cpu_ticks() {
  python3 - "$1" <<'PY'
import os, sys
root = int(sys.argv[1])
stat = {}
for d in os.listdir("/proc"):
    if d.isdigit():
        try:
            s = open(f"/proc/{d}/stat").read()
        except OSError:
            continue
        f = s[s.rindex(")") + 2:].split()
        stat[int(d)] = (int(f[1]), int(f[11]), int(f[12]))  # ppid, utime, stime
user = sys_ = 0
todo = [root]
while todo:
    p = todo.pop()
    if p in stat:
        user += stat[p][1]; sys_ += stat[p][2]
        todo += [c for c, (pp, _, _) in stat.items() if pp == p]
print(user, sys_)
PY
}

# mem_kb PID: "RSS PSS" in kB, summed over PID and its children (Kamailio's processes share
# their memory: the sum of RSS counts shared pages once per process, PSS splits them).
mem_kb() {
  python3 - "$1" <<'PY'
import os, sys
root = int(sys.argv[1])
kids = {}
for d in os.listdir("/proc"):
    if d.isdigit():
        try:
            s = open(f"/proc/{d}/stat").read()
        except OSError:
            continue
        kids.setdefault(int(s[s.rindex(")") + 2:].split()[1]), []).append(int(d))
rss = pss = 0
todo = [root]
while todo:
    p = todo.pop()
    todo += kids.get(p, [])
    try:
        for line in open(f"/proc/{p}/smaps_rollup"):
            if line.startswith("Rss:"):
                rss += int(line.split()[1])
            elif line.startswith("Pss:"):
                pss += int(line.split()[1])
    except OSError:
        pass
print(rss, pss)
PY
}

# kernel_drops PORT: datagrams the kernel dropped at the UDP socket(s) on 127.0.0.1:PORT
# (receive buffer full), the last column of /proc/net/udp.
kernel_drops() {
  python3 - "$1" <<'PY'
import sys
want = "0100007F:%04X" % int(sys.argv[1])
print(sum(int(l.split()[-1]) for l in open("/proc/net/udp").read().splitlines()[1:] if l.split()[1] == want))
PY
}

# sip_ping PORT: is something answering SIP on 127.0.0.1:PORT (as proxy_vs_kamailio.sh)?
sip_ping() {
  python3 - "$1" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); s.settimeout(0.5)
me = s.getsockname()[1]
for i in range(20):
    msg = (f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bK-ping{i};rport\r\n"
           f"Max-Forwards: 70\r\nFrom: <sip:ping@foreign.test>;tag=p{i}\r\nTo: <sip:127.0.0.1:{port}>\r\n"
           f"Call-ID: ping-{i}-{me}@127.0.0.1\r\nCSeq: {i + 1} OPTIONS\r\nContent-Length: 0\r\n\r\n")
    try:
        s.sendto(msg.encode(), ("127.0.0.1", port))
        if s.recv(65535).startswith(b"SIP/2.0 "):
            sys.exit(0)
    except OSError:
        time.sleep(0.25)
sys.exit(1)
PY
}

# --- the flooder ------------------------------------------------------------------------------
cat > flooder.py <<'PY'
"""INVITE flood: one UDP socket per source address (loopback only), a fixed INVITE with a new
branch, tag and Call-ID per packet, sent round-robin over the sources at --rate packets/s in
all (0: as fast as it can). Answers are not read while sending (that would cost the flooder
CPU); the kernel counts them: at the end, the datagrams queued on each socket are read and the
socket's drop counter (/proc/net/udp) added. Prints one JSON object."""
import argparse, json, os, socket, time
ap = argparse.ArgumentParser()
ap.add_argument("--target", required=True)
ap.add_argument("--first-source", required=True)
ap.add_argument("--sources", type=int, default=1)
ap.add_argument("--rate", type=float, default=0)
ap.add_argument("--seconds", type=float, required=True)
ap.add_argument("--domain", required=True)
ap.add_argument("--user", required=True)
a = ap.parse_args()
host, port = a.target.rsplit(":", 1)
assert host.startswith("127.") and a.first_source.startswith("127."), "loopback only"
target = (host, int(port))
b = [int(x) for x in a.first_source.split(".")]
first = (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]
socks = []
for i in range(a.sources):
    x = first + i
    ip = f"{x >> 24 & 255}.{x >> 16 & 255}.{x >> 8 & 255}.{x & 255}"
    assert ip.startswith("127.")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 18)
    s.bind((ip, 0))
    s.setblocking(False)
    p = s.getsockname()[1]
    sdp = (f"v=0\r\no=flood 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
           f"m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
    tpl = (f"INVITE sip:{a.user}@{a.domain} SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP {ip}:{p};branch=z9hG4bK-fl{os.getpid()}-%d;rport\r\n"
           f"Max-Forwards: 70\r\nFrom: <sip:flood@{a.domain}>;tag=fl%d\r\nTo: <sip:{a.user}@{a.domain}>\r\n"
           f"Call-ID: fl{os.getpid()}-%d@{ip}\r\nCSeq: 1 INVITE\r\nContact: <sip:flood@{ip}:{p}>\r\n"
           f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}").encode()
    socks.append((s, tpl))
k = len(socks)
sent = errors = n = 0
start = time.monotonic()
end = start + a.seconds
while True:
    now = time.monotonic()
    if now >= end:
        break
    todo = 512 if a.rate <= 0 else min(512, int((now - start) * a.rate) - n)
    if todo <= 0:
        time.sleep(min(0.002, 1.0 / a.rate))
        continue
    for _ in range(todo):
        s, tpl = socks[n % k]
        try:
            s.sendto(tpl % (n, n, n), target)
            sent += 1
        except OSError:
            errors += 1
        n += 1
elapsed = time.monotonic() - start
time.sleep(1.0)   # answers still on their way
inodes = {os.fstat(s.fileno()).st_ino for s, _ in socks}
drops = 0
for line in open("/proc/net/udp").read().splitlines()[1:]:
    f = line.split()
    if int(f[9]) in inodes:
        drops += int(f[-1])
queued = 0
for s, _ in socks:
    while True:
        try:
            s.recv(65535)
            queued += 1
        except OSError:
            break
print(json.dumps({"sources": k, "seconds": round(elapsed, 3), "sent": sent, "send_errors": errors,
                  "rate": round(sent / elapsed) if elapsed > 0 else 0, "answers": queued + drops}))
PY

# --- accounts (password "secret": Kamailio's config checks that one for everybody) ------------
python3 - "$callers" "$DOMAIN" "$legit_sources" <<'PY'
import sys
n, dom, k = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
us = [open(f"users-{j}.inf", "w") for j in range(k)]
for u in us:
    u.write("SEQUENTIAL\n")
with open("accounts.csv", "w") as w:
    for i in range(n):
        w.write(f"user{i}@{dom},secret\n")
        # each caller's contact is on its own address (nothing listens there: nobody calls them)
        us[i % k].write(f"user{i};{dom};[authentication username=user{i} password=secret];127.0.0.{11 + i % k}:9\n")
    w.write(f"svc@{dom},secret\n")
for u in us:
    u.close()
PY
out=$("$warden" user import accounts.csv --data-dir "$work/warden-data" 2>&1) || die "warden user import: $out"

# --- servers ----------------------------------------------------------------------------------
# warden: its defaults (shield on, no peers, default transaction limit); MD5 only because SIPp
# 3.6.1 computes nothing else.
cat > warden.toml <<EOF
domains = ["$DOMAIN"]
[auth]
algorithms = ["MD5"]
[log]
level = "error"
EOF
WARDEN_LOG_LEVEL=error start_warden "$warden" "$work/warden-data" "${PORT[w]}" warden warden.toml
PID[w]=$WARDEN_PID
log "warden ready (pid ${PID[w]})"

# kamailio+pike: pike in front of the request route, as Kamailio's sample config does it
# (WITH_ANTIFLOOD, without the htable ban). The limit is 200 requests per 2 s per address
# (100/s, warden's rate for an unknown source); a legitimate caller address here sends ~50/s
# (10 calls/s, 5 requests each). Blocked requests are dropped without an answer.
start_kamailio() {  # start_kamailio s CFG
  local s=$1 cfg=$2
  kamailio -c -f "$cfg" >"kamailio-$s-check.log" 2>&1 || { cat "kamailio-$s-check.log" >&2; die "$cfg does not check"; }
  spawn "kamailio-$s.log" kamailio -DD -E -f "$work/$cfg" -P "$work/kamailio-$s.pid" -w "$work" -m 1024 -M 32
  PID[$s]=$SPAWNED_PID
  sip_ping "${PORT[$s]}" || { tail -n 20 "kamailio-$s.log" >&2; die "${NAME[$s]} does not answer on 127.0.0.1:${PORT[$s]}"; }
  log "${NAME[$s]} ready (pid ${PID[$s]}, $(ps -o pid= --ppid "${PID[$s]}" | wc -l) children)"
}
sed -e "s/__PORT__/${PORT[k]}/g" -e "s/__CHILDREN__/4/" -e "s/__DOMAIN__/$DOMAIN/" -e "s#__MPATH__#$kam_modules/#" \
  "$here/kamailio.cfg.in" > kamailio.cfg
start_kamailio k kamailio.cfg
if [ -n "$pike" ]; then
  sed -e "s/__PORT__/${PORT[p]}/g" -e "s/__CHILDREN__/4/" -e "s/__DOMAIN__/$DOMAIN/" -e "s#__MPATH__#$kam_modules/#" \
    -e '/^loadmodule "kex.so"/a loadmodule "pike.so"\nmodparam("pike", "sampling_time_unit", 2)\nmodparam("pike", "reqs_density_per_unit", 200)\nmodparam("pike", "remove_latency", 4)' \
    -e '/^request_route {/a \ \ if (!pike_check_req()) { exit; }' \
    "$here/kamailio.cfg.in" > kamailio-pike.cfg
  grep -q pike_check_req kamailio-pike.cfg || die "could not add pike to the config"
  start_kamailio p kamailio-pike.cfg
fi

common=(-default_behaviors all,-bye -buff_size 4194304)

# Per server: the callee UAS on $UAS_IP (svc registers from there, so that warden trusts it as
# it trusts any user who authenticated), then the callers register from their own addresses.
for s in "${servers[@]}"; do
  sipp_start "uas-$s" -sf "$SCENARIOS/uas_call.xml" -i "$UAS_IP" -p "${UAS_PORT[$s]}" -timeout 7200 "${common[@]}"
  printf 'SEQUENTIAL\nsvc;%s;[authentication username=svc password=secret];%s:%s\n' "$DOMAIN" "$UAS_IP" "${UAS_PORT[$s]}" > "svc-$s.inf"
  sleep 0.3
  sipp_run "svc-register-$s" -sf "$SCENARIOS/register.xml" -inf "$work/svc-$s.inf" -auth_uri "$DOMAIN" -m 1 \
    -i "$UAS_IP" -p "$(pick_port)" "${common[@]}" "127.0.0.1:${PORT[$s]}"
  expect_sipp "svc-register-$s" 1 "${NAME[$s]}: svc@$DOMAIN registered at $UAS_IP:${UAS_PORT[$s]}" || exit 1
  for ((i = 0; i < legit_sources; i++)); do
    n=$(( (callers - i + legit_sources - 1) / legit_sources ))
    sipp_run "register-$s-$i" -sf "$SCENARIOS/register.xml" -inf "$work/users-$i.inf" -auth_uri "$DOMAIN" -m "$n" -r 100 \
      -i "127.0.0.$((11 + i))" -p "$(pick_port)" "${common[@]}" "127.0.0.1:${PORT[$s]}"
    expect_sipp "register-$s-$i" "$n" "${NAME[$s]}: $n callers registered from 127.0.0.$((11 + i))" >/dev/null ||
      die "${NAME[$s]}: callers could not register"
  done
  log "${NAME[$s]}: $callers callers registered from 127.0.0.11-$((10 + legit_sources))"
done

# run_step SERIES RATE SERVER: one measured step; appends a JSON line to results.jsonl.
run_step() {
  local nsrc=$1 rate=$2 s=$3 name pid port u0 u1 y0 y1 kd0 kd1 t0 t1 i per count fpid=""
  name=f$nsrc-$rate-$s; pid=${PID[$s]}; port=${PORT[$s]}
  kill -0 "$pid" 2>/dev/null || die "${NAME[$s]} is not running any more"
  per=$(python3 -c "print($legit_rate / $legit_sources)"); count=$((legit_rate * duration / legit_sources))
  read -r u0 y0 < <(cpu_ticks "$pid"); kd0=$(kernel_drops "$port"); t0=$(date +%s.%N)
  if [ "$rate" -gt 0 ]; then
    local first=$SINGLE_IP; [ "$nsrc" -gt 1 ] && first=$MANY_FIRST
    python3 flooder.py --target "127.0.0.1:$port" --first-source "$first" --sources "$nsrc" --rate "$rate" \
      --seconds "$((duration + 1))" --domain "$DOMAIN" --user svc >"$name-flood.json" 2>"$name-flood.err" &
    fpid=$!; INTEROP_PIDS+=("$fpid")
    sleep 0.5
  fi
  for ((i = 0; i < legit_sources; i++)); do
    sipp_start "$name-s$i" -sf "$SCENARIOS/uac_call_local_auth.xml" -inf "$work/users-$i.inf" -s svc \
      -auth_uri "svc@$DOMAIN" -r "$per" -m "$count" -l 1000 -p "$(pick_port)" -timeout $((duration * 2 + 40)) \
      -recv_timeout 10000 "${common[@]}" -i "127.0.0.$((11 + i))" "127.0.0.1:$port"
  done
  for ((i = 0; i < legit_sources; i++)); do sipp_wait "$name-s$i" $((duration * 2 + 60)); done
  if [ -n "$fpid" ]; then
    for _ in $(seq 100); do kill -0 "$fpid" 2>/dev/null || break; sleep 0.1; done
    stop_pid "$fpid" 3
  fi
  read -r u1 y1 < <(cpu_ticks "$pid"); kd1=$(kernel_drops "$port"); t1=$(date +%s.%N)
  python3 - "$name" "$legit_sources" "$nsrc" "$rate" "${NAME[$s]}" "$((u1 - u0))" "$((y1 - y0))" "$(getconf CLK_TCK)" \
    "$((legit_sources * count))" "$((kd1 - kd0))" "$t0" "$t1" $(mem_kb "$pid") >> results.jsonl <<'PY'
import csv, json, sys
name, k, nsrc, rate, server, uticks, sticks, hz, offered, kdrops, t0, t1, rss, pss = sys.argv[1:15]
def last_stats(d):
    try:
        rows = [r for r in csv.reader(open(d + "/stat.csv"), delimiter=";") if r]
        return dict(zip(rows[0], rows[-1]))
    except (OSError, IndexError):
        return {}
st = [last_stats(f"{name}-s{i}") for i in range(int(k))]
ok = sum(int(m.get("SuccessfulCall(C)", 0)) for m in st)
fail = sum(int(m.get("FailedCall(C)", 0)) for m in st)
retr = sum(int(m.get("Retransmissions(C)", 0)) for m in st)
try:
    fl = json.load(open(f"{name}-flood.json"))
except (OSError, ValueError):
    fl = {"sent": 0, "rate": 0, "answers": 0, "send_errors": 0, "seconds": 0}
offered = int(offered)
print(json.dumps({
    "series_sources": int(nsrc), "target_rate": int(rate), "server": server,
    "legit_offered": offered, "legit_ok": ok, "legit_failed": fail, "legit_retransmissions": retr,
    "legit_success": round(ok / offered, 4) if offered else None,
    "cpu_s": round((int(uticks) + int(sticks)) / int(hz), 2), "cpu_user_s": round(int(uticks) / int(hz), 2),
    "cpu_sys_s": round(int(sticks) / int(hz), 2), "elapsed_s": round(float(t1) - float(t0), 2),
    "flood_sent": fl["sent"], "flood_rate": fl["rate"], "flood_answers": fl["answers"],
    "flood_send_errors": fl["send_errors"], "kernel_drops": int(kdrops),
    "rss_mb": round(int(rss) / 1024, 1), "pss_mb": round(int(pss) / 1024, 1)}))
PY
  tail -n 1 results.jsonl | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
print("  %2d src %6d/s %-14s legit %4d/%d (%.1f%%)  cpu %6.2f s (sys %5.2f)  flood sent %8d (%6d/s) answered %7d  kernel drops %7d  RSS %6.1f MB PSS %6.1f MB" % (
    r["series_sources"], r["target_rate"], r["server"], r["legit_ok"], r["legit_offered"], 100 * (r["legit_success"] or 0),
    r["cpu_s"], r["cpu_sys_s"], r["flood_sent"], r["flood_rate"], r["flood_answers"], r["kernel_drops"], r["rss_mb"], r["pss_mb"]))'
}

IFS=, read -r -a rate_list <<<"$rates"
IFS=, read -r -a series_list <<<"$source_series"
step=0
# the 0-flood baseline once per server, then each series with its rates; the servers take turns
# within a step, the order rotating, so that the machine's other load spreads over all of them
for nsrc in 0 "${series_list[@]}"; do
  for rate in "${rate_list[@]}"; do
    if [ "$nsrc" = 0 ]; then [ "$rate" = 0 ] || continue; else [ "$rate" = 0 ] && continue; fi
    log "step: $([ "$rate" = 0 ] && echo "no flood (baseline)" || echo "flood $rate packets/s from $nsrc address(es)")"
    order=("${servers[@]:step % ${#servers[@]}}" "${servers[@]:0:step % ${#servers[@]}}")
    for s in "${order[@]}"; do
      run_step "$nsrc" "$rate" "$s"
      sleep 3   # let answers, retransmissions and timers of the step drain
    done
    step=$((step + 1))
  done
done

# --- summary ----------------------------------------------------------------------------------
python3 - results.jsonl "$duration" "$legit_rate" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
duration, legit = sys.argv[2], sys.argv[3]
servers = [s for s in ("warden", "kamailio", "kamailio+pike") if any(r["server"] == s for r in rows)]
base = {r["server"]: r for r in rows if r["target_rate"] == 0}
for r in rows:
    b = base.get(r["server"])
    ok = r["flood_sent"] and b is not None
    r["cpu_us_per_pkt"] = round((r["cpu_s"] - b["cpu_s"]) * 1e6 / r["flood_sent"], 2) if ok else None
    r["sys_us_per_pkt"] = round((r["cpu_sys_s"] - b["cpu_sys_s"]) * 1e6 / r["flood_sent"], 2) if ok else None
def fmt(v, spec):
    return "-" if v is None else format(v, spec)
print()
print(f"Legitimate load: {legit} calls/s for {duration} s per step. Flooder, SIPp and servers share the")
print("machine's cores, and other work may run on it: CPU seconds are the steadier figure, wall-clock")
print("effects (success, kernel drops) depend on what else runs. CPU/pkt = (CPU of the step - CPU of the")
print("server's no-flood step) / flood packets sent; it includes the answers the server sends and the")
print("kernel's work in the server's system calls ('of it sys'). 'answered': flood packets that got an answer.")
print()
hdr = f"{'sources':>7} {'target/s':>8} {'sent/s':>7} {'server':<14} {'legit ok':>8} {'CPU s':>6} {'CPU us/pkt':>10} {'of it sys':>9} {'answered':>8} {'kdrops':>8} {'RSS MB':>7} {'PSS MB':>7}"
print(hdr)
print("-" * len(hdr))
keys = sorted({(r["series_sources"], r["target_rate"]) for r in rows})
for key in keys:
    for s in servers:
        for r in rows:
            if (r["series_sources"], r["target_rate"]) == key and r["server"] == s:
                ans = f"{100 * r['flood_answers'] / r['flood_sent']:.1f}%" if r["flood_sent"] else "-"
                print(f"{r['series_sources']:>7} {r['target_rate']:>8} {r['flood_rate']:>7} {s:<14} "
                      f"{100 * r['legit_success']:>7.1f}% {r['cpu_s']:>6.2f} {fmt(r['cpu_us_per_pkt'], '.2f'):>10} {fmt(r['sys_us_per_pkt'], '.2f'):>9} "
                      f"{ans:>8} {r['kernel_drops']:>8} {r['rss_mb']:>7.1f} {r['pss_mb']:>7.1f}")
print()
print("Breaking rate: the lowest flood rate (target) at which legitimate success fell below 99%")
for n in sorted({k[0] for k in keys if k[0] > 0}):
    for s in servers:
        br = [r["target_rate"] for r in rows if r["server"] == s and r["series_sources"] == n
              and r["target_rate"] > 0 and r["legit_success"] < 0.99]
        tested = max((r["target_rate"] for r in rows if r["server"] == s and r["series_sources"] == n), default=0)
        print(f"  {n:>3} source(s)  {s:<14} " + (f"{min(br)} packets/s" if br else f"none up to {tested} packets/s"))
print()
print("CPU per flood packet, Warden / Kamailio (below 1: warden spends less per packet)")
for other in [s for s in servers if s != "warden"]:
    for key in keys:
        if key[1] == 0:
            continue
        w = next((r for r in rows if (r["series_sources"], r["target_rate"]) == key and r["server"] == "warden"), None)
        o = next((r for r in rows if (r["series_sources"], r["target_rate"]) == key and r["server"] == other), None)
        if w and o and w["cpu_us_per_pkt"] is not None and o["cpu_us_per_pkt"]:
            print(f"  {key[0]:>3} source(s) {key[1]:>6}/s  warden/{other:<14} "
                  f"{w['cpu_us_per_pkt']:.2f} / {o['cpu_us_per_pkt']:.2f} us = {w['cpu_us_per_pkt'] / o['cpu_us_per_pkt']:.2f}")
with open(sys.argv[1], "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
PY
mkdir -p "$root/build"
cp results.jsonl "$root/build/flood_vs_kamailio.jsonl" && log "raw results: build/flood_vs_kamailio.jsonl"
exit 0
