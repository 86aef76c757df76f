#pragma once
// The SIP message parser (RFC 3261 §7, §18.3, §20, §25).
//
// parse_message() reads one whole message and fills a Message with views into `bytes`.
// - Framing::Datagram: `bytes` is one UDP datagram; octets after Content-Length are ignored
//   and a missing Content-Length means the body runs to the end of the datagram (§18.3).
// - Framing::Stream: `bytes` is one frame cut by StreamFramer; Content-Length is mandatory.
//
// It never throws, never reads outside `bytes`, and allocates only when a vector of the
// reused Message has to grow beyond its previous size (bounded by Limits::Sip).
// The Verdict says what a stateless server must do: accept, answer (400, 505, 501, 513),
// drop silently (any malformed response; a request too broken to answer), or close a stream.

#include <string_view>

#include "base/limits.hpp"
#include "sip/msg/message.hpp"
#include "sip/msg/parse_error.hpp"

namespace warden::sip::msg {

enum class Framing : std::uint8_t { Datagram, Stream };

Verdict parse_message(std::string_view bytes, Message& out, const base::Limits::Sip& limits,
                      Framing framing = Framing::Datagram) noexcept;

// Parses a Content-Length value (1*DIGIT); false for anything else or a value above `max`.
bool parse_content_length(std::string_view value, std::size_t max, std::size_t& out) noexcept;

// Digest challenge from WWW-Authenticate / Proxy-Authenticate (RFC 3261 §22.4, RFC 7616 §3.3).
struct Challenge {
  std::string_view scheme;
  std::string_view realm;
  std::string_view nonce;
  std::string_view opaque;
  std::string_view algorithm;
  std::string_view qop;      // the quoted list, e.g. "auth,auth-int"
  std::string_view domain;
  bool stale = false;
  bool userhash = false;
};
bool parse_challenge(std::string_view value, Challenge& out) noexcept;
bool parse_credentials(std::string_view value, Credentials& out) noexcept;

}  // namespace warden::sip::msg
