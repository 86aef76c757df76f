#include <gtest/gtest.h>

#include "base/error.hpp"
#include "sip/txn/txn_table.hpp"
#include "txn_test_util.hpp"

using namespace warden::sip::txn;
using namespace warden::sip::txn::test;
using namespace std::chrono_literals;
using warden::base::ManualClock;

TEST(TxnTable, RetransmissionAndAckMatchTheInvite) {
  ManualClock clock;
  TxnTable table(TimerConfig{});
  auto inv = parse(request("INVITE"));
  auto id = table.create_server(*inv, false, 1, "192.0.2.1", clock.now());
  ASSERT_TRUE(id);
  EXPECT_EQ(table.find_server(*inv), table.server(*id));
  auto ack = parse(request("ACK"));
  EXPECT_EQ(table.find_server(*ack), table.server(*id));
  auto other = parse(request("INVITE", "z9hG4bK-test-2"));
  EXPECT_EQ(table.find_server(*other), nullptr);
  // A new transaction for the same key is refused; ACK never opens one.
  EXPECT_FALSE(table.create_server(*inv, false, 1, "192.0.2.1", clock.now()));
  EXPECT_FALSE(table.create_server(*ack, false, 1, "192.0.2.1", clock.now()));
}

TEST(TxnTable, CancelFindsItsInviteAndNothingElse) {
  ManualClock clock;
  TxnTable table(TimerConfig{});
  auto inv = parse(request("INVITE"));
  auto id = table.create_server(*inv, false, 1, "192.0.2.1", clock.now());
  ASSERT_TRUE(id);
  auto cancel = parse(request("CANCEL"));
  EXPECT_EQ(table.find_cancel_target(*cancel), table.server(*id));
  EXPECT_EQ(table.find_server(*cancel), nullptr);  // CANCEL is its own transaction
  auto stray = parse(request("CANCEL", "z9hG4bK-unknown"));
  EXPECT_EQ(table.find_cancel_target(*stray), nullptr);  // the TU answers 481
}

TEST(TxnTable, Rfc2543FallbackMatching) {
  ManualClock clock;
  TxnTable table(TimerConfig{});
  auto inv = parse(request("INVITE", "old-style-branch"));
  auto id = table.create_server(*inv, false, 1, "192.0.2.1", clock.now());
  ASSERT_TRUE(id);
  EXPECT_EQ(table.find_server(*inv), table.server(*id));
  auto ack = parse(request("ACK", "old-style-branch"));
  EXPECT_EQ(table.find_server(*ack), table.server(*id));
  auto other_call = parse(std::string(request("INVITE", "old-style-branch")).replace(
      request("INVITE", "old-style-branch").find("call-1"), 6, "call-2"));
  EXPECT_EQ(table.find_server(*other_call), nullptr);
}

TEST(TxnTable, PerSourceLimit) {
  ManualClock clock;
  TxnTable table(TimerConfig{}, 3);
  std::vector<Owned> reqs;
  for (int i = 0; i < 4; ++i) reqs.push_back(parse(request("OPTIONS", "z9hG4bK-n" + std::to_string(i))));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(table.create_server(*reqs[i], false, 1, "203.0.113.9", clock.now()));
  auto refused = table.create_server(*reqs[3], false, 1, "203.0.113.9", clock.now());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), warden::base::Errc::LimitExceeded);
  EXPECT_TRUE(table.create_server(*reqs[3], false, 1, "198.51.100.1", clock.now()));  // another source
  EXPECT_EQ(table.open_for_source("203.0.113.9"), 3u);
  // Answering one frees a place at once: an answered transaction only absorbs retransmissions.
  auto* t = table.find_server(*reqs[0]);
  ASSERT_NE(t, nullptr);
  t->send_response(response(200, "OPTIONS", "z9hG4bK-n0"), 200, clock.now());
  (void)table.take_actions();
  EXPECT_EQ(table.open_for_source("203.0.113.9"), 2u);
  auto fifth = parse(request("OPTIONS", "z9hG4bK-n4"));
  EXPECT_TRUE(table.create_server(*fifth, false, 1, "203.0.113.9", clock.now()));
  EXPECT_EQ(table.open_for_source("203.0.113.9"), 3u);
  // The answered one still absorbs its retransmissions until Timer J, then goes away without
  // touching the count again.
  EXPECT_NE(table.find_server(*reqs[0]), nullptr);
  clock.advance(32s);
  table.on_timer(clock.now());
  (void)table.take_actions();
  EXPECT_EQ(table.find_server(*reqs[0]), nullptr);
  EXPECT_EQ(table.open_for_source("203.0.113.9"), 3u);
}

TEST(TxnTable, SourcesWithNothingOpenAreSweptAsTheTableGrows) {
  // A source whose transactions are all answered keeps its counter until the counters table
  // has grown to a sweep point; many sources, one request each, never leave more than that.
  ManualClock clock;
  TxnTable table(TimerConfig{}, 2);
  std::size_t most = 0;
  for (int i = 0; i < 5000; ++i) {
    const std::string branch = "z9hG4bK-s" + std::to_string(i);
    const std::string source = "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250);
    auto req = parse(request("OPTIONS", branch));
    auto id = table.create_server(*req, false, 1, source, clock.now());
    ASSERT_TRUE(id);
    EXPECT_EQ(table.open_for_source(source), 1u);
    table.server(*id)->send_response(response(200, "OPTIONS", branch), 200, clock.now());
    (void)table.take_actions();
    EXPECT_EQ(table.open_for_source(source), 0u);
    most = std::max(most, table.sources_tracked());
  }
  EXPECT_GT(most, 1000u);   // kept between requests...
  EXPECT_LE(most, 1024u);   // ...and swept at the first sweep point, where every count was zero
  // A source with open transactions survives the sweep and still meets its limit.
  auto a = parse(request("OPTIONS", "z9hG4bK-keep-1"));
  auto b = parse(request("OPTIONS", "z9hG4bK-keep-2"));
  auto c = parse(request("OPTIONS", "z9hG4bK-keep-3"));
  ASSERT_TRUE(table.create_server(*a, false, 1, "203.0.113.7", clock.now()));
  ASSERT_TRUE(table.create_server(*b, false, 1, "203.0.113.7", clock.now()));
  for (int i = 0; i < 2000; ++i) {
    const std::string branch = "z9hG4bK-t" + std::to_string(i);
    auto req = parse(request("OPTIONS", branch));
    auto id = table.create_server(*req, false, 1, "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250),
                                  clock.now());
    ASSERT_TRUE(id);
    table.server(*id)->send_response(response(200, "OPTIONS", branch), 200, clock.now());
    (void)table.take_actions();
  }
  EXPECT_EQ(table.open_for_source("203.0.113.7"), 2u);
  EXPECT_FALSE(table.create_server(*c, false, 1, "203.0.113.7", clock.now()));
}

TEST(TxnTable, ClientMatchingAndTimersThroughTheTable) {
  ManualClock clock;
  TxnTable table(TimerConfig{});
  const auto id = table.create_client(request("OPTIONS"), false, 42, clock.now());
  auto first = table.take_actions();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].flow, 42u);
  EXPECT_TRUE(first[0].client);
  auto wrong_method = parse(response(200, "INVITE"));
  EXPECT_EQ(table.find_client(*wrong_method), nullptr);
  auto wrong_branch = parse(response(200, "OPTIONS", "z9hG4bK-else"));
  EXPECT_EQ(table.find_client(*wrong_branch), nullptr);
  // Let it time out entirely through the table's timer queue.
  int sends = 0, timeouts = 0, terminated = 0;
  while (auto next = table.next_deadline()) {
    clock.set(*next);
    table.on_timer(clock.now());
    for (auto& a : table.take_actions()) {
      EXPECT_EQ(a.txn_id, id);
      sends += a.action.kind == Action::Kind::Send;
      timeouts += a.action.kind == Action::Kind::Timeout;
      terminated += a.action.kind == Action::Kind::Terminated;
    }
  }
  EXPECT_EQ(sends, 10);
  EXPECT_EQ(timeouts, 1);
  EXPECT_EQ(terminated, 1);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(clock.now() - TimePoint{}, 32s);
}
