#pragma once
// A parsed SIP request or response (RFC 3261 §7): the start line, every header field in order,
// and the fields a proxy and registrar need, parsed eagerly into typed values.
//
// Zero-copy: every string_view points into the bytes the message was parsed from, which the
// caller owns; a Message never outlives them. Copy a field explicitly before storing it.
// A Message is meant to be reused: clear() keeps the capacity of its vectors, so parsing into
// a warm Message allocates nothing.
// Thread-safety: a plain value.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "sip/msg/header_id.hpp"
#include "sip/msg/method.hpp"
#include "sip/msg/params.hpp"
#include "sip/msg/uri.hpp"

namespace warden::sip::msg {

// The magic cookie that marks an RFC 3261 branch (§8.1.1.7).
inline constexpr std::string_view kBranchCookie = "z9hG4bK";

// One header field as written: its name and its value with surrounding white space removed.
// A folded value keeps its internal CRLF+WSP; the serializer unfolds it.
struct Header {
  HeaderId id = HeaderId::Other;
  std::string_view name;
  std::string_view value;
};

// name-addr / addr-spec with header parameters (RFC 3261 §20.10, §20.20, §20.39): the value
// of From, To, Contact, Route, Record-Route, Path and similar headers.
struct NameAddr {
  std::string_view raw;      // the whole value, parameters included
  std::string_view display;  // as written: "\"Alice\"" or "Alice"; "" if none
  Uri uri;
  bool bracketed = false;    // the URI was written in <>
  std::string_view params;   // header parameters as written, leading ';' included
  std::string_view tag;      // the tag parameter (From/To), "" if none

  std::optional<std::string_view> param(std::string_view name) const noexcept {
    return find_param(params, name);
  }
};

// One Via value (RFC 3261 §20.42, RFC 3581 rport, RFC 5118 IPv6 received).
struct Via {
  std::string_view raw;
  std::string_view protocol;   // "SIP"
  std::string_view version;    // "2.0"
  std::string_view transport;  // "UDP", "TCP", "TLS", "SCTP", "WS", ... as written
  std::string_view host;       // sent-by host, IPv6 without brackets
  HostKind host_kind = HostKind::None;
  std::optional<std::uint16_t> port;
  std::string_view branch;     // "" if absent
  std::string_view received;   // "" if absent, brackets stripped
  std::string_view maddr;
  int ttl = -1;                // -1 if absent
  bool rport = false;          // the rport parameter is present
  std::optional<std::uint16_t> rport_value;
  std::string_view params;     // all parameters as written

  bool rfc3261_branch() const noexcept { return branch.substr(0, kBranchCookie.size()) == kBranchCookie; }
  std::optional<std::string_view> param(std::string_view name) const noexcept {
    return find_param(params, name);
  }
};

// CSeq (RFC 3261 §20.16).
struct CSeq {
  std::uint32_t number = 0;
  Method method = Method::Unknown;
  std::string_view method_text;
};

// Content-Type (RFC 3261 §20.15): type "/" subtype *(; param).
struct MediaType {
  std::string_view type;
  std::string_view subtype;
  std::string_view params;
  bool empty() const noexcept { return type.empty(); }
};

// Digest credentials from Authorization / Proxy-Authorization (RFC 3261 §22.4, RFC 7616 §3.4).
// Quoted values are given without their quotes (quoted-pairs left as written).
struct Credentials {
  bool proxy = false;          // from Proxy-Authorization
  std::string_view scheme;     // "Digest" or another scheme kept as text
  std::string_view username;
  std::string_view realm;
  std::string_view nonce;
  std::string_view uri;
  std::string_view response;
  std::string_view algorithm;  // "" means MD5 (RFC 7616 §3.4)
  std::string_view cnonce;
  std::string_view opaque;
  std::string_view qop;
  std::string_view nc;
  bool userhash = false;       // RFC 7616 §3.4.4
  std::string_view raw;        // the whole value, for other schemes
};

enum class Kind : std::uint8_t { Request, Response };

struct Message {
  Kind kind = Kind::Request;
  std::string_view bytes;       // the message as framed (trailing datagram octets excluded)

  // Request line (§7.1)
  Method method = Method::Unknown;
  std::string_view method_text;
  Uri request_uri;
  // Status line (§7.2)
  std::uint16_t status = 0;
  std::string_view reason;

  std::vector<Header> headers;  // every field, in order
  std::vector<Via> vias;        // all Via values in order, top first
  NameAddr from;
  NameAddr to;
  std::string_view call_id;
  CSeq cseq;
  int max_forwards = -1;        // -1 if absent
  std::optional<std::uint32_t> expires;  // overlarge values saturate (§20.19)
  std::optional<std::size_t> content_length;
  MediaType content_type;
  std::vector<NameAddr> contacts;
  bool contact_star = false;    // "Contact: *" (§10.2.2)
  std::vector<NameAddr> routes;
  std::vector<NameAddr> record_routes;
  std::vector<NameAddr> paths;  // RFC 3327
  std::vector<Credentials> credentials;
  std::string_view body;

  bool is_request() const noexcept { return kind == Kind::Request; }
  bool is_response() const noexcept { return kind == Kind::Response; }

  // The first header with this id, or nullptr.
  const Header* find(HeaderId id) const noexcept {
    for (const auto& h : headers)
      if (h.id == id) return &h;
    return nullptr;
  }
  // The first header with this name (case-insensitive), known or not, or nullptr.
  const Header* find(std::string_view name) const noexcept;

  // Forgets the content, keeps the capacity.
  void clear() noexcept;
};

}  // namespace warden::sip::msg
