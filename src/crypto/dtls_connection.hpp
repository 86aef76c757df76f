#pragma once
// DTLS 1.2 (RFC 6347) through OpenSSL 3, sans-I/O, for DTLS-SRTP keying (RFC 5763/5764): the
// OpenSSL half of media/dtls_srtp.hpp, kept here because only crypto/ includes OpenSSL.
//
// DtlsIdentity is a self-signed ECDSA P-256 certificate and its key. DTLS-SRTP does not need a
// CA: the peer learns the certificate's fingerprint from the signalled SDP (RFC 8122) and pins it.
//
// DtlsConnection is one handshake over memory: feed() takes one datagram as it came off the
// wire; take_datagrams() hands over what must be sent, one entry per datagram; the caller
// arms a timer for next_timeout() and calls on_timeout() when it fires (retransmission, RFC
// 6347 §4.2.4). No sockets, no threads, no reading of the caller's clock.
//
// Time: OpenSSL 3.0 times DTLS retransmissions on its own real-time clock and offers no way to
// inject one. The connection therefore reports deadlines as `now` + OpenSSL's remaining time
// and retransmits in on_timeout() only once OpenSSL agrees the timer expired; when the caller's
// clock runs ahead of real time (a manual clock in tests) the deadline moves to what is left.
// DtlsConfig::initial_retransmit sets the first interval (1 s by default, doubled per
// retransmission up to 60 s). OpenSSL gives up after 12 timeouts: Failed with Timeout.
//
// Peer authentication: DtlsConfig::verify_peer sees the peer's certificate (DER) during the
// handshake and decides; a refusal aborts the handshake with a bad_certificate alert and
// Failed/PeerRejected, before any key exists. Both roles require a peer certificate.
//
// Errors (DtlsErrc, category "crypto.dtls"): create() returns Setup; the connection fails
// with PeerRejected, NoPeerCertificate, NoSrtpProfile, Timeout, Handshake (any other TLS
// alert or protocol error; the OpenSSL reason is in failure_reason()), or PeerClosed.
// export_keying_material() returns NotConnected. Oversized datagrams are dropped, counted in
// dropped_datagrams().
// Thread-safety: one connection per thread at a time; identities may be shared read-only.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"

namespace warden::crypto {

enum class DtlsErrc {
  Ok = 0,
  Setup,              // OpenSSL refused to build the context (key, certificate, profiles)
  PeerRejected,       // verify_peer refused the peer's certificate (fingerprint mismatch)
  NoPeerCertificate,  // the peer did not present a certificate
  NoSrtpProfile,      // the handshake ended without a common use_srtp profile (RFC 5764 §4.1.1)
  Timeout,            // retransmissions exhausted
  Handshake,          // TLS alert or protocol error
  PeerClosed,         // close_notify received
  NotConnected,       // keying material asked for before the handshake completed
};
std::string_view describe(DtlsErrc e) noexcept;
const std::error_category& dtls_category() noexcept;
inline std::error_code make_error_code(DtlsErrc e) noexcept { return {static_cast<int>(e), dtls_category()}; }

// Digests for certificate fingerprints (RFC 8122 §5: the hash of the DER certificate).
enum class CertificateDigest : std::uint8_t { Sha1, Sha224, Sha256, Sha384, Sha512 };
std::vector<std::byte> certificate_digest(base::ByteView der, CertificateDigest alg);

class DtlsIdentity {
 public:
  // A fresh P-256 key and a self-signed certificate valid from a day before `now` for
  // `validity`, with a random 128-bit serial. Errors: base::Errc::Crypto.
  static base::Result<DtlsIdentity> generate(std::string_view common_name = "warden",
                                             std::chrono::system_clock::time_point now = std::chrono::system_clock::now(),
                                             std::chrono::hours validity = std::chrono::hours(24 * 30));
  DtlsIdentity(DtlsIdentity&&) noexcept;
  DtlsIdentity& operator=(DtlsIdentity&&) noexcept;
  ~DtlsIdentity();

  base::ByteView certificate_der() const noexcept { return {der_.data(), der_.size()}; }
  std::vector<std::byte> fingerprint(CertificateDigest alg = CertificateDigest::Sha256) const {
    return certificate_digest(certificate_der(), alg);
  }

 private:
  friend class DtlsConnection;
  DtlsIdentity() = default;
  void* certificate_ = nullptr;  // X509, opaque so OpenSSL headers stay inside crypto/
  void* key_ = nullptr;          // EVP_PKEY
  std::vector<std::byte> der_;
};

enum class DtlsRole : std::uint8_t { Client, Server };

struct DtlsConfig {
  DtlsRole role = DtlsRole::Client;
  // use_srtp profile ids (RFC 5764 §4.1.2, RFC 7714 §14.2), most preferred first. Known:
  // 0x0001, 0x0002, 0x0007, 0x0008; others are refused by create().
  std::vector<std::uint16_t> srtp_profiles;
  // Decides on the peer's leaf certificate (DER). Must be set: create() refuses an empty one.
  std::function<bool(base::ByteView certificate_der)> verify_peer;
  std::chrono::milliseconds initial_retransmit{1000};
  std::size_t mtu = 1200;  // largest datagram we send (RFC 6347 §4.1.1.1; safe for most paths)
};

class DtlsConnection {
 public:
  enum class State : std::uint8_t { Handshaking, Connected, Failed, Closed };
  // Largest datagram fed; larger ones are dropped (no DTLS record is that big).
  static constexpr std::size_t kMaxDatagramBytes = 18432;

  // The identity's certificate and key are referenced, not copied: they stay valid (OpenSSL
  // counts references) even if `identity` dies first.
  static base::Result<DtlsConnection> create(const DtlsIdentity& identity, DtlsConfig config);
  DtlsConnection(DtlsConnection&&) noexcept;
  DtlsConnection& operator=(DtlsConnection&&) noexcept;
  ~DtlsConnection();

  // The client sends its ClientHello; the server only waits. Call once.
  void start(base::TimePoint now);
  // One datagram from the peer. Garbage is discarded by DTLS itself (RFC 6347 §4.1.2.7).
  void feed(base::ByteView datagram, base::TimePoint now);
  std::optional<base::TimePoint> next_timeout() const noexcept;
  void on_timeout(base::TimePoint now);
  // Sends close_notify (if connected) and stops.
  void close();
  std::vector<std::vector<std::byte>> take_datagrams();

  State state() const noexcept;
  std::error_code error() const noexcept;        // set when Failed or Closed
  const std::string& failure_reason() const noexcept;  // OpenSSL's words, for logs
  std::optional<std::uint16_t> srtp_profile() const noexcept;  // once Connected
  std::vector<std::byte> peer_certificate_der() const;         // once the peer sent it
  std::uint64_t dropped_datagrams() const noexcept;
  std::uint64_t retransmissions() const noexcept;  // timer-driven flights resent
  // RFC 5705 exporter without context, as RFC 5764 §4.2 uses it. Errors: NotConnected.
  base::Result<std::vector<std::byte>> export_keying_material(std::string_view label, std::size_t length) const;

 private:
  struct Impl;
  explicit DtlsConnection(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace warden::crypto

template <>
struct std::is_error_code_enum<warden::crypto::DtlsErrc> : std::true_type {};
