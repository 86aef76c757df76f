#!/usr/bin/env bash
# `warden user ...` end to end against a temporary store.
set -u
warden=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
check() { if [ "$2" -ne 0 ]; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }

echo 's3cret' | "$warden" user add alice@example.test --data-dir "$dir" >/dev/null; rc=$?
check "add reads the password from stdin" $rc
echo 's3cret' | "$warden" user add alice@example.test --data-dir "$dir" >/dev/null 2>&1; rc=$?
check "adding twice fails" $((rc != 1))
"$warden" user add alice2@example.test --data-dir "$dir" </dev/null >/dev/null 2>&1; rc=$?
check "an empty password is refused" $((rc != 1))
"$warden" user add not-an-address --data-dir "$dir" </dev/null >/dev/null 2>&1; rc=$?
check "a malformed address is a usage error" $((rc != 2))
printf 'bob@example.test,pw1\n# comment\n\ncarol@example.test,pw2\nbroken\n' > "$dir/users.csv"
out=$("$warden" user import "$dir/users.csv" --data-dir "$dir" 2>&1); rc=$?
check "import reports the refused line" $((rc != 1))
echo "$out" | grep -q "imported 2 accounts, 1 lines refused"; check "import counts" $?
echo "$out" | grep -q "users.csv:5: expected user@domain,password"; check "import names the bad line" $?
[ "$("$warden" user list --data-dir "$dir" | tr '\n' ' ')" = "alice@example.test bob@example.test carol@example.test " ]
check "list" $?
echo 'n3w' | "$warden" user passwd bob@example.test --data-dir "$dir" >/dev/null; check "passwd" $?
"$warden" user rm carol@example.test --data-dir "$dir" >/dev/null; check "rm" $?
"$warden" user rm carol@example.test --data-dir "$dir" >/dev/null 2>&1; rc=$?
check "rm of a missing account fails" $((rc != 1))
! grep -a -q 's3cret\|pw1\|n3w' "$dir"/warden.db*; check "no password is stored in clear" $?
exit $fail
