# shellcheck shell=bash
# Packet capture for the end-to-end tests: tshark on the loopback interface (of this namespace,
# or of the one in CAPTURE_NS), and the plaintext check of no_plaintext.py on what it caught.
# Source it; it defines functions and sets no shell options. Needs root (or capture rights) and
# tshark; capture_available says whether both are there.
#
#   capture_available                      0 when tshark can capture on lo here
#   capture_start FILE FILTER              starts tshark -i lo -f FILTER -w FILE, waits until it
#                                          captures; CAPTURE_PID is its pid
#   capture_stop                           stops it (SIGINT: tshark closes the file), waits
#   check_no_plaintext FILE WAV [ARGS...]  runs no_plaintext.py; its output goes to FILE.np.txt
#                                          and stdout; returns its exit status
# CAPTURE_NS: an array prefix, e.g. (ip netns exec NS), to capture inside a namespace.

E2E_DIR=${E2E_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
CAPTURE_PID=
CAPTURE_NS=()

capture_available() {
  command -v tshark >/dev/null || return 1
  [ "$(id -u)" -eq 0 ] || getcap "$(command -v dumpcap 2>/dev/null)" 2>/dev/null | grep -q cap_net_raw
}

capture_start() {
  local file=$1 filter=$2 i
  : >"$file.log"
  ${CAPTURE_NS[@]+"${CAPTURE_NS[@]}"} tshark -i lo -f "$filter" -w "$file" -q >"$file.log" 2>&1 &
  CAPTURE_PID=$!
  for ((i = 0; i < 150; i++)); do
    grep -q "Capturing on" "$file.log" 2>/dev/null && break
    kill -0 "$CAPTURE_PID" 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -q "Capturing on" "$file.log" 2>/dev/null; then
    echo "tshark did not start capturing within 15 s: $(tail -n 3 "$file.log")" >&2
    kill -TERM "$CAPTURE_PID" 2>/dev/null; wait "$CAPTURE_PID" 2>/dev/null
    CAPTURE_PID=
    return 1
  fi
  sleep 0.3   # "Capturing on" comes just before dumpcap's filter is attached
}

capture_stop() {
  local i
  [ -n "$CAPTURE_PID" ] || return 0
  sleep 0.3   # the last datagrams reach the capture buffer
  kill -INT "$CAPTURE_PID" 2>/dev/null
  for ((i = 0; i < 100; i++)); do
    kill -0 "$CAPTURE_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$CAPTURE_PID" 2>/dev/null && kill -KILL "$CAPTURE_PID" 2>/dev/null
  wait "$CAPTURE_PID" 2>/dev/null
  CAPTURE_PID=
}

check_no_plaintext() {
  local file=$1 wav=$2 rc; shift 2
  /usr/bin/python3 "$E2E_DIR/no_plaintext.py" "$file" "$wav" "$@" >"$file.np.txt" 2>&1
  rc=$?
  cat "$file.np.txt"
  return $rc
}
