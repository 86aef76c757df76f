#pragma once
// Address text as SDP carries it (RFC 8866 §9: unicast-address, FQDN, IP4-address,
// IP6-address). IPv6 appears WITHOUT brackets in SDP ("c=IN IP6 2001:db8::20"), so this is
// not the SIP host parser. Thread-safety: pure functions. Errors: none; each returns false.

#include <cstdint>
#include <string_view>

namespace warden::sip::sdp {

// The <addrtype> of o=, c= and a=rtcp lines. Unknown tokens stay as text in the field.
enum class AddrType : std::uint8_t { Other, Ip4, Ip6 };
// The <nettype>. Only "IN" (Internet) is defined.
enum class NetType : std::uint8_t { Other, In };

AddrType addr_type_from_text(std::string_view text) noexcept;  // "IP4", "IP6", else Other
NetType net_type_from_text(std::string_view text) noexcept;    // "IN", else Other
std::string_view to_string(AddrType t) noexcept;               // "IP4", "IP6", "" for Other

// Dotted-quad IPv4, each octet 0-255 written without leading zeros.
bool is_ipv4_address(std::string_view text) noexcept;
// RFC 4291 §2.2 text forms: eight groups, "::" compression once, an IPv4 tail. No brackets,
// no zone index.
bool is_ipv6_address(std::string_view text) noexcept;
// A host name: letters, digits, '-' and '.', 1-255 characters, not all digits and dots.
bool is_fqdn(std::string_view text) noexcept;
// True for IPv4 224.0.0.0/4 and IPv6 ff00::/8 text (the address must already be valid).
bool is_multicast(AddrType type, std::string_view address) noexcept;

// A unicast address for `type`: an IPv4 address or FQDN for IP4, an IPv6 address or FQDN for
// IP6, and any non-whitespace string for an unknown address type.
bool is_unicast_address(AddrType type, std::string_view text) noexcept;

}  // namespace warden::sip::sdp
