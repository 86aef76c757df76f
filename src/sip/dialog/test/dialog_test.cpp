#include <gtest/gtest.h>

#include <memory>
#include <set>

#include "base/limits.hpp"
#include "crypto/csprng.hpp"
#include "sip/dialog/dialog_table.hpp"
#include "sip/dialog/identifiers.hpp"
#include "sip/msg/parser.hpp"

using namespace warden::sip;
using namespace warden::sip::dialog;

namespace {

struct Owned {
  std::unique_ptr<std::string> bytes;
  std::unique_ptr<msg::Message> m;
  const msg::Message& operator*() const { return *m; }
  const msg::Message* operator->() const { return m.get(); }
};

Owned parse(std::string text) {
  static const warden::base::Limits limits;
  Owned o{std::make_unique<std::string>(std::move(text)), std::make_unique<msg::Message>()};
  auto v = msg::parse_message(*o.bytes, *o.m, limits.sip);
  EXPECT_TRUE(v.accepted()) << msg::describe(v.error) << "\n" << *o.bytes;
  return o;
}

const std::string kInvite =
    "INVITE sip:bob@example.test SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-inv\r\n"
    "Max-Forwards: 70\r\n"
    "From: \"Alice\" <sip:alice@example.test>;tag=alice-tag\r\n"
    "To: <sip:bob@example.test>\r\n"
    "Call-ID: call-42\r\n"
    "CSeq: 10 INVITE\r\n"
    "Contact: <sip:alice@192.0.2.1:5060>\r\n"
    "Content-Length: 0\r\n\r\n";

std::string answer(int status, std::string_view tag, std::string_view contact = "sip:bob@192.0.2.2:5060") {
  return "SIP/2.0 " + std::to_string(status) +
         " X\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-inv\r\n"
         "Record-Route: <sip:p2.example.test;lr>\r\nRecord-Route: <sip:p1.example.test;lr>\r\n"
         "From: \"Alice\" <sip:alice@example.test>;tag=alice-tag\r\nTo: <sip:bob@example.test>;tag=" +
         std::string(tag) + "\r\nCall-ID: call-42\r\nCSeq: 10 INVITE\r\nContact: <" + std::string(contact) +
         ">\r\nContent-Length: 0\r\n\r\n";
}

}  // namespace

TEST(Identifiers, FreshAndLongEnough) {
  warden::crypto::Csprng rng;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto b = new_branch(rng);
    EXPECT_EQ(b.rfind("z9hG4bK", 0), 0u);
    EXPECT_GE(b.size(), 7u + 25u);
    EXPECT_TRUE(seen.insert(b).second);
    EXPECT_TRUE(seen.insert(new_tag(rng)).second);
    EXPECT_TRUE(seen.insert(new_call_id(rng)).second);
  }
}

TEST(Dialog, UacEarlyThenConfirmedWithReversedRouteSet) {
  auto inv = parse(kInvite);
  auto ringing = parse(answer(180, "bob-1"));
  auto d = Dialog::from_uac(*inv, *ringing);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->state(), Dialog::State::Early);
  EXPECT_EQ(d->id(), (DialogId{"call-42", "alice-tag", "bob-1"}));
  ASSERT_EQ(d->route_set().size(), 2u);
  EXPECT_EQ(d->route_set()[0], "sip:p1.example.test;lr");  // reversed (§12.1.2)
  auto ok = parse(answer(200, "bob-1", "sip:bob@192.0.2.99:5060"));
  d->on_response(*inv, *ok);
  EXPECT_EQ(d->state(), Dialog::State::Confirmed);
  EXPECT_EQ(d->remote_target(), "sip:bob@192.0.2.99:5060");  // 2xx refreshes the target
}

TEST(Dialog, InDialogRequestsFollowTheRules) {
  warden::crypto::Csprng rng;
  auto inv = parse(kInvite);
  auto ok = parse(answer(200, "bob-1"));
  auto d = Dialog::from_uac(*inv, *ok);
  ASSERT_TRUE(d);
  auto ack = parse(d->make_request(msg::Method::Ack, "UDP", "192.0.2.1:5060", rng, {}, {}, {}, 10));
  EXPECT_EQ(ack->cseq.number, 10u);  // ACK for 2xx reuses the INVITE's CSeq
  auto bye1 = parse(d->make_request(msg::Method::Bye, "UDP", "192.0.2.1:5060", rng));
  auto bye2 = parse(d->make_request(msg::Method::Bye, "UDP", "192.0.2.1:5060", rng));
  EXPECT_EQ(bye1->cseq.number, 11u);
  EXPECT_EQ(bye2->cseq.number, 12u);
  EXPECT_NE(bye1->vias[0].branch, bye2->vias[0].branch);
  EXPECT_EQ(bye1->request_uri.raw, "sip:bob@192.0.2.2:5060");  // loose routing: remote target
  ASSERT_EQ(bye1->routes.size(), 2u);
  EXPECT_EQ(bye1->routes[0].uri.raw, "sip:p1.example.test;lr");
  EXPECT_EQ(bye1->from.tag, "alice-tag");
  EXPECT_EQ(bye1->to.tag, "bob-1");
  EXPECT_EQ(bye1->call_id, "call-42");
  EXPECT_EQ(bye1->from.display, "\"Alice\"");
}

TEST(Dialog, StrictRouting) {
  warden::crypto::Csprng rng;
  auto inv = parse(kInvite);
  std::string strict = answer(200, "b");
  strict.replace(strict.find("<sip:p1.example.test;lr>"), 24, "<sip:p1.example.test>");
  auto ok = parse(strict);
  auto d = Dialog::from_uac(*inv, *ok);
  ASSERT_TRUE(d);
  auto bye = parse(d->make_request(msg::Method::Bye, "UDP", "h", rng));
  EXPECT_EQ(bye->request_uri.raw, "sip:p1.example.test");
  ASSERT_EQ(bye->routes.size(), 2u);
  EXPECT_EQ(bye->routes[1].uri.raw, "sip:bob@192.0.2.2:5060");  // remote target last
}

TEST(Dialog, UasCSeqOrderingAndBye) {
  auto inv = parse(kInvite);
  auto d = Dialog::from_uas(*inv, "bob-tag", "sip:bob@192.0.2.2", true);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->id(), (DialogId{"call-42", "bob-tag", "alice-tag"}));
  std::string old_bye = kInvite;
  old_bye.replace(old_bye.find("CSeq: 10 INVITE"), 15, "CSeq: 9 BYE");
  old_bye.replace(0, 6, "BYE");
  auto stale = parse(old_bye);
  EXPECT_EQ(d->on_request(*stale), 500);
  std::string reinvite = kInvite;
  reinvite.replace(reinvite.find("CSeq: 10"), 8, "CSeq: 11");
  reinvite.replace(reinvite.find("sip:alice@192.0.2.1:5060"), 24, "sip:alice@198.51.100.7");
  auto re = parse(reinvite);
  EXPECT_EQ(d->on_request(*re), 0);
  EXPECT_EQ(d->remote_target(), "sip:alice@198.51.100.7");  // target refresh
  std::string bye = old_bye;
  bye.replace(bye.find("CSeq: 9"), 7, "CSeq: 12");
  auto b = parse(bye);
  EXPECT_EQ(d->on_request(*b), 0);
  EXPECT_EQ(d->state(), Dialog::State::Terminated);
}

TEST(Dialog, NotADialogWithoutTags) {
  auto inv = parse(kInvite);
  std::string untagged = answer(180, "x");
  untagged.replace(untagged.find(";tag=x"), 6, "");
  auto r = parse(untagged);
  EXPECT_FALSE(Dialog::from_uac(*inv, *r));
  std::string no_contact = answer(200, "y");
  no_contact.replace(no_contact.find("Contact: <sip:bob@192.0.2.2:5060>\r\n"), 35, "");
  auto r2 = parse(no_contact);
  EXPECT_FALSE(Dialog::from_uac(*inv, *r2));
}

TEST(DialogTable, ForkedProvisionalsMakeSeparateEarlyDialogs) {
  DialogTable table;
  auto inv = parse(kInvite);
  auto r1 = parse(answer(180, "fork-a"));
  auto r2 = parse(answer(180, "fork-b"));
  auto r1again = parse(answer(183, "fork-a"));
  Dialog* a = table.on_uac_response(*inv, *r1);
  Dialog* b = table.on_uac_response(*inv, *r2);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  EXPECT_EQ(table.on_uac_response(*inv, *r1again), a);
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.family("call-42", "alice-tag").size(), 2u);
  auto ok = parse(answer(200, "fork-b"));
  EXPECT_EQ(table.on_uac_response(*inv, *ok), b);
  EXPECT_EQ(b->state(), Dialog::State::Confirmed);
  EXPECT_EQ(a->state(), Dialog::State::Early);
}

TEST(DialogTable, FailureEndsEarlyDialogsAndUnknownDialogIs481) {
  DialogTable table;
  auto inv = parse(kInvite);
  auto r1 = parse(answer(180, "fork-a"));
  Dialog* a = table.on_uac_response(*inv, *r1);
  ASSERT_NE(a, nullptr);
  auto busy = parse(answer(486, "fork-a"));
  EXPECT_EQ(table.on_uac_response(*inv, *busy), nullptr);
  EXPECT_EQ(a->state(), Dialog::State::Terminated);
  std::string bye = kInvite;
  bye.replace(0, 6, "BYE");
  bye.replace(bye.find("CSeq: 10 INVITE"), 15, "CSeq: 11 BYE");
  bye.replace(bye.find("To: <sip:bob@example.test>"), 26, "To: <sip:bob@example.test>;tag=nobody");
  auto stray = parse(bye);
  EXPECT_EQ(table.find_for_request(*stray), nullptr);
  EXPECT_EQ(DialogTable::kUnknownDialogStatus, 481);
}
