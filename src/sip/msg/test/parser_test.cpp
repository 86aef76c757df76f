#include <gtest/gtest.h>

#include "sip/msg/header_id.hpp"
#include "sip/msg/parser.hpp"
#include "sip/msg/sanity.hpp"
#include "sip/msg/serializer.hpp"

using namespace warden::sip::msg;
using warden::base::Limits;

namespace {

const std::string kInvite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>;expires=60;q=0.5\r\n"
    "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\n";

Verdict parse(std::string_view bytes, Message& m, Framing f = Framing::Datagram) {
  static const Limits limits;
  return parse_message(bytes, m, limits.sip, f);
}

std::string with(std::string msg, const std::string& from, const std::string& to) {
  const auto at = msg.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return msg.replace(at, from.size(), to);
}

}  // namespace

TEST(HeaderId, EveryCanonicalNameClassifiesToItself) {
  for (int i = 1; i < static_cast<int>(HeaderId::kCount); ++i) {
    const auto id = static_cast<HeaderId>(i);
    const auto name = canonical_name(id);
    ASSERT_FALSE(name.empty()) << i;
    EXPECT_EQ(classify_header(name), id) << name;
    std::string upper(name);
    for (auto& c : upper) c = static_cast<char>(toupper(c));
    EXPECT_EQ(classify_header(upper), id) << upper;
  }
  EXPECT_EQ(classify_header("v"), HeaderId::Via);
  EXPECT_EQ(classify_header("L"), HeaderId::ContentLength);
  EXPECT_EQ(classify_header("X-Custom"), HeaderId::Other);
  EXPECT_EQ(classify_header(""), HeaderId::Other);
}

TEST(Parser, TypicalInvite) {
  Message m;
  ASSERT_TRUE(parse(kInvite, m).accepted());
  EXPECT_TRUE(m.is_request());
  EXPECT_EQ(m.method, Method::Invite);
  EXPECT_EQ(m.request_uri.user, "bob");
  ASSERT_EQ(m.vias.size(), 1u);
  EXPECT_EQ(m.vias[0].port.value_or(0), 5060);
  EXPECT_TRUE(m.vias[0].rport);
  EXPECT_FALSE(m.vias[0].rport_value.has_value());
  EXPECT_TRUE(m.vias[0].rfc3261_branch());
  EXPECT_EQ(m.from.display, "\"Alice\"");
  EXPECT_EQ(m.from.tag, "1928301774");
  EXPECT_EQ(m.to.display, "Bob");
  EXPECT_TRUE(m.to.tag.empty());
  EXPECT_EQ(m.call_id, "a84b4c76e66710@pc33.atlanta.example.com");
  EXPECT_EQ(m.cseq.number, 314159u);
  EXPECT_EQ(m.max_forwards, 70);
  ASSERT_EQ(m.contacts.size(), 1u);
  EXPECT_EQ(m.contacts[0].param("expires").value_or(""), "60");
  ASSERT_EQ(m.routes.size(), 2u);
  EXPECT_EQ(m.routes[1].uri.host, "p2.example.com");
  EXPECT_EQ(m.content_type.type, "application");
  EXPECT_EQ(m.content_type.subtype, "sdp");
  EXPECT_EQ(m.body, "v=0\n");
}

TEST(Parser, Response) {
  Message m;
  const std::string r =
      "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKx;received=192.0.2.1;rport=5062\r\n"
      "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
  ASSERT_TRUE(parse(r, m).accepted());
  EXPECT_TRUE(m.is_response());
  EXPECT_EQ(m.status, 180);
  EXPECT_EQ(m.reason, "Ringing");
  EXPECT_EQ(m.vias[0].received, "192.0.2.1");
  EXPECT_EQ(m.vias[0].rport_value.value_or(0), 5062);
}

TEST(Parser, ContactStarAndExpires) {
  Message m;
  const std::string r =
      "REGISTER sip:h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:a@h>\r\n"
      "Call-ID: c\r\nCSeq: 2 REGISTER\r\nContact: *\r\nExpires: 0\r\nContent-Length: 0\r\n\r\n";
  ASSERT_TRUE(parse(r, m).accepted());
  EXPECT_TRUE(m.contact_star);
  EXPECT_TRUE(m.contacts.empty());
  EXPECT_EQ(m.expires.value_or(99), 0u);
}

TEST(Parser, DigestCredentials) {
  Message m;
  const std::string r = with(kInvite, "Content-Type",
                             "Proxy-Authorization: Digest username=\"alice\", realm=\"atlanta.example.com\",\r\n"
                             " nonce=\"c60f3082ee1212b402a21831ae\", uri=\"sip:bob@biloxi.example.com\",\r\n"
                             " response=\"245f23415f11432b3434341c022\", algorithm=SHA-256, qop=auth, nc=00000001,"
                             " cnonce=\"0a4f113b\"\r\nContent-Type");
  ASSERT_TRUE(parse(r, m).accepted()) << describe(parse(r, m).error);
  ASSERT_EQ(m.credentials.size(), 1u);
  const auto& c = m.credentials[0];
  EXPECT_TRUE(c.proxy);
  EXPECT_EQ(c.scheme, "Digest");
  EXPECT_EQ(c.username, "alice");
  EXPECT_EQ(c.realm, "atlanta.example.com");
  EXPECT_EQ(c.uri, "sip:bob@biloxi.example.com");
  EXPECT_EQ(c.algorithm, "SHA-256");
  EXPECT_EQ(c.qop, "auth");
  EXPECT_EQ(c.nc, "00000001");
  EXPECT_EQ(c.cnonce, "0a4f113b");
}

TEST(Parser, DigestChallenge) {
  Challenge ch;
  ASSERT_TRUE(parse_challenge(
      "Digest realm=\"example.test\", qop=\"auth,auth-int\", algorithm=SHA-512-256, nonce=\"abc\", "
      "opaque=\"xyz\", stale=TRUE, userhash=true",
      ch));
  EXPECT_EQ(ch.realm, "example.test");
  EXPECT_EQ(ch.qop, "auth,auth-int");
  EXPECT_EQ(ch.algorithm, "SHA-512-256");
  EXPECT_TRUE(ch.stale);
  EXPECT_TRUE(ch.userhash);
  EXPECT_FALSE(parse_challenge("Digest realm=", ch));
  EXPECT_FALSE(parse_challenge("Digest realm=\"x\",", ch));
  EXPECT_FALSE(parse_challenge("", ch));
}

TEST(Parser, CompactFormsAndFolding) {
  Message m;
  const std::string r =
      "OPTIONS sip:h SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bKx\r\nf: <sip:a@h>\r\n ;tag=1\r\nt: sip:b@h\r\n"
      "i: c\r\nCSeq: 1\r\n\tOPTIONS\r\nl: 0\r\n\r\n";
  ASSERT_TRUE(parse(r, m).accepted());
  EXPECT_EQ(m.from.tag, "1");
  EXPECT_EQ(m.cseq.method, Method::Options);
  const std::string out = serialize(m);
  EXPECT_EQ(out.find("\r\n ;"), std::string::npos);
  EXPECT_NE(out.find("f: <sip:a@h> ;tag=1\r\n"), std::string::npos) << out;
}

TEST(Parser, UnknownHeadersAndMethodsPassThrough) {
  Message m;
  const std::string r = with(with(kInvite, "INVITE sip", "FROBNICATE sip"), "CSeq: 314159 INVITE",
                             "CSeq: 314159 FROBNICATE\r\nX-Weird:  a,,;b \"q\"");
  ASSERT_TRUE(parse(r, m).accepted());
  EXPECT_EQ(m.method, Method::Unknown);
  const std::string out = serialize(m);
  EXPECT_NE(out.find("FROBNICATE sip:bob@biloxi.example.com SIP/2.0\r\n"), std::string::npos);
  EXPECT_NE(out.find("X-Weird: a,,;b \"q\"\r\n"), std::string::npos);
}

TEST(Parser, RejectionsAndTheirResponses) {
  struct Case {
    std::string from, to;
    Action action;
    int status;
    ParseErrc error;
  };
  const Case cases[] = {
      {"SIP/2.0\r\nVia", "SIP/3.0\r\nVia", Action::Respond, 505, ParseErrc::UnsupportedVersion},
      {"Call-ID: a84b", "Call-ID: a 84b", Action::Respond, 400, ParseErrc::BadCallId},
      {"CSeq: 314159 INVITE", "CSeq: 4294967296 INVITE", Action::Respond, 400, ParseErrc::BadCSeq},
      {"CSeq: 314159 INVITE", "CSeq: 314159 BYE", Action::Respond, 400, ParseErrc::CSeqMethodMismatch},
      {"Max-Forwards: 70", "Max-Forwards: seventy", Action::Respond, 400, ParseErrc::BadMaxForwards},
      {"Max-Forwards: 70", "Max-Forwards: 70\r\nMax-Forwards: 69", Action::Respond, 400, ParseErrc::DuplicateHeader},
      {"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n", "", Action::Respond, 400, ParseErrc::MissingHeader},
      {"Content-Length: 4", "Content-Length: 4\r\nContent-Length: 5", Action::Drop, 0, ParseErrc::MultipleContentLength},
      {"Content-Length: 4", "Content-Length: 400", Action::Respond, 400, ParseErrc::Incomplete},
      {"Content-Length: 4", "Content-Length: 4x", Action::Respond, 400, ParseErrc::BadContentLength},
      {"branch=z9hG4bK776asdhds", "branch=z9hG4bK", Action::Respond, 400, ParseErrc::BadBranch},
      {"Via: SIP/2.0/UDP", "Via: SIP/2.0/UDP,", Action::Respond, 400, ParseErrc::BadVia},
      {"To: Bob <sip", "To: Bob sip", Action::Respond, 400, ParseErrc::BadTo},
      {"Contact: <sip", "Contact: <<sip", Action::Respond, 400, ParseErrc::BadContact},
      {"Route: <sip:p1.example.com;lr>", "Route: sip:p1.example.com", Action::Respond, 400, ParseErrc::BadRoute},
      {"Max-Forwards: 70", "Max-Forwards : 70\r\nBad Name: x", Action::Respond, 400, ParseErrc::BadHeaderName},
      {"Max-Forwards: 70\r\n", "Max-Forwards: 70\n", Action::Respond, 400, ParseErrc::BadLineEnding},
      {"Max-Forwards: 70", "Max-Forwards: 7\r0", Action::Respond, 400, ParseErrc::BadLineEnding},
      {"Max-Forwards: 70", "Date: Sat, 13 Nov 2010 23:29:00 EST", Action::Respond, 400, ParseErrc::BadDate},
      {"Max-Forwards: 70", "Require: 100rel,", Action::Respond, 400, ParseErrc::BadOptionTags},
      {"INVITE sip:bob", "INV@TE sip:bob", Action::Drop, 0, ParseErrc::BadMethod},
  };
  for (const auto& c : cases) {
    Message m;
    const std::string bytes = with(kInvite, c.from, c.to);
    Verdict v = parse(bytes, m);
    EXPECT_EQ(v.action, c.action) << c.to << ": " << describe(v.error);
    EXPECT_EQ(v.status, c.status) << c.to;
    EXPECT_EQ(v.error, c.error) << c.to << ": got " << describe(v.error);
  }
}

TEST(Parser, ControlCharactersInQuotedStringsOnlyEscaped) {
  // RFC 3261 §25.1: qdtext excludes the control characters; they may appear only as a
  // quoted-pair. Found by tests/attack (PROTOS-style display names were echoed with a NUL).
  Message m;
  for (const char c : {'\0', '\x01', '\x1f', '\x7f'}) {
    const std::string bad = with(kInvite, "\"Alice\"", std::string("\"Al") + c + "ice\"");
    EXPECT_FALSE(parse(bad, m).accepted()) << static_cast<int>(c);
  }
  EXPECT_TRUE(parse(with(kInvite, "\"Alice\"", "\"Al\tice\""), m).accepted());
  EXPECT_TRUE(parse(with(kInvite, "\"Alice\"", std::string("\"Al\\") + '\x01' + "ice\""), m).accepted());
}

TEST(Parser, MalformedResponsesAreDropped) {
  Message m;
  EXPECT_EQ(parse("SIP/2.0 2000 OK\r\n\r\n", m).action, Action::Drop);
  EXPECT_EQ(parse("SIP/2.0 099 Low\r\n\r\n", m).action, Action::Drop);
  EXPECT_EQ(parse("SIP/2.0 200 OK\r\nVia: bad\r\n\r\n", m).action, Action::Drop);
}

TEST(Parser, StreamNeedsContentLength) {
  Message m;
  const std::string r = with(kInvite, "Content-Length: 4\r\n", "");
  EXPECT_TRUE(parse(r, m, Framing::Datagram).accepted());
  EXPECT_EQ(parse(r, m, Framing::Stream).action, Action::Close);
}

TEST(Parser, LimitsAreEnforced) {
  Limits lim;
  lim.sip.max_vias = 2;
  lim.sip.max_headers = 11;
  Message m;
  const std::string three_vias = with(kInvite, "Max-Forwards", "Via: SIP/2.0/UDP a, SIP/2.0/UDP b\r\nMax-Forwards");
  Verdict v = parse_message(three_vias, m, lim.sip);
  EXPECT_EQ(v.status, 513);
  EXPECT_EQ(v.error, ParseErrc::TooManyValues);
  const std::string many = with(kInvite, "Max-Forwards", "A: 1\r\nB: 2\r\nMax-Forwards");
  v = parse_message(many, m, lim.sip);
  EXPECT_EQ(v.error, ParseErrc::TooManyHeaders);
  Limits small;
  small.sip.max_body_bytes = 3;
  v = parse_message(kInvite, m, small.sip);
  EXPECT_EQ(v.error, ParseErrc::BodyTooLarge);
  small = Limits{};
  small.sip.max_line_bytes = 40;
  v = parse_message(kInvite, m, small.sip);
  EXPECT_EQ(v.error, ParseErrc::LineTooLong);
  small = Limits{};
  small.sip.max_message_bytes = 100;
  v = parse_message(kInvite, m, small.sip);
  EXPECT_EQ(v.error, ParseErrc::MessageTooLarge);
}

TEST(Parser, ReusedMessageStopsAllocating) {
  Message m;
  ASSERT_TRUE(parse(kInvite, m).accepted());
  const auto* headers = m.headers.data();
  const auto* vias = m.vias.data();
  ASSERT_TRUE(parse(kInvite, m).accepted());
  EXPECT_EQ(m.headers.data(), headers);
  EXPECT_EQ(m.vias.data(), vias);
}

TEST(Sanity, ProxyRoleChecks) {
  Message m;
  const std::string zero_mf = with(kInvite, "Max-Forwards: 70", "Max-Forwards: 0");
  ASSERT_TRUE(parse(zero_mf, m).accepted());
  SanityOptions proxy;
  EXPECT_EQ(check(m, proxy).status, 483);
  const std::string requires_foo = with(kInvite, "Max-Forwards: 70", "Max-Forwards: 70\r\nProxy-Require: foo");
  ASSERT_TRUE(parse(requires_foo, m).accepted());
  EXPECT_EQ(check(m, proxy).status, 420);
  const std::string_view foo[] = {"foo"};
  proxy.supported_extensions = foo;
  EXPECT_TRUE(check(m, proxy).accepted());
}
