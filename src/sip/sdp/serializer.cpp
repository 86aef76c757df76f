#include "sip/sdp/serializer.hpp"

#include <charconv>

namespace warden::sip::sdp {
namespace {

void put_number(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

void put_line(std::string& out, char type, std::string_view value) {
  out.push_back(type);
  out.push_back('=');
  out.append(value);
  out.append("\r\n");
}

void put_connection(std::string& out, const Connection& c) {
  out.append("c=");
  out.append(c.net_type);
  out.push_back(' ');
  out.append(c.addr_type);
  out.push_back(' ');
  out.append(c.address);
  if (c.ttl) {
    out.push_back('/');
    put_number(out, *c.ttl);
  }
  if (c.count) {
    out.push_back('/');
    put_number(out, *c.count);
  }
  out.append("\r\n");
}

void put_bandwidths(std::string& out, const std::vector<Bandwidth>& bs) {
  for (const Bandwidth& b : bs) {
    out.append("b=");
    out.append(b.type);
    out.push_back(':');
    put_number(out, b.value);
    out.append("\r\n");
  }
}

void put_attributes(std::string& out, const std::vector<Attribute>& as) {
  for (const Attribute& a : as) {
    out.append("a=");
    out.append(a.name);
    if (a.has_value) {
      out.push_back(':');
      out.append(a.value);
    }
    out.append("\r\n");
  }
}

void put_optional(std::string& out, char type, const std::optional<std::string_view>& v) {
  if (v) put_line(out, type, *v);
}

void put_media(std::string& out, const MediaDescription& m) {
  out.append("m=");
  out.append(m.media);
  out.push_back(' ');
  put_number(out, m.port);
  if (m.port_count) {
    out.push_back('/');
    put_number(out, *m.port_count);
  }
  out.push_back(' ');
  out.append(m.proto);
  for (std::string_view f : m.formats) {
    out.push_back(' ');
    out.append(f);
  }
  out.append("\r\n");
  put_optional(out, 'i', m.information);
  for (const Connection& c : m.connections) put_connection(out, c);
  put_bandwidths(out, m.bandwidths);
  put_optional(out, 'k', m.key);
  put_attributes(out, m.attributes);
}

}  // namespace

void serialize_into(const SessionDescription& sd, std::string& out) {
  out.append("v=0\r\n");
  const Origin& o = sd.origin;
  out.append("o=");
  for (std::string_view f : {o.username, o.session_id, o.session_version, o.net_type, o.addr_type}) {
    out.append(f);
    out.push_back(' ');
  }
  out.append(o.address);
  out.append("\r\n");
  put_line(out, 's', sd.session_name);
  put_optional(out, 'i', sd.information);
  put_optional(out, 'u', sd.uri);
  for (std::string_view e : sd.emails) put_line(out, 'e', e);
  for (std::string_view p : sd.phones) put_line(out, 'p', p);
  if (sd.connection) put_connection(out, *sd.connection);
  put_bandwidths(out, sd.bandwidths);
  for (const Timing& t : sd.timings) {
    out.append("t=");
    put_number(out, t.start);
    out.push_back(' ');
    put_number(out, t.stop);
    out.append("\r\n");
    for (const Repeat& r : t.repeats) {
      out.append("r=");
      out.append(r.interval);
      out.push_back(' ');
      out.append(r.duration);
      for (std::string_view off : r.offsets) {
        out.push_back(' ');
        out.append(off);
      }
      out.append("\r\n");
    }
  }
  if (!sd.zone_adjustments.empty()) {
    out.append("z=");
    bool first = true;
    for (const ZoneAdjustment& z : sd.zone_adjustments) {
      if (!first) out.push_back(' ');
      first = false;
      out.append(z.time);
      out.push_back(' ');
      out.append(z.offset);
    }
    out.append("\r\n");
  }
  put_optional(out, 'k', sd.key);
  put_attributes(out, sd.attributes);
  for (const MediaDescription& m : sd.media) put_media(out, m);
}

std::string serialize(const SessionDescription& sd) {
  std::string out;
  out.reserve(256);
  serialize_into(sd, out);
  return out;
}

}  // namespace warden::sip::sdp
