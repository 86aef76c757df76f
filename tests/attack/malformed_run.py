#!/usr/bin/env python3
"""Sends the cases of malformed_gen.py to a SIP server on loopback and judges what comes back.

One transport per run (--transport udp|tcp). Every case goes out on its own socket, bound to
one of several loopback source addresses (--sources) so that a per-source rate limit or ban
does not turn a parsing test into a flood test: a new UDP socket per case, or a new TCP
connection per case that is half-closed once the case is written. Cases run side by side
(--window), paced (--rate per second).

For each case it records what came back: SIP responses (status codes), or nothing: "dropped"
(UDP: no answer; TCP with --tcp-close hold: no answer, and the server closed the connection only
after our half-close), "closed" or "reset" (TCP: the server closed the connection on us without
an answer), "silent" (TCP: still open, no answer), or "skipped" (too big for one UDP datagram). Each
response must be a well-formed SIP response (status line, header lines, Via, From, To, Call-ID
and CSeq, a Content-Length equal to the body, no control characters) that copies the request's
top Via branch, Call-ID and CSeq when the case left those well-formed (RFC 3261 §8.2.6.2), and
all responses to one case together may not exceed 3 times the request's size (amplification).

After each family it checks that the server still answers OPTIONS with 200 over UDP and TCP
(from 127.0.0.1, which sends nothing malformed) and, given --pid, that the process is alive.

Exit status: 0 when nothing failed, 1 when a check failed (FAIL: lines on stderr), 2 on usage
errors. Deviations from the status codes RFC 3261 asks for are printed as DEVIATION: lines and
counted in the summary; they fail the run only with --strict.
"""

import argparse
import collections
import errno
import json
import os
import re
import selectors
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import malformed_gen  # noqa: E402

AMPLIFICATION = 3.0
TCP_CLOSE_OK = {"content_length", "overflow", "garbage"}  # framing may be lost: a close is an answer

STATUS_RE = re.compile(rb"SIP/2\.0 ([1-6][0-9][0-9]) ([^\x00-\x08\x0a-\x1f\x7f]*)\Z")
NAME_RE = re.compile(rb"[A-Za-z0-9!%*+\-.`'_~]+\Z")
BRANCH_RE = re.compile(rb";\s*branch\s*=\s*([^;,\s]+)", re.I)
TAG_RE = re.compile(rb";\s*tag\s*=\s*[^;,\s]+", re.I)
COMPACT = {b"v": b"via", b"f": b"from", b"t": b"to", b"i": b"call-id", b"l": b"content-length",
           b"c": b"content-type", b"m": b"contact"}


def parse_head(head):
    """Start line and header fields (name lowercased, compact forms expanded) of a header section,
    or a list of problems."""
    lines = head.split(b"\r\n")
    problems = []
    m = STATUS_RE.match(lines[0])
    if not m:
        return None, None, ["bad status line %r" % lines[0][:80]]
    fields = []
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1][1] += b" " + line.strip()
            continue
        name, sep, value = line.partition(b":")
        name = name.rstrip(b" \t")
        if not sep or not NAME_RE.match(name):
            problems.append("bad header line %r" % line[:80])
            continue
        bad = control_outside_quoted_pair(value)
        if bad is not None:
            problems.append("control character 0x%02x in header %s: %r" % (bad, name[:40].decode("latin-1"),
                                                                             value[:60]))
        low = name.lower()
        fields.append([COMPACT.get(low, low), value.strip()])
    return int(m.group(1)), fields, problems


def control_outside_quoted_pair(value):
    """The first control character (other than HT) of a header value that is not escaped by a
    quoted-pair inside a quoted string (RFC 3261 §25.1: quoted-pair = "\\" (%x00-09 / %x0B-0C /
    %x0E-7F)), or None."""
    quoted = escaped = False
    for ch in value:
        if escaped:
            escaped = False
            if ch in (0x0a, 0x0d):
                return ch
            continue
        if quoted and ch == 0x5c:
            escaped = True
        elif ch == 0x22:
            quoted = not quoted
        elif (ch < 0x20 and ch != 0x09) or ch == 0x7f:
            return ch
    return None


def first(fields, name):
    for n, v in fields:
        if n == name:
            return v
    return None


def split_stream(buf):
    """(messages, rest, pongs, error): complete messages at the front of a TCP stream."""
    msgs, pongs = [], 0
    while True:
        while buf.startswith(b"\r\n"):
            buf = buf[2:]
            pongs += 1
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return msgs, buf, pongs, None
        head = buf[:end]
        cl = re.search(rb"\r\n(?:content-length|l)[ \t]*:[ \t]*([0-9]+)[ \t]*(?=\r\n|\Z)", head + b"\r\n", re.I)
        if not cl:
            return msgs, buf, pongs, "a response without Content-Length on a stream: %r" % head[:80]
        total = end + 4 + int(cl.group(1))
        if len(buf) < total:
            return msgs, buf, pongs, None
        msgs.append(buf[:total])
        buf = buf[total:]


def check_response(raw, case):
    """Problems of one response to `case` (an empty list when it is well-formed)."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        return None, ["no end of header section in %r" % raw[:80]]
    status, fields, problems = parse_head(raw[:end])
    if status is None:
        return None, problems
    body = raw[end + 4:]
    for h in (b"via", b"from", b"to", b"call-id", b"cseq"):
        if first(fields, h) is None:
            problems.append("no %s header" % h.decode())
    cl = first(fields, b"content-length")
    if cl is None:
        problems.append("no Content-Length")
    elif not cl.isdigit() or int(cl) != len(body):
        problems.append("Content-Length %r but a body of %d bytes" % (cl[:20], len(body)))
    cseq = first(fields, b"cseq")
    if cseq is not None and not re.match(rb"[0-9]+[ \t]+[A-Za-z0-9!%*+\-.`'_~]+\Z", cseq):
        problems.append("bad CSeq %r" % cseq[:40])
    via = first(fields, b"via")
    if case.via is not None and via is not None:
        b = BRANCH_RE.search(via)
        if not b or b.group(1) != case.via:
            problems.append("top Via branch %r, request's %r" % (b.group(1)[:40] if b else None, case.via[:40]))
    if case.call_id is not None:
        got = first(fields, b"call-id")
        if got is not None and got != case.call_id:
            problems.append("Call-ID %r, request's %r" % (got[:40], case.call_id[:40]))
    if case.cseq is not None and cseq is not None and cseq.split() != case.cseq.split():
        problems.append("CSeq %r, request's %r" % (cseq[:40], case.cseq[:40]))
    to = first(fields, b"to")
    if status > 100 and case.answerable and to is not None and not TAG_RE.search(to):
        problems.append("%d without a To tag" % status)
    return status, problems


class Job:
    __slots__ = ("case", "sock", "src", "start", "deadline", "out", "sent", "inbuf", "msgs", "bytes_in",
                 "outcome", "closed_after", "pongs", "error", "final_at", "connected", "shut", "hold_until")

    def __init__(self, case, src, now):
        self.case, self.src, self.start = case, src, now
        self.sock = None
        self.deadline = now
        self.out = case.data
        self.sent = 0
        self.inbuf = b""
        self.msgs = []
        self.bytes_in = 0
        self.outcome = None
        self.closed_after = False
        self.pongs = 0
        self.error = None
        self.final_at = None
        self.connected = False
        self.shut = False
        self.hold_until = None


class Runner:
    def __init__(self, a):
        self.a = a
        self.target = (a.host, a.port)
        self.sel = selectors.DefaultSelector()
        self.sources = a.sources
        self.failures = []
        self.deviations = []
        self.results = []
        self.lost = []

    def fail(self, msg):
        self.failures.append(msg)
        print("FAIL: " + msg, file=sys.stderr, flush=True)

    # ---- one case ----------------------------------------------------------------------------

    def start(self, case, src, now):
        j = Job(case, src, now)
        a = self.a
        if a.transport == "udp":
            if not case.udp:
                j.outcome = "skipped"
                return j
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setblocking(False)
            s.bind((src, 0))
            j.sock = s
            try:
                s.sendto(case.data, self.target)
                j.sent = len(case.data)
            except OSError as e:
                s.close()
                j.sock = None
                j.outcome = "skipped" if e.errno == errno.EMSGSIZE else "send-error"
                j.error = str(e)
                return j
            j.deadline = now + a.udp_wait
            self.sel.register(s, selectors.EVENT_READ, j)
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((src, 0))
            j.sock = s
            rc = s.connect_ex(self.target)
            if rc not in (0, errno.EINPROGRESS):
                s.close()
                j.sock = None
                j.outcome = "connect-error"
                j.error = os.strerror(rc)
                return j
            j.deadline = now + a.tcp_wait + len(case.data) / 20e6
            self.sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, j)
        return j

    def on_event(self, j, mask, now):
        s = j.sock
        if self.a.transport == "udp":
            while True:
                try:
                    d = s.recv(70000)
                except BlockingIOError:
                    break
                except OSError as e:  # ICMP errors surface here
                    j.error = str(e)
                    break
                j.bytes_in += len(d)
                j.msgs.append(d)
                if d[:8] == b"SIP/2.0 " and d[8:9] in b"23456":
                    j.final_at = j.final_at or now
                    j.deadline = min(j.deadline, now + self.a.grace)
            return
        if mask & selectors.EVENT_WRITE:
            if not j.connected:
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    self.finish_tcp(j, "connect-error", os.strerror(err))
                    return
                j.connected = True
            try:
                while j.sent < len(j.out):
                    n = s.send(j.out[j.sent:j.sent + 262144])
                    j.sent += n
            except BlockingIOError:
                pass
            except OSError as e:  # the server closed on us while we were writing
                j.error = "send: " + (e.strerror or str(e))
                self.sel.modify(s, selectors.EVENT_READ, j)
                j.deadline = min(j.deadline, now + self.a.grace)
                return
            if j.sent >= len(j.out):
                self.sel.modify(s, selectors.EVENT_READ, j)
                if self.a.tcp_close == "half":
                    self.half_close(j, now)
                else:
                    j.hold_until = now + self.a.tcp_hold
        if mask & selectors.EVENT_READ:
            try:
                d = s.recv(262144)
            except BlockingIOError:
                return
            except OSError as e:
                self.finish_tcp(j, "reset", str(e))
                return
            if not d:
                self.finish_tcp(j, "closed", None)
                return
            j.bytes_in += len(d)
            j.inbuf += d
            msgs, j.inbuf, pongs, err = split_stream(j.inbuf)
            j.pongs += pongs
            j.msgs.extend(msgs)
            if err:
                self.fail("%s over tcp: %s" % (j.case.id, err))
                self.finish_tcp(j, "bad-framing", err)
                return
            if any(m[8:9] in b"23456" for m in msgs) and j.sent >= len(j.out):
                j.final_at = j.final_at or now
                j.deadline = min(j.deadline, now + self.a.grace)

    def half_close(self, j, now):
        """No more bytes from us (shutdown SHUT_WR); the server may still answer, then close."""
        j.shut = True
        try:
            j.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        if j.final_at is None:
            j.deadline = max(j.deadline, now + self.a.tcp_wait)

    def finish_tcp(self, j, how, err):
        if j.sock is not None:
            self.sel.unregister(j.sock)
            j.sock.close()
            j.sock = None
        j.closed_after = how in ("closed", "reset")
        if how == "closed" and j.shut and self.a.tcp_close == "hold":
            how = "dropped"  # ignored: the server closed only after our half-close
        if err and not j.error:
            j.error = err
        j.outcome = how if not j.msgs else "answered"

    def expire(self, j):
        if j.sock is not None:
            self.sel.unregister(j.sock)
            j.sock.close()
            j.sock = None
        if j.msgs:
            j.outcome = "answered"
        elif self.a.transport == "udp":
            j.outcome = "dropped"
        else:
            j.outcome = "silent" if j.sent >= len(j.case.data) else "stalled"
        if self.a.transport == "tcp" and j.inbuf:
            self.fail("%s over tcp: %d bytes of an incomplete response: %r" % (j.case.id, len(j.inbuf), j.inbuf[:80]))

    # ---- judging -----------------------------------------------------------------------------

    def judge(self, j):
        c, t = j.case, self.a.label
        codes = []
        seen = set()
        for raw in j.msgs:
            if t == "udp" and raw.strip(b"\r\n") == b"":
                j.pongs += 1
                continue
            status, problems = check_response(raw, c)
            if status is not None:
                codes.append(status)
            for p in problems:
                if p not in seen:
                    seen.add(p)
                    self.fail("%s over %s (%s): malformed answer (%d bytes, status %s): %s" %
                              (c.id, t, c.desc[:60], len(raw), status, p))
        if j.bytes_in > AMPLIFICATION * max(len(c.data), 1):
            self.fail("%s over %s (%s): %d bytes of answers to a %d-byte request (over %.0fx)" %
                      (c.id, t, c.desc, j.bytes_in, len(c.data), AMPLIFICATION))
        finals = [s for s in codes if s >= 200]
        dev = None
        if j.outcome == "answered" and not finals and t == "tcp-half" and 100 in codes:
            self.lost.append(c)  # the 100 went out, the final was queued behind it when we half-closed
        elif j.outcome == "answered" and not finals:
            dev = "only a provisional answer (%s)" % codes
        elif any(s < 400 for s in finals) and c.expect in ("400", "505", "416", "reject"):
            dev = "answered %s, expected %s" % (finals, c.expect)
        elif c.expect in ("400", "505", "416"):
            closed_ok = t.startswith("tcp") and c.family in TCP_CLOSE_OK and j.outcome in ("closed", "reset")
            if finals and str(finals[0]) != c.expect:
                dev = "answered %s, expected %s" % (finals, c.expect)
            elif not finals and c.answerable and not closed_ok and j.outcome != "skipped":
                dev = "%s, expected %s" % (j.outcome, c.expect)
        if dev:
            self.deviations.append((c, dev))
            if self.a.verbose or self.a.strict:
                print("DEVIATION: %s over %s (%s): %s" % (c.id, t, c.desc, dev), file=sys.stderr)
        r = {"id": c.id, "family": c.family, "transport": t, "len": len(c.data), "outcome": j.outcome,
             "codes": codes, "bytes_in": j.bytes_in, "pongs": j.pongs, "closed_after": j.closed_after,
             "error": j.error, "deviation": dev, "expect": c.expect, "desc": c.desc,
             "ms": round(((j.final_at or time.monotonic()) - j.start) * 1000, 1)}
        self.results.append(r)
        return r

    # ---- health --------------------------------------------------------------------------------

    def options(self, transport, n):
        """One OPTIONS to the server itself; returns the status or an error text."""
        t = transport.upper()
        cid = "health-%s-%s-%d" % (self.a.tag, transport, n)
        req = ("OPTIONS sip:%s SIP/2.0\r\nVia: SIP/2.0/%s 127.0.0.1:5060;branch=z9hG4bK-%s;rport\r\n"
               "Max-Forwards: 70\r\nFrom: <sip:health@%s>;tag=h%d\r\nTo: <sip:%s>\r\nCall-ID: %s\r\n"
               "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n" % (
                   malformed_gen.DOMAIN.decode(), t, cid, malformed_gen.DOMAIN.decode(), n,
                   malformed_gen.DOMAIN.decode(), cid)).encode()
        try:
            if transport == "udp":
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind((self.a.health_source, 0))
                s.settimeout(2)
                s.sendto(req, self.target)
                while True:
                    d = s.recv(70000)
                    if d[8:9] != b"1":
                        break
            else:
                s = socket.create_connection(self.target, timeout=2, source_address=(self.a.health_source, 0))
                s.sendall(req)
                buf = b""
                d = None
                while d is None:
                    chunk = s.recv(65536)
                    if not chunk:
                        return "connection closed without an answer"
                    buf += chunk
                    msgs, buf, _, err = split_stream(buf)
                    if err:
                        return err
                    for m in msgs:
                        if m[8:9] != b"1":
                            d = m
                            break
            s.close()
        except OSError as e:
            return "no answer (%s)" % (e.strerror or e)
        m = re.match(rb"SIP/2\.0 ([0-9]{3}) ", d)
        if not m:
            return "not a SIP response: %r" % d[:60]
        if cid.encode() not in d:
            return "answer without our Call-ID: %r" % d[:120]
        return int(m.group(1))

    def alive(self):
        if not self.a.pid:
            return True
        try:
            with open("/proc/%d/stat" % self.a.pid) as fh:
                return fh.read().split(") ")[-1][:1] not in ("Z", "X")
        except OSError:
            return False

    def health(self, after, n):
        ok = True
        if not self.alive():
            self.fail("the server (pid %d) is gone after the family %s" % (self.a.pid, after))
            return False
        for t in ("udp", "tcp"):
            got = None
            for attempt in range(3):
                got = self.options(t, n * 10 + attempt)
                if got == 200:
                    break
                time.sleep(0.5)
            if got != 200:
                self.fail("after the family %s the server answers OPTIONS over %s with: %s" % (after, t, got))
                ok = False
        return ok

    # ---- the run -------------------------------------------------------------------------------

    def run(self, cases):
        a = self.a
        by_family = collections.OrderedDict()
        for c in cases:
            by_family.setdefault(c.family, []).append(c)
        if not self.health("(none: before the first case)", 0):
            return
        serial = 0
        for fi, (fam, items) in enumerate(by_family.items(), 1):
            t0 = time.monotonic()
            queue = list(items)
            active = []
            next_start = time.monotonic()
            while queue or active:
                now = time.monotonic()
                while queue and len(active) < a.window and now >= next_start:
                    c = queue.pop(0)
                    j = self.start(c, self.sources[serial % len(self.sources)], now)
                    serial += 1
                    next_start = max(next_start + 1.0 / a.rate, now - 0.05)
                    if j.outcome is not None:
                        self.judge(j)
                    else:
                        active.append(j)
                timeout = 0.02
                if active:
                    timeout = max(0.0, min(timeout, min(x.deadline for x in active) - now))
                for key, mask in self.sel.select(timeout):
                    j = key.data
                    if j.sock is not None:
                        self.on_event(j, mask, time.monotonic())
                now = time.monotonic()
                still = []
                for j in active:
                    if (j.outcome is None and j.hold_until is not None and not j.shut and j.final_at is None
                            and now >= j.hold_until):
                        self.half_close(j, now)
                    if j.outcome is None and now >= j.deadline:
                        self.expire(j)
                    if j.outcome is not None:
                        self.judge(j)
                    else:
                        still.append(j)
                active = still
            healthy = self.health(fam, fi)
            rs = [r for r in self.results if r["family"] == fam]
            print("  %-15s %-8s %s  (%.1f s)%s" % (fam, a.label, line(rs), time.monotonic() - t0,
                                                    "" if healthy else "  SERVER NOT HEALTHY"), flush=True)
            if not healthy and not self.alive():
                break


def line(rs):
    """sent / answered (codes) / dropped etc. of a list of results."""
    out = collections.Counter(r["outcome"] for r in rs)
    codes = collections.Counter()
    for r in rs:
        finals = [c for c in r["codes"] if c >= 200]
        codes[finals[0] if finals else (r["codes"][0] if r["codes"] else None)] += r["outcome"] == "answered"
    sent = sum(v for k, v in out.items() if k != "skipped")
    parts = ["sent %4d" % sent, "answered %4d" % out["answered"]]
    cs = " ".join("%s:%d" % (k, v) for k, v in sorted(codes.items(), key=lambda kv: str(kv[0])) if v)
    if cs:
        parts[-1] += " [%s]" % cs
    for k in ("dropped", "closed", "reset", "silent", "stalled", "skipped", "send-error", "connect-error"):
        if out[k]:
            parts.append("%s %d" % (k, out[k]))
    return ", ".join(parts)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--transport", choices=("udp", "tcp"), required=True)
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--tag", default="", help="prefix of branches and Call-IDs (keeps runs apart)")
    p.add_argument("--family", action="append", choices=malformed_gen.FAMILIES)
    p.add_argument("--sources", default=",".join("127.0.%d.%d" % (20 + i // 4, 1 + i % 4) for i in range(64)),
                   help="comma-separated loopback addresses to send from")
    p.add_argument("--health-source", default="127.0.0.1")
    p.add_argument("--window", type=int, default=32, help="cases in flight at once")
    p.add_argument("--rate", type=float, default=500, help="new cases per second at most")
    p.add_argument("--udp-wait", type=float, default=0.5, help="seconds to wait for an answer over UDP")
    p.add_argument("--tcp-wait", type=float, default=1.5, help="seconds to wait for answers and a close over TCP")
    p.add_argument("--tcp-close", choices=("hold", "half"), default="half",
                   help="half: shutdown(SHUT_WR) right after the request; hold: keep writing open until a "
                        "final answer or --tcp-hold seconds, then half-close")
    p.add_argument("--tcp-hold", type=float, default=0.3)
    p.add_argument("--grace", type=float, default=0.05, help="seconds to keep listening after a final answer")
    p.add_argument("--pid", type=int, help="the server's process id (checked after each family)")
    p.add_argument("--results", help="write one JSON object per case here")
    p.add_argument("--strict", action="store_true", help="deviations from the expected status fail the run")
    p.add_argument("--verbose", action="store_true", help="print every deviation")
    a = p.parse_args(argv)
    a.sources = [s for s in a.sources.split(",") if s]
    a.label = a.transport if a.transport == "udp" else "tcp-" + a.tcp_close
    for s in a.sources + [a.health_source, a.host]:
        if not s.startswith("127."):
            p.error("only loopback addresses (127.0.0.0/8): %s" % s)
    fams = tuple(a.family) if a.family else malformed_gen.FAMILIES
    r = Runner(a)
    r.run(malformed_gen.cases(a.seed, a.transport, a.tag, fams))
    if a.results:
        with open(a.results, "w") as fh:
            for x in r.results:
                fh.write(json.dumps(x) + "\n")
    print("  %-15s %-8s %s" % ("all", a.label, line(r.results)))
    if r.lost:
        r.fail("%d requests over TCP got their 100 Trying but never their final response because the "
               "client half-closed the connection after writing the request (RFC 3261 §18.2.2: responses "
               "go back on that connection while it is open), e.g. %s" %
               (len(r.lost), ", ".join("%s (%s)" % (c.id, c.desc[:40]) for c in r.lost[:3])))
    if r.deviations:
        print("  %d deviations from the expected status over %s, e.g.:" % (len(r.deviations), a.label))
        seen = collections.Counter()
        for c, d in r.deviations:
            key = (c.family, d.split(",")[0][:20])
            seen[key] += 1
            if seen[key] <= 2:
                print("    %s (%s): %s" % (c.id, c.desc[:70], d))
    if r.failures or (a.strict and r.deviations):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
