#include "sip/msg/sanity.hpp"

#include "sip/msg/charset.hpp"

namespace warden::sip::msg {

namespace {

bool supported(std::string_view tag, std::span<const std::string_view> list) noexcept {
  for (auto s : list)
    if (cs::iequals(s, tag)) return true;
  return false;
}

bool unsupported_required(const Message& m, HeaderId id, std::span<const std::string_view> list) {
  bool missing = false;
  for_each_token(m, id, [&](std::string_view tag) { missing = missing || !supported(tag, list); });
  return missing;
}

// Broadcast or multicast IPv4 (RFC 4475 §3.3.10: never forward a response there).
bool broadcast(std::string_view host, HostKind kind) noexcept {
  if (kind != HostKind::IPv4) return false;
  if (host == "255.255.255.255") return true;
  const auto dot = host.find('.');
  unsigned first = 0;
  for (char c : host.substr(0, dot)) first = first * 10 + static_cast<unsigned>(c - '0');
  return first >= 224 && first <= 239;
}

bool accepts(const Message& m, std::string_view type, std::string_view subtype) noexcept {
  const Header* h = m.find(HeaderId::Accept);
  if (h == nullptr) return true;  // no Accept: application/sdp is assumed (§20.1)
  bool ok = false;
  std::string_view v = h->value;
  while (!v.empty() && !ok) {
    const auto comma = v.find(',');
    std::string_view item = v.substr(0, comma);
    v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
    while (!item.empty() && (cs::is_wsp(item.front()) || item.front() == '\r' || item.front() == '\n')) item.remove_prefix(1);
    item = item.substr(0, item.find(';'));
    while (!item.empty() && cs::is_wsp(item.back())) item.remove_suffix(1);
    const auto slash = item.find('/');
    if (slash == std::string_view::npos) continue;
    auto t = item.substr(0, slash);
    auto st = item.substr(slash + 1);
    ok = (t == "*" || cs::iequals(t, type)) && (st == "*" || cs::iequals(st, subtype));
  }
  return ok;
}

}  // namespace

Verdict check(const Message& m, const SanityOptions& o) noexcept {
  if (m.is_response()) {
    if (o.role == Role::Proxy) {
      for (const auto& v : m.vias) {
        if (broadcast(v.host, v.host_kind)) return Verdict::drop(ParseErrc::BroadcastVia);
        HostKind k;
        std::string_view h;
        if (!v.received.empty() && parse_host(v.received, k, h) && broadcast(h, k))
          return Verdict::drop(ParseErrc::BroadcastVia);
        if (!v.maddr.empty() && parse_host(v.maddr, k, h) && broadcast(h, k))
          return Verdict::drop(ParseErrc::BroadcastVia);
      }
    } else if (m.vias.size() != 1) {
      return Verdict::drop(ParseErrc::BadVia);  // a UA drops responses with more Vias (§8.1.3.3)
    }
    return Verdict::accept();
  }
  if (m.request_uri.scheme == Scheme::Other) return Verdict::respond(416, ParseErrc::UnsupportedUriScheme);
  const bool uas = o.role != Role::Proxy;
  if (uas && m.method == Method::Unknown) return Verdict::respond(501, ParseErrc::MethodNotImplemented);
  if (o.role == Role::Proxy) {
    if (unsupported_required(m, HeaderId::ProxyRequire, o.supported_extensions))
      return Verdict::respond(420, ParseErrc::BadExtension);
    if (m.max_forwards == 0 && m.method != Method::Ack) return Verdict::respond(483, ParseErrc::TooManyHops);
  } else {
    if (m.method != Method::Ack && m.method != Method::Cancel &&
        unsupported_required(m, HeaderId::Require, o.supported_extensions))
      return Verdict::respond(420, ParseErrc::BadExtension);
  }
  if (o.role == Role::Registrar && m.method == Method::Register && !m.to.uri.is_sip())
    return Verdict::respond(400, ParseErrc::BadRegisterTarget);
  if (o.role == Role::Uas && !m.body.empty() && !m.content_type.empty()) {
    bool known = false;
    for (auto t : o.body_types) {
      const auto slash = t.find('/');
      known = known || (cs::iequals(t.substr(0, slash), m.content_type.type) &&
                        cs::iequals(t.substr(slash + 1), m.content_type.subtype));
    }
    if (!known) return Verdict::respond(415, ParseErrc::UnsupportedMediaType);
    if (m.method == Method::Invite && !accepts(m, m.content_type.type, m.content_type.subtype))
      return Verdict::respond(406, ParseErrc::NotAcceptable);
  }
  return Verdict::accept();
}

}  // namespace warden::sip::msg
