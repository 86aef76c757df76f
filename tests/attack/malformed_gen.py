#!/usr/bin/env python3
"""Malformed SIP INVITEs, PROTOS-style, made here from one valid INVITE with an SDP body.

Each family breaks one part of the message in many ways (the request line's method, URI and
version; Via; the display names of From and To; Call-ID and CSeq; Content-Length;
Content-Type; SDP fields; header-section overflows; format-string payloads; binary garbage),
and leaves the rest of the INVITE valid, so that the part under test is the only reason to
refuse it. Everything is derived from a seed: the same seed gives the same bytes.

Each case knows what a server should make of it:
  via, call_id, cseq  the request's own top Via branch, Call-ID and CSeq when the case left
                      them well-formed (a response must copy them, RFC 3261 §8.2.6.2), else null;
  expect              "400", "505", "416": the status RFC 3261 asks for (§8.2.6.1, §8.2.2.1,
                      §16.3, §18.3, §21.4); "reject": an error answer or silence, never a 2xx
                      or 3xx; "any": a request a lenient or strict server may both handle;
  answerable          the essential headers survive, so a server can build an answer (a drop
                      is then a missed answer, worth reporting, not a failure);
  udp                 false when the case cannot be one UDP datagram (over 65,507 bytes).

Use it as a module (cases(seed, transport, tag)) or from the command line:

  malformed_gen.py --summary                        # cases per family
  malformed_gen.py --out DIR [--transport tcp]      # DIR/<family>/<id>.sip + DIR/index.jsonl
  malformed_gen.py --jsonl - [--family via]         # one JSON object per case (data base64)

Python 3 standard library only.
"""

import argparse
import base64
import json
import os
import random
import sys
import zlib

MAX_DATAGRAM = 65507  # IPv4 UDP payload ceiling
DOMAIN = b"warden.test"

FAMILIES = (
    "method", "uri", "version", "via", "display", "callid_cseq", "content_length",
    "content_type", "sdp", "overflow", "format", "garbage",
)


class Case:
    """One test message and what is known about it."""

    __slots__ = ("family", "id", "desc", "data", "via", "call_id", "cseq", "expect", "answerable")

    def __init__(self, family, num, desc, data, via, call_id, cseq, expect, answerable):
        self.family = family
        self.id = "%s-%04d" % (family, num)
        self.desc = desc
        self.data = data
        self.via = via
        self.call_id = call_id
        self.cseq = cseq
        self.expect = expect
        self.answerable = answerable

    @property
    def udp(self):
        return len(self.data) <= MAX_DATAGRAM

    def to_json(self):
        def s(b):
            return None if b is None else b.decode("latin-1")
        return {
            "family": self.family, "id": self.id, "desc": self.desc, "len": len(self.data),
            "udp": self.udp, "via": s(self.via), "call_id": s(self.call_id), "cseq": s(self.cseq),
            "expect": self.expect, "answerable": self.answerable,
            "data": base64.b64encode(self.data).decode("ascii"),
        }


def sdp_lines():
    return [
        b"v=0",
        b"o=alice 2890844526 2890844527 IN IP4 127.0.0.1",
        b"s=malformed test",
        b"c=IN IP4 127.0.0.1",
        b"t=0 0",
        b"m=audio 49170 RTP/AVP 0 8 101",
        b"a=rtpmap:0 PCMU/8000",
        b"a=rtpmap:8 PCMA/8000",
        b"a=rtpmap:101 telephone-event/8000",
        b"a=sendrecv",
    ]


def join_sdp(lines):
    return b"".join(l + b"\r\n" for l in lines)


class Invite:
    """A valid INVITE as parts; a case changes one part and calls build().

    headers holds raw lines (bytes, without CRLF) so that a case may write a line no parser
    would produce (no colon, a bare name, folding). content_length None means: computed from
    the body when built; a bytes value is written as given (possibly several times, if a case
    adds its own Content-Length lines to `headers` and sets it to b"" to suppress ours).
    """

    def __init__(self, transport, uniq):
        self.method = b"INVITE"
        self.uri = b"sip:bob@" + DOMAIN
        self.version = b"SIP/2.0"
        self.branch = b"z9hG4bK-" + uniq
        self.call_id = uniq + b"@malformed.test"
        self.cseq = b"31862 INVITE"
        self.via = b"SIP/2.0/" + transport + b" 127.0.0.1:5060;branch=" + self.branch + b";rport"
        self.from_ = b'"Alice Caller" <sip:alice@foreign.test>;tag=f' + uniq[-12:]
        self.to = b'"Bob Callee" <sip:bob@' + DOMAIN + b">"
        self.headers = [
            b"Via: " + self.via,
            b"Max-Forwards: 70",
            b"From: " + self.from_,
            b"To: " + self.to,
            b"Call-ID: " + self.call_id,
            b"CSeq: " + self.cseq,
            b"Contact: <sip:alice@127.0.0.1:5060>",
            b"User-Agent: warden-malformed-gen",
            b"Content-Type: application/sdp",
        ]
        self.content_length = None
        self.body = join_sdp(sdp_lines())
        self.request_line = None  # bytes: replaces method/uri/version entirely

    def set_header(self, name, value):
        """Replaces the first header called `name` (value None removes it)."""
        key = name.lower() + b":"
        for i, h in enumerate(self.headers):
            if h.lower().startswith(key):
                if value is None:
                    del self.headers[i]
                else:
                    self.headers[i] = name + b": " + value
                return
        if value is not None:
            self.headers.append(name + b": " + value)

    def build(self):
        line = self.request_line
        if line is None:
            line = self.method + b" " + self.uri + b" " + self.version
        out = [line]
        out.extend(self.headers)
        if self.content_length is None:
            out.append(b"Content-Length: " + str(len(self.body)).encode())
        elif self.content_length != b"":
            out.append(b"Content-Length: " + self.content_length)
        return b"\r\n".join(out) + b"\r\n\r\n" + self.body


class Family:
    """Collects the cases of one family; `new()` hands out a fresh INVITE for each."""

    def __init__(self, name, seed, transport, tag):
        self.name = name
        self.rng = random.Random((seed << 8) ^ zlib.crc32(name.encode()))
        self.transport = transport
        self.tag = tag
        self.cases = []
        self.msg = None

    def new(self):
        uniq = ("%s%s-%s-%d" % (self.tag, self.transport.decode().lower()[0], self.name.replace("_", ""),
                                len(self.cases))).encode()
        self.msg = Invite(self.transport, uniq)
        return self.msg

    def add(self, desc, data=None, expect="reject", via=True, call_id=True, cseq=True, answerable=None):
        """Records the current INVITE (or `data`); via/call_id/cseq False when the case broke them."""
        m = self.msg
        if data is None:
            data = m.build()
        if answerable is None:
            answerable = via and call_id and cseq
        self.cases.append(Case(
            self.name, len(self.cases), desc, data,
            m.branch if via else None, m.call_id if call_id else None, m.cseq if cseq else None,
            expect, answerable))

    def rand_bytes(self, n, lo=0, hi=255):
        r = self.rng
        return bytes(r.randint(lo, hi) for _ in range(n))

    def rand_token(self, n):
        alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`'~"
        return bytes(self.rng.choice(alphabet) for _ in range(n))


# Lengths used by the overlong variants: around the parser's line limit (8 KiB), its header
# section limit (16 KiB), the whole-message limit (64 KiB), and past what one datagram holds.
LONG = (256, 1024, 8191, 8193, 16385, 32768, 60000, 65536)

CONTROL = [bytes([c]) for c in list(range(0, 32)) + [127]]
HIGH = [b"\x80", b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xef\xbb\xbf"]

FORMAT_PAYLOADS = [
    b"%s%s%s%s%s%s%s%s%s%s", b"%n%n%n%n%n%n%n%n", b"%x%x%x%x%x%x%x%x", b"%p%p%p%p",
    b"%99999999999s", b"%.99999999d", b"%s" * 200, b"%n" * 200, b"%1$s%2$n", b"%*.*s%hn",
    b"%", b"%%", b"%c%c%c%c%c%c", b"{0}{1}{}{{}}", b"${jndi:ldap://127.0.0.1/x}", b"$(id)", b"`id`",
    b"\\x00\\n\\r", b"'; DROP TABLE users; --", b"../../../../etc/passwd", b"<script>alert(1)</script>",
]


def fam_method(f):
    def with_method(desc, method, expect, cseq_follows=False):
        m = f.new()
        m.method = method
        if cseq_follows:
            m.set_header(b"CSeq", b"31862 " + method)
            m.cseq = b"31862 " + method
        f.add(desc, expect=expect)

    with_method("empty method", b"", "reject")
    for n in LONG:
        with_method("method of %d letters" % n, b"I" * n, "reject")
        with_method("method of %d letters, CSeq agrees" % n, b"I" * n, "reject", cseq_follows=True)
    for c in CONTROL:
        for pos in (0, 3, 6):
            with_method("control 0x%02x at %d" % (c[0], pos), b"INVITE"[:pos] + c + b"INVITE"[pos:], "reject")
    for h in HIGH:
        with_method("non-ASCII %r in method" % h, b"INV" + h + b"ITE", "reject")
    for tok in (b"INVITEX", b"INVIT", b"invite", b"Invite", b"INVITE\x00", b"\x00INVITE", b"IN\x00VITE",
                b"NOTIFY", b"FOO", b"X-PROTOS", b"!%*_+`'~-.", b"123", b"1NVITE", b"I" * 64):
        # RFC 4475 §3.1.2.16 and §3.1.2.17: 400 for a mismatch, 501 also for an unknown method.
        with_method("method %r (CSeq says INVITE)" % tok, tok, "reject")
    for tok in (b"FOO", b"BAR-BAZ", b"X.Y", b"!%*_+`'~-.", b"invite", b"ACKNOWLEDGE"):
        with_method("unknown method %r, CSeq agrees" % tok, tok, "any", cseq_follows=True)
    for sep in (b"(", b")", b"<", b">", b"@", b",", b";", b":", b"\\", b'"', b"/", b"[", b"]", b"?", b"=",
                b"{", b"}", b" ", b"\t"):
        with_method("separator %r inside the method" % sep, b"INV" + sep + b"ITE", "reject")
    for n in (1, 2, 8, 64, 512):
        with_method("%d NUL bytes as method" % n, b"\x00" * n, "reject")
    for i in range(40):
        n = f.rng.choice((1, 3, 17, 100, 1000, 5000))
        with_method("random token method of %d" % n, f.rand_token(n), "reject")
    for i in range(20):
        n = f.rng.choice((1, 5, 40, 300))
        with_method("random bytes method of %d" % n, f.rand_bytes(n), "reject")


def fam_uri(f):
    def with_uri(desc, uri, expect="400"):
        m = f.new()
        m.uri = uri
        f.add(desc, expect=expect)

    m = f.new()
    m.request_line = b"INVITE SIP/2.0"
    f.add("no Request-URI", expect="400")
    m = f.new()
    m.request_line = b"INVITE  SIP/2.0"
    f.add("empty Request-URI between two spaces", expect="400")
    m = f.new()
    m.request_line = b"INVITE"
    f.add("request line of the method alone", expect="reject")
    for scheme in (b"http", b"xyz", b"urn", b"mailto", b"im", b"tel2", b"SIPX", b"a", b"s1p", b"sip+x"):
        with_uri("unknown scheme %r" % scheme, scheme + b":bob@" + DOMAIN, "416")
    for uri in (b"bob@" + DOMAIN, b":bob@" + DOMAIN, b"sip;bob@" + DOMAIN, b"sip::bob@" + DOMAIN,
                b"sip:", b"sip:@", b"sip:bob@", b"sip:@" + DOMAIN, b"1sip:bob@" + DOMAIN, b"-:x",
                b"sip:bob@@" + DOMAIN, b"sip:bob@" + DOMAIN + b"@x", b"sip:b ob@" + DOMAIN,
                b"<sip:bob@" + DOMAIN + b">", b"sip:bob@" + DOMAIN + b"?", b"sip:bob@" + DOMAIN + b"?&&",
                b"sip:bob@" + DOMAIN + b";", b"sip:bob@" + DOMAIN + b";;", b"sip:bob@" + DOMAIN + b";=x",
                b"sip:bob@" + DOMAIN + b";transport=", b"sip:bob@" + DOMAIN + b";lr=;lr=;lr",
                b"sip:bob@.", b"sip:bob@..", b"sip:bob@-" + DOMAIN, b"sip:bob@" + DOMAIN + b".-",
                b"sip:bob@warden_test", b"sip:bob@war den.test", b"sip:bob@256.256.256.256",
                b"sip:bob@1.2.3", b"sip:bob@1.2.3.4.5", b"sip:bob@0x7f.1", b"sip:bob:@" + DOMAIN,
                b"sip:bob:pass:word@" + DOMAIN, b"sips:bob@" + DOMAIN, b"tel:+1-555", b"tel:",
                b"sip:%40@" + DOMAIN):
        with_uri("Request-URI %r" % uri[:60], uri, "reject")
    for n in LONG:
        with_uri("user of %d bytes" % n, b"sip:" + b"u" * n + b"@" + DOMAIN, "reject")
        with_uri("host of %d bytes" % n, b"sip:bob@" + b"h" * n + b".test", "reject")
        with_uri("%d parameters" % (n // 4), b"sip:bob@" + DOMAIN + b";p" * (n // 4), "reject")
    for esc in (b"%", b"%4", b"%zz", b"%4g", b"%00", b"%%", b"%%41", b"%0", b"%-1", b"%+1", b"%C0%80",
                b"%ff%fe", b"%25%", b"%0d%0a", b"%2", b"% 41"):
        with_uri("broken escape %r in user" % esc, b"sip:b" + esc + b"ob@" + DOMAIN, "reject")
        with_uri("broken escape %r in host" % esc, b"sip:bob@war" + esc + b"den.test", "reject")
    for host in (b"[::1", b"::1]", b"[::1]]", b"[[::1]", b"[zz::1]", b"[1:2:3:4:5:6:7:8:9]", b"[]", b"[:]",
                 b"[::ffff:127.0.0.1", b"[::1%eth0]", b"[::1%25lo]", b"[1::2::3]", b"[12345::1]",
                 b"::1", b"[::1]x", b"[" + b"1:" * 400 + b"1]", b"[fe80::1/64]", b"[ ::1 ]"):
        with_uri("IPv6 reference %r" % host[:40], b"sip:bob@" + host + b":5060", "reject")
    for port in (b"65536", b"99999999", b"4294967296", b"18446744073709551617", b"-1", b"0", b"abc", b"",
                 b"5060:5060", b"+5060", b"0x13c4", b"5 060", b"9" * 300, b"0" * 100 + b"5060"):
        with_uri("port %r" % port[:30], b"sip:bob@" + DOMAIN + b":" + port, "reject")
    for c in CONTROL:
        with_uri("control 0x%02x in the user" % c[0], b"sip:b" + c + b"ob@" + DOMAIN, "reject")
    for i in range(30):
        base = bytearray(b"sip:bob@" + DOMAIN + b":5060;transport=udp")
        for _ in range(f.rng.randint(1, 4)):
            base[f.rng.randrange(len(base))] = f.rng.randrange(256)
        with_uri("Request-URI with random bytes replaced", bytes(base), "any")


def fam_version(f):
    def with_version(desc, version, expect):
        m = f.new()
        m.version = version
        f.add(desc, expect=expect)

    for v in (b"SIP/1.0", b"SIP/3.0", b"SIP/2.1", b"SIP/7.0", b"SIP/0.9", b"SIP/9.9", b"SIP/1.1", b"SIP/20.0",
              b"SIP/2.9"):
        with_version("version %r" % v, v, "505")
    for v in (b"SIP/2.00", b"SIP/02.0", b"SIP/2.0.0", b"SIP/2", b"SIP/2.", b"SIP/.0", b"SIP/", b"SIP", b"SIP/2,0",
              b"SIP/2.0 ", b"SIP /2.0", b"SIP/ 2.0", b"SIP\\2.0", b"SIP2.0", b"HTTP/1.1", b"HTTP/2.0", b"RTSP/1.0",
              b"SIP/-2.0", b"SIP/2.-0", b"SIP/a.b", b"SIP/2.0/UDP", b"SIPS/2.0", b"S1P/2.0", b"SIP/\x00.0",
              b"SIP/2.0\x00", b"\x00SIP/2.0", b"SIP/2.0\t", b"", b"SIP/2.0 SIP/2.0",
              b"SIP/4294967296.0", b"SIP/2.18446744073709551617"):
        with_version("version %r" % v, v, "reject")
    for v in (b"sip/2.0", b"Sip/2.0", b"sIP/2.0"):
        with_version("version %r (case)" % v, v, "any")
    for n in LONG:
        with_version("SIP/2.0 then %d letters" % n, b"SIP/2.0" + b"A" * n, "reject")
        with_version("SIP/ and a major of %d digits" % n, b"SIP/" + b"9" * n + b".0", "reject")
        with_version("SIP/2. and a minor of %d digits" % n, b"SIP/2." + b"0" * n, "reject")
    for c in CONTROL:
        with_version("control 0x%02x in the version" % c[0], b"SIP/2" + c + b".0", "reject")
    for i in range(30):
        n = f.rng.choice((1, 4, 7, 12, 50))
        with_version("random version of %d bytes" % n, f.rand_bytes(n, 33, 126), "reject")


def fam_via(f):
    def with_via(desc, via, expect="400", keep_branch=False):
        m = f.new()
        value = via(m) if callable(via) else via
        # "z9hG4bK-x" stands for this case's own branch: no two cases may share a transaction.
        m.set_header(b"Via", value.replace(b"z9hG4bK-x", m.branch))
        f.add(desc, expect=expect, via=keep_branch, answerable=keep_branch)

    t = f.transport

    def sent(host, params=b";branch=z9hG4bK-x;rport"):
        return lambda m: b"SIP/2.0/" + t + b" " + host + (params if params is not None else b"")

    for host in (b"", b":5060", b" ", b"-", b".", b"..", b"a..b", b"-a.b", b"a.b-", b"a_b", b"a b", b"a,b",
                 b"a;b", b"a@b", b"[::1", b"::1]", b"[zz::1]", b"[]", b"256.1.1.1", b"1.2.3.4.5", b"1.2.3",
                 b"127.0.0.1:", b"127.0.0.1::5060", b'"127.0.0.1"', b"\x00", b"127.0.0.1\x00", b"h\xffst",
                 b"\x1b[31mred", b"%41.test", b"*"):
        with_via("Via host %r" % host, sent(host), "reject")
    for n in LONG:
        with_via("Via host of %d bytes" % n, sent(b"h" * n + b".test"), "reject")
        with_via("Via branch of %d bytes" % n, sent(b"127.0.0.1:5060", b";branch=z9hG4bK" + b"b" * n), "reject")
        with_via("Via parameter value of %d bytes" % n, sent(b"127.0.0.1:5060", b";branch=z9hG4bK-x;x=" + b"v" * n),
                 "reject")
    for port in (b"65536", b"99999999", b"4294967297", b"-1", b"abc", b"0x50", b"5 060", b"9" * 200, b":"):
        with_via("Via port %r" % port[:20], sent(b"127.0.0.1:" + port))
    with_via("Via without branch (RFC 2543 style)", sent(b"127.0.0.1:5060", b";rport"), "any")
    with_via("Via without any parameter", sent(b"127.0.0.1:5060", None), "any")
    for params in (b";branch=", b";branch", b";branch=z9hG4bK", b";branch=z9hG4bK-a;branch=z9hG4bK-b",
                   b";branch=\"z9hG4bK-q\"", b";branch=z9hG4bK-x;;", b";branch=z9hG4bK-x;=", b";branch=z9hG4bK x",
                   b";branch=z9hG4bK-x;rport=abc", b";branch=z9hG4bK-x;rport=99999",
                   b";branch=z9hG4bK-x;received=not-an-ip", b";branch=z9hG4bK-x;received=999.1.1.1",
                   b";branch=z9hG4bK-x;ttl=999", b";branch=z9hG4bK-x;ttl=-1", b";branch=z9hG4bK-x;maddr=",
                   b";branch=z9hG4bK-x;maddr=[::1", b";branch=z9hG4bK-x;received="):
        with_via("Via parameters %r" % params, sent(b"127.0.0.1:5060", params), "reject")
    with_via("Via with rport twice", sent(b"127.0.0.1:5060", b";branch=z9hG4bK-x;rport;rport"), "any")
    for proto in (b"SIP/2.0/", b"SIP/2.0", b"SIP//UDP", b"/2.0/UDP", b"SIP/2.0/UDP/TCP",
                  b"SIP / 2.0 / UDP", b"HTTP/1.1/TCP", b"SIP/2.0/" + b"U" * 300, b"SIP/2.0/U\x00P"):
        with_via("Via protocol %r" % proto[:30], lambda m, p=proto: p + b" 127.0.0.1:5060;branch=z9hG4bK-x",
                 "reject")
    # protocol-name and protocol-version are tokens, and so is an unknown transport (§25.1).
    for proto in (b"SIP/1.0/UDP", b"SIP/2.0/XYZ", b"sip/2.0/udp"):
        with_via("Via protocol %r (syntax valid)" % proto, lambda m, p=proto: p + b" 127.0.0.1:5060;branch=z9hG4bK-x;rport",
                 "any")
    with_via("empty Via value", b"")
    with_via("Via value of spaces", b"     ")
    for n in (1000, 5000):
        p = b"".join(b";p%d=%d" % (i, i) for i in range(n))
        with_via("Via with %d parameters" % n, sent(b"127.0.0.1:5060", b";branch=z9hG4bK-x" + p), "reject")
    # Many Vias, in one header (comma-separated) and as many header lines. The request's own
    # Via stays on top, so the answer can still copy it.
    for n in (71, 200, 1000, 3000):
        m = f.new()
        more = b", ".join(b"SIP/2.0/UDP 10.%d.%d.%d:5060;branch=z9hG4bK-%d" % ((i >> 16) & 255, (i >> 8) & 255,
                                                                              i & 255, i) for i in range(n))
        m.set_header(b"Via", m.via + b", " + more)
        f.add("%d more Vias in one header" % n, expect="reject")
        m = f.new()
        at = m.headers.index(b"Via: " + m.via) + 1
        m.headers[at:at] = [b"Via: SIP/2.0/UDP 10.0.%d.%d:5060;branch=z9hG4bK-%d" % ((i >> 8) & 255, i & 255, i)
                            for i in range(n)]
        f.add("%d more Via header lines" % n, expect="reject")
    m = f.new()
    m.set_header(b"Via", None)
    f.add("no Via at all", expect="reject", via=False, answerable=False)
    for i in range(30):
        v = bytearray(b"SIP/2.0/" + t + b" 127.0.0.1:5060;branch=z9hG4bK-r%d;rport" % i)
        for _ in range(f.rng.randint(1, 3)):
            v[f.rng.randrange(len(v))] = f.rng.randrange(32, 127)
        with_via("Via with random characters replaced", bytes(v), "any")


def fam_display(f):
    """Display names and name-addr forms of From and To."""
    def with_addr(desc, which, value, expect="400"):
        m = f.new()
        m.set_header(which, value)
        f.add(desc, expect=expect)

    uri = {b"From": b"<sip:alice@foreign.test>;tag=f1", b"To": b"<sip:bob@" + DOMAIN + b">"}
    for which in (b"From", b"To"):
        u = uri[which]
        for name in (b'"Alice', b'"Alice\\"', b'"Al"ice"', b'"\\', b'"', b'""""', b'"A\\', b'Al"ice',
                     b'"Al\x00ice"', b'"\x00"', b'"Al\rice"', b'"Al\nice"', b'"Al\r\nice"', b'"Al\x7fice"',
                     b'"\\\x00"', b'"\\\r"', b"Al<ice", b"Al>ice", b"Al;ice", b"Al@ice", b"Al:ice", b"Al,ice",
                     b"Al\\ice", b"Al\x01ice", b'"\xff\xfe"', b'"\xc0\x80"', b"\xe2\x80\xae\x41lice"):
            with_addr("%s display name %r" % (which.decode(), name), which, name + b" " + u, "reject")
        for name in (b'"Alice \\"the\\" Caller"', b'"\\\\"', b'"\\a\\b\\c"', b"Alice Caller", b'""',
                     b'"Al\\\x01ice"', b'"Al\tice"', b'"\xc3\xa9l\xc3\xa8ve"', b"Alice   Caller"):
            with_addr("%s display name %r (valid)" % (which.decode(), name), which, name + b" " + u, "any")
        for n in LONG:
            with_addr("%s display name of %d bytes" % (which.decode(), n), which, b'"' + b"A" * n + b'" ' + u, "reject")
            with_addr("%s display name of %d escapes" % (which.decode(), n // 2), which,
                      b'"' + b"\\\"" * (n // 2) + b'" ' + u, "reject")
            with_addr("%s unquoted display name of %d tokens" % (which.decode(), n // 2), which,
                      b"A " * (n // 2) + u, "reject")
        for value in (b"", b" ", b"<", b">", b"<>", b"<sip:alice@foreign.test", b"sip:alice@foreign.test>",
                      b"<<sip:alice@foreign.test>>", b'"A" sip:alice@foreign.test', b"<sip:alice@foreign.test>;tag",
                      b"<sip:alice@foreign.test>;tag=", b"<sip:alice@foreign.test>;tag=a;tag=b",
                      b"<sip:alice@foreign.test>;;", b"<http://foreign.test/>", b"<sip:@>", b"<:>", b"<sip:>",
                      b"<sip:alice@foreign.test> junk", b'"A" "B" <sip:alice@foreign.test>',
                      b"<sip:alice@foreign.test>;tag=" + b"t" * 9000):
            with_addr("%s value %r" % (which.decode(), value[:40]), which, value, "reject")
        m = f.new()
        m.set_header(which, None)
        f.add("no %s header" % which.decode(), expect="reject", answerable=False)
        for i in range(15):
            name = b'"' + f.rand_bytes(f.rng.randint(1, 40), 1, 255).replace(b"\r", b"").replace(b"\n", b"") + b'"'
            with_addr("%s display name of random bytes" % which.decode(), which, name + b" " + u, "any")


def fam_callid_cseq(f):
    def with_header(desc, name, value, expect="400", call_id=True, cseq=True):
        m = f.new()
        m.set_header(name, value)
        if name == b"CSeq" and cseq:
            m.cseq = value
        f.add(desc, expect=expect, call_id=call_id, cseq=cseq, answerable=call_id and cseq)

    with_header("no Call-ID", b"Call-ID", None, "reject", call_id=False)
    for v in (b"", b" ", b"a b", b"a\x00b", b"\x00", b"a\tb", b"<a>", b"a@b@c", b"@", b"\xff\xfe", b"a\x7fb",
              b"a;b", b"a,b", b'"a"'):
        with_header("Call-ID %r" % v, b"Call-ID", v, "reject", call_id=False)
    for n in LONG:
        with_header("Call-ID of %d bytes" % n, b"Call-ID", b"c" * n, "reject", call_id=False)
    m = f.new()
    m.headers.append(b"Call-ID: second-" + m.call_id)
    f.add("two Call-ID headers", expect="400", call_id=False)
    m = f.new()
    m.headers.append(b"i: " + m.call_id)
    f.add("Call-ID twice, long and compact form, same value", expect="reject", call_id=False)

    with_header("no CSeq", b"CSeq", None, "reject", cseq=False)
    for v in (b"", b"INVITE", b"1", b"abc INVITE", b"-1 INVITE", b"+1 INVITE", b"1.5 INVITE", b"0x10 INVITE",
              b"1e3 INVITE", b"1 2 INVITE", b" INVITE 1", b"1INVITE", b"1 INVITE extra",
              b"1 INV ITE", b"1 \x00INVITE", b"\x001 INVITE"):
        with_header("CSeq %r" % v, b"CSeq", v, "400", cseq=False)
    # §8.1.1.5: a 32-bit unsigned number; a UAC starts below 2**31, so larger values stay legal.
    with_header("CSeq 2^31 (valid)", b"CSeq", b"2147483648 INVITE", "any")
    with_header("CSeq 2^32-1 (valid, the largest)", b"CSeq", b"4294967295 INVITE", "any")
    with_header("CSeq separated by a tab (valid LWS)", b"CSeq", b"1\tINVITE", "any")
    for v in (b"4294967296 INVITE", b"4294967297 INVITE",
              b"18446744073709551615 INVITE", b"18446744073709551616 INVITE", b"1" + b"0" * 30 + b" INVITE",
              b"9" * 300 + b" INVITE", b"9" * 9000 + b" INVITE"):
        with_header("CSeq number %s..." % v[:24].decode(), b"CSeq", v, "400", cseq=False)
    with_header("CSeq number 0 (valid)", b"CSeq", b"0 INVITE", "any")
    with_header("CSeq of leading zeros (valid)", b"CSeq", b"0" * 40 + b"1 INVITE", "any")
    for meth in (b"BYE", b"ACK", b"CANCEL", b"OPTIONS", b"REGISTER", b"invite", b"INVITEX", b"FOO", b"I" * 5000):
        with_header("CSeq method %r, request INVITE" % meth[:20], b"CSeq", b"1 " + meth, "400", cseq=False)
    m = f.new()
    m.headers.append(b"CSeq: 2 INVITE")
    f.add("two CSeq headers", expect="400", cseq=False)
    m = f.new()
    m.set_header(b"CSeq", b"1 INVITE, 2 INVITE")
    f.add("CSeq with two values", expect="400", cseq=False)
    for i in range(20):
        n = f.rng.choice((5, 11, 20, 40))
        with_header("CSeq number of %d random digits" % n, b"CSeq",
                    bytes(f.rng.choice(b"0123456789") for _ in range(n)) + b" INVITE", "any", cseq=False)


def fam_content_length(f):
    def with_cl(desc, value, expect="400", body=None):
        m = f.new()
        if body is not None:
            m.body = body
        m.content_length = value
        f.add(desc, expect=expect)

    blen = len(f.new().body)
    for v in (b"-1", b"-100", b"-0", b"-" + str(blen).encode(), b"-2147483648", b"-9223372036854775808"):
        with_cl("Content-Length %s" % v.decode(), v)
    for v in (b"2147483647", b"2147483648", b"4294967295", b"4294967296", b"4294967297", b"9223372036854775807",
              b"18446744073709551615", b"18446744073709551616", b"1" + b"0" * 40, b"9" * 1000):
        with_cl("Content-Length %s..." % v[:24].decode(), v, "reject")
    for extra in (1, 2, 10, 100, 1000, 40000, 65000):
        with_cl("Content-Length %d more than the body" % extra, str(blen + extra).encode(), "reject")
    for less in (1, 2, 10, blen // 2, blen - 1, blen):
        with_cl("Content-Length %d less than the body" % less, str(blen - less).encode(), "any")
    for v in (b"abc", b"12a", b"a12", b"0x20", b"1e2", b"1.0", b"+10", b" ", b"1 2", b"\x00", b"1\x00",
              b"\xff", b"%n", b"NaN", b"Infinity", b"0" * 5000 + b"1", b"1,2", b"1;x=2"):
        with_cl("Content-Length %r" % v[:20], v, "reject")
    m = f.new()
    m.content_length = b""
    f.add("no Content-Length (a body without one)", expect="any")
    for a, b in ((blen, blen), (blen, 0), (0, blen), (blen, blen + 5), (blen + 5, blen)):
        m = f.new()
        m.content_length = b""
        m.headers.append(b"Content-Length: %d" % a)
        m.headers.append(b"Content-Length: %d" % b)
        f.add("two Content-Length headers, %d and %d" % (a, b), expect="400")
    m = f.new()
    m.content_length = b""
    m.headers.append(b"Content-Length: %d" % blen)
    m.headers.append(b"l: %d" % blen)
    f.add("Content-Length and l: both, equal", expect="reject")
    m = f.new()
    m.content_length = b""
    m.headers.append(b"Content-Length: %d, %d" % (blen, blen))
    f.add("Content-Length with two values", expect="400")
    m = f.new()
    m.content_length = b""
    m.headers.append(b"l: %d" % blen)
    f.add("compact form l: (valid)", expect="any")
    m = f.new()
    m.content_length = b"0"
    m.body = b""
    f.add("Content-Length 0 and no body, Content-Type set (valid)", expect="any")
    for n in (1, 100, 10000, 49152, 60000, 70000):
        body = b"v=0\r\n" + b"a=x\r\n" * ((n - 5) // 5 + 1)
        with_cl("a body of %d bytes, Content-Length true" % len(body), str(len(body)).encode(), "reject", body)
    for i in range(20):
        v = f.rng.choice((f.rng.randrange(0, blen * 3), -f.rng.randrange(1, 1 << 40), f.rng.randrange(1 << 31, 1 << 63)))
        with_cl("Content-Length %d (random)" % v, str(v).encode(), "any")


def fam_content_type(f):
    def with_ct(desc, value, expect="reject"):
        m = f.new()
        m.set_header(b"Content-Type", value)
        f.add(desc, expect=expect)

    with_ct("no Content-Type with an SDP body", None, "any")
    for v in (b"", b" ", b"application", b"application/", b"/sdp", b"/", b"application//sdp", b"application/sdp/x",
              b"application sdp", b"application/sd p", b"application/sdp;", b"application/sdp;charset",
              b"application/sdp;charset=", b"application/sdp;=x", b"application/sdp;;;", b'application/sdp;a="b',
              b"application/sdp, text/plain", b"app\x00lication/sdp", b"application/sdp\x00", b"\xff/\xfe",
              b"application/(sdp)", b"appl@cation/sdp", b"*/*", b"application/*", b"%s/%n"):
        with_ct("Content-Type %r" % v, v)
    for v in (b"text/plain", b"APPLICATION/SDP", b"application/sdp;charset=utf-8", b"application/x-unknown",
              b"multipart/mixed;boundary=x", b"message/sipfrag", b"application/sdp ; a = b"):
        with_ct("Content-Type %r (syntax valid)" % v, v, "any")
    for n in LONG:
        with_ct("Content-Type subtype of %d bytes" % n, b"application/" + b"s" * n)
        with_ct("Content-Type of %d parameters" % (n // 4), b"application/sdp" + b";p" * (n // 4))
    m = f.new()
    m.headers.append(b"Content-Type: text/plain")
    f.add("two Content-Type headers", expect="400")
    m = f.new()
    m.headers.append(b"c: application/sdp")
    f.add("Content-Type twice, long and compact forms", expect="reject")


def fam_sdp(f):
    """SDP bodies broken in one field; the SIP part stays valid. A proxy need not read SDP."""
    def with_lines(desc, lines, expect="any"):
        m = f.new()
        m.body = join_sdp(lines)
        f.add(desc, expect=expect)

    def replace(prefix, new):
        out = []
        for l in sdp_lines():
            if l.startswith(prefix):
                if new is not None:
                    out.extend(new if isinstance(new, list) else [new])
            else:
                out.append(l)
        return out

    for v in (b"v=1", b"v=", b"v=abc", b"v=-1", b"v=99999999999999999999", b"v=0 0", b"V=0", b"v 0", b"=0",
              b"v=\x00"):
        with_lines("SDP %r" % v, replace(b"v=", v))
    with_lines("SDP without v=", replace(b"v=", None))
    with_lines("SDP with v= last", replace(b"v=", None) + [b"v=0"])
    for o in (b"o=", b"o=alice", b"o=alice 1 1 IN IP4", b"o=alice x y IN IP4 127.0.0.1", b"o=alice -1 -1 IN IP4 1.2.3.4",
              b"o=alice 99999999999999999999999 1 IN IP4 1.2.3.4", b"o=alice 1 1 XX IP4 1.2.3.4",
              b"o=alice 1 1 IN IP9 1.2.3.4", b"o=alice 1 1 IN IP4 999.999.999.999", b"o=alice 1 1 IN IP6 1.2.3.4",
              b"o=" + b"a" * 5000 + b" 1 1 IN IP4 1.2.3.4", b"o=alice 1 1 IN IP4 " + b"h" * 5000,
              b"o=\x00 1 1 IN IP4 1.2.3.4", b"o=alice  1  1  IN  IP4  1.2.3.4"):
        with_lines("SDP %r" % o[:50], replace(b"o=", o))
    for c in (b"c=", b"c=IN", b"c=IN IP4", b"c=IN IP4 999.1.1.1", b"c=IN IP4 1.2.3", b"c=IN IP4 ::1",
              b"c=IN IP6 1.2.3.4", b"c=IN IP6 [::1]", b"c=IN IP6 ::1::2", b"c=IN IP4 224.2.1.1/", b"c=IN IP4 224.2.1.1/abc",
              b"c=IN IP4 224.2.1.1/127/99999999999", b"c=IN IP4 1.2.3.4/-1", b"c=XX IP4 1.2.3.4", b"c=IN IP4 " + b"h" * 9000,
              b"c=IN IP4 0.0.0.0", b"c=IN IP4 255.255.255.255", b"c=IN IP4 1.2.3.4 extra", b"c=IN IP4 %n%n"):
        with_lines("SDP %r" % c[:50], replace(b"c=", c))
    for mline in (b"m=audio 99999999 RTP/AVP 0", b"m=audio 65536 RTP/AVP 0", b"m=audio -1 RTP/AVP 0",
                  b"m=audio abc RTP/AVP 0", b"m=audio 49170/0 RTP/AVP 0", b"m=audio 49170/99999999 RTP/AVP 0",
                  b"m=audio 49170/ RTP/AVP 0", b"m=audio 49170", b"m=audio 49170 RTP/AVP", b"m=audio",
                  b"m=", b"m=audio 49170 RTP/AVP x y z", b"m=audio 49170 RTP/AVP 999999999999",
                  b"m=audio 49170 RTP/AVP " + b" ".join(b"%d" % i for i in range(2000)),
                  b"m=" + b"x" * 9000 + b" 1 RTP/AVP 0", b"m=audio 49170 " + b"P" * 9000 + b" 0",
                  b"m=audio 4294967296 RTP/AVP 0", b"m=audio 0 RTP/AVP 0"):
        with_lines("SDP %r" % mline[:50], replace(b"m=", mline))
    for n in (1000, 8000, 30000, 48000, 65000, 100000):
        with_lines("SDP a= line of %d bytes" % n, sdp_lines() + [b"a=" + b"x" * n])
        with_lines("SDP a=rtpmap of %d bytes" % n, sdp_lines() + [b"a=rtpmap:0 " + b"P" * n + b"/8000"])
    for n in (17, 100, 1000, 3000, 10000):
        with_lines("SDP with %d m= lines" % n, sdp_lines() + [b"m=audio %d RTP/AVP 0" % (2000 + 2 * i)
                                                              for i in range(n)], "reject" if n > 100 else "any")
    for n in (257, 600, 5000, 10000):
        with_lines("SDP with %d a= lines" % n, sdp_lines() + [b"a=x%d" % i for i in range(n)],
                   "reject" if n > 5000 else "any")
    for bad in (b"", b"x", b"=", b"a", b"zz=top", b"t=abc def", b"t=-1 -1", b"t=99999999999999999999 0",
                b"s=", b"a=rtpmap:", b"a=rtpmap:0", b"a=rtpmap:x PCMU/8000", b"a=rtpmap:0 PCMU/-1",
                b"a=fmtp:", b"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:", b"a=crypto:x y z",
                b"a=fingerprint:sha-256 ZZ", b"a=candidate:", b"a=ice-ufrag:", b"a=\x00", b"b=AS:-1",
                b"b=AS:99999999999999999999", b"k=prompt", b"r=", b"z=", b"i=%s%s%s%n", b"a=%n%n%n%n%n%n"):
        with_lines("SDP extra line %r" % bad[:40], sdp_lines() + [bad])
    m = f.new()
    m.body = join_sdp(sdp_lines()).replace(b"\r\n", b"\n")
    f.add("SDP with bare LF line ends", expect="any")
    m = f.new()
    m.body = join_sdp(sdp_lines()).replace(b"\r\n", b"\r")
    f.add("SDP with bare CR line ends", expect="any")
    m = f.new()
    m.body = join_sdp(sdp_lines())[:-2]
    f.add("SDP without the last CRLF", expect="any")
    m = f.new()
    m.body = join_sdp(sdp_lines()) + b"\x00" * 100
    f.add("SDP followed by 100 NUL bytes", expect="any")
    for i in range(40):
        body = bytearray(join_sdp(sdp_lines()))
        for _ in range(f.rng.randint(1, 8)):
            body[f.rng.randrange(len(body))] = f.rng.randrange(256)
        m = f.new()
        m.body = bytes(body)
        f.add("SDP with random bytes replaced", expect="any")


def fam_overflow(f):
    """The header section: one huge header, very many headers, deep folding, broken lines."""
    def with_extra(desc, lines, expect="reject"):
        m = f.new()
        m.headers[5:5] = lines  # after CSeq, before Contact
        f.add(desc, expect=expect)

    for n in (8190, 8200, 16400, 50000, 60000, 102400, 1048576):
        with_extra("one X-Big header of %d bytes" % n, [b"X-Big: " + b"A" * n])
    with_extra("a Subject of 100 KiB", [b"Subject: " + b"S" * 102400])
    with_extra("a Contact of 100 KiB", [b"Contact: <sip:" + b"c" * 102400 + b"@127.0.0.1>"])
    for n in (129, 500, 2000, 10000, 12000, 30000):
        with_extra("%d X-H headers" % n, [b"X-H%d: v" % i for i in range(n)])
    for n in (5000, 10000, 13000):
        with_extra("%d shortest headers (a:b)" % n, [b"a:b"] * n)
    for n in (33, 200, 1000):
        with_extra("%d Route headers" % n, [b"Route: <sip:10.0.0.%d;lr>" % (i & 255) for i in range(n)])
        with_extra("%d Contact values" % n, [b"Contact: " + b", ".join(b"<sip:c%d@127.0.0.1>" % i for i in range(n))])
    for depth in (10, 100, 1000, 5000, 10000, 30000):
        with_extra("Subject folded over %d lines" % depth, [b"Subject: fold"] + [b" x"] * depth,
                   "any" if depth <= 10 else "reject")
        with_extra("Subject folded over %d tab lines" % depth, [b"Subject: fold"] + [b"\t"] * depth,
                   "any" if depth <= 10 else "reject")
    m = f.new()
    m.headers[0] = b"Via: SIP/2.0/" + f.transport + b" 127.0.0.1:5060" + b"\r\n ;branch=" + m.branch + b"\r\n\t;rport"
    f.add("Via folded over three lines (valid)", expect="any")
    for name_len in (100, 8200, 60000):
        with_extra("header name of %d bytes" % name_len, [b"X" * name_len + b": v"])
    for line in (b"NoColonHere", b": no name", b":", b" leading-space: v", b"X-A : v", b"X A: v", b"X-A\x00: v",
                 b"X-\xff: v", b"X-A:\x00", b"X-A:\x7f", b"X-A: a\rb", b"X-A: a\nb", b"\t", b" ", b"\x00",
                 b"X-A: " + b"\x00" * 1000, b"Max-Forwards: 99999999999", b"Max-Forwards: -1", b"Max-Forwards:",
                 b"Expires: 99999999999999", b"Require: " + b"x," * 3000, b"Proxy-Require: foo"):
        with_extra("header line %r" % line[:30], [line], "reject")
    m = f.new()
    m.headers.append(b"")
    f.add("an empty line inside the header section", expect="reject")
    m = f.new()
    f.add("CRLF CRLF before the request line", data=b"\r\n\r\n" + m.build(), expect="any")
    m = f.new()
    f.add("bare LF line ends everywhere", data=m.build().replace(b"\r\n", b"\n"), expect="400")
    m = f.new()
    f.add("bare CR line ends everywhere", data=m.build().replace(b"\r\n", b"\r"), expect="reject")
    m = f.new()
    raw = m.build()
    f.add("the message twice in one datagram/segment", data=raw + raw, expect="any")


def fam_format(f):
    """Format-string, injection and escaping payloads in every field a server might log."""
    for p in FORMAT_PAYLOADS:
        m = f.new()
        m.uri = b"sip:" + p.replace(b" ", b"") + b"@" + DOMAIN
        f.add("user part %r" % p[:20], expect="any")
        m = f.new()
        m.set_header(b"From", b'"' + p.replace(b'"', b"'").replace(b"\\", b"/") + b'" <sip:alice@foreign.test>;tag=f1')
        f.add("From display name %r" % p[:20], expect="any")
        m = f.new()
        m.set_header(b"User-Agent", p)
        f.add("User-Agent %r" % p[:20], expect="any")
        m = f.new()
        m.set_header(b"Subject", p)
        f.add("Subject %r" % p[:20], expect="any")
        m = f.new()
        m.headers.append(b"X-" + p.replace(b" ", b"").replace(b":", b"") + b": v")
        f.add("header name %r" % p[:20], expect="reject")
        m = f.new()
        m.method = p.replace(b" ", b"")
        f.add("method %r" % p[:20], expect="reject")
        m = f.new()
        c = p.replace(b" ", b"")
        m.set_header(b"Call-ID", c)
        m.call_id = c
        f.add("Call-ID %r" % p[:20], expect="any", call_id=False)
        m = f.new()
        m.body = join_sdp([l if not l.startswith(b"s=") else b"s=" + p for l in sdp_lines()])
        f.add("SDP s= %r" % p[:20], expect="any")
        m = f.new()
        m.set_header(b"Via", b"SIP/2.0/" + f.transport + b" 127.0.0.1:5060;branch=" + m.branch + b";rport;x=" +
                     p.replace(b" ", b"").replace(b",", b"").replace(b";", b""))
        f.add("Via parameter %r" % p[:20], expect="any")


def fam_garbage(f):
    """Bytes that are not SIP, and the valid INVITE cut short or bit-flipped."""
    r = f.rng
    for n in (0, 1, 2, 4, 16, 100, 1000, 10000, 65000, 65507, 70000, 200000):
        m = f.new()
        f.add("%d random bytes" % n, data=f.rand_bytes(n), expect="reject", answerable=False)
    for n in (1, 10, 1000, 60000):
        f.new()
        f.add("%d NUL bytes" % n, data=b"\x00" * n, expect="reject", answerable=False)
        f.add("%d 0xff bytes" % n, data=b"\xff" * n, expect="reject", answerable=False)
        f.add("%d CRLFs" % n, data=b"\r\n" * n, expect="reject", answerable=False)
    for data in (b"\r\n\r\n", b"\r\n", b" ", b"INVITE", b"INVITE sip:bob@warden.test SIP/2.0",
                 b"INVITE sip:bob@warden.test SIP/2.0\r\n", b"INVITE sip:bob@warden.test SIP/2.0\r\n\r\n",
                 b"SIP/2.0 200 OK\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"\x16\x03\x01\x00\x05hello",
                 b"\x00\x01\x00\x00\x21\x12\xa4\x42abcdefghijkl", b"\x80\x00\x00\x01" + b"\x00" * 12):
        f.new()
        f.add("%r" % data[:40], data=data, expect="reject", answerable=False)
    for i in range(120):
        m = f.new()
        raw = m.build()
        cut = r.randrange(1, len(raw))
        head_end = raw.index(b"\r\n\r\n")
        # A cut inside the header section leaves nothing a server can answer reliably; a cut in
        # the body leaves a Content-Length larger than the body (§18.3: 400 over UDP).
        intact = cut > head_end + 4
        f.add("the INVITE cut after %d of %d bytes" % (cut, len(raw)), data=raw[:cut],
              expect="reject", via=intact, call_id=intact, cseq=intact, answerable=intact)
    for i in range(150):
        m = f.new()
        raw = bytearray(m.build())
        flips = r.choice((1, 1, 2, 4, 16))
        for _ in range(flips):
            pos = r.randrange(len(raw))
            raw[pos] ^= 1 << r.randrange(8)
        f.add("the INVITE with %d bit flips" % flips, data=bytes(raw), expect="any", via=False, call_id=False,
              cseq=False, answerable=False)
    for i in range(80):
        m = f.new()
        raw = bytearray(m.build())
        at = r.randrange(len(raw))
        junk = f.rand_bytes(r.choice((1, 8, 64, 512)))
        f.add("the INVITE with %d random bytes inserted at %d" % (len(junk), at), data=bytes(raw[:at] + junk + raw[at:]),
              expect="any", via=False, call_id=False, cseq=False, answerable=False)
    for i in range(40):
        m = f.new()
        lines = m.build().split(b"\r\n")
        head = lines[1:lines.index(b"")]
        r.shuffle(head)
        data = b"\r\n".join([lines[0]] + head + [b""]) + b"\r\n" + m.body
        f.add("the INVITE with its headers shuffled (valid)", data=data, expect="any")


BUILDERS = {
    "method": fam_method, "uri": fam_uri, "version": fam_version, "via": fam_via, "display": fam_display,
    "callid_cseq": fam_callid_cseq, "content_length": fam_content_length, "content_type": fam_content_type,
    "sdp": fam_sdp, "overflow": fam_overflow, "format": fam_format, "garbage": fam_garbage,
}


def cases(seed=5, transport="udp", tag="", families=FAMILIES):
    """Every case of the given families, in family order. transport: "udp" or "tcp" (the Via's
    transport token and the branch/Call-ID, so that the two runs never share a transaction)."""
    t = transport.upper().encode()
    for name in families:
        fam = Family(name, seed, t, tag)
        BUILDERS[name](fam)
        for c in fam.cases:
            yield c


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--transport", choices=("udp", "tcp"), default="udp")
    p.add_argument("--tag", default="", help="prefix of every branch and Call-ID (keeps runs apart)")
    p.add_argument("--family", action="append", choices=FAMILIES, help="only these families (repeatable)")
    p.add_argument("--out", help="write DIR/<family>/<id>.sip and DIR/index.jsonl")
    p.add_argument("--jsonl", help="stream one JSON object per case to FILE ('-' for stdout)")
    p.add_argument("--summary", action="store_true", help="print cases per family")
    a = p.parse_args(argv)
    fams = tuple(a.family) if a.family else FAMILIES
    counts = {}
    out = None
    if a.jsonl:
        out = sys.stdout if a.jsonl == "-" else open(a.jsonl, "w")
    index = None
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        index = open(os.path.join(a.out, "index.jsonl"), "w")
    for c in cases(a.seed, a.transport, a.tag, fams):
        counts[c.family] = counts.get(c.family, 0) + 1
        if out:
            out.write(json.dumps(c.to_json()) + "\n")
        if index:
            d = os.path.join(a.out, c.family)
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, c.id + ".sip"), "wb") as fh:
                fh.write(c.data)
            meta = c.to_json()
            del meta["data"]
            meta["file"] = "%s/%s.sip" % (c.family, c.id)
            index.write(json.dumps(meta) + "\n")
    if out and out is not sys.stdout:
        out.close()
    if index:
        index.close()
    if a.summary or not (a.out or a.jsonl):
        for name in fams:
            print("%-15s %5d" % (name, counts.get(name, 0)))
        print("%-15s %5d" % ("total", sum(counts.values())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
