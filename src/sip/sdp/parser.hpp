#pragma once
// parse(): RFC 8866 text to a SessionDescription of views into that text.
//
// Lines end in CRLF; a bare LF is accepted too (§5), as are a missing line ending on the last
// line and empty lines after the last line. Fields of structured lines (o=, c=, b=, t=, r=,
// z=, m=) may be separated by runs of spaces; text values (s=, i=, u=, e=, p=, k=, a= values)
// are kept byte for byte. Order: v= first, o= second, s= third; then the session lines in any
// order, r= and z= only after a t=; then m= sections holding only i=, c=, b=, k= and a=.
// Attribute values are not checked here: the typed helpers (rtpmap.hpp, crypto_attribute.hpp,
// ...) and check_known_attributes() validate them on demand.
//
// Thread-safety: reentrant. Never throws on any input (std::bad_alloc aside) and never reads
// outside `text`. The result holds views into `text`: it must not outlive it.
// Errors (SdpErrc): TooLarge, TooManyLines, TooManyMedia, TooManyAttributes, TooManyFormats,
// BadLine, BadCharacter, UnknownLineType, BadLineOrder, DuplicateLine, MissingRequiredLine,
// BadVersionLine, BadOrigin, BadConnection, BadBandwidth, BadTiming, BadRepeat, BadZone,
// BadMedia, BadAttribute.

#include <string_view>

#include "base/limits.hpp"
#include "base/result.hpp"
#include "sip/sdp/sdp_errc.hpp"
#include "sip/sdp/session_description.hpp"

namespace warden::sip::sdp {

base::Result<SessionDescription> parse(std::string_view text,
                                       const base::Limits::Sdp& limits = base::Limits::Sdp{});
template <TemporaryString S>
base::Result<SessionDescription> parse(S&& text, const base::Limits::Sdp& limits = {}) = delete;

}  // namespace warden::sip::sdp
