#include "sip/identity/identity_errc.hpp"

#include "base/error.hpp"

namespace warden::sip::identity {

std::string_view describe(IdentityErrc e) noexcept {
  switch (e) {
    case IdentityErrc::Ok: return "ok";
    case IdentityErrc::TooLarge: return "identity too large";
    case IdentityErrc::MalformedHeader: return "malformed Identity header";
    case IdentityErrc::MissingInfo: return "Identity header without info";
    case IdentityErrc::BadEncoding: return "bad base64url in PASSporT";
    case IdentityErrc::BadJson: return "PASSporT part is not a JSON object";
    case IdentityErrc::UnsupportedAlg: return "unsupported signature algorithm";
    case IdentityErrc::UnsupportedType: return "not a PASSporT";
    case IdentityErrc::UnsupportedPpt: return "unsupported PASSporT extension";
    case IdentityErrc::InfoMismatch: return "x5u differs from info";
    case IdentityErrc::MissingClaim: return "missing PASSporT claim";
    case IdentityErrc::BadClaim: return "bad PASSporT claim";
    case IdentityErrc::CertificateUnavailable: return "certificate unavailable";
    case IdentityErrc::CertificateUntrusted: return "certificate not trusted";
    case IdentityErrc::NotAuthorized: return "certificate does not cover the caller";
    case IdentityErrc::BadSignature: return "bad signature";
    case IdentityErrc::Stale: return "stale identity";
    case IdentityErrc::DateMismatch: return "Date does not match iat";
    case IdentityErrc::OrigMismatch: return "orig does not match From";
    case IdentityErrc::DestMismatch: return "dest does not match To";
    case IdentityErrc::Replayed: return "replayed identity";
    case IdentityErrc::NoSupportedIdentity: return "no supported Identity header";
  }
  return "unknown identity error";
}

const std::error_category& identity_category() noexcept {
  return base::ErrorCategory<IdentityErrc>::instance("sip.identity");
}

}  // namespace warden::sip::identity
