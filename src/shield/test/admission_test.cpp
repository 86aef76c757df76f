#include <gtest/gtest.h>

#include "helpers.hpp"
#include "shield/admission.hpp"

using namespace warden;
using namespace warden::shield;
using namespace warden::shield::test;

namespace {

AdmissionConfig generous() {
  AdmissionConfig c;
  c.per_source = {1e6, 1e6};
  c.per_trusted_source = {1e6, 1e6};
  c.per_network = {1e6, 1e6};
  c.capacity = 1e9;
  c.capacity_burst = 1e9;
  return c;
}

}  // namespace

TEST(Admission, SourceBucketAllowsItsBurstThenItsRate) {
  AdmissionConfig c = generous();
  c.per_source = {10, 20};
  const KeyedHash h;
  Admission a(c, h);
  const auto t0 = at(seconds(100));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(a.admit(ip("192.0.2.1"), t0).admitted()) << i;
  const Verdict v = a.admit(ip("192.0.2.1"), t0);
  EXPECT_EQ(v.decision, Decision::Drop);
  EXPECT_EQ(v.cause, Cause::SourceRate);
  EXPECT_TRUE(v.first);
  EXPECT_FALSE(a.admit(ip("192.0.2.1"), t0).first);  // the same run of drops
  EXPECT_TRUE(a.admit(ip("192.0.2.2"), t0).admitted());  // another source has its own bucket
  // 10 a second: 100 ms brings one token, not two.
  EXPECT_TRUE(a.admit(ip("192.0.2.1"), t0 + milliseconds(100)).admitted());
  EXPECT_FALSE(a.admit(ip("192.0.2.1"), t0 + milliseconds(100)).admitted());
  // After a pause the bucket is full again, not fuller.
  const auto later = t0 + seconds(60);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(a.admit(ip("192.0.2.1"), later).admitted()) << i;
  const Verdict again = a.admit(ip("192.0.2.1"), later);
  EXPECT_FALSE(again.admitted());
  EXPECT_TRUE(again.first);  // a new run after being admitted again
}

TEST(Admission, TimeGoingBackwardsAddsNoTokens) {
  AdmissionConfig c = generous();
  c.per_source = {10, 5};
  const KeyedHash h;
  Admission a(c, h);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(a.admit(ip("192.0.2.1"), at(seconds(10))).admitted());
  EXPECT_FALSE(a.admit(ip("192.0.2.1"), at(seconds(1))).admitted());
  EXPECT_FALSE(a.admit(ip("192.0.2.1"), at(seconds(10))).admitted());
}

TEST(Admission, NetworkBucketIsSharedByItsSources) {
  AdmissionConfig c = generous();
  c.per_network = {1, 30};
  const KeyedHash h;
  Admission a(c, h);
  const auto t = at(seconds(1));
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(a.admit(nth(static_cast<unsigned>(i % 3)), t).admitted());
  const Verdict v = a.admit(ip("192.0.2.200"), t);  // a fresh source of the same /24
  EXPECT_EQ(v.cause, Cause::NetworkRate);
  EXPECT_TRUE(v.first);
  EXPECT_TRUE(a.admit(ip("192.0.3.1"), t).admitted());  // the next /24
}

TEST(Admission, Ipv6SourcesShareTheirSlash64) {
  AdmissionConfig c = generous();
  c.per_network = {1, 4};
  const KeyedHash h;
  Admission a(c, h);
  const auto t = at(seconds(1));
  // An attacker holding a /64 changes address with every packet: one bucket still.
  for (int i = 1; i <= 4; ++i) {
    ASSERT_TRUE(a.admit(ip("2001:db8:0:1::" + std::to_string(i)), t).admitted());
  }
  EXPECT_EQ(a.admit(ip("2001:db8:0:1:ffff::9"), t).cause, Cause::NetworkRate);
  EXPECT_TRUE(a.admit(ip("2001:db8:0:2::1"), t).admitted());
}

TEST(Admission, TrustedSourceSkipsTheNetworkBucketUntilTrustRunsOut) {
  AdmissionConfig c = generous();
  c.per_network = {1, 3};
  c.trusted_for = minutes(10);
  const KeyedHash h;
  Admission a(c, h);
  const auto t = at(seconds(1));
  for (int i = 10; i < 13; ++i) ASSERT_TRUE(a.admit(nth(static_cast<unsigned>(i)), t).admitted());
  // The attacker's /24 is exhausted; a registered user in the same network still gets in.
  EXPECT_FALSE(a.admit(ip("192.0.2.50"), t).admitted());
  a.trust(ip("192.0.2.50"), t);
  EXPECT_TRUE(a.is_trusted(ip("192.0.2.50"), t));
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(a.admit(ip("192.0.2.50"), t).admitted());
  const auto after = t + minutes(10);
  EXPECT_FALSE(a.is_trusted(ip("192.0.2.50"), after));
  for (int i = 20; i < 23; ++i) ASSERT_TRUE(a.admit(nth(static_cast<unsigned>(i)), after).admitted());
  EXPECT_EQ(a.admit(ip("192.0.2.50"), after).cause, Cause::NetworkRate);
}

TEST(Admission, TrustedSourceHasItsOwnLargerRate) {
  AdmissionConfig c = generous();
  c.per_source = {1, 2};
  c.per_trusted_source = {1, 50};
  const KeyedHash h;
  Admission a(c, h);
  const auto t = at(seconds(1));
  a.trust(ip("192.0.2.9"), t);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(a.admit(ip("192.0.2.9"), t).admitted()) << i;
  const Verdict v = a.admit(ip("192.0.2.9"), t);  // a compromised account cannot flood either
  EXPECT_EQ(v.cause, Cause::SourceRate);
  EXPECT_TRUE(v.first);
}

TEST(Admission, GlobalGateShedsUnknownSourcesFirst) {
  AdmissionConfig c = generous();
  c.capacity = 100;
  c.capacity_burst = 100;
  c.trusted_reserve = 0.3;
  c.retry_after = seconds(5);
  c.retry_spread = seconds(10);
  const KeyedHash h;
  Admission a(c, h);
  const auto t = at(seconds(1));
  a.trust(ip("203.0.113.1"), t);
  unsigned admitted = 0, n = 0;
  Verdict v;
  while ((v = a.admit(nth(n++), t)).admitted()) ++admitted;
  EXPECT_EQ(admitted, 70u);  // the last 30 tokens are the trusted reserve
  EXPECT_EQ(v.decision, Decision::Overloaded);
  EXPECT_EQ(v.cause, Cause::Overload);
  EXPECT_TRUE(v.first);
  EXPECT_TRUE(a.shedding());
  EXPECT_GE(v.retry_after, seconds(5));
  EXPECT_LT(v.retry_after, seconds(15));
  EXPECT_EQ(v.retry_after % seconds(1), base::Duration::zero());
  EXPECT_FALSE(a.admit(nth(n++), t).first);
  // The registered user still gets the reserve, then is shed too.
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(a.admit(ip("203.0.113.1"), t).admitted()) << i;
  EXPECT_EQ(a.admit(ip("203.0.113.1"), t).decision, Decision::Overloaded);
  // A second later the gate has 100 tokens again and unknown sources pass.
  EXPECT_TRUE(a.admit(nth(n++), t + seconds(1)).admitted());
  EXPECT_FALSE(a.shedding());
}

// A flood from a thousand unknown sources at ten times the capacity, and a registered user at
// 50 packets a second: the user loses nothing, the flood gets what is left.
TEST(Admission, RegisteredUserKeepsWorkingThroughADistributedFlood) {
  AdmissionConfig c;  // defaults for everything but the capacity
  c.capacity = 2000;
  c.capacity_burst = 2000;
  const KeyedHash h;
  Admission a(c, h);
  const Address user = ip("203.0.113.7");
  a.trust(user, at(seconds(0)));
  unsigned user_ok = 0, user_sent = 0, flood_ok = 0;
  for (int ms = 0; ms < 10000; ++ms) {
    const auto t = at(seconds(1) + milliseconds(ms));
    for (unsigned i = 0; i < 20; ++i) {  // 20 000 packets a second from 1000 sources
      if (a.admit(nth(1000 + (static_cast<unsigned>(ms) * 20 + i) % 1000), t).admitted()) ++flood_ok;
    }
    if (ms % 20 == 0) {
      ++user_sent;
      if (a.admit(user, t).admitted()) ++user_ok;
    }
  }
  EXPECT_EQ(user_ok, user_sent);
  // The flood is held to the capacity (plus the initial burst) minus what the user used.
  EXPECT_LE(flood_ok, 2000u * 10 + 2000);
  EXPECT_GE(flood_ok, 2000u * 10 * 9 / 10);
}

TEST(Admission, TablesStayWithinTheirMaximum) {
  AdmissionConfig c = generous();
  c.max_sources = 100;
  c.max_networks = 10;
  c.max_trusted = 5;
  const KeyedHash h;
  Admission a(c, h);
  for (unsigned i = 0; i < 5000; ++i) (void)a.admit(nth(i), at(seconds(1)));
  for (unsigned i = 0; i < 50; ++i) a.trust(nth(i), at(seconds(1)));
  const auto s = a.stats();
  EXPECT_EQ(s.sources, 100u);
  EXPECT_EQ(s.evicted_sources, 4900u);
  EXPECT_EQ(s.networks, 10u);
  EXPECT_EQ(s.trusted, 5u);
  EXPECT_EQ(s.evicted_trusted, 45u);
  EXPECT_TRUE(a.is_trusted(nth(49), at(seconds(1))));  // the most recent ones stay
  EXPECT_FALSE(a.is_trusted(nth(0), at(seconds(1))));
}

// Unauthenticated traffic from many addresses cannot push a trusted source out.
TEST(Admission, FloodCannotEvictTrustedSources) {
  AdmissionConfig c = generous();
  c.max_sources = 10;
  c.max_trusted = 10;
  c.per_network = {1, 1};
  const KeyedHash h;
  Admission a(c, h);
  a.trust(ip("203.0.113.7"), at(seconds(1)));
  for (unsigned i = 0; i < 10000; ++i) (void)a.admit(nth(i), at(seconds(1)));
  EXPECT_TRUE(a.is_trusted(ip("203.0.113.7"), at(seconds(1))));
  a.distrust(ip("203.0.113.7"));
  EXPECT_FALSE(a.is_trusted(ip("203.0.113.7"), at(seconds(1))));
}
