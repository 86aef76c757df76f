#pragma once
// Cuts a TCP/TLS byte stream into SIP messages (RFC 3261 §18.3): the header section ends at
// the first empty line, and Content-Length, mandatory on streams, gives the body. CRLF
// keep-alives (RFC 5626 §3.5.1) between messages are reported, never treated as messages:
// a server sees a "ping" (CRLFCRLF) and answers with a "pong" (CRLF); a client sees pongs.
//
// Usage: feed() what the socket read, then call next() until it returns NeedMore. A returned
// frame is a view into the framer's buffer, valid until the next feed() or next().
// Errors: any framing error (no or conflicting Content-Length, a header section or body over
// the Limits, a bare LF between messages) is final: the connection must be closed.
// Thread-safety: none; one framer per connection.

#include <string>
#include <string_view>

#include "base/limits.hpp"
#include "sip/msg/parse_error.hpp"

namespace warden::sip::msg {

class StreamFramer {
 public:
  enum class Role : std::uint8_t { Server, Client };

  struct Frame {
    enum class Type : std::uint8_t { NeedMore, Message, Ping, Pong, Error } type = Type::NeedMore;
    std::string_view bytes;   // for Message
    ParseErrc error = ParseErrc::Ok;  // for Error
  };

  explicit StreamFramer(const base::Limits::Sip& limits, Role role = Role::Server);

  // Appends bytes read from the stream. Returns MessageTooLarge (and buffers nothing) when the
  // unread bytes would exceed what one message may hold: the peer is flooding.
  ParseErrc feed(std::string_view bytes);
  Frame next() noexcept;

  // True while part of a message is buffered: the transport times this against slow-loris.
  bool mid_message() const noexcept { return start_ < buf_.size(); }
  std::size_t buffered() const noexcept { return buf_.size() - start_; }

 private:
  Frame fail(ParseErrc e) noexcept;
  ParseErrc find_content_length(std::string_view headers, std::size_t& cl) const noexcept;

  const base::Limits::Sip& limits_;
  Role role_;
  std::string buf_;
  std::size_t start_ = 0;        // first unread byte
  std::size_t scanned_ = 0;      // bytes after start_ already searched for the empty line
  std::size_t header_len_ = 0;   // > 0 once the header section of the current message is known
  std::size_t body_len_ = 0;
  bool failed_ = false;
  ParseErrc error_ = ParseErrc::Ok;
};

}  // namespace warden::sip::msg
