#pragma once
// Transaction identifiers (RFC 3261 §17.1.3 and §17.2.3).
// - Server side, RFC 3261 peers: the top Via branch (with the magic cookie), its sent-by, and
//   the method, where ACK counts as INVITE. CANCEL has its own transaction; the INVITE it
//   cancels is found with cancel_target_key().
// - Server side, RFC 2543 peers (no cookie): Request-URI, From tag, Call-ID, CSeq number, the
//   top Via and the method. (The To tag is left out so that the ACK for a non-2xx answer,
//   which carries our tag, matches its INVITE.)
// - Client side: the top Via branch and the CSeq method.
// Thread-safety: pure functions.

#include <string>

#include "sip/msg/message.hpp"

namespace warden::sip::txn {

std::string server_key(const msg::Message& request);
// The same keys written into `out` (cleared first), for look-ups that reuse one buffer.
void server_key_into(const msg::Message& request, std::string& out);
void cancel_target_key_into(const msg::Message& cancel, std::string& out);
void client_key_into(const msg::Message& response, std::string& out);
std::string cancel_target_key(const msg::Message& cancel);
std::string client_key(const msg::Message& response);
std::string client_key_for_request(const msg::Message& request);

}  // namespace warden::sip::txn
