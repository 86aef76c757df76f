#!/usr/bin/env bash
# Warden's proxy against Kamailio under the same SIPp loads, side by side on loopback.
# A benchmark, not a test: it prints figures and Warden/Kamailio ratios and passes or fails on
# nothing but its own ability to run. See bench/README.md.
#
#   bench/proxy_vs_kamailio.sh [--duration SECONDS] [--rounds N] [--quick] [--warden PATH]
#                              [--loads reg,call1000,call2000,acall1000] [--sources N] [--keep]
#                              [--servers warden,kamailio,floor]
#
# Loads (each offered to Warden and to Kamailio in turn, the order alternating every round):
#   reg        REGISTER with digest authentication (401, then credentials), 2,000/s
#   call1000   calls from a foreign-domain caller to a registered SIPp UAS, 1,000 calls/s
#   call2000   the same at 2,000 calls/s
#   acall1000  calls from local users, who must pass proxy authentication (407), 1,000 calls/s
# --servers warden runs the loads against Warden alone (e.g. with a profiler attached to it).
# floor (reg only) is bench/reg_floor, a UDP responder that answers SIPp's REGISTERs with a fixed
# 401 and a 200 and does nothing else: what the kernel alone costs per registration here (two
# datagrams in, two out, the wake-ups). The summary also prints each server's CPU above it.
# For each run: completed and failed operations, the server's CPU time per completed operation
# (user+sys from /proc/PID/stat of the server and its child processes, before and after), and
# p50/p99 response times. SIPp 3.6.1 reads a coarse clock (its -trace_rtt figures move in steps
# of one kernel tick, 4 ms here), so the response times come from a probe: the same scenario at
# 2.5% of the rate, beside the load, with -trace_msg, whose timestamps are in microseconds.
#
# Both servers ask MD5 digests (all SIPp 3.6.1 computes), every account's password is "secret"
# (Kamailio's config checks that one password for every user), domain bench.test.
# Everything listens on and sends to 127.0.0.1 only.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
source "$root/tests/interop/lib.sh"

duration=20
rounds=3
loads=reg,call1000,call2000,acall1000
warden=""
keep=""
users=10000
sources=4
servers=warden,kamailio,floor
usage() { sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --duration) duration=${2:?}; shift 2 ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    --quick) duration=5; rounds=1; users=2000; shift ;;
    --warden) warden=${2:?}; shift 2 ;;
    --loads) loads=${2:?}; shift 2 ;;
    --sources) sources=${2:?}; shift 2 ;;
    --keep) keep=1; shift ;;
    --servers) servers=${2:?}; shift 2 ;;
    -h|--help) usage ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
done
[[ $servers =~ ^(warden|kamailio|floor)(,(warden|kamailio|floor)){0,2}$ ]] ||
  { echo "--servers takes warden, kamailio and floor, comma-separated (got '$servers')" >&2; exit 2; }

# --- tools ------------------------------------------------------------------------------------
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

if [ -z "$warden" ]; then
  warden=$root/build/release/apps/warden/warden
  if [ ! -x "$warden" ]; then
    log "building warden (release preset)"
    (cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release -j2 --target warden >/dev/null) ||
      die "could not build warden"
  fi
fi
[ -x "$warden" ] || die "no warden binary at $warden"
warden=$(cd "$(dirname "$warden")" && pwd)/$(basename "$warden")
# reg_floor from the same build as warden when there is one, else from the release build.
floor_bin=${warden%/apps/warden/warden}/bench/reg_floor
[ -x "$floor_bin" ] || floor_bin=$root/build/release/bench/reg_floor
# The floor answers the reg load only: it runs when both are asked for.
[[ ,$loads, == *,reg,* ]] || servers=$(echo ",$servers," | sed 's/,floor,/,/; s/^,//; s/,$//')
[ -n "$servers" ] || { echo "--servers floor answers the reg load only; --loads has no reg" >&2; exit 2; }
if [[ ,$servers, == *,floor,* ]] && [ ! -x "$floor_bin" ]; then
  log "building reg_floor (release preset)"
  (cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release --target reg_floor >/dev/null) ||
    die "could not build reg_floor"
fi

# --- work folder, cleanup ---------------------------------------------------------------------
work=$(mktemp -d /tmp/warden-bench.XXXXXX)
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
PROBE_PERCENT=2.5
# The callee UAS listens on another loopback address than the servers, as a phone on another
# host would (warden before e7793bd answered 404 to an in-dialog BYE for a UA on its own host).
UAS_IP=${UAS_IP:-127.0.0.2}
[[ $UAS_IP =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "UAS_IP must be a loopback address (127.x.y.z)" >&2; exit 2; }
pick_port() {  # a free port that this run has not handed out before (the caller records it)
  local p
  while :; do p=$(free_port); [[ " ${picked[*]-} " == *" $p "* ]] || break; done
  echo "$p"
}
picked=()
wport=$(pick_port); picked+=("$wport")
kport=$(pick_port); picked+=("$kport")
wuas=$(pick_port); picked+=("$wuas")
kuas=$(pick_port); picked+=("$kuas")
fport=$(pick_port); picked+=("$fport")
log "Warden on 127.0.0.1:$wport, Kamailio on 127.0.0.1:$kport, reg_floor on 127.0.0.1:$fport; callee UAS on $UAS_IP:$wuas and :$kuas; files in $work"
log "loads $loads; $duration s each; $rounds round(s); $users accounts; each load from $sources SIPp on 127.0.0.11-$((10 + sources))"

# CPU of a server: clock ticks of user+sys of PID and every process below it.
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
        stat[int(d)] = (int(f[1]), int(f[11]) + int(f[12]))  # ppid, utime + stime
total, todo = 0, [root]
while todo:
    p = todo.pop()
    if p in stat:
        total += stat[p][1]
        todo += [c for c, (pp, _) in stat.items() if pp == p]
print(total)
PY
}

# sip_ping PORT: is something answering SIP on 127.0.0.1:PORT (any response to an OPTIONS)?
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

# --- accounts ---------------------------------------------------------------------------------
python3 - "$users" "$DOMAIN" "$sources" <<'PY'
import sys
n, dom = int(sys.argv[1]), sys.argv[2]
k = int(sys.argv[3])
us = [open(f"users-{j}.inf", "w") for j in range(k)]
with open("accounts.csv", "w") as w, open("probe-users.inf", "w") as p:
    p.write("SEQUENTIAL\n")
    for u in us:
        u.write("SEQUENTIAL\n")
    for i in range(n):
        w.write(f"user{i}@{dom},secret\n")
        us[i % k].write(f"user{i};{dom};[authentication username=user{i} password=secret];127.0.0.1:9\n")
    for i in range(200):
        w.write(f"probe{i}@{dom},secret\n")
        p.write(f"probe{i};{dom};[authentication username=probe{i} password=secret];127.0.0.1:9\n")
    w.write(f"svc@{dom},secret\n")
for u in us:
    u.close()
PY
for s in w k; do
  uas=$([ $s = w ] && echo "$wuas" || echo "$kuas")
  printf 'SEQUENTIAL\nsvc;%s;[authentication username=svc password=secret];%s:%s\n' "$DOMAIN" "$UAS_IP" "$uas" > "svc-$s.inf"
done
t=$SECONDS
out=$("$warden" user import accounts.csv --data-dir "$work/warden-data" 2>&1) || die "warden user import: $out"
log "warden: $out ($((SECONDS - t)) s)"

# --- servers ----------------------------------------------------------------------------------
# Every SIPp sends from 127.0.0.1: warden's per-source limit of open server transactions (which
# counts a transaction until Timer J ends, 32 s after its answer) gets the largest value allowed.
# The shield's global gate is raised above the loads: 2,000 calls/s bring 12,000 datagrams a
# second (INVITE, ACK, BYE from the caller; 180, 200, 200 from the callee), and the default gate
# (10,000 a second) answers the excess with 503 Overloaded: overload protection doing its job,
# not the work this benchmark measures. Kamailio's configuration has no such gate.
cat > warden.toml <<EOF
domains = ["$DOMAIN"]
[auth]
algorithms = ["MD5"]
[proxy]
max_transactions_per_source = 65536
peers = ["127.0.0.0/8"]   # the foreign callers: a peer, as Kamailio's configuration trusts them
[shield]
capacity = 50000          # datagrams a second
[log]
level = "error"
EOF
WARDEN_LOG_LEVEL=error start_warden "$warden" "$work/warden-data" "$wport" warden warden.toml
log "warden ready (pid $WARDEN_PID)"

sed -e "s/__PORT__/$kport/g" -e "s/__CHILDREN__/4/" -e "s/__DOMAIN__/$DOMAIN/" -e "s#__MPATH__#$kam_modules/#" \
  "$here/kamailio.cfg.in" > kamailio.cfg
kamailio -c -f kamailio.cfg >kamailio-check.log 2>&1 || { cat kamailio-check.log >&2; die "kamailio.cfg does not check"; }
spawn kamailio.log kamailio -DD -E -f "$work/kamailio.cfg" -P "$work/kamailio.pid" -w "$work" -m 1024 -M 32
KAM_PID=$SPAWNED_PID
sip_ping "$kport" || { tail -n 20 kamailio.log >&2; die "Kamailio does not answer on 127.0.0.1:$kport"; }
log "kamailio ready (pid $KAM_PID, $(ps -o pid= --ppid "$KAM_PID" | wc -l) children)"

if [[ ,$servers, == *,floor,* ]]; then
  spawn reg_floor.log "$floor_bin" "$fport"
  FLOOR_PID=$SPAWNED_PID
  sip_ping "$fport" || { cat reg_floor.log >&2; die "reg_floor does not answer on 127.0.0.1:$fport"; }
  log "reg_floor ready (pid $FLOOR_PID)"
fi

server_pid() { case $1 in w) echo "$WARDEN_PID" ;; k) echo "$KAM_PID" ;; f) echo "$FLOOR_PID" ;; esac; }
server_port() { case $1 in w) echo "$wport" ;; k) echo "$kport" ;; f) echo "$fport" ;; esac; }
server_name() { case $1 in w) echo warden ;; k) echo kamailio ;; f) echo floor ;; esac; }

common=(-i 127.0.0.1 -default_behaviors all,-bye -buff_size 4194304)

# One callee UAS per server, for the whole run; svc@bench.test points at it.
for s in w k; do
  uas=$([ $s = w ] && echo "$wuas" || echo "$kuas")
  sipp_start "uas-$s" -sf "$SCENARIOS/uas_call.xml" -p "$uas" -timeout 7200 -l 100000 "${common[@]}" -i "$UAS_IP"
  sleep 0.3
  sipp_run "svc-register-$s" -sf "$SCENARIOS/register.xml" -inf "$work/svc-$s.inf" -auth_uri "$DOMAIN" -m 1 \
    -p "$(pick_port)" "${common[@]}" "127.0.0.1:$(server_port $s)"
  expect_sipp "svc-register-$s" 1 "$(server_name $s): svc@$DOMAIN registered at $UAS_IP:$uas" || exit 1
done

# scenario_args LOAD: the SIPp arguments of a load, without rate and count.
scenario_args() {
  case $1 in
    reg) echo "-sf $SCENARIOS/register.xml -inf USERS -auth_uri $DOMAIN" ;;
    call*) echo "-sf $SCENARIOS/uac_call_foreign.xml -s svc -key domain $DOMAIN" ;;
    acall*) echo "-sf $SCENARIOS/uac_call_local_auth.xml -inf USERS -s svc -auth_uri svc@$DOMAIN" ;;
    *) die "unknown load $1" ;;
  esac
}
load_rate() {
  case $1 in
    reg) echo 2000 ;;
    *[0-9]) echo "${1##*[a-z]}" ;;
    *) die "unknown load $1" ;;
  esac
}

# run_load ROUND LOAD SERVER: one measured run; appends a JSON line to results.jsonl. The load
# is split over $sources SIPp instances, each sending from its own loopback address
# (127.0.0.11, .12, ...): warden caps the open server transactions of one source address at
# 65536, and a transaction stays open 32 s after its answer, so one address cannot carry more
# than about 2,000 transactions a second, 1,000 calls.
run_load() {
  local round=$1 load=$2 s=$3 rate count prate pcount name pid port c0 c1 t0 t1 args pargs i
  rate=$(load_rate "$load"); count=$((rate * duration))
  prate=$(python3 -c "print(max(1, round($rate * $PROBE_PERCENT / 100)))"); pcount=$((prate * duration))
  name=r$round-$load-$(server_name "$s"); pid=$(server_pid "$s"); port=$(server_port "$s")
  pargs=($(scenario_args "$load" | sed "s#USERS#$work/probe-users.inf#"))
  kill -0 "$pid" 2>/dev/null || die "$(server_name "$s") is not running any more"
  c0=$(cpu_ticks "$pid"); t0=$(date +%s.%N)
  sipp_start "probe-$name" "${pargs[@]}" -r "$prate" -m "$pcount" -l 10000 -p "$(pick_port)" -trace_msg \
    -message_file msg.log -timeout $((duration * 3 + 60)) "${common[@]}" "127.0.0.1:$port"
  for ((i = 0; i < sources; i++)); do
    # shellcheck disable=SC2207
    args=($(scenario_args "$load" | sed "s#USERS#$work/users-$i.inf#"))
    sipp_start "$name-s$i" "${args[@]}" -r "$(python3 -c "print($rate / $sources)")" -m $((count / sources)) \
      -l 20000 -p "$(pick_port)" -timeout $((duration * 3 + 60)) -recv_timeout 10000 "${common[@]}" \
      -i "127.0.0.$((11 + i))" "127.0.0.1:$port"
  done
  local main_rc=0
  for ((i = 0; i < sources; i++)); do
    sipp_wait "$name-s$i" $((duration * 3 + 90))
    [ "$SIPP_RC" -gt "$main_rc" ] && main_rc=$SIPP_RC
  done
  sipp_wait "probe-$name" $((duration + 60))
  local probe_rc=$SIPP_RC
  c1=$(cpu_ticks "$pid"); t1=$(date +%s.%N)
  python3 - "$name-s*" "probe-$name" "$round" "$load" "$(server_name "$s")" "$rate" "$((c1 - c0))" \
    "$(getconf CLK_TCK)" "$main_rc" "$probe_rc" "$t0" "$t1" >> results.jsonl <<'PY'
import csv, json, re, sys, statistics
name, pname, rnd, load, server, rate, ticks, hz, rc, prc, t0, t1 = sys.argv[1:13]
def last_stats(d):
    try:
        rows = [r for r in csv.reader(open(d + "/stat.csv"), delimiter=";") if r]
        return dict(zip(rows[0], rows[-1]))
    except (OSError, IndexError):
        return {}
import glob
loads = [last_stats(d) for d in sorted(glob.glob(name))]
p = last_stats(pname)
ok = sum(int(m.get("SuccessfulCall(C)", 0)) for m in loads)
fail = sum(int(m.get("FailedCall(C)", 0)) for m in loads)
pok = int(p.get("SuccessfulCall(C)", 0)); pfail = int(p.get("FailedCall(C)", 0))
# the probe's message log: time of each call's first request, and of the 200 that ends its
# INVITE or REGISTER transaction
starts, ends = {}, {}
stamp = re.compile(r"^-{10,} (\d{4}-\d\d-\d\d) (\d\d):(\d\d):(\d\d\.\d+)")
try:
    text = open(pname + "/msg.log", errors="replace").read()
except OSError:
    text = ""
for block in re.split(r"\n(?=-{10,} \d{4}-)", text):
    first = stamp.match(block)
    if not first:
        continue
    t = int(first[2]) * 3600 + int(first[3]) * 60 + float(first[4])
    sent = "message sent" in block.split("\n", 2)[1] if "\n" in block else False
    cid = re.search(r"^Call-ID:\s*(\S+)", block, re.M | re.I)
    cseq = re.search(r"^CSeq:\s*\d+\s+(\S+)", block, re.M | re.I)
    if not cid or not cseq:
        continue
    cid = cid[1]
    if sent and cid not in starts:
        starts[cid] = t
    elif not sent and re.search(r"^SIP/2\.0 200 ", block, re.M) and cseq[1] in ("INVITE", "REGISTER") and cid not in ends:
        ends[cid] = t
lat = sorted((ends[c] - starts[c]) * 1000 for c in ends if c in starts and ends[c] >= starts[c])
def pct(q):
    if not lat:
        return None
    return round(lat[min(len(lat) - 1, int(q * len(lat)))], 3)
ticks, hz = int(ticks), int(hz)
done = ok + pok
elapsed = float(t1) - float(t0)
print(json.dumps({
    "round": int(rnd), "load": load, "server": server, "offered_rate": int(rate),
    "completed": done, "failed": fail + pfail, "achieved_rate": round(ok / elapsed, 1) if elapsed > 0 else None,
    "cpu_us_per_op": round(ticks * 1e6 / hz / done, 1) if done else None,
    "cpu_share": round(ticks / hz / elapsed, 3) if elapsed > 0 else None,
    "p50_ms": pct(0.50), "p99_ms": pct(0.99), "latency_samples": len(lat),
    "sipp_exit": int(rc), "probe_exit": int(prc)}))
PY
  tail -n 1 results.jsonl | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
def f(key, spec):
    return "-" if r[key] is None else format(r[key], spec)
print("  round %d %-10s %-9s completed %6d  failed %5d  cpu/op %7s us  p50 %7s ms  p99 %7s ms  (server CPU %s cores, sipp exit %d)" % (
    r["round"], r["load"], r["server"], r["completed"], r["failed"], f("cpu_us_per_op", ".1f"),
    f("p50_ms", ".2f"), f("p99_ms", ".2f"), f("cpu_share", ".2f"), r["sipp_exit"]))'
  # the folders of successful runs are large (the probe's message log) and not needed any more
  if [ -z "$keep" ]; then rm -f "probe-$name/msg.log"; fi
}

IFS=, read -r -a load_list <<<"$loads"
for ((round = 1; round <= rounds; round++)); do
  if [ $((round % 2)) -eq 1 ]; then order=(w k f); else order=(k w f); fi
  # --servers: only the servers asked for (e.g. warden alone while a profiler is attached)
  kept=(); for s in "${order[@]}"; do [[ ,$servers, == *,$(server_name "$s"),* ]] && kept+=("$s"); done
  order=("${kept[@]}")
  log "round $round of $rounds (order: $(server_name "${order[0]}") first)"
  for load in "${load_list[@]}"; do
    for s in "${order[@]}"; do
      [ "$s" = f ] && [ "$load" != reg ] && continue  # the floor answers REGISTERs only
      run_load "$round" "$load" "$s"
      sleep 5   # let retransmissions and timers of the run drain
    done
  done
done

# --- summary ----------------------------------------------------------------------------------
python3 - results.jsonl "$loads" <<'PY'
import json, sys, statistics
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
loads = sys.argv[2].split(",")
def med(load, server, key):
    v = [r[key] for r in rows if r["load"] == load and r["server"] == server and r[key] is not None]
    return statistics.median(v) if v else None
def fmt(v, spec):
    return "-" if v is None else format(v, spec)
def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b
print()
print(f"Median over {max(r['round'] for r in rows)} round(s); ratio = Warden / Kamailio "
      "(below 1 is better for Warden on CPU and latency, above 1 on completed)")
print(f"{'load':<10} {'server':<9} {'completed':>9} {'failed':>7} {'cpu us/op':>10} {'p50 ms':>8} {'p99 ms':>8}")
for load in loads:
    for server in ("warden", "kamailio", "floor"):
        if med(load, server, "completed") is None:
            continue
        print(f"{load:<10} {server:<9} {fmt(med(load, server, 'completed'), '.0f'):>9} {fmt(med(load, server, 'failed'), '.0f'):>7} "
              f"{fmt(med(load, server, 'cpu_us_per_op'), '.1f'):>10} {fmt(med(load, server, 'p50_ms'), '.2f'):>8} "
              f"{fmt(med(load, server, 'p99_ms'), '.2f'):>8}")
    r = {k: ratio(med(load, "warden", k), med(load, "kamailio", k)) for k in ("completed", "cpu_us_per_op", "p50_ms", "p99_ms")}
    print(f"{load:<10} {'ratio':<9} {fmt(r['completed'], '.2f'):>9} {'':>7} {fmt(r['cpu_us_per_op'], '.2f'):>10} "
          f"{fmt(r['p50_ms'], '.2f'):>8} {fmt(r['p99_ms'], '.2f'):>8}")
    f = med(load, "floor", "cpu_us_per_op")
    w, k = med(load, "warden", "cpu_us_per_op"), med(load, "kamailio", "cpu_us_per_op")
    if f is not None and (w is not None or k is not None):
        above = lambda v: None if v is None else v - f
        print(f"{load:<10} {'above':<9} {'':>9} {'':>7} {fmt(ratio(above(w), above(k)), '.2f'):>10}   "
              f"CPU above the floor: warden {fmt(above(w), '.1f')} us/op, kamailio {fmt(above(k), '.1f')} us/op")
PY
cp results.jsonl "$root/build/proxy_vs_kamailio.jsonl" 2>/dev/null && log "raw results: build/proxy_vs_kamailio.jsonl"
exit 0
