// RFC 3261 figures 5 and 6 (client transactions) with RFC 6026's Accepted state, on a
// simulated clock: every state and every timer transition.
#include <gtest/gtest.h>

#include "sip/txn/client_txn.hpp"
#include "txn_test_util.hpp"

using namespace warden::sip::txn;
using namespace warden::sip::txn::test;
using namespace std::chrono_literals;
using warden::base::ManualClock;

namespace {
const TimerConfig kCfg;  // T1 500 ms, T2 4 s, T4 5 s
}

TEST(ClientInvite, TimerARetransmitsAndTimerBTimesOutAt64T1) {
  ManualClock clock;
  ClientTxn t(request("INVITE"), false, kCfg, clock.now());
  EXPECT_EQ(t.state(), State::Calling);
  EXPECT_EQ(count(t.take_actions()).sends, 1);
  Counts total;
  auto times = run_timers(t, clock, 100s, total);
  // Timer A: T1, 2T1, 4T1 ... without a cap: sends at 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s.
  EXPECT_EQ(times, (std::vector<double>{0.5, 1.5, 3.5, 7.5, 15.5, 31.5}));
  EXPECT_EQ(total.timeouts, 1);  // Timer B at 32 s
  EXPECT_EQ(total.terminated, 1);
  EXPECT_EQ(t.state(), State::Terminated);
  EXPECT_EQ(clock.now() - TimePoint{}, 32s);
}

TEST(ClientInvite, ReliableTransportHasNoTimerA) {
  ManualClock clock;
  ClientTxn t(request("INVITE"), true, kCfg, clock.now());
  (void)t.take_actions();
  Counts total;
  auto times = run_timers(t, clock, 100s, total);
  EXPECT_TRUE(times.empty());
  EXPECT_EQ(total.timeouts, 1);
}

TEST(ClientInvite, ProvisionalStopsRetransmissions) {
  ManualClock clock;
  ClientTxn t(request("INVITE"), false, kCfg, clock.now());
  (void)t.take_actions();
  clock.advance(100ms);
  auto ringing = parse(response(180, "INVITE"));
  EXPECT_EQ(t.on_response(*ringing, clock.now()), Disposition::Deliver);
  EXPECT_EQ(t.state(), State::Proceeding);
  Counts total;
  auto times = run_timers(t, clock, 100s, total);
  EXPECT_TRUE(times.empty());
  // Figure 5: Timer B only runs in Calling. A call that rings for ever is the TU's to end
  // (a proxy's Timer C, §16.6 step 11; a UAC's CANCEL).
  EXPECT_EQ(total.timeouts, 0);
}

TEST(ClientInvite, FailureIsAckedAndRetransmissionsReAcked) {
  ManualClock clock;
  ClientTxn t(request("INVITE"), false, kCfg, clock.now());
  (void)t.take_actions();
  auto busy = parse(response(486, "INVITE"));
  EXPECT_EQ(t.on_response(*busy, clock.now()), Disposition::Deliver);
  EXPECT_EQ(t.state(), State::Completed);
  Counts c = count(t.take_actions());
  ASSERT_EQ(c.sends, 1);
  auto ack = parse(c.last_sent);
  EXPECT_EQ(ack->method, warden::sip::msg::Method::Ack);
  EXPECT_EQ(ack->cseq.method, warden::sip::msg::Method::Ack);
  EXPECT_EQ(ack->cseq.number, 7u);
  EXPECT_EQ(ack->to.tag, "b2");
  EXPECT_EQ(ack->vias.size(), 1u);
  EXPECT_EQ(ack->vias[0].branch, "z9hG4bK-test-1");
  EXPECT_EQ(ack->routes.size(), 1u);
  EXPECT_EQ(ack->request_uri.raw, "sip:bob@example.test");
  // A retransmitted 486 is absorbed and ACKed again.
  EXPECT_EQ(t.on_response(*busy, clock.now()), Disposition::Absorb);
  EXPECT_EQ(count(t.take_actions()).sends, 1);
  // Timer D (32 s on unreliable transports) ends it.
  Counts total;
  run_timers(t, clock, 100s, total);
  EXPECT_EQ(total.terminated, 1);
  EXPECT_EQ(total.timeouts, 0);
  EXPECT_EQ(clock.now() - TimePoint{}, 32s);
}

TEST(ClientInvite, FailureOnReliableTerminatesAtOnce) {
  ManualClock clock;
  ClientTxn t(request("INVITE"), true, kCfg, clock.now());
  (void)t.take_actions();
  auto busy = parse(response(603, "INVITE"));
  EXPECT_EQ(t.on_response(*busy, clock.now()), Disposition::Deliver);
  Counts c = count(t.take_actions());
  EXPECT_EQ(c.sends, 1);  // the ACK
  EXPECT_EQ(c.terminated, 1);
  EXPECT_EQ(t.state(), State::Terminated);
}

TEST(ClientInvite, SuccessEntersAcceptedAndKeepsDeliveringForks) {
  ManualClock clock;
  ClientTxn t(request("INVITE"), false, kCfg, clock.now());
  (void)t.take_actions();
  auto ok1 = parse(response(200, "INVITE", "z9hG4bK-test-1", "fork1"));
  auto ok2 = parse(response(200, "INVITE", "z9hG4bK-test-1", "fork2"));
  EXPECT_EQ(t.on_response(*ok1, clock.now()), Disposition::Deliver);
  EXPECT_EQ(t.state(), State::Accepted);
  EXPECT_EQ(count(t.take_actions()).sends, 0);  // the TU ACKs a 2xx, not the transaction
  EXPECT_EQ(t.on_response(*ok2, clock.now()), Disposition::Deliver);
  auto late_busy = parse(response(486, "INVITE"));
  EXPECT_EQ(t.on_response(*late_busy, clock.now()), Disposition::Absorb);
  Counts total;
  run_timers(t, clock, 100s, total);
  EXPECT_EQ(total.terminated, 1);
  EXPECT_EQ(clock.now() - TimePoint{}, 32s);  // Timer M = 64*T1
}

TEST(ClientInvite, TransportErrorTerminates) {
  ManualClock clock;
  ClientTxn t(request("INVITE"), false, kCfg, clock.now());
  (void)t.take_actions();
  t.on_transport_error(clock.now());
  Counts c = count(t.take_actions());
  EXPECT_EQ(c.errors, 1);
  EXPECT_EQ(c.terminated, 1);
  EXPECT_FALSE(t.next_deadline().has_value());
}

TEST(ClientNonInvite, TimerECapsAtT2AndTimerFTimesOut) {
  ManualClock clock;
  ClientTxn t(request("OPTIONS"), false, kCfg, clock.now());
  EXPECT_EQ(t.state(), State::Trying);
  (void)t.take_actions();
  Counts total;
  auto times = run_timers(t, clock, 100s, total);
  EXPECT_EQ(times, (std::vector<double>{0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5}));
  EXPECT_EQ(total.timeouts, 1);
  EXPECT_EQ(clock.now() - TimePoint{}, 32s);
}

TEST(ClientNonInvite, ProceedingRetransmitsAtT2) {
  ManualClock clock;
  ClientTxn t(request("REGISTER"), false, kCfg, clock.now());
  (void)t.take_actions();
  auto trying = parse(response(100, "REGISTER"));
  EXPECT_EQ(t.on_response(*trying, clock.now()), Disposition::Deliver);
  EXPECT_EQ(t.state(), State::Proceeding);
  Counts total;
  auto times = run_timers(t, clock, 100s, total);
  // The timer armed in Trying fires at 0.5 s, then every T2.
  ASSERT_GE(times.size(), 3u);
  EXPECT_DOUBLE_EQ(times[0], 0.5);
  EXPECT_DOUBLE_EQ(times[1], 4.5);
  EXPECT_DOUBLE_EQ(times[2], 8.5);
  EXPECT_EQ(total.timeouts, 1);
}

TEST(ClientNonInvite, FinalResponseThenTimerK) {
  ManualClock clock;
  ClientTxn t(request("BYE"), false, kCfg, clock.now());
  (void)t.take_actions();
  auto ok = parse(response(200, "BYE"));
  EXPECT_EQ(t.on_response(*ok, clock.now()), Disposition::Deliver);
  EXPECT_EQ(t.state(), State::Completed);
  EXPECT_EQ(count(t.take_actions()).sends, 0);  // no ACK for non-INVITE
  EXPECT_EQ(t.on_response(*ok, clock.now()), Disposition::Absorb);
  Counts total;
  run_timers(t, clock, 100s, total);
  EXPECT_EQ(total.terminated, 1);
  EXPECT_EQ(clock.now() - TimePoint{}, 5s);  // Timer K = T4
}

TEST(ClientNonInvite, ConfigurableT1) {
  ManualClock clock;
  TimerConfig fast;
  fast.t1 = 100ms;
  ClientTxn t(request("OPTIONS"), false, fast, clock.now());
  (void)t.take_actions();
  Counts total;
  run_timers(t, clock, 100s, total);
  EXPECT_EQ(clock.now() - TimePoint{}, 6400ms);  // Timer F = 64*T1
}
