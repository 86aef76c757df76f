#pragma once
// Randomness is injected. Identifiers that a third party must not guess (tags, branches,
// Call-IDs, nonces) always come from a cryptographically secure Random: crypto::Csprng.
// Thread-safety: implementations document their own.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace warden::base {

class Random {
 public:
  virtual ~Random() = default;
  // Fills `out` with random octets. Never fails: an implementation that cannot produce
  // secure randomness aborts the process rather than return predictable bytes.
  virtual void fill(std::span<std::byte> out) noexcept = 0;

  std::uint64_t next_u64() noexcept {
    std::uint64_t v = 0;
    fill(std::as_writable_bytes(std::span(&v, 1)));
    return v;
  }
  // Uniform in [0, bound) without modulo bias; bound > 0.
  std::uint64_t uniform(std::uint64_t bound) noexcept;
};

// `bits` of entropy (rounded up to whole characters) as a token of [0-9a-z] characters, safe
// in SIP tags, branches and Call-IDs. 128 bits take 25 characters.
std::string random_token(Random& rng, unsigned bits = 128);

}  // namespace warden::base
