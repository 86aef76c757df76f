#include "shield/destination_rules.hpp"

#include <algorithm>
#include <cctype>

namespace warden::shield {

namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_separator(char c) noexcept { return c == '-' || c == '.' || c == '(' || c == ')' || c == ' '; }

bool starts_with_ignore_case(std::string_view s, std::string_view prefix) noexcept {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

const std::vector<std::string>& default_blocked_prefixes() {
  static const std::vector<std::string> kList = {
      // ITU-T E.169.2 International Premium Rate Service: a country code whose whole purpose is
      // charging the caller; no ordinary subscriber lives there.
      "+979",
      // Global Mobile Satellite System: Iridium (+8816, +8817), Globalstar (+8818, +8819) and the
      // older ICO/Ellipso blocks; satellite phones cost several euros a minute.
      "+881",
      // International Networks (shared code): ranges handed to carriers without a country
      // (Thuraya +88216, maritime and aeronautical networks, ...), the classic IRSF targets.
      "+882",
      // International Networks, the continuation of +882 once it filled up.
      "+883",
      // Inmarsat Single Network Access Code: maritime and aeronautical satellite terminals.
      "+870",
      // North American Numbering Plan 900 service: pay-per-call lines in the US and Canada.
      "+1900",
      // United Kingdom 09 numbers: premium-rate services (090, 091) and adult services (098).
      "+449",
      // Germany 0900: premium-rate services (Premium-Dienste).
      "+49900",
      // France 089: value-added services on the highest tariffs.
      "+3389",
      // Netherlands 0900 information lines, 0906 adult lines, 0909 entertainment lines.
      "+31900",
      "+31906",
      "+31909",
      // Belgium 090x: premium-rate services (0900 to 0909).
      "+3290",
      // Austria 0900 paid services, 0930 entertainment, 0939 adult services.
      "+43900",
      "+43930",
      "+43939",
      // Switzerland 0900 business, 0901 entertainment and 0906 adult value-added services.
      "+41900",
      "+41901",
      "+41906",
      // Italy 89x: premium-rate and adult services (892, 894, 895, 899).
      "+3989",
      // Spain 803 adult, 806 entertainment, 807 professional services, 905 mass-calling lines.
      "+34803",
      "+34806",
      "+34807",
      "+34905",
  };
  return kList;
}

std::optional<DialledNumber> DestinationRules::normalise(std::string_view s,
                                                         const std::vector<std::string>& international_prefixes) {
  if (starts_with_ignore_case(s, "tel:")) s.remove_prefix(4);
  if (const auto semi = s.find(';'); semi != std::string_view::npos) s = s.substr(0, semi);

  DialledNumber n;
  bool plus = false;
  bool any_digit = false;
  // Raw digits (access code included) kept until the access code is known; one more than the
  // result so that an access code can be removed without losing a digit of the result.
  std::array<char, DialledNumber::kMaxDigits + 4> raw{};
  std::size_t raw_size = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (is_separator(c)) continue;
    if (c == '+') {
      if (plus || any_digit) return std::nullopt;  // '+' only once, before every digit
      plus = true;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    any_digit = true;
    if (raw_size < raw.size()) raw[raw_size++] = c;
  }
  if (!any_digit) return std::nullopt;

  std::string_view digits(raw.data(), raw_size);
  if (plus) {
    n.international = true;
  } else {
    // The longest access code that starts the digits and leaves at least one digit.
    std::size_t cut = 0;
    for (const std::string& code : international_prefixes) {
      if (!code.empty() && code.size() > cut && code.size() < digits.size() && digits.starts_with(code)) {
        cut = code.size();
      }
    }
    if (cut > 0) {
      n.international = true;
      digits.remove_prefix(cut);
    }
  }
  n.size = static_cast<std::uint8_t>(std::min(digits.size(), DialledNumber::kMaxDigits));
  for (std::size_t i = 0; i < n.size; ++i) n.digits[i] = digits[i];
  return n;
}

bool DestinationRules::is_valid_prefix(std::string_view prefix,
                                       const std::vector<std::string>& international_prefixes) {
  return normalise(prefix, international_prefixes).has_value();
}

DestinationRules::DestinationRules(const DestinationConfig& config) : config_(config) {
  add(blocked_, config_.blocked);
  add(blocked_, config_.extra_blocked);
  add(allowed_, config_.allowed);
}

void DestinationRules::add(std::vector<Prefix>& to, const std::vector<std::string>& from) const {
  for (const std::string& text : from) {
    if (const auto n = normalise(text, config_.international_prefixes)) {
      to.push_back(Prefix{n->international, std::string(n->view())});
    }
  }
}

bool DestinationRules::matches(const Prefix& p, const DialledNumber& n) noexcept {
  return p.international == n.international && n.view().starts_with(p.digits);
}

std::optional<std::string> DestinationRules::blocked(std::string_view dialled) const {
  const auto n = normalise(dialled, config_.international_prefixes);
  if (!n) return std::nullopt;
  for (const Prefix& p : allowed_) {
    if (matches(p, *n)) return std::nullopt;
  }
  const Prefix* longest = nullptr;
  for (const Prefix& p : blocked_) {
    if (matches(p, *n) && (longest == nullptr || p.digits.size() > longest->digits.size())) longest = &p;
  }
  if (longest != nullptr) {
    return "blocked destination prefix " + std::string(longest->international ? "+" : "") + longest->digits;
  }
  if (n->international && config_.block_international) return std::string("international calls are blocked");
  return std::nullopt;
}

}  // namespace warden::shield
