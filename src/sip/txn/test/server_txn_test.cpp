// RFC 3261 figures 7 and 8 (server transactions) with RFC 6026's Accepted state.
#include <gtest/gtest.h>

#include "sip/txn/server_txn.hpp"
#include "txn_test_util.hpp"

using namespace warden::sip::txn;
using namespace warden::sip::txn::test;
using namespace std::chrono_literals;
using warden::base::ManualClock;

namespace {
const TimerConfig kCfg;
}

TEST(ServerInvite, RetransmittedInviteRepeatsLastProvisional) {
  ManualClock clock;
  auto inv = parse(request("INVITE"));
  ServerTxn t(*inv, false, kCfg, clock.now());
  EXPECT_EQ(t.state(), State::Proceeding);
  EXPECT_EQ(t.on_request(*inv, clock.now()), Disposition::Absorb);
  EXPECT_EQ(count(t.take_actions()).sends, 0);  // nothing to repeat yet
  EXPECT_TRUE(t.send_response(response(180, "INVITE"), 180, clock.now()));
  EXPECT_EQ(count(t.take_actions()).sends, 1);
  EXPECT_EQ(t.on_request(*inv, clock.now()), Disposition::Absorb);
  Counts c = count(t.take_actions());
  EXPECT_EQ(c.sends, 1);
  EXPECT_NE(c.last_sent.find("180"), std::string::npos);
}

TEST(ServerInvite, FailureRetransmitsWithTimerGUntilTimerH) {
  ManualClock clock;
  auto inv = parse(request("INVITE"));
  ServerTxn t(*inv, false, kCfg, clock.now());
  ASSERT_TRUE(t.send_response(response(486, "INVITE"), 486, clock.now()));
  EXPECT_EQ(t.state(), State::Completed);
  (void)t.take_actions();
  Counts total;
  auto times = run_timers(t, clock, 100s, total);
  EXPECT_EQ(times, (std::vector<double>{0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5}));
  EXPECT_EQ(total.timeouts, 1);  // Timer H: the ACK never came
  EXPECT_EQ(clock.now() - TimePoint{}, 32s);
}

TEST(ServerInvite, AckConfirmsThenTimerI) {
  ManualClock clock;
  auto inv = parse(request("INVITE"));
  auto ack = parse(request("ACK"));
  ServerTxn t(*inv, false, kCfg, clock.now());
  ASSERT_TRUE(t.send_response(response(404, "INVITE"), 404, clock.now()));
  (void)t.take_actions();
  clock.advance(1s);
  EXPECT_EQ(t.on_request(*ack, clock.now()), Disposition::Absorb);
  EXPECT_EQ(t.state(), State::Confirmed);
  // In Confirmed, retransmitted ACKs are absorbed and nothing is resent.
  EXPECT_EQ(t.on_request(*ack, clock.now()), Disposition::Absorb);
  EXPECT_EQ(count(t.take_actions()).sends, 0);
  Counts total;
  auto times = run_timers(t, clock, 100s, total);
  EXPECT_TRUE(times.empty());
  EXPECT_EQ(total.terminated, 1);
  EXPECT_EQ(clock.now() - TimePoint{}, 6s);  // ACK at 1 s + Timer I = T4
}

TEST(ServerInvite, AckOnReliableTerminatesAtOnce) {
  ManualClock clock;
  auto inv = parse(request("INVITE"));
  auto ack = parse(request("ACK"));
  ServerTxn t(*inv, true, kCfg, clock.now());
  ASSERT_TRUE(t.send_response(response(486, "INVITE"), 486, clock.now()));
  (void)t.take_actions();
  EXPECT_EQ(t.on_request(*ack, clock.now()), Disposition::Absorb);
  EXPECT_EQ(count(t.take_actions()).terminated, 1);
}

TEST(ServerInvite, SuccessEntersAcceptedWhereAcksReachTheTu) {
  ManualClock clock;
  auto inv = parse(request("INVITE"));
  auto ack = parse(request("ACK", "z9hG4bK-other"));
  ServerTxn t(*inv, false, kCfg, clock.now());
  ASSERT_TRUE(t.send_response(response(200, "INVITE"), 200, clock.now()));
  EXPECT_EQ(t.state(), State::Accepted);
  (void)t.take_actions();
  EXPECT_EQ(t.on_request(*inv, clock.now()), Disposition::Absorb);  // RFC 6026: absorbed
  EXPECT_EQ(count(t.take_actions()).sends, 0);
  EXPECT_EQ(t.on_request(*ack, clock.now()), Disposition::Deliver);
  // The TU retransmits its 2xx through the transaction; provisional or failure are refused.
  EXPECT_TRUE(t.send_response(response(200, "INVITE"), 200, clock.now()));
  EXPECT_FALSE(t.send_response(response(486, "INVITE"), 486, clock.now()));
  EXPECT_EQ(count(t.take_actions()).sends, 1);
  Counts total;
  run_timers(t, clock, 100s, total);
  EXPECT_EQ(total.terminated, 1);
  EXPECT_EQ(clock.now() - TimePoint{}, 32s);  // Timer L
}

TEST(ServerNonInvite, TryingAbsorbsThenCompletedRepeatsFinal) {
  ManualClock clock;
  auto reg = parse(request("REGISTER"));
  ServerTxn t(*reg, false, kCfg, clock.now());
  EXPECT_EQ(t.state(), State::Trying);
  EXPECT_EQ(t.on_request(*reg, clock.now()), Disposition::Absorb);
  EXPECT_EQ(count(t.take_actions()).sends, 0);
  ASSERT_TRUE(t.send_response(response(100, "REGISTER"), 100, clock.now()));
  EXPECT_EQ(t.state(), State::Proceeding);
  ASSERT_TRUE(t.send_response(response(200, "REGISTER"), 200, clock.now()));
  EXPECT_EQ(t.state(), State::Completed);
  EXPECT_FALSE(t.send_response(response(500, "REGISTER"), 500, clock.now()));
  (void)t.take_actions();
  EXPECT_EQ(t.on_request(*reg, clock.now()), Disposition::Absorb);
  Counts c = count(t.take_actions());
  EXPECT_EQ(c.sends, 1);
  EXPECT_NE(c.last_sent.find("SIP/2.0 200"), std::string::npos);
  Counts total;
  run_timers(t, clock, 100s, total);
  EXPECT_EQ(total.terminated, 1);
  EXPECT_EQ(clock.now() - TimePoint{}, 32s);  // Timer J = 64*T1
}

TEST(ServerNonInvite, ReliableCompletesAtOnce) {
  ManualClock clock;
  auto opt = parse(request("OPTIONS"));
  ServerTxn t(*opt, true, kCfg, clock.now());
  ASSERT_TRUE(t.send_response(response(200, "OPTIONS"), 200, clock.now()));
  Counts c = count(t.take_actions());
  EXPECT_EQ(c.sends, 1);
  EXPECT_EQ(c.terminated, 1);
}

TEST(ServerNonInvite, TransportError) {
  ManualClock clock;
  auto opt = parse(request("OPTIONS"));
  ServerTxn t(*opt, true, kCfg, clock.now());
  t.on_transport_error(clock.now());
  Counts c = count(t.take_actions());
  EXPECT_EQ(c.errors, 1);
  EXPECT_EQ(c.terminated, 1);
}
