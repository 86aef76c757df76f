#pragma once
// DTLS-SRTP keying (RFC 5763, RFC 5764, AEAD profiles of RFC 7714), sans-I/O.
//
// Each phone (or call) has a crypto::DtlsIdentity, a self-signed ECDSA P-256 certificate whose
// fingerprint goes into its SDP (fingerprint_attribute_value(), RFC 8122). The a=setup roles
// decide who is the DTLS client (active) and who the server (passive) (RFC 5763 §5; helpers
// answer_setup_role() and dtls_role()). A DtlsSrtpEndpoint then runs the handshake over the
// media port: the phone feeds it every datagram that classify_packet() calls Dtls, sends what
// it returns, and arms a timer for next_timeout(). When the handshake completes, the peer's
// certificate has matched a fingerprint from the peer's SDP, one SRTP protection profile is
// agreed, and the keying material exported with the label "EXTRACTOR-dtls_srtp" (RFC 5764
// §4.2) is split into client and server master keys and salts: the two SrtpMasterKeys of
// make_srtp_session().
//
// The certificate check happens inside the handshake: a peer whose certificate matches no
// fingerprint gets a bad_certificate alert and no keys are ever derived (PeerRejected). Of
// several fingerprints, those of the strongest hash are checked (RFC 8122 §5); MD5 and MD2 are
// not accepted. Retransmission timing follows crypto::DtlsConnection (OpenSSL's clock; see
// there).
//
// Errors: create() returns DtlsSrtpErrc::NoFingerprint / UnsupportedFingerprintHash /
// NoSuite, or crypto::DtlsErrc::Setup. A failed endpoint reports crypto::DtlsErrc values
// (PeerRejected, NoPeerCertificate, NoSrtpProfile, Timeout, Handshake, PeerClosed) or
// DtlsSrtpErrc::KeyExport from error(). make_srtp_session() returns DtlsErrc::NotConnected
// before the keys exist.
// Thread-safety: one endpoint per thread at a time.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "crypto/dtls_connection.hpp"
#include "media/srtp_session.hpp"
#include "sip/sdp/fingerprint.hpp"
#include "sip/sdp/setup_role.hpp"

namespace warden::media {

enum class DtlsSrtpErrc {
  Ok = 0,
  NoFingerprint,               // no fingerprint of the peer was given
  UnsupportedFingerprintHash,  // MD5, MD2 or a hash we do not know (RFC 8122 §5)
  NoSuite,                     // the list of SRTP suites to offer is empty
  BadSetupRole,                // actpass/holdconn where a final role is needed (RFC 4145)
  KeyExport,                   // OpenSSL could not export the keying material
};
std::string_view describe(DtlsSrtpErrc e) noexcept;
const std::error_category& dtls_srtp_category() noexcept;
inline std::error_code make_error_code(DtlsSrtpErrc e) noexcept {
  return {static_cast<int>(e), dtls_srtp_category()};
}

// A certificate fingerprint the peer signalled, decoded.
struct CertificateFingerprint {
  crypto::CertificateDigest hash = crypto::CertificateDigest::Sha256;
  std::vector<std::byte> digest;
  bool operator==(const CertificateFingerprint&) const = default;
};
// From a parsed a=fingerprint. Errors: UnsupportedFingerprintHash.
base::Result<CertificateFingerprint> fingerprint_from_sdp(const sip::sdp::Fingerprint& f);
// "sha-256 AB:CD:..." for our a=fingerprint.
std::string fingerprint_attribute_value(const crypto::DtlsIdentity& identity);

// Our a=setup in an answer to `offered` (RFC 5763 §5: an actpass offer is answered active).
// Errors: BadSetupRole for holdconn.
base::Result<sip::sdp::SetupRole> answer_setup_role(sip::sdp::SetupRole offered);
// The DTLS role for our final a=setup: active is the client, passive the server.
// Errors: BadSetupRole for actpass and holdconn.
base::Result<crypto::DtlsRole> dtls_role(sip::sdp::SetupRole ours);

struct DtlsSrtpConfig {
  crypto::DtlsRole role = crypto::DtlsRole::Client;
  std::vector<CertificateFingerprint> peer_fingerprints;  // from the peer's SDP; at least one
  std::vector<SrtpSuite> suites{kSrtpSuitesByPreference.begin(), kSrtpSuitesByPreference.end()};
  SrtpOptions srtp;
  std::chrono::milliseconds initial_retransmit{1000};
  std::size_t mtu = 1200;
};

// The two master keys of a completed handshake.
struct DtlsSrtpKeys {
  SrtpMasterKey send;
  SrtpMasterKey receive;
};

class DtlsSrtpEndpoint {
 public:
  using State = crypto::DtlsConnection::State;
  using Datagrams = std::vector<std::vector<std::byte>>;
  static constexpr std::string_view kExporterLabel = "EXTRACTOR-dtls_srtp";

  static base::Result<DtlsSrtpEndpoint> create(const crypto::DtlsIdentity& identity, DtlsSrtpConfig config);

  // The client's first flight; nothing for the server. Call once, when the peer can be reached.
  Datagrams start(base::TimePoint now);
  // One DTLS datagram from the peer; returns the datagrams to send back.
  Datagrams feed(base::ByteView datagram, base::TimePoint now);
  std::optional<base::TimePoint> next_timeout() const noexcept;
  Datagrams on_timeout(base::TimePoint now);
  // close_notify for the peer (when connected); the endpoint stops.
  Datagrams close();

  State state() const noexcept;
  std::error_code error() const noexcept;
  const std::string& failure_reason() const noexcept { return connection_.failure_reason(); }
  std::uint64_t retransmissions() const noexcept { return connection_.retransmissions(); }

  // Once Connected.
  std::optional<SrtpSuite> suite() const noexcept;
  const std::optional<DtlsSrtpKeys>& keys() const noexcept { return keys_; }
  base::Result<SrtpSession> make_srtp_session() const;

 private:
  DtlsSrtpEndpoint(crypto::DtlsConnection connection, DtlsSrtpConfig config) noexcept;
  Datagrams after_step();
  crypto::DtlsConnection connection_;
  DtlsSrtpConfig config_;
  std::optional<DtlsSrtpKeys> keys_;
  std::error_code own_error_;
};

}  // namespace warden::media

template <>
struct std::is_error_code_enum<warden::media::DtlsSrtpErrc> : std::true_type {};
