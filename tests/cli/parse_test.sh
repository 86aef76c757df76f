#!/usr/bin/env bash
# `warden parse` end to end: JSON fields, exit codes 0/1/2, standard input.
set -u
warden=$1
vectors=$2
fail=0
check() {  # check NAME CONDITION-RESULT
  if [ "$2" -ne 0 ]; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi
}

out=$("$warden" parse "$vectors/rfc4475/wsinv.dat"); rc=$?
check "valid file exits 0" $((rc != 0))
[[ "$out" == '{"file":"'"$vectors"'/rfc4475/wsinv.dat","valid":true,"kind":"request","method":"INVITE","action":"accept"}' ]]
check "valid file JSON" $?

out=$("$warden" parse "$vectors/rfc4475/wsinv.dat" "$vectors/rfc4475/badvers.dat"); rc=$?
check "one invalid file exits 1" $((rc != 1))
echo "$out" | grep -q '"valid":false,"kind":"request","method":"OPTIONS","action":"respond","response":505,"reason":"unsupported SIP version"'
check "505 for SIP/7.0" $?
[ "$(echo "$out" | wc -l)" -eq 2 ]
check "one line per file" $?

out=$("$warden" parse "$vectors/rfc4475/bigcode.dat")
echo "$out" | grep -q '"kind":"response","status":null,"action":"drop"'
check "overlarge status code is dropped" $?

out=$("$warden" parse --role uas "$vectors/rfc4475/intmeth.dat")
echo "$out" | grep -q '"action":"respond","response":501'
check "--role uas answers 501 to an unknown method" $?

out=$("$warden" parse --transport tcp "$vectors/rfc4475/ncl.dat")
echo "$out" | grep -q '"action":"close"'
check "--transport tcp closes on a negative Content-Length" $?

out=$("$warden" parse - < "$vectors/rfc4475/wsinv.dat"); rc=$?
check "stdin" $((rc != 0))
echo "$out" | grep -q '"file":"-"'
check "stdin is named -" $?

"$warden" parse >/dev/null 2>&1; rc=$?
check "no files is a usage error" $((rc != 2))
"$warden" parse --role bogus "$vectors/rfc4475/wsinv.dat" >/dev/null 2>&1; rc=$?
check "bad --role is a usage error" $((rc != 2))
"$warden" parse /nonexistent/file >/dev/null 2>&1; rc=$?
check "unreadable file exits 2" $((rc != 2))
"$warden" --help | grep -q "parse"
check "--help lists parse" $?

# Every vector gives exactly one JSON line and never crashes (exit 0 or 1).
for f in "$vectors"/rfc4475/*.dat "$vectors"/rfc5118/*.dat "$vectors"/rfc5118/wire/*.dat; do
  "$warden" parse "$f" >/dev/null; rc=$?
  [ $rc -le 1 ] || { echo "FAIL: $f exit $rc"; fail=1; }
done
exit $fail
