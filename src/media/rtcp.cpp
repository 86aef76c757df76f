#include "media/rtcp.hpp"

#include <algorithm>
#include <cstring>

#include "media/rtp_byte_order.hpp"

namespace warden::media {

namespace {

constexpr std::size_t kHeaderBytes = 4;
constexpr std::size_t kReportBlockBytes = 24;
constexpr std::size_t kSenderInfoBytes = 20;
constexpr std::size_t kMaxCount = 31;  // the 5-bit RC/SC field

bool same_bytes(base::ByteView a, base::ByteView b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

constexpr std::size_t pad4(std::size_t n) noexcept { return (n + 3) & ~std::size_t{3}; }

ReportBlock read_block(const std::byte* p) noexcept {
  ReportBlock b;
  b.ssrc = wire::u32(p);
  b.fraction_lost = wire::u8(p + 4);
  // Sign-extend the 24-bit two's complement count.
  const std::uint32_t raw = wire::u24(p + 5);
  b.cumulative_lost = static_cast<std::int32_t>(raw ^ 0x800000u) - 0x800000;
  b.extended_highest_sequence = wire::u32(p + 8);
  b.jitter = wire::u32(p + 12);
  b.last_sr = wire::u32(p + 16);
  b.delay_since_last_sr = wire::u32(p + 20);
  return b;
}

void write_block(std::byte* p, const ReportBlock& b) noexcept {
  wire::put32(p, b.ssrc);
  wire::put8(p + 4, b.fraction_lost);
  wire::put24(p + 5, static_cast<std::uint32_t>(b.cumulative_lost) & 0xFFFFFFu);
  wire::put32(p + 8, b.extended_highest_sequence);
  wire::put32(p + 12, b.jitter);
  wire::put32(p + 16, b.last_sr);
  wire::put32(p + 20, b.delay_since_last_sr);
}

base::Result<std::vector<ReportBlock>> read_blocks(base::ByteView body, std::size_t count) {
  if (body.size() < count * kReportBlockBytes) return RtpErrc::BadLength;
  std::vector<ReportBlock> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.push_back(read_block(body.data() + i * kReportBlockBytes));
  return out;
}

base::Result<SourceDescription> read_sdes(base::ByteView body, std::size_t count,
                                          const RtcpLimits& limits) {
  SourceDescription out;
  out.chunks.reserve(count);
  std::size_t pos = 0;
  for (std::size_t c = 0; c < count; ++c) {
    if (body.size() - pos < 4) return RtpErrc::BadSdes;
    SdesChunk chunk;
    chunk.ssrc = wire::u32(body.data() + pos);
    pos += 4;
    for (;;) {
      if (pos >= body.size()) return RtpErrc::BadSdes;  // no end item
      const std::uint8_t type = wire::u8(body.data() + pos);
      if (type == 0) {
        // The list ends with a null octet; nulls pad the chunk to a 32-bit boundary (§6.5).
        pos = pad4(pos + 1);
        if (pos > body.size()) return RtpErrc::BadSdes;
        break;
      }
      if (body.size() - pos < 2) return RtpErrc::BadSdes;
      const std::size_t len = wire::u8(body.data() + pos + 1);
      if (body.size() - pos - 2 < len) return RtpErrc::BadSdes;
      if (chunk.items.size() >= limits.max_sdes_items) return RtpErrc::TooManyItems;
      chunk.items.push_back({type, base::as_chars(body.subspan(pos + 2, len))});
      pos += 2 + len;
    }
    out.chunks.push_back(std::move(chunk));
  }
  if (pos != body.size()) return RtpErrc::BadSdes;
  return out;
}

base::Result<Bye> read_bye(base::ByteView body, std::size_t count) {
  if (body.size() < 4 * count) return RtpErrc::BadLength;
  Bye out;
  out.ssrcs.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.ssrcs.push_back(wire::u32(body.data() + 4 * i));
  std::size_t pos = 4 * count;
  if (pos == body.size()) return out;
  const std::size_t len = wire::u8(body.data() + pos);
  // The reason and its length octet are padded to a 32-bit boundary, nothing else follows
  // (when the P bit already removed that padding, the reason ends the body).
  const std::size_t end = pos + 1 + len;
  if (end != body.size() && pad4(end) != body.size()) return RtpErrc::BadBye;
  out.reason = base::as_chars(body.subspan(pos + 1, len));
  return out;
}

base::Result<RtcpPacket> read_packet(std::uint8_t type, std::size_t count, base::ByteView body,
                                     const RtcpLimits& limits) {
  switch (type) {
    case static_cast<std::uint8_t>(RtcpType::SenderReport): {
      if (body.size() < 4 + kSenderInfoBytes) return RtpErrc::BadLength;
      SenderReport sr;
      sr.ssrc = wire::u32(body.data());
      sr.sender.ntp_timestamp = wire::u64(body.data() + 4);
      sr.sender.rtp_timestamp = wire::u32(body.data() + 12);
      sr.sender.packet_count = wire::u32(body.data() + 16);
      sr.sender.octet_count = wire::u32(body.data() + 20);
      auto blocks = read_blocks(body.subspan(24), count);
      if (!blocks) return blocks.error();
      sr.blocks = std::move(*blocks);
      sr.extension = body.subspan(24 + count * kReportBlockBytes);
      return RtcpPacket{std::move(sr)};
    }
    case static_cast<std::uint8_t>(RtcpType::ReceiverReport): {
      if (body.size() < 4) return RtpErrc::BadLength;
      ReceiverReport rr;
      rr.ssrc = wire::u32(body.data());
      auto blocks = read_blocks(body.subspan(4), count);
      if (!blocks) return blocks.error();
      rr.blocks = std::move(*blocks);
      rr.extension = body.subspan(4 + count * kReportBlockBytes);
      return RtcpPacket{std::move(rr)};
    }
    case static_cast<std::uint8_t>(RtcpType::SourceDescription): {
      auto sdes = read_sdes(body, count, limits);
      if (!sdes) return sdes.error();
      return RtcpPacket{std::move(*sdes)};
    }
    case static_cast<std::uint8_t>(RtcpType::Bye): {
      auto bye = read_bye(body, count);
      if (!bye) return bye.error();
      return RtcpPacket{std::move(*bye)};
    }
    default:
      return RtcpPacket{UnknownRtcp{type, static_cast<std::uint8_t>(count), body}};
  }
}

// ---- building ----

std::size_t sdes_body_size(const SourceDescription& s) noexcept {
  std::size_t n = 0;
  for (const SdesChunk& c : s.chunks) {
    std::size_t items = 0;
    for (const SdesItem& i : c.items) items += 2 + i.text.size();
    n += 4 + pad4(items + 1);  // at least one null octet ends the list
  }
  return n;
}

std::size_t body_size(const RtcpPacket& p) noexcept {
  struct Sizer {
    std::size_t operator()(const SenderReport& s) const noexcept {
      return 4 + kSenderInfoBytes + s.blocks.size() * kReportBlockBytes + s.extension.size();
    }
    std::size_t operator()(const ReceiverReport& r) const noexcept {
      return 4 + r.blocks.size() * kReportBlockBytes + r.extension.size();
    }
    std::size_t operator()(const SourceDescription& s) const noexcept { return sdes_body_size(s); }
    std::size_t operator()(const Bye& b) const noexcept {
      return 4 * b.ssrcs.size() + (b.reason.empty() ? 0 : pad4(1 + b.reason.size()));
    }
    std::size_t operator()(const UnknownRtcp& u) const noexcept { return u.body.size(); }
  };
  return std::visit(Sizer{}, p);
}

bool fits_fields(const RtcpPacket& p) noexcept {
  struct Checker {
    bool operator()(const SenderReport& s) const noexcept {
      return s.blocks.size() <= kMaxCount;
    }
    bool operator()(const ReceiverReport& r) const noexcept {
      return r.blocks.size() <= kMaxCount;
    }
    bool operator()(const SourceDescription& s) const noexcept {
      if (s.chunks.size() > kMaxCount) return false;
      for (const SdesChunk& c : s.chunks) {
        for (const SdesItem& i : c.items) {
          if (i.type == 0 || i.text.size() > 255) return false;
        }
      }
      return true;
    }
    bool operator()(const Bye& b) const noexcept {
      return b.ssrcs.size() <= kMaxCount && b.reason.size() <= 255;
    }
    bool operator()(const UnknownRtcp& u) const noexcept {
      return u.count <= kMaxCount;
    }
  };
  return std::visit(Checker{}, p);
}

std::uint8_t type_of(const RtcpPacket& p) noexcept {
  switch (p.index()) {
    case 0: return static_cast<std::uint8_t>(RtcpType::SenderReport);
    case 1: return static_cast<std::uint8_t>(RtcpType::ReceiverReport);
    case 2: return static_cast<std::uint8_t>(RtcpType::SourceDescription);
    case 3: return static_cast<std::uint8_t>(RtcpType::Bye);
    default: return std::get<UnknownRtcp>(p).packet_type;
  }
}

std::size_t count_of(const RtcpPacket& p) noexcept {
  struct Counter {
    std::size_t operator()(const SenderReport& s) const noexcept { return s.blocks.size(); }
    std::size_t operator()(const ReceiverReport& r) const noexcept { return r.blocks.size(); }
    std::size_t operator()(const SourceDescription& s) const noexcept { return s.chunks.size(); }
    std::size_t operator()(const Bye& b) const noexcept { return b.ssrcs.size(); }
    std::size_t operator()(const UnknownRtcp& u) const noexcept { return u.count; }
  };
  return std::visit(Counter{}, p);
}

void copy_bytes(std::byte* to, const void* from, std::size_t n) noexcept {
  if (n != 0) std::memcpy(to, from, n);
}

// Writes the body of `p` at `b` (body_size(p) bytes, zeroed by the caller).
void write_body(std::byte* b, const RtcpPacket& p) noexcept {
  if (const auto* sr = std::get_if<SenderReport>(&p)) {
    wire::put32(b, sr->ssrc);
    wire::put64(b + 4, sr->sender.ntp_timestamp);
    wire::put32(b + 12, sr->sender.rtp_timestamp);
    wire::put32(b + 16, sr->sender.packet_count);
    wire::put32(b + 20, sr->sender.octet_count);
    std::size_t pos = 24;
    for (const ReportBlock& rb : sr->blocks) {
      write_block(b + pos, rb);
      pos += kReportBlockBytes;
    }
    copy_bytes(b + pos, sr->extension.data(), sr->extension.size());
  } else if (const auto* rr = std::get_if<ReceiverReport>(&p)) {
    wire::put32(b, rr->ssrc);
    std::size_t pos = 4;
    for (const ReportBlock& rb : rr->blocks) {
      write_block(b + pos, rb);
      pos += kReportBlockBytes;
    }
    copy_bytes(b + pos, rr->extension.data(), rr->extension.size());
  } else if (const auto* sd = std::get_if<SourceDescription>(&p)) {
    std::size_t pos = 0;
    for (const SdesChunk& c : sd->chunks) {
      wire::put32(b + pos, c.ssrc);
      pos += 4;
      const std::size_t start = pos;
      for (const SdesItem& i : c.items) {
        wire::put8(b + pos, i.type);
        wire::put8(b + pos + 1, static_cast<std::uint32_t>(i.text.size()));
        copy_bytes(b + pos + 2, i.text.data(), i.text.size());
        pos += 2 + i.text.size();
      }
      pos = start + pad4(pos - start + 1);  // the end item and padding are the zeros
    }
  } else if (const auto* bye = std::get_if<Bye>(&p)) {
    std::size_t pos = 0;
    for (std::uint32_t s : bye->ssrcs) {
      wire::put32(b + pos, s);
      pos += 4;
    }
    if (!bye->reason.empty()) {
      wire::put8(b + pos, static_cast<std::uint32_t>(bye->reason.size()));
      copy_bytes(b + pos + 1, bye->reason.data(), bye->reason.size());
    }
  } else {
    const auto& u = std::get<UnknownRtcp>(p);
    copy_bytes(b, u.body.data(), u.body.size());
  }
}

}  // namespace

bool SenderReport::operator==(const SenderReport& o) const noexcept {
  return ssrc == o.ssrc && sender == o.sender && blocks == o.blocks &&
         same_bytes(extension, o.extension);
}

bool ReceiverReport::operator==(const ReceiverReport& o) const noexcept {
  return ssrc == o.ssrc && blocks == o.blocks && same_bytes(extension, o.extension);
}

bool UnknownRtcp::operator==(const UnknownRtcp& o) const noexcept {
  return packet_type == o.packet_type && count == o.count && same_bytes(body, o.body);
}

std::optional<std::string_view> SdesChunk::cname() const noexcept {
  for (const SdesItem& i : items) {
    if (i.type == static_cast<std::uint8_t>(SdesType::Cname)) return i.text;
  }
  return std::nullopt;
}

base::Result<RtcpCompound> parse_rtcp(base::ByteView in, const RtcpLimits& limits) {
  if (in.size() > limits.max_packet_bytes) return RtpErrc::TooLarge;
  if (in.size() < kHeaderBytes) return RtpErrc::Truncated;
  RtcpCompound out;
  std::size_t pos = 0;
  while (pos < in.size()) {
    if (in.size() - pos < kHeaderBytes) return RtpErrc::Truncated;
    const std::byte* h = in.data() + pos;
    const std::uint8_t b0 = wire::u8(h);
    const std::uint8_t type = wire::u8(h + 1);
    const std::size_t bytes = (std::size_t{wire::u16(h + 2)} + 1) * 4;
    if ((b0 >> 6) != 2) return RtpErrc::BadVersion;
    if (in.size() - pos < bytes) return RtpErrc::Truncated;
    if (out.packets.empty() && !limits.allow_reduced_size &&
        type != static_cast<std::uint8_t>(RtcpType::SenderReport) &&
        type != static_cast<std::uint8_t>(RtcpType::ReceiverReport)) {
      return RtpErrc::BadCompound;
    }
    if (out.packets.size() >= limits.max_packets) return RtpErrc::TooManyPackets;
    std::size_t body_end = bytes;
    if ((b0 & 0x20) != 0) {
      // Only the last packet of a compound may be padded (Appendix A.2).
      if (pos + bytes != in.size()) return RtpErrc::BadPadding;
      const std::uint8_t pad = wire::u8(h + bytes - 1);
      if (pad == 0 || pad > bytes - kHeaderBytes) return RtpErrc::BadPadding;
      body_end -= pad;
    }
    const base::ByteView body = in.subspan(pos + kHeaderBytes, body_end - kHeaderBytes);
    auto packet = read_packet(type, b0 & 0x1F, body, limits);
    if (!packet) return packet.error();
    out.packets.push_back(std::move(*packet));
    pos += bytes;
  }
  return out;
}

std::size_t rtcp_wire_size(const RtcpCompound& c) noexcept {
  std::size_t n = 0;
  for (const RtcpPacket& p : c.packets) n += kHeaderBytes + pad4(body_size(p));
  return n;
}

base::Result<std::size_t> serialize_rtcp(const RtcpCompound& c, base::MutableByteView out) noexcept {
  for (std::size_t i = 0; i < c.packets.size(); ++i) {
    const RtcpPacket& p = c.packets[i];
    if (!fits_fields(p)) return RtpErrc::BadField;
    const std::size_t body = body_size(p);
    if ((kHeaderBytes + pad4(body)) / 4 - 1 > 0xFFFF) return RtpErrc::BadField;
    // An opaque body or extension that is not whole words needs the P bit: last packet only.
    if (body % 4 != 0 && i + 1 != c.packets.size()) return RtpErrc::BadField;
  }
  const std::size_t size = rtcp_wire_size(c);
  if (out.size() < size) return RtpErrc::BufferTooSmall;
  std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(size), std::byte{0});
  std::size_t pos = 0;
  for (const RtcpPacket& p : c.packets) {
    const std::size_t body = body_size(p);
    const std::size_t bytes = kHeaderBytes + pad4(body);
    std::byte* h = out.data() + pos;
    const std::uint32_t padding = static_cast<std::uint32_t>(bytes - kHeaderBytes - body);
    wire::put8(h, 2u << 6 | (padding != 0 ? 0x20u : 0u) | static_cast<std::uint32_t>(count_of(p)));
    if (padding != 0) wire::put8(h + bytes - 1, padding);
    wire::put8(h + 1, type_of(p));
    wire::put16(h + 2, static_cast<std::uint32_t>(bytes / 4 - 1));
    write_body(h + kHeaderBytes, p);
    pos += bytes;
  }
  return pos;
}

base::Result<std::vector<std::byte>> serialize_rtcp(const RtcpCompound& c) {
  std::vector<std::byte> out(rtcp_wire_size(c));
  auto n = serialize_rtcp(c, out);
  if (!n) return n.error();
  return out;
}

std::uint64_t to_ntp(base::WallTime t) noexcept {
  // 70 years and 17 leap days separate 1900-01-01 from the Unix epoch.
  constexpr std::int64_t kUnixToNtpSeconds = 2208988800;
  const std::int64_t ns = t.time_since_epoch().count();
  std::int64_t secs = ns / 1'000'000'000;
  std::int64_t rem = ns % 1'000'000'000;
  if (rem < 0) {
    rem += 1'000'000'000;
    secs -= 1;
  }
  const auto ntp_secs = static_cast<std::uint64_t>(secs + kUnixToNtpSeconds);
  const auto frac = (static_cast<std::uint64_t>(rem) << 32) / 1'000'000'000u;
  return (ntp_secs << 32) | frac;
}

std::uint32_t to_dlsr_units(base::Duration d) noexcept {
  if (d.count() <= 0) return 0;
  const auto ns = static_cast<std::uint64_t>(d.count());
  const std::uint64_t secs = ns / 1'000'000'000u;
  if (secs >= 65536) return 0xFFFFFFFFu;
  const std::uint64_t frac = ((ns % 1'000'000'000u) << 16) / 1'000'000'000u;
  return static_cast<std::uint32_t>((secs << 16) | frac);
}

std::optional<base::Duration> round_trip_time(const ReportBlock& block,
                                              std::uint64_t arrival_ntp) noexcept {
  if (block.last_sr == 0) return std::nullopt;
  // Modular 32-bit arithmetic: the middle bits of NTP wrap every 18 hours.
  const std::uint32_t since_sr = ntp_middle32(arrival_ntp) - block.last_sr;
  if (since_sr < block.delay_since_last_sr || since_sr > 0x7FFFFFFFu) return std::nullopt;
  const std::uint64_t units = since_sr - block.delay_since_last_sr;  // 1/65536 s
  return base::Duration{static_cast<std::int64_t>((units * 1'000'000'000u) >> 16)};
}

}  // namespace warden::media
