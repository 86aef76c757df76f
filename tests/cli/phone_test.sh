#!/usr/bin/env bash
# `warden phone` and `warden demo` as a user meets them: configuration errors name the key and
# exit 2, unencrypted media without the flag exits 5, the hold/transfer options are checked,
# interactive mode answers piped commands in order and exits 0 on EOF,
# and the demo places its encrypted call and finds bob's recording matches alice's speech.
set -u
warden=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
check() { if [ "$2" -ne 0 ]; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }
# expect NAME CODE PATTERN ARGS...: the exit code is CODE and standard error matches PATTERN.
expect() {
  local name=$1 code=$2 pattern=$3; shift 3
  local err rc
  err=$("$warden" "$@" 2>&1 >/dev/null); rc=$?
  if [ "$rc" -ne "$code" ]; then echo "FAIL: $name: exit $rc, expected $code ($err)"; fail=1; return; fi
  if ! grep -q -- "$pattern" <<<"$err"; then echo "FAIL: $name: message '$err' lacks '$pattern'"; fail=1; return; fi
  echo "ok: $name"
}

"$warden" phone --help | grep -q -- "--account"; check "phone --help names --account" $?
"$warden" phone call --help | grep -q -- "--hangup-after"; check "phone call --help names --hangup-after" $?

printf 'password = "x"\nproxy = "udp:127.0.0.1:9"\n' > "$dir/nouri.toml"
expect "missing uri names the key" 2 "key 'uri'" phone --account "$dir/nouri.toml" register
printf 'uri = "sip:alice@example.test"\npassword = "x"\nproxy = "sctp:127.0.0.1:9"\n' > "$dir/badproxy.toml"
expect "bad proxy names the key" 2 "key 'proxy'" phone --account "$dir/badproxy.toml" register
printf 'uri = "sip:alice@example.test"\npassword = "x"\nproxy = "udp:127.0.0.1:9"\n[media]\nkeying = "sdes"\n' > "$dir/sdes.toml"
expect "SDES over UDP is refused" 2 "needs a tls: proxy" phone --account "$dir/sdes.toml" register
printf 'uri = "sip:alice@example.test"\npassword = "x"\nproxy = "udp:127.0.0.1:9"\n[media]\ncodecs = ["g729"]\n' > "$dir/codec.toml"
expect "unknown codec names the key" 2 "key 'media.codecs'" phone --account "$dir/codec.toml" register
printf 'uri = "sip:alice@example.test"\npassword = "x"\nproxy = "udp:127.0.0.1:9"\n' > "$dir/ok.toml"
expect "plain RTP needs --allow-insecure-media" 5 "allow-insecure-media" phone --account "$dir/ok.toml" --keying none call sip:bob@example.test
expect "a bad duration is a usage error" 2 "not a duration" phone --account "$dir/ok.toml" call sip:bob@example.test --hangup-after soon
expect "a non-SIP target is a usage error" 2 "not a SIP URI" phone --account "$dir/ok.toml" call mailto:bob@example.test
expect "a missing WAV is a usage error" 2 "no-such.wav" phone --account "$dir/ok.toml" call sip:bob@example.test --play "$dir/no-such.wav"
printf 'uri = "sip:alice@example.test"\npassword = "x"\nproxy = "udp:127.0.0.1:9"\nauth_int = "yes"\n' > "$dir/authint.toml"
expect "auth_int must be a boolean" 2 "key 'auth_int'" phone --account "$dir/authint.toml" register
printf 'uri = "sip:alice@example.test"\npassword = "x"\nproxy = "udp:127.0.0.1:9"\nkeepalive = -1\n' > "$dir/ka.toml"
expect "keepalive out of range names the key" 2 "key 'keepalive'" phone --account "$dir/ka.toml" register
expect "a missing account file" 2 "nowhere.toml" phone --account "$dir/nowhere.toml" register

expect "--hold-at takes a duration" 2 "not a duration" phone --account "$dir/ok.toml" call sip:bob@example.test --hold-at later
expect "--transfer-to takes a SIP URI" 2 "not a SIP URI" phone --account "$dir/ok.toml" call sip:bob@example.test --transfer-to bob
expect "--transfer-at needs --transfer-to" 2 "needs --transfer-to" phone --account "$dir/ok.toml" answer --transfer-at 2s
# call --privacy/--header: checked before anything is sent (phone::CallHeaders).
expect "--privacy takes priv-values" 2 "not a token" phone --account "$dir/ok.toml" call sip:bob@example.test --privacy "id user"
expect "--privacy refuses an empty priv-value" 2 "separated by ';'" phone --account "$dir/ok.toml" call sip:bob@example.test --privacy "id;"
expect "--header refuses a line break" 2 "line break" phone --account "$dir/ok.toml" call sip:bob@example.test --header $'X-A: 1\r\nVia: x'
expect "--header needs a colon" 2 "no colon" phone --account "$dir/ok.toml" call sip:bob@example.test --header "X-A 1"
expect "--header refuses From" 2 "writes From itself" phone --account "$dir/ok.toml" call sip:bob@example.test --header "From: <sip:mallory@example.test>"
expect "--header refuses a compact Via" 2 "writes Via itself" phone --account "$dir/ok.toml" call sip:bob@example.test --header "X-Ok: 1" --header "v: SIP/2.0/UDP 1.2.3.4"
expect "Privacy only once" 2 "say it once" phone --account "$dir/ok.toml" call sip:bob@example.test --privacy id --header "Privacy: user"
"$warden" phone call --help | grep -q -- "--privacy"; check "phone call --help names --privacy" $?

# Interactive mode without a registrar (register = false): commands piped before `ready` run once
# it is printed; mistakes are `error ...` lines; EOF quits with 0.
printf 'uri = "sip:alice@example.test"\npassword = "x"\nproxy = "udp:127.0.0.1:9"\nregister = false\n' > "$dir/noreg.toml"
out=$(printf 'help\nstatus\nanswer\ncall mailto:x\ndtmf 1\nfly\n' | timeout 10 "$warden" phone --account "$dir/noreg.toml" interactive 2>&1); rc=$?
check "interactive exits 0 on EOF (rc $rc)" $rc
want=$'ready\ncommands: call URI | answer | reject | hangup | hold | resume | dtmf DIGITS | transfer URI | status | help | quit\nstatus idle registered=no\nerror no incoming call to answer\nerror call needs a SIP URI\nerror no call with media\nerror unknown command \'fly\' (help lists them)'
[ "$out" = "$want" ]; check "interactive answers each command in order" $?
[ "$out" = "$want" ] || echo "got: $out"

# (A registrar that never answers ends in exit 3 after Timer F, 32 s: covered by the unit tests
# of Registration and UserAgent on simulated time instead.)

out=$(timeout 120 "$warden" demo --transport udp --codec PCMU 2>&1); rc=$?
check "demo exits 0 (rc $rc)" $rc
grep -q "result:      OK" <<<"$out"; check "demo reports OK" $?
grep -q "keying dtls-srtp" <<<"$out"; check "demo's call is DTLS-SRTP" $?
grep -q "matches what alice played" <<<"$out"; check "demo's recording matches" $?
[ $fail -ne 0 ] && echo "$out"
exit $fail
