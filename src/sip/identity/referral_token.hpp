#pragma once
// A transfer that cannot be abused: the referrer's proxy vouches, in the REFER's Referred-By
// header, that its authenticated user (the referrer) asked this referee, recently, to call this
// target; the target's proxy checks the voucher on the referee's INVITE. In the spirit of
// RFC 3892 (Referred-By) and RFC 3893's authenticated identity body, with a compact JWS in a
// header parameter instead of an S/MIME body:
//
//   Referred-By: <sip:bob@a.test>;rtoken=<BASE64URL(header).BASE64URL(claims).BASE64URL(sig)>
//
//   header  {"alg":"ES256","typ":"referral","x5u":"<info URL>"}
//   claims  {"iat":<seconds>,"jti":"<22 base64url chars>",
//            "referee":{"uri":"sip:alice@c.test"} (or {"tn":"digits"}),
//            "referrer":{"uri":"sip:bob@a.test"},
//            "target":{"uri":"sip:carol@b.test"}}
//
// Canonical JSON as RFC 8225 §9 (members sorted, no white space), ES256 (RFC 7518 §3.4) with the
// same domain key and certificate as SIP Identity (signer.hpp). The typ "referral" keeps the two
// apart: a referral token is never a PASSporT (decode_passport() refuses its typ) and a PASSporT
// is never a referral token (no referee, referrer or target; typ passport refused here).
// Identities are compared as party.hpp does (telephone numbers by digits; URIs by scheme, user,
// host and port; parameters and URI headers ignored).
//
// Three steps, as for Identity (verifier.hpp):
//   1. The referrer's proxy, after digest-authenticating the in-dialog REFER:
//      ReferralSigner::referred_by_for(refer, authenticated_referrer, now) gives the new
//      Referred-By value (referrer = the authenticated user, referee = the REFER's To, target =
//      the Refer-To URI without its embedded headers, iat = now).
//   2. The referee copies that value verbatim into its INVITE to the target (RFC 3892 §3).
//   3. The target's proxy: read_referral(invite) → NoToken, Failed, or a PendingReferral whose
//      info URL names the certificate; then ReferralVerifier::verify(pending, chain,
//      authenticated caller, Request-URI as received, now): chain trusted now, signature over the
//      received text, certificate covers the referrer (its host among the DNS subjectAltNames,
//      or its number in the TNAuthList), iat no older than `max_age` (300 s) and no further
//      ahead than `max_skew` (60 s), referee = the caller the proxy authenticated (digest for a
//      local user, a verified Identity header otherwise), target = the Request-URI. The token is
//      not single-use: within max_age the same referee may retry (a failed or abandoned call),
//      but nobody else can use it, because the referee is bound.
// Errors (ReferralErrc, category "sip.referral"): one per check.
// Thread-safety: pure functions; ReferralSigner shares the Random given (one thread), and
// ReferralVerifier is const after construction.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

#include "base/clock.hpp"
#include "base/random.hpp"
#include "base/result.hpp"
#include "crypto/certificate.hpp"
#include "crypto/es256.hpp"
#include "sip/identity/party.hpp"
#include "sip/identity/verifier.hpp"
#include "sip/msg/message.hpp"

namespace warden::sip::identity {

enum class ReferralErrc {
  Ok = 0,
  TooLarge,                // a ReferralLimits limit was reached
  MalformedReferredBy,     // Referred-By (or Refer-To when signing) is not name-addr/addr-spec *(;param)
  MalformedToken,          // rtoken is not three non-empty parts of base64url
  BadEncoding,             // a part does not decode, or the signature is not 64 bytes
  BadJson,                 // a part is not a JSON object, or nests too deep
  UnsupportedAlg,          // alg other than ES256
  UnsupportedType,         // typ other than "referral" (a PASSporT, say)
  MissingClaim,            // iat, referrer, referee, target or x5u absent
  BadClaim,                // a claim of the wrong type or form
  ReferrerMismatch,        // the Referred-By URI is not the referrer the token names
  CertificateUnavailable,  // the certificate at x5u could not be obtained
  CertificateUntrusted,    // it does not chain to a trust anchor now, or is not P-256
  NotAuthorized,           // the certificate does not cover the referrer
  BadSignature,            // the signature does not verify with the certificate's key
  Stale,                   // iat older than max_age
  Future,                  // iat further ahead than max_skew
  UnauthenticatedCaller,   // the proxy has no authenticated identity for the caller
  RefereeMismatch,         // the caller is not the referee the token names
  TargetMismatch,          // the INVITE is not for the target the token names
  NotSigned,               // signing: no referrer, referee or target identity in the REFER
};

std::string_view describe(ReferralErrc e) noexcept;
const std::error_category& referral_category() noexcept;
inline std::error_code make_error_code(ReferralErrc e) noexcept { return {static_cast<int>(e), referral_category()}; }

}  // namespace warden::sip::identity

template <>
struct std::is_error_code_enum<warden::sip::identity::ReferralErrc> : std::true_type {};

namespace warden::sip::identity {

// The name of the Referred-By header parameter that carries the token.
inline constexpr std::string_view kReferralTokenParam = "rtoken";

// Limits on everything a peer controls in a Referred-By header and its token.
struct ReferralLimits {
  std::size_t max_referred_by_bytes = 2048;  // one Referred-By value (the phone copies up to this)
  std::size_t max_token_bytes = 1536;        // the rtoken value
  std::size_t max_params = 16;               // Referred-By header parameters
  std::size_t max_info_bytes = 512;          // x5u
  std::size_t max_json_bytes = 768;          // a decoded JWS header or claims object
  std::size_t max_json_depth = 2;            // the claims are an object of objects
  std::size_t max_claim_string_bytes = 256;  // referrer, referee, target, jti
};

struct ReferralClaims {
  std::string x5u;        // where the signer's certificate is
  std::int64_t iat = 0;   // seconds since the Unix epoch
  std::string jti;        // a random id (for logs); "" leaves it out
  Party referrer;         // kind and claim used when signing; value canonical once decoded
  Party referee;
  Party target;
};

// The canonical JSON of the JWS header and the claims.
std::string referral_header_json(const ReferralClaims& c);
std::string referral_claims_json(const ReferralClaims& c);

struct DecodedReferral {
  ReferralClaims claims;
  std::string signing_input;  // the received header "." claims
  std::string signature;      // 64 raw bytes, r || s
};

// A compact JWS → its claims, checked for form (not signature, not meaning).
base::Result<DecodedReferral> decode_referral_token(std::string_view jws, const ReferralLimits& limits = {});

// ---- signing (the referrer's proxy)

class ReferralSigner {
 public:
  ReferralSigner(crypto::EcPrivateKey key, std::string info_url, base::Random& rng)
      : key_(std::move(key)), info_url_(std::move(info_url)), rng_(rng) {}

  // The compact JWS. Errors: NotSigned when a party is not a tn/sip/sips identity;
  // base::Errc::Crypto when signing fails.
  base::Result<std::string> token_for(const Party& referrer, const Party& referee, const Party& target,
                                      base::WallTime now);
  base::Result<std::string> token_for(const msg::Uri& referrer, const msg::Uri& referee, const msg::Uri& target,
                                      base::WallTime now);

  // The Referred-By value to put in `refer` in place of the one it has (or to add):
  // "<referrer>;rtoken=<jws>", where referrer is the identity the proxy authenticated (its
  // digest user's address-of-record), referee the REFER's To and target its Refer-To URI.
  // Whatever Referred-By the REFER carried is replaced whole (a client's own rtoken or display
  // name is never passed on). Errors: MalformedReferredBy (no readable Refer-To, or more than
  // one), NotSigned, TooLarge (the value would exceed max_referred_by_bytes), Crypto.
  base::Result<std::string> referred_by_for(const msg::Message& refer, const msg::Uri& authenticated_referrer,
                                            base::WallTime now, const ReferralLimits& limits = {});

  const std::string& info_url() const noexcept { return info_url_; }

 private:
  crypto::EcPrivateKey key_;
  std::string info_url_;
  base::Random& rng_;
};

// ---- verifying (the target's proxy)

enum class ReferralStatus : std::uint8_t { NoToken, Verified, Failed };

struct ReferralVerdict {
  ReferralStatus status = ReferralStatus::NoToken;
  ReferralErrc reason = ReferralErrc::Ok;  // set when Failed
  std::string detail;                      // human-readable addition
  std::string referrer;                    // Verified: the referrer's claim (e.g. "sip:bob@a.test")
  std::string jti;                         // Verified: the token's id, for the log

  static ReferralVerdict no_token() { return {}; }
  static ReferralVerdict failed(ReferralErrc why, std::string detail = {}) {
    return {ReferralStatus::Failed, why, std::move(detail), {}, {}};
  }
};

// What step 3b needs, owned (the INVITE may be gone when the certificate arrives).
struct PendingReferral {
  std::string info_url;  // = the token's x5u: the certificate to fetch
  DecodedReferral token;
};

// The INVITE's Referred-By: no header, or none with an rtoken parameter → NoToken (a value that
// does not parse and does not even mention "rtoken" counts as none); more than one Referred-By
// header when one carries a token, an unreadable value mentioning rtoken, a token that does not
// decode, or a header URI that is not the token's referrer → Failed; otherwise Pending.
// Failed therefore always means that a token was offered and is not good.
std::variant<ReferralVerdict, PendingReferral> read_referral(const msg::Message& invite,
                                                             const ReferralLimits& limits = {});

struct ReferralConfig {
  std::chrono::seconds max_age{300};  // a token older than this is Stale
  std::chrono::seconds max_skew{60};  // a token issued further in the future is Future
  bool require_tn_auth_list = false;  // refuse tn referrers from certificates without TNAuthList
  ReferralLimits limits;
};

class ReferralVerifier {
 public:
  explicit ReferralVerifier(crypto::TrustStore anchors, ReferralConfig config = {});

  // `authenticated_caller`: the identity the proxy established for whoever sent the INVITE (the
  // digest user's address-of-record for a local caller, the From of a Verified Identity header
  // for a remote one); nullopt when it has none (→ UnauthenticatedCaller). `target`: the
  // INVITE's Request-URI as received, before location lookup.
  ReferralVerdict verify(const PendingReferral& pending, std::span<const crypto::Certificate> chain,
                         const std::optional<Party>& authenticated_caller, const std::optional<Party>& target,
                         base::WallTime now) const;
  ReferralVerdict verify(const PendingReferral& pending, std::span<const crypto::Certificate> chain,
                         const msg::Uri* authenticated_caller, const msg::Uri& target, base::WallTime now) const;

  // Both steps around the certificate port; `done` gets the verdict (at once when nothing is to
  // be fetched). The clock is read when the certificate arrives. The verifier, the source and
  // the clock must outlive the fetch.
  void verify_request(const msg::Message& invite, const msg::Uri* authenticated_caller, CertificateSource& source,
                      const base::Clock& clock, std::function<void(ReferralVerdict)> done) const;

  const ReferralConfig& config() const noexcept { return config_; }

 private:
  crypto::TrustStore anchors_;
  ReferralConfig config_;
};

}  // namespace warden::sip::identity
