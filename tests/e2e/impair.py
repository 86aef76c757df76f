#!/usr/bin/python3
"""Makes what a callee might have heard out of what the caller played, for calibrating and
testing audio_match.py (tests/e2e/test_audio_match.sh).

    impair.py IN.wav OUT.wav [--codec pcmu|pcma|opus] [--opus-bitrate BPS] [--loss PERCENT]
              [--noise-snr DB] [--gain DB] [--delay SECONDS] [--gap AT_S:MS] [--tail SECONDS]
              [--rate HZ] [--seed N]

In this order: the input is read at 8 kHz (48 kHz with --codec opus), coded and decoded in 20 ms
frames (G.711 by tests/e2e/g711.py; Opus by libopus through ctypes, VoIP mode, at
--opus-bitrate, default 10 kb/s), with --loss percent of the 20 ms frames lost (seeded;
G.711 frames are zeroed, Opus frames are concealed by the decoder's PLC), white noise added at
--noise-snr dB under the speech, the gain applied, --gap inserts MS milliseconds of silence at
AT_S seconds (a jitter buffer growing mid-call), --delay seconds of silence put in front and
--tail after, and the result written as 16-bit mono at --rate (default: the working rate).
Exit 0, 2 on bad arguments or input, 3 when libopus is not there (--codec opus).
"""
import argparse
import ctypes
import ctypes.util
import os
import sys
import wave

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audio_match  # noqa: E402
import g711  # noqa: E402


def write_wav(path, x, rate):
    pcm = np.clip(np.round(x * 32768), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def frames_lost(n_frames, percent, rng):
    lost = np.zeros(n_frames, dtype=bool)
    k = int(round(n_frames * percent / 100))
    if k:
        lost[rng.choice(n_frames, size=k, replace=False)] = True
    return lost


def g711_path(x, law, lost):
    pcm = np.clip(np.round(x * 32768), -32768, 32767).astype(np.int16)
    if law == "pcmu":
        y = g711.ulaw_decode(g711.ulaw_encode(pcm))
    else:
        y = g711.alaw_decode(g711.alaw_encode(pcm))
    y = y.astype(np.float64) / 32768
    f = 160
    for i in np.nonzero(lost)[0]:
        y[i * f:(i + 1) * f] = 0
    return y


def opus_path(x, bitrate, lost, rate=48000):
    name = ctypes.util.find_library("opus") or "libopus.so.0"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        print("impair: libopus is not installed", file=sys.stderr)
        sys.exit(3)
    err = ctypes.c_int()
    lib.opus_encoder_create.restype = ctypes.c_void_p
    lib.opus_decoder_create.restype = ctypes.c_void_p
    enc = lib.opus_encoder_create(rate, 1, 2048, ctypes.byref(err))      # OPUS_APPLICATION_VOIP
    if not enc or err.value:
        sys.exit(f"impair: opus_encoder_create failed ({err.value})")
    dec = lib.opus_decoder_create(rate, 1, ctypes.byref(err))
    if not dec or err.value:
        sys.exit(f"impair: opus_decoder_create failed ({err.value})")
    lib.opus_encoder_ctl(ctypes.c_void_p(enc), ctypes.c_int(4002), ctypes.c_int(bitrate))  # OPUS_SET_BITRATE
    f = rate // 50
    pcm = np.clip(np.round(x * 32768), -32768, 32767).astype(np.int16)
    pcm = np.concatenate([pcm, np.zeros((-len(pcm)) % f, np.int16)])
    out = np.zeros(len(pcm), np.int16)
    packet = (ctypes.c_ubyte * 1500)()
    frame_out = (ctypes.c_int16 * f)()
    for i in range(len(pcm) // f):
        frame = np.ascontiguousarray(pcm[i * f:(i + 1) * f])
        n = lib.opus_encode(ctypes.c_void_p(enc), frame.ctypes.data_as(ctypes.POINTER(ctypes.c_int16)), f,
                            packet, 1500)
        if n < 0:
            sys.exit(f"impair: opus_encode failed ({n})")
        if lost[i] if i < len(lost) else False:
            got = lib.opus_decode(ctypes.c_void_p(dec), None, 0, frame_out, f, 0)
        else:
            got = lib.opus_decode(ctypes.c_void_p(dec), packet, n, frame_out, f, 0)
        if got != f:
            sys.exit(f"impair: opus_decode returned {got}")
        out[i * f:(i + 1) * f] = np.frombuffer(frame_out, np.int16)
    lib.opus_encoder_destroy(ctypes.c_void_p(enc))
    lib.opus_decoder_destroy(ctypes.c_void_p(dec))
    return out.astype(np.float64) / 32768


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--codec", choices=["none", "pcmu", "pcma", "opus"], default="none")
    ap.add_argument("--opus-bitrate", type=int, default=10000)
    ap.add_argument("--loss", type=float, default=0.0, help="percent of 20 ms frames lost")
    ap.add_argument("--noise-snr", type=float, default=None)
    ap.add_argument("--gain", type=float, default=0.0)
    ap.add_argument("--delay", type=float, default=0.0)
    ap.add_argument("--tail", type=float, default=0.0)
    ap.add_argument("--gap", default=None, help="AT_SECONDS:MILLISECONDS")
    ap.add_argument("--rate", type=int, default=None)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    if not (0 <= a.loss <= 100 and 0 <= a.delay <= 60 and 0 <= a.tail <= 60 and 6000 <= a.opus_bitrate <= 510000):
        print("impair: an argument is out of range", file=sys.stderr)
        return 2
    rng = np.random.default_rng(a.seed)
    work = 48000 if a.codec == "opus" else 8000
    try:
        x = audio_match.load(a.input, work)
    except audio_match.BadInput as e:
        print(f"impair: {e}", file=sys.stderr)
        return 2
    lost = frames_lost(len(x) // (work // 50) + 1, a.loss, rng)
    if a.codec in ("pcmu", "pcma"):
        x = g711_path(x, a.codec, lost)
    elif a.codec == "opus":
        x = opus_path(x, a.opus_bitrate, lost, work)
    elif a.loss:
        f = work // 50
        x = x.copy()
        for i in np.nonzero(lost)[0]:
            x[i * f:(i + 1) * f] = 0
    if a.noise_snr is not None:
        speech, _ = audio_match.trim_silence(x, work)
        p = float(np.mean(speech ** 2)) if len(speech) else 1e-6
        x = x + rng.normal(0, np.sqrt(p / 10 ** (a.noise_snr / 10)), len(x))
    x = x * 10 ** (a.gain / 20)
    if a.gap:
        at, ms = a.gap.split(":")
        k = int(float(at) * work)
        x = np.concatenate([x[:k], np.zeros(int(float(ms) * work / 1000)), x[k:]])
    x = np.concatenate([np.zeros(int(a.delay * work)), x, np.zeros(int(a.tail * work))])
    rate = a.rate or work
    if rate != work:
        x = audio_match._resample(x, work, rate)
    write_wav(a.output, x, rate)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
