#pragma once
// The verification service of RFC 8224 §6.2 for PASSporTs of RFC 8225 signed with ES256, and
// the verdict it hands to the callee in RFC 8588's verstat model.
//
// Two steps, so that the certificate can be fetched in between without keeping the message:
//   1. read_identity(request): finds the Identity header, parses it and its PASSporT, and copies
//      what step 2 needs (From and To identities, the Date header) out of the message.
//      The result is a verdict (NoIdentity, or Failed for a malformed header) or a
//      PendingIdentity whose info URL names the certificate to obtain.
//   2. IdentityVerifier::verify(pending, chain, now): the chain (end entity first) must verify
//      against the trust anchors at `now`; its key must verify the signature over the received
//      header.claims; iat must be within the freshness window of now (default 60 s, RFC 8224
//      §6.2 step 4); a Date header must lie within the window of iat; orig must be the From
//      identity and the To identity must be among dest (party.hpp: telephone numbers by their
//      digits, URIs by scheme, user, host and port); the certificate must cover orig (a URI's
//      host among its DNS subjectAltNames; a telephone number in its TNAuthList when it has one,
//      or always when require_tn_auth_list is set); and the signature must not have been
//      accepted before within the window (ReplayCache). Only a header that passes every check is
//      recorded as seen.
// CertificateSource is the port through which the proxy fetches the info URL (HTTPS, cached);
// verify_request() runs both steps around it.
//
// Only the first Identity header is checked (more than IdentityLimits::max_identity_headers is
// Failed/TooLarge). The compact form (RFC 8224 §4.1.1) and ppt extensions are Failed.
// Thread-safety: none; one IdentityVerifier per event loop (its replay cache is its state).

#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "crypto/certificate.hpp"
#include "sip/identity/identity_errc.hpp"
#include "sip/identity/passport.hpp"
#include "sip/identity/replay_cache.hpp"
#include "sip/msg/message.hpp"

namespace warden::sip::identity {

enum class VerdictStatus : std::uint8_t { Verified, Failed, NoIdentity };

struct Verdict {
  VerdictStatus status = VerdictStatus::NoIdentity;
  IdentityErrc reason = IdentityErrc::Ok;  // set when Failed
  std::string detail;                      // a human-readable addition (OpenSSL's reason, ...)

  static Verdict verified() { return {VerdictStatus::Verified, IdentityErrc::Ok, {}}; }
  static Verdict no_identity() { return {VerdictStatus::NoIdentity, IdentityErrc::Ok, {}}; }
  static Verdict failed(IdentityErrc why, std::string detail = {}) {
    return {VerdictStatus::Failed, why, std::move(detail)};
  }
  // The verstat value for the callee (the tel/sip URI parameter of 3GPP TS 24.229 that SHAKEN
  // deployments, RFC 8588, pass on): "TN-Validation-Passed", "TN-Validation-Failed",
  // "No-TN-Validation".
  std::string_view verstat() const noexcept;
};

// What step 2 needs, owned (the message may be gone by then).
struct PendingIdentity {
  std::string info_url;
  DecodedPassport passport;
  std::optional<Party> from;             // nullopt: From is not a tn/sip/sips identity
  std::optional<Party> to;
  bool has_date = false;
  std::optional<std::int64_t> date;      // the Date header, when present and readable
};

std::variant<Verdict, PendingIdentity> read_identity(const msg::Message& request, const IdentityLimits& limits = {});

struct VerifierConfig {
  std::chrono::seconds freshness{60};
  std::size_t replay_capacity = 65536;
  bool require_tn_auth_list = false;  // refuse tn identities from certificates without TNAuthList
  IdentityLimits limits;
};

// The port the proxy implements: the certificate chain (end entity first) at `url`, delivered to
// `done` once (possibly before fetch() returns).
class CertificateSource {
 public:
  using Done = std::function<void(base::Result<std::vector<crypto::Certificate>>)>;
  virtual ~CertificateSource() = default;
  virtual void fetch(const std::string& url, Done done) = 0;
};

class IdentityVerifier {
 public:
  IdentityVerifier(crypto::TrustStore anchors, VerifierConfig config = {});

  Verdict verify(const PendingIdentity& pending, std::span<const crypto::Certificate> chain, base::WallTime now);

  // Both steps; `done` gets the verdict (at once when there is nothing to fetch). The clock is
  // read when the certificate arrives. The verifier and the clock must outlive the fetch.
  void verify_request(const msg::Message& request, CertificateSource& source, const base::Clock& clock,
                      std::function<void(Verdict)> done);

  const VerifierConfig& config() const noexcept { return config_; }
  const ReplayCache& replay_cache() const noexcept { return replay_; }

 private:
  crypto::TrustStore anchors_;
  VerifierConfig config_;
  ReplayCache replay_;
};

}  // namespace warden::sip::identity
