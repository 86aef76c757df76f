#include "runtime/media_relay.hpp"

#include "base/error.hpp"

namespace warden::runtime {

std::string_view describe(MediaRelayErrc e) noexcept {
  switch (e) {
    case MediaRelayErrc::Ok: return "ok";
    case MediaRelayErrc::UnknownSession: return "unknown or closed media relay session";
    case MediaRelayErrc::SessionLimit: return "media relay session limit reached";
    case MediaRelayErrc::PortsExhausted: return "no free port pair left in the media relay port range";
    case MediaRelayErrc::AddressFamily: return "peer address of another IP family than the relay";
    case MediaRelayErrc::IdleTimeout: return "media relay session idle";
    case MediaRelayErrc::SetupTimeout: return "media relay session never carried a datagram";
  }
  return "unknown media relay error";
}

const std::error_category& media_relay_category() noexcept {
  return base::ErrorCategory<MediaRelayErrc>::instance("runtime.media_relay");
}

std::string_view to_string(RelaySide s) noexcept { return s == RelaySide::A ? "A" : "B"; }

}  // namespace warden::runtime
