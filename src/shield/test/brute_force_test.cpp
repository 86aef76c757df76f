#include <gtest/gtest.h>

#include <string>

#include "helpers.hpp"
#include "shield/brute_force.hpp"

using namespace warden;
using namespace warden::shield;
using namespace warden::shield::test;

// Password spraying: one guess on each of many accounts. The tenth failure bans the source.
TEST(BruteForce, TenFailuresFromOneSourceBanIt) {
  const KeyedHash h;
  BruteForceTracker bf(BruteForceConfig{}, h);
  const Address attacker = ip("192.0.2.66");
  for (int i = 1; i <= 9; ++i) {
    const auto o = bf.on_failure(attacker, std::to_string(100 + i) + "@example.test", at(seconds(i)));
    EXPECT_EQ(o.source_failures, static_cast<unsigned>(i));
    EXPECT_EQ(o.account_failures, 1u);
    EXPECT_FALSE(o.ban) << i;
  }
  EXPECT_TRUE(bf.on_failure(attacker, "110@example.test", at(seconds(10))).ban);
}

// Password guessing on one account (svcrack): banned at the fifth failure.
TEST(BruteForce, FiveFailuresOnOneAccountBanTheSource) {
  const KeyedHash h;
  BruteForceTracker bf(BruteForceConfig{}, h);
  for (int i = 1; i <= 4; ++i) EXPECT_FALSE(bf.on_failure(ip("192.0.2.66"), "alice@example.test", at(seconds(i))).ban);
  const auto o = bf.on_failure(ip("192.0.2.66"), "alice@example.test", at(seconds(5)));
  EXPECT_TRUE(o.ban);
  EXPECT_EQ(o.account_failures, 5u);
}

// The attacker's failures are the attacker's: the account owner elsewhere has a clean record.
TEST(BruteForce, OtherSourcesOfTheSameAccountAreUnaffected) {
  const KeyedHash h;
  BruteForceTracker bf(BruteForceConfig{}, h);
  for (int i = 1; i <= 4; ++i) (void)bf.on_failure(ip("192.0.2.66"), "alice@example.test", at(seconds(i)));
  EXPECT_EQ(bf.tarpit(ip("203.0.113.5"), at(seconds(5))), base::Duration::zero());
  const auto owner = bf.on_failure(ip("203.0.113.5"), "alice@example.test", at(seconds(6)));  // one typo
  EXPECT_EQ(owner.source_failures, 1u);
  EXPECT_EQ(owner.account_failures, 1u);
  EXPECT_FALSE(owner.ban);
}

TEST(BruteForce, SuccessClearsThePairNotTheSource) {
  const KeyedHash h;
  BruteForceTracker bf(BruteForceConfig{}, h);
  const Address src = ip("192.0.2.10");
  for (int i = 1; i <= 4; ++i) (void)bf.on_failure(src, "alice@example.test", at(seconds(i)));
  bf.on_success(src, "alice@example.test", at(seconds(5)));  // the user fixed the password
  auto o = bf.on_failure(src, "alice@example.test", at(seconds(6)));
  EXPECT_EQ(o.account_failures, 1u);
  EXPECT_EQ(o.source_failures, 5u);
  // An attacker who owns "mallory" cannot launder the failures on other accounts with her.
  for (int i = 7; i <= 10; ++i) {
    bf.on_success(src, "mallory@example.test", at(seconds(i)));
    o = bf.on_failure(src, std::to_string(i) + "@example.test", at(seconds(i)));
  }
  EXPECT_EQ(o.source_failures, 9u);
  EXPECT_TRUE(bf.on_failure(src, "x@example.test", at(seconds(11))).ban);
}

TEST(BruteForce, CountsRestartAfterTheWindow) {
  BruteForceConfig c;
  c.window = minutes(10);
  const KeyedHash h;
  BruteForceTracker bf(c, h);
  for (int i = 0; i < 9; ++i) (void)bf.on_failure(ip("192.0.2.1"), "u" + std::to_string(i), at(seconds(i)));
  const auto o = bf.on_failure(ip("192.0.2.1"), "u9", at(minutes(10)));  // the first window ended at 10:00
  EXPECT_EQ(o.source_failures, 1u);
  EXPECT_FALSE(o.ban);
}

TEST(BruteForce, EmptyAccountCountsForTheSourceOnly) {
  const KeyedHash h;
  BruteForceTracker bf(BruteForceConfig{}, h);
  for (int i = 1; i <= 9; ++i) {
    const auto o = bf.on_failure(ip("192.0.2.1"), "", at(seconds(i)));
    EXPECT_EQ(o.account_failures, 0u);
    EXPECT_FALSE(o.ban);
  }
  EXPECT_TRUE(bf.on_failure(ip("192.0.2.1"), "", at(seconds(10))).ban);
}

TEST(BruteForce, TarpitDoublesWithEachFailureUpToTheLongest) {
  BruteForceConfig c;
  c.tarpit_first = milliseconds(500);
  c.tarpit_longest = seconds(8);
  c.max_failures = 100;
  c.max_failures_per_account = 100;
  const KeyedHash h;
  BruteForceTracker bf(c, h);
  const base::Duration expected[] = {milliseconds(500), seconds(1), seconds(2), seconds(4), seconds(8), seconds(8)};
  int i = 0;
  for (base::Duration d : expected) {
    EXPECT_EQ(bf.on_failure(ip("192.0.2.1"), "alice", at(seconds(++i))).tarpit, d) << i;
  }
  EXPECT_EQ(bf.tarpit(ip("192.0.2.1"), at(seconds(7))), seconds(8));
  EXPECT_EQ(bf.tarpit(ip("192.0.2.1"), at(seconds(1) + c.window)), base::Duration::zero());
  EXPECT_EQ(bf.tarpit(ip("192.0.2.2"), at(seconds(7))), base::Duration::zero());
}

TEST(BruteForce, CountersAreBounded) {
  BruteForceConfig c;
  c.max_sources = 8;
  c.max_pairs = 8;
  const KeyedHash h;
  BruteForceTracker bf(c, h);
  for (unsigned i = 0; i < 100; ++i) (void)bf.on_failure(nth(i), "alice", at(seconds(1)));
  // The oldest counters were evicted: the first source starts from one again.
  EXPECT_EQ(bf.on_failure(nth(0), "alice", at(seconds(2))).source_failures, 1u);
  EXPECT_EQ(bf.on_failure(nth(99), "alice", at(seconds(2))).source_failures, 2u);
}
