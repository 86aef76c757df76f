#include "io/tls_context.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <string_view>

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

// Session ID context of a server that verifies clients (OpenSSL refuses to resume a session of
// such a server without one).
constexpr unsigned char kSessionContext[] = "warden-sip";

constexpr std::size_t kMaxPeerNames = 32;
constexpr std::size_t kMaxDnsName = 253;

// A DNS name as a certificate carries it, lower-cased: letters, digits, '-' and '.', no
// wildcard, no empty label at either end. "" when `raw` is not one.
std::string dns_name(std::string_view raw) {
  if (raw.empty() || raw.size() > kMaxDnsName || raw.front() == '.' || raw.back() == '.') return {};
  std::string out;
  out.reserve(raw.size());
  for (const char c : raw) {
    if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.') {
      out.push_back(c);
    } else {
      return {};  // '*', NUL, spaces, anything else
    }
  }
  if (out.find("..") != std::string::npos) return {};
  return out;
}

std::string_view asn1_text(const ASN1_STRING* s) {
  if (s == nullptr || ASN1_STRING_length(s) <= 0) return {};
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(ASN1_STRING_length(s))};
}

void add_name(std::vector<std::string>& names, std::string name) {
  if (name.empty() || names.size() >= kMaxPeerNames) return;
  if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(std::move(name));
}

// The host of a "sip:host" URI with no user part, port or parameters (RFC 5922 §7.1).
std::string sip_uri_host(std::string_view uri) {
  constexpr std::string_view kScheme = "sip:";
  if (uri.size() <= kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = uri[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != kScheme[i]) return {};
  }
  return dns_name(uri.substr(kScheme.size()));  // '@', ':', ';' and '?' make it no DNS name
}

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
  const bool server = role == TlsRole::Server;
  const bool verify = server ? options.require_client_certificate || options.request_client_certificate
                             : options.verify_peer;
  if (verify) {
    if (!options.ca_file.empty()) {
      ctx->load_verify_file(options.ca_file, ec);
    } else if (server && options.require_client_certificate) {
      return base::Errc::Config;  // mutual TLS needs the CA that issues client certificates
    } else {
      ctx->set_default_verify_paths(ec);
    }
    if (ec) return ec;
    if (server && SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1) != 1) {
      return base::Errc::Crypto;
    }
    ctx->set_verify_mode(server && options.require_client_certificate
                             ? asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert
                             : asio::ssl::verify_peer,
                         ec);
  } else {
    ctx->set_verify_mode(asio::ssl::verify_none, ec);
  }
  if (ec) return ec;
  return ctx;
}

std::vector<std::string> certificate_domain_names(x509_st* certificate) {
  std::vector<std::string> names;
  if (certificate == nullptr) return names;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  if (sans != nullptr) {
    const int count = sk_GENERAL_NAME_num(sans);
    for (int i = 0; i < count; ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
      if (gn->type == GEN_DNS) {
        add_name(names, dns_name(asn1_text(gn->d.dNSName)));
      } else if (gn->type == GEN_URI) {
        add_name(names, sip_uri_host(asn1_text(gn->d.uniformResourceIdentifier)));
      }
    }
    GENERAL_NAMES_free(sans);
  }
  if (!names.empty()) return names;
  const X509_NAME* subject = X509_get_subject_name(certificate);
  int last = -1;
  for (int at = -1; (at = X509_NAME_get_index_by_NID(subject, NID_commonName, at)) >= 0;) last = at;
  if (last >= 0) {
    const X509_NAME_ENTRY* cn = X509_NAME_get_entry(subject, last);
    add_name(names, dns_name(asn1_text(X509_NAME_ENTRY_get_data(cn))));
  }
  return names;
}

std::vector<std::string> verified_peer_names(ssl_st* ssl) {
  if (ssl == nullptr || (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) == 0) return {};
  X509* peer = SSL_get0_peer_certificate(ssl);
  if (peer == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return {};
  return certificate_domain_names(peer);
}

}  // namespace warden::io
