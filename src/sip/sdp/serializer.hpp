#pragma once
// serialize(): a SessionDescription to canonical RFC 8866 text. Lines end in CRLF, fields are
// separated by one space, and lines come in the order of RFC 8866 §5: v o s i u e p c b
// (t r)* z k a, then per media m i c b k a. Text values are written byte for byte.
//
// For any `d` returned by parse(), parse(serialize(d)) succeeds and equals `d` (given room: the
// canonical text of a bare-LF body is one CR per line longer, which matters only next to
// Limits::Sdp::max_bytes). A description
// built by hand is written as it is, without checks: run the output through parse() (as
// SessionBuilder::build() does) to validate it.
// Thread-safety: reentrant. Errors: none (only std::bad_alloc from the string).

#include <string>

#include "sip/sdp/session_description.hpp"

namespace warden::sip::sdp {

// Appends the text of `sd` to `out`.
void serialize_into(const SessionDescription& sd, std::string& out);
std::string serialize(const SessionDescription& sd);

}  // namespace warden::sip::sdp
