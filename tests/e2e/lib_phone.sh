# shellcheck shell=bash
# Shell functions for the end-to-end call tests (tests/e2e/*_test.sh): a `warden proxy` with two
# users, account files for `warden phone` (docs: /work/specs/phone-cli.md), the phones in the
# background or foreground, their output lines and JSON reports, baresip phones, the speech WAV
# and its check by audio_match.py, packet capture (capture.sh), and the cleanup of all of it.
# Source it after setting nothing; it sources tests/interop/lib.sh (log, fail, die, free_port,
# stop_pid, stop_all, wait_for_line; INTEROP_FAILED counts failures) and capture.sh.
#
# Everything runs on 127.0.0.1 with ports asked of the kernel, or, after e2e_netns_up, inside a
# network namespace the test made (baresip needs a real interface address; the proxy is on
# 10.77.0.1, the phones on 10.77.0.2; there is no route out).
#
#   e2e_init WARDEN NAME               work folder /tmp/warden-e2e-NAME.XXXXXX (E2E_WORK, the
#                                      current directory from then on), cleanup trap
#   e2e_skip MESSAGE                   exit 77 (ctest: skipped)
#   e2e_require TOOL...                skip unless each tool is on PATH
#   phone_available                    0 when `warden phone --help` describes the phone
#   e2e_netns_up                       namespace + veth pair; E2E_NS (array prefix), E2E_HOST,
#                                      E2E_PHONE_IP, E2E_NETNS
#   e2e_start_proxy [CONFIG_TOML]      users alice and bob @e2e.test (ALICE_PW, BOB_PW), proxy on
#                                      udp+tcp E2E_HOST:SIP_PORT and tls E2E_HOST:TLS_PORT;
#                                      E2E_CA is the development CA its certificate chains to
#   write_account NAME TRANSPORT KEYING CODECS [MEDIA_ADDRESS]
#                                      NAME.toml for sip:NAME@e2e.test through the proxy's
#                                      TRANSPORT listener; CODECS comma-separated ("PCMU,opus")
#   e2e_speech FILE RATE [TEXT]        espeak-ng speech (~4.5 s), 16-bit mono at RATE Hz
#   phone_answer NAME [OPTS...] -- [ARGS...]
#                                      `warden phone --account NAME.toml --report NAME.report.json
#                                      OPTS answer --auto --record NAME.rec.wav ARGS` in the
#                                      background (NAME.out, NAME.err), waits for `ready`
#   phone_call NAME URI [OPTS...] -- [ARGS...]
#                                      `... OPTS call URI ARGS` in the foreground; PHONE_RC
#   phone_wait NAME SECONDS            waits for a background phone to end; PHONE_RC (124: it was
#                                      still running and was stopped)
#   expect_line NAME REGEX WHAT        a line of NAME.out must match REGEX (extended regex)
#   media_line NAME                    NAME's `media ...` line
#   media_ports NAME                   "LOCALPORT REMOTEPORT" from that line
#   check_report NAME PYEXPR...        NAME's `report {...}` line parses as JSON and each Python
#                                      expression over r holds (e.g. 'r["media"]["codec"] == "PCMU"')
#   check_call NAME DIRECTION CODEC KEYING TRANSPORT
#                                      the lines and the report every established call must have
#   e2e_audio REF REC WHAT             audio_match.py REF REC; fail unless it matches
#   baresip_write NAME SIP_PORT RTP_PORTS ACCOUNT SRC_WAV RATE [CONFIG_LINES...]
#   baresip_start NAME SECONDS [-e CMD ...]   baresip in the namespace, quits after SECONDS
#   baresip_wait_registered NAME SECONDS
#   baresip_wait NAME SECONDS          until it exits; BARESIP_RC (124: it was stopped)
#   baresip_recording DIR              path of the WAV its sndfile module wrote of what it heard
#   e2e_done                           the verdict: exit 1 on any failure, else 0
#
# Knobs: KEEP=1 keeps the work folder (it is kept anyway on failure), E2E_LOG_LEVEL (phones and
# proxy, default debug), E2E_SPEECH_TEXT.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../interop/lib.sh
source "$E2E_DIR/../interop/lib.sh"
# shellcheck source=capture.sh
source "$E2E_DIR/capture.sh"

E2E_PY=/usr/bin/python3
E2E_DOMAIN=e2e.test
E2E_HOST=127.0.0.1
E2E_PHONE_IP=127.0.0.1
E2E_NS=()
E2E_NETNS=
E2E_WORK=
E2E_SPEECH_TEXT=${E2E_SPEECH_TEXT:-"This is a Warden test call. The quick brown fox jumps over the lazy dog."}
WARDEN=

e2e_skip() { echo "SKIP: $*"; exit 77; }

e2e_require() {
  local t
  for t in "$@"; do command -v "$t" >/dev/null || e2e_skip "$t is not installed"; done
}

e2e_finish() {
  local rc=$? pid
  capture_stop
  stop_all
  if [ -n "$E2E_NETNS" ]; then
    # whatever still runs in the namespace was started by this test
    for pid in $(ip netns pids "$E2E_NETNS" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    ip netns del "$E2E_NETNS" 2>/dev/null || echo "could not delete network namespace $E2E_NETNS" >&2
  fi
  if [ -n "$E2E_WORK" ]; then
    if [ -z "${KEEP:-}" ] && { [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ]; }; then
      rm -rf "$E2E_WORK"
    else
      echo "files kept in $E2E_WORK"
    fi
  fi
  exit "$rc"
}

e2e_init() {
  WARDEN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
  [ -x "$WARDEN" ] || { echo "not an executable: $1" >&2; exit 2; }
  "$E2E_PY" -c 'import numpy' 2>/dev/null || e2e_skip "numpy is not installed for $E2E_PY (python3-numpy)"
  E2E_WORK=$(mktemp -d "/tmp/warden-e2e-$2.XXXXXX")
  trap e2e_finish EXIT
  trap 'exit 1' INT TERM
  cd "$E2E_WORK" || exit 1
}

phone_available() {
  # A warden without the phone prints its top-level help (exit 0) for `phone --help`, so look for
  # the phone's own option.
  "$WARDEN" phone --help 2>&1 | grep -q -- '--account'
}

e2e_netns_up() {
  E2E_NETNS=warden-e2e-$$
  ip netns add "$E2E_NETNS" 2>netns.err || {
    E2E_NETNS=
    e2e_skip "cannot create a network namespace (needs root or CAP_NET_ADMIN): $(head -n 1 netns.err)"
  }
  E2E_NS=(ip netns exec "$E2E_NETNS")
  CAPTURE_NS=("${E2E_NS[@]}")
  { "${E2E_NS[@]}" ip link set lo up &&
    "${E2E_NS[@]}" ip link add v0 type veth peer name v1 &&
    "${E2E_NS[@]}" ip addr add 10.77.0.1/24 dev v0 &&
    "${E2E_NS[@]}" ip addr add 10.77.0.2/24 dev v1 &&
    "${E2E_NS[@]}" ip link set v0 up && "${E2E_NS[@]}" ip link set v1 up; } 2>netns.err ||
    e2e_skip "cannot set up the veth pair in namespace $E2E_NETNS: $(head -n 1 netns.err)"
  E2E_HOST=10.77.0.1
  E2E_PHONE_IP=10.77.0.2
}

e2e_start_proxy() {
  local config=${1:-} out
  ALICE_PW=alice-$RANDOM$RANDOM$RANDOM
  BOB_PW=bob-$RANDOM$RANDOM$RANDOM
  for acct in "alice:$ALICE_PW" "bob:$BOB_PW"; do
    out=$(printf '%s\n' "${acct#*:}" | "$WARDEN" user add "${acct%%:*}@$E2E_DOMAIN" --data-dir "$E2E_WORK/data" 2>&1) ||
      die "warden user add ${acct%%:*}@$E2E_DOMAIN failed: $out"
  done
  if [ -n "$E2E_NETNS" ]; then
    SIP_PORT=5060; TLS_PORT=5061     # a fresh namespace: every port is free
  else
    SIP_PORT=$(free_port); TLS_PORT=$(free_port)
    while [ "$TLS_PORT" = "$SIP_PORT" ]; do TLS_PORT=$(free_port); done
  fi
  local args=(proxy --data-dir "$E2E_WORK/data" --domain "$E2E_DOMAIN"
              --listen "udp:$E2E_HOST:$SIP_PORT" --listen "tcp:$E2E_HOST:$SIP_PORT" --listen "tls:$E2E_HOST:$TLS_PORT"
              --log-level "${E2E_LOG_LEVEL:-debug}")
  [ -n "$config" ] && args+=(--config "$config")
  ${E2E_NS[@]+"${E2E_NS[@]}"} "$WARDEN" "${args[@]}" >proxy.out 2>proxy.err &
  PROXY_PID=$!
  INTEROP_PIDS+=("$PROXY_PID")
  if ! wait_for_line proxy.out '^ready$' 20 "$PROXY_PID"; then
    cat proxy.out >&2; tail -n 20 proxy.err >&2
    die "warden proxy did not print 'ready' within 20 s (warden ${args[*]})"
  fi
  grep -q "^listening tls:$E2E_HOST:$TLS_PORT\$" proxy.out || die "the proxy did not report 'listening tls:$E2E_HOST:$TLS_PORT'"
  E2E_CA=$E2E_WORK/data/pki/ca.pem
  [ -s "$E2E_CA" ] || die "no development CA at $E2E_CA"
  log "proxy ready: udp/tcp $E2E_HOST:$SIP_PORT, tls $E2E_HOST:$TLS_PORT, domain $E2E_DOMAIN"
}

write_account() {
  local name=$1 transport=$2 keying=$3 codecs=$4 addr=${5:-$E2E_PHONE_IP} pw port list c
  pw=$ALICE_PW; [ "$name" = bob ] && pw=$BOB_PW
  port=$SIP_PORT; [ "$transport" = tls ] && port=$TLS_PORT
  list=
  IFS=, read -r -a c <<<"$codecs"
  for x in "${c[@]}"; do list+="${list:+, }\"$x\""; done
  cat >"$name.toml" <<EOF
uri = "sip:$name@$E2E_DOMAIN"
username = "$name"
password = "$pw"
proxy = "$transport:$E2E_HOST:$port"
ca_file = "$E2E_CA"
server_name = "$E2E_DOMAIN"
register = true
[media]
keying = "$keying"
codecs = [$list]
address = "$addr"
EOF
}

e2e_speech() {
  local file=$1 rate=$2 text=${3:-$E2E_SPEECH_TEXT}
  espeak-ng -w "$file.espeak.wav" "$text" || die "espeak-ng failed"
  # -D: no dither, so that the 8 kHz samples (and their G.711 bytes) are the same every run
  sox -D "$file.espeak.wav" -r "$rate" -c 1 -b 16 -e signed-integer "$file" || die "sox failed on the speech"
}

# _split_args: OPTS before "--" into _OPTS, the rest into _ARGS.
_split_args() {
  _OPTS=(); _ARGS=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do _OPTS+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  _ARGS=("$@")
}

phone_answer() {
  local name=$1; shift
  _split_args "$@"
  : >"$name.out"; : >"$name.err"
  ${E2E_NS[@]+"${E2E_NS[@]}"} "$WARDEN" phone --account "$name.toml" --report "$name.report.json" \
    --log-level "${E2E_LOG_LEVEL:-debug}" ${_OPTS[@]+"${_OPTS[@]}"} \
    answer --auto --record "$name.rec.wav" ${_ARGS[@]+"${_ARGS[@]}"} >"$name.out" 2>"$name.err" &
  local pid=$!
  INTEROP_PIDS+=("$pid")
  printf -v "PHONE_PID_$name" '%s' "$pid"
  if ! wait_for_line "$name.out" '^ready$' 20 "$pid"; then
    fail "$name (warden phone answer) did not print 'ready' within 20 s; stdout: $(tr '\n' '|' <"$name.out"); stderr: $(tail -n 5 "$name.err" | tr '\n' '|')"
    return 1
  fi
  log "$name is ready to answer: $(grep -m1 '^registered' "$name.out")"
}

phone_call() {
  local name=$1 uri=$2; shift 2
  _split_args "$@"
  : >"$name.out"; : >"$name.err"
  timeout -k 5 "${PHONE_CALL_TIMEOUT:-45}" ${E2E_NS[@]+"${E2E_NS[@]}"} "$WARDEN" phone --account "$name.toml" \
    --report "$name.report.json" --log-level "${E2E_LOG_LEVEL:-debug}" ${_OPTS[@]+"${_OPTS[@]}"} \
    call "$uri" ${_ARGS[@]+"${_ARGS[@]}"} >"$name.out" 2>"$name.err"
  PHONE_RC=$?
  log "$name called $uri: exit $PHONE_RC; $(grep -m1 -E '^(media|failed)' "$name.out")"
}

phone_wait() {
  local var=PHONE_PID_$1
  wait_pid "${!var}" "$2"
  PHONE_RC=$WAIT_RC
}

expect_line() {
  local name=$1 re=$2 what=$3
  if grep -q -E "$re" "$name.out" 2>/dev/null; then
    return 0
  fi
  fail "$what: no line of $name's output matches /$re/ (output: $(tr '\n' '|' <"$name.out" | cut -c1-600))"
  return 1
}

media_line() { grep -m1 -E '^media ' "$1.out" 2>/dev/null; }

media_ports() {
  local m l r
  m=$(media_line "$1")
  l=$(sed -n 's/.* local=[^ ]*:\([0-9]*\).*/\1/p' <<<"$m")
  r=$(sed -n 's/.* remote=[^ ]*:\([0-9]*\).*/\1/p' <<<"$m")
  echo "$l $r"
}

check_report() {
  local name=$1; shift
  grep -m1 -E '^report \{' "$name.out" | sed 's/^report //' >"$name.report.line.json"
  "$E2E_PY" - "$name" "$name.report.line.json" "$@" <<'PY' || INTEROP_FAILED=1
import json, sys
name, path, checks = sys.argv[1], sys.argv[2], sys.argv[3:]
try:
    r = json.load(open(path))
except (OSError, ValueError) as e:
    print(f"FAIL: {name}: no 'report {{...}}' line with valid JSON on its output ({e})", file=sys.stderr)
    sys.exit(1)
bad = 0
for c in checks:
    try:
        ok = eval(c, {"r": r})
    except Exception as e:  # a missing key is a failed check
        ok = False
        c += f" ({type(e).__name__}: {e})"
    if not ok:
        print(f"FAIL: {name}: report check {c} (report: {json.dumps(r)})", file=sys.stderr)
        bad = 1
sys.exit(bad)
PY
}

# check_call NAME DIRECTION CODEC KEYING TRANSPORT: what every established call shows. CODEC as in
# the report ("PCMU", "opus"), KEYING a regex for the keying word ("dtls-srtp", "sdes.*").
check_call() {
  local name=$1 dir=$2 codec=$3 keying=$4 transport=$5 peer=alice
  [ "$name" = alice ] && peer=bob
  expect_line "$name" "^registered sip:$name@$E2E_DOMAIN expires=[0-9]+" "$name registered"
  expect_line "$name" '^ready$' "$name ready"
  if [ "$dir" = outgoing ]; then
    expect_line "$name" "^calling sip:$peer@$E2E_DOMAIN" "$name calling"
  else
    expect_line "$name" "^incoming sip:$peer@$E2E_DOMAIN" "$name incoming"
  fi
  expect_line "$name" '^answered$' "$name answered"
  expect_line "$name" "^media codec=$codec/[0-9]+ keying=$keying( |$)" "$name media line ($codec, $keying)"
  expect_line "$name" '^ended reason=' "$name ended"
  check_report "$name" \
    "r['direction'] == '$dir'" "r['transport'] == '$transport'" "r['peer'].find('$peer@$E2E_DOMAIN') >= 0" \
    "r['media']['codec'].lower() == '$codec'.lower()" \
    "__import__('re').fullmatch('$keying', r['media']['keying'])" \
    "r['media']['packets_sent'] >= 150" "r['media']['packets_received'] >= 100" \
    "r['media']['loss_percent'] <= 5" "r['duration_s'] >= 3"
}

e2e_audio() {
  local ref=$1 rec=$2 what=$3 out rc
  out=$("$E2E_PY" "$E2E_DIR/audio_match.py" "$ref" "$rec" 2>&1); rc=$?
  if [ $rc -eq 0 ]; then
    log "ok: $what: $out"
  else
    fail "$what: the recording does not hold the speech (exit $rc): $out"
  fi
  return $rc
}

# --- baresip -------------------------------------------------------------------------------------
BARESIP_MODULES=/usr/lib/baresip/modules

baresip_available() {
  command -v baresip >/dev/null || return 1
  local m
  for m in g711 opus aufile aubridge sndfile srtp dtls_srtp account uuid menu; do
    [ -e "$BARESIP_MODULES/$m.so" ] || return 1
  done
}

# baresip_write NAME SIP_PORT RTP_PORTS ACCOUNT SRC_WAV RATE [CONFIG_LINES...]: the configuration
# folder NAME/: audio from SRC_WAV (aufile: the file's rate and channels must be the source's,
# RATE Hz mono), played to aubridge (no device), and what it hears and sends written by sndfile
# under NAME/snd/ (dump-...-dec.wav: heard, dump-...-enc.wav: sent). SIP over TLS trusts E2E_CA.
# rtcp_mux yes: warden phone runs DTLS-SRTP only with RTCP on the RTP port (RFC 5761), as
# browsers do; baresip's default keeps RTCP on port + 1 with a second DTLS handshake.
baresip_write() {
  local name=$1 port=$2 rtp=$3 account=$4 wav=$5 rate=$6; shift 6
  mkdir -p "$name/snd"
  {
    printf '%s\t%s\n' poll_method epoll sip_listen "$E2E_PHONE_IP:$port" sip_cafile "$E2E_CA" \
      audio_player "aubridge,sink_$name" audio_alert "aubridge,alert_$name" audio_source "aufile,$wav" \
      ausrc_srate "$rate" auplay_srate "$rate" ausrc_channels 1 auplay_channels 1 \
      rtp_ports "$rtp" rtp_stats yes rtcp_mux yes snd_path "$E2E_WORK/$name/snd" module_path "$BARESIP_MODULES"
    local m
    for m in g711 opus aufile aubridge sndfile srtp dtls_srtp; do printf 'module\t%s.so\n' "$m"; done
    printf 'module_tmp\t%s.so\n' uuid account
    printf 'module_app\tmenu.so\n'
    local l
    for l in "$@"; do printf '%s\n' "$l"; done
  } >"$name/config"
  printf '%s\n' "$account" >"$name/accounts"
}

baresip_start() {
  local name=$1 secs=$2; shift 2
  ${E2E_NS[@]+"${E2E_NS[@]}"} baresip -f "$E2E_WORK/$name" -s -t "$secs" "$@" >"$name.log" 2>&1 &
  local pid=$!
  INTEROP_PIDS+=("$pid")
  printf -v "BARESIP_PID_$name" '%s' "$pid"
}

baresip_wait_registered() {
  local name=$1 secs=$2 var
  var=BARESIP_PID_$name
  if ! wait_for_line "$name.log" "^$name@$E2E_DOMAIN: \{[^}]*\} 200 OK" "$secs" "${!var}"; then
    fail "baresip $name did not register within $secs s: $(sed 's/\x1b\[[0-9;]*m//g' "$name.log" | grep -a -m3 -i -E 'reg|tls|error|fail' | tr '\n' '|')"
    return 1
  fi
  log "baresip $name registered: $(grep -a -m1 -o -E "^$name@$E2E_DOMAIN: \{[^}]*\} 200 OK.*" "$name.log")"
}

# baresip_wait NAME SECONDS: until baresip NAME exits; BARESIP_RC (124: stopped).
baresip_wait() {
  local var=BARESIP_PID_$1
  wait_pid "${!var}" "$2" 5
  BARESIP_RC=$WAIT_RC
}

# baresip_recording DIR: the newest dump-...-dec.wav under $E2E_WORK/DIR/snd/ (DIR: the config folder).
baresip_recording() {
  # shellcheck disable=SC2012
  ls -t "$E2E_WORK/$1/snd/"*-dec.wav 2>/dev/null | head -n 1
}

# baresip_text NAME: its log without colours and carriage returns.
baresip_text() { sed 's/\x1b\[[0-9;]*m//g' "$1.log" | tr '\r' '\n'; }

e2e_done() {
  if [ "$INTEROP_FAILED" -ne 0 ]; then
    echo "FAILED (logs in $E2E_WORK)" >&2
    exit 1
  fi
  log "all checks passed"
  exit 0
}
