#include "sip/sdp/address.hpp"

#include "sip/sdp/text.hpp"

namespace warden::sip::sdp {

using detail::is_digit;
using detail::is_hex;

AddrType addr_type_from_text(std::string_view text) noexcept {
  if (text == "IP4") return AddrType::Ip4;
  if (text == "IP6") return AddrType::Ip6;
  return AddrType::Other;
}

NetType net_type_from_text(std::string_view text) noexcept {
  return text == "IN" ? NetType::In : NetType::Other;
}

std::string_view to_string(AddrType t) noexcept {
  switch (t) {
    case AddrType::Ip4: return "IP4";
    case AddrType::Ip6: return "IP6";
    case AddrType::Other: break;
  }
  return {};
}

bool is_ipv4_address(std::string_view text) noexcept {
  int octets = 0;
  std::size_t i = 0;
  while (true) {
    const std::size_t start = i;
    unsigned value = 0;
    while (i < text.size() && is_digit(text[i]) && i - start < 3) {
      value = value * 10 + static_cast<unsigned>(text[i] - '0');
      ++i;
    }
    const std::size_t len = i - start;
    if (len == 0 || value > 255 || (len > 1 && text[start] == '0')) return false;
    ++octets;
    if (octets == 4) return i == text.size();
    if (i >= text.size() || text[i] != '.') return false;
    ++i;
  }
}

bool is_ipv6_address(std::string_view text) noexcept {
  if (text.size() < 2 || text.size() > 45) return false;
  int groups = 0;             // 16-bit groups seen, an IPv4 tail counting as two
  bool compressed = false;    // "::" seen
  std::size_t i = 0;
  if (text[0] == ':') {
    if (text[1] != ':') return false;
    compressed = true;
    i = 2;
    if (i == text.size()) return true;  // "::"
  }
  while (i < text.size()) {
    const std::size_t start = i;
    while (i < text.size() && is_hex(text[i]) && i - start < 5) ++i;
    const std::size_t len = i - start;
    if (i < text.size() && text[i] == '.') {
      // IPv4 tail: must be the last piece and leave room for two groups.
      if (!is_ipv4_address(text.substr(start))) return false;
      groups += 2;
      i = text.size();
      break;
    }
    if (len == 0 || len > 4) return false;
    ++groups;
    if (i == text.size()) break;
    if (text[i] != ':') return false;
    ++i;
    if (i < text.size() && text[i] == ':') {
      if (compressed) return false;
      compressed = true;
      ++i;
      if (i == text.size()) break;  // trailing "::"
    } else if (i == text.size()) {
      return false;  // a single trailing ':'
    }
    if (groups > 8) return false;
  }
  return compressed ? groups <= 7 : groups == 8;
}

bool is_fqdn(std::string_view text) noexcept {
  if (text.empty() || text.size() > 255) return false;
  bool has_non_numeric = false;
  for (char c : text) {
    if (detail::is_alpha(c) || c == '-') {
      has_non_numeric = true;
    } else if (!is_digit(c) && c != '.') {
      return false;
    }
  }
  return has_non_numeric;
}

bool is_multicast(AddrType type, std::string_view address) noexcept {
  if (type == AddrType::Ip4 && is_ipv4_address(address)) {
    unsigned first = 0;
    for (char c : address) {
      if (c == '.') break;
      first = first * 10 + static_cast<unsigned>(c - '0');
    }
    return first >= 224 && first <= 239;
  }
  if (type == AddrType::Ip6 && is_ipv6_address(address)) {
    return address.size() >= 2 && detail::to_lower(address[0]) == 'f' &&
           detail::to_lower(address[1]) == 'f' && address.size() > 2 && address[2] != ':' &&
           address.find(':') == 4;
  }
  return false;
}

bool is_unicast_address(AddrType type, std::string_view text) noexcept {
  switch (type) {
    case AddrType::Ip4: return is_ipv4_address(text) || is_fqdn(text);
    case AddrType::Ip6: return is_ipv6_address(text) || is_fqdn(text);
    case AddrType::Other: break;
  }
  return detail::is_non_ws_string(text);
}

}  // namespace warden::sip::sdp
