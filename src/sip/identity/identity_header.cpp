#include "sip/identity/identity_header.hpp"

#include "crypto/base64url.hpp"

namespace warden::sip::identity {

namespace {

bool is_ws(char c) { return c == ' ' || c == '\t'; }

void skip_ws(std::string_view& s) {
  while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
}

// RFC 3261 token characters.
bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-': case '.': case '!': case '%': case '*': case '_': case '+': case '`': case '\'': case '~':
      return true;
    default:
      return false;
  }
}

std::string_view take_token(std::string_view& s) {
  std::size_t n = 0;
  while (n < s.size() && is_token_char(s[n])) ++n;
  const auto t = s.substr(0, n);
  s.remove_prefix(n);
  return t;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// absoluteURI, loosely: scheme ":" then visible characters other than <, >, " and white space.
bool valid_absolute_uri(std::string_view uri) {
  const auto colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == uri.size()) return false;
  for (std::size_t i = 0; i < colon; ++i) {
    const char c = uri[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!(alpha || (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')))) return false;
  }
  for (char c : uri.substr(colon + 1)) {
    if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"') return false;
  }
  return true;
}

// Three non-empty base64url parts joined by two dots.
bool valid_jws(std::string_view jws) {
  std::size_t parts = 1;
  std::size_t run = 0;
  for (char c : jws) {
    if (c == '.') {
      if (run == 0) return false;
      ++parts;
      run = 0;
    } else if (!crypto::is_base64url_alphabet(std::string_view(&c, 1))) {
      return false;
    } else {
      ++run;
    }
  }
  return parts == 3 && run > 0;
}

}  // namespace

std::string format_identity_header(std::string_view jws, std::string_view info_url) {
  std::string out;
  out.reserve(jws.size() + info_url.size() + 24);
  out.append(jws);
  out.append(";info=<");
  out.append(info_url);
  out.append(">;alg=ES256");
  return out;
}

base::Result<IdentityHeader> parse_identity_header(std::string_view value, const IdentityLimits& limits) {
  if (value.size() > limits.max_header_bytes) return IdentityErrc::TooLarge;
  IdentityHeader out;
  std::string_view s = value;
  skip_ws(s);
  std::size_t n = 0;
  while (n < s.size() && s[n] != ';' && !is_ws(s[n])) ++n;
  out.jws = s.substr(0, n);
  s.remove_prefix(n);
  if (!valid_jws(out.jws)) return IdentityErrc::MalformedHeader;
  bool have_info = false, have_alg = false, have_ppt = false;
  skip_ws(s);
  while (!s.empty()) {
    if (s.front() != ';') return IdentityErrc::MalformedHeader;
    s.remove_prefix(1);
    skip_ws(s);
    const auto name = take_token(s);
    if (name.empty()) return IdentityErrc::MalformedHeader;
    skip_ws(s);
    std::string_view val;
    bool has_value = false;
    if (!s.empty() && s.front() == '=') {
      s.remove_prefix(1);
      skip_ws(s);
      has_value = true;
      if (!s.empty() && s.front() == '<') {
        const auto close = s.find('>');
        if (close == std::string_view::npos) return IdentityErrc::MalformedHeader;
        val = s.substr(0, close + 1);
        s.remove_prefix(close + 1);
      } else if (!s.empty() && s.front() == '"') {  // a quoted extension value: skipped whole
        std::size_t i = 1;
        while (i < s.size() && s[i] != '"') i += (s[i] == '\\' && i + 1 < s.size()) ? 2 : 1;
        if (i >= s.size()) return IdentityErrc::MalformedHeader;
        val = s.substr(0, i + 1);
        s.remove_prefix(i + 1);
      } else {
        val = take_token(s);
        if (val.empty()) return IdentityErrc::MalformedHeader;
      }
    }
    skip_ws(s);
    if (iequals(name, "info")) {
      if (have_info || !has_value || val.size() < 2 || val.front() != '<') return IdentityErrc::MalformedHeader;
      val = val.substr(1, val.size() - 2);
      if (val.size() > limits.max_info_bytes) return IdentityErrc::TooLarge;
      if (!valid_absolute_uri(val)) return IdentityErrc::MalformedHeader;
      out.info = val;
      have_info = true;
    } else if (iequals(name, "alg")) {
      if (have_alg || !has_value || val.front() == '<' || val.front() == '"') return IdentityErrc::MalformedHeader;
      out.alg = val;
      have_alg = true;
    } else if (iequals(name, "ppt")) {
      if (have_ppt || !has_value || val.front() == '<' || val.front() == '"') return IdentityErrc::MalformedHeader;
      out.ppt = val;
      have_ppt = true;
    }
  }
  if (!have_info) return IdentityErrc::MissingInfo;
  return out;
}

}  // namespace warden::sip::identity
