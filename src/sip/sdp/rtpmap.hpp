#pragma once
// Rtpmap: a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]
// (RFC 8866 §6.6). For audio the encoding parameter is the channel count.
// Thread-safety: plain value and pure functions. Errors: SdpErrc::BadRtpmap for a payload type
// above 127, a missing or zero clock rate, a non-token encoding name, extra fields.
// `encoding` views the attribute value given to parse_rtpmap().

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "sip/sdp/sdp_errc.hpp"
#include "sip/sdp/session_description.hpp"

namespace warden::sip::sdp {

// One parsed a=rtpmap value.
struct Rtpmap {
  std::uint8_t payload_type = 0;            // 0-127
  std::string_view encoding;                // "PCMU", "opus", "telephone-event", ...
  std::uint32_t clock_rate = 0;             // Hz, > 0
  std::optional<std::uint16_t> channels;    // encoding parameters, >= 1

  bool operator==(const Rtpmap&) const = default;
};

// Parses the attribute value (the text after "rtpmap:").
base::Result<Rtpmap> parse_rtpmap(std::string_view value) noexcept;
template <TemporaryString S>
base::Result<Rtpmap> parse_rtpmap(S&&) = delete;
// The attribute value for `r`, e.g. "111 opus/48000/2".
std::string format_value(const Rtpmap& r);
// The first well-formed rtpmap of `m` for `payload_type`, or nullopt.
std::optional<Rtpmap> find_rtpmap(const MediaDescription& m, std::uint8_t payload_type) noexcept;
// A payload type number from an m= format ("0".."127"), or nullopt.
std::optional<std::uint8_t> parse_payload_type(std::string_view format) noexcept;

}  // namespace warden::sip::sdp
