#include "media/dtls_srtp.hpp"

#include <string.h>  // explicit_bzero

#include <algorithm>

#include "base/error.hpp"

namespace warden::media {
namespace {

namespace sdp = sip::sdp;
using crypto::CertificateDigest;

// Strength order for RFC 8122 §5 ("use the strongest hash"): larger is stronger.
int strength(CertificateDigest h) noexcept {
  switch (h) {
    case CertificateDigest::Sha1: return 1;
    case CertificateDigest::Sha224: return 2;
    case CertificateDigest::Sha256: return 3;
    case CertificateDigest::Sha384: return 4;
    case CertificateDigest::Sha512: return 5;
  }
  return 0;
}

// Does the peer's certificate match one of the fingerprints of the strongest hash given?
bool matches(const std::vector<CertificateFingerprint>& fingerprints, base::ByteView der) {
  int best = 0;
  for (const auto& f : fingerprints) best = std::max(best, strength(f.hash));
  for (const auto& f : fingerprints) {
    if (strength(f.hash) != best) continue;
    if (crypto::certificate_digest(der, f.hash) == f.digest) return true;
  }
  return false;
}

}  // namespace

std::string_view describe(DtlsSrtpErrc e) noexcept {
  switch (e) {
    case DtlsSrtpErrc::Ok: return "ok";
    case DtlsSrtpErrc::NoFingerprint: return "no certificate fingerprint of the peer";
    case DtlsSrtpErrc::UnsupportedFingerprintHash: return "fingerprint hash not accepted (MD5, MD2 or unknown)";
    case DtlsSrtpErrc::NoSuite: return "no SRTP suite to offer";
    case DtlsSrtpErrc::BadSetupRole: return "setup role does not decide the DTLS role";
    case DtlsSrtpErrc::KeyExport: return "DTLS-SRTP keying material export failed";
  }
  return "unknown DTLS-SRTP error";
}

const std::error_category& dtls_srtp_category() noexcept {
  return base::ErrorCategory<DtlsSrtpErrc>::instance("media.dtls_srtp");
}

base::Result<CertificateFingerprint> fingerprint_from_sdp(const sdp::Fingerprint& f) {
  CertificateFingerprint out;
  switch (f.hash()) {
    case sdp::HashFunction::Sha1: out.hash = CertificateDigest::Sha1; break;
    case sdp::HashFunction::Sha224: out.hash = CertificateDigest::Sha224; break;
    case sdp::HashFunction::Sha256: out.hash = CertificateDigest::Sha256; break;
    case sdp::HashFunction::Sha384: out.hash = CertificateDigest::Sha384; break;
    case sdp::HashFunction::Sha512: out.hash = CertificateDigest::Sha512; break;
    default: return DtlsSrtpErrc::UnsupportedFingerprintHash;
  }
  if (sdp::digest_length(f.hash()) != f.digest.size()) return DtlsSrtpErrc::UnsupportedFingerprintHash;
  out.digest = f.digest;
  return out;
}

std::string fingerprint_attribute_value(const crypto::DtlsIdentity& identity) {
  return "sha-256 " + sdp::format_fingerprint_digest(identity.fingerprint(CertificateDigest::Sha256));
}

base::Result<sdp::SetupRole> answer_setup_role(sdp::SetupRole offered) {
  switch (offered) {
    case sdp::SetupRole::ActPass: return sdp::SetupRole::Active;
    case sdp::SetupRole::Active: return sdp::SetupRole::Passive;
    case sdp::SetupRole::Passive: return sdp::SetupRole::Active;
    case sdp::SetupRole::HoldConn: break;
  }
  return DtlsSrtpErrc::BadSetupRole;
}

base::Result<crypto::DtlsRole> dtls_role(sdp::SetupRole ours) {
  if (ours == sdp::SetupRole::Active) return crypto::DtlsRole::Client;
  if (ours == sdp::SetupRole::Passive) return crypto::DtlsRole::Server;
  return DtlsSrtpErrc::BadSetupRole;
}

base::Result<DtlsSrtpEndpoint> DtlsSrtpEndpoint::create(const crypto::DtlsIdentity& identity, DtlsSrtpConfig config) {
  if (config.peer_fingerprints.empty()) return DtlsSrtpErrc::NoFingerprint;
  for (const auto& f : config.peer_fingerprints)
    if (f.digest.empty()) return DtlsSrtpErrc::UnsupportedFingerprintHash;
  if (config.suites.empty()) return DtlsSrtpErrc::NoSuite;
  crypto::DtlsConfig dtls;
  dtls.role = config.role;
  for (SrtpSuite s : config.suites) dtls.srtp_profiles.push_back(dtls_profile_id(s));
  dtls.verify_peer = [fingerprints = config.peer_fingerprints](base::ByteView der) { return matches(fingerprints, der); };
  dtls.initial_retransmit = config.initial_retransmit;
  dtls.mtu = config.mtu;
  auto connection = crypto::DtlsConnection::create(identity, std::move(dtls));
  if (!connection) return connection.error();
  return DtlsSrtpEndpoint(std::move(*connection), std::move(config));
}

DtlsSrtpEndpoint::DtlsSrtpEndpoint(crypto::DtlsConnection connection, DtlsSrtpConfig config) noexcept
    : connection_(std::move(connection)), config_(std::move(config)) {}

DtlsSrtpEndpoint::Datagrams DtlsSrtpEndpoint::start(base::TimePoint now) {
  connection_.start(now);
  return after_step();
}

DtlsSrtpEndpoint::Datagrams DtlsSrtpEndpoint::feed(base::ByteView datagram, base::TimePoint now) {
  if (own_error_) return {};
  connection_.feed(datagram, now);
  return after_step();
}

std::optional<base::TimePoint> DtlsSrtpEndpoint::next_timeout() const noexcept {
  if (own_error_) return std::nullopt;
  return connection_.next_timeout();
}

DtlsSrtpEndpoint::Datagrams DtlsSrtpEndpoint::on_timeout(base::TimePoint now) {
  if (own_error_) return {};
  connection_.on_timeout(now);
  return after_step();
}

DtlsSrtpEndpoint::Datagrams DtlsSrtpEndpoint::close() {
  connection_.close();
  return connection_.take_datagrams();
}

DtlsSrtpEndpoint::State DtlsSrtpEndpoint::state() const noexcept {
  return own_error_ ? State::Failed : connection_.state();
}

std::error_code DtlsSrtpEndpoint::error() const noexcept { return own_error_ ? own_error_ : connection_.error(); }

std::optional<SrtpSuite> DtlsSrtpEndpoint::suite() const noexcept {
  if (state() != State::Connected) return std::nullopt;
  const auto id = connection_.srtp_profile();
  return id ? suite_from_dtls_profile_id(*id) : std::nullopt;
}

base::Result<SrtpSession> DtlsSrtpEndpoint::make_srtp_session() const {
  if (!keys_) return crypto::DtlsErrc::NotConnected;
  return SrtpSession::create(keys_->send, keys_->receive, config_.srtp);
}

// Derives the keys the first time the connection reports Connected (RFC 5764 §4.2):
// client_write_key | server_write_key | client_write_salt | server_write_salt.
DtlsSrtpEndpoint::Datagrams DtlsSrtpEndpoint::after_step() {
  Datagrams out = connection_.take_datagrams();
  if (keys_ || own_error_ || connection_.state() != State::Connected) return out;
  const auto s = suite();
  if (!s) {
    own_error_ = crypto::DtlsErrc::NoSrtpProfile;
    return out;
  }
  const std::size_t k = master_key_length(*s), n = master_salt_length(*s);
  auto material = connection_.export_keying_material(kExporterLabel, 2 * (k + n));
  if (!material) {
    own_error_ = DtlsSrtpErrc::KeyExport;
    return out;
  }
  const base::ByteView m = *material;
  auto client = SrtpMasterKey::from_parts(*s, m.subspan(0, k), m.subspan(2 * k, n));
  auto server = SrtpMasterKey::from_parts(*s, m.subspan(k, k), m.subspan(2 * k + n, n));
  explicit_bzero(material->data(), material->size());
  if (!client || !server) {
    own_error_ = DtlsSrtpErrc::KeyExport;
    return out;
  }
  if (config_.role == crypto::DtlsRole::Client)
    keys_ = DtlsSrtpKeys{*client, *server};
  else
    keys_ = DtlsSrtpKeys{*server, *client};
  return out;
}

}  // namespace warden::media
