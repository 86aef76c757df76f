#!/usr/bin/env bash
# Runs every libFuzzer target built by the `fuzz` preset for N seconds each (default 60),
# one after another, on a scratch copy of its seed corpus. Prints the execution count of each.
# Usage: scripts/run-fuzzers.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
build=build/fuzz
out=$build/findings
mkdir -p "$out"

# target -> seed folders (space separated)
declare -A seeds=(
  [fuzz_sip_message]="src/sip/msg/vectors src/sip/msg/fuzz/corpus"
  [fuzz_sip_uri]="src/sip/msg/fuzz/corpus"
  [fuzz_sip_stream_framer]="src/sip/msg/vectors src/sip/msg/fuzz/corpus"
  [fuzz_sdp]="src/sip/sdp/fuzz/corpus"
  [fuzz_proxy]="src/proxy/fuzz/corpus"
)
# media fuzzers are found by name: src/media/fuzz/fuzz_<name>.cpp, seeds in src/media/fuzz/corpus/<name>/
for f in src/media/fuzz/fuzz_*.cpp; do
  [ -e "$f" ] || continue
  t=$(basename "$f" .cpp)
  seeds[$t]="src/media/fuzz/corpus/${t#fuzz_}"
done
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${!seeds[@]}")

status=0
for t in "${targets[@]}"; do
  bin=$(find "$build" -type f -name "$t" -perm -u+x | head -n 1)
  if [ -z "$bin" ]; then echo "run-fuzzers: $t is not built (make fuzz-build)" >&2; status=1; continue; fi
  work=$build/corpus/$t
  mkdir -p "$work"
  for s in ${seeds[$t]}; do [ -d "$s" ] && find "$s" -type f -not -name '*.md' -not -name SHA256SUMS -exec cp -n {} "$work/" \; ; done
  echo "== $t for ${seconds}s"
  if ! "$bin" "$work" -max_total_time="$seconds" -max_len=8192 -artifact_prefix="$out/$t-" \
        -print_final_stats=1 2>"$out/$t.log"; then
    echo "run-fuzzers: $t found a failure, see $out/$t.log" >&2
    status=1
  fi
  grep -E "stat::number_of_executed_units|stat::new_units_added" "$out/$t.log" || true
done
exit $status
