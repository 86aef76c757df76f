#pragma once
// SdpErrc: every reason the SDP codec and its attribute helpers refuse input (RFC 8866 and the
// attribute RFCs named on each code). Plugs into std::error_code under the category "sip.sdp",
// so a base::Result<T> from this component carries both the category and the precise code.
// Thread-safety: the category is a function-local static, safe to use from any thread.

#include <string_view>
#include <system_error>
#include <type_traits>

namespace warden::sip::sdp {

enum class SdpErrc {
  Ok = 0,
  // size limits (base::Limits::Sdp)
  TooLarge,            // the body exceeds max_bytes
  TooManyLines,        // more than max_lines lines
  TooManyMedia,        // more than max_media m= sections
  TooManyAttributes,   // more than max_attributes a= lines, session and media together
  TooManyFormats,      // more than max_formats formats on one m= line
  // line structure (RFC 8866 §5)
  BadLine,             // not "<letter>=<value>", or an empty line before the end
  BadCharacter,        // a NUL or a CR that does not end the line
  UnknownLineType,     // a type letter RFC 8866 does not define (§5: reject the description)
  BadLineOrder,        // v= not first, o= not second, s= not third, r=/z= before t=,
                       // session-only line inside a media section
  DuplicateLine,       // a line that may appear once in its section appears again
  MissingRequiredLine, // v=, o=, s= or t= absent
  // fields (RFC 8866 §5.1 - §5.14)
  BadVersionLine,      // v= other than 0
  BadOrigin,           // o=
  BadConnection,       // c=: fields, address, TTL or count
  BadBandwidth,        // b=
  BadTiming,           // t=
  BadRepeat,           // r=
  BadZone,             // z=
  BadMedia,            // m=: media, port, port count, proto or format list
  BadAttribute,        // a=: the attribute name is not a token
  // typed attribute helpers
  BadRtpmap,           // RFC 8866 §6.6
  BadFmtp,             // RFC 8866 §6.15
  BadCrypto,           // RFC 4568 §9.1: tag, suite, key parameters, base64 key, lifetime, MKI
  BadFingerprint,      // RFC 8122 §5: hash function or hex digest
  BadSetup,            // RFC 4145 §4
  BadCandidate,        // RFC 8839 §5.1
  BadIceAttribute,     // RFC 8839 §5.3 - §5.6: ice-ufrag, ice-pwd, ice-options
  BadRtcp,             // RFC 3605 §2.1
  BadDirection,        // RFC 8866 §6.7: sendrecv/sendonly/recvonly/inactive carry no value
  ConflictingDirection,  // two different direction attributes in one section
  BadPacketTime,       // RFC 8866 §6.4, §6.5: ptime, maxptime
  BadMid,              // RFC 5888 §4
};

std::string_view describe(SdpErrc e) noexcept;
const std::error_category& sdp_category() noexcept;
inline std::error_code make_error_code(SdpErrc e) noexcept {
  return {static_cast<int>(e), sdp_category()};
}

}  // namespace warden::sip::sdp

template <>
struct std::is_error_code_enum<warden::sip::sdp::SdpErrc> : std::true_type {};
