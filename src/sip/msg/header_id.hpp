#pragma once
// Header field names Warden understands (RFC 3261 §20 and extensions), with compact forms
// (RFC 3261 §7.3.3). Names are case-insensitive; unknown names are HeaderId::Other and are
// kept, with their value, as text.

#include <cstdint>
#include <string_view>

namespace warden::sip::msg {

enum class HeaderId : std::uint8_t {
  Other,
  Accept,
  AcceptContact,       // a (RFC 3841)
  Allow,
  AllowEvents,         // u (RFC 6665)
  Authorization,
  CallId,              // i
  Contact,             // m
  ContentDisposition,
  ContentEncoding,     // e
  ContentLength,       // l
  ContentType,         // c
  CSeq,
  Date,
  Event,               // o (RFC 6665)
  Expires,
  From,                // f
  Identity,            // y (RFC 8224)
  MaxForwards,
  MinExpires,
  Path,                // RFC 3327
  PAssertedIdentity,   // RFC 3325
  PPreferredIdentity,  // RFC 3325
  Privacy,             // RFC 3323
  ProxyAuthenticate,
  ProxyAuthorization,
  ProxyRequire,
  RecordRoute,
  ReferTo,             // r (RFC 3515)
  ReferredBy,          // b (RFC 3892)
  RejectContact,       // j (RFC 3841)
  Require,
  RetryAfter,
  Route,
  Server,
  SessionExpires,      // x (RFC 4028)
  Subject,             // s
  Supported,           // k
  To,                  // t
  Unsupported,
  UserAgent,
  Via,                 // v
  Warning,
  WwwAuthenticate,
  kCount,
};

HeaderId classify_header(std::string_view name) noexcept;
// The parser's shortcut: if the octets at `p` begin with a known name (long or compact, any
// case) followed by ':', SP or HTAB, returns its id and sets `len` to the name's length;
// otherwise returns Other with `len` 0 (the caller then scans the name itself). Reads up to
// 25 octets from `p`: the caller guarantees that many are readable.
HeaderId classify_header_at(const char* p, std::size_t& len) noexcept;
// The canonical (long) name, e.g. "Call-ID"; "" for Other.
std::string_view canonical_name(HeaderId id) noexcept;

}  // namespace warden::sip::msg
