// RTCP compound codec (RFC 3550 §6.4 - §6.6, A.2) and the time helpers of §6.4.1: a hand-made
// SR + SDES + BYE compound, refusals, every truncation, every single-byte mutation (grind),
// seeded random compounds round-tripping, and the RTT example of §6.4.1 (Figure 2).
#include "media/rtcp.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "media/rtp_packet.hpp"
#include "media_test_util.hpp"

using namespace warden::media;
using namespace std::chrono_literals;
using warden::media::test::ExactCopy;
using warden::media::test::hex;

namespace {

const auto kCompound = hex(
    // SR, RC=1, length 12
    "81 c8 000c 11111111 e1234567 89abcdef 00001000 00000064 00003e80"
    "22222222 40 fffffe 00010005 00000010 45678901 00018000"
    // SDES, SC=1, length 4: CNAME "a@example", end, no more padding needed
    "81 ca 0004 11111111 01 09 61406578616d706c65 00"
    // BYE, SC=1, length 3: reason "done" and three octets of padding
    "81 cb 0003 11111111 04 646f6e65 000000");
constexpr std::size_t kSrEnd = 52, kSdesEnd = 72;

RtpErrc errc_hex(std::string_view text, const RtcpLimits& limits = {}) {
  const auto bytes = hex(text);
  auto r = parse_rtcp(bytes, limits);
  if (r) return RtpErrc::Ok;
  EXPECT_EQ(r.error().category(), rtp_category());
  return static_cast<RtpErrc>(r.error().value());
}

}  // namespace

TEST(Rtcp, ParsesSenderReportSdesAndBye) {
  auto r = parse_rtcp(kCompound);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->packets.size(), 3u);
  const auto& sr = std::get<SenderReport>(r->packets[0]);
  EXPECT_EQ(sr.ssrc, 0x11111111u);
  EXPECT_EQ(sr.sender.ntp_timestamp, 0xe123456789abcdefull);
  EXPECT_EQ(sr.sender.rtp_timestamp, 0x1000u);
  EXPECT_EQ(sr.sender.packet_count, 100u);
  EXPECT_EQ(sr.sender.octet_count, 16000u);
  ASSERT_EQ(sr.blocks.size(), 1u);
  const ReportBlock& b = sr.blocks[0];
  EXPECT_EQ(b.ssrc, 0x22222222u);
  EXPECT_EQ(b.fraction_lost, 0x40);  // a quarter
  EXPECT_EQ(b.cumulative_lost, -2);  // 24-bit two's complement
  EXPECT_EQ(b.extended_highest_sequence, 0x10005u);
  EXPECT_EQ(b.jitter, 16u);
  EXPECT_EQ(b.last_sr, 0x45678901u);
  EXPECT_EQ(b.delay_since_last_sr, 0x18000u);
  EXPECT_TRUE(sr.extension.empty());

  const auto& sdes = std::get<SourceDescription>(r->packets[1]);
  ASSERT_EQ(sdes.chunks.size(), 1u);
  EXPECT_EQ(sdes.chunks[0].ssrc, 0x11111111u);
  EXPECT_EQ(sdes.chunks[0].cname(), "a@example");

  const auto& bye = std::get<Bye>(r->packets[2]);
  ASSERT_EQ(bye.ssrcs.size(), 1u);
  EXPECT_EQ(bye.reason, "done");

  auto bytes = serialize_rtcp(*r);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, kCompound);
  EXPECT_EQ(rtcp_wire_size(*r), kCompound.size());
}

TEST(Rtcp, ReceiverReportAndUnknownTypesAreKept) {
  // RR with no blocks, then an APP packet (204, subtype 3, name "WARD", 4 bytes of data),
  // then an RFC 4585 generic NACK (205, FMT 1).
  const auto bytes = hex(
      "80 c9 0001 0000abcd"
      "83 cc 0003 0000abcd 57415244 01020304"
      "81 cd 0003 0000abcd 0000ef01 00050000");
  auto r = parse_rtcp(bytes);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->packets.size(), 3u);
  EXPECT_EQ(std::get<ReceiverReport>(r->packets[0]).ssrc, 0xabcdu);
  const auto& app = std::get<UnknownRtcp>(r->packets[1]);
  EXPECT_EQ(app.packet_type, 204);
  EXPECT_EQ(app.count, 3);
  EXPECT_EQ(app.body.size(), 12u);
  EXPECT_EQ(std::get<UnknownRtcp>(r->packets[2]).packet_type, 205);
  auto again = serialize_rtcp(*r);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, bytes);
}

TEST(Rtcp, CumulativeLostSignExtension) {
  ReportBlock b;
  for (std::int32_t v : {0, 1, -1, 0x7FFFFF, -0x800000, 12345, -12345}) {
    b.cumulative_lost = v;
    RtcpCompound c{{ReceiverReport{7, {b}, {}}}};
    auto bytes = serialize_rtcp(c);
    ASSERT_TRUE(bytes);
    auto back = parse_rtcp(*bytes);
    ASSERT_TRUE(back);
    EXPECT_EQ(std::get<ReceiverReport>(back->packets[0]).blocks[0].cumulative_lost, v);
  }
}

TEST(Rtcp, PaddingOnTheLastPacket) {
  // RR with 8 bytes of padding (P set, count 8), and the same padding on a packet that is
  // not the last.
  auto r = errc_hex("a0 c9 0003 0000abcd 00000000 00000008");
  EXPECT_EQ(r, RtpErrc::Ok);
  EXPECT_EQ(errc_hex("a0 c9 0003 0000abcd 00000000 00000008 80 c9 0001 00000001"),
            RtpErrc::BadPadding);
  EXPECT_EQ(errc_hex("a0 c9 0001 0000ab00"), RtpErrc::BadPadding);  // count 0
  EXPECT_EQ(errc_hex("a0 c9 0001 0000ab09"), RtpErrc::BadPadding);  // beyond the body
}

TEST(Rtcp, Refusals) {
  EXPECT_EQ(errc_hex(""), RtpErrc::Truncated);
  EXPECT_EQ(errc_hex("80 c9 00"), RtpErrc::Truncated);
  EXPECT_EQ(errc_hex("40 c9 0001 0000abcd"), RtpErrc::BadVersion);
  EXPECT_EQ(errc_hex("80 c9 0002 0000abcd"), RtpErrc::Truncated);     // length past the end
  EXPECT_EQ(errc_hex("81 c9 0001 0000abcd"), RtpErrc::BadLength);     // RC=1 without a block
  EXPECT_EQ(errc_hex("80 c8 0001 0000abcd"), RtpErrc::BadLength);     // SR without sender info
  EXPECT_EQ(errc_hex("80 c9 0000"), RtpErrc::BadLength);              // RR without SSRC
  // Not starting with SR/RR, unless reduced-size RTCP is allowed.
  EXPECT_EQ(errc_hex("81 cb 0001 0000abcd"), RtpErrc::BadCompound);
  RtcpLimits rsize;
  rsize.allow_reduced_size = true;
  EXPECT_EQ(errc_hex("81 cb 0001 0000abcd", rsize), RtpErrc::Ok);
  // SDES: no end item; an item running past the chunk; a second chunk missing.
  EXPECT_EQ(errc_hex("80 c9 0001 00000001 81 ca 0002 00000001 01016100"), RtpErrc::Ok);
  EXPECT_EQ(errc_hex("80 c9 0001 00000001 81 ca 0002 00000001 01026162"), RtpErrc::BadSdes);
  EXPECT_EQ(errc_hex("80 c9 0001 00000001 81 ca 0002 00000001 01096162"), RtpErrc::BadSdes);
  EXPECT_EQ(errc_hex("80 c9 0001 00000001 82 ca 0002 00000001 01016100"), RtpErrc::BadSdes);
  // SDES followed by stray words.
  EXPECT_EQ(errc_hex("80 c9 0001 00000001 81 ca 0003 00000001 01016100 00000000"),
            RtpErrc::BadSdes);
  // BYE: reason longer than the packet; SSRC count past the body.
  EXPECT_EQ(errc_hex("80 c9 0001 00000001 81 cb 0002 00000001 09616263"), RtpErrc::BadBye);
  EXPECT_EQ(errc_hex("80 c9 0001 00000001 82 cb 0001 00000001"), RtpErrc::BadLength);
}

TEST(Rtcp, Limits) {
  RtcpLimits small;
  small.max_packet_bytes = kCompound.size() - 1;
  EXPECT_EQ(parse_rtcp(kCompound, small).error(), make_error_code(RtpErrc::TooLarge));
  small = {};
  small.max_packets = 2;
  EXPECT_EQ(parse_rtcp(kCompound, small).error(), make_error_code(RtpErrc::TooManyPackets));
  small = {};
  small.max_sdes_items = 1;
  EXPECT_EQ(errc_hex("80 c9 0001 00000001 81 ca 0003 00000001 01016102 01620000", small),
            RtpErrc::TooManyItems);
  EXPECT_EQ(errc_hex("80 c9 0001 00000001 81 ca 0003 00000001 01016102 01620000"), RtpErrc::Ok);
}

TEST(Rtcp, BuildRefusals) {
  RtcpCompound c{{ReceiverReport{1, std::vector<ReportBlock>(32), {}}}};
  EXPECT_EQ(serialize_rtcp(c).error(), make_error_code(RtpErrc::BadField));
  const std::string long_text(256, 'x');
  c.packets = {SourceDescription{{SdesChunk{1, {SdesItem{1, long_text}}}}}};
  EXPECT_EQ(serialize_rtcp(c).error(), make_error_code(RtpErrc::BadField));
  c.packets = {SourceDescription{{SdesChunk{1, {SdesItem{0, "x"}}}}}};
  EXPECT_EQ(serialize_rtcp(c).error(), make_error_code(RtpErrc::BadField));
  // An opaque body of 3 bytes needs padding: allowed only on the last packet.
  const std::byte three[3]{std::byte{1}, std::byte{2}, std::byte{3}};
  c.packets = {ReceiverReport{1, {}, {}}, UnknownRtcp{204, 0, three}};
  auto last = serialize_rtcp(c);
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, hex("80 c9 0001 00000001 a0 cc 0001 01020301"));
  c.packets.push_back(ReceiverReport{2, {}, {}});
  EXPECT_EQ(serialize_rtcp(c).error(), make_error_code(RtpErrc::BadField));
  c.packets = {ReceiverReport{1, {}, {}}};
  std::byte tiny[7];
  EXPECT_EQ(serialize_rtcp(c, tiny).error(), make_error_code(RtpErrc::BufferTooSmall));
}

TEST(Rtcp, SdesChunkPaddingLengths) {
  // Item text lengths 0..8 give every amount of end padding (1-4 null octets).
  for (std::size_t n = 0; n <= 8; ++n) {
    const std::string text(n, 'c');
    RtcpCompound c{{ReceiverReport{1, {}, {}},
                    SourceDescription{{SdesChunk{1, {SdesItem{1, text}, SdesItem{6, "warden"}}},
                                       SdesChunk{2, {}}}}}};
    auto bytes = serialize_rtcp(c);
    ASSERT_TRUE(bytes);
    EXPECT_EQ(bytes->size() % 4, 0u);
    auto back = parse_rtcp(*bytes);
    ASSERT_TRUE(back) << n << " " << back.error().message();
    EXPECT_EQ(*back, c);
  }
}

// Every prefix in an exact-size block: a prefix ending on a packet boundary parses to fewer
// packets; any other prefix fails with an RtpErrc.
TEST(Rtcp, EveryTruncationFailsCleanly) {
  for (std::size_t n = 0; n < kCompound.size(); ++n) {
    ExactCopy copy(kCompound, n);
    auto r = parse_rtcp(copy.view());
    if (n == kSrEnd || n == kSdesEnd) {
      ASSERT_TRUE(r) << n;
      EXPECT_EQ(r->packets.size(), n == kSrEnd ? 1u : 2u);
    } else {
      ASSERT_FALSE(r) << n;
      EXPECT_EQ(r.error().category(), rtp_category());
    }
  }
}

// Grind: every byte replaced by several values; whatever parses must serialize to bytes that
// parse to the same packets.
TEST(Rtcp, EveryByteMutation) {
  int parsed = 0;
  for (std::size_t i = 0; i < kCompound.size(); ++i) {
    for (int v : {0x00, 0x01, 0x03, 0x20, 0x7f, 0x80, 0xa1, 0xc9, 0xcc, 0xff}) {
      auto bytes = kCompound;
      bytes[i] = static_cast<std::byte>(v);
      ExactCopy copy(bytes, bytes.size());
      auto r = parse_rtcp(copy.view());
      if (!r) continue;
      ++parsed;
      auto again = serialize_rtcp(*r);
      ASSERT_TRUE(again) << i;
      auto back = parse_rtcp(*again);
      ASSERT_TRUE(back) << i << " " << back.error().message();
      EXPECT_EQ(*back, *r) << i;
    }
  }
  EXPECT_GT(parsed, 100);
}

TEST(Rtcp, RandomCompoundsRoundTrip) {
  struct Rng {
    std::mt19937 engine;
    std::uint32_t operator()() { return static_cast<std::uint32_t>(engine()); }
  } rng{std::mt19937(3550)};
  const std::string text = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::vector<std::byte> opaque(64);
  for (auto& b : opaque) b = static_cast<std::byte>(rng());
  auto block = [&] {
    ReportBlock b;
    b.ssrc = rng();
    b.fraction_lost = static_cast<std::uint8_t>(rng());
    b.cumulative_lost = static_cast<std::int32_t>(rng() % 0x1000000) - 0x800000;
    b.extended_highest_sequence = rng();
    b.jitter = rng();
    b.last_sr = rng();
    b.delay_since_last_sr = rng();
    return b;
  };
  for (int round = 0; round < 500; ++round) {
    RtcpCompound c;
    const auto n = 1 + rng() % 6;
    for (std::uint32_t k = 0; k < n; ++k) {
      const auto kind = k == 0 ? rng() % 2 : rng() % 5;
      if (kind == 0) {
        SenderReport sr{rng(), {std::uint64_t{rng()} << 32 | rng(), rng(), rng(), rng()}, {}, {}};
        for (auto b = rng() % 4; b > 0; --b) sr.blocks.push_back(block());
        if (rng() % 3 == 0) sr.extension = std::span(opaque).first(4 * (rng() % 4));
        c.packets.push_back(sr);
      } else if (kind == 1) {
        ReceiverReport rr{rng(), {}, {}};
        for (auto b = rng() % 4; b > 0; --b) rr.blocks.push_back(block());
        c.packets.push_back(rr);
      } else if (kind == 2) {
        SourceDescription sd;
        for (auto ch = rng() % 3; ch > 0; --ch) {
          SdesChunk chunk{rng(), {}};
          for (auto it = rng() % 4; it > 0; --it) {
            chunk.items.push_back({static_cast<std::uint8_t>(1 + rng() % 8),
                                   std::string_view(text).substr(0, rng() % text.size())});
          }
          sd.chunks.push_back(chunk);
        }
        c.packets.push_back(sd);
      } else if (kind == 3) {
        Bye bye;
        for (auto s = rng() % 3; s > 0; --s) bye.ssrcs.push_back(rng());
        bye.reason = std::string_view(text).substr(0, rng() % 10);
        c.packets.push_back(bye);
      } else {
        c.packets.push_back(UnknownRtcp{static_cast<std::uint8_t>(204 + rng() % 4),
                                        static_cast<std::uint8_t>(rng() % 32),
                                        std::span(opaque).first(4 * (rng() % 8))});
      }
    }
    auto bytes = serialize_rtcp(c);
    ASSERT_TRUE(bytes) << bytes.error().message();
    ASSERT_EQ(bytes->size(), rtcp_wire_size(c));
    auto back = parse_rtcp(*bytes);
    ASSERT_TRUE(back) << round << " " << back.error().message();
    EXPECT_EQ(*back, c);
  }
}

TEST(RtcpTime, NtpTimestamps) {
  EXPECT_EQ(to_ntp(warden::base::WallTime{}), std::uint64_t{2208988800} << 32);
  EXPECT_EQ(to_ntp(warden::base::WallTime{1500ms}), (std::uint64_t{2208988801} << 32) | 0x80000000u);
  EXPECT_EQ(ntp_middle32(0x0000b710'80000000ull), 0xb7108000u);
  EXPECT_EQ(to_dlsr_units(5250ms), 0x00054000u);
  EXPECT_EQ(to_dlsr_units(-1s), 0u);
  EXPECT_EQ(to_dlsr_units(std::chrono::hours(24)), 0xFFFFFFFFu);
}

// RFC 3550 §6.4.1, Figure 2: A = 0xb710:8000, LSR = 0xb705:2000, DLSR = 0x0005:4000 give
// an RTT of 6.125 s.
TEST(RtcpTime, RoundTripTimeOfTheRfcExample) {
  ReportBlock b;
  b.last_sr = 0xb7052000u;
  b.delay_since_last_sr = 0x00054000u;
  const std::uint64_t arrival = std::uint64_t{0xb7108000u} << 16;
  auto rtt = round_trip_time(b, arrival);
  ASSERT_TRUE(rtt);
  EXPECT_EQ(*rtt, 6125ms);
  b.last_sr = 0;  // no SR received yet
  EXPECT_FALSE(round_trip_time(b, arrival));
  b.last_sr = 0xb7052000u;
  b.delay_since_last_sr = 0x000C0000u;  // 12 s: would be negative
  EXPECT_FALSE(round_trip_time(b, arrival));
}

// The committed fuzz seeds are meaningful: each one parses (the reduced-size one with
// allow_reduced_size), and so does each RTP seed except the receive-path script.
TEST(FuzzSeeds, ParseCleanly) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(WARDEN_SOURCE_DIR) / "src/media/fuzz/corpus";
  int seen = 0;
  for (const char* kind : {"rtp", "rtcp"}) {
    for (const auto& entry : fs::directory_iterator(root / kind)) {
      std::ifstream f(entry.path(), std::ios::binary);
      const std::vector<char> raw((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      const auto bytes = std::as_bytes(std::span(raw));
      const std::string name = entry.path().filename().string();
      if (std::string_view(kind) == "rtp") {
        if (name.starts_with("script-")) continue;
        EXPECT_TRUE(parse_rtp(bytes)) << name;
      } else {
        RtcpLimits limits;
        limits.allow_reduced_size = name.find("rsize") != std::string::npos;
        auto r = parse_rtcp(bytes, limits);
        EXPECT_TRUE(r) << name << ": " << (r ? "" : r.error().message());
      }
      ++seen;
    }
  }
  EXPECT_GE(seen, 8);
}
