#!/usr/bin/env python3
"""Reads what a SIPp victim sent and received (its -trace_msg log) and prints the values an
attacker scenario (tests/attack/scenarios/attacker_*.xml) needs, one name=value line each, the
names prefixed a_ (a_via, a_from ...): the test hands them to SIPp as -key name value, the
Call-ID (a_cid) as -cid_str. Python 3
standard library only.

  sipp_trace.py wait LOG REGEX SECONDS   until a message in LOG matches REGEX (exit 1 on timeout)
  sipp_trace.py cancel LOG               the last INVITE sent: ruri, via, from, to, cseq, cid
  sipp_trace.py bye LOG                  the dialog of the last 200 to an INVITE received: ruri
                                         (its Contact), route (its Record-Route, reversed), from, to, cid
  sipp_trace.py replay LOG [VIA CONTACT] the last REGISTER sent with Authorization: ruri, via,
                                         from, to, cseq, contact, auth, cid; with VIA and CONTACT
                                         given: those instead, and the CSeq plus one
SIPp's log separates messages with a line of dashes and a "UDP message sent/received" line.
"""
import re
import sys
import time


def messages(path):
    """(direction, text) for every message of a SIPp -trace_msg log, oldest first."""
    try:
        data = open(path, encoding="latin-1").read()
    except FileNotFoundError:
        return []
    out = []
    for block in re.split(r"^-{20,}.*$", data, flags=re.M):
        m = re.search(r"message (sent|received)[^\n]*\n", block)
        if not m:
            continue
        text = block[m.end():].lstrip("\r\n")
        if text.strip():
            out.append((m.group(1), text.replace("\r\n", "\n")))
    return out


def header(text, name, compact=None, all_=False):
    head = text.split("\n\n", 1)[0]
    names = {name.lower()} | ({compact.lower()} if compact else set())
    found = []
    for line in head.split("\n")[1:]:
        k, sep, v = line.partition(":")
        if sep and k.strip().lower() in names:
            found.append(v.strip())
    if all_:
        return found
    if not found:
        raise SystemExit(f"no {name} header in:\n{text}")
    return found[0]


def first_line(text):
    return text.split("\n", 1)[0].strip()


def last(msgs, direction, pred):
    for d, t in reversed(msgs):
        if d == direction and pred(t):
            return t
    raise SystemExit(f"no matching message {direction} in the trace")


def uri_of(name_addr):
    m = re.search(r"<([^>]*)>", name_addr)
    return m.group(1) if m else name_addr.split(";", 1)[0].strip()


def emit(pairs):
    """name=value lines; the test passes each to SIPp as -key name value ([name] in the scenario).
    SIPp's injection files split fields on ';' with no escape, and Via, From and To hold ';'."""
    for k, v in pairs:
        if "\n" in v:
            raise SystemExit(f"{k}: a value with a line break")
        print(f"{k}={v}")


def main():
    cmd = sys.argv[1]
    if cmd == "wait":
        path, rx, secs = sys.argv[2], re.compile(sys.argv[3], re.M), float(sys.argv[4])
        end = time.time() + secs
        while time.time() < end:
            if any(rx.search(t) for _, t in messages(path)):
                return 0
            time.sleep(0.05)
        return 1
    msgs = messages(sys.argv[2])
    if cmd == "cancel":
        inv = last(msgs, "sent", lambda t: t.startswith("INVITE "))
        pairs = [("a_ruri", first_line(inv).split()[1]), ("a_via", header(inv, "Via", "v")),
                 ("a_from", header(inv, "From", "f")), ("a_to", header(inv, "To", "t")),
                 ("a_cseq", header(inv, "CSeq").split()[0]), ("a_cid", header(inv, "Call-ID", "i"))]
    elif cmd == "bye":
        ok = last(msgs, "received", lambda t: t.startswith("SIP/2.0 200") and "INVITE" in header(t, "CSeq"))
        rr = header(ok, "Record-Route", all_=True)
        pairs = [("a_ruri", uri_of(header(ok, "Contact", "m"))), ("a_route", ", ".join(reversed(rr))),
                 ("a_from", header(ok, "From", "f")), ("a_to", header(ok, "To", "t")), ("a_cid", header(ok, "Call-ID", "i"))]
    elif cmd == "replay":
        reg = last(msgs, "sent", lambda t: t.startswith("REGISTER ") and header(t, "Authorization", all_=True))
        cseq = int(header(reg, "CSeq").split()[0])
        via, contact = header(reg, "Via", "v"), header(reg, "Contact", "m")
        if len(sys.argv) > 4:
            via, contact, cseq = sys.argv[3], sys.argv[4], cseq + 1
        pairs = [("a_ruri", first_line(reg).split()[1]), ("a_via", via), ("a_from", header(reg, "From", "f")),
                 ("a_to", header(reg, "To", "t")), ("a_cseq", str(cseq)), ("a_contact", contact),
                 ("a_auth", header(reg, "Authorization")), ("a_cid", header(reg, "Call-ID", "i"))]
    else:
        raise SystemExit(f"unknown command {cmd}")
    emit(pairs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
