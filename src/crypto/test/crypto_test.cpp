#include <gtest/gtest.h>

#include <array>
#include <set>

#include "crypto/csprng.hpp"

using warden::crypto::Csprng;

TEST(Csprng, FillsWholeBuffer) {
  Csprng rng;
  std::array<std::byte, 4096> buf{};
  rng.fill(buf);
  // 4096 zero bytes from a working CSPRNG has probability 2^-32768.
  std::size_t zeros = 0;
  for (auto b : buf) zeros += b == std::byte{0};
  EXPECT_LT(zeros, 100u);
}

TEST(Csprng, TokensDoNotRepeat) {
  Csprng rng;
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    auto t = warden::base::random_token(rng, 128);
    EXPECT_EQ(t.size(), 25u);
    EXPECT_TRUE(seen.insert(t).second) << "repeated token " << t;
  }
}

#include "crypto/hash.hpp"

using namespace warden::crypto;

TEST(Hash, KnownAnswers) {
  EXPECT_EQ(hex_digest(HashAlgorithm::Md5, "abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(hex_digest(HashAlgorithm::Sha256, "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // FIPS 180-4 example for SHA-512/256.
  EXPECT_EQ(hex_digest(HashAlgorithm::Sha512_256, "abc"),
            "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23");
  EXPECT_EQ(Hasher(HashAlgorithm::Sha256).update("a").update("bc").hex_final(),
            hex_digest(HashAlgorithm::Sha256, "abc"));
}

TEST(Hash, HmacSha256Rfc4231Case2) {
  auto mac = hmac_sha256("Jefe", "what do ya want for nothing?");
  std::string hex;
  for (auto b : mac) {
    static constexpr char k[] = "0123456789abcdef";
    hex.push_back(k[b >> 4]);
    hex.push_back(k[b & 15]);
  }
  EXPECT_EQ(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Hash, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
}
