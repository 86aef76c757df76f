# shellcheck shell=bash
# Helpers for the interop tests (tests/interop/*.sh) and bench/proxy_vs_kamailio.sh: loopback
# ports, starting `warden proxy`, SIPp statistics, cleanup. Source it; it defines functions and
# sets no shell options. Everything here talks to 127.0.0.1 only.

INTEROP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCENARIOS=$INTEROP_DIR/scenarios

# Processes started through `spawn` (or added by hand); `stop_all` ends them, newest first.
INTEROP_PIDS=()

# fail MESSAGE: report a failed check and go on (INTEROP_FAILED=1; the script exits 1 at its
# end); die MESSAGE: the same, and stop here.
INTEROP_FAILED=0
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; INTEROP_FAILED=1; }
die() { fail "$@"; exit 1; }

# A port that is free on 127.0.0.1 for UDP and TCP both, as the kernel hands it out. SIPp binds
# UDP; warden may listen on TCP too, so both are checked.
free_port() {
  python3 - <<'PY'
import socket
for _ in range(200):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    port = u.getsockname()[1]
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t.bind(("127.0.0.1", port))
    except OSError:
        u.close(); t.close(); continue
    u.close(); t.close()
    print(port)
    break
else:
    raise SystemExit("no free port")
PY
}

# spawn LOGFILE CMD...: run CMD in the background with its output in LOGFILE; remember its pid
# (SPAWNED_PID).
spawn() {
  local logfile=$1; shift
  "$@" >"$logfile" 2>&1 &
  SPAWNED_PID=$!
  INTEROP_PIDS+=("$SPAWNED_PID")
}

# stop PID [GRACE_SECONDS]: SIGTERM, then SIGKILL after the grace period. Returns the exit
# status when the process was our child and ended on its own or on SIGTERM.
stop_pid() {
  local pid=$1 grace=${2:-5} i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return $?; }
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 137
  fi
  wait "$pid" 2>/dev/null
}

stop_all() {
  local i
  for ((i = ${#INTEROP_PIDS[@]} - 1; i >= 0; i--)); do
    stop_pid "${INTEROP_PIDS[i]}" 3 || true
  done
  INTEROP_PIDS=()
}

# wait_for_line FILE REGEX SECONDS [PID]: until a line of FILE matches; fails on timeout or when
# PID has died.
wait_for_line() {
  local file=$1 re=$2 secs=$3 pid=${4:-} i
  for ((i = 0; i < secs * 20; i++)); do
    grep -q -E "$re" "$file" 2>/dev/null && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.05
  done
  return 1
}

# start_warden BINARY DATA_DIR PORT LOGPREFIX [CONFIG]: starts `warden proxy` on udp+tcp
# 127.0.0.1:PORT and waits for `ready`. Sets WARDEN_PID. stdout goes to LOGPREFIX.out, stderr to
# LOGPREFIX.err. Extra --domain flags come from WARDEN_DOMAINS (an array, may be empty).
start_warden() {
  local bin=$1 data=$2 port=$3 prefix=$4 config=${5:-}
  local args=(proxy --data-dir "$data" --listen "udp:127.0.0.1:$port" --listen "tcp:127.0.0.1:$port"
              --log-level "${WARDEN_LOG_LEVEL:-warn}")
  [ -n "$config" ] && args+=(--config "$config")
  local d
  for d in ${WARDEN_DOMAINS[@]+"${WARDEN_DOMAINS[@]}"}; do args+=(--domain "$d"); done
  : >"$prefix.out"; : >"$prefix.err"   # a restart must not find the last run's "ready"
  "$bin" "${args[@]}" >>"$prefix.out" 2>>"$prefix.err" &
  WARDEN_PID=$!
  INTEROP_PIDS+=("$WARDEN_PID")
  if ! wait_for_line "$prefix.out" '^ready$' 20 "$WARDEN_PID"; then
    echo "--- warden stdout" >&2; cat "$prefix.out" >&2
    echo "--- warden stderr (last 30 lines)" >&2; tail -n 30 "$prefix.err" >&2
    die "warden proxy did not print 'ready' within 20 s (command: $bin ${args[*]})"
  fi
  grep -q "^listening udp:127.0.0.1:$port\$" "$prefix.out" ||
    die "warden did not report 'listening udp:127.0.0.1:$port' (stdout: $(tr '\n' '|' <"$prefix.out"))"
}

# Every SIPp run gets its own folder NAME/ under the current directory, so that its trace files
# (stat.csv, errors.log, screen, <scenario>_<pid>_counts.csv) are easy to find. File arguments
# (-inf, -sf) must therefore be absolute paths.
#
# sipp_run NAME SIPP-ARGS...: runs SIPp in the foreground (at most SIPP_TIMEOUT seconds, default
# 120); SIPP_RC is its exit status.
sipp_run() {
  local name=$1; shift
  mkdir -p "$name"
  (cd "$name" && exec timeout -k 5 "${SIPP_TIMEOUT:-120}" sipp "$@" -nostdin -trace_stat -stf stat.csv -fd 1 \
     -trace_err -error_file errors.log -trace_counts >screen 2>&1)
  SIPP_RC=$?
}

# sipp_start NAME SIPP-ARGS...: the same in the background (a UAS, say). Give it -m or -timeout
# so that it ends by itself; sipp_wait NAME collects it.
sipp_start() {
  local name=$1; shift
  mkdir -p "$name"
  (cd "$name" && exec sipp "$@" -nostdin -trace_stat -stf stat.csv -fd 1 -trace_err -error_file errors.log \
     -trace_counts >screen 2>&1) &
  SIPP_PID=$!
  INTEROP_PIDS+=("$SIPP_PID")
  printf -v "SIPP_PID_${name//[^A-Za-z0-9_]/_}" '%s' "$SIPP_PID"
}

# sipp_wait NAME SECONDS: waits for the background SIPp NAME to end; SIPP_RC is its exit status,
# wait_pid PID SECONDS [GRACE]: waits for PID (a child of this shell) to exit; WAIT_RC is its exit
# status, or 124 if it was still running after SECONDS (it is then stopped, GRACE s to go).
wait_pid() {
  local pid=$1 secs=$2 grace=${3:-3} i
  for ((i = 0; i < secs * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    stop_pid "$pid" "$grace"
    WAIT_RC=124
  else
    wait "$pid" 2>/dev/null
    WAIT_RC=$?
  fi
}

# 124 if it was still running after SECONDS (it is then stopped).
sipp_wait() {
  local var="SIPP_PID_${1//[^A-Za-z0-9_]/_}"
  wait_pid "${!var}" "$2"
  SIPP_RC=$WAIT_RC
}

# sipp_stat NAME COLUMN: the value of COLUMN (e.g. "SuccessfulCall(C)") in the last line of the
# run's -trace_stat CSV.
sipp_stat() {
  python3 - "$1/stat.csv" "$2" <<'PY'
import csv, sys
rows = [r for r in csv.reader(open(sys.argv[1]), delimiter=';') if r]
head, last = rows[0], rows[-1]
print(last[head.index(sys.argv[2])].strip())
PY
}

# sipp_counts_sum NAME REGEX: the sum, in the last line of the run's -trace_counts CSV, of the
# columns whose name matches REGEX (e.g. '_ACK_Recv$').
sipp_counts_sum() {
  python3 - "$1" "$2" <<'PY'
import csv, glob, re, sys
files = glob.glob(sys.argv[1] + "/*_counts.csv")
if not files:
    print(0); raise SystemExit
rows = [r for r in csv.reader(open(files[0]), delimiter=';') if r]
head, last = rows[0], rows[-1]
print(sum(int(v) for h, v in zip(head, last) if re.search(sys.argv[2], h) and v.strip().isdigit()))
PY
}

# sipp_ok NAME, sipp_failed NAME: successful and failed calls (0 when SIPp wrote no statistics).
sipp_ok() { if [ -s "$1/stat.csv" ]; then sipp_stat "$1" 'SuccessfulCall(C)'; else echo 0; fi; }
sipp_failed() { if [ -s "$1/stat.csv" ]; then sipp_stat "$1" 'FailedCall(C)'; else echo 0; fi; }

# show_sipp_errors NAME: the first lines of SIPp's error log and the end of its output, for a
# failure report (on stderr).
show_sipp_errors() {
  local name=$1
  if [ -s "$name/errors.log" ]; then
    echo "--- start of $name/errors.log:" >&2
    head -c 3000 "$name/errors.log" | head -n 40 >&2
    echo >&2
  fi
  if [ -s "$name/screen" ]; then
    echo "--- last lines of SIPp's output ($name/screen):" >&2
    tail -n 15 "$name/screen" >&2
  fi
}

# expect_sipp NAME CALLS WHAT: SIPp exit 0 and exactly CALLS successful calls; otherwise report
# the failure with the evidence and return 1.
expect_sipp() {
  local name=$1 calls=$2 what=$3 ok failed
  ok=$(sipp_ok "$name"); failed=$(sipp_failed "$name")
  if [ "$SIPP_RC" -ne 0 ] || [ "$ok" != "$calls" ]; then
    show_sipp_errors "$name"
    fail "$what: expected SIPp exit 0 and $calls successful calls; got exit $SIPP_RC, $ok successful, $failed failed (files in $PWD/$name)"
    return 1
  fi
  log "ok: $what ($ok successful calls)"
}

# write_accounts N DOMAIN WARDEN_CSV INJECTION_FILE CONTACTS [PREFIX]: N accounts
# PREFIX0..PREFIX(N-1)@DOMAIN (PREFIX defaults to "user"), each with its own password: the file
# for `warden user import` (user@domain,password) and a SIPp injection file for register.xml
# (user;domain;[authentication ...];contact). CONTACTS is a comma-separated list of host:port;
# account i points at the (i mod count)-th.
write_accounts() {
  python3 - "$@" <<'PY'
import sys, secrets
n, domain, wfile, sfile = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
contacts = sys.argv[5].split(",")
prefix = sys.argv[6] if len(sys.argv) > 6 else "user"
salt = secrets.token_hex(4)
with open(wfile, "w") as w, open(sfile, "w") as s:
    s.write("SEQUENTIAL\n")
    for i in range(n):
        user = f"{prefix}{i}"
        pw = f"pw-{user}-{salt}"
        w.write(f"{user}@{domain},{pw}\n")
        s.write(f"{user};{domain};[authentication username={user} password={pw}];{contacts[i % len(contacts)]}\n")
PY
}
