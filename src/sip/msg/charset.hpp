#pragma once
// Character classes of the RFC 3261 §25.1 grammar as one 256-entry table, so every
// "is this octet allowed here" question is a single load and mask.

#include <array>
#include <bit>
#include <cstring>
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
  kTokenColon = 1 << 14,     // token or ':' (Via received= with an unbracketed IPv6 address)
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
  for (std::size_t c = 0; c < t.size(); ++c)
    if ((t[c] & kToken) != 0 || c == ':') t[c] |= kTokenColon;
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

// A lower-case literal (letters, digits, '-', at most 24 octets) to compare against
// case-insensitively a word at a time: letters are folded with 0x20, every other octet must
// match exactly (so no control character can pass for a letter or a '-').
struct Lower {
  std::uint64_t want[3] = {};
  std::uint64_t fold[3] = {};
  std::size_t n = 0;
  template <std::size_t N>
  consteval Lower(const char (&s)[N]) : n(N - 1) {  // NOLINT: implicit on purpose
    static_assert(N - 1 <= 24, "at most 24 octets");
    for (std::size_t i = 0; i + 1 < N; ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 'A' && c <= 'Z') throw "the literal must be lower case";
      want[i / 8] |= std::uint64_t{c} << (8 * (i % 8));
      if (c >= 'a' && c <= 'z') fold[i / 8] |= std::uint64_t{0x20} << (8 * (i % 8));
    }
  }
};

// Case-insensitive equality with a lower-case literal; inlined, the literal's size is constant.
[[gnu::always_inline]] inline bool iequals_lit(std::string_view a, const Lower& b) noexcept {
  if (a.size() != b.n) return false;
  if constexpr (std::endian::native == std::endian::little) {
    for (std::size_t k = 0; k * 8 < b.n; ++k) {
      const std::size_t m = b.n - k * 8 < 8 ? b.n - k * 8 : 8;
      std::uint64_t x = 0;
      std::memcpy(&x, a.data() + k * 8, m);
      if ((x | b.fold[k]) != b.want[k]) return false;
    }
    return true;
  } else {
    for (std::size_t i = 0; i < b.n; ++i) {
      const auto shift = 8 * (i % 8);
      const auto want = static_cast<unsigned char>(b.want[i / 8] >> shift);
      const auto fold = static_cast<unsigned char>(b.fold[i / 8] >> shift);
      if ((static_cast<unsigned char>(a[i]) | fold) != want) return false;
    }
    return true;
  }
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
