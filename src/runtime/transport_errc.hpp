#pragma once
// Why a transport refused a send or closed a flow. Operating-system and TLS failures keep their
// own categories (std::system_category, asio's and OpenSSL's); these are the transport's own.

#include <string_view>
#include <system_error>

namespace warden::runtime {

enum class TransportErrc {
  Ok = 0,
  NotSupported,              // e.g. a flow operation on UDP
  UnknownFlow,               // the flow id is not (or no longer) open
  MessageTooLarge,           // over the datagram size or Limits::Sip::max_message_bytes
  ConnectionLimit,           // total or per-source-address connection limit reached
  SendQueueFull,             // the peer does not read what we write
  IdleTimeout,               // no byte either way within the idle timeout
  IncompleteMessageTimeout,  // a message (or TLS handshake) did not complete in time: slow loris
  FramingError,              // the stream framer refused the byte stream
  PeerClosed,                // the peer closed the connection
  LocalClose,                // close() was called, or the transport shut down
};

std::string_view describe(TransportErrc e) noexcept;
const std::error_category& transport_category() noexcept;
inline std::error_code make_error_code(TransportErrc e) noexcept {
  return {static_cast<int>(e), transport_category()};
}

}  // namespace warden::runtime

template <>
struct std::is_error_code_enum<warden::runtime::TransportErrc> : std::true_type {};
