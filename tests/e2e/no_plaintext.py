#!/usr/bin/python3
"""Proves that no plaintext speech crossed the wire during a call: reads a capture (pcap or
pcapng, e.g. `tshark -i lo -f udp -w FILE`) and the speech the caller played.

    no_plaintext.py PCAP REFERENCE.wav [--ports P,Q,...] [--window 12] [--min-level DBFS]
                    [--min-rtp-packets N] [--json]

Three searches, on every UDP datagram of the capture (only those to or from --ports when given):
  1. exact bytes: the reference, at 8 kHz, is encoded to G.711 mu-law (the ITU/warden form, Sun's
     14-bit form, and sox's when sox is there) and A-law (the standard form and sox's); every
     12-byte window (--window) of those codes whose samples are not silent (RMS over --min-level,
     default -45 dBFS, and at least 4 distinct codes) is looked for at every offset of every
     payload. One window found is a hit.
  2. decoded speech: per flow of RTP-looking datagrams (version 2, not RTCP), the payloads after
     the RTP header (CSRCs and header extension skipped: SRTP leaves them clear) are joined in
     sequence-number order and decoded as mu-law and as A-law; a normalised cross-correlation
     with the reference (audio_match.py) of 0.5 or more is a hit (plaintext G.711 that differs
     from the exact encodings, e.g. resampled by the phone, still correlates at 0.9; ciphertext
     stays under 0.1).
  3. randomness: SRTP payloads are indistinguishable from random bytes, plaintext of any codec is
     not. Per RTP flow with 4,096 payload bytes or more, the chi-square of the byte histogram
     (255 degrees of freedom: mean 255, sd 22.6) over 500 marks the flow plaintext-looking, and so
     does a first payload byte that stays the same in 90 % of 50 or more packets (an Opus TOC).
tshark, when installed (and not --no-tshark), decodes the RTP-looking ports as RTP (`-d udp.port==P,rtp`) and the
payload types it sees are reported next to the script's own count.

Prints `no_plaintext: ...` summary lines and one line per flow. Exit 0: nothing found; 1: a hit
(plaintext on the wire); 2: unusable input (capture or WAV unreadable, bad option); 3: the capture
holds fewer RTP-looking packets than --min-rtp-packets (default 0), so it proves nothing.
Limits: 1 GiB of capture, 2,000,000 packets, 256 KiB per packet, 64 MiB of UDP payload searched.
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
from collections import Counter, defaultdict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audio_match  # noqa: E402
import g711  # noqa: E402

MAX_FILE = 1 << 30
MAX_PACKETS = 2_000_000
MAX_PACKET = 256 << 10
MAX_SEARCH = 64 << 20


class BadCapture(Exception):
    pass


# --- capture files -----------------------------------------------------------------------------

def _packets_pcap(data):
    """(linktype, frame bytes) of a classic pcap file (either byte order, us or ns stamps)."""
    if len(data) < 24:
        raise BadCapture("pcap header truncated")
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise BadCapture("not a pcap file")
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
        if incl > MAX_PACKET:
            raise BadCapture(f"packet of {incl} bytes at offset {off}")
        if off + 16 + incl > len(data):
            break  # a capture cut short: keep what is whole
        yield linktype, data[off + 16:off + 16 + incl]
        off += 16 + incl


def _packets_pcapng(data):
    """(linktype, frame bytes) of a pcapng file: EPB, SPB and obsolete PB blocks."""
    off = 0
    e = "<"
    links = []
    while off + 12 <= len(data):
        btype = struct.unpack(e + "I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:  # section header: its byte-order magic decides the endianness
            bom = data[off + 8:off + 12]
            e = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">" if bom == b"\x1a\x2b\x3c\x4d" else None
            if e is None:
                raise BadCapture("pcapng section header with a bad byte-order magic")
            links = []
        blen = struct.unpack(e + "I", data[off + 4:off + 8])[0]
        if blen < 12 or blen % 4 or blen > MAX_PACKET + 64:
            raise BadCapture(f"pcapng block of length {blen} at offset {off}")
        if off + blen > len(data):
            if off == 0:
                raise BadCapture("pcapng section header truncated")
            break  # a capture cut short: keep what is whole
        body = data[off + 8:off + blen - 4]
        if btype == 1 and len(body) >= 2:  # interface description
            links.append(struct.unpack(e + "H", body[:2])[0])
        elif btype == 6 and len(body) >= 20:  # enhanced packet
            iface, _, _, cap = struct.unpack(e + "IIII", body[:16])
            if iface < len(links) and cap <= len(body) - 20:
                yield links[iface], body[20:20 + cap]
        elif btype == 3 and len(body) >= 4 and links:  # simple packet
            yield links[0], body[4:]
        elif btype == 2 and len(body) >= 20:  # obsolete packet block
            iface = struct.unpack(e + "H", body[:2])[0]
            cap = struct.unpack(e + "I", body[12:16])[0]
            if iface < len(links) and cap <= len(body) - 20:
                yield links[iface], body[20:20 + cap]
        off += blen


def _ip_payload(linktype, frame):
    """The IP packet inside a frame, or None."""
    if linktype == 1:  # Ethernet (Linux lo), VLAN tags skipped
        off = 12
        while off + 2 <= len(frame):
            et = struct.unpack(">H", frame[off:off + 2])[0]
            if et in (0x8100, 0x88A8):
                off += 4
                continue
            return frame[off + 2:] if et in (0x0800, 0x86DD) else None
        return None
    if linktype == 113:  # Linux cooked v1
        return frame[16:] if len(frame) >= 16 and frame[14:16] in (b"\x08\x00", b"\x86\xdd") else None
    if linktype == 276:  # Linux cooked v2
        return frame[20:] if len(frame) >= 20 and frame[0:2] in (b"\x08\x00", b"\x86\xdd") else None
    if linktype == 0:  # BSD loopback
        return frame[4:]
    if linktype in (101, 12, 228, 229):  # raw IP
        return frame
    return None


def udp_datagrams(path):
    """[(src, sport, dst, dport, payload)] of every UDP datagram in the capture file, in order.
    Raises BadCapture."""
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE:
            raise BadCapture(f"larger than {MAX_FILE >> 20} MiB")
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise BadCapture(e.strerror) from e
    return udp_datagrams_in(data)


def udp_datagrams_in(data):
    """udp_datagrams() of a capture in memory. A capture cut short gives the packets that are
    whole; a file that is not a capture, or whose first block is broken, raises BadCapture."""
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        if len(data) < 28:
            raise BadCapture("pcapng section header truncated")
        packets = _packets_pcapng(data)
    else:
        packets = _packets_pcap(data)
    out = []
    count = 0
    for linktype, frame in packets:
        count += 1
        if count > MAX_PACKETS:
            raise BadCapture(f"more than {MAX_PACKETS} packets")
        ip = _ip_payload(linktype, frame)
        if not ip:
            continue
        v = ip[0] >> 4
        if v == 4 and len(ip) >= 20:
            ihl = (ip[0] & 0x0F) * 4
            total = struct.unpack(">H", ip[2:4])[0]
            frag = struct.unpack(">H", ip[6:8])[0]
            if ip[9] != 17 or ihl < 20 or (frag & 0x1FFF):
                continue  # not UDP, or a later fragment
            ip = ip[:total] if total >= ihl else ip
            src, dst, l4 = ".".join(map(str, ip[12:16])), ".".join(map(str, ip[16:20])), ip[ihl:]
        elif v == 6 and len(ip) >= 40:
            if ip[6] != 17:
                continue  # extension headers are not followed: loopback RTP carries none
            src = ":".join(ip[8 + i:10 + i].hex() for i in range(0, 16, 2))
            dst = ":".join(ip[24 + i:26 + i].hex() for i in range(0, 16, 2))
            l4 = ip[40:]
        else:
            continue
        if len(l4) < 8:
            continue
        sport, dport, ulen = struct.unpack(">HHH", l4[:6])
        payload = l4[8:ulen] if 8 <= ulen <= len(l4) else l4[8:]
        out.append((src, sport, dst, dport, bytes(payload)))
    return out


# --- what plaintext would look like ------------------------------------------------------------

def sox_codes(pcm, encoding):
    """sox's G.711 bytes for 8 kHz 16-bit samples, or None without sox."""
    if not shutil.which("sox"):
        return None
    p = subprocess.run(["sox", "-V1", "-D", "-t", "raw", "-r", "8000", "-e", "signed-integer", "-b", "16",
                        "-c", "1", "-", "-t", "raw", "-e", encoding, "-"],
                       input=pcm.astype("<i2").tobytes(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    return np.frombuffer(p.stdout, np.uint8) if p.returncode == 0 else None


def plaintext_windows(pcm, window, min_level_dbfs):
    """{window bytes: encoding name} for every non-silent window of every G.711 encoding of pcm."""
    encodings = [("ulaw", g711.ulaw_encode(pcm)), ("ulaw14", g711.ulaw_encode14(pcm)),
                 ("alaw", g711.alaw_encode(pcm))]
    for name, enc in (("ulaw-sox", "u-law"), ("alaw-sox", "a-law")):
        codes = sox_codes(pcm, enc)
        if codes is not None and len(codes) == len(pcm):
            encodings.append((name, codes))
    x = pcm.astype(np.float64) / 32768
    n = len(x) - window + 1
    if n <= 0:
        return {}, [e[0] for e in encodings]
    c = np.concatenate(([0.0], np.cumsum(x * x)))
    rms = np.sqrt((c[window:] - c[:-window]) / window)
    loud = rms > 10 ** (min_level_dbfs / 20)
    windows = {}
    for name, codes in encodings:
        b = codes.tobytes()
        for i in np.nonzero(loud)[0]:
            w = b[i:i + window]
            if len(set(w)) >= 4 and w not in windows:
                windows[w] = name
    return windows, [e[0] for e in encodings]


def rtp_split(p):
    """(payload type, sequence number, first payload byte offset) of an RTP packet, or None for
    anything else (RTCP, STUN, DTLS, SIP)."""
    if len(p) < 12 or p[0] >> 6 != 2:
        return None
    pt = p[1] & 0x7F
    if 72 <= pt <= 76:  # RTCP SR/RR/SDES/BYE/APP (RFC 5761)
        return None
    off = 12 + 4 * (p[0] & 0x0F)
    if p[0] & 0x10:
        if off + 4 > len(p):
            return None
        off += 4 + 4 * struct.unpack(">H", p[off + 2:off + 4])[0]
    if off >= len(p):
        return None
    return pt, struct.unpack(">H", p[2:4])[0], off


def tshark_payload_types(path, ports):
    """{pt: count} as tshark decodes the ports as RTP, or None without tshark."""
    if not shutil.which("tshark") or not ports:
        return None
    cmd = ["tshark", "-r", path, "-n"]
    for port in sorted(ports)[:32]:
        cmd += ["-d", f"udp.port=={port},rtp"]
    cmd += ["-Y", "rtp", "-T", "fields", "-e", "rtp.p_type"]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    except subprocess.TimeoutExpired:
        return None
    counts = Counter()
    for line in p.stdout.decode(errors="replace").split():
        for v in line.split(","):
            if v.isdigit():
                counts[int(v)] += 1
    return {str(k): v for k, v in sorted(counts.items())}


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("pcap")
    ap.add_argument("reference")
    ap.add_argument("--ports", default="", help="only datagrams to or from these UDP ports (comma-separated)")
    ap.add_argument("--window", type=int, default=12)
    ap.add_argument("--min-level", type=float, default=-45.0, help="dBFS a window's samples must exceed")
    ap.add_argument("--min-rtp-packets", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--no-tshark", action="store_true", help="do not ask tshark for the payload types")
    try:
        a = ap.parse_args(argv)
        ports = {int(p) for p in a.ports.split(",") if p.strip()}
    except SystemExit as e:
        return 2 if e.code else 0
    except ValueError:
        print("no_plaintext: --ports takes numbers", file=sys.stderr)
        return 2
    if not 4 <= a.window <= 160:
        print("no_plaintext: --window must be 4..160", file=sys.stderr)
        return 2
    try:
        grams = udp_datagrams(a.pcap)
    except BadCapture as e:
        print(f"no_plaintext: bad capture {a.pcap}: {e}", file=sys.stderr)
        return 2
    try:
        ref = audio_match.load(a.reference, 8000)
    except audio_match.BadInput as e:
        print(f"no_plaintext: bad reference: {e}", file=sys.stderr)
        return 2
    pcm = np.clip(np.round(ref * 32768), -32768, 32767).astype(np.int16)
    if audio_match.dbfs(ref) < -70:
        print("no_plaintext: bad reference: it is silent", file=sys.stderr)
        return 2
    if ports:
        grams = [g for g in grams if g[1] in ports or g[3] in ports]
    windows, encodings = plaintext_windows(pcm, a.window, a.min_level)

    # 1. exact windows anywhere in any payload
    hits = Counter()
    first_hits = []
    searched = 0
    for src, sport, dst, dport, p in grams:
        if searched >= MAX_SEARCH:
            break
        searched += len(p)
        w = a.window
        for i in range(0, len(p) - w + 1):
            name = windows.get(p[i:i + w])
            if name:
                hits[name] += 1
                if len(first_hits) < 5:
                    first_hits.append(f"{src}:{sport}->{dst}:{dport} offset {i} ({name})")

    # 2 and 3. per RTP-looking flow
    flows = defaultdict(list)
    other = Counter()
    for src, sport, dst, dport, p in grams:
        r = rtp_split(p)
        if r:
            flows[(src, sport, dst, dport)].append((r[1], r[0], p[r[2]:]))
        elif len(p) and 20 <= p[0] <= 63:
            other["dtls"] += 1
        elif len(p) >= 8 and p[0] >> 6 == 2:
            other["rtcp"] += 1
        elif len(p) >= 20 and p[0] < 2:
            other["stun"] += 1
        else:
            other["other"] += 1
    ref_speech, _ = audio_match.trim_silence(ref)
    flow_report = []
    plaintext_flows = 0
    rtp_packets = 0
    for key, pkts in sorted(flows.items()):
        rtp_packets += len(pkts)
        if len(pkts) < 5:
            continue
        # sequence order, with wrap-around: unwrap against the first packet
        base = pkts[0][0]
        pkts = sorted(pkts, key=lambda t: (t[0] - base) & 0xFFFF)
        body = b"".join(t[2] for t in pkts)
        arr = np.frombuffer(body, np.uint8)
        pts = Counter(t[1] for t in pkts)
        chi2 = None
        if len(arr) >= 4096:
            expected = len(arr) / 256
            chi2 = float(np.sum((np.bincount(arr, minlength=256) - expected) ** 2 / expected))
        first = Counter(t[2][0] for t in pkts)
        toc_share = first.most_common(1)[0][1] / len(pkts)
        corr = 0.0
        if len(ref_speech) and len(arr) >= 800:
            for dec in (g711.ulaw_decode, g711.alaw_decode):
                x = dec(arr[:MAX_SEARCH]).astype(np.float64) / 32768
                if len(x) < len(ref_speech) // 4:
                    continue
                _, c, _ = audio_match.normalised_xcorr(ref_speech, x - x.mean(), -len(ref_speech) + 1, len(x), 0.25)
                corr = max(corr, float(np.max(np.abs(c))) if len(c) else 0.0)
        reasons = []
        if chi2 is not None and chi2 > 500:
            reasons.append(f"byte histogram not random (chi2 {chi2:.0f})")
        if len(pkts) >= 50 and toc_share >= 0.9:
            reasons.append(f"first payload byte 0x{first.most_common(1)[0][0]:02x} in {toc_share:.0%} of packets")
        if corr >= 0.5:
            reasons.append(f"decodes as G.711 to the reference speech (corr {corr:.2f})")
        if reasons:
            plaintext_flows += 1
        flow_report.append({"flow": f"{key[0]}:{key[1]}->{key[2]}:{key[3]}", "packets": len(pkts),
                            "payload_types": dict(pts), "payload_bytes": len(arr),
                            "chi2": None if chi2 is None else round(chi2), "first_byte_share": round(toc_share, 2),
                            "g711_corr": round(corr, 3), "plaintext": reasons})

    rtp_ports = {k[1] for k in flows} | {k[3] for k in flows}
    tshark_pts = None if a.no_tshark else tshark_payload_types(a.pcap, rtp_ports)
    result = {"udp_datagrams": len(grams), "rtp_packets": rtp_packets, "rtp_flows": len(flows),
              "other": dict(other), "windows": len(windows), "encodings": encodings,
              "bytes_searched": searched, "hits": sum(hits.values()), "hits_by_encoding": dict(hits),
              "first_hits": first_hits, "plaintext_flows": plaintext_flows,
              "tshark_payload_types": tshark_pts, "flows": flow_report}
    if a.json:
        print(json.dumps(result))
    else:
        print(f"no_plaintext: udp_datagrams={len(grams)} rtp_packets={rtp_packets} rtp_flows={len(flows)} "
              f"other={dict(other)} windows={len(windows)} bytes_searched={searched} "
              f"hits={sum(hits.values())} {dict(hits)} plaintext_flows={plaintext_flows} "
              f"tshark_payload_types={tshark_pts}")
        for h in first_hits:
            print(f"no_plaintext: hit {h}")
        for f in flow_report:
            print(f"no_plaintext: flow {f['flow']} packets={f['packets']} pt={f['payload_types']} "
                  f"bytes={f['payload_bytes']} chi2={f['chi2']} first_byte_share={f['first_byte_share']} "
                  f"g711_corr={f['g711_corr']} " + ("PLAINTEXT: " + "; ".join(f["plaintext"]) if f["plaintext"] else "random-looking"))
    if hits or plaintext_flows:
        print("no_plaintext: PLAINTEXT ON THE WIRE", file=sys.stderr)
        return 1
    if rtp_packets < a.min_rtp_packets:
        print(f"no_plaintext: only {rtp_packets} RTP-looking packets captured (--min-rtp-packets {a.min_rtp_packets}):"
              " the capture proves nothing", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
