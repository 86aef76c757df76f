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
