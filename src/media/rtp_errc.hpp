#pragma once
// RtpErrc: every reason the RTP and RTCP codecs refuse bytes or a packet to build (RFC 3550
// §5.1, §5.3.1, §6.4 - §6.6, Appendix A.2). Plugs into std::error_code under the category
// "media.rtp", so a base::Result<T> from rtp_packet.hpp or rtcp.hpp keeps the precise reason.
// Thread-safety: the category is a function-local static, safe to use from any thread.

#include <string_view>
#include <system_error>
#include <type_traits>

namespace warden::media {

enum class RtpErrc {
  Ok = 0,
  // size limits (RtpLimits, RtcpLimits)
  TooLarge,            // the datagram exceeds max_packet_bytes
  TooManyPackets,      // an RTCP compound packet holds more than max_packets packets
  TooManyItems,        // more SDES chunks or items than allowed
  // structure
  Truncated,           // a header, CSRC list, extension or RTCP body runs past the end
  BadVersion,          // the version field is not 2
  BadPadding,          // padding count of 0 or longer than the space it pads
  BadExtension,        // header extension length runs past the packet
  BadLength,           // RTCP length field disagrees with the bytes or the packet type
  BadCompound,         // RTCP compound packet not starting with SR/RR, or padding not last
  BadSdes,             // an SDES chunk without its end item, or an item past the chunk
  BadBye,              // a BYE reason that runs past the packet
  // building
  BufferTooSmall,      // the output span cannot hold the packet
  BadField,            // a value out of range for its wire field (payload type > 127, ...)
};

std::string_view describe(RtpErrc e) noexcept;
const std::error_category& rtp_category() noexcept;
inline std::error_code make_error_code(RtpErrc e) noexcept {
  return {static_cast<int>(e), rtp_category()};
}

}  // namespace warden::media

template <>
struct std::is_error_code_enum<warden::media::RtpErrc> : std::true_type {};
