// Transactions and dialogs over the simulated network: loss, duplication, reordering, CANCEL
// matching and forking, all on a simulated clock.
#include <gtest/gtest.h>

#include <memory>

#include "base/limits.hpp"
#include "crypto/csprng.hpp"
#include "sim_network.hpp"
#include "sip/dialog/dialog_table.hpp"
#include "sip/dialog/identifiers.hpp"
#include "sip/msg/builder.hpp"
#include "sip/msg/parser.hpp"
#include "sip/txn/txn_key.hpp"
#include "sip/txn/txn_table.hpp"

using namespace warden;
using namespace warden::sip;
using namespace std::chrono_literals;
using base::Duration;
using base::TimePoint;

namespace {

const base::Limits kLimits;

std::string invite(std::string_view branch, std::string_view call_id = "sim-call") {
  return "INVITE sip:bob@b.test SIP/2.0\r\nVia: SIP/2.0/UDP alice.test:5060;branch=" + std::string(branch) +
         "\r\nMax-Forwards: 70\r\nFrom: <sip:alice@a.test>;tag=alice\r\nTo: <sip:bob@b.test>\r\nCall-ID: " +
         std::string(call_id) + "\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@alice.test>\r\nContent-Length: 0\r\n\r\n";
}

// A user agent server: answers each new INVITE with 180 and then `final_status`, answers CANCEL
// (200 + 487 to the INVITE, or 481 when nothing matches), counts ACKs.
struct Uas {
  std::string name;
  std::uint16_t final_status = 486;
  std::string to_tag;
  txn::TxnTable table{txn::TimerConfig{}};
  int acks_absorbed = 0;
  int cancels_481 = 0;
  int invites_seen = 0;

  void receive(const std::string& bytes, TimePoint now) {
    msg::Message m;
    if (!msg::parse_message(bytes, m, kLimits.sip).accepted() || m.is_response()) return;
    if (auto* t = table.find_server(m)) {
      if (m.method == msg::Method::Ack) {
        t->on_request(m, now);
        if (t->state() == txn::State::Confirmed) ++acks_absorbed;
      } else {
        t->on_request(m, now);
      }
      return;
    }
    if (m.method == msg::Method::Ack) return;
    auto id = table.create_server(m, false, 0, "peer", now);
    ASSERT_TRUE(id);
    auto* t = table.server(*id);
    std::string out;
    if (m.method == msg::Method::Cancel) {
      const bool found = table.find_cancel_target(m) != nullptr;
      msg::ResponseOptions o;
      o.status = found ? 200 : 481;
      o.to_tag = to_tag;
      msg::build_response(m, o, out);
      cancels_481 += found ? 0 : 1;
      t->send_response(out, o.status, now);
      return;
    }
    ++invites_seen;
    msg::ResponseOptions ringing;
    ringing.status = 180;
    ringing.to_tag = to_tag;
    msg::build_response(m, ringing, out);
    t->send_response(out, 180, now);
    out.clear();
    msg::ResponseOptions fin;
    fin.status = final_status;
    fin.to_tag = to_tag;
    const std::string contact = "Contact: <sip:" + name + ">\r\n";
    if (final_status < 300) fin.extra_headers = contact;
    msg::build_response(m, fin, out);
    t->send_response(out, final_status, now);
  }
};

// Runs the world until nothing is scheduled. `uac` may be null.
struct World {
  base::ManualClock clock;
  sim::SimNetwork net;
  std::unique_ptr<txn::ClientTxn> uac;
  std::vector<Uas*> uases;
  std::vector<std::string> delivered_to_uac;  // responses the UAC transaction passed up
  std::vector<std::string> uac_destinations{"bob"};

  explicit World(std::uint64_t seed, sim::LinkProfile p) : net(seed, p) {}

  void flush_uac() {
    if (!uac) return;
    for (auto& a : uac->take_actions())
      if (a.kind == txn::Action::Kind::Send)
        for (const auto& d : uac_destinations) net.send("alice", d, a.bytes, clock.now());
  }
  void flush_uas(Uas& u) {
    for (auto& a : u.table.take_actions())
      if (a.action.kind == txn::Action::Kind::Send) net.send(u.name, "alice", a.action.bytes, clock.now());
  }

  void run(Duration limit = 120s) {
    const TimePoint end = clock.now() + limit;
    flush_uac();
    for (;;) {
      std::optional<TimePoint> next = net.next_delivery();
      auto consider = [&next](std::optional<TimePoint> t) {
        if (t && (!next || *t < *next)) next = t;
      };
      if (uac) consider(uac->next_deadline());
      for (auto* u : uases) consider(u->table.next_deadline());
      if (!next || *next > end) return;
      clock.set(std::max(*next, clock.now()));
      for (auto& p : net.deliver_due(clock.now())) {
        if (p.to == "alice") {
          msg::Message r;
          // Only responses that match the client transaction (§17.1.3) reach it.
          if (uac && msg::parse_message(p.bytes, r, kLimits.sip).accepted() &&
              txn::client_key(r) == txn::client_key_for_request(uac->request()) &&
              uac->on_response(r, clock.now()) == txn::Disposition::Deliver)
            delivered_to_uac.push_back(p.bytes);
        } else {
          for (auto* u : uases)
            if (u->name == p.to) u->receive(p.bytes, clock.now());
        }
      }
      if (uac) uac->on_timer(clock.now());
      for (auto* u : uases) u->table.on_timer(clock.now());
      flush_uac();
      for (auto* u : uases) flush_uas(*u);
    }
  }

  int finals_delivered() const {
    int n = 0;
    for (const auto& b : delivered_to_uac) n += b.rfind("SIP/2.0 1", 0) != 0;
    return n;
  }
};

}  // namespace

TEST(SimTxn, InviteCompletesOverThirtyPercentLoss) {
  int retransmitted_runs = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    sim::LinkProfile lossy;
    lossy.loss = 0.30;
    World w(seed, lossy);
    Uas bob{"bob", 486, "bob-tag"};
    w.uases = {&bob};
    w.uac = std::make_unique<txn::ClientTxn>(invite("z9hG4bK-loss-" + std::to_string(seed)), false,
                                             txn::TimerConfig{}, w.clock.now());
    w.run();
    EXPECT_EQ(w.finals_delivered(), 1) << "seed " << seed;
    EXPECT_EQ(w.uac->state(), txn::State::Terminated) << "seed " << seed;
    EXPECT_EQ(bob.invites_seen, 1) << "seed " << seed << ": retransmissions must not look like new calls";
    EXPECT_EQ(bob.table.size(), 0u) << "seed " << seed;
    retransmitted_runs += w.net.sent() > 4;  // more than INVITE, 180, 486, ACK
  }
  EXPECT_GT(retransmitted_runs, 20);  // the loss really forced retransmissions
}

TEST(SimTxn, DuplicatedAndReorderedResponsesAreAbsorbed) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    sim::LinkProfile messy;
    messy.duplicate = 0.5;
    messy.jitter = 300ms;
    World w(seed, messy);
    Uas bob{"bob", 603, "bob-tag"};
    w.uases = {&bob};
    w.uac = std::make_unique<txn::ClientTxn>(invite("z9hG4bK-dup-" + std::to_string(seed)), false,
                                             txn::TimerConfig{}, w.clock.now());
    w.run();
    EXPECT_EQ(w.finals_delivered(), 1) << "seed " << seed;
    // A 180 overtaken by the 603 is absorbed, never delivered after the final.
    ASSERT_FALSE(w.delivered_to_uac.empty());
    EXPECT_EQ(w.delivered_to_uac.back().rfind("SIP/2.0 603", 0), 0u) << "seed " << seed;
    EXPECT_EQ(bob.invites_seen, 1);
  }
}

TEST(SimTxn, CancelForUnknownTransactionGets481) {
  World w(7, {});
  Uas bob{"bob", 486, "bob-tag"};
  w.uases = {&bob};
  // A CANCEL for an INVITE bob never saw.
  msg::Message never_sent;
  const std::string inv = invite("z9hG4bK-never");
  ASSERT_TRUE(msg::parse_message(inv, never_sent, kLimits.sip).accepted());
  std::string cancel;
  msg::build_cancel(never_sent, cancel);
  w.uac = std::make_unique<txn::ClientTxn>(cancel, false, txn::TimerConfig{}, w.clock.now());
  w.run();
  ASSERT_EQ(w.finals_delivered(), 1);
  EXPECT_EQ(w.delivered_to_uac.back().rfind("SIP/2.0 481", 0), 0u);
  EXPECT_EQ(bob.cancels_481, 1);
}

TEST(SimTxn, CancelForPendingInviteMatches) {
  World w(9, {});
  Uas bob{"bob", 486, "bob-tag"};
  w.uases = {&bob};
  const std::string inv = invite("z9hG4bK-pending");
  msg::Message invite_msg;
  ASSERT_TRUE(msg::parse_message(inv, invite_msg, kLimits.sip).accepted());
  // Bob holds the INVITE transaction open (it answered 180 + 486, still in Completed).
  bob.receive(inv, w.clock.now());
  std::string cancel;
  msg::build_cancel(invite_msg, cancel);
  w.uac = std::make_unique<txn::ClientTxn>(cancel, false, txn::TimerConfig{}, w.clock.now());
  w.run(1s);
  ASSERT_GE(w.finals_delivered(), 1);
  EXPECT_EQ(w.delivered_to_uac.back().rfind("SIP/2.0 200", 0), 0u);
  EXPECT_EQ(bob.cancels_481, 0);
}

TEST(SimTxn, ForkedProvisionalsCreateSeparateEarlyDialogs) {
  World w(11, {});
  Uas bob1{"bob1", 180, "tag-one"};
  Uas bob2{"bob2", 180, "tag-two"};
  // Both forks only ring: answer 180 twice (the "final" 180 is just another provisional).
  w.uases = {&bob1, &bob2};
  w.uac_destinations = {"bob1", "bob2"};
  const std::string inv = invite("z9hG4bK-fork");
  w.uac = std::make_unique<txn::ClientTxn>(inv, false, txn::TimerConfig{}, w.clock.now());
  w.run(5s);
  dialog::DialogTable dialogs;
  for (const auto& bytes : w.delivered_to_uac) {
    msg::Message r;
    ASSERT_TRUE(msg::parse_message(bytes, r, kLimits.sip).accepted());
    dialogs.on_uac_response(w.uac->request(), r);
  }
  EXPECT_EQ(dialogs.size(), 2u);
  auto family = dialogs.family("sim-call", "alice");
  ASSERT_EQ(family.size(), 2u);
  EXPECT_EQ(family[0]->state(), dialog::Dialog::State::Early);
  EXPECT_NE(family[0]->id().remote_tag, family[1]->id().remote_tag);
}

TEST(SimTxn, TimerBTakesNoRealTime) {
  World w(3, {});
  w.uac_destinations = {"nobody"};
  w.uac = std::make_unique<txn::ClientTxn>(invite("z9hG4bK-void"), false, txn::TimerConfig{}, w.clock.now());
  const auto wall_start = std::chrono::steady_clock::now();
  w.run();
  EXPECT_EQ(w.clock.now() - TimePoint{}, 32s);
  EXPECT_EQ(w.uac->state(), txn::State::Terminated);
  // 32 simulated seconds; the real time is whatever the machine takes, far below it.
  EXPECT_LT(std::chrono::steady_clock::now() - wall_start, 32s);
}
