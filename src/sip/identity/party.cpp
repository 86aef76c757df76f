#include "sip/identity/party.hpp"

#include <algorithm>

namespace warden::sip::identity {

namespace {

constexpr std::size_t kMaxTnDigits = 32;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowered(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

// '+' then digits and visual separators, at least one digit.
bool looks_global(std::string_view user) {
  if (user.size() < 2 || user.front() != '+') return false;
  return canonical_tn(user).has_value();
}

std::optional<Party> uri_party(const msg::Uri& uri) {
  std::string user;
  if (!msg::unescape(uri.user, user)) return std::nullopt;
  const std::string scheme = lowered(uri.scheme_text) + ":";
  std::string host = lowered(uri.host);
  if (uri.host_kind == msg::HostKind::IPv6) host = "[" + host + "]";
  if (uri.port) host += ":" + std::to_string(*uri.port);
  const std::string at = uri.has_userinfo ? "@" : "";
  return Party{Party::Kind::Uri, scheme + user + at + host, scheme + std::string(uri.user) + at + host};
}

}  // namespace

std::optional<std::string> canonical_tn(std::string_view number) {
  if (!number.empty() && number.front() == '+') number.remove_prefix(1);
  std::string digits;
  for (char c : number) {
    if (c >= '0' && c <= '9') {
      if (digits.size() == kMaxTnDigits) return std::nullopt;
      digits += c;
    } else if (c != '-' && c != '.' && c != '(' && c != ')') {
      return std::nullopt;
    }
  }
  if (digits.empty()) return std::nullopt;
  return digits;
}

std::optional<Party> party_of(const msg::Uri& uri) {
  if (uri.scheme == msg::Scheme::Tel) {
    auto digits = canonical_tn(uri.user);
    if (!digits) return std::nullopt;
    return Party{Party::Kind::Tn, *digits, *digits};
  }
  if (!uri.is_sip()) return std::nullopt;
  std::string user;
  if (!msg::unescape(uri.user, user)) return std::nullopt;
  // A telephone-subscriber user part may carry its own parameters (";phone-context=...").
  const std::string_view number = std::string_view(user).substr(0, user.find(';'));
  const auto user_param = uri.param("user");
  if ((user_param && iequals(*user_param, "phone")) || looks_global(number)) {
    auto digits = canonical_tn(number);
    if (!digits) return std::nullopt;
    return Party{Party::Kind::Tn, *digits, *digits};
  }
  return uri_party(uri);
}

std::optional<Party> uri_claim_party(std::string_view claim) {
  msg::Uri uri;
  if (!msg::parse_uri(claim, uri, 16) || !uri.is_sip()) return std::nullopt;
  return uri_party(uri);
}

}  // namespace warden::sip::identity
