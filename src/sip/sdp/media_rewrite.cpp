#include "sip/sdp/media_rewrite.hpp"

#include <algorithm>
#include <memory>

#include "base/error.hpp"
#include "sip/sdp/candidate.hpp"
#include "sip/sdp/media_attributes.hpp"
#include "sip/sdp/parser.hpp"
#include "sip/sdp/rtcp_attribute.hpp"
#include "sip/sdp/serializer.hpp"

namespace warden::sip::sdp {
namespace {

bool iequals_prefix(std::string_view text, std::string_view prefix) noexcept {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    if (lower(text[i]) != lower(prefix[i])) return false;
  }
  return true;
}

// Datagram protocols a UDP relay can carry without understanding them.
bool runs_over_udp(const MediaDescription& m) noexcept {
  switch (m.proto_kind()) {
    case TransportProto::Tcp:
    case TransportProto::TcpDtlsSctp:
      return false;
    case TransportProto::Other:
      // e.g. "udptl" (T.38), "TCP/RTP/AVP", "TCP/TLS/RTP/SAVP"
      return iequals_prefix(m.proto, "udp");
    default:
      return true;
  }
}

bool is_ip_literal(AddrType type, std::string_view a) noexcept {
  return (type == AddrType::Ip4 && is_ipv4_address(a)) || (type == AddrType::Ip6 && is_ipv6_address(a));
}

bool is_relayable(const SessionDescription& sd, const MediaDescription& m) noexcept {
  if (m.port == 0 || (m.port_count && *m.port_count > 1) || !runs_over_udp(m)) return false;
  if (m.connections.size() > 1) return false;  // several addresses: multicast
  const Connection* c = sd.connection_for(m);
  if (c == nullptr || net_type_from_text(c->net_type) != NetType::In) return false;
  const AddrType type = c->addr_kind();
  return is_ip_literal(type, c->address) && !is_multicast(type, c->address);
}

// Addresses of the party, as text, that must not survive the rewrite. Unspecified addresses
// tell nothing and are left out, as is the relay's own address.
class AddressSet {
 public:
  explicit AddressSet(std::string_view relay) : relay_(relay) {}

  void add(std::string_view a) {
    if (a.empty() || a == relay_ || a == "0.0.0.0" || a == "::") return;
    const bool literal = is_ipv4_address(a) || is_ipv6_address(a);
    const bool host_name = is_fqdn(a) && a.find('.') != std::string_view::npos && a.size() >= 4;
    if (!literal && !host_name) return;
    if (std::find(items_.begin(), items_.end(), a) == items_.end()) items_.push_back(a);
  }
  // True if `text` contains one of the addresses.
  bool found_in(std::string_view text) const noexcept {
    return std::any_of(items_.begin(), items_.end(),
                       [&](std::string_view a) { return text.find(a) != std::string_view::npos; });
  }

 private:
  std::string_view relay_;
  std::vector<std::string_view> items_;
};

void collect_addresses(const SessionDescription& sd, AddressSet& out) {
  out.add(sd.origin.address);
  if (sd.connection) out.add(sd.connection->address);
  auto from_attributes = [&](const std::vector<Attribute>& attrs) {
    for (const Attribute& a : attrs) {
      if (a.name == "candidate") {
        if (auto c = parse_candidate(a.value)) {
          out.add(c->address);
          if (c->related_address) out.add(*c->related_address);
        }
      } else if (a.name == "rtcp") {
        if (auto r = parse_rtcp(a.value)) out.add(r->address);
      }
    }
  };
  from_attributes(sd.attributes);
  for (const MediaDescription& m : sd.media) {
    for (const Connection& c : m.connections) out.add(c.address);
    from_attributes(m.attributes);
  }
}

// Attributes that name transport addresses of the party, replaced or removed by the rewrite.
bool is_address_attribute(std::string_view name) noexcept {
  return name == "candidate" || name == "remote-candidates" || name == "rtcp";
}

void drop_leaking(std::vector<Attribute>& attrs, const AddressSet& addresses) {
  std::erase_if(attrs, [&](const Attribute& a) {
    return is_address_attribute(a.name) || addresses.found_in(a.name) || addresses.found_in(a.value);
  });
}

void drop_if_leaking(std::optional<std::string_view>& field, const AddressSet& addresses) {
  if (field && addresses.found_in(*field)) field.reset();
}

}  // namespace

base::Result<std::vector<MediaTarget>> media_targets(std::string_view body, const base::Limits::Sdp& limits) {
  auto parsed = parse(body, limits);
  if (!parsed) return parsed.error();
  const SessionDescription& sd = *parsed;
  std::vector<MediaTarget> out;
  out.reserve(sd.media.size());
  for (std::size_t i = 0; i < sd.media.size(); ++i) {
    const MediaDescription& m = sd.media[i];
    MediaTarget t;
    t.index = i;
    t.media = std::string(m.media);
    t.proto = std::string(m.proto);
    t.relayable = is_relayable(sd, m);
    if (const Connection* c = sd.connection_for(m)) {
      t.addr_type = c->addr_kind();
      t.address = std::string(c->address);
    }
    t.port = m.port;
    t.rtcp_address = t.address;
    if (m.port != 0 && m.port != 65535) t.rtcp_port = static_cast<std::uint16_t>(m.port + 1);
    if (auto r = find_rtcp(m)) {
      t.rtcp_port = r->port;
      if (r->has_address()) t.rtcp_address = std::string(r->address);
    }
    t.rtcp_mux = has_rtcp_mux(m);
    t.rtcp_mux_only = m.has_attribute("rtcp-mux-only");
    out.push_back(std::move(t));
  }
  return out;
}

base::Result<std::string> rewrite_media(std::string_view body, const MediaRewrite& rewrite,
                                        const base::Limits::Sdp& limits) {
  if (!is_ip_literal(rewrite.relay_addr_type, rewrite.relay_address)) return base::Errc::InvalidArgument;
  auto parsed = parse(body, limits);
  if (!parsed) return parsed.error();
  SessionDescription sd = std::move(*parsed);

  AddressSet addresses(rewrite.relay_address);
  collect_addresses(sd, addresses);

  // Storage for the new values the views will point to; each string stays where it is.
  std::vector<std::unique_ptr<std::string>> storage;
  auto keep = [&](std::string text) -> std::string_view {
    storage.push_back(std::make_unique<std::string>(std::move(text)));
    return *storage.back();
  };
  const std::string_view addr = rewrite.relay_address;
  const std::string_view addr_type = to_string(rewrite.relay_addr_type);
  Connection relay_connection;
  relay_connection.net_type = "IN";
  relay_connection.addr_type = addr_type;
  relay_connection.address = addr;

  // Session part.
  sd.origin.net_type = "IN";
  sd.origin.addr_type = addr_type;
  sd.origin.address = addr;
  if (sd.connection) sd.connection = relay_connection;
  drop_leaking(sd.attributes, addresses);
  if (addresses.found_in(sd.session_name)) sd.session_name = "-";
  drop_if_leaking(sd.information, addresses);
  drop_if_leaking(sd.uri, addresses);
  drop_if_leaking(sd.key, addresses);
  std::erase_if(sd.emails, [&](std::string_view e) { return addresses.found_in(e); });
  std::erase_if(sd.phones, [&](std::string_view p) { return addresses.found_in(p); });

  // Media sections.
  for (std::size_t i = 0; i < sd.media.size(); ++i) {
    MediaDescription& m = sd.media[i];
    const std::optional<RelayedPorts> ports = i < rewrite.media.size() ? rewrite.media[i] : std::nullopt;
    const bool had_rtcp = m.has_attribute("rtcp");
    drop_leaking(m.attributes, addresses);
    drop_if_leaking(m.information, addresses);
    drop_if_leaking(m.key, addresses);
    m.port_count.reset();
    if (!m.connections.empty() || !sd.connection) m.connections.assign(1, relay_connection);
    if (!ports) {
      m.port = 0;  // not relayed: disabled rather than pointing at the hidden address
      continue;
    }
    m.port = ports->rtp;
    // RTCP on the relay: implicit when it is the RTP port + 1 (RFC 3605 §2.1); named otherwise.
    // With rtcp-mux only, an a=rtcp the party sent now names the relay's RTP port (RFC 5761 §5.1.3).
    std::optional<std::uint16_t> rtcp_port;
    if (ports->rtcp && *ports->rtcp != ports->rtp + 1) rtcp_port = *ports->rtcp;
    if (!ports->rtcp && had_rtcp) rtcp_port = ports->rtp;
    if (rtcp_port) {
      RtcpAttribute r;
      r.port = *rtcp_port;
      r.net_type = "IN";
      r.addr_type = addr_type;
      r.address = addr;
      m.attributes.push_back(Attribute{"rtcp", keep(format_value(r)), true});
    }
  }

  std::string text = serialize(sd);
  // The rewritten text must be valid SDP within the same limits (the relay address may be longer).
  if (auto check = parse(text, limits); !check) return check.error();
  return text;
}

}  // namespace warden::sip::sdp
