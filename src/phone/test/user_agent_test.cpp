// UserAgent: two phones wired back to back (what one sends, the other receives: the proxy
// between them is left out), plus a scripted middle box for challenges and redirects.

#include "phone/user_agent.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <functional>

#include "crypto/csprng.hpp"
#include "sip/msg/builder.hpp"
#include "sip/msg/parser.hpp"

namespace warden::phone {
namespace {

using namespace std::chrono_literals;
using Kind = UaEvent::Kind;
using sip::msg::Message;

UserAgentConfig config(std::string user, int port) {
  UserAgentConfig c;
  c.aor = "sip:" + user + "@example.test";
  c.contact = "sip:" + user + "@127.0.0.1:" + std::to_string(port);
  c.via_sent_by = "127.0.0.1:" + std::to_string(port);
  c.transport = "UDP";
  return c;
}

Message parse(const std::string& bytes) {
  Message m;
  EXPECT_TRUE(sip::msg::parse_message(bytes, m, base::Limits::Sip{}).accepted()) << bytes;
  return m;
}

std::string method_of(const std::string& bytes) { return bytes.substr(0, bytes.find(' ')); }

// The middle box's own answer to `request` (a challenge, a redirect): status, To tag, headers.
std::string answer_to(const std::string& request, std::uint16_t status, std::string_view to_tag,
                      std::string_view extra_headers) {
  Message m = parse(request);
  sip::msg::ResponseOptions o;
  o.status = status;
  o.to_tag = to_tag;
  o.extra_headers = extra_headers;
  std::string out;
  sip::msg::build_response(m, o, out);
  return out;
}

constexpr std::string_view kChallenge = "Proxy-Authenticate: Digest realm=\"example.test\", nonce=\"n1\"\r\n";

// Two user agents and a wire. `filter` sees every message (from A when a_to_b) and may drop
// it (return false) or answer it itself.
struct Pair {
  crypto::Csprng rng;
  UserAgent a{config("alice", 5071), rng};
  UserAgent b{config("bob", 5072), rng};
  base::TimePoint now{std::chrono::seconds(1000)};
  std::vector<UaEvent> ea, eb;
  std::vector<std::string> a_sent, b_sent;
  std::function<bool(bool a_to_b, const std::string&)> filter;

  void run() {
    for (int guard = 0; guard < 1000; ++guard) {
      auto oa = a.take_outgoing();
      auto ob = b.take_outgoing();
      for (auto& e : a.take_events()) ea.push_back(std::move(e));
      for (auto& e : b.take_events()) eb.push_back(std::move(e));
      if (oa.empty() && ob.empty()) return;
      for (auto& m : oa) {
        a_sent.push_back(m);
        if (!filter || filter(true, m)) b.on_message(m, false, now);
      }
      for (auto& m : ob) {
        b_sent.push_back(m);
        if (!filter || filter(false, m)) a.on_message(m, false, now);
      }
    }
    FAIL() << "messages kept flowing";
  }
  // Advances time to each deadline in turn, up to `until`.
  void advance(base::Duration d) {
    const auto until = now + d;
    for (;;) {
      auto da = a.next_deadline(), db = b.next_deadline();
      std::optional<base::TimePoint> next;
      if (da && *da <= until) next = da;
      if (db && *db <= until && (!next || *db < *next)) next = db;
      if (!next) break;
      now = std::max(now, *next);
      a.on_timer(now);
      b.on_timer(now);
      run();
    }
    now = until;
  }
  static const UaEvent* find(const std::vector<UaEvent>& v, Kind k) {
    for (const auto& e : v)
      if (e.kind == k) return &e;
    return nullptr;
  }
  int count_sent(const std::vector<std::string>& v, std::string_view start) const {
    int n = 0;
    for (const auto& m : v)
      if (m.rfind(start, 0) == 0) ++n;
    return n;
  }
};

// Sets up an answered call from A to B; returns A's and B's call ids.
std::pair<CallId, CallId> establish(Pair& p) {
  CallId ca = p.a.call("sip:bob@example.test", "v=0 offer", p.now);
  p.run();
  const UaEvent* in = Pair::find(p.eb, Kind::IncomingCall);
  EXPECT_NE(in, nullptr);
  if (!in) return {ca, 0};
  EXPECT_EQ(in->sdp, "v=0 offer");
  EXPECT_EQ(in->peer, "sip:alice@example.test");
  CallId cb = in->call;
  EXPECT_TRUE(p.b.ring(cb, p.now));
  p.run();
  EXPECT_NE(Pair::find(p.ea, Kind::Ringing), nullptr);
  EXPECT_TRUE(p.b.answer(cb, "v=0 answer", p.now));
  p.run();
  const UaEvent* ans = Pair::find(p.ea, Kind::Answered);
  EXPECT_NE(ans, nullptr);
  if (ans) EXPECT_EQ(ans->sdp, "v=0 answer");
  EXPECT_NE(Pair::find(p.eb, Kind::Established), nullptr);
  return {ca, cb};
}

TEST(UserAgent, CallAnswerAndHangUpFromTheCaller) {
  Pair p;
  auto [ca, cb] = establish(p);
  EXPECT_EQ(p.count_sent(p.a_sent, "ACK "), 1);
  ASSERT_TRUE(p.a.hangup(ca, p.now));
  p.run();
  const UaEvent* eb = Pair::find(p.eb, Kind::Ended);
  const UaEvent* ea = Pair::find(p.ea, Kind::Ended);
  ASSERT_NE(eb, nullptr);
  ASSERT_NE(ea, nullptr);
  EXPECT_EQ(eb->reason, "remote hangup");
  EXPECT_EQ(ea->reason, "local hangup");
  EXPECT_EQ(p.a.call_count(), 0u);
  EXPECT_EQ(p.b.call_count(), 0u);
  (void)cb;
}

TEST(UserAgent, RecordRouteIsEchoedOnceAndBecomesTheRouteSet) {
  Pair p;
  // A proxy in the middle would add its Record-Route to the INVITE.
  p.filter = [](bool a_to_b, const std::string&) { return true; };
  CallId ca = p.a.call("sip:bob@example.test", "offer", p.now);
  auto out = p.a.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  std::string invite = out[0];
  invite.insert(invite.find("Max-Forwards"), "Record-Route: <sip:192.0.2.1:5060;lr>\r\n");
  p.b.on_message(invite, false, p.now);
  p.run();
  CallId cb = Pair::find(p.eb, Kind::IncomingCall)->call;
  ASSERT_TRUE(p.b.ring(cb, p.now));
  ASSERT_TRUE(p.b.answer(cb, "answer", p.now));
  p.run();
  for (const auto& r : p.b_sent) {
    if (r.rfind("SIP/2.0 1", 0) == 0 && r.rfind("SIP/2.0 100", 0) != 0) EXPECT_EQ(parse(r).record_routes.size(), 1u) << r;
    if (r.rfind("SIP/2.0 2", 0) == 0) EXPECT_EQ(parse(r).record_routes.size(), 1u) << r;
  }
  // A's ACK and BYE carry the route set.
  ASSERT_TRUE(p.a.hangup(ca, p.now));
  p.run();
  int routed = 0;
  for (const auto& m : p.a_sent)
    if (method_of(m) == "ACK" || method_of(m) == "BYE") {
      Message msg = parse(m);
      ASSERT_EQ(msg.routes.size(), 1u) << m;
      EXPECT_EQ(msg.routes[0].uri.raw, "sip:192.0.2.1:5060;lr");
      ++routed;
    }
  EXPECT_EQ(routed, 2);
}

TEST(UserAgent, CalleeHangsUp) {
  Pair p;
  auto [ca, cb] = establish(p);
  ASSERT_TRUE(p.b.hangup(cb, p.now));
  p.run();
  ASSERT_NE(Pair::find(p.ea, Kind::Ended), nullptr);
  EXPECT_EQ(Pair::find(p.ea, Kind::Ended)->reason, "remote hangup");
  EXPECT_FALSE(p.a.active(ca));
}

TEST(UserAgent, IdentifiersAreFreshAndLong) {
  Pair p;
  p.a.call("sip:bob@example.test", "x", p.now);
  p.a.call("sip:bob@example.test", "x", p.now);
  auto out = p.a.take_outgoing();
  ASSERT_EQ(out.size(), 2u);
  Message m1 = parse(out[0]), m2 = parse(out[1]);
  EXPECT_NE(m1.call_id, m2.call_id);
  EXPECT_NE(m1.from.tag, m2.from.tag);
  EXPECT_NE(m1.vias[0].branch, m2.vias[0].branch);
  EXPECT_GE(m1.from.tag.size(), 16u);  // 128 bits, encoded
  EXPECT_TRUE(m1.vias[0].rfc3261_branch());
}

TEST(UserAgent, CancelBeforeTheAnswer) {
  Pair p;
  CallId ca = p.a.call("sip:bob@example.test", "offer", p.now);
  p.run();
  ASSERT_NE(Pair::find(p.eb, Kind::IncomingCall), nullptr);
  CallId cb = Pair::find(p.eb, Kind::IncomingCall)->call;
  ASSERT_TRUE(p.b.ring(cb, p.now));
  p.run();
  ASSERT_TRUE(p.a.hangup(ca, p.now));
  p.run();
  EXPECT_EQ(p.count_sent(p.a_sent, "CANCEL "), 1);
  ASSERT_NE(Pair::find(p.eb, Kind::Ended), nullptr);
  EXPECT_EQ(Pair::find(p.eb, Kind::Ended)->reason, "cancelled by the caller");
  ASSERT_NE(Pair::find(p.ea, Kind::Ended), nullptr);
  EXPECT_EQ(Pair::find(p.ea, Kind::Ended)->reason, "local cancel");
  EXPECT_EQ(p.count_sent(p.b_sent, "SIP/2.0 487"), 1);
}

TEST(UserAgent, CancelWaitsForAProvisionalResponse) {
  Pair p;
  // B's answers are held back: the CANCEL must not go out before a 1xx arrived (§9.1).
  std::vector<std::string> held;
  p.filter = [&](bool a_to_b, const std::string& m) {
    if (!a_to_b) {
      held.push_back(m);
      return false;
    }
    return true;
  };
  CallId ca = p.a.call("sip:bob@example.test", "offer", p.now);
  p.run();
  ASSERT_TRUE(p.a.hangup(ca, p.now));
  p.run();
  EXPECT_EQ(p.count_sent(p.a_sent, "CANCEL "), 0);
  p.filter = nullptr;
  for (auto& m : held) p.a.on_message(m, false, p.now);  // the 100 Trying
  p.run();
  EXPECT_EQ(p.count_sent(p.a_sent, "CANCEL "), 1);
  ASSERT_NE(Pair::find(p.ea, Kind::Ended), nullptr);
}

TEST(UserAgent, RejectedCallFails) {
  Pair p;
  p.a.call("sip:bob@example.test", "offer", p.now);
  p.run();
  CallId cb = Pair::find(p.eb, Kind::IncomingCall)->call;
  ASSERT_TRUE(p.b.reject(cb, 488, "Not Acceptable Here", p.now));
  p.run();
  const UaEvent* f = Pair::find(p.ea, Kind::Failed);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, 488);
  EXPECT_EQ(f->reason, "Not Acceptable Here");
  EXPECT_EQ(p.count_sent(p.a_sent, "ACK "), 1);  // the transaction's ACK for the failure
  EXPECT_EQ(p.a.call_count(), 0u);
}

TEST(UserAgent, ChallengedInviteIsAnsweredOnceWithTheAuthenticator) {
  Pair p;
  int challenges = 0;
  p.a.set_authenticator([](const Message& challenge, const Message& request) -> std::optional<std::string> {
    EXPECT_EQ(challenge.status, 407);
    EXPECT_EQ(request.method, sip::msg::Method::Invite);
    return std::string("Proxy-Authorization: Digest username=\"alice\"\r\n");
  });
  // The middle box challenges every INVITE without credentials.
  p.filter = [&](bool a_to_b, const std::string& bytes) {
    if (!a_to_b || method_of(bytes) != "INVITE") return true;
    Message m = parse(bytes);
    if (m.find("Proxy-Authorization")) return true;
    ++challenges;
    p.a.on_message(answer_to(bytes, 407, "proxytag", kChallenge), false, p.now);
    return false;
  };
  auto [ca, cb] = establish(p);
  EXPECT_EQ(challenges, 1);
  ASSERT_GE(p.count_sent(p.a_sent, "INVITE "), 2);
  Message second = parse(p.a_sent[2]);  // INVITE, ACK for the 407, INVITE
  EXPECT_EQ(second.cseq.number, 2u);
  EXPECT_NE(second.find("Proxy-Authorization"), nullptr);
  (void)ca;
  (void)cb;
}

TEST(UserAgent, SecondChallengeEndsTheCall) {
  Pair p;
  p.a.set_authenticator([](const Message&, const Message&) -> std::optional<std::string> {
    return std::string("Proxy-Authorization: Digest username=\"alice\"\r\n");
  });
  int challenges = 0;
  p.filter = [&](bool a_to_b, const std::string& bytes) {
    if (!a_to_b || method_of(bytes) != "INVITE") return a_to_b;
    ++challenges;
    p.a.on_message(answer_to(bytes, 407, "proxytag", kChallenge), false, p.now);
    return false;
  };
  p.a.call("sip:bob@example.test", "offer", p.now);
  p.run();
  const UaEvent* f = Pair::find(p.ea, Kind::Failed);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, 407);
  EXPECT_EQ(challenges, 3);  // the first try and two answers, then it gives up: no loop
}

TEST(UserAgent, UnknownDialogGets481) {
  Pair p;
  std::string bye =
      "BYE sip:bob@127.0.0.1:5072 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKforged1\r\n"
      "From: <sip:mallory@example.test>;tag=a\r\nTo: <sip:bob@example.test>;tag=b\r\nCall-ID: forged\r\n"
      "CSeq: 5 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
  p.b.on_message(bye, false, p.now);
  auto out = p.b.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].rfind("SIP/2.0 481", 0), 0u);
  EXPECT_EQ(p.b.stats().unknown_dialog, 1u);
}

TEST(UserAgent, ForgedByeWithAGuessedCallIdDoesNotEndTheCall) {
  Pair p;
  auto [ca, cb] = establish(p);
  Message invite = parse(p.a_sent[0]);
  // Right Call-ID, wrong tags.
  std::string bye = "BYE sip:bob@127.0.0.1:5072 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKforged2\r\n"
                    "From: <sip:alice@example.test>;tag=guess\r\nTo: <sip:bob@example.test>;tag=guess2\r\n"
                    "Call-ID: " + std::string(invite.call_id) +
                    "\r\nCSeq: 50 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
  p.b.on_message(bye, false, p.now);
  EXPECT_TRUE(p.b.active(cb));
  EXPECT_EQ(p.b.take_outgoing().at(0).rfind("SIP/2.0 481", 0), 0u);
  (void)ca;
}

TEST(UserAgent, TwoHundredIsRetransmittedUntilTheAck) {
  Pair p;
  bool drop_acks = true;
  p.filter = [&](bool a_to_b, const std::string& m) { return !(a_to_b && drop_acks && method_of(m) == "ACK"); };
  CallId ca = p.a.call("sip:bob@example.test", "offer", p.now);
  p.run();
  CallId cb = Pair::find(p.eb, Kind::IncomingCall)->call;
  p.b.answer(cb, "answer", p.now);
  p.run();
  EXPECT_EQ(Pair::find(p.eb, Kind::Established), nullptr);
  p.advance(1600ms);  // T1, 2*T1 (500 ms, then 1 s later): two retransmissions
  EXPECT_EQ(p.count_sent(p.b_sent, "SIP/2.0 200"), 3);
  // A answers every retransmitted 2xx with its ACK again.
  EXPECT_EQ(p.count_sent(p.a_sent, "ACK "), 3);
  drop_acks = false;
  p.advance(2s);
  EXPECT_NE(Pair::find(p.eb, Kind::Established), nullptr);
  const int after = p.count_sent(p.b_sent, "SIP/2.0 200");
  p.advance(10s);
  EXPECT_EQ(p.count_sent(p.b_sent, "SIP/2.0 200"), after);  // stopped
  EXPECT_TRUE(p.a.active(ca));
}

TEST(UserAgent, NoAckEndsTheCallWithBye) {
  Pair p;
  p.filter = [&](bool a_to_b, const std::string& m) { return !(a_to_b && method_of(m) == "ACK"); };
  p.a.call("sip:bob@example.test", "offer", p.now);
  p.run();
  CallId cb = Pair::find(p.eb, Kind::IncomingCall)->call;
  p.b.answer(cb, "answer", p.now);
  p.run();
  p.advance(40s);  // 64*T1 = 32 s
  EXPECT_EQ(p.count_sent(p.b_sent, "BYE "), 1);
  EXPECT_FALSE(p.b.active(cb));
  ASSERT_NE(Pair::find(p.ea, Kind::Ended), nullptr);
}

TEST(UserAgent, LostInviteIsRetransmitted) {
  Pair p;
  int invites = 0;
  p.filter = [&](bool a_to_b, const std::string& m) {
    if (a_to_b && method_of(m) == "INVITE") return ++invites > 1;  // the first one is lost
    return true;
  };
  p.a.call("sip:bob@example.test", "offer", p.now);
  p.run();
  EXPECT_EQ(Pair::find(p.eb, Kind::IncomingCall), nullptr);
  p.advance(600ms);
  EXPECT_NE(Pair::find(p.eb, Kind::IncomingCall), nullptr);
  EXPECT_EQ(invites, 2);
}

TEST(UserAgent, NoAnswerAtAllFailsWith408) {
  Pair p;
  p.filter = [](bool, const std::string&) { return false; };
  p.a.call("sip:bob@example.test", "offer", p.now);
  p.run();
  p.advance(40s);
  const UaEvent* f = Pair::find(p.ea, Kind::Failed);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, 408);
}

TEST(UserAgent, ReinviteForHold) {
  Pair p;
  auto [ca, cb] = establish(p);
  ASSERT_TRUE(p.a.reinvite(ca, "hold offer", p.now));
  p.run();
  const UaEvent* r = Pair::find(p.eb, Kind::Reoffer);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->sdp, "hold offer");
  ASSERT_TRUE(p.b.answer(cb, "hold answer", p.now));
  p.run();
  const UaEvent* ra = Pair::find(p.ea, Kind::ReofferAnswered);
  ASSERT_NE(ra, nullptr);
  EXPECT_EQ(ra->sdp, "hold answer");
  EXPECT_EQ(p.count_sent(p.a_sent, "ACK "), 2);
  // The call goes on: a BYE still ends it on both sides.
  ASSERT_TRUE(p.b.hangup(cb, p.now));
  p.run();
  EXPECT_NE(Pair::find(p.ea, Kind::Ended), nullptr);
}

TEST(UserAgent, RefusedReinviteKeepsTheCall) {
  Pair p;
  auto [ca, cb] = establish(p);
  ASSERT_TRUE(p.a.reinvite(ca, "bad offer", p.now));
  p.run();
  ASSERT_TRUE(p.b.reject(cb, 488, "Not Acceptable Here", p.now));
  p.run();
  const UaEvent* f = Pair::find(p.ea, Kind::ReofferFailed);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, 488);
  EXPECT_TRUE(p.a.active(ca));
  EXPECT_TRUE(p.b.active(cb));
}

TEST(UserAgent, BlindTransferWithRefer) {
  Pair p;
  auto [ca, cb] = establish(p);
  ASSERT_TRUE(p.a.refer(ca, "sip:carol@example.test", p.now));
  p.run();
  const UaEvent* tr = Pair::find(p.eb, Kind::TransferRequested);
  ASSERT_NE(tr, nullptr);
  EXPECT_EQ(tr->target, "sip:carol@example.test");
  // A saw 202 and the first NOTIFY (100 Trying).
  std::vector<std::uint16_t> progress;
  for (const auto& e : p.ea)
    if (e.kind == Kind::TransferProgress) progress.push_back(e.status);
  ASSERT_EQ(progress.size(), 2u);
  EXPECT_EQ(progress[0] + progress[1], 202 + 100);
  ASSERT_TRUE(p.b.notify_transfer(cb, 200, "OK", p.now));
  p.run();
  EXPECT_EQ(p.ea.back().kind, Kind::TransferProgress);
  EXPECT_EQ(p.ea.back().status, 200);
  // The subscription ended: no more NOTIFYs.
  EXPECT_FALSE(p.b.notify_transfer(cb, 200, "OK", p.now));
}

// RFC 3892 §3: the transferee gets the REFER's Referred-By as received, to copy into its INVITE;
// here a middle box (the transferor's proxy) has put a signed token into it.
TEST(UserAgent, TransferCarriesTheReferredByVerbatim) {
  Pair p;
  std::string replacement = "\"Alice\" <sip:alice@example.test>;rtoken=eyJh.eyJp.c2ln";
  p.filter = [&](bool a_to_b, const std::string& bytes) {
    if (!a_to_b || method_of(bytes) != "REFER") return true;
    std::string edited = bytes;
    const std::string original = "Referred-By: <sip:alice@example.test>\r\n";
    const auto at = edited.find(original);
    EXPECT_NE(at, std::string::npos) << bytes;
    if (at != std::string::npos) edited.replace(at, original.size(), "Referred-By: " + replacement + "\r\n");
    p.b.on_message(edited, false, p.now);
    return false;
  };
  auto [ca, cb] = establish(p);
  ASSERT_TRUE(p.a.refer(ca, "sip:carol@example.test", p.now));
  p.run();
  const UaEvent* tr = Pair::find(p.eb, Kind::TransferRequested);
  ASSERT_NE(tr, nullptr);
  EXPECT_EQ(tr->referred_by, replacement);
  EXPECT_EQ(tr->peer, "sip:alice@example.test");
  // A value longer than kMaxReferredBy is not copied (the token would not fit anyway).
  Pair q;
  replacement = "<sip:alice@example.test>;rtoken=" + std::string(kMaxReferredBy, 'A');
  q.filter = [&](bool a_to_b, const std::string& bytes) {
    if (!a_to_b || method_of(bytes) != "REFER") return true;
    std::string edited = bytes;
    const auto at = edited.find("Referred-By: ");
    const auto end = edited.find("\r\n", at);
    edited.replace(at, end - at, "Referred-By: " + replacement);
    q.b.on_message(edited, false, q.now);
    return false;
  };
  auto [qa, qb] = establish(q);
  ASSERT_TRUE(q.a.refer(qa, "sip:carol@example.test", q.now));
  q.run();
  const UaEvent* long_tr = Pair::find(q.eb, Kind::TransferRequested);
  ASSERT_NE(long_tr, nullptr);
  EXPECT_EQ(long_tr->referred_by, "");
  EXPECT_EQ(long_tr->target, "sip:carol@example.test");
  (void)cb;
  (void)qb;
}

TEST(UserAgent, ReferWithoutReferredByGivesNone) {
  Pair p;
  auto [ca, cb] = establish(p);
  p.filter = [&](bool a_to_b, const std::string& bytes) {
    if (!a_to_b || method_of(bytes) != "REFER") return true;
    std::string edited = bytes;
    const auto at = edited.find("Referred-By: ");
    edited.erase(at, edited.find("\r\n", at) + 2 - at);
    p.b.on_message(edited, false, p.now);
    return false;
  };
  ASSERT_TRUE(p.a.refer(ca, "sip:carol@example.test", p.now));
  p.run();
  const UaEvent* tr = Pair::find(p.eb, Kind::TransferRequested);
  ASSERT_NE(tr, nullptr);
  EXPECT_EQ(tr->referred_by, "");
  (void)cb;
}

// The call a transfer places carries Referred-By (RFC 3892 §3): the target's IncomingCall event
// has its value (compact form "b" too); an ordinary call has none.
TEST(UserAgent, IncomingCallCarriesTheInvitesReferredBy) {
  const std::string value = "<sip:bob@a.test>;rtoken=eyJh.eyJp.c2ln";
  for (std::string_view name : {"Referred-By", "b"}) {
    Pair p;
    p.a.call("sip:carol@example.test", "v=0 offer", p.now, std::string(name) + ": " + value + "\r\n");
    p.run();
    const UaEvent* in = Pair::find(p.eb, Kind::IncomingCall);
    ASSERT_NE(in, nullptr);
    EXPECT_EQ(in->referred_by, value) << name;
  }
  Pair plain;
  plain.a.call("sip:carol@example.test", "v=0 offer", plain.now);
  plain.run();
  const UaEvent* in = Pair::find(plain.eb, Kind::IncomingCall);
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(in->referred_by, "");
  // A value too long to show is left out, the call still comes in.
  Pair big;
  big.a.call("sip:carol@example.test", "v=0 offer", big.now,
             "Referred-By: <sip:bob@a.test>;rtoken=" + std::string(kMaxReferredBy, 'A') + "\r\n");
  big.run();
  in = Pair::find(big.eb, Kind::IncomingCall);
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(in->referred_by, "");
}

// The transferor's proxy challenges the in-dialog REFER (to sign its Referred-By): it is sent
// again once with credentials; a second challenge is the REFER's final answer.
TEST(UserAgent, ChallengedReferIsAnsweredOnceWithTheAuthenticator) {
  Pair p;
  auto [ca, cb] = establish(p);
  int asked = 0;
  p.a.set_authenticator([&](const Message& challenge, const Message& request) -> std::optional<std::string> {
    ++asked;
    EXPECT_EQ(challenge.status, 407);
    EXPECT_EQ(request.method, sip::msg::Method::Refer);
    return std::string("Proxy-Authorization: Digest username=\"alice\"\r\n");
  });
  int challenges = 0;
  bool always = false;
  p.filter = [&](bool a_to_b, const std::string& bytes) {
    if (!a_to_b || method_of(bytes) != "REFER") return true;
    Message m = parse(bytes);
    if (m.find("Proxy-Authorization") && !always) return true;
    ++challenges;
    p.a.on_message(answer_to(bytes, 407, {}, kChallenge), false, p.now);
    return false;
  };
  ASSERT_TRUE(p.a.refer(ca, "sip:carol@example.test", p.now));
  p.run();
  EXPECT_EQ(challenges, 1);
  EXPECT_EQ(asked, 1);
  ASSERT_EQ(p.count_sent(p.a_sent, "REFER "), 2);
  std::vector<std::string> refers;
  for (const auto& m : p.a_sent)
    if (method_of(m) == "REFER") refers.push_back(m);
  const Message first = parse(refers[0]), second = parse(refers[1]);
  EXPECT_EQ(second.cseq.number, first.cseq.number + 1);
  EXPECT_NE(second.find("Proxy-Authorization"), nullptr);
  ASSERT_NE(second.find("Refer-To"), nullptr);
  EXPECT_EQ(second.find("Refer-To")->value, "<sip:carol@example.test>");
  EXPECT_EQ(second.find("Referred-By")->value, "<sip:alice@example.test>");
  const UaEvent* tr = Pair::find(p.eb, Kind::TransferRequested);
  ASSERT_NE(tr, nullptr);
  EXPECT_EQ(tr->target, "sip:carol@example.test");
  // The 407 was not reported as the REFER's outcome: A saw 202 and the NOTIFY's 100 only.
  std::vector<std::uint16_t> progress;
  for (const auto& e : p.ea)
    if (e.kind == Kind::TransferProgress) progress.push_back(e.status);
  ASSERT_EQ(progress.size(), 2u);
  EXPECT_EQ(progress[0] + progress[1], 202 + 100);
  // Challenged again after the credentials: reported once, not looped.
  p.ea.clear();
  always = true;
  challenges = 0;
  ASSERT_TRUE(p.a.refer(ca, "sip:dave@example.test", p.now));
  p.run();
  EXPECT_EQ(challenges, 2);
  const UaEvent* failed = Pair::find(p.ea, Kind::TransferProgress);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->status, 407);
  (void)cb;
}

TEST(UserAgent, RedirectToTheSameDomainIsFollowed) {
  Pair p;
  bool redirected = false;
  p.filter = [&](bool a_to_b, const std::string& bytes) {
    if (!a_to_b || method_of(bytes) != "INVITE" || redirected) return true;
    redirected = true;
    p.a.on_message(answer_to(bytes, 302, "r", "Contact: <sip:bob2@example.test>\r\n"), false, p.now);
    return false;
  };
  p.a.call("sip:bob@example.test", "offer", p.now);
  p.run();
  const UaEvent* r = Pair::find(p.ea, Kind::Redirected);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->target, "sip:bob2@example.test");
  ASSERT_NE(Pair::find(p.eb, Kind::IncomingCall), nullptr);
  EXPECT_EQ(p.a_sent.back().rfind("INVITE sip:bob2@example.test ", 0), 0u);
}

struct RedirectCase {
  std::string original;
  std::string contact;
  std::string transport;
};

class RefusedRedirect : public ::testing::TestWithParam<RedirectCase> {};

TEST_P(RefusedRedirect, IsNotFollowed) {
  const auto& rc = GetParam();
  crypto::Csprng rng;
  auto cfg = config("alice", 5071);
  cfg.transport = rc.transport;
  UserAgent a(cfg, rng);
  base::TimePoint now{std::chrono::seconds(5)};
  a.call(rc.original, "offer", now);
  auto out = a.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  a.on_message(answer_to(out[0], 301, "r", "Contact: <" + rc.contact + ">\r\n"), rc.transport != "UDP", now);
  auto events = a.take_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::Failed);
  EXPECT_EQ(events[0].status, 301);
  EXPECT_EQ(a.stats().refused_redirects, 1u);
  for (const auto& s : a.take_outgoing()) EXPECT_NE(method_of(s), "INVITE");
}

INSTANTIATE_TEST_SUITE_P(
    Policy, RefusedRedirect,
    ::testing::Values(RedirectCase{"sip:bob@example.test", "sip:bob@evil.test", "UDP"},            // other domain
                      RedirectCase{"sips:bob@example.test", "sip:bob@example.test", "TLS"},        // sips -> sip
                      RedirectCase{"sip:bob@example.test", "sip:bob@example.test;transport=udp", "TLS"},  // TLS -> UDP
                      RedirectCase{"sip:bob@example.test", "tel:+15551234", "UDP"},                 // not SIP
                      RedirectCase{"sip:bob@example.test", "http://example.test/x", "UDP"}));

TEST(UserAgent, GarbageIsCountedNotFatal) {
  crypto::Csprng rng;
  UserAgent a(config("alice", 5071), rng);
  base::TimePoint now{};
  for (std::string junk : {std::string(""), std::string("\x00\x01garbage", 9), std::string("INVITE\r\n\r\n"),
                           std::string("SIP/2.0 200 OK\r\n\r\n")})
    a.on_message(junk, false, now);
  EXPECT_GE(a.stats().unparsable, 3u);
  EXPECT_TRUE(a.take_outgoing().empty());
}

TEST(UserAgent, OptionsOutsideADialogIsAnswered) {
  crypto::Csprng rng;
  UserAgent b(config("bob", 5072), rng);
  std::string options =
      "OPTIONS sip:bob@127.0.0.1:5072 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKopt1\r\n"
      "From: <sip:proxy@example.test>;tag=p\r\nTo: <sip:bob@example.test>\r\nCall-ID: opt\r\n"
      "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
  b.on_message(options, false, base::TimePoint{});
  auto out = b.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].rfind("SIP/2.0 200", 0), 0u);
  EXPECT_NE(out[0].find("Allow: INVITE"), std::string::npos);
}

}  // namespace
}  // namespace warden::phone
