#include <gtest/gtest.h>

#include <string>

#include "base/clock.hpp"
#include "helpers.hpp"
#include "shield/spit_scorer.hpp"

using namespace warden;
using namespace warden::shield;
using namespace warden::shield::test;

namespace {

std::string callee(int n) { return "user" + std::to_string(n) + "@example.test"; }

}  // namespace

TEST(SpitScorer, Defaults) {
  const SpitConfig c;
  EXPECT_EQ(c.window, minutes(10));
  EXPECT_EQ(c.short_call, seconds(10));
  EXPECT_DOUBLE_EQ(c.weight_rate + c.weight_fan_out + c.weight_short + c.weight_external, 1.0);
  EXPECT_DOUBLE_EQ(c.threshold, 0.7);
  EXPECT_TRUE(c.divert_to.empty());
}

// A person: five different people in ten minutes, two of the calls short.
TEST(SpitScorer, NormalUserIsNotFlagged) {
  base::ManualClock clock;
  const KeyedHash h;
  SpitScorer s(SpitConfig{}, h);
  double highest = 0;
  for (int i = 0; i < 5; ++i) {
    const SpitScore r = s.score("alice@example.test", callee(i), false, clock.now());
    EXPECT_EQ(r.verdict, SpitVerdict::Accept) << i;
    EXPECT_TRUE(r.reason.empty());
    highest = std::max(highest, r.score);
    clock.advance(seconds(i < 2 ? 5 : 60));  // a short one first
    s.on_call_ended("alice@example.test", i < 2 ? seconds(5) : minutes(1), clock.now());
    clock.advance(minutes(1));
  }
  EXPECT_LT(highest, 0.2);
  // Calling back the same five people again and again in one afternoon is not spam either.
  for (int i = 0; i < 40; ++i) {
    clock.advance(minutes(3));
    const SpitScore r = s.score("alice@example.test", callee(i % 5), false, clock.now());
    EXPECT_TRUE(r.accepted()) << i << " " << r.score;
  }
}

// Five calls in one minute to five people (a quick round of calls), from outside: still fine.
TEST(SpitScorer, BurstOfAFewCallsIsNotFlagged) {
  base::ManualClock clock;
  const KeyedHash h;
  SpitScorer s(SpitConfig{}, h);
  SpitScore r;
  for (int i = 0; i < 5; ++i) {
    r = s.score(ip("198.51.100.7"), callee(i), true, clock.now());
    EXPECT_TRUE(r.accepted()) << i;
    clock.advance(seconds(10));
  }
  EXPECT_EQ(r.features.calls_last_minute, 5u);
  EXPECT_EQ(r.features.distinct_callees, 5u);
  EXPECT_NEAR(r.score, 0.35 * 5 / 10 + 0.35 * 5 / 15 + 0.1, 1e-9);
}

// A dialler: 30 calls a minute to 30 different numbers, most hung up within seconds.
TEST(SpitScorer, RobocallerIsFlagged) {
  base::ManualClock clock;
  const KeyedHash h;
  SpitScorer s(SpitConfig{}, h);
  int first_refused = -1;
  SpitScore r;
  for (int i = 0; i < 120; ++i) {
    r = s.score("robo@example.test", callee(i), false, clock.now());
    if (!r.accepted() && first_refused < 0) first_refused = i + 1;
    if (first_refused > 0) {
      EXPECT_EQ(r.verdict, SpitVerdict::Reject) << i;  // and stays refused
    }
    clock.advance(seconds(1));
    if (i % 3 != 0) s.on_call_ended("robo@example.test", seconds(3), clock.now());  // 2 of 3 picked up, hung up
    clock.advance(seconds(1));
  }
  // By the 9th call (16 s in) the rate is near its limit, 8 callees are distinct and 5 of 5
  // answered calls were short: 0.315 + 0.21 + 0.2.
  EXPECT_EQ(first_refused, 9);
  EXPECT_EQ(r.features.calls_last_minute, 30u);
  EXPECT_EQ(r.features.distinct_callees, 32u);  // as many as a record holds
  EXPECT_EQ(r.features.answered, 32u);
  EXPECT_EQ(r.features.short_calls, 32u);
  EXPECT_NEAR(r.score, 0.9, 1e-9);
  EXPECT_NEAR(r.components.rate, 0.35, 1e-9);
  EXPECT_NEAR(r.components.fan_out, 0.35, 1e-9);
  EXPECT_NEAR(r.components.short_calls, 0.2, 1e-9);
  EXPECT_EQ(r.components.external, 0.0);
  EXPECT_EQ(r.reason,
            "30 calls in the last minute (limit 10); 32 distinct callees in 600 s (limit 15); "
            "32 of 32 answered calls shorter than 10 s (limit 60%); score 0.90 (threshold 0.70)");
  // Another caller is not affected.
  EXPECT_TRUE(s.score("alice@example.test", callee(1), false, clock.now()).accepted());
}

TEST(SpitScorer, ExternalCallerTipsEarlier) {
  base::ManualClock clock;
  const KeyedHash h;
  SpitScorer s(SpitConfig{}, h);
  int first_refused = -1;
  for (int i = 0; i < 20 && first_refused < 0; ++i) {
    const SpitScore r = s.score(ip("203.0.113.9"), callee(i), true, clock.now());
    if (!r.accepted()) {
      first_refused = i + 1;
      EXPECT_EQ(r.reason, "11 calls in the last minute (limit 10); caller from outside; score 0.71 (threshold 0.70)");
    }
    clock.advance(seconds(2));
  }
  EXPECT_EQ(first_refused, 11);
}

TEST(SpitScorer, DivertWhenATargetIsSet) {
  base::ManualClock clock;
  SpitConfig c;
  c.divert_to = "sip:spam-box@example.test";
  const KeyedHash h;
  SpitScorer s(c, h);
  SpitScore r;
  for (int i = 0; i < 20; ++i) {
    r = s.score("robo@example.test", callee(i), false, clock.now());
    clock.advance(seconds(1));
  }
  EXPECT_EQ(r.verdict, SpitVerdict::Divert);
  EXPECT_FALSE(r.reason.empty());
  EXPECT_EQ(s.config().divert_to, "sip:spam-box@example.test");
}

// Short calls count only from min_answered answered calls on, and as a fraction.
TEST(SpitScorer, ShortCallFraction) {
  base::ManualClock clock;
  const KeyedHash h;
  SpitScorer s(SpitConfig{}, h);
  for (int i = 0; i < 4; ++i) s.on_call_ended("bob@example.test", seconds(2), clock.now());
  SpitScore r = s.score("bob@example.test", callee(1), false, clock.now());
  EXPECT_EQ(r.features.answered, 4u);
  EXPECT_EQ(r.features.short_calls, 4u);
  EXPECT_EQ(r.components.short_calls, 0.0);  // four are too few to say anything
  s.on_call_ended("bob@example.test", seconds(10), clock.now());  // exactly short_call: not short
  r = s.score("bob@example.test", callee(1), false, clock.now());
  EXPECT_EQ(r.features.answered, 5u);
  EXPECT_EQ(r.features.short_calls, 4u);
  EXPECT_NEAR(r.components.short_calls, 0.2, 1e-9);  // 80% is over the 60% limit
  for (int i = 0; i < 5; ++i) s.on_call_ended("bob@example.test", minutes(3), clock.now());
  r = s.score("bob@example.test", callee(1), false, clock.now());
  EXPECT_NEAR(r.components.short_calls, 0.2 * 0.4 / 0.6, 1e-9);  // 4 of 10
  EXPECT_TRUE(r.accepted());
}

// Everything falls out of the window: a caller that stops scores like a new one.
TEST(SpitScorer, WindowExpiry) {
  base::ManualClock clock;
  const KeyedHash h;
  SpitScorer s(SpitConfig{}, h);
  for (int i = 0; i < 30; ++i) {
    (void)s.score("robo@example.test", callee(i), false, clock.now());
    s.on_call_ended("robo@example.test", seconds(1), clock.now());
  }
  ASSERT_FALSE(s.score("robo@example.test", callee(99), false, clock.now()).accepted());

  clock.advance(seconds(61));  // the rate is gone; the callees and short calls remain
  SpitScore r = s.score("robo@example.test", callee(100), false, clock.now());
  EXPECT_EQ(r.features.calls_last_minute, 1u);
  EXPECT_EQ(r.features.distinct_callees, 32u);
  EXPECT_EQ(r.features.answered, 30u);
  // Fan-out and short calls alone stay under the threshold: 0.035 + 0.35 + 0.2.
  EXPECT_NEAR(r.score, 0.585, 1e-9);
  EXPECT_TRUE(r.accepted());
  // Calling fast again brings it back over at once.
  for (int i = 0; i < 6; ++i) r = s.score("robo@example.test", callee(200 + i), false, clock.now());
  EXPECT_FALSE(r.accepted());

  clock.advance(minutes(10));
  r = s.score("robo@example.test", callee(101), false, clock.now());
  EXPECT_EQ(r.features.calls_last_minute, 1u);
  EXPECT_EQ(r.features.distinct_callees, 1u);
  EXPECT_EQ(r.features.answered, 0u);
  EXPECT_TRUE(r.accepted());
  EXPECT_NEAR(r.score, 0.35 / 10 + 0.35 / 15, 1e-9);
}

TEST(SpitScorer, AccountAndAddressCallersAreSeparate) {
  base::ManualClock clock;
  const KeyedHash h;
  SpitScorer s(SpitConfig{}, h);
  for (int i = 0; i < 20; ++i) (void)s.score(ip("192.0.2.1"), callee(i), true, clock.now());
  EXPECT_FALSE(s.score(ip("192.0.2.1"), callee(50), true, clock.now()).accepted());
  EXPECT_TRUE(s.score(ip("192.0.2.2"), callee(50), true, clock.now()).accepted());
  EXPECT_TRUE(s.score("192.0.2.1", callee(50), false, clock.now()).accepted());
}

TEST(SpitScorer, ConfiguredWeightsAndThreshold) {
  base::ManualClock clock;
  SpitConfig c;
  c.weight_rate = 0;
  c.weight_fan_out = 0;
  c.weight_short = 0;
  c.weight_external = 1;
  c.threshold = 1;
  const KeyedHash h;
  SpitScorer s(c, h);
  EXPECT_TRUE(s.score("alice@example.test", callee(1), false, clock.now()).accepted());
  const SpitScore r = s.score(ip("192.0.2.1"), callee(1), true, clock.now());
  EXPECT_EQ(r.verdict, SpitVerdict::Reject);
  EXPECT_EQ(r.reason, "caller from outside; score 1.00 (threshold 1.00)");
}

// The table of callers never grows past its size; the least recently calling one goes.
TEST(SpitScorer, CallerTableIsBounded) {
  base::ManualClock clock;
  SpitConfig c;
  c.max_callers = 16;
  const KeyedHash h;
  SpitScorer s(c, h);
  for (int i = 0; i < 20; ++i) (void)s.score("robo@example.test", callee(i), false, clock.now());
  ASSERT_FALSE(s.score("robo@example.test", callee(99), false, clock.now()).accepted());
  for (unsigned i = 0; i < 1000; ++i) (void)s.score(nth(i), callee(1), true, clock.now());
  // The robocaller's record was evicted: it starts again from nothing (bounded memory wins).
  const SpitScore r = s.score("robo@example.test", callee(100), false, clock.now());
  EXPECT_EQ(r.features.calls_last_minute, 1u);
  EXPECT_EQ(r.features.distinct_callees, 1u);
}

// A dialler whose calls are never answered (no short calls to count): rate and fan-out alone
// refuse it at its 15th call, when both are at their limits.
TEST(SpitScorer, RateAndFanOutAloneRefuse) {
  base::ManualClock clock;
  const KeyedHash h;
  SpitScorer s(SpitConfig{}, h);
  for (int i = 1; i <= 14; ++i) {
    const SpitScore r = s.score("dialler@example.test", callee(i), false, clock.now());
    ASSERT_TRUE(r.accepted()) << i << " " << r.score;
    clock.advance(seconds(2));
  }
  const SpitScore r = s.score("dialler@example.test", callee(15), false, clock.now());
  EXPECT_EQ(r.verdict, SpitVerdict::Reject);
  EXPECT_NEAR(r.components.rate, 0.35, 1e-9);
  EXPECT_NEAR(r.components.fan_out, 0.35, 1e-9);
  EXPECT_EQ(r.reason,
            "15 calls in the last minute (limit 10); 15 distinct callees in 600 s (limit 15); "
            "score 0.70 (threshold 0.70)");
}

// Many calls to one callee (redialling a busy line) is rate without fan-out: accepted.
TEST(SpitScorer, RedialIsNotSpam) {
  base::ManualClock clock;
  const KeyedHash h;
  SpitScorer s(SpitConfig{}, h);
  SpitScore r;
  for (int i = 0; i < 30; ++i) {
    r = s.score("alice@example.test", "bob@example.test", false, clock.now());
    EXPECT_TRUE(r.accepted()) << i;
    clock.advance(seconds(2));
  }
  EXPECT_EQ(r.features.distinct_callees, 1u);
  EXPECT_NEAR(r.score, 0.35 + 0.35 / 15, 1e-9);
}
