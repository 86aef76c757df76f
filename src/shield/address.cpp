#include "shield/address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace warden::shield {

namespace {
constexpr std::array<std::uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
}

Address Address::v4(std::array<std::uint8_t, 4> bytes) noexcept {
  Address a;
  std::memcpy(a.bytes_.data(), bytes.data(), 4);
  a.family_ = Family::V4;
  return a;
}

Address Address::v6(const std::array<std::uint8_t, 16>& bytes) noexcept {
  if (std::memcmp(bytes.data(), kV4MappedPrefix.data(), kV4MappedPrefix.size()) == 0) {
    return v4({bytes[12], bytes[13], bytes[14], bytes[15]});
  }
  Address a;
  a.bytes_ = bytes;
  a.family_ = Family::V6;
  return a;
}

std::optional<Address> Address::from_bytes(std::span<const std::uint8_t> bytes) noexcept {
  if (bytes.size() == 4) return v4({bytes[0], bytes[1], bytes[2], bytes[3]});
  if (bytes.size() == 16) {
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), bytes.data(), 16);
    return v6(b);
  }
  return std::nullopt;
}

std::optional<Address> Address::parse(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  char buf[46] = {};
  std::memcpy(buf, text.data(), text.size());
  std::array<std::uint8_t, 16> b{};
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, b.data()) != 1) return std::nullopt;
    return v4({b[0], b[1], b[2], b[3]});
  }
  if (inet_pton(AF_INET6, buf, b.data()) != 1) return std::nullopt;
  return v6(b);
}

Address Address::masked(unsigned bits) const noexcept {
  Address a = *this;
  const unsigned width = is_v4() ? 32 : 128;
  if (bits >= width) return a;
  const unsigned full = bits / 8;
  const unsigned rest = bits % 8;
  if (rest != 0) a.bytes_[full] = static_cast<std::uint8_t>(a.bytes_[full] & (0xff << (8 - rest)));
  for (unsigned i = full + (rest != 0 ? 1 : 0); i < 16; ++i) a.bytes_[i] = 0;
  return a;
}

std::string Address::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

std::optional<Network> Network::parse(std::string_view text) {
  const auto slash = text.find('/');
  auto base = Address::parse(text.substr(0, slash));
  if (!base) return std::nullopt;
  const unsigned width = base->is_v4() ? 32 : 128;
  unsigned bits = width;
  if (slash != std::string_view::npos) {
    const std::string_view len = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), bits);
    if (len.empty() || ec != std::errc() || end != len.data() + len.size() || bits > width) return std::nullopt;
  }
  return Network{base->masked(bits), bits};
}

}  // namespace warden::shield
