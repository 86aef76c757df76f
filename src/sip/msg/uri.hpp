#pragma once
// SIP, SIPS and tel URIs (RFC 3261 §19.1, §25.1; RFC 3966) and, opaquely, any other absolute
// URI. IPv6 references follow RFC 5118 (the "2001:db8:::192.0.2.1" form of §4.10 is tolerated).
//
// A Uri is a set of views into the text it was parsed from: it never outlives that text.
// Escapes are kept as on the wire; `unescape()` decodes them exactly once.
// Thread-safety: a plain value. Errors: parse_uri() returns false for any syntax error and for
// more parameters than the limit; it never reads outside `text`.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace warden::sip::msg {

enum class Scheme : std::uint8_t { Other, Sip, Sips, Tel };
enum class HostKind : std::uint8_t { None, Name, IPv4, IPv6 };

struct Uri {
  Scheme scheme = Scheme::Other;
  std::string_view raw;          // the whole URI
  std::string_view scheme_text;  // as written, e.g. "SIP" or "soap.beep"
  std::string_view user;         // escaped; for tel: the number
  std::string_view password;     // escaped
  bool has_userinfo = false;
  std::string_view host;         // IPv6 without the brackets
  HostKind host_kind = HostKind::None;
  std::optional<std::uint16_t> port;
  std::string_view params;       // ";a=b;lr" as written, leading ';' included; "" if none
  std::string_view headers;      // "a=b&c=d" after the '?'; "" if none
  std::string_view opaque;       // for Scheme::Other: everything after the first ':'

  bool is_sip() const noexcept { return scheme == Scheme::Sip || scheme == Scheme::Sips; }
  // A URI parameter by name (case-insensitive): its raw value, "" for a parameter without one,
  // nullopt if absent.
  std::optional<std::string_view> param(std::string_view name) const noexcept;
  bool has_param(std::string_view name) const noexcept { return param(name).has_value(); }
};

// Parses `text` as a complete URI. `max_params` bounds the URI parameters and headers together.
bool parse_uri(std::string_view text, Uri& out, std::size_t max_params = 64) noexcept;
// The same for an `out` that is still default-constructed (not reset again: the parser's path).
bool parse_uri_fresh(std::string_view text, Uri& out, std::size_t max_params) noexcept;

// Validates a host as it may appear in a URI or Via sent-by: a name, an IPv4 address, or an
// IPv6 reference in brackets. On success sets `kind` and `host` (brackets stripped).
bool parse_host(std::string_view text, HostKind& kind, std::string_view& host) noexcept;
// An IPv6 address without brackets (RFC 4291 §2.2 text forms, plus RFC 5118 §4.10 tolerance).
bool is_ipv6_address(std::string_view text) noexcept;
bool is_ipv4_address(std::string_view text) noexcept;

// Decodes %HH escapes once ("%2541" becomes "%41", not "A"). Returns false on a malformed
// escape, leaving `out` unspecified. NUL octets are kept.
bool unescape(std::string_view in, std::string& out);

}  // namespace warden::sip::msg
