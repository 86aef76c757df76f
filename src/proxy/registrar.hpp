#pragma once
// The registrar's rules (RFC 3261 §10.3 steps 6–8, RFC 3327 Path, RFC 5626 +sip.instance) for
// one REGISTER that has already been authenticated for its address-of-record:
// - Contact "*" removes every binding, only with Expires: 0 and as the only Contact (else 400);
// - each contact's lifetime comes from its expires parameter, else the Expires header, else
//   the default; a non-zero lifetime below min_expires is refused with 423 and Min-Expires,
//   one above max_expires is lowered to it;
// - an existing binding with the same Call-ID and a CSeq not lower than the request's makes
//   the whole request fail (500), so reordered or replayed REGISTERs cannot roll state back;
// - all contacts are checked before any is applied (all or nothing), and more than
//   max_contacts bindings for one address-of-record is refused (403);
// - the 200 lists every current binding with its remaining lifetime (§10.3 step 8).
// Thread-safety: none (the Location is the loop thread's).

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/location.hpp"
#include "sip/msg/message.hpp"

namespace warden::proxy {

struct RegistrarConfig {
  std::uint32_t min_expires = 60;
  std::uint32_t max_expires = 3600;
  std::uint32_t default_expires = 3600;
  std::uint32_t max_contacts = 10;
};

struct RegisterResult {
  std::uint16_t status = 200;
  std::string_view reason;    // "" for the standard phrase
  std::string extra_headers;  // complete header lines for the response
  bool changed = false;       // bindings were added, refreshed or removed: Location::flush()
                              // must succeed before the response is sent
};

// `received`: how to reach the registering UA when its Contact cannot be used as is (it is
// behind a NAT or registered over a connection): "udp:192.0.2.1:5060", or "" for none.
RegisterResult process_register(const sip::msg::Message& request, const std::string& aor, Location& location,
                                const RegistrarConfig& config, std::int64_t now, std::string_view received);

// "Date: Sun, 22 Nov 2026 10:00:00 GMT\r\n" (RFC 3261 §20.17).
const std::string& date_header(std::int64_t unix_seconds);  // this thread's copy, valid until its next call

}  // namespace warden::proxy
