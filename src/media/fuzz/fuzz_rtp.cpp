// libFuzzer target for the RTP codec and the receive path behind it. Whatever the bytes:
//  - parse_rtp() returns an RtpErrc or a packet whose views stay inside the input and whose
//    wire size is the input size; serialize_rtp() of that packet parses back to an equal packet
//    and to the same bytes except the padding's filler octets; RFC 8285 elements of its
//    extension rebuild to the same elements;
//  - read as a script of 4-byte records (sequence, arrival step in ms, payload size and
//    push/pop/report/reset flags), the bytes drive an RtpReceiveStats and a JitterBuffer, which
//    must stay within their bounds (capacity, 24-bit loss, never more played than stored).
// A broken property aborts through __builtin_trap() so libFuzzer records the input.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "media/jitter_buffer.hpp"
#include "media/rtp_header_extension.hpp"
#include "media/rtp_packet.hpp"
#include "media/rtp_receive_stats.hpp"

using namespace warden::media;

namespace {

void require(bool condition) {
  if (!condition) __builtin_trap();
}

bool inside(std::span<const std::byte> part, std::span<const std::byte> whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void check_codec(std::span<const std::byte> in) {
  RtpLimits limits;
  limits.max_packet_bytes = 65535;
  auto first = parse_rtp(in, limits);
  if (!first) {
    require(first.error().category() == rtp_category());
    return;
  }
  require(first->wire_size() == in.size());
  require(inside(first->payload, in));
  if (first->extension) require(inside(first->extension->data, in));
  auto bytes = serialize_rtp(*first);
  require(static_cast<bool>(bytes));
  require(bytes->size() == in.size());
  const std::size_t filler = first->padding == 0 ? 0 : first->padding - 1u;
  const std::size_t same = in.size() - first->padding;
  require(std::memcmp(bytes->data(), in.data(), same) == 0);
  require(std::memcmp(bytes->data() + same + filler, in.data() + same + filler, in.size() - same - filler) == 0);
  auto second = parse_rtp(*bytes, limits);
  require(static_cast<bool>(second));
  require(*second == *first);
  if (first->extension) {
    // RFC 8285 elements: views inside the packet; rebuilding them gives the same elements.
    auto elements = parse_extension_elements(*first->extension, 256);
    if (elements) {
      for (const ExtensionElement& e : *elements) require(inside(e.data, in));
      std::vector<std::byte> storage;
      auto rebuilt = build_extension(*elements, storage);
      require(static_cast<bool>(rebuilt));
      auto again = parse_extension_elements(*rebuilt, 256);
      require(static_cast<bool>(again));
      require(*again == *elements);
    } else {
      require(elements.error().category() == rtp_category());
    }
  }
}

void check_receive_path(std::span<const std::byte> in) {
  JitterBufferConfig cfg;
  cfg.capacity = 16;
  cfg.adaptive = (in.size() % 2) == 0;
  JitterBuffer jb(cfg);
  RtpReceiveStats stats(8000);
  warden::base::TimePoint now{};
  std::vector<std::byte> payload(64);
  for (std::size_t i = 0; i + 4 <= in.size(); i += 4) {
    const auto seq = static_cast<std::uint16_t>(std::to_integer<unsigned>(in[i]) << 8 |
                                                std::to_integer<unsigned>(in[i + 1]));
    const unsigned step = std::to_integer<unsigned>(in[i + 2]);
    const unsigned op = std::to_integer<unsigned>(in[i + 3]);
    now += std::chrono::milliseconds(step);
    (void)stats.on_packet(seq, seq * 160u, now);
    (void)jb.push(seq, seq * 160u, false, std::span(payload).first(op % 65), now);
    require(jb.size() <= cfg.capacity);
    if (op & 0x80) jb.reset();
    if (op & 0x40) {
      auto r = jb.pop(now);
      // A frame is the payload pushed for its number: the sizes used here are op % 65.
      if (r.kind == JitterBuffer::PopKind::Frame) require(r.frame.payload.size() <= 64);
    }
    if (op & 0x20) {
      const ReportBlock b = stats.make_report_block(1, now);
      require(b.cumulative_lost >= -0x800000 && b.cumulative_lost <= 0x7FFFFF);
    }
  }
  require(stats.received() <= in.size() / 4);
  require(jb.stats().played <= jb.stats().stored);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  check_codec(in);
  check_receive_path(in);
  return 0;
}
