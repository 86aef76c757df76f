#pragma once
// The compact JWS pieces that PASSporTs (RFC 8225) and referral tokens share (RFC 7515 §7.1):
// canonical JSON text, a nesting-depth bound checked before any JSON parser sees the text, the
// split into header.claims.signature, and ES256 signing of header and claims.
// Thread-safety: pure functions. Errors: sign_compact_jws() returns es256_sign()'s.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.hpp"
#include "crypto/es256.hpp"

namespace warden::sip::identity {

// RFC 8225 §9: no white space, members in lexicographic order (nlohmann's std::map objects),
// UTF-8 kept; invalid UTF-8 (never produced here) replaced rather than thrown.
std::string canonical_json(const nlohmann::json& j);

// The deepest nesting of objects and arrays in `text`, counted without parsing it.
std::size_t json_nesting_depth(std::string_view text) noexcept;

struct CompactJws {
  std::string_view header, claims, signature;  // base64url parts, none empty
  std::string_view signing_input;              // "header.claims"
};
// Exactly three non-empty dot-separated parts, or nothing. The views point into `jws`.
std::optional<CompactJws> split_compact_jws(std::string_view jws) noexcept;

// base64url(header_json) "." base64url(claims_json) "." base64url(ES256 signature, r||s).
base::Result<std::string> sign_compact_jws(std::string_view header_json, std::string_view claims_json,
                                           const crypto::EcPrivateKey& key);

}  // namespace warden::sip::identity
