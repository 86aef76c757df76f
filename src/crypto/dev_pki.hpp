#pragma once
// The development PKI: a local certificate authority and one server certificate it signs, kept
// in a folder (the data folder) so that TLS works out of the box on a machine nobody set up.
// Not for production: the CA key lies next to the certificates, unencrypted (mode 0600).
//
//   ca.pem / ca.key          "Warden development CA", ECDSA P-256, 10 years,
//                            basicConstraints CA:TRUE (critical), keyUsage keyCertSign + cRLSign
//   server.pem / server.key  ECDSA P-256, 825 days, signed by the CA; subjectAltName = every
//                            requested name (DNS for names, IP for address literals) plus
//                            localhost, 127.0.0.1 and ::1; extendedKeyUsage serverAuth + clientAuth
//
// ensure_dev_pki() creates what is missing and reuses what is there. It re-issues the server
// certificate (with a new key) when a requested name is not in it, when it expires within 30
// days, or when it is unreadable or not signed by the CA; it never replaces an existing CA.
// Files are replaced atomically (written aside, then renamed); keys get mode 0600.
//
// Errors (base::Errc), with a one-line message in `error`:
//   InvalidArgument  a name is neither a DNS name nor an IP address literal
//   Io               the folder or a file cannot be created, read or written; only one of
//                    ca.pem and ca.key exists
//   Crypto           OpenSSL failed, or ca.pem / ca.key are not a usable CA and key pair
// Thread-safety: none across processes or threads working on the same folder.

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace warden::crypto {

struct DevPki {
  std::filesystem::path ca_certificate;      // dir/ca.pem
  std::filesystem::path ca_key;              // dir/ca.key
  std::filesystem::path server_certificate;  // dir/server.pem
  std::filesystem::path server_key;          // dir/server.key
  bool created_ca = false;                   // this call made a new CA
  bool issued_server_certificate = false;    // this call (re-)issued the server certificate
};

// Names: DNS names ("sip.example.test") and IP literals ("192.0.2.1", "2001:db8::1", "[::1]").
base::Result<DevPki> ensure_dev_pki(const std::filesystem::path& dir, const std::vector<std::string>& names,
                                    std::string& error);
// As above, with the moment to treat as now (tests: certificates near their end of life).
base::Result<DevPki> ensure_dev_pki(const std::filesystem::path& dir, const std::vector<std::string>& names,
                                    std::string& error, std::chrono::system_clock::time_point now);
// As above, without the message.
base::Result<DevPki> ensure_dev_pki(const std::filesystem::path& dir, const std::vector<std::string>& names);

}  // namespace warden::crypto
