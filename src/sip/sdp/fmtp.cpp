#include "sip/sdp/fmtp.hpp"

#include "sip/sdp/rtpmap.hpp"
#include "sip/sdp/text.hpp"

namespace warden::sip::sdp {
namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string_view> Fmtp::param(std::string_view key) const noexcept {
  std::string_view rest = params;
  while (!rest.empty()) {
    bool more = false;
    std::string_view item = detail::split_first(rest, ';', more);
    bool has_eq = false;
    const std::string_view name = trim(detail::split_first(item, '=', has_eq));
    if (detail::iequals(name, key)) return has_eq ? trim(item) : std::string_view{};
  }
  return std::nullopt;
}

base::Result<Fmtp> parse_fmtp(std::string_view value) noexcept {
  detail::FieldCursor f(value);
  const auto pt = parse_payload_type(f.next());
  const std::string_view params = f.rest();
  if (!pt || params.empty()) return SdpErrc::BadFmtp;
  return Fmtp{*pt, params};
}

std::string format_value(const Fmtp& f) {
  std::string out = std::to_string(f.payload_type);
  out.push_back(' ');
  out.append(f.params);
  return out;
}

std::optional<Fmtp> find_fmtp(const MediaDescription& m, std::uint8_t payload_type) noexcept {
  for (const Attribute& a : m.attributes) {
    if (a.name != "fmtp" || !a.has_value) continue;
    auto f = parse_fmtp(a.value);
    if (f && f->payload_type == payload_type) return *f;
  }
  return std::nullopt;
}

}  // namespace warden::sip::sdp
