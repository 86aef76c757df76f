#pragma once
// RTCP compound packets (RFC 3550 §6.4 - §6.6, validity checks of Appendix A.2): sender and
// receiver reports with their report blocks, SDES (CNAME and the other items, kept as text),
// BYE with its optional reason; any other packet type (APP, RFC 4585 feedback, XR, ...) is
// kept as an opaque body so a relay can forward it and a receiver can skip it.
// serialize_rtcp() pads only when it must: a last packet whose opaque part is not whole words
// gets the P bit. parse_rtcp() is zero-copy: SDES text, BYE reasons, profile extensions and unknown bodies view
// the caller's datagram and must not outlive it. serialize_rtcp() writes what the caller's
// views point at.
// Also here: NTP timestamps for SR and the round-trip time of §6.4.1 from LSR and DLSR.
//
// Thread-safety: plain values and pure functions.
// Errors (RtpErrc, category "media.rtp"): TooLarge, TooManyPackets, TooManyItems (limits);
// Truncated (less than a header, or a length past the end), BadVersion, BadPadding (count 0,
// larger than the body, or P set on a packet that is not the last), BadLength (a report or
// BYE that does not fit its length), BadCompound (the first packet is not SR or RR unless
// reduced-size RTCP is allowed), BadSdes, BadBye; building: BadField (count above 31, text
// above 255 bytes, an SDES item of type 0, an extension or opaque body that is not whole
// words on a packet other than the last), BufferTooSmall.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "media/rtp_errc.hpp"

namespace warden::media {

struct RtcpLimits {
  std::size_t max_packet_bytes = 1500;   // the whole compound datagram
  std::size_t max_packets = 16;          // packets in one compound datagram
  std::size_t max_sdes_items = 16;       // items in one SDES chunk
  // RFC 5506: allow a datagram that does not start with SR or RR (reduced-size RTCP, used
  // for feedback between endpoints that negotiated a=rtcp-rsize).
  bool allow_reduced_size = false;
};

// RTCP packet types (RFC 3550 §12.1; 205-207 from RFC 4585 and RFC 3611, kept opaque).
enum class RtcpType : std::uint8_t {
  SenderReport = 200,
  ReceiverReport = 201,
  SourceDescription = 202,
  Bye = 203,
  App = 204,
};

// SDES item types (RFC 3550 §6.5).
enum class SdesType : std::uint8_t {
  End = 0, Cname = 1, Name = 2, Email = 3, Phone = 4, Loc = 5, Tool = 6, Note = 7, Priv = 8,
};

// One reception report block (§6.4.1).
struct ReportBlock {
  std::uint32_t ssrc = 0;               // the source this block reports on
  std::uint8_t fraction_lost = 0;       // lost/expected since the last report, fixed point /256
  std::int32_t cumulative_lost = 0;     // signed 24 bits: -8388608 .. 8388607
  std::uint32_t extended_highest_sequence = 0;
  std::uint32_t jitter = 0;             // interarrival jitter in timestamp units
  std::uint32_t last_sr = 0;            // LSR: middle 32 bits of the last SR's NTP timestamp
  std::uint32_t delay_since_last_sr = 0;  // DLSR in units of 1/65536 s
  bool operator==(const ReportBlock&) const = default;
};

// The sender information of an SR (§6.4.1).
struct SenderInfo {
  std::uint64_t ntp_timestamp = 0;  // 32.32 fixed point seconds since 1900
  std::uint32_t rtp_timestamp = 0;
  std::uint32_t packet_count = 0;
  std::uint32_t octet_count = 0;
  bool operator==(const SenderInfo&) const = default;
};

struct SenderReport {
  std::uint32_t ssrc = 0;
  SenderInfo sender;
  std::vector<ReportBlock> blocks;   // at most 31
  base::ByteView extension;          // profile-specific extension (whole words, but see above)
  bool operator==(const SenderReport& o) const noexcept;
};

struct ReceiverReport {
  std::uint32_t ssrc = 0;
  std::vector<ReportBlock> blocks;   // at most 31
  base::ByteView extension;
  bool operator==(const ReceiverReport& o) const noexcept;
};

struct SdesItem {
  std::uint8_t type = 0;     // an SdesType value, or an unknown type kept as is
  std::string_view text;     // 0-255 bytes; PRIV keeps its prefix length and prefix inside
  bool operator==(const SdesItem&) const = default;
};

struct SdesChunk {
  std::uint32_t ssrc = 0;
  std::vector<SdesItem> items;
  // The first CNAME item's text, or nullopt.
  std::optional<std::string_view> cname() const noexcept;
  bool operator==(const SdesChunk&) const = default;
};

struct SourceDescription {
  std::vector<SdesChunk> chunks;   // at most 31
  bool operator==(const SourceDescription&) const = default;
};

struct Bye {
  std::vector<std::uint32_t> ssrcs;  // at most 31
  std::string_view reason;           // "" when absent
  bool operator==(const Bye&) const = default;
};

// Any other packet type, skipped by the receiver logic but kept for forwarding.
struct UnknownRtcp {
  std::uint8_t packet_type = 0;
  std::uint8_t count = 0;      // the 5-bit field after P (subtype for APP and feedback)
  base::ByteView body;         // everything after the 4-byte header, padding removed
  bool operator==(const UnknownRtcp& o) const noexcept;
};

using RtcpPacket = std::variant<SenderReport, ReceiverReport, SourceDescription, Bye, UnknownRtcp>;

// The packets of one datagram, in order.
struct RtcpCompound {
  std::vector<RtcpPacket> packets;
  bool operator==(const RtcpCompound&) const = default;
};

base::Result<RtcpCompound> parse_rtcp(base::ByteView datagram, const RtcpLimits& limits = {});
base::Result<RtcpCompound> parse_rtcp(std::vector<std::byte>&&, const RtcpLimits& = {}) = delete;

// Bytes serialize_rtcp() writes for `c`.
std::size_t rtcp_wire_size(const RtcpCompound& c) noexcept;
base::Result<std::size_t> serialize_rtcp(const RtcpCompound& c, base::MutableByteView out) noexcept;
base::Result<std::vector<std::byte>> serialize_rtcp(const RtcpCompound& c);

// ---- time (§4, §6.4.1) ----

// A wall-clock time as a 64-bit NTP timestamp (seconds since 1900-01-01, 32.32 fixed point).
std::uint64_t to_ntp(base::WallTime t) noexcept;
// The middle 32 bits of an NTP timestamp, as LSR carries it (16.16 fixed point).
inline std::uint32_t ntp_middle32(std::uint64_t ntp) noexcept {
  return static_cast<std::uint32_t>(ntp >> 16);
}
// A duration in DLSR units (1/65536 s), saturating at 2^32-1; 0 for negative durations.
std::uint32_t to_dlsr_units(base::Duration d) noexcept;
// §6.4.1: RTT = A - LSR - DLSR, where A is the arrival time of the report block (an NTP
// timestamp taken by the caller). Nullopt when the block has no LSR (no SR received yet) or
// when the result would be negative (clocks or a forged block).
std::optional<base::Duration> round_trip_time(const ReportBlock& block,
                                              std::uint64_t arrival_ntp) noexcept;

}  // namespace warden::media
