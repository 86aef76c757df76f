#pragma once
// RtpPacket: one RTP data packet (RFC 3550 §5.1): the fixed header, the CSRC list, an optional
// header extension (§5.3.1) and the payload, with padding (§5.1 "P") removed.
// parse_rtp() is zero-copy: `payload` and the extension data view the caller's datagram and
// must not outlive it. The extension is kept opaque: its 16-bit profile word tells the RFC 8285
// one-byte (0xBEDE) and two-byte (0x100x) forms apart, the elements are not decoded here.
// Thread-safety: plain value and pure functions.
// Errors (RtpErrc, category "media.rtp"): TooLarge (above RtpLimits::max_packet_bytes),
// Truncated (shorter than the fixed header + CSRCs + extension header), BadVersion (not 2),
// BadExtension (extension length past the end), BadPadding (count 0 or longer than the
// payload area); building: BadField (payload type above 127, padding 0 with the P bit meaning,
// extension data not a multiple of 4 bytes or above 65535 words), BufferTooSmall.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "media/rtp_errc.hpp"

namespace warden::media {

// Bounds on what a peer may send. One datagram per packet, so one number suffices.
struct RtpLimits {
  std::size_t max_packet_bytes = 1500;  // an Ethernet MTU; Opus frames stay far below
};

inline constexpr std::size_t kRtpFixedHeaderBytes = 12;
inline constexpr std::size_t kRtpMaxCsrcs = 15;  // the CC field has 4 bits
inline constexpr std::uint16_t kOneByteExtensionProfile = 0xBEDE;  // RFC 8285 §4.2

// The header extension of RFC 3550 §5.3.1: a profile-defined word and length*4 opaque bytes.
struct RtpHeaderExtension {
  std::uint16_t profile = 0;
  base::ByteView data;  // a multiple of 4 bytes

  bool is_one_byte_form() const noexcept { return profile == kOneByteExtensionProfile; }
  // RFC 8285 §4.3: 0x100 in the top 12 bits, the low 4 bits are "appbits".
  bool is_two_byte_form() const noexcept { return (profile & 0xFFF0) == 0x1000; }
  bool operator==(const RtpHeaderExtension& o) const noexcept;
};

// One RTP packet, parsed or to be built.
struct RtpPacket {
  bool marker = false;
  std::uint8_t payload_type = 0;  // 0-127
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::array<std::uint32_t, kRtpMaxCsrcs> csrc_list{};
  std::uint8_t csrc_count = 0;  // 0-15, the used part of csrc_list
  std::optional<RtpHeaderExtension> extension;
  base::ByteView payload;
  // Padding octets after the payload, the final count octet included; 0 means no padding.
  // When building, the padding is written as zeros followed by the count.
  std::uint8_t padding = 0;

  std::span<const std::uint32_t> csrcs() const noexcept { return {csrc_list.data(), csrc_count}; }
  // Appends a contributing source; false when 15 are already listed.
  bool add_csrc(std::uint32_t csrc) noexcept;
  // Bytes of the fixed header, CSRC list and extension (header and data).
  std::size_t header_size() const noexcept;
  // Bytes the packet takes on the wire (header + payload + padding).
  std::size_t wire_size() const noexcept;
  // Field by field; the payload and extension bytes compare by content.
  bool operator==(const RtpPacket& o) const noexcept;
};

base::Result<RtpPacket> parse_rtp(base::ByteView datagram, const RtpLimits& limits = {}) noexcept;
// A temporary buffer would leave the views dangling.
base::Result<RtpPacket> parse_rtp(std::vector<std::byte>&&, const RtpLimits& = {}) = delete;

// Writes `p` at the start of `out`; returns the number of bytes written.
base::Result<std::size_t> serialize_rtp(const RtpPacket& p, base::MutableByteView out) noexcept;
// The same into a new buffer of exactly wire_size() bytes.
base::Result<std::vector<std::byte>> serialize_rtp(const RtpPacket& p);

// RFC 5761 §4: with RTP and RTCP on one port, a second octet of 192-223 (RTCP packet types
// 192-223, i.e. RTP payload types 64-95 with the marker) means RTCP. False for under 2 bytes.
bool looks_like_rtcp(base::ByteView datagram) noexcept;

}  // namespace warden::media
