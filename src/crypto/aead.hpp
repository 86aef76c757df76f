#pragma once
// AES-256-GCM authenticated encryption (NIST SP 800-38D) through OpenSSL 3 (EVP): a 32-byte key,
// a 12-byte nonce, optional associated data, and a 16-byte tag appended to the ciphertext.
// A nonce must never be used twice with one key for different plaintexts; callers either draw
// it from the CSPRNG or derive it from the plaintext with HMAC (a synthetic nonce).
// Thread-safety: pure functions. Errors: aes256gcm_open() returns nullopt when the key or nonce
// has the wrong size, the input is shorter than a tag, or the tag does not match; seal() returns
// "" on a key or nonce of the wrong size. An OpenSSL failure aborts, as in hash.hpp.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace warden::crypto {

inline constexpr std::size_t kAes256GcmKeyBytes = 32;
inline constexpr std::size_t kAes256GcmNonceBytes = 12;
inline constexpr std::size_t kAes256GcmTagBytes = 16;

// ciphertext || tag (plaintext.size() + 16 bytes).
std::string aes256gcm_seal(std::string_view key, std::string_view nonce, std::string_view aad,
                           std::string_view plaintext);
// The plaintext of `sealed` (ciphertext || tag), or nullopt if it was not sealed with this key,
// nonce and aad.
std::optional<std::string> aes256gcm_open(std::string_view key, std::string_view nonce, std::string_view aad,
                                          std::string_view sealed);

}  // namespace warden::crypto
