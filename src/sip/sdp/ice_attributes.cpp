#include "sip/sdp/ice_attributes.hpp"

#include "sip/sdp/text.hpp"

namespace warden::sip::sdp {
namespace {

bool is_ice_string(std::string_view s, std::size_t min, std::size_t max) noexcept {
  return s.size() >= min && s.size() <= max && detail::all_of(s, detail::is_ice_char);
}

}  // namespace

base::Result<std::string_view> parse_ice_ufrag(std::string_view value) noexcept {
  if (!is_ice_string(value, 4, 256)) return SdpErrc::BadIceAttribute;
  return value;
}

base::Result<std::string_view> parse_ice_pwd(std::string_view value) noexcept {
  if (!is_ice_string(value, 22, 256)) return SdpErrc::BadIceAttribute;
  return value;
}

base::Result<std::vector<std::string_view>> parse_ice_options(std::string_view value) {
  detail::FieldCursor f(value);
  std::vector<std::string_view> tags;
  while (!f.done()) {
    const std::string_view tag = f.next();
    if (!is_ice_string(tag, 1, 256)) return SdpErrc::BadIceAttribute;
    tags.push_back(tag);
  }
  if (tags.empty()) return SdpErrc::BadIceAttribute;
  return tags;
}

std::optional<IceCredentials> find_ice_credentials(const SessionDescription& sd,
                                                   const MediaDescription& m) noexcept {
  const auto ufrag = find_attribute_value(sd, m, "ice-ufrag");
  const auto pwd = find_attribute_value(sd, m, "ice-pwd");
  if (!ufrag || !pwd) return std::nullopt;
  auto u = parse_ice_ufrag(*ufrag);
  auto p = parse_ice_pwd(*pwd);
  if (!u || !p) return std::nullopt;
  return IceCredentials{*u, *p};
}

bool is_ice_lite(const SessionDescription& sd) noexcept { return sd.has_attribute("ice-lite"); }

}  // namespace warden::sip::sdp
