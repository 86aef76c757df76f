#include <gtest/gtest.h>

#include "helpers.hpp"
#include "shield/ban_list.hpp"

using namespace warden;
using namespace warden::shield;
using namespace warden::shield::test;

namespace {
BanConfig config() {
  BanConfig c;
  c.first = minutes(10);
  c.longest = minutes(30);
  c.remember = hours(24);
  return c;
}
}  // namespace

TEST(BanList, BanLastsItsDurationThenEnds) {
  const KeyedHash h;
  BanList bans(config(), h);
  const auto t = at(hours(1));
  EXPECT_FALSE(bans.is_banned(ip("192.0.2.1"), t));
  const auto b = bans.ban(ip("192.0.2.1"), "scanner", t);
  EXPECT_TRUE(b.is_new);
  EXPECT_EQ(b.level, 1u);
  EXPECT_EQ(b.until, t + minutes(10));
  EXPECT_TRUE(bans.is_banned(ip("192.0.2.1"), t));
  EXPECT_TRUE(bans.is_banned(ip("192.0.2.1"), t + minutes(10) - milliseconds(1)));
  EXPECT_FALSE(bans.is_banned(ip("192.0.2.1"), t + minutes(10)));
  EXPECT_FALSE(bans.is_banned(ip("192.0.2.2"), t));  // only that source
  EXPECT_FALSE(bans.is_banned(ip("2001:db8::1"), t));
}

TEST(BanList, EachNewBanDoublesUpToTheLongest) {
  const KeyedHash h;
  BanList bans(config(), h);
  auto t = at(hours(1));
  const base::Duration expected[] = {minutes(10), minutes(20), minutes(30), minutes(30)};
  unsigned level = 0;
  for (base::Duration d : expected) {
    const auto b = bans.ban(ip("192.0.2.1"), "brute force", t);
    ASSERT_TRUE(b.is_new);
    EXPECT_EQ(b.level, ++level);
    EXPECT_EQ(b.until - t, d);
    t = b.until + minutes(1);  // comes back a minute after the ban ends
    EXPECT_FALSE(bans.is_banned(ip("192.0.2.1"), t));
  }
}

TEST(BanList, BanningABannedSourceChangesNothing) {
  const KeyedHash h;
  BanList bans(config(), h);
  const auto t = at(hours(1));
  bans.ban(ip("192.0.2.1"), "first reason", t);
  (void)bans.take_changes();
  const auto again = bans.ban(ip("192.0.2.1"), "second reason", t + minutes(5));
  EXPECT_FALSE(again.is_new);
  EXPECT_EQ(again.level, 1u);
  EXPECT_EQ(again.until, t + minutes(10));
  EXPECT_EQ(bans.find(ip("192.0.2.1"))->reason, "first reason");
  EXPECT_TRUE(bans.take_changes().empty());
}

TEST(BanList, ForgottenSourceStartsAgainAtLevelOne) {
  const KeyedHash h;
  BanList bans(config(), h);
  const auto t = at(hours(1));
  bans.ban(ip("192.0.2.1"), "x", t);
  const auto within = bans.ban(ip("192.0.2.1"), "x", t + hours(24));  // ended 23h50 ago: remembered
  EXPECT_EQ(within.level, 2u);
  const auto forgotten = bans.ban(ip("192.0.2.1"), "x", within.until + hours(24));
  EXPECT_EQ(forgotten.level, 1u);
  // A remembered record is dropped by the look-up that finds it forgotten.
  bans.ban(ip("192.0.2.9"), "x", t);
  EXPECT_EQ(bans.size(), 2u);
  EXPECT_FALSE(bans.is_banned(ip("192.0.2.9"), t + hours(30)));
  EXPECT_EQ(bans.find(ip("192.0.2.9")), nullptr);
}

TEST(BanList, ChangesAreQueuedForTheStore) {
  const KeyedHash h;
  BanList bans(config(), h);
  const auto t = at(hours(1));
  bans.ban(ip("192.0.2.1"), "scanner User-Agent", t);
  bans.ban(ip("2001:db8::5"), "brute force", t);
  EXPECT_TRUE(bans.unban(ip("192.0.2.1")));
  EXPECT_FALSE(bans.unban(ip("192.0.2.1")));
  EXPECT_FALSE(bans.is_banned(ip("192.0.2.1"), t));
  const auto changes = bans.take_changes();
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].op, BanChange::Op::Put);
  EXPECT_EQ(changes[0].address, ip("192.0.2.1"));
  EXPECT_EQ(changes[0].record.reason, "scanner User-Agent");
  EXPECT_EQ(changes[0].record.until, t + minutes(10));
  EXPECT_EQ(changes[0].record.keep_until, t + minutes(10) + hours(24));
  EXPECT_EQ(changes[1].address, ip("2001:db8::5"));
  EXPECT_EQ(changes[2].op, BanChange::Op::Remove);
  EXPECT_EQ(changes[2].address, ip("192.0.2.1"));
  EXPECT_TRUE(bans.take_changes().empty());
  // Unban forgets the level too.
  EXPECT_EQ(bans.ban(ip("192.0.2.1"), "x", t).level, 1u);
}

TEST(BanList, ChangeQueueIsBounded) {
  BanConfig c = config();
  c.max_entries = 4;
  const KeyedHash h;
  BanList bans(c, h);
  for (unsigned i = 0; i < 6; ++i) bans.ban(nth(i), "x", at(hours(1)));
  const auto changes = bans.take_changes();
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes.front().address, nth(2));  // the oldest two were dropped
  EXPECT_EQ(bans.changes_lost(), 2u);
}

// A full list evicts the record of the source that has been quiet longest, never one that is
// still sending.
TEST(BanList, FullListEvictsTheLeastActive) {
  BanConfig c = config();
  c.max_entries = 3;
  const KeyedHash h;
  BanList bans(c, h);
  const auto t = at(hours(1));
  bans.ban(ip("192.0.2.1"), "x", t);
  bans.ban(ip("192.0.2.2"), "x", t);
  bans.ban(ip("192.0.2.3"), "x", t);
  EXPECT_TRUE(bans.is_banned(ip("192.0.2.1"), t + seconds(1)));  // .1 keeps attacking
  bans.ban(ip("192.0.2.4"), "x", t + seconds(2));
  EXPECT_EQ(bans.size(), 3u);
  EXPECT_EQ(bans.evictions(), 1u);
  EXPECT_TRUE(bans.is_banned(ip("192.0.2.1"), t + seconds(3)));
  EXPECT_FALSE(bans.is_banned(ip("192.0.2.2"), t + seconds(3)));
  EXPECT_TRUE(bans.is_banned(ip("192.0.2.3"), t + seconds(3)));
  EXPECT_TRUE(bans.is_banned(ip("192.0.2.4"), t + seconds(3)));
}

TEST(BanList, RestoreDoesNotQueueAndSkipsForgottenRecords) {
  const KeyedHash h;
  BanList bans(config(), h);
  const auto t = at(hours(5));
  bans.restore(ip("192.0.2.1"), {t + minutes(3), t + hours(1), 2, "restored"}, t);
  bans.restore(ip("192.0.2.2"), {t - hours(2), t - hours(1), 1, "forgotten"}, t);
  bans.restore(ip("192.0.2.3"), {t - minutes(1), t + hours(1), 3, "ended, remembered"}, t);
  EXPECT_TRUE(bans.take_changes().empty());
  EXPECT_TRUE(bans.is_banned(ip("192.0.2.1"), t));
  EXPECT_EQ(bans.find(ip("192.0.2.2")), nullptr);
  EXPECT_FALSE(bans.is_banned(ip("192.0.2.3"), t));
  EXPECT_EQ(bans.ban(ip("192.0.2.3"), "again", t).level, 4u);  // escalation survives
}

TEST(BanList, LongReasonsAreCut) {
  BanConfig c = config();
  c.max_reason_bytes = 8;
  const KeyedHash h;
  BanList bans(c, h);
  bans.ban(ip("192.0.2.1"), "a reason longer than eight bytes", at(hours(1)));
  EXPECT_EQ(bans.find(ip("192.0.2.1"))->reason, "a reason");
}
