// RTP header codec (RFC 3550 §5.1, §5.3.1): hand-made vectors, building, every truncation,
// every single-byte mutation (grind), and seeded random packets round-tripping.
#include "media/rtp_packet.hpp"

#include <gtest/gtest.h>

#include <random>
#include <span>
#include <string_view>

#include "media_test_util.hpp"

using namespace warden::media;
using warden::media::test::ExactCopy;
using warden::media::test::hex;

namespace {

RtpErrc errc_of(const warden::base::Result<RtpPacket>& r) {
  if (r) return RtpErrc::Ok;
  EXPECT_EQ(r.error().category(), rtp_category());
  return static_cast<RtpErrc>(r.error().value());
}

// V=2, no P/X, CC=0, M=0, PT=0 (PCMU), seq 1, ts 160, SSRC 0xdeadbeef, two payload bytes.
// Parses bytes given as hex and returns the outcome's code (the bytes die with the call).
RtpErrc errc_of_hex(std::string_view text) {
  const auto bytes = hex(text);
  return errc_of(parse_rtp(bytes));
}

const auto kMinimal = hex("80 00 0001 000000a0 deadbeef ff7f");
// V=2 P X CC=2, M=1 PT=111, seq 0xfffe, ts 0x01020304, SSRC 0x11223344, CSRCs 0xa, 0xb,
// one-byte extension (0xBEDE, 1 word: id 1 len 0 value 0x33, 2 bytes of padding),
// payload "abc", 4 bytes of padding (count 4).
const auto kFull = hex(
    "b2 ef fffe 01020304 11223344 0000000a 0000000b"
    "bede 0001 10330000"
    "616263"
    "00000004");

}  // namespace

TEST(RtpPacket, ParsesMinimalPacket) {
  auto r = parse_rtp(kMinimal);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(r->marker);
  EXPECT_EQ(r->payload_type, 0);
  EXPECT_EQ(r->sequence, 1);
  EXPECT_EQ(r->timestamp, 160u);
  EXPECT_EQ(r->ssrc, 0xdeadbeefu);
  EXPECT_TRUE(r->csrcs().empty());
  EXPECT_FALSE(r->extension);
  EXPECT_EQ(r->padding, 0);
  ASSERT_EQ(r->payload.size(), 2u);
  EXPECT_EQ(r->payload[0], std::byte{0xff});
  EXPECT_EQ(r->payload.data(), kMinimal.data() + 12);  // a view, not a copy
  EXPECT_EQ(r->wire_size(), kMinimal.size());
}

TEST(RtpPacket, ParsesEveryOptionalPart) {
  auto r = parse_rtp(kFull);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->marker);
  EXPECT_EQ(r->payload_type, 111);
  EXPECT_EQ(r->sequence, 0xfffe);
  EXPECT_EQ(r->timestamp, 0x01020304u);
  EXPECT_EQ(r->ssrc, 0x11223344u);
  ASSERT_EQ(r->csrcs().size(), 2u);
  EXPECT_EQ(r->csrcs()[0], 0xau);
  EXPECT_EQ(r->csrcs()[1], 0xbu);
  ASSERT_TRUE(r->extension);
  EXPECT_EQ(r->extension->profile, 0xBEDE);
  EXPECT_TRUE(r->extension->is_one_byte_form());
  EXPECT_FALSE(r->extension->is_two_byte_form());
  EXPECT_EQ(r->extension->data.size(), 4u);
  EXPECT_EQ(r->extension->data[1], std::byte{0x33});
  EXPECT_EQ(warden::base::as_chars(r->payload), "abc");
  EXPECT_EQ(r->padding, 4);
  EXPECT_EQ(r->header_size(), 12u + 8u + 8u);
  EXPECT_EQ(r->wire_size(), kFull.size());
}

TEST(RtpPacket, SerializeGivesTheSameBytes) {
  for (const auto* vec : {&kMinimal, &kFull}) {
    auto r = parse_rtp(*vec);
    ASSERT_TRUE(r);
    auto bytes = serialize_rtp(*r);
    ASSERT_TRUE(bytes);
    EXPECT_EQ(*bytes, *vec);  // the vectors' padding is zeros, as we write it
  }
}

TEST(RtpPacket, BuildsFromFields) {
  const std::string_view payload = "hello";
  RtpPacket p;
  p.marker = true;
  p.payload_type = 8;
  p.sequence = 65535;
  p.timestamp = 0xffffffff;
  p.ssrc = 1;
  EXPECT_TRUE(p.add_csrc(7));
  p.payload = warden::base::as_bytes(payload);
  p.padding = 3;
  auto bytes = serialize_rtp(p);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, hex("a1 88 ffff ffffffff 00000001 00000007 68656c6c6f 000003"));
  auto back = parse_rtp(*bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, p);
}

TEST(RtpPacket, TwoByteExtensionProfile) {
  const auto bytes = hex("90 00 0001 00000000 00000001 1005 0001 01020304");
  auto r = parse_rtp(bytes);
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->extension);
  EXPECT_TRUE(r->extension->is_two_byte_form());
  EXPECT_TRUE(r->payload.empty());
}

TEST(RtpPacket, RefusesBadInput) {
  EXPECT_EQ(errc_of_hex("40 00 0001 000000a0 deadbeef"), RtpErrc::BadVersion);
  EXPECT_EQ(errc_of_hex("c0 00 0001 000000a0 deadbeef"), RtpErrc::BadVersion);
  EXPECT_EQ(errc_of_hex("80 00 0001 000000a0 deadbe"), RtpErrc::Truncated);
  // CC = 1 but no CSRC follows.
  EXPECT_EQ(errc_of_hex("81 00 0001 000000a0 deadbeef"), RtpErrc::Truncated);
  // extension header missing, then extension data shorter than its length.
  EXPECT_EQ(errc_of_hex("90 00 0001 000000a0 deadbeef bede"), RtpErrc::Truncated);
  EXPECT_EQ(errc_of_hex("90 00 0001 000000a0 deadbeef bede 0002 00000000"),
            RtpErrc::BadExtension);
  // padding count 0, and padding longer than the payload area.
  EXPECT_EQ(errc_of_hex("a0 00 0001 000000a0 deadbeef 0000"), RtpErrc::BadPadding);
  EXPECT_EQ(errc_of_hex("a0 00 0001 000000a0 deadbeef 0003"), RtpErrc::BadPadding);
  // padding equal to the whole payload area is allowed (an empty payload).
  const auto padded = hex("a0 00 0001 000000a0 deadbeef 0002");
  auto all_padding = parse_rtp(padded);
  ASSERT_TRUE(all_padding);
  EXPECT_TRUE(all_padding->payload.empty());
}

TEST(RtpPacket, SizeLimit) {
  std::vector<std::byte> big(kMinimal);
  big.resize(1501);
  EXPECT_EQ(errc_of(parse_rtp(big)), RtpErrc::TooLarge);
  RtpLimits roomy;
  roomy.max_packet_bytes = 2000;
  EXPECT_TRUE(parse_rtp(big, roomy));
}

TEST(RtpPacket, BuildRefusals) {
  RtpPacket p;
  p.payload_type = 128;
  EXPECT_EQ(serialize_rtp(p).error(), make_error_code(RtpErrc::BadField));
  p.payload_type = 0;
  const std::byte three[3]{};
  p.extension = RtpHeaderExtension{0xBEDE, three};
  EXPECT_EQ(serialize_rtp(p).error(), make_error_code(RtpErrc::BadField));
  p.extension.reset();
  std::byte small[11];
  EXPECT_EQ(serialize_rtp(p, small).error(), make_error_code(RtpErrc::BufferTooSmall));
  for (std::uint32_t i = 0; i < 15; ++i) EXPECT_TRUE(p.add_csrc(i));
  EXPECT_FALSE(p.add_csrc(15));
}

TEST(RtpPacket, RtcpDemultiplexing) {
  EXPECT_FALSE(looks_like_rtcp(kMinimal));
  EXPECT_FALSE(looks_like_rtcp(kFull));  // PT 111 with the marker is 0xef = 239
  EXPECT_TRUE(looks_like_rtcp(hex("80 c8 0006")));  // SR
  EXPECT_TRUE(looks_like_rtcp(hex("80 cb")));       // BYE
  EXPECT_FALSE(looks_like_rtcp(hex("80")));
}

// Every prefix in an exact-size block: shorter than the header parts fails with an RtpErrc,
// longer prefixes of a padded packet fail or parse without reading past the end.
TEST(RtpPacket, EveryTruncationFailsCleanly) {
  for (std::size_t n = 0; n < kFull.size(); ++n) {
    ExactCopy copy(kFull, n);
    auto r = parse_rtp(copy.view());
    if (n < 28) {
      EXPECT_FALSE(r) << n;
      if (!r) {
        EXPECT_EQ(r.error().category(), rtp_category());
      }
    }
    if (r) {
      EXPECT_LE(r->wire_size(), n);
    }
  }
  for (std::size_t n = 0; n < 12; ++n) {
    ExactCopy copy(kMinimal, n);
    EXPECT_EQ(errc_of(parse_rtp(copy.view())), RtpErrc::Truncated) << n;
  }
}

// Grind: every byte of both vectors replaced by several values; whatever parses must build
// back to bytes that parse to the same packet, of the same size as the input.
TEST(RtpPacket, EveryByteMutation) {
  for (const auto* vec : {&kMinimal, &kFull}) {
    for (std::size_t i = 0; i < vec->size(); ++i) {
      for (int v : {0x00, 0x01, 0x0f, 0x10, 0x20, 0x7f, 0x80, 0xff}) {
        auto bytes = *vec;
        bytes[i] = static_cast<std::byte>(v);
        ExactCopy copy(bytes, bytes.size());
        auto r = parse_rtp(copy.view());
        if (!r) continue;
        EXPECT_EQ(r->wire_size(), bytes.size());
        auto again = serialize_rtp(*r);
        ASSERT_TRUE(again);
        auto back = parse_rtp(*again);
        ASSERT_TRUE(back);
        EXPECT_EQ(*back, *r);
      }
    }
  }
}

TEST(RtpPacket, RandomPacketsRoundTrip) {
  std::mt19937 rng(6);
  std::vector<std::byte> payload(300), ext(64);
  for (auto& b : payload) b = static_cast<std::byte>(rng());
  for (auto& b : ext) b = static_cast<std::byte>(rng());
  for (int i = 0; i < 2000; ++i) {
    RtpPacket p;
    p.marker = rng() & 1;
    p.payload_type = static_cast<std::uint8_t>(rng() % 128);
    p.sequence = static_cast<std::uint16_t>(rng());
    p.timestamp = static_cast<std::uint32_t>(rng());
    p.ssrc = static_cast<std::uint32_t>(rng());
    const auto cc = rng() % 16;
    for (std::uint32_t c = 0; c < cc; ++c) p.add_csrc(static_cast<std::uint32_t>(rng()));
    if (rng() & 1) {
      p.extension = RtpHeaderExtension{static_cast<std::uint16_t>(rng()),
                                       std::span(ext).first(4 * (rng() % 17))};
    }
    p.payload = std::span(payload).first(rng() % 301);
    p.padding = static_cast<std::uint8_t>(rng() % 4 == 0 ? rng() % 256 : 0);
    auto bytes = serialize_rtp(p);
    ASSERT_TRUE(bytes);
    ASSERT_EQ(bytes->size(), p.wire_size());
    auto back = parse_rtp(*bytes);
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(*back, p);
  }
}
