#!/usr/bin/env bash
# Attack: the sipvicious 0.3.3 tools (svwar, svcrack, svmap) against `warden proxy`, on loopback.
#
# Warden runs with no [proxy] peers (every source is a stranger), [auth] algorithms = ["MD5"]
# (all SIPp 3.6.1 and svcrack compute), 20 accounts 500..519@attack.test created with `warden
# user add`, 500..509 registered by SIPp, 519 registered by the SIPp UAS that plays the callee.
# Each tool runs from its own loopback address, so that a ban of one does not hide the next.
# sipvicious speaks UDP only (its OSS edition refuses tcp://), so the attacks are over UDP;
# warden listens on TCP too.
#
# Part A, warden's defaults (127.0.60.0/24):
#   1. svwar --force -e100-1099 with REGISTER, INVITE and OPTIONS (registered, unregistered and
#      unknown users all in range): its table lists no extension; warden's log has a scanner
#      event and a ban for the source.
#   2. svcrack with a 10,000-word dictionary, the real password at line 7,777, against 505: the
#      password never shows in its output; the source is banned after at most 10 failed
#      authentications ("authentication failed" lines from it before the ban); meanwhile the
#      owner of 505 registers and calls 519 from another address (SIPp: register.xml, then
#      uac_call_local_auth.xml to the uas_call.xml callee) without a failure.
#   3. svmap: its source is banned; an OPTIONS from that address later gets no answer, the same
#      OPTIONS from another address gets 200.
#   4. An ordinary client (neutral User-Agent, random tags) asks about a registered (505), an
#      unregistered (515) and an unknown (900) user with REGISTER, INVITE and OPTIONS: per
#      method, the three answers have the same status line and the same header names.
# Part B, [shield] scanner_detection = false (127.0.61.0/24): the same tools as if their
# User-Agent and From tags had been edited out of recognition; what is left is the enumeration
# resistance and the brute-force tracker. Checks 1, 2 and 4 again (svmap would simply be
# answered, as any client).
#
# Every check prints its figures (extensions found, failed authentications before the ban, time
# to the ban, the owner's registration and call) and a table at the end.
#
# Usage: sipvicious_test.sh WARDEN_BINARY. Exit 0 passed, 1 failed (FAIL: lines), 77 (ctest
# SKIP) when a tool is missing. KEEP=1 keeps the folder (kept anyway on failure). ~90 s.
#
# sipvicious 0.3.3's svwar and svcrack ignore -b (the option is parsed, never used) and svcrack
# crashes on warden's qop="auth,auth-int" challenge before its first guess:
# sipvicious_helper.py `run` binds their sockets to the address given and fixes the nonce count
# (see its header). They keep state in $HOME/.sipvicious: HOME is the work folder.
set -u
warden=${1:?usage: sipvicious_test.sh WARDEN_BINARY}
warden=$(cd "$(dirname "$warden")" && pwd)/$(basename "$warden")
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../interop/lib.sh"
helper=$here/sipvicious_helper.py

for tool in svwar svcrack svmap sipp python3 timeout; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/install-deps.sh installs it)"; exit 77; }
done

DOMAIN=attack.test
MAX_FAILURES=10          # failed authentications a source may make before its ban (the brief)
DICT_WORDS=10000
PASSWORD_LINE=7777

work=$(mktemp -d /tmp/warden-sipvicious-test.XXXXXX)
finish() {
  local rc=$?
  stop_all
  if [ "$rc" -eq 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$work"; else echo "files kept in $work"; fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 1' INT TERM
cd "$work" || exit 1
export HOME=$work         # sipvicious' session files
t_start=$SECONDS
FIGURES=()                # "part|check|figure" rows for the table at the end
figure() { FIGURES+=("$1|$2|$3"); log "  figure: $2: $3"; }

now() { date +%s%N; }                                 # nanoseconds
ms_since() { echo $((($2 - $1) / 1000000)); }         # ms_since START_NS END_NS
secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }   # secs MS

# show FILE TITLE [LINES]: a tool's output, indented, at most LINES lines (40), DEBUG lines left out.
show() {
  local file=$1 title=$2 max=${3:-40} n
  n=$(grep -v -c '^DEBUG' "$file")
  echo "    --- $title ($n lines)"
  grep -v '^DEBUG' "$file" | head -n "$max" | cut -c1-220 | sed 's/^/    | /'
  [ "$n" -gt "$max" ] && echo "    | ... ($((n - max)) more lines in $file)"
  return 0
}

# --- accounts ---------------------------------------------------------------------------------
# 500..519@attack.test, each with its own password; the owner's (505) is a word of the dictionary.
salt=$(python3 -c 'import secrets; print(secrets.token_hex(3))')
declare -A PW
for u in $(seq 500 519); do PW[$u]="pw$u-$salt"; done
OWNER=505 CALLEE=519
PW[$OWNER]="sunflower-$salt"
for u in $(seq 500 519); do
  out=$(printf '%s\n' "${PW[$u]}" | "$warden" user add "$u@$DOMAIN" --data-dir "$work/data" 2>&1) ||
    die "warden user add $u@$DOMAIN failed: $out"
done
log "ok: 20 accounts 500..519@$DOMAIN added with warden user add"
cp -r "$work/data" "$work/data-b"     # part B starts from the same accounts, without A's bans

python3 - "$DICT_WORDS" "$PASSWORD_LINE" "${PW[$OWNER]}" <<'PY' >dictionary.txt
import sys
words, line, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
seeds = ["password", "123456", "qwerty", "letmein", "dragon", "monkey", "sunshine", "sunflower", "welcome", "admin"]
for i in range(1, words + 1):
    print(password if i == line else f"{seeds[i % len(seeds)]}{i}")
PY
[ "$(sed -n "${PASSWORD_LINE}p" dictionary.txt)" = "${PW[$OWNER]}" ] && [ "$(wc -l <dictionary.txt)" -eq "$DICT_WORDS" ] ||
  die "the dictionary is not what it should be"
log "ok: dictionary of $DICT_WORDS words, the password of $OWNER@$DOMAIN at line $PASSWORD_LINE"

common=(-default_behaviors all,-bye)
SIPP_TIMEOUT=40

# register_users NAME IP PORT USERS CONTACT: SIPp registers USERS (one at a time) from IP.
register_users() {
  local name=$1 ip=$2 port=$3 users=$4 contact=$5 u
  { echo SEQUENTIAL
    for u in $users; do echo "$u;$DOMAIN;[authentication username=$u password=${PW[$u]}];$contact"; done
  } >"$name.inf"
  sipp_run "$name" -sf "$SCENARIOS/register.xml" -inf "$work/$name.inf" -auth_uri "$DOMAIN" \
    -m "$(wc -w <<<"$users")" -r 20 -l 1 -p "$(free_port)" -i "$ip" "${common[@]}" "127.0.0.1:$port"
}

# svrun NAME IP TOOL ARGS...: TOOL from IP, output in NAME.out (stdout) and NAME.err; SV_MS its
# run time; SV_START when it started.
svrun() {
  local name=$1 ip=$2 tool=$3; shift 3
  SV_START=$(now)
  timeout -k 5 90 python3 "$helper" run "$ip" "$tool" "$@" >"$name.out" 2>"$name.err"
  SV_RC=$?
  SV_MS=$(ms_since "$SV_START" "$(now)")
}

# banned_after NAME IP: what warden's log says about IP, the source of the tool run NAME; sets
# BAN_KINDS, BAN_REASON, BAN_MS (from the tool's start to the ban, "" when none), FAIL_BEFORE,
# FAIL_TOTAL, FAIL_TO_BAN_MS (see sipvicious_helper.py logfacts).
banned_after() {
  local name=$1 ip=$2 facts
  facts=$(python3 "$helper" logfacts "$WARDEN_LOG" "$ip" "${SV_START:0:-9}.${SV_START: -9}" "$name.err") ||
    die "sipvicious_helper.py logfacts failed"
  eval "$facts"
}

# svwar_check PART IP METHOD PORT EXPECT_DETECTION
svwar_check() {
  local part=$1 ip=$2 method=$3 port=$4 detect=$5 name found rows
  name="$part-svwar-${method,,}"
  svrun "$name" "$ip" svwar -v --force -m "$method" -e100-1099 -x "$ip" -P "$(free_port)" -p "$port" \
    --domain "$DOMAIN" 127.0.0.1
  show "$name.out" "svwar -m $method from $ip: stdout"
  show "$name.err" "svwar -m $method from $ip: log (stderr)" 14
  # svwar logs "extension 'N' exists ..." / "probably exists" per find and prints a table
  # "Extension | Authentication" at the end when it found any.
  found=$(grep -ohE "extension '[^']*' (exists|probably exists)" "$name.err" "$name.out" | sort -u | wc -l)
  rows=$(grep -cE '^\| *[^ |]+ +\| *(reqauth|noauth|weird) *\|' "$name.out")
  if [ "$found" -ne 0 ] || [ "$rows" -ne 0 ] || grep -qE 'we have [0-9]+ extensions|Extension +\| +Authentication' \
       "$name.out" "$name.err"; then
    fail "[$part] svwar -m $method -e100-1099 from $ip reported extensions ($found in its log, $rows table rows; see $work/$name.*)"
  else
    log "ok: [$part] svwar -m $method scanning 100-1099 reported no extension (ran $(secs "$SV_MS") s, exit $SV_RC)"
  fi
  banned_after "$name" "$ip"
  local detected="no"
  if grep -qE 'scanner-user-agent|scanner-from-tag|sequential-users|many-users' <<<"$BAN_KINDS" && [ -n "$BAN_MS" ]; then
    detected="yes: ${BAN_KINDS// /, }; banned $BAN_MS ms after svwar started ($BAN_REASON)"
  fi
  if [ "$detect" = yes ] && [ "$detected" = no ]; then
    fail "[$part] svwar -m $method from $ip: warden's log has no scanner event and ban for $ip (events: ${BAN_KINDS:-none})"
  fi
  # How svwar ended: no answer at all (banned at its first request), or the first extension's
  # answer equal to a random user's, which svwar takes as "unknown response" and stops.
  local ended="ran through the range"
  if grep -q 'socket error: timed out\|No server response' "$name.err"; then ended="no answer to its first request"
  elif grep -q 'We got an unknown response' "$name.err"; then
    ended="stopped after extension 100, answered $(grep -m1 -o "Response: 'SIP/2.0 [0-9]*" "$name.err" | sed "s/Response: 'SIP\/2.0 //") like its random user"
  fi
  figure "$part" "svwar -m $method -e100-1099" "extensions found $found; $ended; scanner detected $detected"
}

# rtd_ms NAME: SIPp's response time (rtd: first request to the 200) in ms, from stat.csv.
rtd_ms() {
  local v
  v=$(sipp_stat "$1" 'ResponseTime1(C)')          # hh:mm:ss:usec
  IFS=: read -r h m s us <<<"$v"
  echo $(((10#$h * 3600 + 10#$m * 60 + 10#$s) * 1000 + 10#$us / 1000))
}

# owner_session PART IP PORT: the owner of $OWNER registers from IP and calls $CALLEE (whose UAS
# is running); sets OWNER_REG and OWNER_CALL ("ok in N ms" or a failure text).
owner_session() {
  local part=$1 ip=$2 port=$3 t0 ok
  printf 'SEQUENTIAL\n%s;%s;[authentication username=%s password=%s];%s:%s\n' \
    "$OWNER" "$DOMAIN" "$OWNER" "${PW[$OWNER]}" "$ip" "$(free_port)" >"$part-owner.inf"
  t0=$(now)
  sipp_run "$part-owner-register" -sf "$SCENARIOS/register.xml" -inf "$work/$part-owner.inf" -auth_uri "$DOMAIN" \
    -m 1 -p "$(free_port)" -i "$ip" "${common[@]}" "127.0.0.1:$port"
  if expect_sipp "$part-owner-register" 1 "[$part] the owner of $OWNER@$DOMAIN registers from $ip during the attack"; then
    OWNER_REG="ok (REGISTER to 200: $(rtd_ms "$part-owner-register") ms; SIPp ran $(ms_since "$t0" "$(now)") ms)"
  else
    OWNER_REG="FAILED (SIPp exit $SIPP_RC)"
  fi
  t0=$(now)
  sipp_run "$part-owner-call" -sf "$SCENARIOS/uac_call_local_auth.xml" -inf "$work/$part-owner.inf" -s "$CALLEE" \
    -auth_uri "$CALLEE@$DOMAIN" -m 1 -p "$(free_port)" -i "$ip" "${common[@]}" "127.0.0.1:$port"
  if expect_sipp "$part-owner-call" 1 "[$part] the owner calls $CALLEE@$DOMAIN (407, credentials, 200, ACK, BYE) during the attack"; then
    OWNER_CALL="ok (INVITE to 200: $(rtd_ms "$part-owner-call") ms, then ACK and BYE; SIPp ran $(ms_since "$t0" "$(now)") ms)"
  else
    OWNER_CALL="FAILED (SIPp exit $SIPP_RC)"
  fi
}

# svcrack_check PART NET PORT: svcrack from NET.21 against $OWNER while the owner works from NET.31.
svcrack_check() {
  local part=$1 net=$2 port=$3 ip name pw=${PW[$OWNER]}
  ip=$net.21
  name="$part-svcrack"
  # In the background: svcrack gives up 5 s after the last answer (--maximumtime 5), then drains
  # its socket for 10 s; timeout 90 bounds it anyway.
  ( svrun "$name" "$ip" svcrack -v -u "$OWNER" -d "$work/dictionary.txt" --domain "$DOMAIN" --maximumtime 5 \
      -x "$ip" -P "$(free_port)" -p "$port" 127.0.0.1
    echo "$SV_RC $SV_MS $SV_START" >"$name.rc" ) &
  local crack_pid=$!
  sleep 0.5
  owner_session "$part" "$net.31" "$port"
  local running=no
  kill -0 "$crack_pid" 2>/dev/null && running=yes
  wait "$crack_pid"
  read -r SV_RC SV_MS SV_START <"$name.rc"
  sipp_wait "$part-uas" 10
  show "$name.out" "svcrack from $ip: stdout"
  show "$name.err" "svcrack from $ip: log (stderr)" 14
  if grep -qF -- "$pw" "$name.out" "$name.err" || grep -qE 'The password for|cracked users' "$name.out" "$name.err"; then
    fail "[$part] svcrack found the password of $OWNER@$DOMAIN (see $work/$name.*)"
  else
    log "ok: [$part] svcrack did not find the password (ran $(secs "$SV_MS") s, exit $SV_RC)"
  fi
  banned_after "$name" "$ip"
  if [ -z "$BAN_MS" ]; then
    fail "[$part] svcrack's source $ip was not banned (events: ${BAN_KINDS:-none}; $FAIL_TOTAL failed authentications)"
  elif [ "$FAIL_BEFORE" -gt "$MAX_FAILURES" ]; then
    fail "[$part] svcrack's source $ip was banned only after $FAIL_BEFORE failed authentications (at most $MAX_FAILURES allowed)"
  else
    log "ok: [$part] svcrack's source banned after $FAIL_BEFORE failed authentications, $BAN_MS ms after it started (${BAN_KINDS// /, })"
    [ -n "$FAIL_TO_BAN_MS" ] && log "    first failed authentication to the ban: $FAIL_TO_BAN_MS ms"
  fi
  if [ "$FAIL_TOTAL" -ne "$FAIL_BEFORE" ]; then
    fail "[$part] $((FAIL_TOTAL - FAIL_BEFORE)) failed authentications from $ip were processed after its ban"
  fi
  figure "$part" "svcrack, $DICT_WORDS words" "password found: $(grep -qF -- "$pw" "$name.out" "$name.err" && echo YES || echo no); failed authentications before the ban $FAIL_BEFORE (in all $FAIL_TOTAL); banned ${BAN_MS:-never} ms after svcrack started${FAIL_TO_BAN_MS:+, $FAIL_TO_BAN_MS ms after its first failure} (${BAN_REASON:-no ban}); svcrack ran $(secs "$SV_MS") s"
  figure "$part" "owner of $OWNER from $net.31" "register $OWNER_REG; call $OWNER_CALL; svcrack still running then: $running"
}

# enum_check PART IP PORT: answers for registered, unregistered and unknown users must not differ.
enum_check() {
  local part=$1 ip=$2 port=$3
  python3 "$helper" enum "$ip" "$port" "$DOMAIN" "$OWNER" 515 900 >"$part-enum.jsonl"
  local verdict
  verdict=$(python3 - "$part-enum.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
out, bad = [], False
for method in ("REGISTER", "INVITE", "OPTIONS"):
    r = [x for x in rows if x["method"] == method]
    same = len({(x["status"], tuple(x["headers"])) for x in r}) == 1
    bad |= not same or r[0]["status"] == "no answer"
    out.append(f"{method}: " + ", ".join(f"{x['user']} '{x['status'][8:]}'" for x in r) + ("" if same else " DIFFER"))
print(("BAD " if bad else "OK ") + "; ".join(out))
PY
)
  if [[ $verdict == OK* ]]; then
    log "ok: [$part] registered, unregistered and unknown users get the same answers: ${verdict#OK }"
  else
    sed 's/^/    | /' "$part-enum.jsonl"
    fail "[$part] the answers tell users apart (or none came): ${verdict#BAD }"
  fi
  figure "$part" "same answers for 505 / 515 / 900" "${verdict#* }"
}

# run_part PART NET DATA CONFIG_EXTRA: one warden, the checks of that part.
run_part() {
  local part=$1 net=$2 data=$3 extra=$4 port uas_port
  port=$(free_port)
  cat >"$part.toml" <<EOF
domains = ["$DOMAIN"]
[auth]
algorithms = ["MD5"]    # all SIPp 3.6.1 and svcrack compute
$extra
EOF
  WARDEN_LOG_LEVEL=info start_warden "$warden" "$data" "$port" "$part-warden" "$part.toml"
  WARDEN_LOG=$work/$part-warden.err
  log "[$part] warden on udp/tcp 127.0.0.1:$port (pid $WARDEN_PID), no peers, sources in $net.0/24${extra:+, ${extra//$'\n'/ }}"

  register_users "$part-register" "$net.2" "$port" "$(seq 500 509)" "$net.2:9"
  expect_sipp "$part-register" 10 "[$part] 500..509 registered from $net.2"
  uas_port=$(free_port)
  register_users "$part-callee" "$net.32" "$port" "$CALLEE" "$net.32:$uas_port"
  expect_sipp "$part-callee" 1 "[$part] $CALLEE registered from $net.32 (the callee's UAS)"
  sipp_start "$part-uas" -sf "$SCENARIOS/uas_call.xml" -p "$uas_port" -m 1 -timeout 60 -i "$net.32" "${common[@]}"

  local detect=yes
  [ "$part" = B ] && detect=no
  svwar_check "$part" "$net.11" REGISTER "$port" "$detect"
  svwar_check "$part" "$net.12" INVITE "$port" "$detect"
  svwar_check "$part" "$net.13" OPTIONS "$port" "$detect"

  svcrack_check "$part" "$net" "$port"

  if [ "$part" = A ]; then
    local ip=$net.41 other=$net.42 a b
    svrun A-svmap "$ip" svmap -v -b "$ip" -x "$ip" -P "$(free_port)" -p "$port" 127.0.0.1
    show A-svmap.out "svmap from $ip: stdout"
    show A-svmap.err "svmap from $ip: log (stderr)" 10
    banned_after A-svmap "$ip"
    if [ -z "$BAN_MS" ]; then
      fail "[A] svmap's source $ip was not banned (events: ${BAN_KINDS:-none})"
    else
      log "ok: [A] svmap's source flagged and banned $BAN_MS ms after it started (${BAN_KINDS// /, }: $BAN_REASON)"
    fi
    a=$(python3 "$helper" probe "$ip" "$port" 2)
    b=$(python3 "$helper" probe "$other" "$port" 2)
    if [ "$a" != "no answer" ]; then fail "[A] an OPTIONS from svmap's address $ip after its ban got '$a' (expected no answer)"; fi
    if [[ $b != "SIP/2.0 200 "* ]]; then fail "[A] the same OPTIONS from $other got '$b' (expected 200)"; fi
    [ "$a" = "no answer" ] && [[ $b == "SIP/2.0 200 "* ]] &&
      log "ok: [A] OPTIONS after the scan: from $ip no answer, from $other '$b'"
    figure A "svmap from $ip" "banned ${BAN_MS:-never} ms after start (${BAN_KINDS// /, }); later OPTIONS from it: $a; from $other: $b"
  fi

  enum_check "$part" "$net.51" "$port"

  kill -0 "$WARDEN_PID" 2>/dev/null || die "[$part] warden proxy died during the test (stderr: $(tail -n 5 "$WARDEN_LOG"))"
  local counts
  counts=$(grep -o '"security event" kind=[a-z-]*' "$WARDEN_LOG" | sed 's/.*kind=//' | sort | uniq -c | awk '{printf "%s %s, ", $2, $1}')
  figure "$part" "security events in warden's log" "${counts%, }"
  stop_pid "$WARDEN_PID" 10; local rc=$?
  if [ "$rc" -eq 0 ]; then log "ok: [$part] warden proxy exits 0 on SIGTERM"; else fail "[$part] warden proxy exited with status $rc on SIGTERM (expected 0)"; fi
}

log "=== part A: warden's defaults"
run_part A 127.0.60 "$work/data" ""
log "=== part B: [shield] scanner_detection = false (a sipvicious whose signatures were edited out)"
run_part B 127.0.61 "$work/data-b" "[shield]
scanner_detection = false"

echo
echo "figures ($((SECONDS - t_start)) s):"
printf '  %-4s | %-36s | %s\n' part check figure
for row in "${FIGURES[@]}"; do
  IFS='|' read -r p c f <<<"$row"
  printf '  %-4s | %-36s | %s\n' "$p" "$c" "$f"
done
if [ "$INTEROP_FAILED" -ne 0 ]; then
  echo "FAILED: see the FAIL: lines above ($((SECONDS - t_start)) s)" >&2
  exit 1
fi
log "all sipvicious checks passed in $((SECONDS - t_start)) s"
