#!/usr/bin/env bash
# `warden phone` and `warden demo` as a user meets them: configuration errors name the key and
# exit 2, unencrypted media without the flag exits 5, a registrar that does not answer exits 3,
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
expect "a missing account file" 2 "nowhere.toml" phone --account "$dir/nowhere.toml" register

# (A registrar that never answers ends in exit 3 after Timer F, 32 s: covered by the unit tests
# of Registration and UserAgent on simulated time instead.)

out=$(timeout 120 "$warden" demo --transport udp --codec PCMU 2>&1); rc=$?
check "demo exits 0 (rc $rc)" $rc
grep -q "result:      OK" <<<"$out"; check "demo reports OK" $?
grep -q "keying dtls-srtp" <<<"$out"; check "demo's call is DTLS-SRTP" $?
grep -q "matches what alice played" <<<"$out"; check "demo's recording matches" $?
[ $fail -ne 0 ] && echo "$out"
exit $fail
