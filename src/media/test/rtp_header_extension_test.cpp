// RFC 8285 header extension elements: the one-byte example layout, the two-byte form, padding,
// ID 15, refusals, every truncation of the extension data, and build/parse round trips.
#include "media/rtp_header_extension.hpp"

#include <gtest/gtest.h>

#include <random>

#include "media_test_util.hpp"

using namespace warden::media;
using warden::media::test::ExactCopy;
using warden::media::test::hex;

namespace {

std::vector<std::uint8_t> bytes_of(warden::base::ByteView v) {
  std::vector<std::uint8_t> out;
  for (auto b : v) out.push_back(std::to_integer<std::uint8_t>(b));
  return out;
}

}  // namespace

// RFC 8285 §4.2 figure: ID 1 with one byte, ID 2 with two bytes, padding, ID 3 with four bytes.
TEST(RtpHeaderExtension, OneByteForm) {
  const auto data = hex("10 ff 21 aabb 00 00 33 01020304");
  auto r = parse_extension_elements({0xBEDE, data});
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].id, 1);
  EXPECT_EQ(bytes_of((*r)[0].data), (std::vector<std::uint8_t>{0xff}));
  EXPECT_EQ((*r)[1].id, 2);
  EXPECT_EQ(bytes_of((*r)[1].data), (std::vector<std::uint8_t>{0xaa, 0xbb}));
  EXPECT_EQ((*r)[2].id, 3);
  EXPECT_EQ((*r)[2].data.size(), 4u);
  EXPECT_EQ((*r)[2].data.data(), data.data() + 8);  // a view
}

// ID 0 is padding: a byte 0x06 (ID 0, length nibble 6) is one padding byte, not seven bytes
// of an element (found by fuzz_rtp: such an element could not be built again).
TEST(RtpHeaderExtension, IdZeroIsOnePaddingByte) {
  const auto data = hex("06 10 ff 00");
  auto r = parse_extension_elements({0xBEDE, data});
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].id, 1);
  std::vector<std::byte> storage;
  EXPECT_TRUE(build_extension(*r, storage));
}

TEST(RtpHeaderExtension, IdFifteenStopsParsing) {
  const auto data = hex("10 ff f3 0102 0304 00 00");
  auto r = parse_extension_elements({0xBEDE, data});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].id, 1);
}

TEST(RtpHeaderExtension, TwoByteForm) {
  const auto data = hex("01 00 00 ff 03 616263 00");  // ID 1 empty, padding, ID 255 "abc"
  auto r = parse_extension_elements({0x1000, data});
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].id, 1);
  EXPECT_TRUE((*r)[0].data.empty());
  EXPECT_EQ((*r)[1].id, 255);
  EXPECT_EQ(warden::base::as_chars((*r)[1].data), "abc");
  EXPECT_TRUE(parse_extension_elements({0x100F, data}));  // appbits are ignored
}

TEST(RtpHeaderExtension, Refusals) {
  const auto data = hex("13 ff 00 00");  // ID 1 claims 4 bytes, 3 remain
  EXPECT_EQ(parse_extension_elements({0xBEDE, data}).error(), make_error_code(RtpErrc::BadExtension));
  const auto two = hex("01 05 0000");
  EXPECT_EQ(parse_extension_elements({0x1000, two}).error(), make_error_code(RtpErrc::BadExtension));
  const auto ok = hex("10ff 10ff");
  EXPECT_EQ(parse_extension_elements({0xABCD, ok}).error(), make_error_code(RtpErrc::BadExtension));
  EXPECT_EQ(parse_extension_elements({0xBEDE, ok}, 1).error(), make_error_code(RtpErrc::TooManyItems));
  std::vector<std::byte> storage;
  const ExtensionElement zero{0, {}};
  EXPECT_EQ(build_extension(std::span(&zero, 1), storage).error(), make_error_code(RtpErrc::BadField));
}

TEST(RtpHeaderExtension, EveryTruncationFailsOrStopsCleanly) {
  const auto data = hex("10 ff 21 aabb 00 00 33 01020304");
  for (std::size_t n = 0; n < data.size(); ++n) {
    ExactCopy copy(data, n);
    auto r = parse_extension_elements({0xBEDE, copy.view()});
    // Cut inside an element: refused; cut between elements: fewer elements.
    if (r) {
      EXPECT_LT(r->size(), 3u) << n;
    } else {
      EXPECT_EQ(r.error(), make_error_code(RtpErrc::BadExtension)) << n;
    }
  }
}

TEST(RtpHeaderExtension, BuildChoosesTheFormAndRoundTrips) {
  const auto level = hex("aa");  // e.g. RFC 6464 audio level
  const auto mid = hex("616263");
  std::vector<std::byte> storage;
  std::vector<ExtensionElement> small{{1, level}, {3, mid}};
  auto ext = build_extension(small, storage);
  ASSERT_TRUE(ext);
  EXPECT_TRUE(ext->is_one_byte_form());
  EXPECT_EQ(storage, hex("10aa 32616263 0000"));
  auto back = parse_extension_elements(*ext);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, small);

  const std::vector<std::byte> long_data(20, std::byte{7});
  std::vector<ExtensionElement> big{{1, level}, {20, long_data}};
  ext = build_extension(big, storage);
  ASSERT_TRUE(ext);
  EXPECT_TRUE(ext->is_two_byte_form());
  EXPECT_EQ(ext->data.size() % 4, 0u);
  back = parse_extension_elements(*ext);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, big);

  // Inside a whole RTP packet.
  RtpPacket p;
  p.extension = *ext;
  auto wire = serialize_rtp(p);
  ASSERT_TRUE(wire);
  auto parsed = parse_rtp(*wire);
  ASSERT_TRUE(parsed && parsed->extension);
  back = parse_extension_elements(*parsed->extension);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, big);
}

TEST(RtpHeaderExtension, RandomRoundTrips) {
  std::mt19937 rng(8285);
  std::vector<std::byte> pool(255);
  for (auto& b : pool) b = static_cast<std::byte>(rng());
  std::vector<std::byte> storage;
  for (int round = 0; round < 500; ++round) {
    std::vector<ExtensionElement> elements;
    const bool small = rng() % 2;
    for (auto n = rng() % 6; n > 0; --n) {
      const auto id = static_cast<std::uint8_t>(small ? 1 + rng() % 14 : 1 + rng() % 255);
      const std::size_t len = small ? 1 + rng() % 16 : rng() % 256;
      elements.push_back({id, std::span(pool).first(len)});
    }
    auto ext = build_extension(elements, storage);
    ASSERT_TRUE(ext);
    auto back = parse_extension_elements(*ext);
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(*back, elements);
  }
}
