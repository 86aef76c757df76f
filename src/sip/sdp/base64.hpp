#pragma once
// Base64 (RFC 4648 §4, standard alphabet) as SDP carries it in RFC 4568 inline keys.
// Padding is optional, but '=' may appear only at the end and only to fill the last quantum.
// Thread-safety: pure functions. Errors: decode_base64() returns nullopt for any other
// character, misplaced padding or an impossible length (4n+1 characters).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace warden::sip::sdp {

bool is_base64(std::string_view text) noexcept;
// Number of bytes `text` decodes to, or nullopt if it is not valid base64.
std::optional<std::size_t> base64_decoded_size(std::string_view text) noexcept;
std::optional<std::vector<std::byte>> decode_base64(std::string_view text);
std::string encode_base64(const std::vector<std::byte>& bytes);

}  // namespace warden::sip::sdp
