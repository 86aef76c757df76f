#include "runtime/transport.hpp"

namespace warden::runtime {

std::string_view to_string(TransportKind k) noexcept {
  switch (k) {
    case TransportKind::Udp: return "UDP";
    case TransportKind::Tcp: return "TCP";
    case TransportKind::Tls: return "TLS";
  }
  return "?";
}

}  // namespace warden::runtime
