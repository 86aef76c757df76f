#include "runtime/endpoint.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "base/error.hpp"

namespace warden::runtime {

Endpoint Endpoint::v4(std::array<std::uint8_t, 4> addr, std::uint16_t port) noexcept {
  Endpoint e;
  std::memcpy(e.addr_.data(), addr.data(), 4);
  e.port_ = port;
  e.family_ = Family::V4;
  return e;
}

Endpoint Endpoint::v6(std::array<std::uint8_t, 16> addr, std::uint16_t port) noexcept {
  Endpoint e;
  e.addr_ = addr;
  e.port_ = port;
  e.family_ = Family::V6;
  return e;
}

base::Result<Endpoint> Endpoint::from_address(std::string_view address, std::uint16_t port) {
  if (address.empty() || address.size() > 45) return base::Errc::InvalidArgument;
  char buf[46] = {};
  std::memcpy(buf, address.data(), address.size());
  std::array<std::uint8_t, 16> bytes{};
  if (address.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, bytes.data()) != 1) return base::Errc::InvalidArgument;
    return v4({bytes[0], bytes[1], bytes[2], bytes[3]}, port);
  }
  if (inet_pton(AF_INET6, buf, bytes.data()) != 1) return base::Errc::InvalidArgument;
  return v6(bytes, port);
}

base::Result<Endpoint> Endpoint::parse(std::string_view text) {
  std::string_view addr = text;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return base::Errc::InvalidArgument;
    addr = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return base::Errc::InvalidArgument;
      port_text = rest.substr(1);
      if (port_text.empty()) return base::Errc::InvalidArgument;
    }
    if (addr.find(':') == std::string_view::npos) return base::Errc::InvalidArgument;
  } else if (const auto colon = text.find(':'); colon != std::string_view::npos &&
                                               text.find(':', colon + 1) == std::string_view::npos) {
    addr = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (port_text.empty()) return base::Errc::InvalidArgument;
  }
  std::uint16_t port = 0;
  if (!port_text.empty()) {
    if (port_text.size() > 5) return base::Errc::InvalidArgument;
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || value > 65535) {
      return base::Errc::InvalidArgument;
    }
    port = static_cast<std::uint16_t>(value);
  }
  return from_address(addr, port);
}

std::string Endpoint::address_string() const {
  if (is_v4()) {
    // Dotted quad by hand: glibc's inet_ntop formats IPv4 with sprintf, and the proxy asks for
    // the source address of every message.
    std::string out;
    out.reserve(15);
    for (std::size_t i = 0; i < 4; ++i) {
      if (i != 0) out += '.';
      unsigned v = addr_[i];
      if (v >= 100) {
        out += static_cast<char>('0' + v / 100);
        v %= 100;
        out += static_cast<char>('0' + v / 10);
      } else if (v >= 10) {
        out += static_cast<char>('0' + v / 10);
      }
      out += static_cast<char>('0' + v % 10);
    }
    return out;
  }
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, addr_.data(), buf, sizeof buf);
  return buf;
}

std::string Endpoint::to_string() const {
  std::string out;
  if (is_v4()) {
    out = address_string();
  } else {
    out = "[" + address_string() + "]";
  }
  out += ':';
  out += std::to_string(port_);
  return out;
}

namespace {
std::size_t hash_bytes(const std::uint8_t* p, std::size_t n, std::size_t h) noexcept {
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;  // FNV-1a
  return h;
}
}  // namespace

std::size_t AddressHash::operator()(const Endpoint& e) const noexcept {
  const auto b = e.address_bytes();
  return hash_bytes(b.data(), b.size(), 14695981039346656037ULL);
}

std::size_t EndpointHash::operator()(const Endpoint& e) const noexcept {
  const std::uint8_t port[2] = {static_cast<std::uint8_t>(e.port() >> 8),
                                static_cast<std::uint8_t>(e.port() & 0xff)};
  return hash_bytes(port, 2, AddressHash{}(e));
}

}  // namespace warden::runtime
