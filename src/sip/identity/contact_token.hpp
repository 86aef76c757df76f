#pragma once
// Opaque contact tokens for topology hiding (RFC 3323 §5.1 "header" privacy, and hiding toward
// untrusted peers): the proxy replaces a Contact URI with one of its own addresses whose user
// part is a token, and reads the original back from that token when a request comes for it,
// with no state kept.
//
// A token is base64url (RFC 4648 §5, no padding: a valid SIP user part) of
//   version (0x01) || nonce (12) || AES-256-GCM(original URI) || tag (16)
// under keys derived from the proxy's secret with HMAC-SHA-256. The nonce is an HMAC of the
// URI (a synthetic nonce), so one URI always gives the same token (a re-INVITE keeps its remote
// target) and the token says nothing of the URI but its length. The tag makes it unforgeable:
// a peer cannot make the proxy send to an address of its choosing.
// Thread-safety: pure functions. Errors: make_contact_token() gives nullopt for an empty key or
// a URI empty or longer than kMaxContactUriBytes; read_contact_token() gives nullopt for
// anything not made by make_contact_token() with the same key (size above kMaxContactTokenBytes
// checked before decoding).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace warden::sip::identity {

inline constexpr std::size_t kMaxContactUriBytes = 512;
// base64url of 1 + 12 + 512 + 16 bytes.
inline constexpr std::size_t kMaxContactTokenBytes = (1 + 12 + kMaxContactUriBytes + 16 + 2) / 3 * 4;

std::optional<std::string> make_contact_token(std::string_view key, std::string_view original_contact);
std::optional<std::string> read_contact_token(std::string_view key, std::string_view token);

// "sip:<token>@<host_port><params>", e.g. anonymous_contact_uri(t, "192.0.2.5:5060",
// ";transport=udp"); `params` is written as given.
std::string anonymous_contact_uri(std::string_view token, std::string_view host_port, std::string_view params = {});

}  // namespace warden::sip::identity
