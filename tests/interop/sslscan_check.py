#!/usr/bin/python3
"""Checks an sslscan XML report (sslscan --xml=FILE) against Warden's TLS policy: SSLv2, SSLv3,
TLS 1.0 and 1.1 refused; TLS 1.2 and 1.3 accepted; every accepted suite a TLS 1.3 suite or, for
TLS 1.2, ECDHE with AES-GCM or ChaCha20-Poly1305; at least one suite of each version; no key
exchange group other than X25519, P-256, P-384; no insecure renegotiation, compression or
Heartbleed. Prints one line per finding ("FAIL: ..." on stderr for a violation); exit 0 when the
report complies, 1 otherwise.

Usage: sslscan_check.py REPORT.xml. Used by sslscan_test.sh (warden proxy's TLS listener) and
src/io/test/https_certificate_test.cpp (io::CertificateServer).
"""
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
tests = root.findall("ssltest")
failed = False
def fail(msg):
    global failed
    failed = True
    print("FAIL: " + msg, file=sys.stderr)
def ok(msg):
    print("ok: " + msg)

if len(tests) != 1:
    fail(f"expected one <ssltest> in the report, found {len(tests)} (could sslscan connect?)")
    sys.exit(1)
t = tests[0]

want = {("ssl", "2"): "0", ("ssl", "3"): "0", ("tls", "1.0"): "0", ("tls", "1.1"): "0",
        ("tls", "1.2"): "1", ("tls", "1.3"): "1"}
seen = {(p.get("type"), p.get("version")): p.get("enabled") for p in t.findall("protocol")}
for key, enabled in want.items():
    name = f"{key[0].upper()}v{key[1]}"
    if seen.get(key) is None:
        fail(f"{name}: not in the report")
    elif seen[key] != enabled:
        fail(f"{name}: enabled={seen[key]}, expected {enabled}")
    else:
        ok(f"{name} {'accepted' if enabled == '1' else 'refused'}")

tls13 = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}
counts = {"TLSv1.3": 0, "TLSv1.2": 0}
for c in t.findall("cipher"):
    if c.get("status") not in ("accepted", "preferred"):
        continue
    version, name = c.get("sslversion"), c.get("cipher")
    if version == "TLSv1.3" and name in tls13:
        counts[version] += 1
    elif (version == "TLSv1.2" and name.startswith("ECDHE-")
          and (name.endswith("-GCM-SHA256") or name.endswith("-GCM-SHA384") or name.endswith("-CHACHA20-POLY1305"))):
        counts[version] += 1
    else:
        fail(f"accepted suite that is not ECDHE/TLS 1.3 + AEAD: {version} {name}")
    print(f"   {version} {name} ({c.get('status')}, curve {c.get('curve')})")
for version, n in counts.items():
    if n == 0:
        fail(f"no {version} suite accepted")
    else:
        ok(f"{n} forward-secret AEAD suites accepted with {version}")

allowed_groups = ("x25519", "P-256", "P-384")
for g in t.findall("group"):
    if not any(a in g.get("name", "") for a in allowed_groups):
        fail(f"key exchange group offered: {g.get('sslversion')} {g.get('name')}")
ok("key exchange groups: " + ", ".join(sorted({g.get('name') for g in t.findall('group')})))

for r in t.findall("renegotiation"):
    if r.get("supported") == "1" and r.get("secure") != "1":
        fail("insecure renegotiation supported")
for c in t.findall("compression"):
    if c.get("supported") == "1":
        fail("TLS compression supported")
for h in t.findall("heartbleed"):
    if h.get("vulnerable") == "1":
        fail(f"Heartbleed with {h.get('sslversion')}")
sys.exit(1 if failed else 0)
