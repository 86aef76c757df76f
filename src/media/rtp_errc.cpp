#include "media/rtp_errc.hpp"

#include "base/error.hpp"

namespace warden::media {

std::string_view describe(RtpErrc e) noexcept {
  switch (e) {
    case RtpErrc::Ok: return "ok";
    case RtpErrc::TooLarge: return "RTP/RTCP packet larger than the limit";
    case RtpErrc::TooManyPackets: return "too many packets in an RTCP compound packet";
    case RtpErrc::TooManyItems: return "too many SDES chunks or items";
    case RtpErrc::Truncated: return "RTP/RTCP packet truncated";
    case RtpErrc::BadVersion: return "RTP/RTCP version is not 2";
    case RtpErrc::BadPadding: return "bad RTP/RTCP padding count";
    case RtpErrc::BadExtension: return "RTP header extension runs past the packet";
    case RtpErrc::BadLength: return "RTCP length field does not match the packet";
    case RtpErrc::BadCompound: return "malformed RTCP compound packet";
    case RtpErrc::BadSdes: return "malformed RTCP SDES chunk";
    case RtpErrc::BadBye: return "malformed RTCP BYE reason";
    case RtpErrc::BufferTooSmall: return "output buffer too small for the packet";
    case RtpErrc::BadField: return "value out of range for its RTP/RTCP field";
  }
  return "unknown RTP error";
}

const std::error_category& rtp_category() noexcept {
  return base::ErrorCategory<RtpErrc>::instance("media.rtp");
}

}  // namespace warden::media
