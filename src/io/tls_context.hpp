#pragma once
// TlsOptions and the OpenSSL 3 context built from them for SIP over TLS (RFC 3261 §26.3.1,
// RFC 5922 for certificate identity). TLS 1.2 is the minimum; renegotiation and compression are
// off. Offered suites, both roles: TLS 1.3's three AEAD suites, and for TLS 1.2 only ECDHE
// (forward secret) with AES-GCM or ChaCha20-Poly1305 (ECDSA and RSA certificates); key exchange
// groups X25519, P-256, P-384 (tests/interop/sslscan_test.sh checks what a server offers).
// A client verifies the server's chain and its name by default (set per connection by
// StreamTransport: SNI + SSL_set1_host, or the IP address). A server may require and verify a
// client certificate (mutual TLS), or only ask for one (RFC 5922 §7.4: a peer proxy proves its
// domain, anyone else still connects); a client presents its certificate when it has one.
// What a verified certificate vouches for is read by certificate_domain_names() (RFC 5922 §7.1);
// StreamTransport hands it to the sink as runtime::InboundMessage::peer_names.
// Errors: make_tls_context() returns OpenSSL's error (asio's ssl category) for an unreadable or
// mismatching certificate, key or CA file, and base::Errc::Config for a server without a
// certificate. Thread-safety: the context is immutable once built and shared by connections.

#include <asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"

struct x509_st;  // OpenSSL's X509
struct ssl_st;   // OpenSSL's SSL

namespace warden::io {

struct TlsOptions {
  std::string certificate_file;  // PEM chain, leaf first: required for a server, for a client only with mutual TLS
  std::string private_key_file;  // PEM key of the certificate
  std::string ca_file;           // PEM trust anchors for the peer; empty: the system store
  bool verify_peer = true;       // client: verify the server (turn off only in tests)
  bool require_client_certificate = false;  // server: mutual TLS, verified against ca_file
  // Server: ask the client for a certificate and verify it against ca_file (empty: the system
  // store), but let a client without one connect; a certificate that does not verify fails the
  // handshake. require_client_certificate wins when both are set.
  bool request_client_certificate = false;
};

enum class TlsRole : std::uint8_t { Server, Client };

base::Result<std::shared_ptr<asio::ssl::context>> make_tls_context(const TlsOptions& options, TlsRole role);

// The suites every context offers, in OpenSSL's list syntax (NUL-terminated), for other TLS
// users of io/ (HttpsCertificateSource hands them to libcurl).
const char* tls12_cipher_list() noexcept;
const char* tls13_cipher_suites() noexcept;

// The SIP domain identities a certificate vouches for (RFC 5922 §7.1), lower case, each once:
// its DNS subjectAltNames and the hosts of its "sip:host" URI subjectAltNames (no user part);
// only when there is none of those, its subject's (last) commonName. Wildcard names and values
// that are not DNS names (bytes other than letters, digits, '-' and '.', over 253 octets) are
// skipped; at most 32 names are kept. Does not verify anything: see verified_peer_names().
std::vector<std::string> certificate_domain_names(x509_st* certificate);

// After a completed handshake: certificate_domain_names() of the certificate the peer presented,
// when this side asked for verification (SSL_VERIFY_PEER) and it verified (X509_V_OK); else
// empty (no certificate, or verification off).
std::vector<std::string> verified_peer_names(ssl_st* ssl);

}  // namespace warden::io
