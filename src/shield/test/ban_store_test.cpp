#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "helpers.hpp"
#include "shield/ban_store.hpp"
#include "store/sqlite_store.hpp"

using namespace warden;
using namespace warden::shield;
using namespace warden::shield::test;

namespace {

std::string temp_db(const char* name) {
  auto dir = std::filesystem::temp_directory_path() / ("warden-shield-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto p = dir / name;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p.string() + suffix);
  return p.string();
}

BanConfig config() {
  BanConfig c;
  c.first = minutes(10);
  c.longest = hours(24);
  c.remember = hours(24);
  return c;
}

// 2023-11-14 22:13:20 UTC, a whole second.
const base::WallTime kWall{std::chrono::seconds(1'700'000'000)};

}  // namespace

// A process bans two sources and stops; the next one (a new store object on the same file, and a
// monotonic clock that started again near zero) still drops them, and escalates the next ban.
TEST(BanStore, BansSurviveARestart) {
  const std::string path = temp_db("restart.db");
  const KeyedHash h;
  {
    auto store = store::SqliteStore::open(path);
    ASSERT_TRUE(store);
    BanList bans(config(), h);
    const auto now = at(hours(50));  // the first process has been up 50 hours
    bans.ban(ip("192.0.2.66"), "scanner-user-agent: scanner User-Agent \"friendly-scanner\"", now);
    bans.ban(ip("2001:db8::bad"), "brute-force: 10 failed authentications", now);
    bans.ban(ip("198.51.100.1"), "to be lifted", now);
    ASSERT_TRUE(bans.unban(ip("198.51.100.1")));
    const auto changes = bans.take_changes();
    ASSERT_EQ(changes.size(), 4u);
    ASSERT_TRUE(save_bans(**store, changes, now, kWall));
  }
  // Restarted 2 minutes later; the new process's monotonic clock reads 5 s.
  auto store = store::SqliteStore::open(path);
  ASSERT_TRUE(store);
  BanList bans(config(), h);
  const auto now = at(seconds(5));
  const auto wall = kWall + minutes(2);
  auto loaded = load_bans(**store, bans, now, wall);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(*loaded, 2u);
  EXPECT_TRUE(bans.is_banned(ip("192.0.2.66"), now));
  EXPECT_TRUE(bans.is_banned(ip("2001:db8::bad"), now));
  EXPECT_FALSE(bans.is_banned(ip("198.51.100.1"), now));
  const BanRecord* r = bans.find(ip("192.0.2.66"));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->until, now + minutes(8));  // 10 minutes from the ban, 2 of them spent restarting
  EXPECT_EQ(r->level, 1u);
  EXPECT_EQ(r->reason, "scanner-user-agent: scanner User-Agent \"friendly-scanner\"");
  EXPECT_FALSE(bans.is_banned(ip("192.0.2.66"), now + minutes(8)));
  // The level was kept: the next ban of that source lasts twice as long.
  EXPECT_EQ(bans.ban(ip("192.0.2.66"), "again", now + minutes(9)).level, 2u);
}

TEST(BanStore, EndedBanIsRememberedForEscalationThenForgotten) {
  const std::string path = temp_db("remember.db");
  const KeyedHash h;
  auto store = store::SqliteStore::open(path);
  ASSERT_TRUE(store);
  {
    BanList bans(config(), h);
    const auto now = at(hours(1));
    bans.ban(ip("192.0.2.7"), "x", now);
    ASSERT_TRUE(save_bans(**store, bans.take_changes(), now, kWall));
  }
  {  // a restart an hour later: the ban has ended, its level is remembered
    BanList bans(config(), h);
    const auto now = at(seconds(1));
    ASSERT_EQ(*load_bans(**store, bans, now, kWall + hours(1)), 1u);
    EXPECT_FALSE(bans.is_banned(ip("192.0.2.7"), now));
    EXPECT_EQ(bans.ban(ip("192.0.2.7"), "x", now).level, 2u);
  }
  {  // a restart two days later, without saving the second ban: the record is gone from the store
    BanList bans(config(), h);
    ASSERT_EQ(*load_bans(**store, bans, at(seconds(1)), kWall + hours(48)), 0u);
    EXPECT_EQ(bans.size(), 0u);
  }
}

TEST(BanStore, RoundsTheEndUpToAWholeSecond) {
  const std::string path = temp_db("round.db");
  auto store = store::SqliteStore::open(path);
  ASSERT_TRUE(store);
  const KeyedHash h;
  BanList bans(config(), h);
  const auto now = at(seconds(10));
  bans.ban(ip("192.0.2.8"), "x", now);
  ASSERT_TRUE(save_bans(**store, bans.take_changes(), now, kWall + milliseconds(300)));
  auto rows = (*store)->load_bans(0);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].address, "192.0.2.8");
  EXPECT_EQ((*rows)[0].until, 1'700'000'000 + 601);  // 600.3 s from the wall second
  EXPECT_EQ((*rows)[0].keep_until, 1'700'000'000 + 601 + 86400);
  EXPECT_EQ((*rows)[0].level, 1);
}

TEST(BanStore, SkipsRowsThatAreNotAddresses) {
  const std::string path = temp_db("garbage.db");
  auto store = store::SqliteStore::open(path);
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->put_ban({"not an address", 1'800'000'000, 1'900'000'000, 1, "?"}));
  ASSERT_TRUE((*store)->put_ban({"192.0.2.10", 1'800'000'000, 1'900'000'000, 0, "level 0 is read as 1"}));
  const KeyedHash h;
  BanList bans(config(), h);
  auto n = load_bans(**store, bans, at(seconds(1)), kWall);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1u);
  EXPECT_TRUE(bans.is_banned(ip("192.0.2.10"), at(seconds(1))));
  EXPECT_EQ(bans.find(ip("192.0.2.10"))->level, 1u);
}
