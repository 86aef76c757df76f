#include "phone/call_headers.hpp"

#include "sip/msg/charset.hpp"
#include "sip/msg/header_id.hpp"

namespace warden::phone {

namespace {

namespace cs = sip::msg::cs;
using sip::msg::HeaderId;

std::string_view trim(std::string_view s) {
  while (!s.empty() && cs::is_wsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && cs::is_wsp(s.back())) s.remove_suffix(1);
  return s;
}

// Header names the user agent writes into every INVITE itself.
bool written_by_us(HeaderId id) {
  switch (id) {
    case HeaderId::Via:
    case HeaderId::From:
    case HeaderId::To:
    case HeaderId::CallId:
    case HeaderId::CSeq:
    case HeaderId::Contact:
    case HeaderId::MaxForwards:
    case HeaderId::ContentLength:
    case HeaderId::ContentType:
    case HeaderId::Authorization:
    case HeaderId::ProxyAuthorization:
    case HeaderId::UserAgent:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string CallHeaders::set_privacy(std::string_view value) {
  if (privacy_added_) return "Privacy is given twice (--privacy and --header): say it once";
  if (value.size() > kMaxLine) return "the Privacy value is too long";
  std::string joined;
  std::size_t start = 0;
  for (;;) {
    const auto semi = value.find(';', start);
    const auto item = trim(value.substr(start, semi == std::string_view::npos ? std::string_view::npos : semi - start));
    if (item.empty())
      return "Privacy needs priv-values (tokens such as id, header, user, session, none) separated by ';'";
    if (!cs::all_of(item, cs::kToken))
      return "Privacy value '" + std::string(item) + "' is not a token (RFC 3323 priv-value: id, header, user, ...)";
    if (!joined.empty()) joined.push_back(';');
    joined.append(item);
    if (semi == std::string_view::npos) break;
    start = semi + 1;
  }
  privacy_ = "Privacy: " + joined + "\r\n";
  return {};
}

std::string CallHeaders::add(std::string_view line) {
  if (line.size() > kMaxLine) return "the header is longer than " + std::to_string(kMaxLine) + " bytes";
  if (count_ >= kMaxHeaders) return "more than " + std::to_string(kMaxHeaders) + " extra headers";
  for (char c : line) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r' || c == '\n') return "the header holds a line break (CR or LF): give one header per --header";
    if (c == '\0') return "the header holds a NUL byte";
    if ((u < 0x20 && c != '\t') || u == 0x7f) return "the header holds a control character";
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return "a header is 'Name: value' (no colon found)";
  std::string_view name = line.substr(0, colon);
  while (!name.empty() && cs::is_wsp(name.back())) name.remove_suffix(1);  // HCOLON allows blanks
  if (name.empty() || !cs::all_of(name, cs::kToken)) return "'" + std::string(name) + "' is not a header name";
  const HeaderId id = sip::msg::classify_header(name);
  if (written_by_us(id))
    return "the phone writes " + std::string(sip::msg::canonical_name(id)) + " itself; it cannot be added";
  if (id == HeaderId::Privacy) {
    if (!privacy_.empty()) return "Privacy is given twice (--privacy and --header): say it once";
    privacy_added_ = true;
  }
  others_.append(line);
  others_.append("\r\n");
  ++count_;
  return {};
}

}  // namespace warden::phone
