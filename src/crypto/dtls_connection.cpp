#include "crypto/dtls_connection.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <ctime>
#include <mutex>

#include "base/error.hpp"

namespace warden::crypto {
namespace {

constexpr unsigned kMaxRetransmitMicros = 60'000'000;  // RFC 6347 §4.2.4.1: at most 60 s
// DTLS 1.2 with ECDHE and AEAD first; the CBC suites remain for older peers. Our certificate
// is ECDSA, so only ECDSA suites can be served.
// Forward-secret suites only. Our own certificate is ECDSA, so as a server only the ECDSA
// suites apply; as a client we also take a peer with an RSA certificate (baresip's DTLS
// certificate is RSA), whose key is then checked against the signalled fingerprint like any.
constexpr const char* kCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA";

std::string openssl_reason() {
  const unsigned long code = ERR_peek_last_error();
  if (code == 0) return {};
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

const EVP_MD* md_of(CertificateDigest alg) {
  switch (alg) {
    case CertificateDigest::Sha1: return EVP_sha1();
    case CertificateDigest::Sha224: return EVP_sha224();
    case CertificateDigest::Sha256: return EVP_sha256();
    case CertificateDigest::Sha384: return EVP_sha384();
    case CertificateDigest::Sha512: return EVP_sha512();
  }
  return EVP_sha256();
}

const char* openssl_profile_name(std::uint16_t id) {
  switch (id) {
    case 0x0001: return "SRTP_AES128_CM_SHA1_80";
    case 0x0002: return "SRTP_AES128_CM_SHA1_32";
    case 0x0007: return "SRTP_AEAD_AES_128_GCM";
    case 0x0008: return "SRTP_AEAD_AES_256_GCM";
    default: return nullptr;
  }
}

std::vector<std::byte> der_of(X509* cert) {
  const int n = i2d_X509(cert, nullptr);
  if (n <= 0) return {};
  std::vector<std::byte> der(static_cast<std::size_t>(n));
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509(cert, &p);
  return der;
}

}  // namespace

std::string_view describe(DtlsErrc e) noexcept {
  switch (e) {
    case DtlsErrc::Ok: return "ok";
    case DtlsErrc::Setup: return "DTLS context could not be set up";
    case DtlsErrc::PeerRejected: return "peer certificate rejected (does not match the signalled fingerprint)";
    case DtlsErrc::NoPeerCertificate: return "peer presented no certificate";
    case DtlsErrc::NoSrtpProfile: return "no common DTLS-SRTP protection profile";
    case DtlsErrc::Timeout: return "DTLS handshake timed out";
    case DtlsErrc::Handshake: return "DTLS handshake failed";
    case DtlsErrc::PeerClosed: return "DTLS peer closed the association";
    case DtlsErrc::NotConnected: return "DTLS handshake not complete";
  }
  return "unknown DTLS error";
}

const std::error_category& dtls_category() noexcept {
  return base::ErrorCategory<DtlsErrc>::instance("crypto.dtls");
}

std::vector<std::byte> certificate_digest(base::ByteView der, CertificateDigest alg) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (EVP_Digest(der.data(), der.size(), md.data(), &len, md_of(alg), nullptr) != 1) {
    ERR_clear_error();
    return {};
  }
  std::vector<std::byte> out(len);
  std::memcpy(out.data(), md.data(), len);
  return out;
}

// --- DtlsIdentity ----------------------------------------------------------------------------

base::Result<DtlsIdentity> DtlsIdentity::generate(std::string_view common_name, std::chrono::system_clock::time_point now,
                                                  std::chrono::hours validity) {
  DtlsIdentity id;
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) {
    ERR_clear_error();
    return base::Errc::Crypto;
  }
  id.key_ = key;
  X509* cert = X509_new();
  if (cert == nullptr) return base::Errc::Crypto;
  id.certificate_ = cert;

  std::array<unsigned char, 16> serial{};
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  const long back = 24L * 3600;  // a day back: peers' clocks drift (nobody checks it anyway)
  const long ahead = static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(validity).count());
  X509_NAME* name = X509_get_subject_name(cert);
  bool ok = RAND_bytes(serial.data(), static_cast<int>(serial.size())) == 1;
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = ok ? BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr) : nullptr;
  ok = bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != nullptr;
  BN_free(bn);
  ok = ok && X509_set_version(cert, X509_VERSION_3) == 1 &&
       X509_time_adj_ex(X509_getm_notBefore(cert), 0, -back, &t) != nullptr &&
       X509_time_adj_ex(X509_getm_notAfter(cert), 0, ahead, &t) != nullptr &&
       common_name.size() < INT_MAX &&
       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(common_name.data()),
                                  static_cast<int>(common_name.size()), -1, 0) == 1 &&
       X509_set_issuer_name(cert, name) == 1 && X509_set_pubkey(cert, key) == 1 &&
       X509_sign(cert, key, EVP_sha256()) > 0;
  if (ok) id.der_ = der_of(cert);
  if (!ok || id.der_.empty()) {
    ERR_clear_error();
    return base::Errc::Crypto;
  }
  return id;
}

DtlsIdentity::DtlsIdentity(DtlsIdentity&& o) noexcept
    : certificate_(std::exchange(o.certificate_, nullptr)), key_(std::exchange(o.key_, nullptr)), der_(std::move(o.der_)) {}

DtlsIdentity& DtlsIdentity::operator=(DtlsIdentity&& o) noexcept {
  std::swap(certificate_, o.certificate_);
  std::swap(key_, o.key_);
  std::swap(der_, o.der_);
  return *this;
}

DtlsIdentity::~DtlsIdentity() {
  X509_free(static_cast<X509*>(certificate_));
  EVP_PKEY_free(static_cast<EVP_PKEY*>(key_));
}

// --- DtlsConnection --------------------------------------------------------------------------

struct DtlsConnection::Impl {
  DtlsConfig config;
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  State state = State::Handshaking;
  std::error_code error;
  std::string reason;
  bool peer_rejected = false;
  bool started = false;
  std::vector<std::byte> inbound;  // the datagram being fed, read once by the BIO
  bool has_inbound = false;
  std::vector<std::vector<std::byte>> outbox;
  std::optional<base::TimePoint> deadline;
  std::uint64_t dropped = 0;
  std::uint64_t retransmissions = 0;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    SSL_free(ssl);  // frees the BIO too
    SSL_CTX_free(ctx);
  }

  void fail(DtlsErrc e) {
    state = State::Failed;
    error = e;
    if (reason.empty()) reason = openssl_reason();
    deadline.reset();
    ERR_clear_error();
  }

  // After an SSL call returned `r` <= 0: still waiting, or failed, and why.
  void classify(int r) {
    const int e = SSL_get_error(ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
    if (e == SSL_ERROR_ZERO_RETURN) {
      state = State::Closed;
      error = DtlsErrc::PeerClosed;
      deadline.reset();
      return;
    }
    const unsigned long code = ERR_peek_last_error();
    if (peer_rejected) return fail(DtlsErrc::PeerRejected);
    if (ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) == SSL_R_READ_TIMEOUT_EXPIRED)
      return fail(DtlsErrc::Timeout);
    if (ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
      return fail(DtlsErrc::NoPeerCertificate);
    fail(DtlsErrc::Handshake);
  }

  void on_handshake_done() {
    if (SSL_get0_peer_certificate(ssl) == nullptr) return fail(DtlsErrc::NoPeerCertificate);
    if (SSL_get_selected_srtp_profile(ssl) == nullptr) {
      reason = "peer offered or chose no SRTP protection profile we support";
      SSL_shutdown(ssl);  // close_notify: the peer learns we are gone
      return fail(DtlsErrc::NoSrtpProfile);
    }
    state = State::Connected;
  }

  // Runs the handshake or, once connected, reads what the peer sent (retransmitted flights it
  // wants answered, alerts, close_notify). Application data has no use here and is dropped.
  void drive(base::TimePoint now) {
    ERR_clear_error();
    if (state == State::Handshaking) {
      const int r = SSL_do_handshake(ssl);
      if (r == 1)
        on_handshake_done();
      else
        classify(r);
    } else if (state == State::Connected) {
      std::array<unsigned char, 1500> sink{};
      for (int i = 0; i < 64; ++i) {  // bounded: one datagram holds few records
        const int n = SSL_read(ssl, sink.data(), static_cast<int>(sink.size()));
        if (n > 0) continue;
        classify(n);
        break;
      }
    }
    has_inbound = false;
    inbound.clear();
    ERR_clear_error();
    update_deadline(now);
  }

  void update_deadline(base::TimePoint now) {
    deadline.reset();
    if (state != State::Handshaking && state != State::Connected) return;
    timeval tv{};
    if (DTLSv1_get_timeout(ssl, &tv) == 1)
      deadline = now + std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
  }

  // BIO callbacks: the SSL object writes whole datagrams and reads the one being fed.
  static int bio_write(BIO* b, const char* data, int len) {
    BIO_clear_retry_flags(b);
    if (len <= 0) return 0;
    auto* self = static_cast<Impl*>(BIO_get_data(b));
    const auto* p = reinterpret_cast<const std::byte*>(data);
    self->outbox.emplace_back(p, p + len);
    return len;
  }
  static int bio_read(BIO* b, char* out, int len) {
    BIO_clear_retry_flags(b);
    auto* self = static_cast<Impl*>(BIO_get_data(b));
    if (!self->has_inbound || len <= 0) {
      BIO_set_retry_read(b);
      return -1;
    }
    const std::size_t n = std::min(self->inbound.size(), static_cast<std::size_t>(len));  // like a UDP socket
    std::memcpy(out, self->inbound.data(), n);
    self->has_inbound = false;
    return static_cast<int>(n);
  }
  static long bio_ctrl(BIO* b, int cmd, long, void*) {
    switch (cmd) {
      case BIO_CTRL_FLUSH: return 1;
      case BIO_CTRL_DGRAM_QUERY_MTU: return static_cast<long>(static_cast<Impl*>(BIO_get_data(b))->config.mtu);
      default: return 0;  // no pending bytes, no peer address, no MTU overhead, no socket timeouts
    }
  }
  static int bio_create(BIO* b) {
    BIO_set_init(b, 1);
    return 1;
  }
  static int bio_destroy(BIO*) { return 1; }

  static const BIO_METHOD* bio_method() {
    static std::once_flag once;
    static BIO_METHOD* method = nullptr;  // lives as long as the process
    std::call_once(once, [] {
      method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "warden dtls datagrams");
      if (method == nullptr) return;
      BIO_meth_set_write(method, bio_write);
      BIO_meth_set_read(method, bio_read);
      BIO_meth_set_ctrl(method, bio_ctrl);
      BIO_meth_set_create(method, bio_create);
      BIO_meth_set_destroy(method, bio_destroy);
    });
    return method;
  }

  // OpenSSL asks for the next retransmission interval: `previous_us` is 0 when a flight is
  // first sent, else the interval that just expired (a retransmission follows).
  static unsigned timer_cb(SSL* s, unsigned previous_us) {
    auto* self = static_cast<Impl*>(SSL_get_app_data(s));
    if (previous_us == 0) {
      const auto initial = std::chrono::duration_cast<std::chrono::microseconds>(self->config.initial_retransmit).count();
      return static_cast<unsigned>(std::clamp<long long>(initial, 1000, kMaxRetransmitMicros));
    }
    ++self->retransmissions;
    return std::min(previous_us * 2, kMaxRetransmitMicros);
  }

  // Certificate check: only the leaf matters (the fingerprint pins it); self-signed is expected.
  static int verify_cb(int, X509_STORE_CTX* store) {
    auto* s = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* self = s != nullptr ? static_cast<Impl*>(SSL_get_app_data(s)) : nullptr;
    if (self == nullptr) return 0;
    if (X509_STORE_CTX_get_error_depth(store) != 0) return 1;
    X509* cert = X509_STORE_CTX_get_current_cert(store);
    const std::vector<std::byte> der = cert != nullptr ? der_of(cert) : std::vector<std::byte>{};
    if (der.empty() || !self->config.verify_peer(der)) {
      self->peer_rejected = true;
      X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
      return 0;
    }
    X509_STORE_CTX_set_error(store, X509_V_OK);
    return 1;
  }
};

base::Result<DtlsConnection> DtlsConnection::create(const DtlsIdentity& identity, DtlsConfig config) {
  if (!config.verify_peer || config.srtp_profiles.empty() || identity.certificate_ == nullptr || config.mtu < 256 ||
      config.mtu > kMaxDatagramBytes)
    return DtlsErrc::Setup;
  std::string profiles;
  for (std::uint16_t id : config.srtp_profiles) {
    const char* name = openssl_profile_name(id);
    if (name == nullptr) return DtlsErrc::Setup;
    if (!profiles.empty()) profiles.push_back(':');
    profiles.append(name);
  }
  const BIO_METHOD* method = Impl::bio_method();
  if (method == nullptr) return DtlsErrc::Setup;

  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  Impl& m = *impl;
  m.ctx = SSL_CTX_new(DTLS_method());
  bool ok = m.ctx != nullptr && SSL_CTX_set_min_proto_version(m.ctx, DTLS1_2_VERSION) == 1 &&
            SSL_CTX_use_certificate(m.ctx, static_cast<X509*>(identity.certificate_)) == 1 &&
            SSL_CTX_use_PrivateKey(m.ctx, static_cast<EVP_PKEY*>(identity.key_)) == 1 &&
            SSL_CTX_check_private_key(m.ctx) == 1 && SSL_CTX_set_cipher_list(m.ctx, kCiphers) == 1 &&
            SSL_CTX_set_tlsext_use_srtp(m.ctx, profiles.c_str()) == 0;  // 0 is success here
  if (ok) m.ssl = SSL_new(m.ctx);
  BIO* bio = ok && m.ssl != nullptr ? BIO_new(method) : nullptr;
  if (bio == nullptr) {
    m.reason = openssl_reason();
    ERR_clear_error();
    return DtlsErrc::Setup;
  }
  BIO_set_data(bio, &m);
  SSL_set_bio(m.ssl, bio, bio);  // one reference, owned by the SSL from here on
  SSL_set_app_data(m.ssl, &m);
  SSL_set_options(m.ssl, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
  SSL_set_mtu(m.ssl, static_cast<long>(m.config.mtu));
  DTLS_set_timer_cb(m.ssl, &Impl::timer_cb);
  SSL_set_verify(m.ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, &Impl::verify_cb);
  if (m.config.role == DtlsRole::Client)
    SSL_set_connect_state(m.ssl);
  else
    SSL_set_accept_state(m.ssl);
  return DtlsConnection(std::move(impl));
}

DtlsConnection::DtlsConnection(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
DtlsConnection::DtlsConnection(DtlsConnection&&) noexcept = default;
DtlsConnection& DtlsConnection::operator=(DtlsConnection&&) noexcept = default;
DtlsConnection::~DtlsConnection() = default;

void DtlsConnection::start(base::TimePoint now) {
  if (impl_->started) return;
  impl_->started = true;
  if (impl_->config.role == DtlsRole::Client) impl_->drive(now);
}

void DtlsConnection::feed(base::ByteView datagram, base::TimePoint now) {
  Impl& m = *impl_;
  if (m.state != State::Handshaking && m.state != State::Connected) return;
  if (datagram.empty() || datagram.size() > kMaxDatagramBytes) {
    ++m.dropped;
    return;
  }
  m.started = true;
  m.inbound.assign(datagram.begin(), datagram.end());
  m.has_inbound = true;
  m.drive(now);
}

std::optional<base::TimePoint> DtlsConnection::next_timeout() const noexcept { return impl_->deadline; }

void DtlsConnection::on_timeout(base::TimePoint now) {
  Impl& m = *impl_;
  if (!m.deadline || now < *m.deadline) return;
  ERR_clear_error();
  const int r = static_cast<int>(DTLSv1_handle_timeout(m.ssl));
  if (r < 0) {
    m.classify(r);
    if (m.state != State::Failed) m.fail(DtlsErrc::Timeout);
    return;
  }
  ERR_clear_error();
  m.update_deadline(now);
}

void DtlsConnection::close() {
  Impl& m = *impl_;
  if (m.state == State::Connected) {
    ERR_clear_error();
    SSL_shutdown(m.ssl);
    ERR_clear_error();
  }
  if (m.state == State::Connected || m.state == State::Handshaking) {
    m.state = State::Closed;
    m.deadline.reset();
  }
}

std::vector<std::vector<std::byte>> DtlsConnection::take_datagrams() { return std::exchange(impl_->outbox, {}); }

DtlsConnection::State DtlsConnection::state() const noexcept { return impl_->state; }
std::error_code DtlsConnection::error() const noexcept { return impl_->error; }
const std::string& DtlsConnection::failure_reason() const noexcept { return impl_->reason; }
std::uint64_t DtlsConnection::dropped_datagrams() const noexcept { return impl_->dropped; }
std::uint64_t DtlsConnection::retransmissions() const noexcept { return impl_->retransmissions; }

std::optional<std::uint16_t> DtlsConnection::srtp_profile() const noexcept {
  if (impl_->state != State::Connected) return std::nullopt;
  const SRTP_PROTECTION_PROFILE* p = SSL_get_selected_srtp_profile(impl_->ssl);
  if (p == nullptr) return std::nullopt;
  return static_cast<std::uint16_t>(p->id);
}

std::vector<std::byte> DtlsConnection::peer_certificate_der() const {
  X509* cert = SSL_get0_peer_certificate(impl_->ssl);
  return cert != nullptr ? der_of(cert) : std::vector<std::byte>{};
}

base::Result<std::vector<std::byte>> DtlsConnection::export_keying_material(std::string_view label,
                                                                            std::size_t length) const {
  if (impl_->state != State::Connected) return DtlsErrc::NotConnected;
  std::vector<std::byte> out(length);
  ERR_clear_error();
  if (SSL_export_keying_material(impl_->ssl, reinterpret_cast<unsigned char*>(out.data()), out.size(), label.data(),
                                 label.size(), nullptr, 0, 0) != 1) {
    ERR_clear_error();
    return base::Errc::Crypto;
  }
  return out;
}

}  // namespace warden::crypto
