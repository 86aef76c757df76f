#pragma once
// Writes a Message back to the wire (RFC 3261 §7): the start line rebuilt from the parsed
// fields, each header field as "name: value" in its original order with folded lines joined,
// then the body. Unknown headers and methods pass through unchanged, so a proxy forwards
// what it does not understand. serialize(parse(x)) parses to the same message as x.
// Thread-safety: pure functions. Errors: none.

#include <string>

#include "sip/msg/message.hpp"

namespace warden::sip::msg {

// Appends to `out` (reuse one string to serialize without allocating).
void serialize(const Message& m, std::string& out);
std::string serialize(const Message& m);

// Appends `value` with every CRLF of a folded line removed (the following WSP stays).
void append_unfolded(std::string_view value, std::string& out);

}  // namespace warden::sip::msg
