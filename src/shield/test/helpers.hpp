#pragma once
// Shared by the shield tests: addresses from text and a manual monotonic time.

#include <cassert>
#include <chrono>
#include <string_view>

#include "base/clock.hpp"
#include "shield/address.hpp"

namespace warden::shield::test {

inline Address ip(std::string_view text) {
  const auto a = Address::parse(text);
  assert(a.has_value());
  return *a;
}

// Distinct sources: 192.0.2.<n> for n < 256, 10.<n> (the 24 low bits of n) beyond.
inline Address nth(unsigned n) {
  if (n < 256) return Address::v4({192, 0, 2, static_cast<std::uint8_t>(n)});
  return Address::v4({10, static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
                      static_cast<std::uint8_t>(n)});
}

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

inline base::TimePoint at(base::Duration d) { return base::TimePoint{} + d; }

}  // namespace warden::shield::test
