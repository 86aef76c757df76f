#include "sip/msg/parser.hpp"

#include <cstring>

#include "sip/msg/charset.hpp"
#include "sip/msg/scan.hpp"

namespace warden::sip::msg {

namespace {

// Default values to copy into a new vector element: a copy from a constant compiles to plain
// vector moves, value-initialization to a slow `rep stos`.
const Via kFreshVia{};
const NameAddr kFreshNameAddr{};
const Credentials kFreshCredentials{};

// A cursor over one header value. Linear white space (SP, HTAB, and CRLF followed by SP or
// HTAB, i.e. a folded line) is skipped only where the grammar allows it.
struct Cursor {
  const char* p;
  const char* e;

  explicit Cursor(std::string_view s) noexcept : p(s.data()), e(s.data() + s.size()) {}
  bool at_end() const noexcept { return p >= e; }
  char peek() const noexcept { return p < e ? *p : '\0'; }
  // Inline for the common case (no white space here); the loop stays out of line.
  void lws() noexcept {
    if (p < e && (*p == ' ' || *p == '\t' || *p == '\r')) lws_slow();
  }
  [[gnu::noinline]] void lws_slow() noexcept {
    while (p < e) {
      if (*p == ' ' || *p == '\t') {
        ++p;
      } else if (*p == '\r' && e - p >= 3 && p[1] == '\n' && (p[2] == ' ' || p[2] == '\t')) {
        p += 3;
      } else {
        break;
      }
    }
  }
  bool eat(char c) noexcept {
    if (p < e && *p == c) {
      ++p;
      return true;
    }
    return false;
  }
  // SWS c SWS; restores the position when c is not there.
  bool sep(char c) noexcept {
    const char* save = p;
    lws();
    if (eat(c)) {
      lws();
      return true;
    }
    p = save;
    return false;
  }
  std::string_view run(std::uint16_t cls) noexcept {
    const char* s = p;
    while (p < e && cs::is(*p, cls)) ++p;
    return {s, static_cast<std::size_t>(p - s)};
  }
  std::string_view since(const char* s) const noexcept { return {s, static_cast<std::size_t>(p - s)}; }
  // quoted-string, quotes included in `out`.
  bool quoted(std::string_view& out) noexcept {
    const char* s = p;
    if (!eat('"')) return false;
    for (;;) {
      p = scan::quoted_special(p, e);  // skips plain qdtext
      if (p >= e) return false;
      const char c = *p;
      if (c == '"') {
        ++p;
        out = since(s);
        return true;
      }
      if (c == '\\') {
        if (e - p < 2 || p[1] == '\r' || p[1] == '\n') return false;
        p += 2;
      } else if (c == '\r') {
        if (e - p < 3 || p[1] != '\n' || !cs::is_wsp(p[2])) return false;
        p += 3;
      } else if (c == '\t') {
        ++p;
      } else {
        return false;  // LF, DEL or another control character (§25.1: only as a quoted-pair)
      }
    }
  }
};

std::string_view unquote(std::string_view q) noexcept {
  if (q.size() >= 2 && q.front() == '"' && q.back() == '"') return q.substr(1, q.size() - 2);
  return q;
}

// A generic-param value: token, host (IPv6 reference in brackets) or quoted-string.
// `extra_colon` admits ':' so that an unbracketed IPv6 received= value reads (RFC 5118 §4.5).
bool param_value(Cursor& c, std::string_view& v, bool extra_colon) noexcept {
  if (c.peek() == '"') return c.quoted(v);
  const char* s = c.p;
  if (c.peek() == '[') {
    while (c.p < c.e && *c.p != ']') ++c.p;
    if (!c.eat(']')) return false;
    v = c.since(s);
    return true;
  }
  c.run(extra_colon ? cs::kTokenColon : cs::kToken);
  v = c.since(s);
  return !v.empty();
}

// *( SEMI generic-param ). Calls on(name, value, has_value) for each; a false return fails.
template <class OnParam>
bool header_params(Cursor& c, std::size_t max, std::string_view& raw, OnParam&& on,
                   bool extra_colon = false) noexcept {
  const char* start = c.p;
  const char* end = c.p;
  std::size_t count = 0;
  for (;;) {
    const char* save = c.p;
    c.lws();
    if (!c.eat(';')) {
      c.p = save;
      break;
    }
    c.lws();
    std::string_view name = c.run(cs::kToken);
    if (name.empty()) return false;
    std::string_view value;
    bool has_value = false;
    const char* before_eq = c.p;
    c.lws();
    if (c.eat('=')) {
      c.lws();
      if (!param_value(c, value, extra_colon)) return false;
      has_value = true;
    } else {
      c.p = before_eq;
    }
    if (++count > max) return false;
    if (!on(name, value, has_value)) return false;
    end = c.p;
  }
  raw = {start, static_cast<std::size_t>(end - start)};
  // Trim to begin at the first ';' (leading LWS is not part of the list).
  while (!raw.empty() && raw.front() != ';') raw.remove_prefix(1);
  return true;
}

// COMMA between list elements: true if another element follows, false at the end; sets
// `bad` when something else follows.
bool next_element(Cursor& c, bool& bad) noexcept {
  c.lws();
  if (c.at_end()) return false;
  if (c.eat(',')) {
    c.lws();
    if (c.at_end()) {
      bad = true;
      return false;
    }
    return true;
  }
  bad = true;
  return false;
}

bool parse_u32(std::string_view s, std::uint32_t& out, bool saturate) noexcept {
  if (s.empty()) return false;
  std::uint64_t v = 0;
  for (char ch : s) {
    if (!cs::is_digit(ch)) return false;
    v = v * 10 + static_cast<std::uint64_t>(ch - '0');
    if (v > 0xffffffffULL) {
      if (!saturate) return false;
      v = 0xffffffffULL + 1;  // keep scanning for non-digits, value pinned
    }
  }
  out = v > 0xffffffffULL ? 0xffffffffU : static_cast<std::uint32_t>(v);
  return true;
}

// name-addr / addr-spec followed by header parameters, into a default-constructed `na`.
bool name_addr(Cursor& c, NameAddr& na, bool allow_addr_spec, std::size_t max_params, bool want_tag) noexcept {
  c.lws();
  const char* start = c.p;
  bool bracketed = false;
  if (c.peek() == '"') {
    if (!c.quoted(na.display)) return false;
    c.lws();
    if (!c.eat('<')) return false;
    bracketed = true;
  } else if (c.eat('<')) {
    bracketed = true;
  } else {
    // Either *(token LWS) "<" or an addr-spec: look ahead for '<' after tokens and LWS.
    Cursor look = c;
    const char* last_token_end = nullptr;
    for (;;) {
      std::string_view t = look.run(cs::kToken);
      if (t.empty()) break;
      last_token_end = look.p;
      look.lws();
    }
    if (last_token_end != nullptr && look.peek() == '<') {
      na.display = {c.p, static_cast<std::size_t>(last_token_end - c.p)};
      c.p = look.p + 1;
      bracketed = true;
    }
  }
  if (bracketed) {
    const char* const gt = scan::byte(c.p, c.e, '>');
    if (gt == c.e) return false;
    std::string_view text{c.p, static_cast<std::size_t>(gt - c.p)};
    if (!parse_uri_fresh(text, na.uri, max_params)) return false;
    c.p = gt + 1;
    na.bracketed = true;
  } else {
    if (!allow_addr_spec) return false;
    const char* s = c.p;
    while (c.p < c.e && *c.p != ';' && *c.p != ',' && !cs::is_wsp(*c.p) && *c.p != '\r') ++c.p;
    if (!parse_uri_fresh(c.since(s), na.uri, max_params)) return false;
    // A URI with headers (or a ',', ';' or '?') must be written in <> (§20.10).
    if (!na.uri.headers.empty()) return false;
  }
  auto on = [&](std::string_view name, std::string_view value, bool has_value) {
    if (want_tag && cs::iequals_lit(name, "tag")) {
      if (!has_value || !cs::all_of(value, cs::kToken) || !na.tag.empty()) return false;
      na.tag = value;
    }
    return true;
  };
  if (!header_params(c, max_params, na.params, on)) return false;
  na.raw = c.since(start);
  return true;
}

// One via-parm after its leading LWS: sent-protocol LWS sent-by *( SEMI via-params ).
bool parse_via(Cursor& c, Via& v, const base::Limits::Sip& lim) noexcept {
  v.protocol = c.run(cs::kToken);
  if (v.protocol.empty() || !c.sep('/')) return false;
  v.version = c.run(cs::kToken);
  if (v.version.empty() || !c.sep('/')) return false;
  v.transport = c.run(cs::kToken);
  if (v.transport.empty()) return false;
  const char* before = c.p;
  c.lws();
  if (c.p == before) return false;  // LWS is required before sent-by
  const char* hs = c.p;
  if (c.peek() == '[') {
    while (c.p < c.e && *c.p != ']') ++c.p;
    if (!c.eat(']')) return false;
  } else {
    c.p = scan::hostchar_end(c.p, c.e);
  }
  if (!parse_host(c.since(hs), v.host_kind, v.host)) return false;
  if (c.sep(':')) {
    std::uint32_t port = 0;
    std::string_view digits = c.run(cs::kDigit);
    if (digits.size() > 5 || !parse_u32(digits, port, false) || port > 65535) return false;
    v.port = static_cast<std::uint16_t>(port);
  }
  auto on = [&v](std::string_view name, std::string_view val, bool has_value) {
    if (cs::iequals_lit(name, "branch")) {
      if (!has_value || !cs::all_of(val, cs::kToken)) return false;
      v.branch = val;
    } else if (cs::iequals_lit(name, "received")) {
      if (!has_value) return false;
      HostKind k;
      std::string_view h;
      if (!parse_host(val, k, h)) {
        if (!is_ipv6_address(val)) return false;
        h = val;
      }
      v.received = h;
    } else if (cs::iequals_lit(name, "maddr")) {
      HostKind k;
      if (!has_value || !parse_host(val, k, v.maddr)) return false;
    } else if (cs::iequals_lit(name, "ttl")) {
      std::uint32_t ttl = 0;
      if (!has_value || val.size() > 3 || !parse_u32(val, ttl, false) || ttl > 255) return false;
      v.ttl = static_cast<int>(ttl);
    } else if (cs::iequals_lit(name, "rport")) {
      v.rport = true;
      if (has_value) {
        std::uint32_t port = 0;
        if (val.size() > 5 || !parse_u32(val, port, false) || port > 65535) return false;
        v.rport_value = static_cast<std::uint16_t>(port);
      }
    } else if (!has_value) {
      return true;
    } else if (val.front() != '"' && val.front() != '[' && !cs::all_of(val, cs::kToken)) {
      return false;  // ':' is only tolerated inside received=
    }
    return true;
  };
  return header_params(c, lim.max_params, v.params, on, /*extra_colon=*/true);
}

bool parse_via_list(std::string_view value, std::vector<Via>& out, const base::Limits::Sip& lim) noexcept {
  Cursor c(value);
  for (;;) {
    c.lws();
    const char* start = c.p;
    // Built in place (no copy of a freshly written Via); taken back out if it does not parse.
    if (out.size() >= lim.max_vias) return false;
    Via& v = out.emplace_back(kFreshVia);
    if (!parse_via(c, v, lim)) {
      out.pop_back();
      return false;
    }
    v.raw = c.since(start);
    bool bad = false;
    if (!next_element(c, bad)) return !bad;
  }
}

bool parse_name_addr_list(std::string_view value, std::vector<NameAddr>& out, std::size_t max_values,
                          std::size_t max_params, bool allow_addr_spec) noexcept {
  Cursor c(value);
  for (;;) {
    if (out.size() >= max_values) return false;
    NameAddr& na = out.emplace_back(kFreshNameAddr);  // in place; taken back out if it does not parse
    if (!name_addr(c, na, allow_addr_spec, max_params, false)) {
      out.pop_back();
      return false;
    }
    bool bad = false;
    if (!next_element(c, bad)) return !bad;
  }
}

bool parse_single_name_addr(std::string_view value, NameAddr& na, std::size_t max_params) noexcept {
  Cursor c(value);
  if (!name_addr(c, na, true, max_params, true)) return false;
  c.lws();
  return c.at_end();
}

// callid = word [ "@" word ]: one pass, since '@' is not a word character.
bool parse_call_id(std::string_view v) noexcept {
  Cursor c(v);
  if (c.run(cs::kWord).empty()) return false;
  if (c.at_end()) return true;
  if (!c.eat('@') || c.run(cs::kWord).empty()) return false;
  return c.at_end();
}

bool parse_cseq(std::string_view value, CSeq& out) noexcept {
  Cursor c(value);
  std::string_view digits = c.run(cs::kDigit);
  if (!parse_u32(digits, out.number, false)) return false;
  const char* before = c.p;
  c.lws();
  if (c.p == before) return false;
  out.method_text = c.run(cs::kToken);
  if (out.method_text.empty()) return false;
  c.lws();
  if (!c.at_end()) return false;
  out.method = method_from_token(out.method_text);
  return true;
}

bool parse_media_type(std::string_view value, MediaType& mt, std::size_t max_params) noexcept {
  Cursor c(value);
  mt.type = c.run(cs::kToken);
  if (mt.type.empty() || !c.sep('/')) return false;
  mt.subtype = c.run(cs::kToken);
  if (mt.subtype.empty()) return false;
  auto on = [](std::string_view, std::string_view, bool has_value) { return has_value; };
  if (!header_params(c, max_params, mt.params, on)) return false;
  c.lws();
  return c.at_end();
}

// 1#option-tag (or an empty list where `allow_empty`).
bool parse_token_list(std::string_view value, bool allow_empty) noexcept {
  Cursor c(value);
  c.lws();
  if (c.at_end()) return allow_empty;
  for (;;) {
    if (c.run(cs::kToken).empty()) return false;
    // The usual separators, "," and ", " before the next token, without the general LWS path.
    if (c.e - c.p >= 2 && c.p[0] == ',' && cs::is(c.p[1], cs::kToken)) {
      c.p += 1;
      continue;
    }
    if (c.e - c.p >= 3 && c.p[0] == ',' && c.p[1] == ' ' && cs::is(c.p[2], cs::kToken)) {
      c.p += 2;
      continue;
    }
    bool bad = false;
    if (!next_element(c, bad)) return !bad;
  }
}

// rfc1123-date (RFC 3261 §20.17): "Sat, 13 Nov 2010 23:29:00 GMT". Only GMT is valid.
bool parse_date(std::string_view v) noexcept {
  static constexpr std::string_view kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (v.size() != 29) return false;
  bool day_ok = false;
  for (auto d : kDays) day_ok = day_ok || v.substr(0, 3) == d;
  bool month_ok = false;
  for (auto m : kMonths) month_ok = month_ok || v.substr(8, 3) == m;
  auto digits = [&](std::size_t at, std::size_t n) {
    for (std::size_t i = at; i < at + n; ++i)
      if (!cs::is_digit(v[i])) return false;
    return true;
  };
  return day_ok && month_ok && v.substr(3, 2) == ", " && digits(5, 2) && v[7] == ' ' && v[11] == ' ' &&
         digits(12, 4) && v[16] == ' ' && digits(17, 2) && v[19] == ':' && digits(20, 2) && v[22] == ':' &&
         digits(23, 2) && v.substr(25) == " GMT";
}

// auth-scheme LWS auth-param *(COMMA auth-param); calls on(name, value) for each.
template <class OnParam>
bool auth_params(std::string_view value, std::string_view& scheme, OnParam&& on) noexcept {
  Cursor c(value);
  c.lws();
  scheme = c.run(cs::kToken);
  if (scheme.empty()) return false;
  const char* before = c.p;
  c.lws();
  if (c.at_end()) return true;  // a scheme alone
  if (c.p == before) return false;
  for (;;) {
    std::string_view name = c.run(cs::kToken);
    if (name.empty()) return false;
    if (!c.sep('=')) {
      // Not name=value: another scheme's opaque credentials (token68); keep as text.
      return !cs::iequals_lit(scheme, "digest");
    }
    std::string_view v;
    if (c.peek() == '"') {
      if (!c.quoted(v)) return false;
      v = unquote(v);
    } else {
      v = c.run(cs::kToken);
      if (v.empty()) return false;
    }
    if (!on(name, v)) return false;
    bool bad = false;
    if (!next_element(c, bad)) return !bad;
  }
}

}  // namespace

namespace {

// parse_credentials() into a `cr` that holds default values (apart from `proxy`).
bool credentials_into(std::string_view value, Credentials& cr) noexcept {
  cr.raw = value;
  return auth_params(value, cr.scheme, [&cr](std::string_view n, std::string_view v) {
    if (cs::iequals_lit(n, "username")) cr.username = v;
    else if (cs::iequals_lit(n, "realm")) cr.realm = v;
    else if (cs::iequals_lit(n, "nonce")) cr.nonce = v;
    else if (cs::iequals_lit(n, "uri")) cr.uri = v;
    else if (cs::iequals_lit(n, "response")) cr.response = v;
    else if (cs::iequals_lit(n, "algorithm")) cr.algorithm = v;
    else if (cs::iequals_lit(n, "cnonce")) cr.cnonce = v;
    else if (cs::iequals_lit(n, "opaque")) cr.opaque = v;
    else if (cs::iequals_lit(n, "qop")) cr.qop = v;
    else if (cs::iequals_lit(n, "nc")) cr.nc = v;
    else if (cs::iequals_lit(n, "userhash")) cr.userhash = cs::iequals_lit(v, "true");
    return true;
  });
}

}  // namespace

bool parse_credentials(std::string_view value, Credentials& cr) noexcept {
  const bool proxy = cr.proxy;
  cr = Credentials{};
  cr.proxy = proxy;
  return credentials_into(value, cr);
}

bool parse_challenge(std::string_view value, Challenge& ch) noexcept {
  ch = Challenge{};
  return auth_params(value, ch.scheme, [&ch](std::string_view n, std::string_view v) {
    if (cs::iequals_lit(n, "realm")) ch.realm = v;
    else if (cs::iequals_lit(n, "nonce")) ch.nonce = v;
    else if (cs::iequals_lit(n, "opaque")) ch.opaque = v;
    else if (cs::iequals_lit(n, "algorithm")) ch.algorithm = v;
    else if (cs::iequals_lit(n, "qop")) ch.qop = v;
    else if (cs::iequals_lit(n, "domain")) ch.domain = v;
    else if (cs::iequals_lit(n, "stale")) ch.stale = cs::iequals_lit(v, "true");
    else if (cs::iequals_lit(n, "userhash")) ch.userhash = cs::iequals_lit(v, "true");
    return true;
  });
}

bool parse_content_length(std::string_view value, std::size_t max, std::size_t& out) noexcept {
  // Leading zeros are legal; more than 10 significant digits never fits a limit.
  while (value.size() > 1 && value.front() == '0') value.remove_prefix(1);
  if (value.empty() || value.size() > 10) return false;
  std::uint64_t v = 0;
  for (char ch : value) {
    if (!cs::is_digit(ch)) return false;
    v = v * 10 + static_cast<std::uint64_t>(ch - '0');
  }
  if (v > max) return false;
  out = static_cast<std::size_t>(v);
  return true;
}

void Message::clear() noexcept {
  auto keep_headers = std::move(headers);
  auto keep_vias = std::move(vias);
  auto keep_contacts = std::move(contacts);
  auto keep_routes = std::move(routes);
  auto keep_rr = std::move(record_routes);
  auto keep_paths = std::move(paths);
  auto keep_creds = std::move(credentials);
  *this = Message{};
  keep_headers.clear();
  keep_vias.clear();
  keep_contacts.clear();
  keep_routes.clear();
  keep_rr.clear();
  keep_paths.clear();
  keep_creds.clear();
  headers = std::move(keep_headers);
  vias = std::move(keep_vias);
  contacts = std::move(keep_contacts);
  routes = std::move(keep_routes);
  record_routes = std::move(keep_rr);
  paths = std::move(keep_paths);
  credentials = std::move(keep_creds);
}

const Header* Message::find(std::string_view name) const noexcept {
  const HeaderId id = classify_header(name);
  for (const auto& h : headers) {
    if (id != HeaderId::Other ? h.id == id : (h.id == HeaderId::Other && cs::iequals(h.name, name))) return &h;
  }
  return nullptr;
}

namespace {

// The parse proper. Returns the error code; `known_request`/`known_response` tell the caller
// how far it got, for the verdict.
class Parser {
 public:
  Parser(std::string_view bytes, Message& m, const base::Limits::Sip& lim, Framing framing) noexcept
      : s_(bytes), m_(m), lim_(lim), framing_(framing) {}

  ParseErrc run() noexcept;
  bool start_line_parsed() const noexcept { return start_line_ok_; }
  bool looks_like_request() const noexcept { return looks_like_request_; }

 private:
  ParseErrc start_line(std::string_view line) noexcept;
  ParseErrc header(HeaderId id, std::string_view value) noexcept;
  ParseErrc finish(std::size_t body_start) noexcept;

  std::string_view s_;
  Message& m_;
  const base::Limits::Sip& lim_;
  Framing framing_;
  bool start_line_ok_ = false;
  bool looks_like_request_ = false;
  bool seen_from_ = false, seen_to_ = false, seen_call_id_ = false, seen_cseq_ = false;
  bool seen_max_forwards_ = false, seen_expires_ = false, seen_content_type_ = false;
  bool content_length_conflict_ = false;
  bool content_length_bad_ = false;
};

bool version_ok(std::string_view v, bool& is_20) noexcept {
  // SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT (case-insensitive "SIP", §7.1)
  if (v.size() < 7 || !cs::iequals_lit(v.substr(0, 4), "sip/")) return false;
  std::string_view nums = v.substr(4);
  const auto dot = nums.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == nums.size()) return false;
  for (std::size_t i = 0; i < nums.size(); ++i)
    if (i != dot && !cs::is_digit(nums[i])) return false;
  is_20 = nums == "2.0";
  return true;
}

ParseErrc Parser::start_line(std::string_view line) noexcept {
  bool is_20 = false;
  if (line.size() >= 4 && cs::iequals_lit(line.substr(0, 4), "sip/")) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    m_.kind = Kind::Response;
    const auto sp = line.find(' ');
    if (sp == std::string_view::npos) return ParseErrc::BadStartLine;
    if (!version_ok(line.substr(0, sp), is_20)) return ParseErrc::BadStartLine;
    std::string_view rest = line.substr(sp + 1);
    if (rest.size() < 3 || !cs::is_digit(rest[0]) || !cs::is_digit(rest[1]) || !cs::is_digit(rest[2]))
      return ParseErrc::BadStatusCode;
    if (rest.size() > 3 && rest[3] != ' ') return ParseErrc::BadStatusCode;
    m_.status = static_cast<std::uint16_t>((rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0'));
    if (m_.status < 100 || m_.status > 699) return ParseErrc::BadStatusCode;
    m_.reason = rest.size() > 4 ? rest.substr(4) : std::string_view{};
    for (char ch : m_.reason)
      if ((static_cast<unsigned char>(ch) < 0x20 && ch != '\t') || ch == 0x7f) return ParseErrc::BadReasonPhrase;
    start_line_ok_ = true;
    return is_20 ? ParseErrc::Ok : ParseErrc::UnsupportedVersion;
  }
  // Request-Line = Method SP Request-URI SP SIP-Version
  m_.kind = Kind::Request;
  const auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return ParseErrc::BadStartLine;
  m_.method_text = line.substr(0, sp1);
  if (!cs::all_of(m_.method_text, cs::kToken)) return ParseErrc::BadMethod;
  looks_like_request_ = true;
  m_.method = method_from_token(m_.method_text);
  const auto sp2 = line.rfind(' ');
  if (sp2 == sp1) return ParseErrc::BadStartLine;
  std::string_view uri = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!version_ok(version, is_20)) return ParseErrc::BadStartLine;
  if (uri.size() > lim_.max_uri_bytes) return ParseErrc::BadRequestUri;
  if (!parse_uri_fresh(uri, m_.request_uri, lim_.max_params)) return ParseErrc::BadRequestUri;
  // Headers in a Request-URI are never turned into header fields (RFC 4475 §3.1.2.11).
  if (!m_.request_uri.headers.empty()) return ParseErrc::BadRequestUri;
  start_line_ok_ = true;
  return is_20 ? ParseErrc::Ok : ParseErrc::UnsupportedVersion;
}

ParseErrc Parser::header(HeaderId id, std::string_view v) noexcept {
  switch (id) {
    case HeaderId::Via:
      return parse_via_list(v, m_.vias, lim_) ? ParseErrc::Ok
             : m_.vias.size() >= lim_.max_vias ? ParseErrc::TooManyValues
                                               : ParseErrc::BadVia;
    case HeaderId::From:
      if (seen_from_) return ParseErrc::DuplicateHeader;
      seen_from_ = true;
      return parse_single_name_addr(v, m_.from, lim_.max_params) ? ParseErrc::Ok : ParseErrc::BadFrom;
    case HeaderId::To:
      if (seen_to_) return ParseErrc::DuplicateHeader;
      seen_to_ = true;
      return parse_single_name_addr(v, m_.to, lim_.max_params) ? ParseErrc::Ok : ParseErrc::BadTo;
    case HeaderId::CallId:
      if (seen_call_id_) return ParseErrc::DuplicateHeader;
      seen_call_id_ = true;
      m_.call_id = v;
      return parse_call_id(v) ? ParseErrc::Ok : ParseErrc::BadCallId;
    case HeaderId::CSeq:
      if (seen_cseq_) return ParseErrc::DuplicateHeader;
      seen_cseq_ = true;
      return parse_cseq(v, m_.cseq) ? ParseErrc::Ok : ParseErrc::BadCSeq;
    case HeaderId::MaxForwards: {
      if (seen_max_forwards_) return ParseErrc::DuplicateHeader;
      seen_max_forwards_ = true;
      std::uint32_t mf = 0;
      if (!parse_u32(v, mf, true)) return ParseErrc::BadMaxForwards;
      m_.max_forwards = mf > 255 ? 255 : static_cast<int>(mf);  // overlarge: as large as allowed
      return ParseErrc::Ok;
    }
    case HeaderId::ContentLength: {
      std::size_t cl = 0;
      if (!parse_content_length(v, SIZE_MAX, cl)) {
        content_length_bad_ = true;
        return ParseErrc::Ok;  // judged in finish(): the response depends on the framing
      }
      if (m_.content_length && *m_.content_length != cl) content_length_conflict_ = true;
      m_.content_length = cl;
      return ParseErrc::Ok;
    }
    case HeaderId::ContentType:
      if (seen_content_type_) return ParseErrc::DuplicateHeader;
      seen_content_type_ = true;
      return parse_media_type(v, m_.content_type, lim_.max_params) ? ParseErrc::Ok : ParseErrc::BadContentType;
    case HeaderId::Expires: {
      if (seen_expires_) return ParseErrc::DuplicateHeader;
      seen_expires_ = true;
      std::uint32_t ex = 0;
      if (!parse_u32(v, ex, true)) return ParseErrc::BadExpires;
      m_.expires = ex;
      return ParseErrc::Ok;
    }
    case HeaderId::Contact:
      if (v.size() == 1 && v[0] == '*') {
        if (m_.contact_star) return ParseErrc::BadContact;
        m_.contact_star = true;
        return ParseErrc::Ok;
      }
      if (!parse_name_addr_list(v, m_.contacts, lim_.max_contacts, lim_.max_params, true))
        return m_.contacts.size() >= lim_.max_contacts ? ParseErrc::TooManyValues : ParseErrc::BadContact;
      return ParseErrc::Ok;
    case HeaderId::Route:
    case HeaderId::RecordRoute:
    case HeaderId::Path: {
      auto& list = id == HeaderId::Route ? m_.routes : id == HeaderId::RecordRoute ? m_.record_routes : m_.paths;
      if (!parse_name_addr_list(v, list, lim_.max_routes, lim_.max_params, false))
        return list.size() >= lim_.max_routes ? ParseErrc::TooManyValues : ParseErrc::BadRoute;
      return ParseErrc::Ok;
    }
    case HeaderId::Authorization:
    case HeaderId::ProxyAuthorization: {
      if (m_.credentials.size() >= lim_.max_contacts) return ParseErrc::TooManyValues;
      Credentials& cr = m_.credentials.emplace_back(kFreshCredentials);  // in place; out on error
      cr.proxy = id == HeaderId::ProxyAuthorization;
      if (!credentials_into(v, cr)) {
        m_.credentials.pop_back();
        return ParseErrc::BadAuthorization;
      }
      return ParseErrc::Ok;
    }
    case HeaderId::WwwAuthenticate:
    case HeaderId::ProxyAuthenticate: {
      Challenge ch;
      return parse_challenge(v, ch) ? ParseErrc::Ok : ParseErrc::BadAuthorization;
    }
    case HeaderId::Require:
    case HeaderId::ProxyRequire:
    case HeaderId::Unsupported:
      return parse_token_list(v, false) ? ParseErrc::Ok : ParseErrc::BadOptionTags;
    case HeaderId::Supported:
      return parse_token_list(v, true) ? ParseErrc::Ok : ParseErrc::BadOptionTags;
    case HeaderId::Date:
      return parse_date(v) ? ParseErrc::Ok : ParseErrc::BadDate;
    default:
      return ParseErrc::Ok;  // kept as text, forwarded unchanged
  }
}

ParseErrc Parser::run() noexcept {
  const char* const base = s_.data();
  const std::size_t n = s_.size();
  if (n == 0) return ParseErrc::Incomplete;  // data() may be null: no memchr on it
  // Start line.
  const std::size_t first_max = n < lim_.max_line_bytes ? n : lim_.max_line_bytes;
  const void* nl = std::memchr(base, '\n', first_max);
  if (nl == nullptr) {
    if (n > lim_.max_line_bytes) return ParseErrc::LineTooLong;
    // Classify what we can so the verdict knows whether this was a request.
    (void)start_line(std::string_view(base, n));
    return ParseErrc::Incomplete;
  }
  std::size_t line_end = static_cast<std::size_t>(static_cast<const char*>(nl) - base);
  if (line_end == 0 || base[line_end - 1] != '\r') return ParseErrc::BadLineEnding;
  std::string_view line(base, line_end - 1);
  if (std::memchr(line.data(), '\r', line.size()) != nullptr) return ParseErrc::BadLineEnding;
  const ParseErrc sl = start_line(line);
  if (sl != ParseErrc::Ok) return sl;
  if (n > lim_.max_message_bytes) return ParseErrc::MessageTooLarge;

  // Header fields.
  std::size_t pos = line_end + 1;
  std::size_t section_limit = line_end + 1 + lim_.max_header_section_bytes;
  for (;;) {
    if (pos >= section_limit) return ParseErrc::HeaderSectionTooLarge;
    if (n - pos >= 2 && base[pos] == '\r' && base[pos + 1] == '\n') {
      return finish(pos + 2);
    }
    if (pos >= n) return ParseErrc::Incomplete;
    // Fast path: one line "name *WSP : *WSP value CRLF", not folded, without another CR or LF
    // in it. Anything else takes the general path below, which gives every verdict.
    {
      const char* const line_start = base + pos;
      const char* const e = base + n;
      const char* q = line_start;
      std::size_t known_len = 0;
      HeaderId id = e - line_start > 32 ? classify_header_at(line_start, known_len) : HeaderId::Other;
      if (known_len != 0) {
        q += known_len;
      } else {
        while (q < e && cs::is(*q, cs::kToken)) ++q;
      }
      const char* const name_end = q;
      while (q < e && cs::is_wsp(*q)) ++q;
      if (name_end != line_start && q < e && *q == ':') {
        ++q;
        while (q < e && cs::is_wsp(*q)) ++q;
        const char* const value_start = q;
        const char* const cr = scan::cr_or_lf(q, e);
        if (e - cr >= 2 && cr[0] == '\r' && cr[1] == '\n' && (e - cr == 2 || !cs::is_wsp(cr[2])) &&
            static_cast<std::size_t>(cr + 1 - line_start) <= lim_.max_line_bytes) {
          const char* value_end = cr;
          while (value_end > value_start && cs::is_wsp(value_end[-1])) --value_end;
          pos = static_cast<std::size_t>(cr + 2 - base);
          if (m_.headers.size() >= lim_.max_headers) return ParseErrc::TooManyHeaders;
          const std::string_view name(line_start, static_cast<std::size_t>(name_end - line_start));
          const std::string_view value(value_start, static_cast<std::size_t>(value_end - value_start));
          if (known_len == 0) id = classify_header(name);
          Header& h = m_.headers.emplace_back();  // filled in place: no copy through the stack
          h.id = id;
          h.name = name;
          h.value = value;
          const ParseErrc e2 = header(id, value);
          if (e2 != ParseErrc::Ok) return e2;
          continue;
        }
      }
    }
    // Find the end of this field, following folded continuation lines.
    std::size_t scan = pos;
    std::size_t end;
    for (;;) {
      const std::size_t room = n - scan;
      const void* f = std::memchr(base + scan, '\n', room);
      if (f == nullptr) return (n - pos > lim_.max_line_bytes) ? ParseErrc::LineTooLong : ParseErrc::Incomplete;
      end = static_cast<std::size_t>(static_cast<const char*>(f) - base);
      if (end == pos || base[end - 1] != '\r') return ParseErrc::BadLineEnding;
      if (end - pos > lim_.max_line_bytes) return ParseErrc::LineTooLong;
      if (end + 1 < n && cs::is_wsp(base[end + 1])) {
        scan = end + 1;  // folded: the field continues on the next line
        continue;
      }
      break;
    }
    std::string_view field(base + pos, end - 1 - pos);
    // Every CR inside the field must start a fold (CRLF WSP); a bare CR could split headers
    // differently in the next parser down the line.
    for (const char* cr = static_cast<const char*>(std::memchr(field.data(), '\r', field.size())); cr != nullptr;) {
      const std::size_t at = static_cast<std::size_t>(cr - field.data());
      if (at + 2 >= field.size() || field[at + 1] != '\n' || !cs::is_wsp(field[at + 2])) return ParseErrc::BadLineEnding;
      cr = static_cast<const char*>(std::memchr(cr + 1, '\r', field.size() - at - 1));
    }
    pos = end + 1;

    // field-name HCOLON value
    std::size_t i = 0;
    while (i < field.size() && cs::is(field[i], cs::kToken)) ++i;
    if (i == 0) return ParseErrc::BadHeaderName;
    std::string_view name = field.substr(0, i);
    while (i < field.size() && cs::is_wsp(field[i])) ++i;
    if (i >= field.size() || field[i] != ':') return ParseErrc::BadHeaderName;
    ++i;
    Cursor vc(field.substr(i));
    vc.lws();
    std::string_view value(vc.p, static_cast<std::size_t>(vc.e - vc.p));
    while (!value.empty() && cs::is_wsp(value.back())) value.remove_suffix(1);

    if (m_.headers.size() >= lim_.max_headers) return ParseErrc::TooManyHeaders;
    const HeaderId id = classify_header(name);
    Header& h = m_.headers.emplace_back();
    h.id = id;
    h.name = name;
    h.value = value;
    const ParseErrc e = header(id, value);
    if (e != ParseErrc::Ok) return e;
  }
}

ParseErrc Parser::finish(std::size_t body_start) noexcept {
  const std::size_t available = s_.size() - body_start;
  if (content_length_conflict_) return ParseErrc::MultipleContentLength;
  if (content_length_bad_) return ParseErrc::BadContentLength;
  std::size_t body_len = available;
  if (m_.content_length) {
    body_len = *m_.content_length;
    if (body_len > lim_.max_body_bytes) return ParseErrc::BodyTooLarge;
    if (body_len > available) return ParseErrc::Incomplete;
  } else if (framing_ == Framing::Stream) {
    return ParseErrc::MissingContentLength;
  }
  if (body_len > lim_.max_body_bytes) return ParseErrc::BodyTooLarge;
  m_.body = s_.substr(body_start, body_len);
  m_.bytes = s_.substr(0, body_start + body_len);

  if (m_.vias.empty() || !seen_from_ || !seen_to_ || !seen_call_id_ || !seen_cseq_) return ParseErrc::MissingHeader;
  for (const auto& v : m_.vias)
    if (v.branch == kBranchCookie) return ParseErrc::BadBranch;
  if (m_.is_request() && m_.cseq.method_text != m_.method_text) return ParseErrc::CSeqMethodMismatch;
  return ParseErrc::Ok;
}

bool is_size_error(ParseErrc e) noexcept {
  switch (e) {
    case ParseErrc::MessageTooLarge:
    case ParseErrc::HeaderSectionTooLarge:
    case ParseErrc::LineTooLong:
    case ParseErrc::TooManyHeaders:
    case ParseErrc::TooManyValues:
    case ParseErrc::BodyTooLarge:
      return true;
    default:
      return false;
  }
}

}  // namespace

Verdict parse_message(std::string_view bytes, Message& out, const base::Limits::Sip& limits,
                      Framing framing) noexcept {
  out.clear();
  Parser p(bytes, out, limits, framing);
  const ParseErrc e = p.run();
  if (e == ParseErrc::Ok) return Verdict::accept();

  const bool stream = framing == Framing::Stream;
  // Errors that break the framing itself.
  if (e == ParseErrc::MultipleContentLength) return stream ? Verdict::close(e) : Verdict::drop(e);
  if (e == ParseErrc::BadContentLength || e == ParseErrc::MissingContentLength) {
    if (stream) return Verdict::close(e);
    if (out.is_response()) return Verdict::drop(e);
    return Verdict::respond(400, e);
  }
  // A malformed response is never answered (RFC 3261 §16.7, RFC 4475 §3.1.2.19).
  if (out.is_response() && p.start_line_parsed()) return Verdict::drop(e);
  if (!p.looks_like_request()) return stream ? Verdict::close(e) : Verdict::drop(e);
  if (e == ParseErrc::UnsupportedVersion) return Verdict::respond(505, e);
  if (is_size_error(e)) return Verdict::respond(513, e);
  if (e == ParseErrc::CSeqMethodMismatch && out.method == Method::Unknown) return Verdict::respond(501, e);
  return Verdict::respond(400, e);
}

}  // namespace warden::sip::msg
