#pragma once
// Builds the messages the transaction layer derives from others (RFC 3261):
// - a response to a request (§8.2.6): Via values, From, To (plus a To tag), Call-ID and CSeq
//   copied; used for stateless errors and by server transactions;
// - the ACK for a non-2xx final response (§17.1.1.3): same Request-URI, Call-ID, From, CSeq
//   number and top Via as the INVITE, To from the response, the INVITE's Route headers;
// - the CANCEL for a pending INVITE (§9.1).
// Output is appended to a string the caller owns. Thread-safety: pure functions.

#include <string>
#include <string_view>

#include "sip/msg/message.hpp"

namespace warden::sip::msg {

struct ResponseOptions {
  std::uint16_t status = 200;
  std::string_view reason;        // "" picks the standard phrase
  std::string_view to_tag;        // added to To when To has no tag yet; "" adds none
  std::string_view extra_headers; // complete "Name: value\r\n" lines, appended as given
  std::string_view body;
  std::string_view content_type;  // required when body is not empty
};

void build_response(const Message& request, const ResponseOptions& opts, std::string& out);
void build_ack_for_failure(const Message& invite, const Message& response, std::string& out);
void build_cancel(const Message& invite, std::string& out);

}  // namespace warden::sip::msg
