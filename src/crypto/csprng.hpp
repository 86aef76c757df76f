#pragma once
// The production Random: OpenSSL's RAND_bytes (a DRBG seeded from the operating system).
// Thread-safety: safe to share between threads (OpenSSL 3 keeps per-thread DRBGs).
// Errors: none returned; if OpenSSL cannot produce random bytes the process aborts, because
// continuing would hand out guessable tags, branches and nonces.

#include "base/random.hpp"

namespace warden::crypto {

class Csprng final : public base::Random {
 public:
  void fill(std::span<std::byte> out) noexcept override;
};

}  // namespace warden::crypto
