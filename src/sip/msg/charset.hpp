#pragma once
// Character classes of the RFC 3261 §25.1 grammar as one 256-entry table, so every
// "is this octet allowed here" question is a single load and mask.

#include <array>
#include <cstdint>
#include <string_view>

namespace warden::sip::msg::cs {

enum : std::uint16_t {
  kAlpha = 1 << 0,
  kDigit = 1 << 1,
  kHex = 1 << 2,
  kToken = 1 << 3,       // token
  kWord = 1 << 4,        // word (Call-ID)
  kUnreserved = 1 << 5,  // alphanum / mark
  kUserExtra = 1 << 6,   // user-unreserved: & = + $ , ; ? /
  kParamExtra = 1 << 7,  // param-unreserved: [ ] / : & + $
  kHnvExtra = 1 << 8,    // hnv-unreserved: [ ] / ? : + $
  kReserved = 1 << 9,    // ; / ? : @ & = + $ ,
  kWsp = 1 << 10,        // SP / HTAB
  kHostChar = 1 << 11,   // alphanum - .
  kPasswordExtra = 1 << 12,  // & = + $ ,
  kSchemeChar = 1 << 13,     // ALPHA DIGIT + - .
};

constexpr std::array<std::uint16_t, 256> make_table() {
  std::array<std::uint16_t, 256> t{};
  auto add = [&t](std::string_view chars, std::uint16_t bits) {
    for (char c : chars) t[static_cast<unsigned char>(c)] |= bits;
  };
  for (int c = 'a'; c <= 'z'; ++c) t[c] |= kAlpha | kToken | kWord | kUnreserved | kHostChar | kSchemeChar;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] |= kAlpha | kToken | kWord | kUnreserved | kHostChar | kSchemeChar;
  for (int c = '0'; c <= '9'; ++c) t[c] |= kDigit | kHex | kToken | kWord | kUnreserved | kHostChar | kSchemeChar;
  for (int c = 'a'; c <= 'f'; ++c) t[c] |= kHex;
  for (int c = 'A'; c <= 'F'; ++c) t[c] |= kHex;
  add("-.!%*_+`'~", kToken);
  add("-.!%*_+`'~()<>:\\\"/[]?{}", kWord);
  add("-_.!~*'()", kUnreserved);
  add("&=+$,;?/", kUserExtra);
  add("[]/:&+$", kParamExtra);
  add("[]/?:+$", kHnvExtra);
  add(";/?:@&=+$,", kReserved);
  add(" \t", kWsp);
  add("-.", kHostChar);
  add("&=+$,", kPasswordExtra);
  add("+-.", kSchemeChar);
  return t;
}

inline constexpr std::array<std::uint16_t, 256> kTable = make_table();

constexpr bool is(char c, std::uint16_t cls) noexcept {
  return (kTable[static_cast<unsigned char>(c)] & cls) != 0;
}
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_wsp(char c) noexcept { return c == ' ' || c == '\t'; }
constexpr char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// Case-insensitive equality for ASCII tokens.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

constexpr bool all_of(std::string_view s, std::uint16_t cls) noexcept {
  for (char c : s)
    if (!is(c, cls)) return false;
  return true;
}

constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace warden::sip::msg::cs
