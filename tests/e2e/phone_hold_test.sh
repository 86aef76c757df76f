#!/usr/bin/env bash
# End to end: hold and resume by re-INVITE (RFC 3264 §8.4) between two `warden phone`s through
# `warden proxy` on loopback. bob waits with `answer --auto --record`; alice calls him with a
# 440 Hz tone, `--hold-at 2s --resume-at 4s --hangup-after 7s`. Then:
#   - both exit 0; alice printed holding, held direction=sendonly, resuming, resumed
#     direction=sendrecv; bob printed reoffer direction=held then reoffer direction=sendrecv;
#     neither printed media-rekeyed (the SDES keys stay the same across the re-offers)
#   - bob's recording holds the tone before the hold (0.6-1.6 s), silence while held
#     (2.5-3.5 s: alice's microphone is muted) and the tone again after the resume (4.8-6.2 s):
#     the media, and for SDES the SRTP keys, survived two re-INVITEs
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

# tone_windows WAV SPEC...: SPEC is FROM:TO:loud|quiet (seconds); the RMS of each window must be
# above 1000 (loud) or below 100 (quiet).
tone_windows() {
  "$E2E_PY" - "$@" <<'PY'
import sys, wave, numpy as np
path, specs = sys.argv[1], sys.argv[2:]
w = wave.open(path)
rate = w.getframerate()
x = np.frombuffer(w.readframes(w.getnframes()), dtype='<i2').astype(float)
bad = 0
for s in specs:
    a, b, want = s.split(':')
    seg = x[int(float(a) * rate):int(float(b) * rate)]
    rms = float(np.sqrt(np.mean(seg ** 2))) if len(seg) else 0.0
    ok = (rms > 1000) if want == 'loud' else (rms < 100 and len(seg) > 0)
    print(f"{a}-{b} s: rms {rms:.0f} (want {want}) {'ok' if ok else 'WRONG'}")
    bad |= not ok
sys.exit(1 if bad else 0)
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
    if out=$(tone_windows bob.rec.wav 0.6:1.6:loud 2.5:3.5:quiet 4.8:6.2:loud); then
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
