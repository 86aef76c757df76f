#!/usr/bin/python3
"""Did the far end hear what was played? Compares a reference WAV (what the caller played) with a
recording (what the callee wrote), both taken to 8 kHz mono.

    audio_match.py REFERENCE RECORDING [--max-lag S] [--min-corr X] [--min-spectral X]
                   [--min-rms-dbfs X] [--json]

Prints one line of figures and exits 0 when the recording holds the reference (every figure at or
above its threshold), 1 when it does not, 2 when the input cannot be used (a file missing or not
a WAV, the reference silent or too short, a bad option).

How (the figures on the line):
  lag_ms       where the reference starts in the recording: the lag of the highest normalised
               cross-correlation (FFT), searched from -0.5 s to +--max-lag s (default 5 s); the
               recording may start later, and be longer or shorter (its cut tail is allowed)
  corr         that normalised cross-correlation (1 = the same waveform, scale-free), over the
               part of the reference the recording covers
  local        energy-weighted mean of the best correlation of each 0.5 s chunk of the reference
               within +-120 ms of the lag (a jitter buffer that inserts or drops frames mid-call
               shifts the rest of the speech; corr falls, local does not)
  spectral     Pearson correlation of the log-energy spectrograms (20 bands, 300-3400 Hz, 32 ms
               frames every 10 ms, each band's mean removed) over the frames where the reference
               speaks, aligned by the chunks' lags: the same words in the same order, whatever the
               codec did to the waveform's phase
  envelope     correlation of the frame log-energies (the speech rhythm)
  coverage     share of the reference's energy that falls inside the recording
  ref_rms_dbfs, rec_rms_dbfs  loudness of the reference speech and of the aligned recording
Passing needs local >= --min-corr (0.40), spectral >= --min-spectral (0.60), rec_rms_dbfs >=
--min-rms-dbfs (-50) and coverage >= --min-coverage (0.80). The default thresholds come from the calibration in tests/e2e/README.md (speech
through G.711, Opus with loss, against other speech, silence and noise).

Files are decoded by sox (any WAV it reads: PCM, float, mu-law, any rate and channel count) when
it is installed, otherwise by Python's wave module (integer PCM) with a numpy resampler. Limits:
10 minutes of audio per file, 256 MiB per file. Python 3 + numpy (Debian's /usr/bin/python3).
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import wave

import numpy as np

RATE = 8000
MAX_SECONDS = 600
MAX_FILE_BYTES = 256 << 20

# Defaults of the thresholds (tests/e2e/README.md, "Calibration").
MIN_CORR = 0.40
MIN_SPECTRAL = 0.60
MIN_RMS_DBFS = -50.0
MIN_COVERAGE = 0.80


class BadInput(Exception):
    """The input cannot be compared (exit 2)."""


def _resample(x, src, dst):
    """Band-limited resampling by the FFT (numpy only; used when sox is missing)."""
    if src == dst or len(x) == 0:
        return x
    n_out = int(round(len(x) * dst / src))
    spec = np.fft.rfft(x)
    keep = min(len(spec), n_out // 2 + 1)
    out_spec = np.zeros(n_out // 2 + 1, dtype=complex)
    out_spec[:keep] = spec[:keep]
    return np.fft.irfft(out_spec, n_out) * (n_out / len(x))


def _load_with_wave(path, rate):
    try:
        with wave.open(path, "rb") as w:
            ch, width, src, frames = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
            if ch < 1 or ch > 8 or width not in (1, 2, 3, 4) or not 1000 <= src <= 384000:
                raise BadInput(f"{path}: unsupported WAV ({ch} channels, {width} bytes/sample, {src} Hz)")
            if frames > MAX_SECONDS * src:
                raise BadInput(f"{path}: longer than {MAX_SECONDS} s")
            raw = w.readframes(frames)
    except (wave.Error, EOFError) as e:
        raise BadInput(f"{path}: not a WAV file the wave module reads ({e}); install sox") from e
    n = len(raw) // (width * ch)
    raw = raw[: n * width * ch]
    if width == 1:
        x = (np.frombuffer(raw, np.uint8).astype(np.float64) - 128) / 128
    elif width == 2:
        x = np.frombuffer(raw, "<i2").astype(np.float64) / 32768
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = np.where(v >= 1 << 23, v - (1 << 24), v)
        x = v.astype(np.float64) / (1 << 23)
    else:
        x = np.frombuffer(raw, "<i4").astype(np.float64) / (1 << 31)
    x = x.reshape(-1, ch).mean(axis=1)
    return _resample(x, src, rate)


def load(path, rate=RATE):
    """The file as float64 samples in [-1, 1], mono, at `rate` Hz. Raises BadInput."""
    try:
        size = os.path.getsize(path)
    except OSError as e:
        raise BadInput(f"{path}: {e.strerror}") from e
    if size > MAX_FILE_BYTES:
        raise BadInput(f"{path}: larger than {MAX_FILE_BYTES >> 20} MiB")
    if not shutil.which("sox"):
        return _load_with_wave(path, rate)
    # -D: no dither (the same input always gives the same samples); -V1: errors only.
    cmd = ["sox", "-V1", "-D", path, "-t", "raw", "-e", "signed-integer", "-b", "16", "-c", "1",
           "-r", str(rate), "-"]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    except subprocess.TimeoutExpired as e:
        raise BadInput(f"{path}: sox took more than 60 s") from e
    if p.returncode != 0:
        msg = p.stderr.decode(errors="replace").strip().splitlines()
        raise BadInput(f"{path}: sox cannot read it ({msg[-1] if msg else 'exit %d' % p.returncode})")
    data = p.stdout[: MAX_SECONDS * rate * 2]
    return np.frombuffer(data[: len(data) // 2 * 2], "<i2").astype(np.float64) / 32768


def dbfs(x):
    if len(x) == 0:
        return -150.0
    r = math.sqrt(float(np.mean(x * x)))
    return 20 * math.log10(r) if r > 1e-7 else -150.0


def frame_energy(x, frame):
    n = len(x) // frame
    if n == 0:
        return np.zeros(0)
    return np.mean(x[: n * frame].reshape(n, frame) ** 2, axis=1)


def trim_silence(x, rate=RATE, floor_db=40.0, margin_s=0.05):
    """x without its leading and trailing silence (frames of 20 ms more than floor_db under the
    loudest frame); returns (trimmed, start index)."""
    frame = rate // 50
    e = frame_energy(x, frame)
    if len(e) == 0 or e.max() <= 0:
        return x[:0], 0
    active = np.nonzero(e > e.max() * 10 ** (-floor_db / 10))[0]
    margin = int(margin_s * rate)
    start = max(0, active[0] * frame - margin)
    end = min(len(x), (active[-1] + 1) * frame + margin)
    return x[start:end], start


def _fft_xcorr(ref, rec):
    """c[k] = sum_i ref[i] * rec[i + k - (len(ref) - 1)] for every k (full cross-correlation)."""
    n = len(ref) + len(rec) - 1
    size = 1 << (n - 1).bit_length()
    c = np.fft.irfft(np.fft.rfft(rec, size) * np.conj(np.fft.rfft(ref, size)), size)
    # irfft(R * conj(F)) gives circular lags; lag L (rec index = ref index + L) sits at L mod size.
    lags = np.arange(-(len(ref) - 1), len(rec))
    return lags, c[lags % size]


def normalised_xcorr(ref, rec, min_lag, max_lag, min_energy_share=0.25):
    """(lags, corr, energy share of ref in the overlap) for lags min_lag..max_lag, where corr is
    sum(ref*rec) / sqrt(E_ref_overlap * E_rec_overlap); lags whose overlap holds less than
    min_energy_share of ref's energy get corr 0 (a short overlap could correlate by chance)."""
    lags, c = _fft_xcorr(ref, rec)
    sel = (lags >= min_lag) & (lags <= max_lag)
    lags, c = lags[sel], c[sel]
    n, m = len(ref), len(rec)
    cr = np.concatenate(([0.0], np.cumsum(ref * ref)))
    cx = np.concatenate(([0.0], np.cumsum(rec * rec)))
    i0 = np.clip(-lags, 0, n)           # first ref index in the overlap
    i1 = np.clip(m - lags, 0, n)        # one past the last
    i1 = np.maximum(i1, i0)
    e_ref = cr[i1] - cr[i0]
    e_rec = cx[np.clip(i1 + lags, 0, m)] - cx[np.clip(i0 + lags, 0, m)]
    share = e_ref / cr[-1] if cr[-1] > 0 else np.zeros_like(e_ref)
    den = np.sqrt(e_ref * e_rec)
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.where((den > 1e-12) & (share >= min_energy_share), c / den, 0.0)
    return lags, corr, share


def chunk_lags(ref, rec, lag, rate=RATE, chunk_s=0.5, search_s=0.12):
    """Per 0.5 s chunk of ref (the silent ones skipped): (start, end, best lag near `lag`, its
    |corr|, chunk energy)."""
    chunk = int(chunk_s * rate)
    search = int(search_s * rate)
    total = float(np.sum(ref * ref))
    out = []
    for s in range(0, len(ref), chunk):
        piece = ref[s:s + chunk]
        e = float(np.sum(piece * piece))
        if len(piece) < chunk // 2 or e < total * 0.01 * len(piece) / len(ref):
            continue
        lo, hi = s + lag - search, s + lag + search + len(piece)
        lo_c, hi_c = max(lo, 0), min(hi, len(rec))
        if hi_c - lo_c < len(piece):
            out.append((s, s + len(piece), lag, 0.0, e))
            continue
        lags, corr, _ = normalised_xcorr(piece, rec[lo_c:hi_c], 0, hi_c - lo_c - len(piece), 0.99)
        k = int(np.argmax(np.abs(corr)))
        out.append((s, s + len(piece), int(lags[k]) + lo_c - s, float(abs(corr[k])), e))
    return out


BANDS = 20
FRAME = 256
HOP = 80


def log_bands(x, rate=RATE):
    """Log band energies (frames x BANDS), 300-3400 Hz, Hann frames of 32 ms every 10 ms, floored
    60 dB under the loudest value."""
    if len(x) < FRAME:
        return np.zeros((0, BANDS))
    n = 1 + (len(x) - FRAME) // HOP
    idx = np.arange(FRAME)[None, :] + HOP * np.arange(n)[:, None]
    spec = np.abs(np.fft.rfft(x[idx] * np.hanning(FRAME), axis=1)) ** 2
    freqs = np.fft.rfftfreq(FRAME, 1 / rate)
    edges = np.geomspace(300, 3400, BANDS + 1)
    bands = np.stack([spec[:, (freqs >= edges[b]) & (freqs < edges[b + 1])].sum(axis=1)
                      for b in range(BANDS)], axis=1)
    top = bands.max() if bands.size else 0.0
    if top <= 0:
        return np.full((n, BANDS), -60.0)
    return 10 * np.log10(np.maximum(bands, top * 1e-6))


def pearson(a, b):
    a = a - a.mean()
    b = b - b.mean()
    den = math.sqrt(float(np.sum(a * a)) * float(np.sum(b * b)))
    return float(np.sum(a * b)) / den if den > 1e-12 else 0.0


def compare(ref_raw, rec_raw, max_lag_s=5.0, rate=RATE):
    """The figures of the comparison (a dict); raises BadInput when the reference is unusable."""
    if dbfs(ref_raw) < -70:
        raise BadInput("the reference is silent")
    ref, _ = trim_silence(ref_raw - ref_raw.mean(), rate)
    if len(ref) < rate // 2:
        raise BadInput("the reference holds less than 0.5 s of sound")
    rec = rec_raw - rec_raw.mean() if len(rec_raw) else rec_raw
    fig = {"lag_ms": None, "corr": 0.0, "local": 0.0, "spectral": 0.0, "envelope": 0.0,
           "coverage": 0.0, "ref_rms_dbfs": round(dbfs(ref), 1), "rec_rms_dbfs": round(dbfs(rec), 1),
           "rec_seconds": round(len(rec) / rate, 2)}
    if len(rec) < rate // 10 or dbfs(rec) < -100:
        return fig
    lags, corr, share = normalised_xcorr(ref, rec, -rate // 2, int(max_lag_s * rate))
    k = int(np.argmax(np.abs(corr)))
    lag = int(lags[k])
    fig["lag_ms"] = round(lag * 1000 / rate, 1)
    fig["corr"] = round(float(abs(corr[k])), 3)
    fig["coverage"] = round(float(share[k]), 3)

    chunks = chunk_lags(ref, rec, lag, rate)
    if chunks:
        w = np.array([c[4] for c in chunks])
        fig["local"] = round(float(np.sum(w * np.array([c[3] for c in chunks])) / np.sum(w)), 3)

    # Spectrogram frames of ref, each compared with the frame of rec its chunk's lag points to.
    fr = log_bands(ref, rate)
    fx = log_bands(rec, rate)
    if len(fr) and len(fx):
        ref_e = frame_energy(ref, HOP)
        active_floor = ref_e.max() * 10 ** (-3.5) if len(ref_e) else 0
        pairs = []
        for i in range(len(fr)):
            start = i * HOP
            l = lag
            for s, e, cl, _, _ in chunks:
                if s <= start < e:
                    l = cl
                    break
            j = (start + l) // HOP
            # speech frames of the reference only (the silences carry no pattern to match)
            if 0 <= j < len(fx) and i < len(ref_e) and ref_e[min(i + FRAME // HOP // 2, len(ref_e) - 1)] > active_floor:
                pairs.append((i, j))
        if len(pairs) >= 20:
            a = fr[[p[0] for p in pairs]]
            b = fx[[p[1] for p in pairs]]
            fig["spectral"] = round(pearson((a - a.mean(axis=0)).ravel(), (b - b.mean(axis=0)).ravel()), 3)
            ea = 10 * np.log10(np.maximum((10 ** (a / 10)).sum(axis=1), 1e-12))
            eb = 10 * np.log10(np.maximum((10 ** (b / 10)).sum(axis=1), 1e-12))
            fig["envelope"] = round(pearson(ea, eb), 3)
        lo = max(0, lag)
        hi = min(len(rec), lag + len(ref))
        if hi > lo:
            fig["rec_rms_dbfs"] = round(dbfs(rec[lo:hi]), 1)
    return fig


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("reference")
    ap.add_argument("recording")
    ap.add_argument("--max-lag", type=float, default=5.0, help="seconds (default 5)")
    ap.add_argument("--min-corr", type=float, default=MIN_CORR)
    ap.add_argument("--min-spectral", type=float, default=MIN_SPECTRAL)
    ap.add_argument("--min-rms-dbfs", type=float, default=MIN_RMS_DBFS)
    ap.add_argument("--min-coverage", type=float, default=MIN_COVERAGE)
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    if not 0 <= args.max_lag <= 60:
        print("audio_match: --max-lag must be within 0..60 s", file=sys.stderr)
        return 2
    try:
        ref = load(args.reference)
        rec = load(args.recording)
        fig = compare(ref, rec, args.max_lag)
    except BadInput as e:
        print(f"audio_match: bad input: {e}", file=sys.stderr)
        return 2
    why = []
    if fig["local"] < args.min_corr:
        why.append(f"local<{args.min_corr}")
    if fig["spectral"] < args.min_spectral:
        why.append(f"spectral<{args.min_spectral}")
    if fig["rec_rms_dbfs"] < args.min_rms_dbfs:
        why.append(f"rec_rms_dbfs<{args.min_rms_dbfs}")
    if fig["coverage"] < args.min_coverage:
        why.append(f"coverage<{args.min_coverage}")
    fig["match"] = not why
    if args.json:
        print(json.dumps(fig))
    else:
        print("audio_match: " + " ".join(f"{k}={'-' if v is None else v}" for k, v in fig.items() if k != "match")
              + (" MATCH" if not why else " NO MATCH (" + ", ".join(why) + ")"))
    return 0 if not why else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
