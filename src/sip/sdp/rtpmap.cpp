#include "sip/sdp/rtpmap.hpp"

#include "sip/sdp/text.hpp"

namespace warden::sip::sdp {

std::optional<std::uint8_t> parse_payload_type(std::string_view format) noexcept {
  if (format.size() > 3) return std::nullopt;
  return detail::parse_uint<std::uint8_t>(format, 127);
}

base::Result<Rtpmap> parse_rtpmap(std::string_view value) noexcept {
  detail::FieldCursor f(value);
  const auto pt = parse_payload_type(f.next());
  std::string_view rest = f.next();
  if (!pt || !f.done()) return SdpErrc::BadRtpmap;
  Rtpmap r;
  r.payload_type = *pt;
  bool found = false;
  r.encoding = detail::split_first(rest, '/', found);
  if (!found || !detail::is_token(r.encoding)) return SdpErrc::BadRtpmap;
  bool has_params = false;
  const auto rate = detail::parse_uint<std::uint32_t>(detail::split_first(rest, '/', has_params));
  if (!rate || *rate == 0) return SdpErrc::BadRtpmap;
  r.clock_rate = *rate;
  if (has_params) {
    const auto channels = detail::parse_uint<std::uint16_t>(rest);
    if (!channels || *channels == 0) return SdpErrc::BadRtpmap;
    r.channels = *channels;
  }
  return r;
}

std::string format_value(const Rtpmap& r) {
  std::string out = std::to_string(r.payload_type);
  out.push_back(' ');
  out.append(r.encoding);
  out.push_back('/');
  out.append(std::to_string(r.clock_rate));
  if (r.channels) {
    out.push_back('/');
    out.append(std::to_string(*r.channels));
  }
  return out;
}

std::optional<Rtpmap> find_rtpmap(const MediaDescription& m, std::uint8_t payload_type) noexcept {
  for (const Attribute& a : m.attributes) {
    if (a.name != "rtpmap" || !a.has_value) continue;
    auto r = parse_rtpmap(a.value);
    if (r && r->payload_type == payload_type) return *r;
  }
  return std::nullopt;
}

}  // namespace warden::sip::sdp
