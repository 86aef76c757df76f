#include "sip/sdp/media_attributes.hpp"

#include "sip/sdp/text.hpp"

namespace warden::sip::sdp {
namespace {

// non-zero-int-or-real, limited to 9 integer and 3 fraction digits.
std::optional<double> parse_milliseconds(std::string_view v) noexcept {
  bool has_point = false;
  const std::string_view whole = detail::split_first(v, '.', has_point);
  if (whole.size() > 9 || (has_point && (v.empty() || v.size() > 3))) return std::nullopt;
  const auto w = detail::parse_uint<std::uint32_t>(whole);
  if (!w) return std::nullopt;
  double result = static_cast<double>(*w);
  if (has_point) {
    const auto frac = detail::parse_uint<std::uint32_t>(v);
    if (!frac) return std::nullopt;
    double scale = 1.0;
    for (std::size_t i = 0; i < v.size(); ++i) scale *= 10.0;
    result += static_cast<double>(*frac) / scale;
  }
  if (result <= 0.0) return std::nullopt;
  return result;
}

}  // namespace

base::Result<double> parse_ptime(std::string_view value) noexcept {
  const auto ms = parse_milliseconds(value);
  if (!ms) return SdpErrc::BadPacketTime;
  return *ms;
}

base::Result<double> parse_maxptime(std::string_view value) noexcept { return parse_ptime(value); }

base::Result<std::string_view> parse_mid(std::string_view value) noexcept {
  if (!detail::is_token(value)) return SdpErrc::BadMid;
  return value;
}

std::optional<double> find_ptime(const SessionDescription& sd, const MediaDescription& m) noexcept {
  for (const auto* attrs : {&m.attributes, &sd.attributes}) {
    for (const Attribute& a : *attrs) {
      if (a.name != "ptime" || !a.has_value) continue;
      if (auto ms = parse_ptime(a.value)) return *ms;
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> find_mid(const MediaDescription& m) noexcept {
  for (const Attribute& a : m.attributes) {
    if (a.name != "mid" || !a.has_value) continue;
    if (auto mid = parse_mid(a.value)) return *mid;
  }
  return std::nullopt;
}

bool has_rtcp_mux(const MediaDescription& m) noexcept { return m.has_attribute("rtcp-mux"); }

}  // namespace warden::sip::sdp
