#pragma once
// HTTP Digest as SIP uses it (RFC 3261 §22.4, RFC 7616 §3.4, algorithms per RFC 8760):
// MD5, SHA-256 and SHA-512-256, qop "auth" and "auth-int" (and none, for old clients).
// Accounts store HA1 = H(username ":" realm ":" password) per algorithm, never the password.
// Thread-safety: pure functions.

#include <optional>
#include <string>
#include <string_view>

#include "crypto/hash.hpp"

namespace warden::sip::auth {

enum class Algorithm : std::uint8_t { Md5, Sha256, Sha512_256 };

// "MD5" (also the meaning of an absent algorithm), "SHA-256", "SHA-512-256"; case-insensitive.
// The "-sess" variants are not offered and not accepted.
std::optional<Algorithm> algorithm_from_name(std::string_view name) noexcept;
std::string_view name(Algorithm a) noexcept;
// Stronger algorithms compare greater: MD5 < SHA-256 < SHA-512-256.
inline int strength(Algorithm a) noexcept { return static_cast<int>(a); }

std::string compute_ha1(Algorithm a, std::string_view username, std::string_view realm, std::string_view password);

struct DigestInput {
  std::string_view method;
  std::string_view uri;     // digest-uri as sent in the credentials
  std::string_view nonce;
  std::string_view nc;      // 8 hex digits; "" without qop
  std::string_view cnonce;  // "" without qop
  std::string_view qop;     // "", "auth" or "auth-int"
  std::string_view body;    // for auth-int
};

// response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2) with qop, or
// H(HA1 ":" nonce ":" HA2) without; HA2 = H(method ":" uri [":" H(body)]).
std::string compute_response(Algorithm a, std::string_view ha1, const DigestInput& in);

}  // namespace warden::sip::auth
