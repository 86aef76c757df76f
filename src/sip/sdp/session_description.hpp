#pragma once
// The SDP data model (RFC 8866 §5): a session part and its media descriptions.
//
// Zero-copy: every std::string_view here points into the text the description was parsed from
// (or into the storage of the SessionBuilder that made it). A SessionDescription NEVER outlives
// that text: copy a field into a std::string before keeping it, or hold the whole description
// in an OwnedSessionDescription. Known tokens are also available as enums (the `*_kind()`
// accessors); unknown ones stay as text and are serialized unchanged.
//
// operator== compares meaning, not bytes: spacing and line endings are gone after parsing, and
// parse(serialize(d)) == d for every d that parse() returned.
// Thread-safety: plain values; concurrent reads are safe. Errors: none (see parser.hpp).

#include <concepts>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "sip/sdp/address.hpp"

namespace warden::sip::sdp {

// A temporary std::string. Every parser here that returns views into its argument has a
// deleted overload for it, so `parse(std::string(...))`, whose views would dangle at the end
// of the statement, does not compile. Keep the text in a variable (or use
// OwnedSessionDescription::parse, which copies).
template <class S>
concept TemporaryString = std::same_as<std::remove_const_t<S>, std::string>;

// o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> (§5.2).
// sess-id and sess-version are kept as the digits that were sent (they may exceed 64 bits).
struct Origin {
  std::string_view username;  // "-" when the host has no user ids
  std::string_view session_id;
  std::string_view session_version;
  std::string_view net_type;  // "IN"
  std::string_view addr_type; // "IP4", "IP6" or another token
  std::string_view address;   // IPv4, IPv6 (no brackets), FQDN, or other text

  // The version as a number, if it fits in 64 bits (offer/answer increments it).
  std::optional<std::uint64_t> version_number() const noexcept;
  AddrType addr_kind() const noexcept { return addr_type_from_text(addr_type); }
  bool operator==(const Origin&) const = default;
};

// c=<nettype> <addrtype> <connection-address> (§5.7). For IN IP4 the address may carry
// "/<ttl>[/<count>]", for IN IP6 "/<count>"; the suffix is parsed into `ttl` and `count` and
// `address` holds the bare address. For other types the whole text is in `address`.
struct Connection {
  std::string_view net_type;
  std::string_view addr_type;
  std::string_view address;
  std::optional<std::uint8_t> ttl;     // IP4 multicast only
  std::optional<std::uint32_t> count;  // number of consecutive multicast addresses, >= 1

  AddrType addr_kind() const noexcept { return addr_type_from_text(addr_type); }
  bool operator==(const Connection&) const = default;
};

// b=<bwtype>:<bandwidth> (§5.8), e.g. AS (kbit/s), CT, TIAS (bit/s, RFC 3890), RR, RS.
struct Bandwidth {
  std::string_view type;
  std::uint64_t value = 0;
  bool operator==(const Bandwidth&) const = default;
};

// r=<repeat interval> <active duration> <offsets from start-time> (§5.10). Each value is a
// typed time ("7d", "3600", "25h"); see typed_time_seconds().
struct Repeat {
  std::string_view interval;
  std::string_view duration;
  std::vector<std::string_view> offsets;  // at least one
  bool operator==(const Repeat&) const = default;
};

// t=<start-time> <stop-time> (§5.9), NTP seconds, 0 meaning unbounded, with its r= lines.
struct Timing {
  std::uint64_t start = 0;
  std::uint64_t stop = 0;
  std::vector<Repeat> repeats;
  bool operator==(const Timing&) const = default;
};

// One <adjustment time> <offset> pair of z= (§5.11). The offset may be negative ("-1h").
struct ZoneAdjustment {
  std::string_view time;
  std::string_view offset;
  bool operator==(const ZoneAdjustment&) const = default;
};

// a=<attribute> or a=<attribute>:<value> (§5.13). Names are compared case-sensitively.
struct Attribute {
  std::string_view name;
  std::string_view value;  // empty for the property form
  bool has_value = false;  // true for the value form, even when the value is empty ("a=x:")
  bool operator==(const Attribute&) const = default;
};

// Well-known <media> types of m= (§5.14); others stay as text.
enum class MediaType : std::uint8_t { Other, Audio, Video, Text, Application, Message, Image };
// Well-known <proto> values of m=; others stay as text.
enum class TransportProto : std::uint8_t {
  Other,
  RtpAvp,          // RTP/AVP (RFC 3551)
  RtpAvpf,         // RTP/AVPF (RFC 4585)
  RtpSavp,         // RTP/SAVP (RFC 3711)
  RtpSavpf,        // RTP/SAVPF (RFC 5124)
  UdpTlsRtpSavp,   // UDP/TLS/RTP/SAVP (RFC 5764)
  UdpTlsRtpSavpf,  // UDP/TLS/RTP/SAVPF (RFC 5764)
  Udp,             // udp (RFC 8866)
  Tcp,             // TCP (RFC 4145)
  UdpDtlsSctp,     // UDP/DTLS/SCTP (RFC 8841)
  TcpDtlsSctp,     // TCP/DTLS/SCTP (RFC 8841)
};
MediaType media_type_from_text(std::string_view text) noexcept;
TransportProto transport_from_text(std::string_view text) noexcept;
// True for the RTP profiles that carry SRTP (SAVP, SAVPF, with or without UDP/TLS).
bool is_secure_rtp(TransportProto p) noexcept;

// An m= section with its i=, c=, b=, k= and a= lines (§5.14).
struct MediaDescription {
  std::string_view media;  // "audio", "video", ...
  std::uint16_t port = 0;
  std::optional<std::uint32_t> port_count;  // the "/<number of ports>" suffix, >= 1
  std::string_view proto;                   // "RTP/AVP", "UDP/TLS/RTP/SAVPF", ...
  std::vector<std::string_view> formats;    // RTP payload type numbers or other tokens
  std::optional<std::string_view> information;  // i=
  std::vector<Connection> connections;          // c= (several only for multicast)
  std::vector<Bandwidth> bandwidths;            // b=
  std::optional<std::string_view> key;          // k= (obsolete, kept as text)
  std::vector<Attribute> attributes;            // a=

  MediaType media_kind() const noexcept { return media_type_from_text(media); }
  TransportProto proto_kind() const noexcept { return transport_from_text(proto); }
  // First attribute called `name`, or nullptr.
  const Attribute* find_attribute(std::string_view name) const noexcept;
  bool has_attribute(std::string_view name) const noexcept { return find_attribute(name) != nullptr; }
  bool operator==(const MediaDescription&) const = default;
};

// A whole session description (§5): the session part followed by zero or more media sections.
struct SessionDescription {
  Origin origin;                                // o=
  std::string_view session_name;                // s= (may be empty or " ")
  std::optional<std::string_view> information;  // i=
  std::optional<std::string_view> uri;          // u=
  std::vector<std::string_view> emails;         // e=
  std::vector<std::string_view> phones;         // p=
  std::optional<Connection> connection;         // session-level c=
  std::vector<Bandwidth> bandwidths;            // b=
  std::vector<Timing> timings;                  // t= with its r= (at least one after parsing)
  std::vector<ZoneAdjustment> zone_adjustments; // z=, empty when absent
  std::optional<std::string_view> key;          // k= (obsolete, kept as text)
  std::vector<Attribute> attributes;            // session-level a=
  std::vector<MediaDescription> media;          // m= sections in order

  const Attribute* find_attribute(std::string_view name) const noexcept;
  bool has_attribute(std::string_view name) const noexcept { return find_attribute(name) != nullptr; }
  // The connection that applies to `m`: its first c= line, else the session c=, else nullptr.
  const Connection* connection_for(const MediaDescription& m) const noexcept;
  bool operator==(const SessionDescription&) const = default;
};

// First attribute called `name` in `attrs`, or nullptr.
const Attribute* find_attribute(std::span<const Attribute> attrs, std::string_view name) noexcept;
// The value of attribute `name` at media level if `m` has it, else at session level.
// Returns nullopt when neither level has it; "" for a property attribute.
std::optional<std::string_view> find_attribute_value(const SessionDescription& sd,
                                                     const MediaDescription& m,
                                                     std::string_view name) noexcept;
// A typed time (§5.10: digits with an optional d/h/m/s suffix, optionally negative for z=)
// in seconds; nullopt if malformed or beyond +-2^53.
std::optional<std::int64_t> typed_time_seconds(std::string_view text) noexcept;

}  // namespace warden::sip::sdp
