#!/usr/bin/env python3
"""INVITE and REGISTER flood from many loopback source addresses at once (tests/attack/flood_test.sh).

One UDP socket per source address (127.0.0.10 ... by default), all sending in turn as fast as
the process can (or at --rate packets a second in total), half INVITEs for sip:USER@DOMAIN from
an unknown caller, half REGISTERs of USER without credentials, each with a new branch and
Call-ID. Nothing is ever answered back (no ACK): it is a flood, not a client. Every answer is
read and counted: per status code, and the distinct requests (Call-IDs) that got any answer at
all, so that the requests the server dropped are `sent - answered` (a 401/407 retransmitted by
the server counts once). At the end one JSON object on stdout:

  {"sources": 50, "seconds": 20.0, "sent": N, "send_errors": N, "rate": N/s,
   "answered": N, "dropped": N, "responses": N, "status": {"407": N, ...}}

Python 3 standard library only. Only loopback addresses are accepted as target and sources.
"""
import argparse
import json
import os
import select
import socket
import sys
import time


def loopback(addr):
    if not addr.startswith("127."):
        raise SystemExit(f"{addr}: only loopback (127.0.0.0/8) addresses")
    return addr


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", required=True, help="warden's udp address, 127.0.0.1:PORT")
    ap.add_argument("--first-source", default="127.0.0.10", help="first source address (default 127.0.0.10)")
    ap.add_argument("--sources", type=int, default=50, help="how many source addresses, counting up (default 50)")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--rate", type=float, default=0, help="packets a second in total; 0: as fast as possible")
    ap.add_argument("--domain", default="flood.test")
    ap.add_argument("--user", default="bob", help="the user the INVITEs call and the REGISTERs claim")
    ap.add_argument("--drain", type=float, default=1.0, help="seconds to keep reading answers after the last send")
    args = ap.parse_args()

    host, port = args.target.rsplit(":", 1)
    target = (loopback(host), int(port))
    base = [int(x) for x in loopback(args.first_source).split(".")]
    first = (base[0] << 24) | (base[1] << 16) | (base[2] << 8) | base[3]
    socks = []
    for i in range(args.sources):
        a = first + i
        addr = loopback(f"{a >> 24 & 255}.{a >> 16 & 255}.{a >> 8 & 255}.{a & 255}")
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.bind((addr, 0))
        s.setblocking(False)
        socks.append((s, addr, s.getsockname()[1]))

    run = os.getpid()
    d, u = args.domain, args.user
    # Pre-split templates: only the counter changes from one request to the next.
    invite = ("INVITE sip:{u}@{d} SIP/2.0\r\nVia: SIP/2.0/UDP {a}:{p};branch=z9hG4bK-fl{r}-{n};rport\r\n"
              "Max-Forwards: 70\r\nFrom: <sip:flood{n}@flooder.test>;tag=fl{n}\r\nTo: <sip:{u}@{d}>\r\n"
              "Call-ID: fl{r}-{n}@{a}\r\nCSeq: 1 INVITE\r\nContact: <sip:flood@{a}:{p}>\r\n"
              "Content-Length: 0\r\n\r\n")
    register = ("REGISTER sip:{d} SIP/2.0\r\nVia: SIP/2.0/UDP {a}:{p};branch=z9hG4bK-fl{r}-{n};rport\r\n"
                "Max-Forwards: 70\r\nFrom: <sip:{u}@{d}>;tag=fl{n}\r\nTo: <sip:{u}@{d}>\r\n"
                "Call-ID: fl{r}-{n}@{a}\r\nCSeq: 1 REGISTER\r\nContact: <sip:{u}@{a}:{p}>\r\n"
                "Expires: 3600\r\nContent-Length: 0\r\n\r\n")

    sent = errors = responses = 0
    status = {}
    answered = set()
    fds = {s.fileno(): s for s, _, _ in socks}
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)

    def read_answers(timeout_ms=0):
        nonlocal responses
        for fd, _ in poller.poll(timeout_ms):
            s = fds[fd]
            while True:
                try:
                    data = s.recv(65535)
                except BlockingIOError:
                    break
                except OSError:
                    break
                responses += 1
                code = data[8:11].decode("latin-1", "replace")
                status[code] = status.get(code, 0) + 1
                i = data.find(b"\r\nCall-ID: ")
                if i >= 0:
                    j = data.find(b"\r\n", i + 11)
                    answered.add(data[i + 11:j])

    start = time.monotonic()
    end = start + args.seconds
    n = 0
    batch = 64
    while True:
        now = time.monotonic()
        if now >= end:
            break
        if args.rate > 0:
            due = int((now - start) * args.rate)
            if n >= due:
                read_answers(1)
                continue
        for _ in range(batch):
            s, a, p = socks[n % len(socks)]
            tpl = invite if n % 2 == 0 else register
            data = tpl.format(u=u, d=d, a=a, p=p, r=run, n=n).encode()
            n += 1
            try:
                s.sendto(data, target)
                sent += 1
            except (BlockingIOError, OSError):
                errors += 1
        read_answers(0)
    elapsed = time.monotonic() - start
    drain_end = time.monotonic() + args.drain
    while time.monotonic() < drain_end:
        read_answers(50)
    out = {
        "sources": len(socks),
        "first_source": socks[0][1],
        "seconds": round(elapsed, 2),
        "sent": sent,
        "send_errors": errors,
        "rate": round(sent / elapsed) if elapsed > 0 else 0,
        "answered": len(answered),
        "dropped": sent - len(answered),
        "responses": responses,
        "status": dict(sorted(status.items())),
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
