#include "shield/keyed_hash.hpp"

#include <cstring>

namespace warden::shield {

namespace {

constexpr std::uint64_t rotl(std::uint64_t x, int b) noexcept { return (x << b) | (x >> (64 - b)); }

std::uint64_t load_le(const std::uint8_t* p, std::size_t n) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{p[i]} << (8 * i);
  return v;
}

struct State {
  std::uint64_t v0, v1, v2, v3;
  void round() noexcept {
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
  }
  void compress(std::uint64_t m) noexcept {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

}  // namespace

KeyedHash::KeyedHash(const Key& key) noexcept : k0_(load_le(key.data(), 8)), k1_(load_le(key.data() + 8, 8)) {}

std::uint64_t KeyedHash::operator()(std::span<const std::uint8_t> data) const noexcept {
  State s{k0_ ^ 0x736f6d6570736575ULL, k1_ ^ 0x646f72616e646f6dULL, k0_ ^ 0x6c7967656e657261ULL,
          k1_ ^ 0x7465646279746573ULL};
  const std::size_t n = data.size();
  const std::size_t whole = n - n % 8;
  for (std::size_t i = 0; i < whole; i += 8) s.compress(load_le(data.data() + i, 8));
  s.compress((std::uint64_t{n & 0xff} << 56) | load_le(data.data() + whole, n - whole));
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

std::uint64_t KeyedHash::operator()(std::string_view text) const noexcept {
  return (*this)({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

std::uint64_t KeyedHash::operator()(const Address& a) const noexcept {
  std::uint8_t buf[17] = {};
  const auto b = a.bytes();
  std::memcpy(buf, b.data(), b.size());
  buf[16] = static_cast<std::uint8_t>(a.family());
  return (*this)(std::span<const std::uint8_t>(buf, sizeof buf));
}

std::uint64_t KeyedHash::operator()(const Address& a, std::uint64_t extra) const noexcept {
  std::uint8_t buf[25] = {};
  const auto b = a.bytes();
  std::memcpy(buf, b.data(), b.size());
  buf[16] = static_cast<std::uint8_t>(a.family());
  for (int i = 0; i < 8; ++i) buf[17 + i] = static_cast<std::uint8_t>(extra >> (8 * i));
  return (*this)(std::span<const std::uint8_t>(buf, sizeof buf));
}

}  // namespace warden::shield
