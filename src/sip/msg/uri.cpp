#include "sip/msg/uri.hpp"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sip/msg/charset.hpp"
#include "sip/msg/params.hpp"
#include "sip/msg/scan.hpp"

namespace warden::sip::msg {

namespace {

// Checks that every octet is of class `cls` or a valid %HH escape.
bool escaped_run(std::string_view s, std::uint16_t cls) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size() || !cs::is(s[i + 1], cs::kHex) || !cs::is(s[i + 2], cs::kHex)) return false;
      i += 2;
    } else if (!cs::is(c, cls)) {
      return false;
    }
  }
  return true;
}

bool parse_port(std::string_view s, std::uint16_t& port) noexcept {
  if (s.empty() || s.size() > 5) return false;
  std::uint32_t v = 0;
  for (char c : s) {
    if (!cs::is_digit(c)) return false;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (v > 65535) return false;
  port = static_cast<std::uint16_t>(v);
  return true;
}

#if defined(__SSE2__)
// is_hostname() for 1 to 64 octets (a final dot already removed), without a branch per octet:
// the text is classified 16 octets at a time into bit masks (bit i for octet i), and the label
// rules become tests on those masks.
bool is_short_hostname(const char* p, std::size_t n) noexcept {
  std::uint64_t letters = 0, valid = 0, dots = 0, dashes = 0;
  const __m128i fold = _mm_set1_epi8(0x20);
  const std::size_t whole = n & ~std::size_t{15};
  // The last n % 16 octets: one table look-up each, no branch, no copy.
  for (std::size_t k = whole; k < n; ++k) {
    const char c = p[k];
    const std::uint64_t bit = std::uint64_t{1} << k;
    letters |= cs::is(c, cs::kAlpha) ? bit : 0;
    valid |= cs::is(c, cs::kHostChar) ? bit : 0;
    dots |= c == '.' ? bit : 0;
    dashes |= c == '-' ? bit : 0;
  }
  for (std::size_t k = 0; k < whole; k += 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + k));
    const __m128i low = _mm_or_si128(b, fold);
    // Signed compares: octets above 0x7f are negative and fall outside every range.
    const __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(low, _mm_set1_epi8('a' - 1)),
                                         _mm_cmplt_epi8(low, _mm_set1_epi8('z' + 1)));
    const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(b, _mm_set1_epi8('0' - 1)),
                                        _mm_cmplt_epi8(b, _mm_set1_epi8('9' + 1)));
    const __m128i dot = _mm_cmpeq_epi8(b, _mm_set1_epi8('.'));
    const __m128i dash = _mm_cmpeq_epi8(b, _mm_set1_epi8('-'));
    const auto mask = [](__m128i m) { return static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(m))); };
    letters |= mask(letter) << k;
    valid |= mask(_mm_or_si128(_mm_or_si128(letter, digit), _mm_or_si128(dot, dash))) << k;
    dots |= mask(dot) << k;
    dashes |= mask(dash) << k;
  }
  const std::uint64_t all = n == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
  const std::uint64_t last = std::uint64_t{1} << (n - 1);
  if ((valid & all) != all) return false;  // only letters, digits, '-' and '.'
  const std::uint64_t label_first = (dots << 1) | 1;
  const std::uint64_t label_last = (dots >> 1) | last;
  if ((dots & label_first) != 0 || (dots & last) != 0) return false;           // empty label
  if ((dashes & (label_first | label_last)) != 0) return false;                // '-' at a label's edge
  if (n == 64 && dots == 0) return false;                                      // a label over 63
  const unsigned top = dots == 0 ? 0 : 64 - static_cast<unsigned>(__builtin_clzll(dots));
  return ((letters >> top) & 1) != 0;  // toplabel starts with a letter
}
#endif

// hostname = *( domainlabel "." ) toplabel [ "." ] (RFC 3261 §25.1): labels of letters, digits
// and inner hyphens; the last label starts with a letter. One pass over the text.
bool is_hostname(std::string_view s) noexcept {
  if (s.empty() || s.size() > 255) return false;
  if (s.back() == '.') s.remove_suffix(1);  // a fully qualified name may end in a dot
  if (s.empty()) return false;
#if defined(__SSE2__)
  if (s.size() <= 64) return is_short_hostname(s.data(), s.size());
#endif
  const char* p = s.data();
  const char* const end = p + s.size();
  const char* label = p;
  for (;; ++p) {
    if (p == end || *p == '.') {
      const auto len = p - label;
      if (len == 0 || len > 63 || *label == '-' || p[-1] == '-') return false;
      if (p == end) return cs::is(*label, cs::kAlpha);  // toplabel starts with a letter
      label = p + 1;
    } else if (!cs::is(*p, cs::kAlpha | cs::kDigit) && *p != '-') {
      return false;
    }
  }
}

// params: *( ";" pname [ "=" pvalue ] ) with paramchar, as in a SIP URI.
bool sip_params(std::string_view s, std::size_t& count, std::size_t max) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] != ';') return false;
    ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] != ';') ++i;
    std::string_view p = s.substr(start, i - start);
    const auto eq = p.find('=');
    std::string_view name = p.substr(0, eq);
    if (name.empty() || !escaped_run(name, cs::kUnreserved | cs::kParamExtra)) return false;
    if (eq != std::string_view::npos) {
      std::string_view value = p.substr(eq + 1);
      if (value.empty() || !escaped_run(value, cs::kUnreserved | cs::kParamExtra)) return false;
    }
    if (++count > max) return false;
  }
  return true;
}

// The end of a run of octets of class `cls` or %HH escapes.
const char* escaped_end(const char* p, const char* e, std::uint16_t cls) noexcept {
  while (p < e) {
    if (cs::is(*p, cls)) {
      ++p;
    } else if (*p == '%' && e - p >= 3 && cs::is(p[1], cs::kHex) && cs::is(p[2], cs::kHex)) {
      p += 3;
    } else {
      break;
    }
  }
  return p;
}

// sip_params() over the parameters of a SIP URI up to its '?' or end, in one pass: neither
// ';', '=' nor '?' is a paramchar or part of an escape, so each name and value ends at the
// first of them. Returns the '?' or `e` where the list ends, or nullptr if it is malformed.
const char* sip_params_to_headers(const char* p, const char* e, std::size_t& count, std::size_t max) noexcept {
  while (p < e && *p == ';') {
    const char* const name = ++p;
    p = escaped_end(p, e, cs::kUnreserved | cs::kParamExtra);
    if (p == name) return nullptr;  // pname is not empty
    if (p < e && *p == '=') {
      const char* const value = ++p;
      p = escaped_end(p, e, cs::kUnreserved | cs::kParamExtra);
      if (p == value) return nullptr;  // nor is a pvalue after '='
    }
    if (++count > max) return nullptr;
  }
  return p == e || *p == '?' ? p : nullptr;
}

// headers: hname "=" hvalue *( "&" hname "=" hvalue )
bool sip_headers(std::string_view s, std::size_t& count, std::size_t max) noexcept {
  if (s.empty()) return false;
  std::size_t i = 0;
  while (i <= s.size()) {
    const std::size_t start = i;
    while (i < s.size() && s[i] != '&') ++i;
    std::string_view h = s.substr(start, i - start);
    const auto eq = h.find('=');
    if (eq == std::string_view::npos || eq == 0) return false;
    if (!escaped_run(h.substr(0, eq), cs::kUnreserved | cs::kHnvExtra)) return false;
    if (!escaped_run(h.substr(eq + 1), cs::kUnreserved | cs::kHnvExtra)) return false;
    if (++count > max) return false;
    if (i == s.size()) break;
    ++i;  // '&'
  }
  return true;
}

bool parse_sip(std::string_view s, Uri& u, std::size_t max_params) noexcept {
  // userinfo ends at the first '@': no other part of a SIP URI may hold a bare '@'.
  // The usual forms in one pass: a run of user chars that reaches the end means there is no
  // '@' at all; one that stops at '@', or at ':' followed by password chars up to '@', is the
  // userinfo (neither '@' nor ':' is a user char, nor '@' a password char, so that '@' is the
  // first). Anything else is left to the general code below.
  const char* const b = s.data();
  const char* const e = b + s.size();
  const char* const user_end = escaped_end(b, e, cs::kUnreserved | cs::kUserExtra);
  const char* at = nullptr;
  bool decided = user_end == e;
  if (!decided && user_end != b && *user_end == '@') {
    at = user_end;
    decided = true;
  } else if (!decided && user_end != b && *user_end == ':') {
    const char* const pass_end = escaped_end(user_end + 1, e, cs::kUnreserved | cs::kPasswordExtra);
    if (pass_end < e && *pass_end == '@') {
      at = pass_end;
      decided = true;
    }
  }
  if (decided) {
    if (at != nullptr) {
      u.user = {b, static_cast<std::size_t>(user_end - b)};
      if (at != user_end) u.password = {user_end + 1, static_cast<std::size_t>(at - user_end - 1)};
      u.has_userinfo = true;
      s.remove_prefix(static_cast<std::size_t>(at + 1 - b));
    }
  } else if (const auto at_pos = s.find('@'); at_pos != std::string_view::npos) {
    std::string_view userinfo = s.substr(0, at_pos);
    const auto colon = userinfo.find(':');
    u.user = userinfo.substr(0, colon);
    if (u.user.empty() || !escaped_run(u.user, cs::kUnreserved | cs::kUserExtra)) return false;
    if (colon != std::string_view::npos) {
      u.password = userinfo.substr(colon + 1);
      if (!escaped_run(u.password, cs::kUnreserved | cs::kPasswordExtra)) return false;
    }
    u.has_userinfo = true;
    s.remove_prefix(at_pos + 1);
  }
  // hostport
  std::size_t i = 0;
  if (!s.empty() && s[0] == '[') {
    const auto close = s.find(']');
    if (close == std::string_view::npos) return false;
    i = close + 1;
  } else {
    i = static_cast<std::size_t>(scan::hostchar_end(s.data(), s.data() + s.size()) - s.data());
  }
  if (!parse_host(s.substr(0, i), u.host_kind, u.host)) return false;
  if (i < s.size() && s[i] == ':') {
    const std::size_t start = ++i;
    while (i < s.size() && cs::is_digit(s[i])) ++i;
    std::uint16_t port = 0;
    if (!parse_port(s.substr(start, i - start), port)) return false;
    u.port = port;
  }
  std::size_t count = 0;
  if (i < s.size() && s[i] == ';') {
    const std::size_t start = i;
    const char* const end = sip_params_to_headers(s.data() + i, s.data() + s.size(), count, max_params);
    if (end == nullptr) {
      while (i < s.size() && s[i] != '?') ++i;
      u.params = s.substr(start, i - start);  // what the list was taken to be, as before
      return false;
    }
    i = static_cast<std::size_t>(end - s.data());
    u.params = s.substr(start, i - start);
  }
  if (i < s.size() && s[i] == '?') {
    u.headers = s.substr(i + 1);
    if (!sip_headers(u.headers, count, max_params)) return false;
    i = s.size();
  }
  return i == s.size();
}

// RFC 3966: tel:number *(";" par)
bool parse_tel(std::string_view s, Uri& u, std::size_t max_params) noexcept {
  const auto semi = s.find(';');
  std::string_view number = s.substr(0, semi);
  if (number.empty()) return false;
  bool digit_seen = false;
  for (std::size_t i = 0; i < number.size(); ++i) {
    const char c = number[i];
    if (c == '+' && i == 0) continue;
    if (cs::is(c, cs::kHex) || c == '*' || c == '#') {
      digit_seen = true;
    } else if (c != '-' && c != '.' && c != '(' && c != ')') {
      return false;
    }
  }
  if (!digit_seen) return false;
  u.user = number;
  u.has_userinfo = true;
  if (semi == std::string_view::npos) return true;
  u.params = s.substr(semi);
  std::size_t count = 0;
  return sip_params(u.params, count, max_params);
}

}  // namespace

bool is_ipv4_address(std::string_view s) noexcept {
  // Four groups of 1 to 3 digits, each at most 255, separated by single dots.
  const char* p = s.data();
  const char* const e = p + s.size();
  for (int part = 0; part < 4; ++part) {
    if (part != 0) {
      if (p == e || *p != '.') return false;
      ++p;
    }
    if (p == e || !cs::is_digit(*p)) return false;
    unsigned v = static_cast<unsigned>(*p++ - '0');
    if (p != e && cs::is_digit(*p)) {
      v = v * 10 + static_cast<unsigned>(*p++ - '0');
      if (p != e && cs::is_digit(*p)) {
        v = v * 10 + static_cast<unsigned>(*p++ - '0');
        if (p != e && cs::is_digit(*p)) return false;  // a fourth digit
      }
    }
    if (v > 255) return false;
  }
  return p == e;
}

bool is_ipv6_address(std::string_view s) noexcept {
  if (s.size() < 2 || s.size() > 45) return false;
  int groups = 0;
  bool compressed = false;
  std::size_t i = 0;
  if (s[0] == ':') {
    if (s[1] != ':') return false;
    compressed = true;
    i = 2;
    // RFC 5118 §4.10: tolerate a third colon before an embedded IPv4 address.
  }
  while (i < s.size()) {
    // An embedded IPv4 address ends the text and counts for two groups.
    const auto rest = s.substr(i);
    if (rest.find('.') != std::string_view::npos && rest.find(':') == std::string_view::npos) {
      if (!is_ipv4_address(rest)) return false;
      groups += 2;
      i = s.size();
      break;
    }
    std::size_t digits = 0;
    while (i < s.size() && cs::is(s[i], cs::kHex)) {
      ++i;
      ++digits;
    }
    if (digits == 0 || digits > 4) return false;
    ++groups;
    if (i == s.size()) break;
    if (s[i] != ':') return false;
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (compressed) return false;
      compressed = true;
      ++i;
      if (i == s.size()) break;
      if (s[i] == ':') {  // ":::" only before a dotted IPv4 tail (RFC 5118 §4.10)
        const auto tail = s.substr(i + 1);
        if (tail.find('.') == std::string_view::npos || tail.find(':') != std::string_view::npos) return false;
        ++i;
      }
    } else if (i == s.size()) {
      return false;  // trailing single colon
    }
  }
  return compressed ? groups <= 7 : groups == 8;
}

bool parse_host(std::string_view text, HostKind& kind, std::string_view& host) noexcept {
  if (text.empty()) return false;
  if (text.front() == '[') {
    if (text.size() < 3 || text.back() != ']') return false;
    std::string_view inner = text.substr(1, text.size() - 2);
    if (!is_ipv6_address(inner)) return false;
    kind = HostKind::IPv6;
    host = inner;
    return true;
  }
  // Only digits and dots can be an IPv4 address; anything else must be a host name.
  const char last = text.back();
  if (last >= '0' && last <= '9' && is_ipv4_address(text)) {
    kind = HostKind::IPv4;
  } else if (is_hostname(text)) {
    kind = HostKind::Name;
  } else {
    return false;
  }
  host = text;
  return true;
}

bool parse_uri(std::string_view text, Uri& u, std::size_t max_params) noexcept {
  u = Uri{};
  return parse_uri_fresh(text, u, max_params);
}

bool parse_uri_fresh(std::string_view text, Uri& u, std::size_t max_params) noexcept {
  u.raw = text;
  // "sip:" (any case) with something after it: the scheme needs no search for its ':'.
  if (text.size() > 4 && cs::iequals_lit(text.substr(0, 4), "sip:")) {
    u.scheme_text = text.substr(0, 3);
    u.scheme = Scheme::Sip;
    return parse_sip(text.substr(4), u, max_params);
  }
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  u.scheme_text = text.substr(0, colon);
  if (!cs::is(u.scheme_text[0], cs::kAlpha) || !cs::all_of(u.scheme_text, cs::kSchemeChar)) return false;
  std::string_view rest = text.substr(colon + 1);
  if (rest.empty()) return false;
  if (cs::iequals_lit(u.scheme_text, "sip")) {
    u.scheme = Scheme::Sip;
    return parse_sip(rest, u, max_params);
  }
  if (cs::iequals_lit(u.scheme_text, "sips")) {
    u.scheme = Scheme::Sips;
    return parse_sip(rest, u, max_params);
  }
  if (cs::iequals_lit(u.scheme_text, "tel")) {
    u.scheme = Scheme::Tel;
    return parse_tel(rest, u, max_params);
  }
  // absoluteURI (RFC 2396): kept opaque, but only legal URI characters.
  u.scheme = Scheme::Other;
  u.opaque = rest;
  return escaped_run(rest, cs::kUnreserved | cs::kReserved);
}

std::optional<std::string_view> Uri::param(std::string_view name) const noexcept {
  return find_param(params, name);
}

bool unescape(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = cs::hex_value(in[i + 1]);
    const int lo = cs::hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

}  // namespace warden::sip::msg
