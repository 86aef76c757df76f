#!/usr/bin/env bash
# audio_match.py tested on its calibration cases (tests/e2e/README.md, "Calibration"): espeak-ng
# speech against itself after what a call does to it (G.711 mu-law and A-law, Opus at 48 kHz at
# 24, 8 and 6 kb/s through libopus, lost frames, noise, a jitter-buffer gap, resampling, stereo,
# delay, gain) must match, with a margin over the thresholds and the delay found to the
# millisecond; other speech, the same words in another voice, silence, white noise and a call cut
# in half must not, with a margin under them; unusable input must exit 2.
#
# Usage: test_audio_match.sh. Exit 0 passed, 1 failed (FAIL: lines), 77 skipped (sox, espeak-ng
# or numpy missing). Prints one line of figures per case. KEEP=1 keeps the folder.
set -u
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
skip() { echo "SKIP: $*"; exit 77; }
for tool in sox espeak-ng; do command -v "$tool" >/dev/null || skip "$tool is not installed"; done
"$py" -c 'import numpy' 2>/dev/null || skip "numpy is not installed for $py (python3-numpy)"

work=$(mktemp -d /tmp/warden-audio-match.XXXXXX)
trap 'rc=$?; if [ -z "${KEEP:-}" ] && [ "$rc" -eq 0 ]; then rm -rf "$work"; else echo "files kept in $work"; fi; exit $rc' EXIT
cd "$work" || exit 1
failed=0
fail() { echo "FAIL: $*"; failed=1; }

espeak-ng -w ref.wav "This is a Warden test call. The quick brown fox jumps over the lazy dog." || fail "espeak-ng"
espeak-ng -w other.wav "Seven wise owls count the stars above the quiet harbour tonight, one by one." || fail "espeak-ng"
espeak-ng -v en+f3 -w voice2.wav "This is a Warden test call. The quick brown fox jumps over the lazy dog." ||
  fail "espeak-ng -v en+f3"
imp() { "$py" "$here/impair.py" "$@"; }
have_opus=1
"$py" -c 'import ctypes, ctypes.util; ctypes.CDLL(ctypes.util.find_library("opus") or "libopus.so.0")' 2>/dev/null ||
  have_opus=0

# Recordings that hold the reference (and the delay it starts at, in ms).
sox -D ref.wav -e u-law -r 8000 ulaw_sox.wav pad 0.35                                       # brief's recipe
sox -D ulaw_sox.wav -b 16 -e signed -c 2 -r 48000 stereo48k.wav                            # a 48 kHz stereo file
imp ref.wav same.wav --delay 0.7 --gain -6
imp ref.wav alaw_loss.wav --codec pcma --loss 2 --delay 1.2
imp ref.wav mix.wav --rate 16000 --noise-snr 15 --loss 2 --delay 2.5 --seed 2
imp ref.wav late.wav --codec pcmu --delay 4.5 --tail 1
if [ $have_opus = 1 ]; then
  imp ref.wav opus24.wav --codec opus --opus-bitrate 24000 --delay 0.5
  imp ref.wav opus8_loss.wav --codec opus --opus-bitrate 8000 --loss 3 --noise-snr 20 --delay 0.5
  imp ref.wav opus6_loss.wav --codec opus --opus-bitrate 6000 --loss 5 --delay 0.2 --seed 3
  imp ref.wav opus_gap.wav --codec opus --loss 2 --delay 0.5 --gap 2.0:60
else
  echo "note: libopus not found, the Opus cases are left out"
fi
# Recordings that do not.
imp other.wav other_ulaw.wav --codec pcmu --delay 0.5 --tail 3
imp voice2.wav voice2_ulaw.wav --codec pcmu --delay 0.3 --tail 1
sox -D -n -r 8000 -c 1 -b 16 silence.wav trim 0 8
sox -D -n -r 8000 -c 1 -b 16 noise.wav synth 8 whitenoise vol 0.3
sox -D ref.wav half.wav trim 0 2.2 pad 0.5
sox -D -n -r 8000 -c 1 -b 16 empty.wav trim 0 0

# case NAME FILE EXPECT_RC [LAG_MS]: runs audio_match.py, checks its exit status; for a match,
# that local >= 0.5 and spectral >= 0.7 (0.1 over the thresholds) and the lag within 10 ms (the
# Opus coder's own delay is 6.5 ms); for a non-match, that local <= 0.3 and spectral <= 0.5.
case_() {
  local name=$1 file=$2 want=$3 lag=${4:-} out rc
  out=$("$py" "$here/audio_match.py" ref.wav "$file" --json 2>&1); rc=$?
  printf '%-14s rc=%s %s\n' "$name" "$rc" "$out"
  [ "$rc" -eq "$want" ] || { fail "$name: audio_match exited $rc, expected $want ($out)"; return; }
  [ "$want" -eq 2 ] && return
  "$py" - "$out" "$want" "$lag" "$name" <<'PY' || failed=1
import json, sys
f, want, lag, name = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
bad = []
if want == 0:
    if f["local"] < 0.5 or f["spectral"] < 0.7:
        bad.append(f"margin: local {f['local']} (want >= 0.5), spectral {f['spectral']} (want >= 0.7)")
    if lag and (f["lag_ms"] is None or abs(f["lag_ms"] - float(lag)) > 10):
        bad.append(f"lag {f['lag_ms']} ms, expected {lag} ms")
elif name != "half":
    if f["local"] > 0.3 or f["spectral"] > 0.5:
        bad.append(f"margin: local {f['local']} (want <= 0.3), spectral {f['spectral']} (want <= 0.5)")
for b in bad:
    print(f"FAIL: {name}: {b}")
sys.exit(1 if bad else 0)
PY
}

case_ same same.wav 0 700
case_ ulaw_sox ulaw_sox.wav 0 350
case_ stereo48k stereo48k.wav 0 350
case_ alaw_loss2 alaw_loss.wav 0 1200
case_ mix16k mix.wav 0 2500
case_ late4.5s late.wav 0 4500
if [ $have_opus = 1 ]; then
  case_ opus24 opus24.wav 0 506
  case_ opus8_loss3 opus8_loss.wav 0 506
  case_ opus6_loss5 opus6_loss.wav 0 206
  case_ opus_gap60ms opus_gap.wav 0
fi
case_ other other_ulaw.wav 1
case_ voice2 voice2_ulaw.wav 1
case_ silence silence.wav 1
case_ noise noise.wav 1
case_ half half.wav 1
case_ empty empty.wav 1
# A lag beyond --max-lag is not searched: the late recording fails with --max-lag 2.
out=$("$py" "$here/audio_match.py" ref.wav late.wav --max-lag 2 2>&1); rc=$?
echo "late/max-lag2 rc=$rc $out"
[ "$rc" -eq 1 ] || fail "a recording 4.5 s late matched with --max-lag 2 ($out)"

# Unusable input: exit 2 with a message.
echo "not a wav" > text.wav
case_ missing no-such-file.wav 2
case_ text text.wav 2
out=$("$py" "$here/audio_match.py" silence.wav same.wav 2>&1); rc=$?
echo "silent-ref     rc=$rc $out"
[ "$rc" -eq 2 ] || fail "a silent reference should exit 2 ($out)"
out=$("$py" "$here/audio_match.py" ref.wav same.wav --max-lag -1 2>&1); rc=$?
[ "$rc" -eq 2 ] || fail "--max-lag -1 should exit 2 ($out)"

# g711.py encodes like warden (ITU form) and like sox; the two mu-law forms differ on one step at
# most, and decoding then encoding gives every code back (but the second zero of mu-law).
"$py" - "$here" <<'PY' || fail "g711.py"
import subprocess, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
import g711
x = np.arange(-32768, 32768).astype(np.int16)
codes = np.arange(256).astype(np.uint8)
back = g711.ulaw_encode(g711.ulaw_decode(codes))
assert np.sum(back != codes) == 1 and back[0x7F] == 0xFF, "mu-law decode/encode"
assert np.all(g711.alaw_encode(g711.alaw_decode(codes)) == codes), "A-law decode/encode"
for enc, dec, step in ((g711.ulaw_encode, g711.ulaw_decode, 1024), (g711.alaw_encode, g711.alaw_decode, 1024)):
    err = np.abs(dec(enc(x)).astype(int) - x)
    assert err.max() <= step, (enc.__name__, err.max())
d = g711.ulaw_decode(g711.ulaw_encode(x)).astype(int) - g711.ulaw_decode(g711.ulaw_encode14(x)).astype(int)
assert np.mean(d == 0) > 0.98, np.mean(d == 0)
# RFC 3551 / G.711 points: 0 -> 0xFF (mu) and 0xD5 (A); full scale -> 0x80 / 0xAA.
assert g711.ulaw_encode(np.array([0, 32767, -32768]))[:].tolist() == [0xFF, 0x80, 0x00]
assert g711.alaw_encode(np.array([0, 32767, -32768])).tolist() == [0xD5, 0xAA, 0x2A]
print("g711.py: ok")
PY

[ "$failed" -eq 0 ] && echo "all audio_match calibration cases passed"
exit "$failed"
