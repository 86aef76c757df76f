#pragma once
// Test helper: semantic equality of two parsed messages (folded white space ignored).
#include <string>

#include "sip/msg/message.hpp"
#include "sip/msg/serializer.hpp"

namespace warden::sip::msg::test {

inline std::string unfold(std::string_view v) {
  std::string out;
  append_unfolded(v, out);
  return out;
}

inline bool same_name_addr(const NameAddr& a, const NameAddr& b) {
  return unfold(a.display) == unfold(b.display) && a.uri.raw == b.uri.raw && unfold(a.params) == unfold(b.params) &&
         a.tag == b.tag && a.bracketed == b.bracketed;
}

inline bool equivalent(const Message& a, const Message& b) {
  if (a.kind != b.kind || a.method_text != b.method_text || a.request_uri.raw != b.request_uri.raw ||
      a.status != b.status || a.reason != b.reason || a.headers.size() != b.headers.size() ||
      a.vias.size() != b.vias.size() || a.contacts.size() != b.contacts.size() ||
      a.routes.size() != b.routes.size() || a.record_routes.size() != b.record_routes.size() ||
      a.call_id != b.call_id || a.cseq.number != b.cseq.number || a.cseq.method_text != b.cseq.method_text ||
      a.max_forwards != b.max_forwards || a.expires != b.expires || a.content_length != b.content_length ||
      a.contact_star != b.contact_star || a.body != b.body || a.credentials.size() != b.credentials.size())
    return false;
  for (std::size_t i = 0; i < a.headers.size(); ++i) {
    if (a.headers[i].id != b.headers[i].id || a.headers[i].name != b.headers[i].name ||
        unfold(a.headers[i].value) != unfold(b.headers[i].value))
      return false;
  }
  for (std::size_t i = 0; i < a.vias.size(); ++i) {
    const Via& x = a.vias[i];
    const Via& y = b.vias[i];
    if (x.transport != y.transport || x.host != y.host || x.port != y.port || x.branch != y.branch ||
        x.received != y.received || x.rport != y.rport || x.rport_value != y.rport_value || x.ttl != y.ttl ||
        x.maddr != y.maddr)
      return false;
  }
  if (!same_name_addr(a.from, b.from) || !same_name_addr(a.to, b.to)) return false;
  for (std::size_t i = 0; i < a.contacts.size(); ++i)
    if (!same_name_addr(a.contacts[i], b.contacts[i])) return false;
  for (std::size_t i = 0; i < a.routes.size(); ++i)
    if (!same_name_addr(a.routes[i], b.routes[i])) return false;
  for (std::size_t i = 0; i < a.credentials.size(); ++i) {
    const auto& x = a.credentials[i];
    const auto& y = b.credentials[i];
    if (x.username != y.username || x.realm != y.realm || x.nonce != y.nonce || x.response != y.response ||
        x.uri != y.uri || x.qop != y.qop || x.nc != y.nc || x.cnonce != y.cnonce || x.algorithm != y.algorithm)
      return false;
  }
  return true;
}

}  // namespace warden::sip::msg::test
