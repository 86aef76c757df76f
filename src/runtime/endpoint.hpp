#pragma once
// Endpoint: an IP address (IPv4 or IPv6) and a port, the value a transport reports as the
// source of a message and accepts as a destination. RFC 3581 `received`/`rport` are
// address_string() and port() of the source Endpoint.
// IPv6 scope ids (link-local zones) are not kept.
// Thread-safety: a plain value type. Errors: parse() returns base::Errc::InvalidArgument.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace warden::runtime {

class Endpoint {
 public:
  enum class Family : std::uint8_t { V4, V6 };

  Endpoint() = default;  // 0.0.0.0:0
  static Endpoint v4(std::array<std::uint8_t, 4> addr, std::uint16_t port) noexcept;
  static Endpoint v6(std::array<std::uint8_t, 16> addr, std::uint16_t port) noexcept;
  static Endpoint loopback_v4(std::uint16_t port = 0) noexcept { return v4({127, 0, 0, 1}, port); }

  // "192.0.2.1:5060", "[2001:db8::1]:5060"; a bare address means port 0.
  static base::Result<Endpoint> parse(std::string_view text);
  // An address literal without port ("192.0.2.1", "2001:db8::1") and a port.
  static base::Result<Endpoint> from_address(std::string_view address, std::uint16_t port);

  Family family() const noexcept { return family_; }
  bool is_v4() const noexcept { return family_ == Family::V4; }
  std::uint16_t port() const noexcept { return port_; }
  // 4 bytes for IPv4, 16 for IPv6, network order.
  std::span<const std::uint8_t> address_bytes() const noexcept {
    return {addr_.data(), is_v4() ? std::size_t{4} : std::size_t{16}};
  }
  Endpoint with_port(std::uint16_t port) const noexcept {
    Endpoint e = *this;
    e.port_ = port;
    return e;
  }
  bool same_address(const Endpoint& o) const noexcept {
    return family_ == o.family_ && addr_ == o.addr_;
  }

  std::string address_string() const;  // "192.0.2.1", "2001:db8::1"
  std::string to_string() const;       // "192.0.2.1:5060", "[2001:db8::1]:5060"

  friend bool operator==(const Endpoint&, const Endpoint&) = default;

 private:
  std::array<std::uint8_t, 16> addr_{};
  std::uint16_t port_ = 0;
  Family family_ = Family::V4;
};

struct EndpointHash {
  std::size_t operator()(const Endpoint& e) const noexcept;
};
// Hashes the address only (for per-source-address counters).
struct AddressHash {
  std::size_t operator()(const Endpoint& e) const noexcept;
};
struct SameAddress {
  bool operator()(const Endpoint& a, const Endpoint& b) const noexcept { return a.same_address(b); }
};

}  // namespace warden::runtime
