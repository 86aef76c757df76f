#include "io/tls_context.hpp"

#include <openssl/ssl.h>

#include "base/error.hpp"

namespace warden::io {

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
