#pragma once
// The production Random: OpenSSL's RAND_bytes (a DRBG seeded from the operating system).
// Requests of up to 1 KB are served from a per-thread block of 4 KB drawn with one
// RAND_bytes call (one call per small request cost more than the rest of a nonce); each byte is
// handed out once and wiped from the block as it goes, and a child process after fork() draws
// a fresh block rather than repeat its parent's. Larger requests go to RAND_bytes directly.
// Thread-safety: safe to share between threads (the blocks are per thread; OpenSSL 3 keeps
// per-thread DRBGs).
// Errors: none returned; if OpenSSL cannot produce random bytes the process aborts, because
// continuing would hand out guessable tags, branches and nonces.

#include "base/random.hpp"

namespace warden::crypto {

class Csprng final : public base::Random {
 public:
  Csprng();
  void fill(std::span<std::byte> out) noexcept override;
};

}  // namespace warden::crypto
