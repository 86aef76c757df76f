#include <gtest/gtest.h>

#include <string>

#include "base/clock.hpp"
#include "helpers.hpp"
#include "shield/call_guard.hpp"

using namespace warden;
using namespace warden::shield;
using namespace warden::shield::test;

namespace {

std::string call_id(int n) { return "a84b4c76e66710-" + std::to_string(n) + "@pc33.example.test"; }

}  // namespace

TEST(CallGuard, Defaults) {
  const CallGuardConfig c;
  EXPECT_EQ(c.max_concurrent_calls, 10u);
  EXPECT_EQ(c.max_attempts_per_minute, 30u);
  EXPECT_EQ(c.max_call_duration, hours(4));
}

// Stolen credentials used for many calls at once: the 11th is refused while 10 are up.
TEST(CallGuard, ConcurrentCallsAreLimited) {
  base::ManualClock clock;
  const KeyedHash h;
  CallGuard g(CallGuardConfig{}, h);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(g.begin("alice@example.test", call_id(i), clock.now()).allowed()) << i;
    clock.advance(seconds(3));
  }
  EXPECT_EQ(g.active_calls("alice@example.test", clock.now()), 10u);
  const CallVerdict v = g.begin("alice@example.test", call_id(10), clock.now());
  EXPECT_EQ(v.decision, CallDecision::TooManyConcurrent);
  EXPECT_EQ(v.reason, "10 calls in progress for this account (limit 10)");
  EXPECT_TRUE(v.first);
  clock.advance(seconds(3));
  const CallVerdict again = g.begin("alice@example.test", call_id(11), clock.now());
  EXPECT_EQ(again.decision, CallDecision::TooManyConcurrent);
  EXPECT_FALSE(again.first);  // reported once

  // Another account is not affected.
  EXPECT_TRUE(g.begin("bob@example.test", call_id(100), clock.now()).allowed());

  // One call ends (begun at 12 s, answered at 20 s): there is room for one more.
  g.end("alice@example.test", call_id(4), at(seconds(20)), clock.now());
  EXPECT_EQ(g.active_calls("alice@example.test", clock.now()), 9u);
  const CallVerdict after = g.begin("alice@example.test", call_id(12), clock.now());
  EXPECT_TRUE(after.allowed());
  EXPECT_TRUE(after.reason.empty());
  EXPECT_EQ(g.begin("alice@example.test", call_id(13), clock.now()).decision, CallDecision::TooManyConcurrent);

  EXPECT_EQ(g.stats().begun, 12u);
  EXPECT_EQ(g.stats().ended, 1u);
  EXPECT_EQ(g.stats().answered, 1u);
  EXPECT_EQ(g.stats().refused_concurrent, 3u);
}

TEST(CallGuard, UnansweredAndUnknownEnds) {
  base::ManualClock clock;
  const KeyedHash h;
  CallGuard g(CallGuardConfig{}, h);
  ASSERT_TRUE(g.begin("alice@example.test", call_id(1), clock.now()).allowed());
  g.end("alice@example.test", call_id(2), std::nullopt, clock.now());    // not a call of hers
  g.end("mallory@example.test", call_id(1), std::nullopt, clock.now());  // not her call
  EXPECT_EQ(g.active_calls("alice@example.test", clock.now()), 1u);
  clock.advance(seconds(20));
  g.end("alice@example.test", call_id(1), std::nullopt, clock.now());  // 486 Busy: never answered
  EXPECT_EQ(g.active_calls("alice@example.test", clock.now()), 0u);
  EXPECT_EQ(g.stats().ended, 1u);
  EXPECT_EQ(g.stats().answered, 0u);
  EXPECT_EQ(g.stats().talk_time, base::Duration::zero());
  g.end("alice@example.test", call_id(1), std::nullopt, clock.now());  // twice: nothing more
  EXPECT_EQ(g.stats().ended, 1u);
}

// Reusing one Call-ID does not fit more calls under the limit.
TEST(CallGuard, SameCallIdCountsEachTime) {
  base::ManualClock clock;
  CallGuardConfig c;
  c.max_concurrent_calls = 3;
  const KeyedHash h;
  CallGuard g(c, h);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(g.begin("alice@example.test", "same", clock.now()).allowed());
  EXPECT_EQ(g.begin("alice@example.test", "same", clock.now()).decision, CallDecision::TooManyConcurrent);
  g.end("alice@example.test", "same", std::nullopt, clock.now());
  EXPECT_EQ(g.active_calls("alice@example.test", clock.now()), 2u);
}

// A dialler with the account's password: 30 attempts pass at once, then one every 2 s.
TEST(CallGuard, AttemptsPerMinuteAreLimited) {
  base::ManualClock clock;
  CallGuardConfig c;
  c.max_concurrent_calls = 0;  // only the rate here
  const KeyedHash h;
  CallGuard g(c, h);
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(g.begin("alice@example.test", call_id(i), clock.now()).allowed()) << i;
  const CallVerdict v = g.begin("alice@example.test", call_id(30), clock.now());
  EXPECT_EQ(v.decision, CallDecision::TooManyAttempts);
  EXPECT_EQ(v.reason, "more than 30 call attempts a minute from this account");
  EXPECT_TRUE(v.first);
  EXPECT_EQ(g.begin("alice@example.test", call_id(31), clock.now()).decision, CallDecision::TooManyAttempts);

  clock.advance(seconds(2));  // one token back
  EXPECT_TRUE(g.begin("alice@example.test", call_id(32), clock.now()).allowed());
  EXPECT_FALSE(g.begin("alice@example.test", call_id(33), clock.now()).allowed());

  // Over a whole minute of hammering, about 30 more pass: never the 10 a second it asks for.
  int passed = 0;
  for (int i = 0; i < 600; ++i) {
    clock.advance(milliseconds(100));
    if (g.begin("alice@example.test", call_id(100 + i), clock.now()).allowed()) ++passed;
  }
  EXPECT_GE(passed, 29);
  EXPECT_LE(passed, 31);

  // After a quiet minute the whole allowance is back.
  clock.advance(seconds(60));
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(g.begin("alice@example.test", call_id(1000 + i), clock.now()).allowed()) << i;
  }
  EXPECT_FALSE(g.begin("alice@example.test", call_id(2000), clock.now()).allowed());
}

// A refused attempt is not a call: it does not take a place among the concurrent ones.
TEST(CallGuard, RefusedAttemptsDoNotCount) {
  base::ManualClock clock;
  CallGuardConfig c;
  c.max_attempts_per_minute = 2;
  const KeyedHash h;
  CallGuard g(c, h);
  ASSERT_TRUE(g.begin("alice@example.test", call_id(1), clock.now()).allowed());
  ASSERT_TRUE(g.begin("alice@example.test", call_id(2), clock.now()).allowed());
  EXPECT_EQ(g.begin("alice@example.test", call_id(3), clock.now()).decision, CallDecision::TooManyAttempts);
  EXPECT_EQ(g.active_calls("alice@example.test", clock.now()), 2u);
  EXPECT_EQ(g.stats().refused_attempts, 1u);
}

// Calls whose end never comes (a lost BYE, a proxy restart of the other side) are forgotten
// after max_call_duration, so the account is not locked out for ever.
TEST(CallGuard, CallsThatNeverEndAreForgotten) {
  base::ManualClock clock;
  const KeyedHash h;
  CallGuard g(CallGuardConfig{}, h);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(g.begin("alice@example.test", call_id(i), clock.now()).allowed());
  ASSERT_FALSE(g.begin("alice@example.test", call_id(10), clock.now()).allowed());

  clock.advance(hours(4) - seconds(1));
  EXPECT_EQ(g.active_calls("alice@example.test", clock.now()), 10u);
  EXPECT_FALSE(g.begin("alice@example.test", call_id(11), clock.now()).allowed());

  clock.advance(seconds(1));
  EXPECT_EQ(g.active_calls("alice@example.test", clock.now()), 0u);
  EXPECT_TRUE(g.begin("alice@example.test", call_id(12), clock.now()).allowed());
  EXPECT_EQ(g.active_calls("alice@example.test", clock.now()), 1u);
  EXPECT_EQ(g.stats().forgotten, 10u);
  // A late end of a forgotten call changes nothing.
  g.end("alice@example.test", call_id(3), std::nullopt, clock.now());
  EXPECT_EQ(g.active_calls("alice@example.test", clock.now()), 1u);
}

TEST(CallGuard, ShorterMaximumDuration) {
  base::ManualClock clock;
  CallGuardConfig c;
  c.max_concurrent_calls = 1;
  c.max_call_duration = minutes(30);
  const KeyedHash h;
  CallGuard g(c, h);
  ASSERT_TRUE(g.begin("alice@example.test", call_id(1), clock.now()).allowed());
  clock.advance(minutes(29));
  EXPECT_FALSE(g.begin("alice@example.test", call_id(2), clock.now()).allowed());
  clock.advance(minutes(1));
  EXPECT_TRUE(g.begin("alice@example.test", call_id(3), clock.now()).allowed());
}

TEST(CallGuard, ConfiguredMaximumIsCapped) {
  base::ManualClock clock;
  CallGuardConfig c;
  c.max_concurrent_calls = 1000;
  c.max_attempts_per_minute = 0;
  const KeyedHash h;
  CallGuard g(c, h);
  unsigned n = 0;
  while (n < 100 && g.begin("pbx@example.test", call_id(static_cast<int>(n)), clock.now()).allowed()) ++n;
  EXPECT_EQ(n, CallGuard::kMaxConcurrentCalls);
}

// The table of accounts never grows past its size; the least recently active account goes.
TEST(CallGuard, AccountTableIsBounded) {
  base::ManualClock clock;
  CallGuardConfig c;
  c.max_accounts = 8;
  c.max_concurrent_calls = 1;
  const KeyedHash h;
  CallGuard g(c, h);
  ASSERT_TRUE(g.begin("alice@example.test", call_id(0), clock.now()).allowed());
  for (int i = 0; i < 1000; ++i) {
    clock.advance(milliseconds(10));
    (void)g.begin("user" + std::to_string(i) + "@example.test", call_id(i), clock.now());
  }
  // Alice's record was evicted: she starts again from nothing.
  EXPECT_EQ(g.active_calls("alice@example.test", clock.now()), 0u);
  EXPECT_EQ(g.active_calls("user999@example.test", clock.now()), 1u);
  EXPECT_EQ(g.active_calls("user992@example.test", clock.now()), 1u);
  EXPECT_EQ(g.active_calls("user991@example.test", clock.now()), 0u);
}

TEST(CallGuard, TalkTimeIsSummed) {
  base::ManualClock clock;
  const KeyedHash h;
  CallGuard g(CallGuardConfig{}, h);
  ASSERT_TRUE(g.begin("alice@example.test", call_id(1), clock.now()).allowed());
  ASSERT_TRUE(g.begin("alice@example.test", call_id(2), clock.now()).allowed());
  g.end("alice@example.test", call_id(1), at(seconds(5)), at(seconds(65)));
  g.end("alice@example.test", call_id(2), at(seconds(10)), at(seconds(40)));
  EXPECT_EQ(g.stats().answered, 2u);
  EXPECT_EQ(g.stats().talk_time, seconds(90));
}
