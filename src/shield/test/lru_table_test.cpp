#include <gtest/gtest.h>

#include <algorithm>
#include <list>
#include <map>
#include <random>

#include "shield/lru_table.hpp"

using warden::shield::LruTable;

TEST(LruTable, InsertFindErase) {
  LruTable<int, int> t(4);
  EXPECT_EQ(t.capacity(), 4u);
  EXPECT_EQ(t.find(1, 11), nullptr);
  auto r = t.insert(1, 11);
  EXPECT_TRUE(r.created);
  EXPECT_EQ(r.value, 0);  // value-initialised
  r.value = 100;
  auto again = t.insert(1, 11);
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.value, 100);
  ASSERT_NE(t.find(1, 11), nullptr);
  EXPECT_EQ(*t.find(1, 11), 100);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_TRUE(t.erase(1, 11));
  EXPECT_FALSE(t.erase(1, 11));
  EXPECT_EQ(t.find(1, 11), nullptr);
  EXPECT_EQ(t.size(), 0u);
}

TEST(LruTable, FullTableEvictsTheLeastRecentlyTouched) {
  LruTable<int, int> t(3);
  t.insert(1, 1).value = 10;
  t.insert(2, 2).value = 20;
  t.insert(3, 3).value = 30;
  ASSERT_NE(t.find_touch(1, 1), nullptr);  // 2 is now the least recently touched
  ASSERT_NE(t.find(2, 2), nullptr);        // find() does not touch
  t.insert(4, 4).value = 40;
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.evictions(), 1u);
  EXPECT_EQ(t.find(2, 2), nullptr);
  EXPECT_NE(t.find(1, 1), nullptr);
  EXPECT_NE(t.find(3, 3), nullptr);
  EXPECT_NE(t.find(4, 4), nullptr);
  t.insert(5, 5);  // 3 goes next
  EXPECT_EQ(t.find(3, 3), nullptr);
  std::vector<int> order;
  t.for_each([&](int k, int) { order.push_back(k); });
  EXPECT_EQ(order, (std::vector<int>{5, 4, 1}));
}

// Every key in one bucket: probing and backward-shift deletion must keep the rest findable.
TEST(LruTable, CollidingHashesSurviveDeletion) {
  LruTable<int, int> t(16);
  for (int k = 0; k < 16; ++k) t.insert(k, 7).value = k * 10;
  for (int k = 0; k < 16; k += 3) EXPECT_TRUE(t.erase(k, 7));
  for (int k = 0; k < 16; ++k) {
    if (k % 3 == 0) {
      EXPECT_EQ(t.find(k, 7), nullptr) << k;
    } else {
      ASSERT_NE(t.find(k, 7), nullptr) << k;
      EXPECT_EQ(*t.find(k, 7), k * 10);
    }
  }
}

// Random operations against a model (a map and a recency list), with few distinct hashes so
// that probe chains wrap around the index and cross each other.
TEST(LruTable, MatchesAModelUnderRandomOperations) {
  constexpr std::size_t kCapacity = 37;
  LruTable<int, int> t(kCapacity);
  std::map<int, int> values;
  std::list<int> recency;  // front: most recent
  auto touch = [&](int k) {
    recency.remove(k);
    recency.push_front(k);
  };
  auto hash = [](int k) { return static_cast<std::uint64_t>(k % 11) * 0x9e3779b97f4a7c15ULL; };
  std::mt19937 rng(42);
  for (int step = 0; step < 200000; ++step) {
    const int k = static_cast<int>(rng() % 120);
    switch (rng() % 4) {
      case 0: {  // insert
        auto r = t.insert(k, hash(k));
        const bool had = values.count(k) != 0;
        ASSERT_EQ(r.created, !had);
        if (!had && values.size() == kCapacity) {
          values.erase(recency.back());
          recency.pop_back();
        }
        r.value = step;
        values[k] = step;
        touch(k);
        break;
      }
      case 1: {  // find_touch
        int* v = t.find_touch(k, hash(k));
        ASSERT_EQ(v != nullptr, values.count(k) != 0);
        if (v != nullptr) {
          ASSERT_EQ(*v, values[k]);
          touch(k);
        }
        break;
      }
      case 2: {  // erase
        ASSERT_EQ(t.erase(k, hash(k)), values.erase(k) != 0);
        recency.remove(k);
        break;
      }
      default: {  // find
        const int* v = t.find(k, hash(k));
        ASSERT_EQ(v != nullptr, values.count(k) != 0);
        if (v != nullptr) {
          ASSERT_EQ(*v, values[k]);
        }
      }
    }
    ASSERT_EQ(t.size(), values.size());
  }
  std::vector<int> order;
  t.for_each([&](int k, int) { order.push_back(k); });
  EXPECT_EQ(order, std::vector<int>(recency.begin(), recency.end()));
}

TEST(LruTable, ClearEmptiesAndTheTableIsReusable) {
  LruTable<int, int> t(5);
  for (int k = 0; k < 5; ++k) t.insert(k, static_cast<std::uint64_t>(k));
  t.clear();
  EXPECT_EQ(t.size(), 0u);
  for (int k = 0; k < 5; ++k) EXPECT_EQ(t.find(k, static_cast<std::uint64_t>(k)), nullptr);
  for (int k = 10; k < 15; ++k) EXPECT_TRUE(t.insert(k, static_cast<std::uint64_t>(k)).created);
  EXPECT_EQ(t.evictions(), 0u);
}
