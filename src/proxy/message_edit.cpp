#include "proxy/message_edit.hpp"

#include <algorithm>
#include <charconv>

#include "sip/msg/charset.hpp"
#include "sip/msg/parse_error.hpp"
#include "sip/msg/parser.hpp"
#include "sip/msg/serializer.hpp"

namespace warden::proxy {

namespace msg = sip::msg;
using runtime::TransportKind;

namespace {


std::optional<TransportKind> kind_from_name(std::string_view t) {
  if (msg::cs::iequals(t, "udp")) return TransportKind::Udp;
  if (msg::cs::iequals(t, "tcp")) return TransportKind::Tcp;
  if (msg::cs::iequals(t, "tls")) return TransportKind::Tls;
  return std::nullopt;
}

std::optional<runtime::Endpoint> address(msg::HostKind kind, std::string_view host, std::uint16_t port) {
  if (kind == msg::HostKind::Name) {
    if (!msg::cs::iequals(host, "localhost")) return std::nullopt;
    return runtime::Endpoint::loopback_v4(port);
  }
  if (kind != msg::HostKind::IPv4 && kind != msg::HostKind::IPv6) return std::nullopt;
  auto e = runtime::Endpoint::from_address(host, port);
  if (!e) return std::nullopt;
  return *e;
}

// Does `part` (a view into `whole`) lie inside it?
bool inside(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

void put_header(std::string_view name, std::string_view value, std::string& out) {
  out += name;
  out += ": ";
  msg::append_unfolded(value, out);
  out += "\r\n";
}

// The Via value with received/rport set to the source (RFC 3581 §4): an existing received or
// rport parameter is replaced.
void append_via_with_source(const msg::Via& via, std::string_view received, std::uint16_t rport, std::string& out) {
  std::string_view raw = via.raw;
  const std::size_t semi = raw.find(';');
  out += raw.substr(0, semi);
  if (semi != std::string_view::npos) {
    std::string_view rest = raw.substr(semi);
    while (!rest.empty()) {
      std::size_t next = rest.find(';', 1);
      std::string_view p = rest.substr(0, next);
      std::string_view name = p.substr(1);
      while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
      name = name.substr(0, name.find('='));
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
      const bool replaced = (!received.empty() && msg::cs::iequals(name, "received")) || (rport != 0 && msg::cs::iequals(name, "rport"));
      if (!replaced) out += p;
      if (next == std::string_view::npos) break;
      rest.remove_prefix(next);
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
}

// Writes header `h`, leaving out the value `skip` (a view inside h.value, one element of a
// comma-separated list); nothing at all if it was the only one.
void put_header_without(const msg::Header& h, std::string_view skip, std::string& out) {
  const char* v0 = h.value.data();
  std::string_view before = h.value.substr(0, static_cast<std::size_t>(skip.data() - v0));
  std::string_view after = h.value.substr(static_cast<std::size_t>(skip.data() - v0) + skip.size());
  // Drop the separating comma on one side.
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
    return s;
  };
  after = trim(after);
  before = trim(before);
  if (!after.empty() && after.front() == ',') {
    after.remove_prefix(1);
    after = trim(after);
  } else if (!before.empty() && before.back() == ',') {
    before.remove_suffix(1);
    before = trim(before);
  }
  if (before.empty() && after.empty()) return;
  out += h.name;
  out += ": ";
  msg::append_unfolded(before, out);
  if (!before.empty() && !after.empty()) out += ", ";
  msg::append_unfolded(after, out);
  out += "\r\n";
}

}  // namespace

std::optional<NextHop> next_hop_for_uri(const msg::Uri& uri) {
  if (!uri.is_sip()) return std::nullopt;
  NextHop hop;
  if (uri.scheme == msg::Scheme::Sips) {
    hop.kind = TransportKind::Tls;
  } else if (auto t = uri.param("transport")) {
    auto k = kind_from_name(*t);
    if (!k) return std::nullopt;
    hop.kind = *k;
  }
  // maddr (§19.1.1) overrides the host.
  std::uint16_t port = uri.port ? *uri.port : (hop.kind == TransportKind::Tls ? 5061 : 5060);
  if (auto maddr = uri.param("maddr")) {
    msg::HostKind k{};
    std::string_view h;
    if (!msg::parse_host(*maddr, k, h)) return std::nullopt;
    auto e = address(k, h, port);
    if (!e) return std::nullopt;
    hop.endpoint = *e;
    return hop;
  }
  auto e = address(uri.host_kind, uri.host, port);
  if (!e) return std::nullopt;
  hop.endpoint = *e;
  return hop;
}

std::optional<NextHop> next_hop_for_via(const msg::Via& via) {
  NextHop hop;
  auto k = kind_from_name(via.transport);
  if (!k) return std::nullopt;
  hop.kind = *k;
  std::uint16_t port = via.port ? *via.port : (hop.kind == TransportKind::Tls ? 5061 : 5060);
  if (via.rport_value) port = *via.rport_value;
  if (!via.received.empty()) {
    msg::HostKind hk{};
    std::string_view h;
    if (msg::parse_host(via.received, hk, h) || msg::is_ipv6_address(via.received)) {
      auto e = runtime::Endpoint::from_address(h.empty() ? via.received : h, port);
      if (e) {
        hop.endpoint = *e;
        return hop;
      }
    }
  }
  auto e = address(via.host_kind, via.host, port);
  if (!e) return std::nullopt;
  hop.endpoint = *e;
  return hop;
}

std::optional<NextHop> parse_next_hop(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto k = kind_from_name(text.substr(0, colon));
  if (!k) return std::nullopt;
  auto e = runtime::Endpoint::parse(text.substr(colon + 1));
  if (!e) return std::nullopt;
  return NextHop{*k, *e};
}

std::string format_next_hop(const NextHop& hop) {
  std::string out;
  switch (hop.kind) {
    case TransportKind::Udp: out = "udp:"; break;
    case TransportKind::Tcp: out = "tcp:"; break;
    case TransportKind::Tls: out = "tls:"; break;
  }
  out += hop.endpoint.to_string();
  return out;
}

std::string loop_hash(const msg::Message& req) {
  // FNV-1a, 64 bits: not a security measure, only a fingerprint of the request's routing state.
  std::uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 0x100000001b3ull;
    }
    h ^= 0xff;
    h *= 0x100000001b3ull;
  };
  mix(req.request_uri.raw);
  mix(req.call_id);
  mix(req.from.tag);
  mix(req.to.tag);
  char num[16];
  auto [end, ec] = std::to_chars(num, num + sizeof num, req.cseq.number);
  (void)ec;
  mix(std::string_view(num, static_cast<std::size_t>(end - num)));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kHex[h & 0xf];
    h >>= 4;
  }
  return out;
}

bool build_stateless_error(std::string_view request, std::uint16_t status, std::string_view reason,
                           std::string_view to_tag, std::string_view extra_headers, std::string& out) {
  enum Seen { kVia = 1, kFrom = 2, kTo = 4, kCallId = 8, kCSeq = 16 };
  int seen = 0;
  std::string headers;
  std::size_t pos = request.find("\r\n");
  if (pos == std::string_view::npos) return false;
  pos += 2;
  bool copying = false;
  while (pos < request.size()) {
    std::size_t end = request.find("\r\n", pos);
    if (end == std::string_view::npos || end == pos) break;  // the end of the header section
    std::string_view line = request.substr(pos, end - pos);
    pos = end + 2;
    if (line.front() == ' ' || line.front() == '\t') {  // a folded continuation
      if (copying) {
        headers += line;
        headers += "\r\n";
      }
      continue;
    }
    const std::size_t colon = line.find(':');
    copying = false;
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    int which = 0;
    if (msg::cs::iequals(name, "via") || msg::cs::iequals(name, "v")) which = kVia;
    else if (msg::cs::iequals(name, "from") || msg::cs::iequals(name, "f")) which = kFrom;
    else if (msg::cs::iequals(name, "to") || msg::cs::iequals(name, "t")) which = kTo;
    else if (msg::cs::iequals(name, "call-id") || msg::cs::iequals(name, "i")) which = kCallId;
    else if (msg::cs::iequals(name, "cseq")) which = kCSeq;
    if (which == 0) continue;
    if (which != kVia && (seen & which) != 0) continue;  // one of each, the first
    seen |= which;
    copying = true;
    headers += line;
    if (which == kTo && !to_tag.empty() && line.find("tag=") == std::string_view::npos) {
      headers += ";tag=";
      headers += to_tag;
    }
    headers += "\r\n";
  }
  if (seen != (kVia | kFrom | kTo | kCallId | kCSeq)) return false;
  std::string response = "SIP/2.0 ";
  response += std::to_string(status);
  response += ' ';
  response += reason.empty() ? msg::reason_phrase(status) : reason;
  response += "\r\n";
  response += headers;
  response += extra_headers;
  response += "Content-Length: 0\r\n\r\n";
  // The copied lines come from a request that failed to parse; when the fault is in one of
  // them (a Via with a bad port, say) the answer would be just as malformed. Such a request
  // is dropped instead: nobody could match a response whose Via cannot be read.
  msg::Message check;
  if (!msg::parse_message(response, check, base::Limits::Sip{}, msg::Framing::Datagram).accepted()) {
    return false;
  }
  out += response;
  return true;
}

void set_received_in_response(std::string& response, const msg::Via& via, std::string_view source,
                              std::uint16_t port) {
  if (!via.rport && via.host == source) return;
  const std::size_t at = response.find(via.raw);
  if (at == std::string::npos) return;
  // The edited Via is built in a buffer this thread keeps, and the response edited in place:
  // no allocation, as build_response leaves room for the two parameters.
  thread_local std::string edited;
  edited.clear();
  append_via_with_source(via, source, via.rport ? port : 0, edited);
  response.replace(at, via.raw.size(), edited);
}

void build_forward(const msg::Message& req, const ForwardEdits& e, std::string& out) {
  out.reserve(out.size() + req.bytes.size() + 256);
  out += req.method_text;
  out += ' ';
  out += e.request_uri.empty() ? req.request_uri.raw : e.request_uri;
  out += " SIP/2.0\r\n";

  bool via_done = false, rr_done = e.record_route.empty(), path_done = e.path_routes.empty();
  auto put_via = [&] {
    out += "Via: ";
    out += e.via;
    out += "\r\n";
    via_done = true;
  };
  auto put_rr = [&] {
    out += "Record-Route: ";
    out += e.record_route;
    out += "\r\n";
    rr_done = true;
  };
  auto put_path = [&] {
    out += "Route: ";
    out += e.path_routes;
    out += "\r\n";
    path_done = true;
  };
  const std::size_t pops = std::min(e.pop_routes, req.routes.size());
  const std::string_view top_via = req.vias.empty() ? std::string_view{} : req.vias.front().raw;
  bool max_forwards_done = false;

  for (const auto& h : req.headers) {
    switch (h.id) {
      case msg::HeaderId::Via:
        if (!via_done) {
          put_via();
          // The rest of the message is what we add after our Via: Record-Route and Path go
          // next to it so they come before any existing values of their kind.
        }
        if (!top_via.empty() && inside(top_via, h.value) && (!e.received.empty() || e.rport != 0)) {
          out += h.name;
          out += ": ";
          const auto off = static_cast<std::size_t>(top_via.data() - h.value.data());
          msg::append_unfolded(h.value.substr(0, off), out);
          append_via_with_source(req.vias.front(), e.received, e.rport, out);
          msg::append_unfolded(h.value.substr(off + top_via.size()), out);
          out += "\r\n";
        } else {
          put_header(h.name, h.value, out);
        }
        continue;
      case msg::HeaderId::MaxForwards:
        if (!max_forwards_done) {
          out += "Max-Forwards: ";
          out += std::to_string(e.max_forwards);
          out += "\r\n";
          max_forwards_done = true;
        }
        continue;
      case msg::HeaderId::RecordRoute:
        if (!rr_done) put_rr();
        break;
      case msg::HeaderId::From:
        if (!e.from_value.empty()) {
          out += "From: ";
          out += e.from_value;
          out += "\r\n";
          continue;
        }
        break;
      case msg::HeaderId::Route:
        if (!path_done) put_path();
        if (pops > 0) {
          // The popped values lead the list: in this header they are a prefix, and what
          // follows the last of them is kept.
          const std::string_view* last = nullptr;
          for (std::size_t i = 0; i < pops; ++i)
            if (inside(req.routes[i].raw, h.value)) last = &req.routes[i].raw;
          if (last != nullptr) {
            std::string_view rest = h.value.substr(static_cast<std::size_t>(last->data() - h.value.data()) + last->size());
            auto skip = [&rest] {
              while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t' || rest.front() == '\r' ||
                                       rest.front() == '\n'))
                rest.remove_prefix(1);
            };
            skip();
            if (!rest.empty() && rest.front() == ',') rest.remove_prefix(1);
            skip();
            if (!rest.empty()) put_header(h.name, rest, out);
            continue;
          }
        }
        break;
      default:
        if (e.drop_identity_and_date && (h.id == msg::HeaderId::Identity || h.id == msg::HeaderId::Date)) continue;
        if (e.drop_referred_by && h.id == msg::HeaderId::ReferredBy) continue;
        if (!e.consumed_realm.empty() && h.id == msg::HeaderId::ProxyAuthorization) {
          msg::Credentials c;
          if (msg::parse_credentials(h.value, c) && msg::cs::iequals(c.realm, e.consumed_realm)) continue;
        }
        break;
    }
    put_header(h.name, h.value, out);
  }
  if (!via_done) put_via();
  if (!rr_done) put_rr();
  if (!path_done) put_path();
  if (!max_forwards_done) {
    out += "Max-Forwards: ";
    out += std::to_string(e.max_forwards);
    out += "\r\n";
  }
  out += e.extra_headers;
  out += "\r\n";
  out += req.body;
}

void strip_top_via(const msg::Message& resp, std::string& out) {
  out.reserve(out.size() + resp.bytes.size());
  out += "SIP/2.0 ";
  out += std::to_string(resp.status);
  out += ' ';
  out += resp.reason;
  out += "\r\n";
  const std::string_view top = resp.vias.empty() ? std::string_view{} : resp.vias.front().raw;
  bool done = top.empty();
  for (const auto& h : resp.headers) {
    if (!done && h.id == msg::HeaderId::Via && inside(top, h.value)) {
      put_header_without(h, top, out);
      done = true;
      continue;
    }
    put_header(h.name, h.value, out);
  }
  out += "\r\n";
  out += resp.body;
}

std::string with_uri_param(const msg::NameAddr& na, std::string_view name, std::string_view value) {
  const std::string_view raw = na.uri.raw;
  std::string uri;
  if (na.uri.params.empty()) {
    const std::size_t q = raw.find('?');
    const std::size_t at = q == std::string_view::npos ? raw.size() : q;
    uri.append(raw.substr(0, at));
    uri += ';';
    uri.append(name);
    uri += '=';
    uri.append(value);
    uri.append(raw.substr(at));
  } else {
    const auto start = static_cast<std::size_t>(na.uri.params.data() - raw.data());
    uri.append(raw.substr(0, start));
    std::string_view rest = na.uri.params;
    while (!rest.empty()) {
      rest.remove_prefix(1);  // ';'
      const std::size_t next = rest.find(';');
      const std::string_view p = rest.substr(0, next);
      const std::string_view pname = p.substr(0, p.find('='));
      if (!msg::cs::iequals(pname, name)) {
        uri += ';';
        uri.append(p);
      }
      if (next == std::string_view::npos) break;
      rest.remove_prefix(next);
    }
    uri += ';';
    uri.append(name);
    uri += '=';
    uri.append(value);
    uri.append(raw.substr(start + na.uri.params.size()));
  }
  std::string out;
  if (!na.display.empty()) {
    out.append(na.display);
    out += ' ';
  }
  out += '<';
  out += uri;
  out += '>';
  out.append(na.params);
  return out;
}

}  // namespace warden::proxy
