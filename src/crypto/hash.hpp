#pragma once
// Message digests and HMAC through OpenSSL 3 (EVP). The hashes are the three digest
// authentication uses (RFC 7616 §3.2, RFC 8760): MD5, SHA-256 and SHA-512/256; HMAC-SHA-256
// signs server nonces. Never a hand-written primitive.
// Thread-safety: pure functions. Errors: none in practice; an OpenSSL failure aborts (it means
// the library is broken, and an empty digest would compare equal to nothing useful).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace warden::crypto {

enum class HashAlgorithm : std::uint8_t { Md5, Sha256, Sha512_256 };

// Lower-case hexadecimal digest of `data`.
std::string hex_digest(HashAlgorithm alg, std::string_view data);

// An incremental digest for H(a ":" b ":" c) without building the joined string. Short inputs
// (up to kBuffered bytes in all, which covers every digest-authentication hash) are gathered
// here and hashed in one call, with an OpenSSL context the thread reuses; longer ones stream.
class Hasher {
 public:
  explicit Hasher(HashAlgorithm alg) noexcept : alg_(alg) {}
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  Hasher& update(std::string_view data);
  std::string hex_final();

 private:
  static constexpr std::size_t kBuffered = 512;
  void spill();  // moves the gathered bytes into a streaming context

  HashAlgorithm alg_;
  std::size_t used_ = 0;
  void* ctx_ = nullptr;  // EVP_MD_CTX once the input outgrew the buffer (OpenSSL stays in crypto/)
  std::array<char, kBuffered> buffer_;
};

// HMAC-SHA-256 of `data` under `key`: 32 raw bytes.
std::array<std::uint8_t, 32> hmac_sha256(std::string_view key, std::string_view data);

// Compares in time independent of where the inputs differ (CRYPTO_memcmp).
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace warden::crypto
