#include "media/rtp_packet.hpp"

#include <algorithm>
#include <cstring>

#include "media/rtp_byte_order.hpp"

namespace warden::media {

namespace {

bool same_bytes(base::ByteView a, base::ByteView b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

bool RtpHeaderExtension::operator==(const RtpHeaderExtension& o) const noexcept {
  return profile == o.profile && same_bytes(data, o.data);
}

bool RtpPacket::add_csrc(std::uint32_t csrc) noexcept {
  if (csrc_count >= kRtpMaxCsrcs) return false;
  csrc_list[csrc_count++] = csrc;
  return true;
}

std::size_t RtpPacket::header_size() const noexcept {
  std::size_t n = kRtpFixedHeaderBytes + 4u * csrc_count;
  if (extension) n += 4 + extension->data.size();
  return n;
}

std::size_t RtpPacket::wire_size() const noexcept { return header_size() + payload.size() + padding; }

bool RtpPacket::operator==(const RtpPacket& o) const noexcept {
  return marker == o.marker && payload_type == o.payload_type && sequence == o.sequence &&
         timestamp == o.timestamp && ssrc == o.ssrc &&
         std::ranges::equal(csrcs(), o.csrcs()) && extension == o.extension &&
         same_bytes(payload, o.payload) && padding == o.padding;
}

base::Result<RtpPacket> parse_rtp(base::ByteView in, const RtpLimits& limits) noexcept {
  if (in.size() > limits.max_packet_bytes) return RtpErrc::TooLarge;
  if (in.size() < kRtpFixedHeaderBytes) return RtpErrc::Truncated;
  const std::byte* p = in.data();
  const std::uint8_t b0 = wire::u8(p);
  const std::uint8_t b1 = wire::u8(p + 1);
  if ((b0 >> 6) != 2) return RtpErrc::BadVersion;
  const bool has_padding = (b0 & 0x20) != 0;
  const bool has_extension = (b0 & 0x10) != 0;

  RtpPacket out;
  out.csrc_count = static_cast<std::uint8_t>(b0 & 0x0F);
  out.marker = (b1 & 0x80) != 0;
  out.payload_type = static_cast<std::uint8_t>(b1 & 0x7F);
  out.sequence = wire::u16(p + 2);
  out.timestamp = wire::u32(p + 4);
  out.ssrc = wire::u32(p + 8);

  std::size_t pos = kRtpFixedHeaderBytes;
  if (in.size() - pos < 4u * out.csrc_count) return RtpErrc::Truncated;
  for (std::size_t i = 0; i < out.csrc_count; ++i, pos += 4) out.csrc_list[i] = wire::u32(p + pos);

  if (has_extension) {
    if (in.size() - pos < 4) return RtpErrc::Truncated;
    const std::uint16_t profile = wire::u16(p + pos);
    const std::size_t bytes = 4u * wire::u16(p + pos + 2);
    pos += 4;
    if (in.size() - pos < bytes) return RtpErrc::BadExtension;
    out.extension = RtpHeaderExtension{profile, in.subspan(pos, bytes)};
    pos += bytes;
  }

  std::size_t end = in.size();
  if (has_padding) {
    // The last octet counts the padding, itself included (§5.1); it cannot reach the header.
    const std::uint8_t count = wire::u8(p + end - 1);
    if (count == 0 || count > end - pos) return RtpErrc::BadPadding;
    out.padding = count;
    end -= count;
  }
  out.payload = in.subspan(pos, end - pos);
  return out;
}

base::Result<std::size_t> serialize_rtp(const RtpPacket& pk, base::MutableByteView out) noexcept {
  if (pk.payload_type > 127 || pk.csrc_count > kRtpMaxCsrcs) return RtpErrc::BadField;
  if (pk.extension && (pk.extension->data.size() % 4 != 0 ||
                       pk.extension->data.size() / 4 > 0xFFFF)) {
    return RtpErrc::BadField;
  }
  const std::size_t size = pk.wire_size();
  if (out.size() < size) return RtpErrc::BufferTooSmall;
  std::byte* p = out.data();
  std::uint32_t b0 = 2u << 6 | pk.csrc_count;
  if (pk.padding != 0) b0 |= 0x20;
  if (pk.extension) b0 |= 0x10;
  wire::put8(p, b0);
  wire::put8(p + 1, (pk.marker ? 0x80u : 0u) | pk.payload_type);
  wire::put16(p + 2, pk.sequence);
  wire::put32(p + 4, pk.timestamp);
  wire::put32(p + 8, pk.ssrc);
  std::size_t pos = kRtpFixedHeaderBytes;
  for (std::uint32_t c : pk.csrcs()) {
    wire::put32(p + pos, c);
    pos += 4;
  }
  if (pk.extension) {
    wire::put16(p + pos, pk.extension->profile);
    wire::put16(p + pos + 2, static_cast<std::uint32_t>(pk.extension->data.size() / 4));
    pos += 4;
    if (!pk.extension->data.empty()) {
      std::memcpy(p + pos, pk.extension->data.data(), pk.extension->data.size());
    }
    pos += pk.extension->data.size();
  }
  if (!pk.payload.empty()) std::memcpy(p + pos, pk.payload.data(), pk.payload.size());
  pos += pk.payload.size();
  if (pk.padding != 0) {
    std::memset(p + pos, 0, pk.padding - 1u);
    pos += pk.padding;
    wire::put8(p + pos - 1, pk.padding);
  }
  return pos;
}

base::Result<std::vector<std::byte>> serialize_rtp(const RtpPacket& p) {
  std::vector<std::byte> out(p.wire_size());
  auto n = serialize_rtp(p, out);
  if (!n) return n.error();
  return out;
}

bool looks_like_rtcp(base::ByteView datagram) noexcept {
  if (datagram.size() < 2) return false;
  const std::uint8_t type = wire::u8(datagram.data() + 1);
  return type >= 192 && type <= 223;
}

}  // namespace warden::media
