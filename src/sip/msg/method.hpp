#pragma once
// SIP request methods (RFC 3261 §7.1 and the extensions Warden knows). Methods are
// case-sensitive; anything else is Method::Unknown and keeps its text.

#include <cstdint>
#include <string_view>

namespace warden::sip::msg {

enum class Method : std::uint8_t {
  Unknown,
  Invite,
  Ack,
  Bye,
  Cancel,
  Register,
  Options,
  Info,       // RFC 6086
  Update,     // RFC 3311
  Prack,      // RFC 3262
  Subscribe,  // RFC 6665
  Notify,     // RFC 6665
  Refer,      // RFC 3515
  Message,    // RFC 3428
  Publish,    // RFC 3903
};

Method method_from_token(std::string_view token) noexcept;
std::string_view to_string(Method m) noexcept;  // "" for Unknown

}  // namespace warden::sip::msg
