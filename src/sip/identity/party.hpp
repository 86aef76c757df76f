#pragma once
// The identities a PASSporT speaks about (RFC 8225 §5.2.1): a telephone number ("tn") or a URI
// ("uri"), and how they are derived from, and compared with, a request's From and To URIs
// (RFC 8224 §8).
//
// - Telephone numbers (RFC 8224 §8.3): a tel URI, a SIP URI with user=phone, or a SIP URI whose
//   user part is '+' followed by digits and visual separators. Canonical form: the digits only
//   (the leading '+' and the separators "-", ".", "(", ")" removed), 1 to 32 of them.
// - URIs (RFC 8224 §8): the addr-spec without display name, parameters or headers, written
//   scheme ":" user "@" host [":" port] with the scheme and host in lower case and the user
//   %-unescaped. Two URIs are the same identity when these forms are equal; sip and sips are
//   different identities (RFC 3261 §19.1.4).
// Thread-safety: pure functions. Errors: party_of() returns nullopt for other schemes, escapes
// that do not decode, or numbers that are not canonicalizable.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sip/msg/uri.hpp"

namespace warden::sip::identity {

struct Party {
  enum class Kind : std::uint8_t { Tn, Uri };
  Kind kind = Kind::Tn;
  std::string value;  // canonical: digits for Tn, the form above for Uri (unescaped user)
  std::string claim;  // the text a PASSporT carries: the digits, or the URI with escapes as written
  friend bool operator==(const Party& a, const Party& b) { return a.kind == b.kind && a.value == b.value; }
};

// The digits of a telephone number ("+1 (202) 555-0100" is not accepted: no spaces; "+1-202-
// 555-0100" gives "12025550100"); nullopt when anything else is in it.
std::optional<std::string> canonical_tn(std::string_view number);
// The identity a From or To URI names.
std::optional<Party> party_of(const msg::Uri& uri);
// The identity named by a "uri" claim value (parsed as a URI, then as party_of does, but always
// as a URI identity); nullopt when it is not a sip/sips URI.
std::optional<Party> uri_claim_party(std::string_view claim);

}  // namespace warden::sip::identity
