#include "base/random.hpp"

#include <array>
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
  // log2(36) = 5.17 bits per character.
  const auto chars = static_cast<std::size_t>(std::ceil(bits / 5.169925001442312));
  std::string out(chars, '0');
  for (auto& c : out) c = kAlphabet[rng.uniform(36)];
  return out;
}

}  // namespace warden::base
