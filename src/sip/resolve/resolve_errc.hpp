#pragma once
// Why server location (RFC 3263) produced no target list. DNS failures of single queries are
// not errors of the whole look-up: they only remove that branch (RFC 3263 §4: a failed NAPTR
// query falls back to SRV, a failed SRV query to A/AAAA).

#include <string_view>
#include <system_error>

namespace warden::sip::resolve {

enum class ResolveErrc {
  Ok = 0,
  NotSipUri,          // the URI is not sip: or sips:, or has no host
  TransportRefused,   // the URI asks for a transport we do not offer, or sips: over UDP
  NameTooLong,        // the host is longer than ResolveLimits::max_name_bytes
  NoTargets,          // DNS gave no usable address for any branch
  Cancelled,          // the lookup handle was dropped (never reported: for completeness)
};

std::string_view describe(ResolveErrc e) noexcept;
const std::error_category& resolve_category() noexcept;
inline std::error_code make_error_code(ResolveErrc e) noexcept {
  return {static_cast<int>(e), resolve_category()};
}

}  // namespace warden::sip::resolve

template <>
struct std::is_error_code_enum<warden::sip::resolve::ResolveErrc> : std::true_type {};
