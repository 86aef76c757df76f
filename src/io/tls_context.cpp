#include "io/tls_context.hpp"

#include <openssl/ssl.h>

#include "base/error.hpp"

namespace warden::io {

namespace {

// TLS 1.2 suites: ephemeral ECDH key exchange (forward secrecy) with an AEAD cipher only; no RSA
// key transport, no finite-field DHE, no CBC. ECDSA first (our certificates are P-256), then RSA
// for peers with RSA certificates.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305";
// TLS 1.3 suites (all AEAD, all forward secret): OpenSSL's defaults, named so that they stay so.
constexpr const char* kTls13Suites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kGroups = "X25519:P-256:P-384";

}  // namespace

const char* tls12_cipher_list() noexcept { return kTls12Ciphers; }
const char* tls13_cipher_suites() noexcept { return kTls13Suites; }

base::Result<std::shared_ptr<asio::ssl::context>> make_tls_context(const TlsOptions& options, TlsRole role) {
  if (role == TlsRole::Server && (options.certificate_file.empty() || options.private_key_file.empty())) {
    return base::Errc::Config;
  }
  std::shared_ptr<asio::ssl::context> ctx;
  try {
    ctx = std::make_shared<asio::ssl::context>(role == TlsRole::Server ? asio::ssl::context::tls_server
                                                                       : asio::ssl::context::tls_client);
  } catch (const std::system_error& e) {
    return e.code();
  }
  SSL_CTX* native = ctx->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) return base::Errc::Crypto;
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1 || SSL_CTX_set_ciphersuites(native, kTls13Suites) != 1 ||
      SSL_CTX_set1_groups_list(native, kGroups) != 1) {
    return base::Errc::Crypto;
  }

  std::error_code ec;
  if (!options.certificate_file.empty()) {
    ctx->use_certificate_chain_file(options.certificate_file, ec);
    if (ec) return ec;
    ctx->use_private_key_file(options.private_key_file, asio::ssl::context::pem, ec);
    if (ec) return ec;
    if (SSL_CTX_check_private_key(native) != 1) return base::Errc::Crypto;
  }
  const bool verify = role == TlsRole::Client ? options.verify_peer : options.require_client_certificate;
  if (verify) {
    if (!options.ca_file.empty()) {
      ctx->load_verify_file(options.ca_file, ec);
    } else if (role == TlsRole::Server) {
      return base::Errc::Config;  // mutual TLS needs the CA that issues client certificates
    } else {
      ctx->set_default_verify_paths(ec);
    }
    if (ec) return ec;
    ctx->set_verify_mode(role == TlsRole::Server
                             ? asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert
                             : asio::ssl::verify_peer,
                         ec);
  } else {
    ctx->set_verify_mode(asio::ssl::verify_none, ec);
  }
  if (ec) return ec;
  return ctx;
}

}  // namespace warden::io
