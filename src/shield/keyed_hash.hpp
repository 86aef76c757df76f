#pragma once
// KeyedHash: SipHash-2-4 (Aumasson and Bernstein, 2012) under a secret 128-bit key, the hash of
// every shield table. Attackers choose their source addresses (an IPv6 /64 holds 2^64 of them)
// and the account names they try; with a public hash they could pick values that all land in
// one bucket and turn each look-up into a walk of the whole table (hash flooding). The key
// comes from the CSPRNG at start (ShieldConfig::hash_key); tests use a fixed key.
// Thread-safety: immutable after construction. Errors: none.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "shield/address.hpp"

namespace warden::shield {

class KeyedHash {
 public:
  using Key = std::array<std::uint8_t, 16>;

  explicit KeyedHash(const Key& key = {}) noexcept;

  std::uint64_t operator()(std::span<const std::uint8_t> data) const noexcept;
  std::uint64_t operator()(std::string_view text) const noexcept;
  std::uint64_t operator()(const Address& a) const noexcept;
  // An address together with a 64-bit value (the hash of an account name, for per-(source,
  // account) counters).
  std::uint64_t operator()(const Address& a, std::uint64_t extra) const noexcept;

 private:
  std::uint64_t k0_;
  std::uint64_t k1_;
};

}  // namespace warden::shield
