#include "runtime/transport_errc.hpp"

#include "base/error.hpp"

namespace warden::runtime {

std::string_view describe(TransportErrc e) noexcept {
  switch (e) {
    case TransportErrc::Ok: return "ok";
    case TransportErrc::NotSupported: return "operation not supported by this transport";
    case TransportErrc::UnknownFlow: return "unknown or closed flow";
    case TransportErrc::MessageTooLarge: return "message too large for this transport";
    case TransportErrc::ConnectionLimit: return "connection limit reached";
    case TransportErrc::SendQueueFull: return "send queue full";
    case TransportErrc::IdleTimeout: return "idle timeout";
    case TransportErrc::IncompleteMessageTimeout: return "incomplete message timeout";
    case TransportErrc::FramingError: return "stream framing error";
    case TransportErrc::PeerClosed: return "closed by peer";
    case TransportErrc::LocalClose: return "closed locally";
  }
  return "unknown transport error";
}

const std::error_category& transport_category() noexcept {
  return base::ErrorCategory<TransportErrc>::instance("runtime.transport");
}

}  // namespace warden::runtime
