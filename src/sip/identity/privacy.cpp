#include "sip/identity/privacy.hpp"

#include <charconv>

#include "sip/msg/charset.hpp"
#include "sip/msg/params.hpp"
#include "sip/msg/parser.hpp"
#include "sip/msg/serializer.hpp"

namespace warden::sip::identity {

namespace cs = msg::cs;

namespace {

constexpr std::string_view kAnonymousFrom = "\"Anonymous\" <sip:anonymous@anonymous.invalid>";
constexpr std::string_view kPrivacyUnavailable = "Privacy Unavailable";  // RFC 3323 §5.2
constexpr std::string_view kBadPrivacy = "Bad Privacy Header";
constexpr std::string_view kInternal = "Server Internal Error";
constexpr std::size_t kMaxDisplayName = 128;

PrivacyOutcome reject(std::uint16_t status, std::string_view reason, PrivacyRequest privacy = {}) {
  PrivacyOutcome o;
  o.action = PrivacyAction::Reject;
  o.status = status;
  o.reason = reason;
  o.privacy = privacy;
  return o;
}

bool inside(std::string_view part, std::string_view whole) {
  return !part.empty() && part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

std::string_view trim(std::string_view s) {
  auto lws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && lws(s.front())) s.remove_prefix(1);
  while (!s.empty() && lws(s.back())) s.remove_suffix(1);
  return s;
}

void put(std::string_view name, std::string_view value, std::string& out) {
  out += name;
  out += ": ";
  msg::append_unfolded(value, out);
  out += "\r\n";
}

// RFC 3323 §5.3 lists what identifies a user beyond From; Identity (RFC 8224) is added: its
// PASSporT carries the caller's identity in `orig`, and it no longer matches an anonymous From.
bool user_level_header(const msg::Header& h) {
  switch (h.id) {
    case msg::HeaderId::Server:
    case msg::HeaderId::Subject:
    case msg::HeaderId::UserAgent:
    case msg::HeaderId::Warning:
    case msg::HeaderId::Identity:
      return true;
    case msg::HeaderId::Other:
      for (std::string_view n : {"Call-Info", "Organization", "Reply-To", "In-Reply-To", "Alert-Info"})
        if (cs::iequals(h.name, n)) return true;
      return false;
    default:
      return false;
  }
}

struct OwnHost {
  std::string_view host;
  std::optional<std::uint16_t> port;
};

// "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 address.
std::optional<OwnHost> parse_own_host(std::string_view s) {
  OwnHost o;
  if (s.empty()) return std::nullopt;
  std::string_view port;
  if (s.front() == '[') {
    const std::size_t close = s.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    o.host = s.substr(1, close - 1);
    if (close + 1 < s.size()) {
      if (s[close + 1] != ':') return std::nullopt;
      port = s.substr(close + 2);
    }
  } else if (s.find(':') != s.rfind(':')) {
    o.host = s;  // a bare IPv6 address
  } else {
    const std::size_t colon = s.find(':');
    o.host = s.substr(0, colon);
    if (colon != std::string_view::npos) port = s.substr(colon + 1);
  }
  if (!port.empty()) {
    std::uint16_t p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc{} || end != port.data() + port.size()) return std::nullopt;
    o.port = p;
  }
  return o;
}

class OwnHosts {
 public:
  OwnHosts(const PrivacyContext& ctx, const msg::Message& m) {
    for (const auto& s : ctx.own_hosts)
      if (auto o = parse_own_host(s)) hosts_.push_back(*o);
    if (hosts_.empty() && m.is_request() && !m.vias.empty()) hosts_.push_back(OwnHost{m.vias.front().host, std::nullopt});
  }
  bool owns(const msg::Uri& u) const {
    for (const auto& o : hosts_)
      if (cs::iequals(u.host, o.host) && (!o.port || !u.port || *o.port == *u.port)) return true;
    return false;
  }

 private:
  std::vector<OwnHost> hosts_;
};

// The addresses that name the sender: compared with the SDP c= lines.
class Addresses {
 public:
  void add(std::string_view a) {
    if (a.size() >= 2 && a.front() == '[' && a.back() == ']') a = a.substr(1, a.size() - 2);
    if (a.empty() || a == "0.0.0.0" || a == "::") return;
    if (list_.size() < 256) list_.push_back(a);
  }
  bool has(std::string_view a) const {
    for (auto x : list_)
      if (cs::iequals(x, a)) return true;
    return false;
  }

 private:
  std::vector<std::string_view> list_;
};

bool is_sdp(const msg::Message& m) {
  return cs::iequals(m.content_type.type, "application") && cs::iequals(m.content_type.subtype, "sdp");
}

// Splits on single spaces as SDP writes them (RFC 8866 §5: fields separated by one space).
std::vector<std::string_view> fields(std::string_view s, std::size_t max) {
  std::vector<std::string_view> f;
  while (f.size() < max) {
    const std::size_t sp = s.find(' ');
    f.push_back(s.substr(0, sp));
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  return f;
}

// The SDP body with its o= address made 0.0.0.0 and its user name "-" (the session id and
// version kept: RFC 3264 §8 compares them across offers, and the rewrite is the same every time).
// Records the o= address, and the c= addresses, for the media-relay check.
std::string anonymize_origin(std::string_view body, Addresses& sender, std::vector<std::string_view>& c_addresses) {
  std::string out;
  out.reserve(body.size());
  std::size_t pos = 0;
  bool origin_done = false;
  while (pos < body.size()) {
    std::size_t nl = body.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? body.size() : nl + 1;
    std::string_view line = body.substr(pos, end - pos);
    std::string_view eol;
    std::string_view text = line;
    if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    eol = line.substr(text.size());
    pos = end;
    if (!origin_done && text.substr(0, 2) == "o=") {
      origin_done = true;
      auto f = fields(text.substr(2), 7);
      out += "o=- ";
      if (f.size() == 6) {
        sender.add(f[5]);
        out += f[1];
        out += ' ';
        out += f[2];
      } else {
        out += "0 0";  // malformed origin: nothing of it is kept
      }
      out += " IN IP4 0.0.0.0";
      out += eol;
      continue;
    }
    if (text.substr(0, 2) == "c=") {
      auto f = fields(text.substr(2), 4);
      if (f.size() == 3 && c_addresses.size() < 64) c_addresses.push_back(f[2].substr(0, f[2].find('/')));
    }
    out += line;
  }
  return out;
}

// A Contact value's parameters that say nothing about the device: expires, q and feature tags
// (RFC 3840) other than +sip.instance (RFC 5626: a device identifier).
void append_safe_contact_params(std::string_view params, std::string& out) {
  msg::ParamIterator it(params);
  msg::Param p;
  while (it.next(p)) {
    const bool keep = cs::iequals(p.name, "expires") || cs::iequals(p.name, "q") ||
                      (p.name.front() == '+' && !cs::iequals(p.name, "+sip.instance"));
    if (!keep) continue;
    out += ';';
    out += p.name;
    if (p.has_value) {
      out += '=';
      out += p.value;
    }
  }
}

void append_contact(const msg::NameAddr& original, std::string_view anonymous, std::string& out) {
  out += "Contact: <";
  out += anonymous;
  out += '>';
  append_safe_contact_params(original.params, out);
  out += "\r\n";
}

// `"name" <identity>` with the name as a quoted-string (RFC 3261 §25.1): '"' and '\' escaped,
// control characters dropped, bounded.
std::string pai_value(const PrivacyContext& ctx) {
  std::string v;
  if (!ctx.display_name.empty()) {
    v += '"';
    std::size_t n = 0;
    for (char c : ctx.display_name) {
      if (n++ >= kMaxDisplayName) break;
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) continue;
      if (c == '"' || c == '\\') v += '\\';
      v += c;
    }
    v += "\" ";
  }
  v += '<';
  v += ctx.asserted_identity;
  v += '>';
  return v;
}

bool valid_uri(std::string_view s, const base::Limits::Sip& limits) {
  if (s.empty() || s.size() > limits.max_uri_bytes) return false;
  for (char c : s)
    if (static_cast<unsigned char>(c) <= 0x20 || c == '<' || c == '>' || c == ',' || c == '"') return false;
  msg::Uri u;
  return msg::parse_uri(s, u, limits.max_params);
}

// The Via value with received/rport set (RFC 3581 §4): existing ones replaced.
std::string via_with_source(const msg::Via& via, std::string_view received, std::uint16_t rport) {
  if (received.empty() && rport == 0) return std::string(via.raw);
  const std::size_t semi = via.raw.find(';');
  std::string out(trim(via.raw.substr(0, semi)));
  if (semi != std::string_view::npos) {
    msg::ParamIterator it(via.raw.substr(semi));
    msg::Param p;
    while (it.next(p)) {
      if ((!received.empty() && cs::iequals(p.name, "received")) || (rport != 0 && cs::iequals(p.name, "rport")))
        continue;
      out += ';';
      out += p.name;
      if (p.has_value) {
        out += '=';
        out += p.value;
      }
    }
  }
  if (!received.empty()) {
    out += ";received=";
    out += received;
  }
  if (rport != 0) {
    out += ";rport=";
    out += std::to_string(rport);
  }
  return out;
}

void append_start_line(const msg::Message& m, std::string& out) {
  out += m.bytes.substr(0, m.bytes.find("\r\n") + 2);
}

bool parses(std::string_view bytes, const base::Limits::Sip& limits) {
  msg::Message check;
  return msg::parse_message(bytes, check, limits, msg::Framing::Datagram).accepted();
}

PrivacyOutcome apply(const msg::Message& m, const PrivacyContext& ctx, const base::Limits::Sip& limits) {
  const bool request = m.is_request();
  auto asked = privacy_of(m);
  if (!asked) {
    // A caller that wrote its Privacy header wrongly is told so; a response's is read as the
    // most it could have meant (failing toward privacy, not away from it).
    if (request) return reject(400, kBadPrivacy);
    asked = PrivacyRequest{static_cast<std::uint8_t>(PrivacyValue::Header) | static_cast<std::uint8_t>(PrivacyValue::Id), true};
  }
  const PrivacyRequest priv = *asked;
  const bool last_service = !ctx.to_trusted;
  const bool privacy_acts = last_service && priv.any();
  if (last_service && priv.has(PrivacyValue::Critical)) {
    if (priv.has(PrivacyValue::Other)) return reject(500, kPrivacyUnavailable, priv);
    if (priv.has(PrivacyValue::Session) && !ctx.media_relay_available) return reject(500, kPrivacyUnavailable, priv);
  }
  const bool hide_addresses = last_service && (ctx.topology_hiding || priv.any());
  const bool user_level = privacy_acts && priv.user_level();
  const bool anonymize_from = request && (user_level || (last_service && ctx.anonymize_from));
  const bool pai_out_dropped = last_service && (ctx.strip_pai_untrusted || priv.has(PrivacyValue::Id));
  const bool pai_in_dropped = !ctx.from_trusted || !ctx.asserted_identity.empty() || pai_out_dropped;
  const bool insert_pai = !ctx.asserted_identity.empty() && !pai_out_dropped;
  if (insert_pai && !valid_uri(ctx.asserted_identity, limits)) return reject(500, kInternal, priv);

  const bool replace_contact = hide_addresses && !m.contacts.empty() && !m.contact_star;
  if (replace_contact && !valid_uri(ctx.anonymous_contact, limits)) return reject(500, kPrivacyUnavailable, priv);

  Addresses sender;
  sender.add(ctx.caller_address);
  const OwnHosts own(ctx, m);

  // Record-Route values kept. A request keeps ours only (the others are the caller side's
  // hops). A response keeps ours and what follows (the caller's side); the values before our
  // first one were added on the callee's side and are hidden. No value of ours: none kept.
  std::vector<bool> keep_rr(m.record_routes.size(), true);
  if (hide_addresses) {
    bool seen_own = false;
    for (std::size_t i = 0; i < m.record_routes.size(); ++i) {
      const bool mine = own.owns(m.record_routes[i].uri);
      seen_own = seen_own || mine;
      keep_rr[i] = request ? mine : seen_own;
      if (!keep_rr[i]) sender.add(m.record_routes[i].uri.host);
    }
  }
  if (hide_addresses && request) {
    for (std::size_t i = 1; i < m.vias.size(); ++i) {
      sender.add(m.vias[i].host);
      sender.add(m.vias[i].received);
    }
  }
  if (replace_contact)
    for (const auto& c : m.contacts) sender.add(c.uri.host);

  std::string body(m.body);
  std::vector<std::string_view> c_addresses;
  if (hide_addresses && is_sdp(m)) body = anonymize_origin(m.body, sender, c_addresses);
  const bool body_changed = body != m.body;

  PrivacyOutcome o;
  o.privacy = priv;
  o.addresses_hidden = hide_addresses;
  o.from_anonymized = anonymize_from;
  if (hide_addresses) {
    for (auto c : c_addresses)
      if (sender.has(c)) o.needs_media_relay = true;
  }
  if (privacy_acts && priv.has(PrivacyValue::Session)) o.needs_media_relay = true;

  std::string& out = o.bytes;
  out.reserve(m.bytes.size() + ctx.anonymous_contact.size() + ctx.asserted_identity.size() + 128);
  append_start_line(m, out);
  bool via_done = false, contact_done = false, length_done = false;
  std::size_t rr_index = 0;
  for (const auto& h : m.headers) {
    switch (h.id) {
      case msg::HeaderId::Via:
        if (hide_addresses && request) {
          if (!via_done) put(h.name, m.vias.front().raw, out);
          via_done = true;
          continue;
        }
        break;
      case msg::HeaderId::RecordRoute:
        if (hide_addresses) {
          std::string kept;
          for (; rr_index < m.record_routes.size() && inside(m.record_routes[rr_index].raw, h.value); ++rr_index) {
            if (!keep_rr[rr_index]) continue;
            if (!kept.empty()) kept += ", ";
            msg::append_unfolded(m.record_routes[rr_index].raw, kept);
          }
          if (!kept.empty()) put(h.name, kept, out);
          continue;
        }
        break;
      case msg::HeaderId::Contact:
        if (replace_contact) {
          if (!contact_done) append_contact(m.contacts.front(), ctx.anonymous_contact, out);
          contact_done = true;
          continue;
        }
        break;
      case msg::HeaderId::From:
        if (anonymize_from) {
          out += "From: ";
          out += kAnonymousFrom;
          if (!m.from.tag.empty()) {
            out += ";tag=";
            out += m.from.tag;
          }
          out += "\r\n";
          continue;
        }
        break;
      case msg::HeaderId::PAssertedIdentity:
        if (pai_in_dropped) continue;
        break;
      case msg::HeaderId::PPreferredIdentity:
        continue;  // RFC 3325 §6: used by this proxy (or by nobody), never passed on
      case msg::HeaderId::Privacy:
        if (last_service) continue;
        break;
      case msg::HeaderId::ContentLength:
        if (body_changed) {
          if (!length_done) {
            out += "Content-Length: ";
            out += std::to_string(body.size());
            out += "\r\n";
          }
          length_done = true;
          continue;
        }
        break;
      default:
        if (user_level && user_level_header(h)) continue;
        break;
    }
    put(h.name, h.value, out);
  }
  if (insert_pai) put("P-Asserted-Identity", pai_value(ctx), out);
  if (body_changed && !length_done) {
    out += "Content-Length: ";
    out += std::to_string(body.size());
    out += "\r\n";
  }
  out += "\r\n";
  out += body;
  if (!parses(out, limits)) return reject(500, kInternal, priv);
  return o;
}

bool boundary_before(std::string_view s, std::size_t at, bool v6) {
  if (at == 0) return true;
  const char c = s[at - 1];
  if (cs::is_digit(c) || c == '.') return false;
  if (v6 && (cs::is(c, cs::kHex) || c == ':')) return false;
  return true;
}

bool boundary_after(std::string_view s, std::size_t end, bool v6) {
  if (end >= s.size()) return true;
  const char c = s[end];
  const bool next_digit = end + 1 < s.size() && cs::is_digit(s[end + 1]);
  if (cs::is_digit(c) || (c == '.' && next_digit)) return false;
  if (v6 && (cs::is(c, cs::kHex) || (c == ':' && end + 1 < s.size() && cs::is(s[end + 1], cs::kHex)))) return false;
  return true;
}

}  // namespace

std::optional<PrivacyRequest> parse_privacy(std::string_view value) noexcept {
  PrivacyRequest r;
  r.present = true;
  std::size_t count = 0;
  while (true) {
    const std::size_t sep = value.find_first_of(";,");
    const std::string_view item = trim(value.substr(0, sep));
    if (item.empty() || !cs::all_of(item, cs::kToken) || ++count > kMaxPrivacyValues) return std::nullopt;
    PrivacyValue v = PrivacyValue::Other;
    if (cs::iequals(item, "header")) v = PrivacyValue::Header;
    else if (cs::iequals(item, "session")) v = PrivacyValue::Session;
    else if (cs::iequals(item, "user")) v = PrivacyValue::User;
    else if (cs::iequals(item, "id")) v = PrivacyValue::Id;
    else if (cs::iequals(item, "critical")) v = PrivacyValue::Critical;
    else if (cs::iequals(item, "none")) v = PrivacyValue::None;
    r.values |= static_cast<std::uint8_t>(v);
    if (sep == std::string_view::npos) break;
    value.remove_prefix(sep + 1);
  }
  return r;
}

std::optional<PrivacyRequest> privacy_of(const msg::Message& m) noexcept {
  PrivacyRequest all;
  for (const auto& h : m.headers) {
    if (h.id != msg::HeaderId::Privacy) continue;
    auto one = parse_privacy(h.value);
    if (!one) return std::nullopt;
    all.values |= one->values;
    all.present = true;
  }
  return all;
}

PrivacyOutcome apply_request_privacy(std::string_view forwarded, const PrivacyContext& ctx,
                                     const base::Limits::Sip& limits) {
  msg::Message m;
  if (!msg::parse_message(forwarded, m, limits, msg::Framing::Datagram).accepted() || !m.is_request())
    return reject(500, kInternal);
  return apply(m, ctx, limits);
}

PrivacyOutcome apply_response_privacy(std::string_view response, const PrivacyContext& ctx,
                                      const base::Limits::Sip& limits) {
  msg::Message m;
  if (!msg::parse_message(response, m, limits, msg::Framing::Datagram).accepted() || !m.is_response())
    return reject(500, kInternal);
  return apply(m, ctx, limits);
}

std::optional<std::string> hide_response_contact(std::string_view response, std::string_view anonymous_contact,
                                                 const base::Limits::Sip& limits) {
  msg::Message m;
  if (!msg::parse_message(response, m, limits, msg::Framing::Datagram).accepted() || !m.is_response())
    return std::nullopt;
  if (!valid_uri(anonymous_contact, limits)) return std::nullopt;
  std::string out;
  append_start_line(m, out);
  bool done = false;
  for (const auto& h : m.headers) {
    if (h.id == msg::HeaderId::Contact && !m.contact_star && !m.contacts.empty()) {
      if (!done) append_contact(m.contacts.front(), anonymous_contact, out);
      done = true;
      continue;
    }
    put(h.name, h.value, out);
  }
  out += "\r\n";
  out += m.body;
  if (!parses(out, limits)) return std::nullopt;
  return out;
}

std::optional<std::string> restore_topology(const msg::Message& resp, const msg::Message& original,
                                            const RestoreOptions& opt, const base::Limits::Sip& limits) {
  std::string out;
  out.reserve(resp.bytes.size() + original.bytes.size() / 2);
  append_start_line(resp, out);

  // Record-Route: the response's values, then the caller side's (the original request's)
  // unless the response already ends with them (nothing was hidden).
  std::string rr;
  if (opt.record_routes) {
    const auto& r = resp.record_routes;
    const auto& u = original.record_routes;
    bool ends_with = r.size() >= u.size();
    for (std::size_t i = 0; ends_with && i < u.size(); ++i)
      ends_with = r[r.size() - u.size() + i].raw == u[i].raw;
    const std::uint16_t st = resp.status;
    const bool dialog_method = resp.cseq.method == msg::Method::Invite || resp.cseq.method == msg::Method::Subscribe ||
                               resp.cseq.method == msg::Method::Refer || resp.cseq.method == msg::Method::Notify;
    const bool add = !ends_with && (!r.empty() || (st > 100 && st < 300 && dialog_method));
    for (const auto& v : r) {
      if (!rr.empty()) rr += ", ";
      msg::append_unfolded(v.raw, rr);
    }
    if (add) {
      for (const auto& v : u) {
        if (!rr.empty()) rr += ", ";
        msg::append_unfolded(v.raw, rr);
      }
    }
  }
  bool via_done = false, rr_done = false;
  auto put_vias = [&] {
    for (std::size_t i = 0; i < original.vias.size(); ++i) {
      if (i == 0) put("Via", via_with_source(original.vias[0], opt.received, opt.rport), out);
      else put("Via", original.vias[i].raw, out);
    }
    via_done = true;
  };
  for (const auto& h : resp.headers) {
    switch (h.id) {
      case msg::HeaderId::Via:
        if (!via_done) put_vias();
        continue;
      case msg::HeaderId::RecordRoute:
        if (!opt.record_routes) break;
        if (!rr_done && !rr.empty()) put("Record-Route", rr, out);
        rr_done = true;
        continue;
      case msg::HeaderId::From:
        if (opt.from) {
          put(h.name, original.from.raw, out);
          continue;
        }
        break;
      default:
        break;
    }
    put(h.name, h.value, out);
  }
  if (!via_done) put_vias();
  if (!rr_done && !rr.empty()) put("Record-Route", rr, out);
  out += "\r\n";
  out += resp.body;
  if (!parses(out, limits)) return std::nullopt;
  return out;
}

std::optional<std::string> restore_vias(const msg::Message& response, const msg::Message& original_request,
                                        const RestoreOptions& options, const base::Limits::Sip& limits) {
  RestoreOptions o = options;
  o.record_routes = false;
  o.from = false;
  return restore_topology(response, original_request, o, limits);
}

bool contains_address(std::string_view message, std::string_view ip) noexcept {
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  if (ip.empty() || ip.size() > message.size()) return false;
  const bool v6 = ip.find(':') != std::string_view::npos;
  for (std::size_t at = 0; at + ip.size() <= message.size(); ++at) {
    if (!cs::iequals(message.substr(at, ip.size()), ip)) continue;
    if (boundary_before(message, at, v6) && boundary_after(message, at + ip.size(), v6)) return true;
  }
  return false;
}

}  // namespace warden::sip::identity
