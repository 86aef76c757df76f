#pragma once
// Stateless checks that follow a successful parse and depend on the element's role
// (RFC 3261 §8.2.2, §16.3; RFC 4475 §3.3): unsupported URI schemes (416), required
// extensions we lack (420), exhausted Max-Forwards at a proxy (483), unknown methods at a
// UAS (501), bodies a UAS cannot read (415, 406), a REGISTER whose To is not a SIP AOR
// (400), and responses that would be forwarded to a broadcast address (dropped).
// Thread-safety: pure function.

#include <span>
#include <string_view>

#include "sip/msg/message.hpp"
#include "sip/msg/parse_error.hpp"

namespace warden::sip::msg {

enum class Role : std::uint8_t { Proxy, Uas, Registrar };

struct SanityOptions {
  Role role = Role::Proxy;
  std::span<const std::string_view> supported_extensions;  // option tags we implement
  std::span<const std::string_view> body_types;            // "application/sdp", for a UAS
};

Verdict check(const Message& m, const SanityOptions& opts) noexcept;

// Calls fn(tag) for each option tag in every header with this id.
template <class Fn>
void for_each_token(const Message& m, HeaderId id, Fn&& fn);

}  // namespace warden::sip::msg

#include "sip/msg/sanity_inl.hpp"
