#include "io/http_request_head.hpp"

namespace warden::io {

namespace {

constexpr std::string_view kCrlf = "\r\n";

// tchar of RFC 9110 §5.6.2.
bool is_tchar(unsigned char c) noexcept {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
    case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!is_tchar(c)) return false;
  return true;
}

// field-value characters (RFC 9110 §5.5): VCHAR, obs-text, SP, HTAB.
bool is_field_value(std::string_view s) noexcept {
  for (unsigned char c : s)
    if (c != '\t' && (c < 0x20 || c == 0x7f)) return false;
  return true;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](unsigned char c) { return c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c | 0x20) : c; };
    if (lower(static_cast<unsigned char>(a[i])) != lower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

HttpHeadResult bad(int status) noexcept {
  HttpHeadResult r;
  r.status = HttpHeadStatus::Bad;
  r.http_status = status;
  return r;
}

bool has_bare_lf(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i)
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return true;
  return false;
}

}  // namespace

HttpHeadResult parse_http_request_head(std::string_view bytes, const HttpHeadLimits& limits) noexcept {
  const std::string_view window = bytes.substr(0, limits.max_head_bytes);
  const std::size_t end = window.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (has_bare_lf(window)) return bad(400);
    if (bytes.size() >= limits.max_head_bytes) return bad(431);
    return {};
  }
  const std::string_view head = bytes.substr(0, end + 4);

  // Request line: method SP request-target SP HTTP-version.
  const std::size_t line_end = head.find(kCrlf);
  const std::string_view line = head.substr(0, line_end);
  const std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return bad(400);
  const std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) return bad(400);
  HttpRequestHead out;
  out.method = line.substr(0, sp1);
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  out.version = line.substr(sp2 + 1);
  if (!is_token(out.method)) return bad(400);
  if (out.method.size() > limits.max_method_bytes) return bad(501);
  if (out.target.empty()) return bad(400);
  for (unsigned char c : out.target)
    if (c < 0x21 || c > 0x7e) return bad(400);
  if (out.target.size() > limits.max_target_bytes) return bad(414);
  const std::string_view v = out.version;
  if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || v[6] != '.' || v[5] < '0' || v[5] > '9' || v[7] < '0' ||
      v[7] > '9') {
    return bad(400);
  }
  const bool http11 = v == "HTTP/1.1";
  if (!http11 && v != "HTTP/1.0") return bad(505);

  // Header fields up to the empty line.
  std::size_t pos = line_end + 2;
  std::size_t count = 0;
  std::size_t hosts = 0;
  while (pos < head.size()) {
    const std::size_t eol = head.find(kCrlf, pos);  // always found: head ends in CRLF CRLF
    const std::string_view field = head.substr(pos, eol - pos);
    pos = eol + 2;
    if (field.empty()) break;  // the empty line
    if (++count > limits.max_headers) return bad(431);
    if (field.front() == ' ' || field.front() == '\t') return bad(400);  // obs-fold
    const std::size_t colon = field.find(':');
    if (colon == std::string_view::npos) return bad(400);
    const std::string_view name = field.substr(0, colon);
    const std::string_view raw_value = field.substr(colon + 1);
    if (!is_token(name) || !is_field_value(raw_value)) return bad(400);
    const std::string_view value = trim(raw_value);
    if (iequals(name, "Host")) {
      ++hosts;
      out.host = value;
    } else if (iequals(name, "Transfer-Encoding")) {
      return bad(400);
    } else if (iequals(name, "Content-Length")) {
      if (value != "0") return bad(400);
    }
  }
  if (hosts > 1 || (http11 && hosts == 0)) return bad(400);
  out.head_bytes = head.size();
  HttpHeadResult r;
  r.status = HttpHeadStatus::Complete;
  r.head = out;
  return r;
}

}  // namespace warden::io
