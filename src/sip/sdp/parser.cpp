#include "sip/sdp/parser.hpp"

#include <utility>

#include "sip/sdp/text.hpp"

namespace warden::sip::sdp {
namespace {

using detail::FieldCursor;
using detail::is_digits;
using detail::is_token;
using detail::parse_uint;

// typed-time = 1*DIGIT [fixed-len-time-unit] (RFC 8866 §9).
bool is_typed_time(std::string_view s) noexcept {
  if (!s.empty()) {
    const char u = s.back();
    if (u == 'd' || u == 'h' || u == 'm' || u == 's') s.remove_suffix(1);
  }
  return is_digits(s);
}

// proto = token *("/" token)
bool is_proto(std::string_view s) noexcept {
  if (s.empty()) return false;
  std::size_t start = 0;
  while (true) {
    const auto slash = s.find('/', start);
    const auto part = s.substr(start, slash == std::string_view::npos ? s.npos : slash - start);
    if (!is_token(part)) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

SdpErrc parse_origin(std::string_view v, Origin& o) noexcept {
  FieldCursor f(v);
  o.username = f.next();
  o.session_id = f.next();
  o.session_version = f.next();
  o.net_type = f.next();
  o.addr_type = f.next();
  o.address = f.next();
  if (!f.done()) return SdpErrc::BadOrigin;
  if (!detail::is_non_ws_string(o.username) || !is_digits(o.session_id) ||
      !is_digits(o.session_version) || !is_token(o.net_type) || !is_token(o.addr_type)) {
    return SdpErrc::BadOrigin;
  }
  const AddrType type =
      net_type_from_text(o.net_type) == NetType::In ? o.addr_kind() : AddrType::Other;
  if (!is_unicast_address(type, o.address)) return SdpErrc::BadOrigin;
  return SdpErrc::Ok;
}

SdpErrc parse_connection(std::string_view v, Connection& c) noexcept {
  FieldCursor f(v);
  c.net_type = f.next();
  c.addr_type = f.next();
  std::string_view addr = f.next();
  if (!f.done() || !is_token(c.net_type) || !is_token(c.addr_type) || addr.empty()) {
    return SdpErrc::BadConnection;
  }
  const AddrType type =
      net_type_from_text(c.net_type) == NetType::In ? c.addr_kind() : AddrType::Other;
  if (type == AddrType::Other) {
    if (!detail::is_non_ws_string(addr)) return SdpErrc::BadConnection;
    c.address = addr;
    return SdpErrc::Ok;
  }
  bool found = false;
  c.address = detail::split_first(addr, '/', found);
  if (!is_unicast_address(type, c.address)) return SdpErrc::BadConnection;
  if (!found) return SdpErrc::Ok;
  bool second = false;
  const std::string_view first = detail::split_first(addr, '/', second);
  if (type == AddrType::Ip4) {
    const auto ttl = parse_uint<std::uint8_t>(first);
    if (!ttl) return SdpErrc::BadConnection;
    c.ttl = *ttl;
    if (second) {
      const auto count = parse_uint<std::uint32_t>(addr);
      if (!count || *count == 0) return SdpErrc::BadConnection;
      c.count = *count;
    }
    return SdpErrc::Ok;
  }
  if (second) return SdpErrc::BadConnection;  // IP6 takes only a count
  const auto count = parse_uint<std::uint32_t>(first);
  if (!count || *count == 0) return SdpErrc::BadConnection;
  c.count = *count;
  return SdpErrc::Ok;
}

SdpErrc parse_bandwidth(std::string_view v, Bandwidth& b) noexcept {
  bool found = false;
  b.type = detail::split_first(v, ':', found);
  if (!found || !is_token(b.type)) return SdpErrc::BadBandwidth;
  const auto value = parse_uint<std::uint64_t>(v);
  if (!value) return SdpErrc::BadBandwidth;
  b.value = *value;
  return SdpErrc::Ok;
}

SdpErrc parse_timing(std::string_view v, Timing& t) noexcept {
  FieldCursor f(v);
  const auto start = parse_uint<std::uint64_t>(f.next());
  const auto stop = parse_uint<std::uint64_t>(f.next());
  if (!start || !stop || !f.done()) return SdpErrc::BadTiming;
  t.start = *start;
  t.stop = *stop;
  return SdpErrc::Ok;
}

SdpErrc parse_repeat(std::string_view v, Repeat& r) {
  FieldCursor f(v);
  r.interval = f.next();
  r.duration = f.next();
  if (!is_typed_time(r.interval) || r.interval.front() == '0' || !is_typed_time(r.duration)) {
    return SdpErrc::BadRepeat;
  }
  while (!f.done()) {
    const std::string_view offset = f.next();
    if (!is_typed_time(offset)) return SdpErrc::BadRepeat;
    r.offsets.push_back(offset);
  }
  return r.offsets.empty() ? SdpErrc::BadRepeat : SdpErrc::Ok;
}

SdpErrc parse_zone(std::string_view v, std::vector<ZoneAdjustment>& out) {
  FieldCursor f(v);
  while (!f.done()) {
    ZoneAdjustment z;
    z.time = f.next();
    z.offset = f.next();
    std::string_view magnitude = z.offset;
    if (!magnitude.empty() && magnitude.front() == '-') magnitude.remove_prefix(1);
    if (!is_digits(z.time) || !is_typed_time(magnitude)) return SdpErrc::BadZone;
    out.push_back(z);
  }
  return out.empty() ? SdpErrc::BadZone : SdpErrc::Ok;
}

SdpErrc parse_media(std::string_view v, MediaDescription& m, std::size_t max_formats) {
  FieldCursor f(v);
  m.media = f.next();
  std::string_view port = f.next();
  m.proto = f.next();
  if (!is_token(m.media) || !is_proto(m.proto)) return SdpErrc::BadMedia;
  bool has_count = false;
  const auto port_value = parse_uint<std::uint16_t>(detail::split_first(port, '/', has_count));
  if (!port_value) return SdpErrc::BadMedia;
  m.port = *port_value;
  if (has_count) {
    const auto count = parse_uint<std::uint32_t>(port);
    if (!count || *count == 0) return SdpErrc::BadMedia;
    m.port_count = *count;
  }
  while (!f.done()) {
    const std::string_view fmt = f.next();
    if (!is_token(fmt)) return SdpErrc::BadMedia;
    if (m.formats.size() >= max_formats) return SdpErrc::TooManyFormats;
    m.formats.push_back(fmt);
  }
  return m.formats.empty() ? SdpErrc::BadMedia : SdpErrc::Ok;
}

SdpErrc parse_attribute(std::string_view v, Attribute& a) noexcept {
  bool found = false;
  a.name = detail::split_first(v, ':', found);
  if (!is_token(a.name)) return SdpErrc::BadAttribute;
  a.has_value = found;
  a.value = v;
  return SdpErrc::Ok;
}

bool only_line_ends(std::string_view s) noexcept {
  return detail::all_of(s, [](char c) { return c == '\r' || c == '\n'; });
}

// Line type letters RFC 8866 defines.
bool is_known_type(char t) noexcept {
  return std::string_view("vosiuepcbtrzkam").find(t) != std::string_view::npos;
}

class Parser {
 public:
  Parser(std::string_view text, const base::Limits::Sdp& limits) : text_(text), limits_(limits) {}

  base::Result<SessionDescription> run() {
    if (text_.size() > limits_.max_bytes) return SdpErrc::TooLarge;
    std::size_t pos = 0;
    std::size_t lines = 0;
    while (pos < text_.size()) {
      const auto lf = text_.find('\n', pos);
      const std::size_t end = lf == std::string_view::npos ? text_.size() : lf;
      std::string_view line = text_.substr(pos, end - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) {
        if (only_line_ends(text_.substr(pos))) break;  // trailing empty lines
        return SdpErrc::BadLine;
      }
      pos = lf == std::string_view::npos ? text_.size() : lf + 1;
      if (++lines > limits_.max_lines) return SdpErrc::TooManyLines;
      if (const SdpErrc e = on_line(line); e != SdpErrc::Ok) return e;
    }
    if (phase_ != Phase::Session && phase_ != Phase::Media) return SdpErrc::MissingRequiredLine;
    if (sd_.timings.empty()) return SdpErrc::MissingRequiredLine;
    return std::move(sd_);
  }

 private:
  enum class Phase { Version, Origin, Name, Session, Media };

  SdpErrc on_line(std::string_view line) {
    if (line.size() < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z') {
      return SdpErrc::BadLine;
    }
    for (char c : line) {
      if (c == '\0' || c == '\r') return SdpErrc::BadCharacter;
    }
    const char type = line[0];
    const std::string_view value = line.substr(2);
    if (!is_known_type(type)) return SdpErrc::UnknownLineType;

    switch (phase_) {
      case Phase::Version:
        if (type != 'v') return SdpErrc::BadLineOrder;
        if (value != "0") return SdpErrc::BadVersionLine;
        phase_ = Phase::Origin;
        return SdpErrc::Ok;
      case Phase::Origin:
        if (type != 'o') return SdpErrc::BadLineOrder;
        phase_ = Phase::Name;
        return parse_origin(value, sd_.origin);
      case Phase::Name:
        if (type != 's') return SdpErrc::BadLineOrder;
        phase_ = Phase::Session;
        sd_.session_name = value;
        return SdpErrc::Ok;
      case Phase::Session: return on_session_line(type, value);
      case Phase::Media: return on_media_line(type, value);
    }
    return SdpErrc::BadLine;
  }

  SdpErrc on_session_line(char type, std::string_view value) {
    switch (type) {
      case 'i': return set_once(sd_.information, value);
      case 'u': return set_once(sd_.uri, value);
      case 'e': sd_.emails.push_back(value); return SdpErrc::Ok;
      case 'p': sd_.phones.push_back(value); return SdpErrc::Ok;
      case 'c': {
        if (sd_.connection) return SdpErrc::DuplicateLine;
        Connection c;
        if (const SdpErrc e = parse_connection(value, c); e != SdpErrc::Ok) return e;
        sd_.connection = c;
        return SdpErrc::Ok;
      }
      case 'b': return add_bandwidth(sd_.bandwidths, value);
      case 't': {
        if (!sd_.zone_adjustments.empty()) return SdpErrc::BadLineOrder;  // z= follows all t=
        Timing t;
        if (const SdpErrc e = parse_timing(value, t); e != SdpErrc::Ok) return e;
        sd_.timings.push_back(std::move(t));
        return SdpErrc::Ok;
      }
      case 'r': {
        if (sd_.timings.empty() || !sd_.zone_adjustments.empty()) return SdpErrc::BadLineOrder;
        Repeat r;
        if (const SdpErrc e = parse_repeat(value, r); e != SdpErrc::Ok) return e;
        sd_.timings.back().repeats.push_back(std::move(r));
        return SdpErrc::Ok;
      }
      case 'z':
        if (sd_.timings.empty()) return SdpErrc::BadLineOrder;
        if (!sd_.zone_adjustments.empty()) return SdpErrc::DuplicateLine;
        return parse_zone(value, sd_.zone_adjustments);
      case 'k': return set_once(sd_.key, value);
      case 'a': return add_attribute(sd_.attributes, value);
      case 'm': {
        if (sd_.timings.empty()) return SdpErrc::MissingRequiredLine;
        phase_ = Phase::Media;
        return on_media_line(type, value);
      }
      default: return SdpErrc::BadLineOrder;  // v=, o=, s= again
    }
  }

  SdpErrc on_media_line(char type, std::string_view value) {
    if (type == 'm') {
      if (sd_.media.size() >= limits_.max_media) return SdpErrc::TooManyMedia;
      MediaDescription m;
      if (const SdpErrc e = parse_media(value, m, limits_.max_formats); e != SdpErrc::Ok) return e;
      sd_.media.push_back(std::move(m));
      return SdpErrc::Ok;
    }
    MediaDescription& m = sd_.media.back();
    switch (type) {
      case 'i': return set_once(m.information, value);
      case 'c': {
        Connection c;
        if (const SdpErrc e = parse_connection(value, c); e != SdpErrc::Ok) return e;
        m.connections.push_back(c);
        return SdpErrc::Ok;
      }
      case 'b': return add_bandwidth(m.bandwidths, value);
      case 'k': return set_once(m.key, value);
      case 'a': return add_attribute(m.attributes, value);
      default: return SdpErrc::BadLineOrder;  // a session-only line inside a media section
    }
  }

  static SdpErrc set_once(std::optional<std::string_view>& slot, std::string_view value) {
    if (slot) return SdpErrc::DuplicateLine;
    slot = value;
    return SdpErrc::Ok;
  }

  static SdpErrc add_bandwidth(std::vector<Bandwidth>& out, std::string_view value) {
    Bandwidth b;
    if (const SdpErrc e = parse_bandwidth(value, b); e != SdpErrc::Ok) return e;
    out.push_back(b);
    return SdpErrc::Ok;
  }

  SdpErrc add_attribute(std::vector<Attribute>& out, std::string_view value) {
    if (++attributes_ > limits_.max_attributes) return SdpErrc::TooManyAttributes;
    Attribute a;
    if (const SdpErrc e = parse_attribute(value, a); e != SdpErrc::Ok) return e;
    out.push_back(a);
    return SdpErrc::Ok;
  }

  std::string_view text_;
  const base::Limits::Sdp& limits_;
  SessionDescription sd_;
  Phase phase_ = Phase::Version;
  std::size_t attributes_ = 0;
};

}  // namespace

base::Result<SessionDescription> parse(std::string_view text, const base::Limits::Sdp& limits) {
  return Parser(text, limits).run();
}

}  // namespace warden::sip::sdp
