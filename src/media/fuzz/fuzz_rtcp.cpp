// libFuzzer target for the RTCP compound codec. Whatever the bytes:
//  - parse_rtcp() (strict, and with reduced-size RTCP allowed) returns an RtpErrc or packets
//    whose views stay inside the input;
//  - serialize_rtcp() of parsed packets succeeds, takes rtcp_wire_size() bytes, and parses
//    back to equal packets; serializing those again gives the same bytes;
//  - the helpers on what was parsed (CNAME, RTT from each report block) do not misbehave.
// A broken property aborts through __builtin_trap() so libFuzzer records the input.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "media/rtcp.hpp"

using namespace warden::media;

namespace {

void require(bool condition) {
  if (!condition) __builtin_trap();
}

bool inside(const void* p, std::size_t n, std::span<const std::byte> whole) {
  const auto* b = static_cast<const std::byte*>(p);
  return n == 0 || (b >= whole.data() && b + n <= whole.data() + whole.size());
}

void check_views(const RtcpCompound& c, std::span<const std::byte> in) {
  for (const RtcpPacket& p : c.packets) {
    if (const auto* sr = std::get_if<SenderReport>(&p)) {
      require(inside(sr->extension.data(), sr->extension.size(), in));
      for (const ReportBlock& b : sr->blocks) (void)round_trip_time(b, sr->sender.ntp_timestamp);
    } else if (const auto* rr = std::get_if<ReceiverReport>(&p)) {
      require(inside(rr->extension.data(), rr->extension.size(), in));
      for (const ReportBlock& b : rr->blocks) {
        require(b.cumulative_lost >= -0x800000 && b.cumulative_lost <= 0x7FFFFF);
        (void)round_trip_time(b, 0xFFFFFFFFFFFFFFFFull);
      }
    } else if (const auto* sd = std::get_if<SourceDescription>(&p)) {
      for (const SdesChunk& ch : sd->chunks) {
        for (const SdesItem& it : ch.items) require(inside(it.text.data(), it.text.size(), in));
        if (auto cname = ch.cname()) require(cname->size() <= 255);
      }
    } else if (const auto* bye = std::get_if<Bye>(&p)) {
      require(inside(bye->reason.data(), bye->reason.size(), in));
    } else {
      const auto& u = std::get<UnknownRtcp>(p);
      require(inside(u.body.data(), u.body.size(), in));
    }
  }
}

void round_trip(std::span<const std::byte> in, const RtcpLimits& limits) {
  auto first = parse_rtcp(in, limits);
  if (!first) {
    require(first.error().category() == rtp_category());
    return;
  }
  check_views(*first, in);
  auto bytes = serialize_rtcp(*first);
  require(static_cast<bool>(bytes));
  require(bytes->size() == rtcp_wire_size(*first));
  RtcpLimits roomy = limits;
  roomy.max_packet_bytes = 1u << 20;  // our padding may make the datagram a little longer
  auto second = parse_rtcp(*bytes, roomy);
  require(static_cast<bool>(second));
  require(*second == *first);
  auto again = serialize_rtcp(*second);
  require(static_cast<bool>(again));
  require(*again == *bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  RtcpLimits limits;
  limits.max_packet_bytes = 65535;
  round_trip(in, limits);
  limits.allow_reduced_size = true;
  round_trip(in, limits);
  return 0;
}
