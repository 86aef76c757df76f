#pragma once
// Why an Identity header (RFC 8224) or its PASSporT (RFC 8225) was refused. One code per
// check, so that a Failed verdict says which check failed; describe() gives a short phrase.
// Category "sip.identity". Thread-safety: constants and pure functions.

#include <string_view>
#include <system_error>

namespace warden::sip::identity {

enum class IdentityErrc {
  Ok = 0,
  TooLarge,                // a size or count limit of IdentityLimits was reached
  MalformedHeader,         // the Identity header value is not RFC 8224 §4.1 syntax
  MissingInfo,             // no info parameter
  BadEncoding,             // a JWS part is not strict base64url, or the signature is not 64 bytes
  BadJson,                 // a JWS part is not a JSON object, or nests too deep
  UnsupportedAlg,          // alg (JWS header or the alg parameter) other than ES256
  UnsupportedType,         // typ other than "passport"
  UnsupportedPpt,          // a ppt extension (RFC 8225 §8) this verifier does not implement
  InfoMismatch,            // the PASSporT's x5u differs from the header's info URL
  MissingClaim,            // iat, orig, dest or x5u absent
  BadClaim,                // a claim of the wrong type or form
  CertificateUnavailable,  // the certificate at the info URL could not be obtained
  CertificateUntrusted,    // it does not chain to a trust anchor at this time, or is not P-256
  NotAuthorized,           // the certificate does not cover the originating identity
  BadSignature,            // the ES256 signature does not verify with the certificate's key
  Stale,                   // iat outside the freshness window around now
  DateMismatch,            // the Date header is unreadable or too far from iat
  OrigMismatch,            // orig is not the From identity
  DestMismatch,            // the To identity is not among dest
  Replayed,                // this signature was already accepted within the window
  NoSupportedIdentity,     // the request has no Identity header this verifier can check
};

std::string_view describe(IdentityErrc e) noexcept;
const std::error_category& identity_category() noexcept;
inline std::error_code make_error_code(IdentityErrc e) noexcept { return {static_cast<int>(e), identity_category()}; }

}  // namespace warden::sip::identity

template <>
struct std::is_error_code_enum<warden::sip::identity::IdentityErrc> : std::true_type {};
