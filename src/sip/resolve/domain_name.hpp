#pragma once
// Checks on domain names that come from DNS answers (NAPTR replacements, SRV targets) or from a
// URI, before they are used as the next query (RFC 1035 §2.3.4 sizes; letters, digits, '-' and
// the '_' of SRV owner names, RFC 2782).
// Thread-safety: pure functions. Errors: none; invalid names give false / "".

#include <cstddef>
#include <string>
#include <string_view>

namespace warden::sip::resolve {

// True if `name` (a trailing dot allowed) has 1..63-octet labels of [A-Za-z0-9_-] and at most
// `max_bytes` octets without the trailing dot. The root ("" or ".") is not a valid name here.
bool is_valid_domain_name(std::string_view name, std::size_t max_bytes = 253) noexcept;

// Lower case, trailing dot removed: the form used for comparisons and cache keys.
std::string normalize_domain_name(std::string_view name);

}  // namespace warden::sip::resolve
