#pragma once
// Address: the source IP address every shield table is keyed by (no port: one host is one
// source whatever port it sends from), and Network, an address prefix (192.0.2.0/24).
// The shield does not depend on runtime/, so the proxy converts an Endpoint with
// `Address::from_bytes(endpoint.address_bytes())`.
// An IPv4-mapped IPv6 address (::ffff:192.0.2.1, what a dual-stack socket reports for an IPv4
// peer) is the IPv4 address: a flood must not escape its per-/24 limit by switching socket.
// Thread-safety: plain value types. Errors: parse() returns std::nullopt for anything but an
// address literal; from_bytes() for a size other than 4 or 16.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace warden::shield {

class Address {
 public:
  enum class Family : std::uint8_t { V4, V6 };

  Address() = default;  // 0.0.0.0
  static Address v4(std::array<std::uint8_t, 4> bytes) noexcept;
  static Address v6(const std::array<std::uint8_t, 16>& bytes) noexcept;
  // 4 bytes (IPv4) or 16 (IPv6), network order.
  static std::optional<Address> from_bytes(std::span<const std::uint8_t> bytes) noexcept;
  // "192.0.2.1", "2001:db8::1".
  static std::optional<Address> parse(std::string_view text);

  Family family() const noexcept { return family_; }
  bool is_v4() const noexcept { return family_ == Family::V4; }
  std::span<const std::uint8_t> bytes() const noexcept {
    return {bytes_.data(), is_v4() ? std::size_t{4} : std::size_t{16}};
  }
  // The address with every bit after the first `bits` cleared (bits beyond the family's
  // width are ignored): the key of the network the address is in.
  Address masked(unsigned bits) const noexcept;

  std::string to_string() const;

  friend bool operator==(const Address&, const Address&) = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};  // IPv4 in the first 4, the rest zero
  Family family_ = Family::V4;
};

// A prefix: every address whose first `bits` bits equal those of `base`.
struct Network {
  Address base;
  unsigned bits = 32;

  // "192.0.2.0/24", "2001:db8::/32"; a bare address is a host (/32 or /128).
  static std::optional<Network> parse(std::string_view text);
  bool contains(const Address& a) const noexcept {
    return a.family() == base.family() && a.masked(bits) == base.masked(bits);
  }
};

}  // namespace warden::shield
