#!/usr/bin/python3
"""Sends a call's worth of datagrams on loopback for test_no_plaintext.sh: what a leaking or an
encrypting phone would put on the wire, to a port this script binds itself (nothing else hears).

    send_rtp.py MODE REFERENCE.wav DEST_PORT [--src-port P] [--host 127.0.0.1] [--pace MS]

MODE:
  pcmu        RTP (PT 0) with the reference as mu-law (ITU form), 160 bytes per packet
  pcma        RTP (PT 8) with the reference as A-law
  ulaw-sox    bare UDP (no RTP header) carrying sox's mu-law bytes of the reference
  pcmu-gain   RTP PT 0 from the reference 0.7 dB quieter (a phone with its own gain or resampler:
              few or no exact windows, but decoded it is the speech)
  opus        RTP (PT 111) with the reference coded by libopus at 24 kb/s (plaintext Opus)
  srtp-like   RTP headers in clear, random payload and a 10-byte random tag (what SRTP looks like)
  random      random datagrams of 60..300 bytes
  one-leak    srtp-like, but one packet carries 12 bytes of mu-law speech in its middle
Exit 0; 3 when MODE is opus and libopus is missing.
"""
import argparse
import os
import socket
import struct
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audio_match  # noqa: E402
import g711  # noqa: E402


def rtp(pt, seq, ts, ssrc, payload, marker=False):
    return struct.pack(">BBHII", 0x80, (0x80 if marker else 0) | pt, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + payload


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["pcmu", "pcma", "ulaw-sox", "pcmu-gain", "opus", "srtp-like", "random", "one-leak"])
    ap.add_argument("reference")
    ap.add_argument("port", type=int)
    ap.add_argument("--src-port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--pace", type=float, default=1.0, help="milliseconds between datagrams")
    a = ap.parse_args(argv)
    if not a.host.startswith("127."):
        sys.exit("send_rtp: loopback only")
    rng = np.random.default_rng(7)
    x = audio_match.load(a.reference, 8000)
    pcm = np.clip(np.round(x * 32768), -32768, 32767).astype(np.int16)

    payloads = []  # (pt, bytes, with RTP header?)
    if a.mode in ("pcmu", "pcma", "pcmu-gain"):
        if a.mode == "pcmu-gain":
            y = x * 10 ** (-0.7 / 20)
            codes = g711.ulaw_encode(np.clip(np.round(y * 32768), -32768, 32767).astype(np.int16))
        else:
            codes = g711.ulaw_encode(pcm) if a.mode == "pcmu" else g711.alaw_encode(pcm)
        pt = 8 if a.mode == "pcma" else 0
        payloads = [(pt, codes[i:i + 160].tobytes(), True) for i in range(0, len(codes) - 159, 160)]
    elif a.mode == "ulaw-sox":
        import no_plaintext
        codes = no_plaintext.sox_codes(pcm, "u-law")
        if codes is None:
            sys.exit("send_rtp: sox is needed for ulaw-sox")
        payloads = [(None, codes[i:i + 160].tobytes(), False) for i in range(0, len(codes) - 159, 160)]
    elif a.mode == "opus":
        import ctypes
        import ctypes.util
        try:
            lib = ctypes.CDLL(ctypes.util.find_library("opus") or "libopus.so.0")
        except OSError:
            print("send_rtp: libopus is not installed", file=sys.stderr)
            return 3
        lib.opus_encoder_create.restype = ctypes.c_void_p
        err = ctypes.c_int()
        enc = lib.opus_encoder_create(48000, 1, 2048, ctypes.byref(err))
        lib.opus_encoder_ctl(ctypes.c_void_p(enc), ctypes.c_int(4002), ctypes.c_int(24000))
        y = audio_match.load(a.reference, 48000)
        s = np.clip(np.round(y * 32768), -32768, 32767).astype(np.int16)
        out = (ctypes.c_ubyte * 1500)()
        for i in range(0, len(s) - 959, 960):
            frame = np.ascontiguousarray(s[i:i + 960])
            n = lib.opus_encode(ctypes.c_void_p(enc), frame.ctypes.data_as(ctypes.POINTER(ctypes.c_int16)), 960, out, 1500)
            if n > 0:
                payloads.append((111, bytes(out[:n]), True))
        lib.opus_encoder_destroy(ctypes.c_void_p(enc))
    elif a.mode in ("srtp-like", "one-leak"):
        n = len(pcm) // 160
        payloads = [(0, rng.bytes(170), True) for _ in range(n)]
        if a.mode == "one-leak":
            codes = g711.ulaw_encode(pcm)
            loud = int(np.argmax(np.abs(pcm[: len(pcm) - 12])))
            k = n // 2
            p = bytearray(payloads[k][1])
            p[70:82] = codes[loud:loud + 12].tobytes()
            payloads[k] = (0, bytes(p), True)
    else:
        payloads = [(None, rng.bytes(int(rng.integers(60, 300))), False) for _ in range(len(pcm) // 160)]

    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind((a.host, a.port))
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.bind((a.host, a.src_port))
    ssrc = int(rng.integers(1, 2**31))
    seq = int(rng.integers(0, 65536))
    ts = 0
    for i, (pt, body, with_header) in enumerate(payloads):
        data = rtp(pt, seq + i, ts + 160 * i, ssrc, body, i == 0) if with_header else body
        tx.sendto(data, (a.host, a.port))
        if a.pace > 0:
            time.sleep(a.pace / 1000)
    rx.close()
    tx.close()
    print(f"send_rtp: {a.mode}: {len(payloads)} datagrams to {a.host}:{a.port}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
