#include "sip/sdp/sdp_errc.hpp"

#include "base/error.hpp"

namespace warden::sip::sdp {

std::string_view describe(SdpErrc e) noexcept {
  switch (e) {
    case SdpErrc::Ok: return "ok";
    case SdpErrc::TooLarge: return "SDP body too large";
    case SdpErrc::TooManyLines: return "too many SDP lines";
    case SdpErrc::TooManyMedia: return "too many m= sections";
    case SdpErrc::TooManyAttributes: return "too many a= lines";
    case SdpErrc::TooManyFormats: return "too many formats on an m= line";
    case SdpErrc::BadLine: return "malformed SDP line";
    case SdpErrc::BadCharacter: return "NUL or stray CR in an SDP line";
    case SdpErrc::UnknownLineType: return "unknown SDP line type";
    case SdpErrc::BadLineOrder: return "SDP line out of order";
    case SdpErrc::DuplicateLine: return "SDP line repeated where only one is allowed";
    case SdpErrc::MissingRequiredLine: return "required SDP line (v=, o=, s=, t=) missing";
    case SdpErrc::BadVersionLine: return "malformed or unsupported v= line";
    case SdpErrc::BadOrigin: return "malformed o= line";
    case SdpErrc::BadConnection: return "malformed c= line";
    case SdpErrc::BadBandwidth: return "malformed b= line";
    case SdpErrc::BadTiming: return "malformed t= line";
    case SdpErrc::BadRepeat: return "malformed r= line";
    case SdpErrc::BadZone: return "malformed z= line";
    case SdpErrc::BadMedia: return "malformed m= line";
    case SdpErrc::BadAttribute: return "malformed a= line";
    case SdpErrc::BadRtpmap: return "malformed rtpmap attribute";
    case SdpErrc::BadFmtp: return "malformed fmtp attribute";
    case SdpErrc::BadCrypto: return "malformed crypto attribute";
    case SdpErrc::BadFingerprint: return "malformed fingerprint attribute";
    case SdpErrc::BadSetup: return "malformed setup attribute";
    case SdpErrc::BadCandidate: return "malformed candidate attribute";
    case SdpErrc::BadIceAttribute: return "malformed ice-ufrag, ice-pwd or ice-options attribute";
    case SdpErrc::BadRtcp: return "malformed rtcp attribute";
    case SdpErrc::BadDirection: return "malformed direction attribute";
    case SdpErrc::ConflictingDirection: return "conflicting direction attributes";
    case SdpErrc::BadPacketTime: return "malformed ptime or maxptime attribute";
    case SdpErrc::BadMid: return "malformed mid attribute";
  }
  return "unknown SDP error";
}

const std::error_category& sdp_category() noexcept {
  return base::ErrorCategory<SdpErrc>::instance("sip.sdp");
}

}  // namespace warden::sip::sdp
