#pragma once
// The Identity header field value (RFC 8224 §4.1):
//
//   Identity: <jws> ;info=<https://a.test/cert.pem> ;alg=ES256 [;ppt=<type>] *(;name[=value])
//
// format_identity_header() writes the full form (the claims inside the JWS) with info and alg,
// and no ppt (plain RFC 8225 PASSporTs carry none). parse_identity_header() reads one value:
// the JWS must be three non-empty base64url parts, info is required and is a URI in angle
// brackets, alg and ppt are tokens, no parameter appears twice; unknown parameters are skipped.
// Views point into the parsed text. White space around ';' and '=' is allowed (SWS).
// Errors (IdentityErrc): TooLarge, MalformedHeader, MissingInfo.
// Thread-safety: pure functions.

#include <string>
#include <string_view>

#include "base/result.hpp"
#include "sip/identity/identity_errc.hpp"
#include "sip/identity/passport.hpp"

namespace warden::sip::identity {

struct IdentityHeader {
  std::string_view jws;
  std::string_view info;  // without the angle brackets
  std::string_view alg;   // "" when absent
  std::string_view ppt;   // "" when absent
};

std::string format_identity_header(std::string_view jws, std::string_view info_url);
base::Result<IdentityHeader> parse_identity_header(std::string_view value, const IdentityLimits& limits);

}  // namespace warden::sip::identity
