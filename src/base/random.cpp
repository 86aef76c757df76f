#include "base/random.hpp"

#include <algorithm>
#include <array>
#include <span>
#include <cmath>

namespace warden::base {

std::uint64_t Random::uniform(std::uint64_t bound) noexcept {
  // Rejection sampling: drop the top remainder so every residue is equally likely.
  const std::uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
  for (;;) {
    std::uint64_t v = next_u64();
    if (v < limit) return v % bound;
  }
}

std::string random_token(Random& rng, unsigned bits) {
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  // log2(36) = 5.17 bits per character. Octets come in one batch (one call into the CSPRNG
  // for the whole token, not one per character); an octet of 252 or more is dropped so that
  // every character stays equally likely (252 = 7 * 36).
  const auto chars = static_cast<std::size_t>(std::ceil(bits / 5.169925001442312));
  std::string out;
  out.reserve(chars);
  std::array<std::byte, 64> pool{};
  std::size_t used = 0, filled = 0;
  while (out.size() < chars) {
    if (used == filled) {
      filled = std::min(pool.size(), (chars - out.size()) + 8);
      rng.fill(std::span(pool.data(), filled));
      used = 0;
    }
    const auto v = static_cast<unsigned>(pool[used++]);
    if (v < 252) out += kAlphabet[v % 36];
  }
  return out;
}

}  // namespace warden::base
