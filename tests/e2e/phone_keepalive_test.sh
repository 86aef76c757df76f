#!/usr/bin/env bash
# End to end: the phone's keep-alives (RFC 5626 §3.5.1 style, account key `keepalive`), so a NAT
# between the phone and the proxy keeps the mapping the proxy reaches the phone through.
#   K1  UDP: `register --duration 3.5s` with keepalive = 1: a capture on the proxy's port holds
#       at least 3 datagrams of exactly CRLF CRLF from the phone; the unregister still works.
#   K2  TCP: the same over the connection; the proxy answers each ping (RFC 5626 pong) and the
#       connection survives: the phone's unregister on it is answered (exit 0).
#   K3  keepalive = 0: no keep-alive datagram at all.
# Usage: phone_keepalive_test.sh WARDEN. Exit 0 passed, 1 failed, 77 skipped.
set -u
warden=${1:?usage: phone_keepalive_test.sh WARDEN}
source "$(dirname "$0")/lib_phone.sh"
source "$(dirname "$0")/capture.sh"

e2e_init "$warden" phone-keepalive
phone_available || e2e_skip "warden phone is not there yet"
capture_available || e2e_skip "tshark cannot capture on lo here"
e2e_start_proxy

# keepalive_case TAG TRANSPORT SECONDS MIN MAX: registers for 3.5 s, counts CRLF CRLF payloads.
keepalive_case() {
  local tag=$1 transport=$2 every=$3 min=$4 max=$5 n rc
  write_account alice "$transport" dtls PCMU
  sed -i "1i keepalive = $every" alice.toml
  capture_start "$tag.pcap" "port $SIP_PORT" || { fail "$tag: no capture"; return; }
  timeout -k 5 20 "$WARDEN" phone --account alice.toml --log-level debug register --duration 3.5s >"$tag.out" 2>"$tag.err"
  rc=$?
  capture_stop
  [ "$rc" -eq 0 ] || fail "$tag: warden phone register exited $rc: $(tail -n 3 "$tag.err" | tr '\n' '|')"
  grep -q '^registered ' "$tag.out" || fail "$tag: the phone did not register"
  if [ "$transport" = udp ]; then
    n=$(tshark -r "$tag.pcap" -Y "udp.dstport == $SIP_PORT && data.data == 0d:0a:0d:0a" -d "udp.port==$SIP_PORT,data" 2>/dev/null | wc -l)
  else
    n=$(tshark -r "$tag.pcap" -Y "tcp.dstport == $SIP_PORT && tcp.payload == 0d:0a:0d:0a" 2>/dev/null | wc -l)
  fi
  if [ "$n" -ge "$min" ] && [ "$n" -le "$max" ]; then
    log "ok: $tag: $n keep-alives from the phone on the wire ($transport, every $every s)"
  else
    fail "$tag: $n keep-alives on the wire, expected $min-$max ($transport, every $every s)"
  fi
}

log "--- K1: UDP keep-alives"; keepalive_case K1 udp 1 3 4
log "--- K2: TCP keep-alives"; keepalive_case K2 tcp 1 3 4
log "--- K3: keep-alives off"; keepalive_case K3 udp 0 0 0
e2e_done
