#!/usr/bin/env bash
# End to end: hold and resume by re-INVITE (RFC 3264 §8.4) between two `warden phone`s through
# `warden proxy` on loopback. bob waits with `answer --auto --record`; alice calls him with a
# 440 Hz tone, `--hold-at 2s --resume-at 4s --hangup-after 7s`. Then:
#   - both exit 0; alice printed holding, held direction=sendonly, resuming, resumed
#     direction=sendrecv; bob printed reoffer direction=held then reoffer direction=sendrecv;
#     neither printed media-rekeyed (the SDES keys stay the same across the re-offers)
#   - bob's recording holds the tone, then silence while held (>= 0.6 s: alice's microphone is
#     muted), then the tone again after the resume: the media, and for SDES the SRTP keys,
#     survived two re-INVITEs
#
#   H1  PCMU, DTLS-SRTP, UDP
#   H2  PCMU, SDES-SRTP, TLS
#
# Usage: phone_hold_test.sh WARDEN. Exit 0 passed, 1 failed, 77 skipped (no numpy, or a warden
# without the phone). KEEP=1 keeps the folder; CASES="H2" runs some cases only.
set -u
warden=${1:?usage: phone_hold_test.sh WARDEN}
source "$(dirname "$0")/lib_phone.sh"

e2e_init "$warden" phone-hold
phone_available || e2e_skip "warden phone is not there yet"
"$WARDEN" phone --account x call --help 2>&1 | grep -q -- '--hold-at' || e2e_skip "warden phone has no --hold-at"
CASES=${CASES:-H1 H2}
e2e_start_proxy

# tone_hold_tone WAV: the recording, cut in 100 ms blocks (RMS > 1000 loud, < 100 quiet), must
# hold a quiet run of >= 0.6 s with a loud run of >= 0.4 s before and after it. Runs, not absolute
# times: the recording has one frame per media tick, and a machine under load (others building
# on the same cores) delays ticks, which shortens the recording.
tone_hold_tone() {
  "$E2E_PY" - "$1" <<'PY'
import sys, wave, numpy as np
w = wave.open(sys.argv[1])
rate = w.getframerate()
x = np.frombuffer(w.readframes(w.getnframes()), dtype='<i2').astype(float)
blk = rate // 10
marks = []
for i in range(len(x) // blk):
    r = float(np.sqrt(np.mean(x[i * blk:(i + 1) * blk] ** 2)))
    marks.append('L' if r > 1000 else 'Q' if r < 100 else '-')
runs = []  # (kind, blocks)
for m in marks:
    if runs and runs[-1][0] == m:
        runs[-1][1] += 1
    else:
        runs.append([m, 1])
text = ' '.join(f"{k}{n / 10:.1f}" for k, n in runs)
ok = False
for i, (k, n) in enumerate(runs):
    if k == 'Q' and n >= 6:
        before = any(kk == 'L' and nn >= 4 for kk, nn in runs[:i])
        after = any(kk == 'L' and nn >= 4 for kk, nn in runs[i + 1:])
        ok = ok or (before and after)
print(f"runs (s): {text}")
sys.exit(0 if ok else 1)
PY
}

hold_case() {
  local tag=$1 tr=$2 keying=$3 out
  mkdir -p "$tag" && cd "$tag" || exit 1
  write_account alice "$tr" "$keying" PCMU
  write_account bob "$tr" "$keying" PCMU
  if phone_answer bob -- --timeout 40s; then
    phone_call alice "sip:bob@$E2E_DOMAIN" -- --tone 440 --hold-at 2s --resume-at 4s --hangup-after 7s --timeout 15s
    [ "$PHONE_RC" -eq 0 ] || fail "$tag: alice exited $PHONE_RC; stderr: $(tail -n 3 alice.err | tr '\n' '|')"
    phone_wait bob 10
    [ "$PHONE_RC" -eq 0 ] || fail "$tag: bob exited $PHONE_RC; stderr: $(tail -n 3 bob.err | tr '\n' '|')"
  fi
  expect_line alice '^holding$' "$tag: alice holds"
  expect_line alice '^held direction=sendonly$' "$tag: bob's answer put alice's stream sendonly"
  expect_line alice '^resuming$' "$tag: alice resumes"
  expect_line alice '^resumed direction=sendrecv$' "$tag: the resume was answered sendrecv"
  expect_line bob '^reoffer direction=held$' "$tag: bob saw the hold"
  expect_line bob '^reoffer direction=sendrecv$' "$tag: bob saw the resume"
  grep -q '^media-rekeyed' alice.out bob.out && fail "$tag: the SRTP keys changed across the re-offers"
  expect_line alice "^media codec=PCMU/8000 keying=" "$tag: alice's media"
  if [ -s bob.rec.wav ]; then
    if out=$(tone_hold_tone bob.rec.wav); then
      log "ok: $tag: bob heard tone, silence while held, tone after the resume: $(tr '\n' ';' <<<"$out")"
    else
      fail "$tag: bob's recording does not follow the hold: $(tr '\n' ';' <<<"$out")"
    fi
  else
    fail "$tag: bob wrote no recording"
  fi
  cd "$E2E_WORK" || exit 1
}

[[ " $CASES " == *" H1 "* ]] && { log "--- H1: hold/resume, PCMU, DTLS-SRTP, UDP"; hold_case H1 udp dtls; }
[[ " $CASES " == *" H2 "* ]] && { log "--- H2: hold/resume, PCMU, SDES-SRTP, TLS"; hold_case H2 tls sdes; }
e2e_done
