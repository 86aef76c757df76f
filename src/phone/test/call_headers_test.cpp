// CallHeaders: what `warden phone call --privacy/--header` accepts, and that the lines reach
// the INVITE (also the one sent again after a 407 challenge).

#include "phone/call_headers.hpp"

#include <gtest/gtest.h>

#include "crypto/csprng.hpp"
#include "phone/user_agent.hpp"
#include "sip/msg/builder.hpp"
#include "sip/msg/parser.hpp"

namespace warden::phone {
namespace {

using sip::msg::Message;

TEST(CallHeaders, PrivacyTakesTokensSeparatedBySemicolons) {
  for (std::string_view ok : {"id", "header;id", "header ; user;id", "none", "critical;session;x-ext"}) {
    CallHeaders h;
    EXPECT_EQ(h.set_privacy(ok), "") << ok;
  }
  CallHeaders h;
  ASSERT_EQ(h.set_privacy(" header ; id "), "");
  EXPECT_EQ(h.lines(), "Privacy: header;id\r\n");
  EXPECT_EQ(h.privacy_line(), "Privacy: header;id\r\n");
}

TEST(CallHeaders, PrivacyRefusesAnythingElse) {
  using List = std::initializer_list<std::string_view>;
  for (std::string_view bad : List{"", ";", "id;", ";id", "id;;user", "id user", "id,user", "id\r\nX: y", "\"id\"",
                                   "id\t;<x>", std::string_view("id\0", 3)}) {
    CallHeaders h;
    EXPECT_NE(h.set_privacy(bad), "") << bad;
    EXPECT_TRUE(h.empty()) << bad;
  }
}

TEST(CallHeaders, HeadersAreCopiedVerbatim) {
  CallHeaders h;
  EXPECT_EQ(h.add("Referred-By: <sip:bob@a.test>;rtoken=eyJh.eyJp.c2ln"), "");
  EXPECT_EQ(h.add("X-Test:value\twith tab"), "");
  EXPECT_EQ(h.add("Subject : hello"), "");  // blanks before the colon are allowed (HCOLON)
  EXPECT_EQ(h.lines(),
            "Referred-By: <sip:bob@a.test>;rtoken=eyJh.eyJp.c2ln\r\nX-Test:value\twith tab\r\nSubject : hello\r\n");
  EXPECT_EQ(h.privacy_line(), "");
}

TEST(CallHeaders, InjectionAndMalformedLinesAreRefused) {
  using List = std::initializer_list<std::string_view>;
  for (std::string_view bad : List{"X-A: 1\r\nVia: SIP/2.0/UDP evil", "X-A: 1\nX-B: 2", "X-A: 1\r", "X-A no colon",
                                   ": value", "Bad Name: v", "X-A\x01: v", "X-A: \x7f", std::string_view("X-A: a\0b", 8),
                                   "X-<A>: v"}) {
    CallHeaders h;
    EXPECT_NE(h.add(bad), "") << bad;
    EXPECT_TRUE(h.empty());
  }
  CallHeaders h;
  EXPECT_NE(h.add("X-Long: " + std::string(CallHeaders::kMaxLine, 'a')), "");
  for (std::size_t i = 0; i < CallHeaders::kMaxHeaders; ++i)
    EXPECT_EQ(h.add("X-N: " + std::to_string(i)), "");
  EXPECT_NE(h.add("X-N: one too many"), "");
}

TEST(CallHeaders, NamesThePhoneWritesAreRefusedInAnyCaseAndCompactForm) {
  for (std::string_view bad : {"Via: SIP/2.0/UDP 1.2.3.4", "v: x", "FROM: <sip:mallory@a.test>", "f: x", "To: x", "t: x",
                               "Call-ID: x", "i: x", "CSeq: 1 INVITE", "Contact: <sip:x@y>", "m: x", "max-forwards: 1",
                               "Content-Length: 0", "l: 0", "Content-Type: text/plain", "c: x",
                               "Authorization: Digest x", "Proxy-Authorization: Digest x", "User-Agent: x"}) {
    CallHeaders h;
    const auto why = h.add(bad);
    EXPECT_NE(why, "") << bad;
    EXPECT_NE(why.find("itself"), std::string::npos) << why;
  }
}

TEST(CallHeaders, PrivacyOnceOnly) {
  CallHeaders a;
  ASSERT_EQ(a.set_privacy("id"), "");
  EXPECT_NE(a.add("Privacy: user"), "");
  CallHeaders b;
  ASSERT_EQ(b.add("Privacy: user"), "");
  EXPECT_NE(b.set_privacy("id"), "");
  EXPECT_EQ(b.lines(), "Privacy: user\r\n");
}

// The lines go into the INVITE as given, and again into the INVITE answering a 407.
TEST(CallHeaders, InviteCarriesThemAlsoAfterAChallenge) {
  CallHeaders h;
  ASSERT_EQ(h.set_privacy("header;id"), "");
  ASSERT_EQ(h.add("Referred-By: <sip:bob@a.test>;rtoken=eyJh.eyJp.c2ln"), "");
  ASSERT_EQ(h.add("X-Trace: 42"), "");

  crypto::Csprng rng;
  UserAgentConfig cfg;
  cfg.aor = "sip:alice@a.test";
  cfg.contact = "sip:alice@127.0.0.1:5071";
  cfg.via_sent_by = "127.0.0.1:5071";
  UserAgent ua(cfg, rng);
  int answers = 0;
  ua.set_authenticator([&](const Message& challenge, const Message& request) -> std::optional<std::string> {
    ++answers;
    EXPECT_EQ(challenge.status, 407);
    // The request challenged is the one with our headers.
    EXPECT_NE(request.find(sip::msg::HeaderId::Privacy), nullptr);
    return std::string("Proxy-Authorization: Digest username=\"alice\"\r\n");
  });
  base::TimePoint now{std::chrono::seconds(1000)};
  ua.call("sip:carol@a.test", "v=0 offer", now, h.lines());
  auto first = ua.take_outgoing();
  ASSERT_EQ(first.size(), 1u);
  auto check = [](const std::string& bytes, bool with_credentials) {
    Message m;
    ASSERT_TRUE(sip::msg::parse_message(bytes, m, base::Limits::Sip{}).accepted()) << bytes;
    ASSERT_EQ(m.method, sip::msg::Method::Invite);
    const auto* p = m.find(sip::msg::HeaderId::Privacy);
    ASSERT_NE(p, nullptr) << bytes;
    EXPECT_EQ(p->value, "header;id");
    const auto* rb = m.find(sip::msg::HeaderId::ReferredBy);
    ASSERT_NE(rb, nullptr) << bytes;
    EXPECT_EQ(rb->value, "<sip:bob@a.test>;rtoken=eyJh.eyJp.c2ln");
    const auto* x = m.find("X-Trace");
    ASSERT_NE(x, nullptr) << bytes;
    EXPECT_EQ(x->value, "42");
    EXPECT_EQ(m.find(sip::msg::HeaderId::ProxyAuthorization) != nullptr, with_credentials);
    EXPECT_EQ(m.body, "v=0 offer");
    // Verbatim: the exact line is in the bytes, once.
    const std::string line = "\r\nReferred-By: <sip:bob@a.test>;rtoken=eyJh.eyJp.c2ln\r\n";
    const auto at = bytes.find(line);
    EXPECT_NE(at, std::string::npos);
    EXPECT_EQ(bytes.find(line, at + 1), std::string::npos);
  };
  check(first[0], false);

  Message invite;
  ASSERT_TRUE(sip::msg::parse_message(first[0], invite, base::Limits::Sip{}).accepted());
  sip::msg::ResponseOptions o;
  o.status = 407;
  o.to_tag = "proxytag";
  o.extra_headers = "Proxy-Authenticate: Digest realm=\"a.test\", nonce=\"n1\"\r\n";
  std::string challenge;
  sip::msg::build_response(invite, o, challenge);
  ua.on_message(challenge, false, now);
  EXPECT_EQ(answers, 1);
  auto second = ua.take_outgoing();
  std::vector<std::string> invites;
  for (auto& b : second)
    if (b.rfind("INVITE ", 0) == 0) invites.push_back(b);
  ASSERT_EQ(invites.size(), 1u);
  check(invites[0], true);
  Message again;
  ASSERT_TRUE(sip::msg::parse_message(invites[0], again, base::Limits::Sip{}).accepted());
  EXPECT_EQ(again.cseq.number, 2u);
  EXPECT_EQ(again.call_id, invite.call_id);
}

}  // namespace
}  // namespace warden::phone
