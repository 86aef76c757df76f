#include "sip/resolve/resolve_errc.hpp"

#include "base/error.hpp"

namespace warden::sip::resolve {

std::string_view describe(ResolveErrc e) noexcept {
  switch (e) {
    case ResolveErrc::Ok: return "ok";
    case ResolveErrc::NotSipUri: return "not a sip: or sips: URI with a host";
    case ResolveErrc::TransportRefused: return "transport not offered or not allowed for this URI";
    case ResolveErrc::NameTooLong: return "host name too long";
    case ResolveErrc::NoTargets: return "no reachable server found in DNS";
    case ResolveErrc::Cancelled: return "lookup cancelled";
  }
  return "unknown resolve error";
}

const std::error_category& resolve_category() noexcept {
  return base::ErrorCategory<ResolveErrc>::instance("sip.resolve");
}

}  // namespace warden::sip::resolve
