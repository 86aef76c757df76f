#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "shield/keyed_hash.hpp"
#include "helpers.hpp"

using namespace warden::shield;
using warden::shield::test::ip;

namespace {
KeyedHash::Key reference_key() {
  KeyedHash::Key k{};
  for (std::uint8_t i = 0; i < 16; ++i) k[i] = i;
  return k;
}
}  // namespace

// The SipHash-2-4 test vectors of the reference implementation (key 00 01 .. 0f, message
// 00 01 .. of each length); the 15-byte one is the example of the paper's appendix.
TEST(KeyedHash, SipHash24ReferenceVectors) {
  const KeyedHash h(reference_key());
  std::vector<std::uint8_t> msg;
  EXPECT_EQ(h(std::span<const std::uint8_t>(msg)), 0x726fdb47dd0e0e31ULL);
  for (std::uint8_t i = 0; i < 15; ++i) msg.push_back(i);
  EXPECT_EQ(h(std::span<const std::uint8_t>(msg)), 0xa129ca6149be45e5ULL);
}

TEST(KeyedHash, TheKeyChangesEveryHash) {
  KeyedHash::Key other = reference_key();
  other[0] ^= 1;
  const KeyedHash a(reference_key()), b(other);
  EXPECT_NE(a(ip("192.0.2.1")), b(ip("192.0.2.1")));
  EXPECT_NE(a(std::string_view("alice")), b(std::string_view("alice")));
  EXPECT_EQ(a(ip("192.0.2.1")), KeyedHash(reference_key())(ip("192.0.2.1")));
}

TEST(KeyedHash, FamilyAndExtraAreInTheHash) {
  const KeyedHash h(reference_key());
  // 1.2.3.4 and 102:304:: have the same first bytes; the family tells them apart.
  EXPECT_NE(h(ip("1.2.3.4")), h(ip("102:304::")));
  EXPECT_NE(h(ip("192.0.2.1"), 1), h(ip("192.0.2.1"), 2));
  EXPECT_NE(h(ip("192.0.2.1"), 1), h(ip("192.0.2.1")));
}
