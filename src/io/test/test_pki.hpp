#pragma once
// A throw-away PKI for the TLS tests, made with OpenSSL 3 in a fresh temporary folder:
// a CA, a server certificate for DNS:warden.test and IP:127.0.0.1, a client certificate, and
// an unrelated second CA (for "unknown issuer" tests). All keys are ECDSA P-256.

#include <string>

namespace warden::io::test {

struct TestPki {
  std::string dir;
  std::string ca_cert;
  std::string server_cert, server_key;
  std::string client_cert, client_key;
  std::string other_ca_cert;
};

// Aborts the test (via a fatal gtest assertion in the caller) if the returned dir is empty.
TestPki make_test_pki();
void remove_test_pki(const TestPki& pki);

}  // namespace warden::io::test
