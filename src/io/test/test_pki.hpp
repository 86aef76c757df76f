#pragma once
// A throw-away PKI for the TLS tests, made with OpenSSL 3 in a fresh temporary folder:
// a CA, a server certificate for DNS:warden.test and IP:127.0.0.1, a client certificate, and
// an unrelated second CA (for "unknown issuer" tests). All keys are ECDSA P-256.
// For mutual TLS between domains (RFC 5922): a peer certificate for b.test from the CA (SANs
// DNS:b.test, DNS:Edge.B.Test, URI:sip:sip.b.test, DNS:*.b.test, IP:127.0.0.2), one for
// b.test from the other CA (a stranger claiming the name), and one from the CA with no
// subjectAltName at all (CN=cn-only.test).

#include <string>

namespace warden::io::test {

struct TestPki {
  std::string dir;
  std::string ca_cert;
  std::string server_cert, server_key;
  std::string client_cert, client_key;
  std::string other_ca_cert;
  std::string peer_cert, peer_key;          // b.test, from the CA
  std::string stranger_cert, stranger_key;  // b.test, from the other CA
  std::string cn_only_cert, cn_only_key;    // CN=cn-only.test, no subjectAltName, from the CA
};

// Aborts the test (via a fatal gtest assertion in the caller) if the returned dir is empty.
TestPki make_test_pki();
void remove_test_pki(const TestPki& pki);

}  // namespace warden::io::test
