#pragma once
// The Date header's rfc1123-date (RFC 3261 §20.17), "Sat, 13 Nov 2010 23:29:00 GMT", to and
// from seconds since the Unix epoch: the authentication service writes Date from the same
// instant as iat (RFC 8224 §6.1 step 3), the verification service compares them.
// Thread-safety: pure functions. Errors: parse_sip_date() returns nullopt for anything but the
// exact fixed-width GMT form with a valid calendar date.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace warden::sip::identity {

std::string format_sip_date(std::int64_t unix_seconds);
std::optional<std::int64_t> parse_sip_date(std::string_view text);

}  // namespace warden::sip::identity
