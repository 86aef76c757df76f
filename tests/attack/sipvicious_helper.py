#!/usr/bin/env python3
"""Helpers of sipvicious_test.sh (Python 3 standard library only, loopback only).

  run IP TOOL ARGS...      runs sipvicious' TOOL (svwar, svcrack, svmap) with every socket it
                           binds to "any" bound to IP instead, and with svcrack's nonce-count bug
                           fixed (see below). Its output and exit status are the tool's.
  probe SRC PORT [SECS]    one OPTIONS for the proxy itself (sip:127.0.0.1:PORT, no user) from
                           SRC, with a neutral User-Agent and a random From tag; prints the
                           status line of the first final answer, or "no answer".
  enum SRC PORT DOMAIN USER...
                           for each method (REGISTER, INVITE, OPTIONS) and each USER: one request
                           from SRC (fresh socket, Call-ID, tag); prints one JSON line per request
                           with the first final status line and the sorted header names of that
                           answer, so that the answers for existing and unknown users can be
                           compared.
  logfacts LOG IP START TOOL_ERR
                           what warden's text log (stderr at --log-level info) says about source
                           IP, as shell assignments: BAN_KINDS (security event kinds in order),
                           BAN_REASON, BAN_MS (from the tool's start to the first ban; empty when
                           none), FAIL_BEFORE / FAIL_TOTAL ("authentication failed" lines from IP
                           before the ban / in all), FAIL_TO_BAN_MS (first failure to the ban).
                           The start is the tool's own "scan started at" line in TOOL_ERR (after
                           its imports), else START (seconds since the epoch).

Why `run`: sipvicious 0.3.3 accepts `-b BINDINGIP` in svwar and svcrack but never passes it to the
scanner object (TakeASip / ASipOfRedWine are built without bindingip=), so both bind 0.0.0.0 and
every scan leaves from 127.0.0.1. The test needs each tool on its own address (a ban of one must
not hide the next, and the owner must not share the attacker's address). svmap honours -b.

svcrack's bug: against a challenge with qop="auth,auth-int" (warden's), svcrack sets the nonce
count only when qop is exactly "auth", while challengeResponse() splits the list, takes "auth" and
reads auth["noncecount"]: KeyError, "Unhandled exception", and svcrack stops before its first
guess. An attacker fixes that in one line; `run` does the same (a running nonce count), so that
the guessing really reaches warden's brute-force defence.
"""
import datetime
import itertools
import json
import os
import re
import runpy
import secrets
import shlex
import shutil
import socket
import sys
import time


def run_tool(ip, tool, args):
    bind = socket.socket.bind

    def bound(self, addr):
        if self.family == socket.AF_INET and addr[0] in ("", "0.0.0.0"):
            addr = (ip,) + tuple(addr[1:])
        return bind(self, addr)

    socket.socket.bind = bound
    exe = shutil.which(tool)
    if exe is None:
        sys.exit(f"{tool} is not installed")
    path = os.path.realpath(exe)          # /usr/share/sipvicious/sipvicious_<tool>
    sys.path.insert(0, os.path.dirname(path))
    import sipvicious.libs.svhelper as svhelper  # noqa: E402 (found through the path above)

    respond = svhelper.challengeResponse
    nc = itertools.count(1)

    def challenge_response(auth, method, uri):
        auth.setdefault("noncecount", next(nc))
        return respond(auth, method, uri)

    svhelper.challengeResponse = challenge_response
    sys.argv = [path] + args
    runpy.run_path(path, run_name="__main__")


def request(method, ruri, user, domain, src, port, ua="warden-attack-test"):
    tag = secrets.token_hex(6)
    callid = secrets.token_hex(10)
    branch = "z9hG4bK" + secrets.token_hex(8)
    frm = f"<sip:{user}@{domain}>" if method == "REGISTER" else f"<sip:probe@{domain}>"
    to = f"<sip:{user}@{domain}>" if user else f"<{ruri}>"
    body = ""
    extra = ""
    if method == "INVITE":
        body = (f"v=0\r\no=probe 1 1 IN IP4 {src}\r\ns=-\r\nc=IN IP4 {src}\r\nt=0 0\r\n"
                "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
        extra = "Content-Type: application/sdp\r\n"
    if method == "REGISTER":
        extra += f"Contact: <sip:{user}@{src}:40000>\r\nExpires: 60\r\n"
    elif method == "INVITE":
        extra += f"Contact: <sip:probe@{src}:40000>\r\n"
    return (f"{method} {ruri} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {src}:{port};branch={branch};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: {frm};tag={tag}\r\n"
            f"To: {to}\r\n"
            f"Call-ID: {callid}\r\n"
            f"CSeq: 1 {method}\r\n"
            f"User-Agent: {ua}\r\n"
            f"{extra}"
            f"Content-Length: {len(body)}\r\n\r\n{body}").encode()


def first_final(sock, secs):
    """The first final answer (bytes decoded) within secs, or None."""
    deadline = time.monotonic() + secs
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            data, _ = sock.recvfrom(65535)
        except (socket.timeout, ConnectionRefusedError):
            return None
        text = data.decode("utf-8", "replace")
        m = re.match(r"SIP/2\.0 (\d{3}) ", text)
        if m and int(m.group(1)) >= 200:
            return text


def probe(src, port, secs):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    ruri = f"sip:127.0.0.1:{port}"
    s.sendto(request("OPTIONS", ruri, "", "127.0.0.1", src, s.getsockname()[1]), ("127.0.0.1", port))
    answer = first_final(s, secs)
    print(answer.split("\r\n", 1)[0] if answer else "no answer")


def enum(src, port, domain, users):
    for method in ("REGISTER", "INVITE", "OPTIONS"):
        for user in users:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((src, 0))
            ruri = f"sip:{domain}" if method == "REGISTER" else f"sip:{user}@{domain}"
            s.sendto(request(method, ruri, user, domain, src, s.getsockname()[1]), ("127.0.0.1", port))
            answer = first_final(s, 3)
            s.close()
            if answer is None:
                print(json.dumps({"method": method, "user": user, "status": "no answer", "headers": []}))
                continue
            head = answer.split("\r\n\r\n", 1)[0].split("\r\n")
            names = sorted({h.split(":", 1)[0].strip().lower() for h in head[1:] if ":" in h})
            print(json.dumps({"method": method, "user": user, "status": head[0], "headers": names}))


def parse_ts(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def logfacts(path, ip, start, tool_err):
    m = None
    if os.path.exists(tool_err):
        m = re.search(r"scan started at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)", open(tool_err).read())
    if m:  # the tool's local time
        start = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
    kinds, ban_at, reason, first_fail = [], None, "", None
    failures_before, failures = 0, 0
    src = re.compile(r"\b(source|from)=" + re.escape(ip) + r"(:\d+)?(\s|$)")
    for line in open(path, encoding="utf-8", errors="replace"):
        if not src.search(line):
            continue
        ts = parse_ts(line.split(" ", 1)[0])
        if '"authentication failed"' in line:
            failures += 1
            first_fail = ts if first_fail is None else first_fail
            if ban_at is None:
                failures_before += 1
        k = re.search(r'"security event" kind=(\S+)', line)
        if k:
            kinds.append(k.group(1))
            if k.group(1) == "banned" and ban_at is None:
                r = re.search(r'reason="(.*)"\s*$', line)
                ban_at, reason = ts, (r.group(1).replace('\\"', '"') if r else "")
    ms = lambda a, b: str(max(0, round((b - a) * 1000))) if a is not None and b is not None else ""
    out = {"BAN_KINDS": " ".join(kinds), "BAN_REASON": reason, "BAN_MS": ms(start, ban_at),
           "FAIL_BEFORE": str(failures_before), "FAIL_TOTAL": str(failures),
           "FAIL_TO_BAN_MS": ms(first_fail, ban_at)}
    for k, v in out.items():
        print(f"{k}={shlex.quote(v)}")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "run":
        run_tool(args[0], args[1], args[2:])
    elif cmd == "probe":
        probe(args[0], int(args[1]), float(args[2]) if len(args) > 2 else 2.0)
    elif cmd == "enum":
        enum(args[0], int(args[1]), args[2], args[3:])
    elif cmd == "logfacts":
        logfacts(args[0], args[1], float(args[2]), args[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
