#pragma once
// Character classes and small scanners shared by the SDP parser and the attribute helpers
// (RFC 8866 §9 grammar). Internal to sip/sdp: other components use the typed parsers instead.
// Thread-safety: pure functions. None of them throws or reads outside the view it is given.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace warden::sip::sdp::detail {

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_alnum(char c) noexcept { return is_digit(c) || is_alpha(c); }
constexpr bool is_hex(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
constexpr int hex_value(char c) noexcept {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
// VCHAR (%x21-7E) or an octet of a UTF-8 sequence (%x80-FF): RFC 8866 non-ws-string.
constexpr bool is_visible(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 0x21 && u <= 0x7E) || u >= 0x80;
}
// RFC 8866 token-char: %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E.
constexpr bool is_token_char(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u <= 0x27) || u == 0x2A || u == 0x2B || u == 0x2D ||
         u == 0x2E || (u >= 0x30 && u <= 0x39) || (u >= 0x41 && u <= 0x5A) ||
         (u >= 0x5E && u <= 0x7E);
}
// RFC 8839 ice-char: ALPHA / DIGIT / "+" / "/".
constexpr bool is_ice_char(char c) noexcept { return is_alnum(c) || c == '+' || c == '/'; }

template <class Pred>
constexpr bool all_of(std::string_view s, Pred p) noexcept {
  for (char c : s) {
    if (!p(c)) return false;
  }
  return true;
}
constexpr bool is_token(std::string_view s) noexcept { return !s.empty() && all_of(s, is_token_char); }
constexpr bool is_non_ws_string(std::string_view s) noexcept {
  return !s.empty() && all_of(s, is_visible);
}
constexpr bool is_digits(std::string_view s) noexcept { return !s.empty() && all_of(s, is_digit); }

constexpr char to_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

// A decimal number of 1 or more digits no greater than `max`. Leading zeros are accepted.
template <class T>
constexpr std::optional<T> parse_uint(std::string_view s,
                                      T max = std::numeric_limits<T>::max()) noexcept {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  if (v > static_cast<std::uint64_t>(max)) return std::nullopt;
  return static_cast<T>(v);
}

// Walks the fields of a line separated by runs of one separator class (SP for the SDP lines,
// SP or HTAB for RFC 4568). Leading and trailing separators are skipped.
class FieldCursor {
 public:
  explicit constexpr FieldCursor(std::string_view text, bool tabs_too = false) noexcept
      : rest_(text), tabs_(tabs_too) {}

  // The next field, or an empty view when none is left.
  constexpr std::string_view next() noexcept {
    skip();
    std::size_t n = 0;
    while (n < rest_.size() && !is_sep(rest_[n])) ++n;
    const std::string_view field = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return field;
  }
  // True when only separators remain.
  constexpr bool done() noexcept {
    skip();
    return rest_.empty();
  }
  // Everything after the separators that follow the current position, unmodified.
  constexpr std::string_view rest() noexcept {
    skip();
    return rest_;
  }

 private:
  constexpr bool is_sep(char c) const noexcept { return c == ' ' || (tabs_ && c == '\t'); }
  constexpr void skip() noexcept {
    while (!rest_.empty() && is_sep(rest_.front())) rest_.remove_prefix(1);
  }

  std::string_view rest_;
  bool tabs_;
};

// Splits `s` at the first `sep`: returns the head and leaves the tail (after `sep`) in `s`.
// Without `sep`, returns all of `s` and sets `found` to false.
constexpr std::string_view split_first(std::string_view& s, char sep, bool& found) noexcept {
  const auto pos = s.find(sep);
  if (pos == std::string_view::npos) {
    found = false;
    const std::string_view head = s;
    s = {};
    return head;
  }
  found = true;
  const std::string_view head = s.substr(0, pos);
  s.remove_prefix(pos + 1);
  return head;
}

}  // namespace warden::sip::sdp::detail
