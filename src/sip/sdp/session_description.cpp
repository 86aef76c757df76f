#include "sip/sdp/session_description.hpp"

#include "sip/sdp/text.hpp"

namespace warden::sip::sdp {

std::optional<std::uint64_t> Origin::version_number() const noexcept {
  return detail::parse_uint<std::uint64_t>(session_version);
}

MediaType media_type_from_text(std::string_view text) noexcept {
  if (text == "audio") return MediaType::Audio;
  if (text == "video") return MediaType::Video;
  if (text == "text") return MediaType::Text;
  if (text == "application") return MediaType::Application;
  if (text == "message") return MediaType::Message;
  if (text == "image") return MediaType::Image;
  return MediaType::Other;
}

TransportProto transport_from_text(std::string_view text) noexcept {
  using detail::iequals;
  if (iequals(text, "RTP/AVP")) return TransportProto::RtpAvp;
  if (iequals(text, "RTP/AVPF")) return TransportProto::RtpAvpf;
  if (iequals(text, "RTP/SAVP")) return TransportProto::RtpSavp;
  if (iequals(text, "RTP/SAVPF")) return TransportProto::RtpSavpf;
  if (iequals(text, "UDP/TLS/RTP/SAVP")) return TransportProto::UdpTlsRtpSavp;
  if (iequals(text, "UDP/TLS/RTP/SAVPF")) return TransportProto::UdpTlsRtpSavpf;
  if (iequals(text, "udp")) return TransportProto::Udp;
  if (iequals(text, "TCP")) return TransportProto::Tcp;
  if (iequals(text, "UDP/DTLS/SCTP")) return TransportProto::UdpDtlsSctp;
  if (iequals(text, "TCP/DTLS/SCTP")) return TransportProto::TcpDtlsSctp;
  return TransportProto::Other;
}

bool is_secure_rtp(TransportProto p) noexcept {
  return p == TransportProto::RtpSavp || p == TransportProto::RtpSavpf ||
         p == TransportProto::UdpTlsRtpSavp || p == TransportProto::UdpTlsRtpSavpf;
}

const Attribute* find_attribute(std::span<const Attribute> attrs, std::string_view name) noexcept {
  for (const Attribute& a : attrs) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

const Attribute* MediaDescription::find_attribute(std::string_view name) const noexcept {
  return sdp::find_attribute(attributes, name);
}

const Attribute* SessionDescription::find_attribute(std::string_view name) const noexcept {
  return sdp::find_attribute(attributes, name);
}

const Connection* SessionDescription::connection_for(const MediaDescription& m) const noexcept {
  if (!m.connections.empty()) return &m.connections.front();
  return connection ? &*connection : nullptr;
}

std::optional<std::string_view> find_attribute_value(const SessionDescription& sd,
                                                     const MediaDescription& m,
                                                     std::string_view name) noexcept {
  if (const Attribute* a = m.find_attribute(name)) return a->value;
  if (const Attribute* a = sd.find_attribute(name)) return a->value;
  return std::nullopt;
}

std::optional<std::int64_t> typed_time_seconds(std::string_view text) noexcept {
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  std::int64_t unit = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 'd': unit = 86400; break;
      case 'h': unit = 3600; break;
      case 'm': unit = 60; break;
      case 's': unit = 1; break;
      default: unit = 0; break;
    }
    if (unit != 0) {
      text.remove_suffix(1);
    } else {
      unit = 1;
    }
  }
  constexpr std::uint64_t kMax = std::uint64_t{1} << 53;
  const auto v = detail::parse_uint<std::uint64_t>(text, kMax);
  if (!v || *v > kMax / static_cast<std::uint64_t>(unit)) return std::nullopt;
  const auto seconds = static_cast<std::int64_t>(*v) * unit;
  return negative ? -seconds : seconds;
}

}  // namespace warden::sip::sdp
