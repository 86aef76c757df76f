#include "sip/sdp/rtcp_attribute.hpp"

#include "sip/sdp/text.hpp"

namespace warden::sip::sdp {

base::Result<RtcpAttribute> parse_rtcp(std::string_view value) noexcept {
  detail::FieldCursor f(value);
  const auto port = detail::parse_uint<std::uint16_t>(f.next());
  if (!port) return SdpErrc::BadRtcp;
  RtcpAttribute r;
  r.port = *port;
  if (f.done()) return r;
  r.net_type = f.next();
  r.addr_type = f.next();
  r.address = f.next();
  if (!f.done() || !detail::is_token(r.net_type) || !detail::is_token(r.addr_type)) {
    return SdpErrc::BadRtcp;
  }
  const AddrType type = net_type_from_text(r.net_type) == NetType::In
                            ? addr_type_from_text(r.addr_type)
                            : AddrType::Other;
  if (!is_unicast_address(type, r.address)) return SdpErrc::BadRtcp;
  return r;
}

std::string format_value(const RtcpAttribute& r) {
  std::string out = std::to_string(r.port);
  if (r.has_address()) {
    out.push_back(' ');
    out.append(r.net_type);
    out.push_back(' ');
    out.append(r.addr_type);
    out.push_back(' ');
    out.append(r.address);
  }
  return out;
}

std::optional<RtcpAttribute> find_rtcp(const MediaDescription& m) noexcept {
  for (const Attribute& a : m.attributes) {
    if (a.name != "rtcp" || !a.has_value) continue;
    if (auto r = parse_rtcp(a.value)) return *r;
  }
  return std::nullopt;
}

}  // namespace warden::sip::sdp
