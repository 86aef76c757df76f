#include <gtest/gtest.h>

#include <array>

#include <set>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/error.hpp"
#include "base/random.hpp"
#include "base/result.hpp"

using namespace warden::base;

namespace {

Result<int> half(int v) {
  if (v % 2 != 0) return Errc::InvalidArgument;
  return v / 2;
}

// A deterministic Random for tests of the helpers (never for identifiers).
class CountingRandom final : public Random {
 public:
  void fill(std::span<std::byte> out) noexcept override {
    for (auto& b : out) b = static_cast<std::byte>(next_++ * 37 + 11);
  }
 private:
  unsigned next_ = 0;
};

}  // namespace

TEST(Result, CarriesValueOrError) {
  auto ok = half(8);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 4);
  EXPECT_FALSE(ok.error());
  auto bad = half(3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), Errc::InvalidArgument);
  EXPECT_STREQ(bad.error().category().name(), "warden");
  EXPECT_EQ(bad.error().message(), "invalid argument");
}

TEST(Result, VoidResult) {
  Result<void> ok;
  EXPECT_TRUE(ok);
  Result<void> bad = Errc::LimitExceeded;
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error(), Errc::LimitExceeded);
}

TEST(Buffer, ViewSurvivesMove) {
  Buffer a(std::string_view("hello\0world", 11));
  auto v = a.view();
  Buffer b = std::move(a);
  EXPECT_EQ(b.view().data(), v.data());
  EXPECT_EQ(b.size(), 11u);
}

TEST(ManualClock, AdvancesOnlyWhenTold) {
  ManualClock c;
  auto t0 = c.now();
  EXPECT_EQ(c.now(), t0);
  c.advance(std::chrono::seconds(32));
  EXPECT_EQ(c.now() - t0, std::chrono::seconds(32));
}

TEST(Random, UniformStaysInRange) {
  CountingRandom r;
  for (int i = 0; i < 1000; ++i) EXPECT_LT(r.uniform(7), 7u);
}

TEST(Random, TokenLengthMatchesEntropy) {
  CountingRandom r;
  auto t = random_token(r, 128);
  EXPECT_EQ(t.size(), 25u);  // ceil(128 / log2(36))
  for (char ch : t) EXPECT_TRUE((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z'));
}

namespace warden::base {
namespace {

// Octets cycling through all 256 values: the accepted ones (below 252) map to each of the 36
// characters exactly 7 times per cycle, so a long token has a flat histogram.
class CyclingRandom final : public Random {
 public:
  void fill(std::span<std::byte> out) noexcept override {
    ++calls;
    for (auto& b : out) b = static_cast<std::byte>(next_++);
  }
  int calls = 0;

 private:
  unsigned next_ = 0;
};

TEST(Random, TokenCharactersAreEquallyLikelyAndDrawnInBatches) {
  CyclingRandom r;
  const std::string t = random_token(r, static_cast<unsigned>(36 * 7 * 10 * 5.169925001442312));
  ASSERT_EQ(t.size() % 36, 0u);
  std::array<int, 36> counts{};
  for (char ch : t) ++counts[static_cast<std::size_t>(ch <= '9' ? ch - '0' : ch - 'a' + 10)];
  for (int c : counts) EXPECT_NEAR(c, static_cast<int>(t.size() / 36), 1);
  CyclingRandom one;
  (void)random_token(one, 128);
  EXPECT_EQ(one.calls, 1);  // 25 characters from one call into the generator
}

}  // namespace
}  // namespace warden::base
