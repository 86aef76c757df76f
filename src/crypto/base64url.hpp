#pragma once
// base64url without padding (RFC 4648 §5, as JWS uses it: RFC 7515 §2 "Base64url Encoding").
// Decoding is strict: only the 64 URL-safe characters, no '=' padding, no white space, a length
// that is not 1 modulo 4, and zero bits left over in the last character (one text per value).
// Thread-safety: pure functions. Errors: base64url_decode() returns nullopt for any other input.

#include <optional>
#include <string>
#include <string_view>

namespace warden::crypto {

std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);
// True when every character of `text` is in the base64url alphabet (no length check).
bool is_base64url_alphabet(std::string_view text) noexcept;

}  // namespace warden::crypto
