"""G.711 (ITU-T G.711) mu-law and A-law in numpy, for the end-to-end tools: impair.py encodes
speech the way a phone would, no_plaintext.py looks for those bytes on the wire.

Two mu-law encoders, because implementations differ on negative samples by one step:
  ulaw_encode     magnitude of the 16-bit sample, bias 0x84, clip 32635 (the ITU reference
                  code's form; warden's src/media/g711.cpp)
  ulaw_encode14   the sample shifted to 14 bits first (arithmetic shift, so -1 becomes -1 and
                  then magnitude 1), bias 0x21, clip 8159 (Sun's g711.c, which sox uses)
A-law has one form here: 13-bit magnitudes, negative samples by one's complement. sox rounds
differently from both (3 becomes the code of 8, not of 0): no_plaintext.py asks sox for its bytes
as a third form.
"""
import numpy as np


def _as_i32(pcm):
    return np.asarray(pcm, dtype=np.int16).astype(np.int32)


def ulaw_encode(pcm):
    x = _as_i32(pcm)
    sign = np.where(x < 0, 0x80, 0)
    mag = np.minimum(np.abs(x), 32635) + 0x84
    exp = np.floor(np.log2(mag)).astype(np.int32) - 7          # 0..7
    mant = (mag >> (exp + 3)) & 0x0F
    return (~(sign | (exp << 4) | mant) & 0xFF).astype(np.uint8)


def ulaw_encode14(pcm):
    x = _as_i32(pcm) >> 2
    neg = x < 0
    mag = np.minimum(np.where(neg, -x, x), 8159) + 0x21
    seg = np.floor(np.log2(mag)).astype(np.int32) - 5          # 0..7 (0x21..0x3F is segment 0)
    u = (seg << 4) | ((mag >> (seg + 1)) & 0x0F)
    return (np.where(neg, u ^ 0x7F, u ^ 0xFF) & 0xFF).astype(np.uint8)


def ulaw_decode(codes):
    c = ~np.asarray(codes, dtype=np.uint8).astype(np.int32) & 0xFF
    exp = (c >> 4) & 7
    mag = (((c & 0x0F) << 3) + 0x84 << exp) - 0x84
    return np.where(c & 0x80, -mag, mag).astype(np.int16)


def alaw_encode(pcm):
    x = _as_i32(pcm)
    pos = x >= 0
    mag = np.where(pos, x, ~x) >> 3                             # 0..4095
    seg = np.where(mag < 32, 0, np.floor(np.log2(np.maximum(mag, 1))).astype(np.int32) - 4)
    mant = np.where(seg == 0, mag >> 1, (mag >> np.maximum(seg, 0)) & 0x0F)
    code = (seg << 4) | mant | np.where(pos, 0x80, 0)
    return ((code ^ 0x55) & 0xFF).astype(np.uint8)


def alaw_decode(codes):
    c = np.asarray(codes, dtype=np.uint8).astype(np.int32) ^ 0x55
    seg = (c >> 4) & 7
    mant = c & 0x0F
    mag = np.where(seg == 0, (mant << 4) + 8, ((mant << 4) + 0x108) << np.maximum(seg - 1, 0))
    return np.where(c & 0x80, mag, -mag).astype(np.int16)

