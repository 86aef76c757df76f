#pragma once
// PASSporT (RFC 8225): the JWS that an Identity header carries. This file builds one, in the
// canonical JSON form of RFC 8225 §9 (members in lexicographic order of their names, no white
// space, no line breaks), signs it with ES256 (RFC 7518 §3.4) into the JWS compact
// serialization (RFC 7515 §7.1), and decodes a received one under limits.
//
//   header  {"alg":"ES256","typ":"passport","x5u":"<info URL>"}   (no ppt: plain RFC 8225)
//   claims  {"dest":{"tn":[...]} or {"uri":[...]} (both when mixed),
//            "iat":<seconds since the epoch>,
//            "orig":{"tn":"..."} or {"uri":"..."},
//            "origid":"<UUID>"}                                  (origid left out when empty)
//
// Decoding checks the form, not the meaning: alg ES256, typ passport, no ppt, x5u present;
// iat an integer; orig with exactly one of tn/uri as a string; dest an object of tn/uri arrays of
// strings, at least one entry. Unknown header members and claims are ignored (RFC 8225 §8.3
// lets them be added). Whether the signature verifies, and whether the claims match the
// request, is verifier.hpp's work. The signature is checked over the received text of
// header "." claims, never over a re-serialization.
//
// Errors (IdentityErrc): TooLarge, MalformedHeader (not three parts), BadEncoding, BadJson,
// UnsupportedAlg, UnsupportedType, UnsupportedPpt, MissingClaim, BadClaim.
// Thread-safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "crypto/es256.hpp"
#include "sip/identity/identity_errc.hpp"
#include "sip/identity/party.hpp"

namespace warden::sip::identity {

// Limits on everything a peer controls in an Identity header.
struct IdentityLimits {
  std::size_t max_header_bytes = 4096;     // one Identity header value
  std::size_t max_identity_headers = 4;    // Identity headers in one request
  std::size_t max_info_bytes = 512;        // the info URL
  std::size_t max_json_bytes = 2048;       // a decoded JWS header or claims object
  std::size_t max_json_depth = 4;          // nesting of objects and arrays
  std::size_t max_dest = 16;               // dest entries (tn + uri)
  std::size_t max_claim_string_bytes = 256;
};

struct Passport {
  std::string x5u;               // the info URL where the signer's certificate is
  Party orig;                    // kind and claim are used
  std::vector<Party> dest;       // kind and claim are used
  std::int64_t iat = 0;          // seconds since the Unix epoch
  std::string origid;            // "" leaves the claim out
};

// The canonical JSON of the JWS header and of the claims.
std::string passport_header_json(const Passport& p);
std::string passport_claims_json(const Passport& p);

// The compact serialization BASE64URL(header) "." BASE64URL(claims) "." BASE64URL(signature).
base::Result<std::string> sign_passport(const Passport& p, const crypto::EcPrivateKey& key);

struct DecodedPassport {
  Passport passport;           // orig/dest: value is canonical (comparable), claim as received
  std::string signing_input;   // the received header "." claims text
  std::string signature;       // 64 raw bytes, r || s
};

base::Result<DecodedPassport> decode_passport(std::string_view jws, const IdentityLimits& limits);

}  // namespace warden::sip::identity
