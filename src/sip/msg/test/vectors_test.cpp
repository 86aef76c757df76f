// RFC 4475 and RFC 5118 torture messages against the outcome each RFC section asks for
// (src/sip/msg/vectors/*/EXPECTED.md), plus the round trip for every accepted one.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "sip/msg/parser.hpp"
#include "sip/msg/sanity.hpp"
#include "sip/msg/serializer.hpp"
#include "equivalence.hpp"
#include "vector_files.hpp"

using namespace warden::sip::msg;
using warden::base::Limits;
using warden::sip::msg::test::read_vector;

namespace {

constexpr std::string_view kSdp[] = {"application/sdp"};

struct Expect {
  const char* file;
  Role role;
  Framing framing;
  Action action;
  int status;  // for Respond
};

constexpr auto P = Role::Proxy;
constexpr auto U = Role::Uas;
constexpr auto R = Role::Registrar;
constexpr auto D = Framing::Datagram;
constexpr auto S = Framing::Stream;
constexpr auto A = Action::Accept;
constexpr auto X = Action::Respond;
constexpr auto Dr = Action::Drop;
constexpr auto C = Action::Close;

const Expect kExpected[] = {
    // 3.1.1 valid messages: accepted by every role that does not object on semantics
    {"rfc4475/wsinv.dat", P, D, A, 0},
    {"rfc4475/wsinv.dat", P, S, A, 0},
    {"rfc4475/intmeth.dat", P, D, A, 0},
    {"rfc4475/intmeth.dat", U, D, X, 501},
    {"rfc4475/esc01.dat", P, D, A, 0},
    {"rfc4475/escnull.dat", R, D, A, 0},
    {"rfc4475/esc02.dat", P, D, A, 0},
    {"rfc4475/esc02.dat", U, D, X, 501},
    {"rfc4475/lwsdisp.dat", P, D, A, 0},
    {"rfc4475/longreq.dat", P, D, A, 0},
    {"rfc4475/dblreq.dat", R, D, A, 0},
    {"rfc4475/semiuri.dat", P, D, A, 0},
    {"rfc4475/transports.dat", P, D, A, 0},
    {"rfc4475/mpart01.dat", P, D, A, 0},
    {"rfc4475/mpart01.dat", P, S, A, 0},
    {"rfc4475/unreason.dat", U, D, A, 0},
    {"rfc4475/noreason.dat", U, D, A, 0},
    // 3.1.2 invalid messages
    {"rfc4475/badinv01.dat", P, D, X, 400},
    {"rfc4475/clerr.dat", P, D, X, 400},
    {"rfc4475/ncl.dat", P, D, X, 400},
    {"rfc4475/ncl.dat", P, S, C, 0},
    {"rfc4475/scalar02.dat", R, D, X, 400},
    {"rfc4475/scalarlg.dat", U, D, Dr, 0},
    {"rfc4475/quotbal.dat", P, D, X, 400},
    {"rfc4475/ltgtruri.dat", P, D, X, 400},
    {"rfc4475/lwsruri.dat", P, D, X, 400},
    {"rfc4475/lwsstart.dat", P, D, X, 400},
    {"rfc4475/trws.dat", P, D, X, 400},
    {"rfc4475/escruri.dat", P, D, X, 400},
    {"rfc4475/baddate.dat", P, D, X, 400},
    {"rfc4475/regbadct.dat", R, D, X, 400},
    {"rfc4475/badaspec.dat", P, D, X, 400},
    {"rfc4475/baddn.dat", P, D, X, 400},
    {"rfc4475/badvers.dat", P, D, X, 505},
    {"rfc4475/mismatch01.dat", P, D, X, 400},
    {"rfc4475/mismatch02.dat", P, D, X, 501},
    {"rfc4475/bigcode.dat", U, D, Dr, 0},
    // 3.2 transaction layer
    {"rfc4475/badbranch.dat", P, D, X, 400},
    // 3.3 application layer
    {"rfc4475/insuf.dat", P, D, X, 400},
    {"rfc4475/unkscm.dat", P, D, X, 416},
    {"rfc4475/novelsc.dat", P, D, X, 416},
    {"rfc4475/unksm2.dat", P, D, A, 0},
    {"rfc4475/unksm2.dat", R, D, X, 400},
    {"rfc4475/bext01.dat", P, D, X, 420},
    {"rfc4475/bext01.dat", U, D, X, 420},
    {"rfc4475/invut.dat", P, D, A, 0},
    {"rfc4475/invut.dat", U, D, X, 415},
    {"rfc4475/regaut01.dat", P, D, A, 0},
    {"rfc4475/regaut01.dat", R, D, A, 0},  // the registrar's auth layer answers 401 later
    {"rfc4475/multi01.dat", P, D, X, 400},
    {"rfc4475/mcl01.dat", P, D, Dr, 0},
    {"rfc4475/mcl01.dat", P, S, C, 0},
    {"rfc4475/bcast.dat", P, D, Dr, 0},
    {"rfc4475/bcast.dat", U, D, Dr, 0},
    {"rfc4475/zeromf.dat", P, D, X, 483},
    {"rfc4475/zeromf.dat", U, D, A, 0},
    {"rfc4475/cparam01.dat", R, D, A, 0},
    {"rfc4475/cparam02.dat", R, D, A, 0},
    {"rfc4475/regescrt.dat", R, D, A, 0},
    {"rfc4475/sdp01.dat", P, D, A, 0},
    {"rfc4475/sdp01.dat", U, D, X, 406},
    // 3.4 backward compatibility
    {"rfc4475/inv2543.dat", P, D, A, 0},
    {"rfc4475/inv2543.dat", P, S, C, 0},
    // RFC 5118 (wire form)
    {"rfc5118/wire/ipv6-good.dat", P, D, A, 0},
    {"rfc5118/wire/ipv6-bad.dat", R, D, X, 400},
    {"rfc5118/wire/port-ambiguous.dat", P, D, A, 0},
    {"rfc5118/wire/port-unambiguous.dat", P, D, A, 0},
    {"rfc5118/wire/via-received-param-with-delim.dat", P, D, A, 0},
    {"rfc5118/wire/via-received-param-no-delim.dat", P, D, A, 0},
    {"rfc5118/wire/ipv6-in-sdp.dat", P, D, A, 0},
    {"rfc5118/wire/mult-ip-in-header.dat", P, D, A, 0},
    {"rfc5118/wire/mult-ip-in-sdp.dat", P, D, A, 0},
    {"rfc5118/wire/ipv4-mapped-ipv6.dat", P, D, A, 0},
    {"rfc5118/wire/ipv6-bug-abnf-3-colons.dat", P, D, A, 0},
    {"rfc5118/wire/ipv6-correct-abnf-2-colons.dat", P, D, A, 0},
};

// Vectors read for the semantic tests stay alive for the whole run: the Message views them.
const std::string& keep(std::string bytes) {
  static std::vector<std::unique_ptr<std::string>> store;
  store.push_back(std::make_unique<std::string>(std::move(bytes)));
  return *store.back();
}

Verdict judge(const std::string& bytes, Role role, Framing framing, Message& m) {
  Limits limits;
  Verdict v = parse_message(bytes, m, limits.sip, framing);
  if (!v.accepted()) return v;
  SanityOptions opts;
  opts.role = role;
  opts.body_types = kSdp;
  return check(m, opts);
}

class Vector : public ::testing::TestWithParam<Expect> {};

TEST_P(Vector, HasTheExpectedOutcome) {
  const Expect& e = GetParam();
  const std::string bytes = read_vector(e.file);
  ASSERT_FALSE(bytes.empty()) << e.file;
  Message m;
  Verdict v = judge(bytes, e.role, e.framing, m);
  EXPECT_EQ(v.action, e.action) << e.file << ": got " << to_string(v.action) << " " << v.status << " ("
                                << describe(v.error) << ")";
  if (e.action == Action::Respond) {
    EXPECT_EQ(v.status, e.status) << e.file << ": " << describe(v.error);
    EXPECT_FALSE(v.reason.empty());
  }
  if (v.accepted()) {
    // Round trip: serialize, parse again, same semantic message.
    const std::string again = serialize(m);
    Message m2;
    Limits limits;
    Verdict v2 = parse_message(again, m2, limits.sip, Framing::Datagram);
    ASSERT_TRUE(v2.accepted()) << e.file << ": re-parse failed: " << describe(v2.error) << "\n" << again;
    EXPECT_TRUE(warden::sip::msg::test::equivalent(m, m2)) << e.file << "\n" << again;
  }
}

std::string name_of(const ::testing::TestParamInfo<Expect>& info) {
  std::string n = std::filesystem::path(info.param.file).stem().string();
  n += info.param.role == P ? "_proxy" : info.param.role == U ? "_uas" : "_registrar";
  n += info.param.framing == D ? "_udp" : "_tcp";
  for (auto& c : n)
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Torture, Vector, ::testing::ValuesIn(kExpected), name_of);

// Every file of both corpora has at least one expectation above.
TEST(Vectors, EveryFileIsCovered) {
  namespace fs = std::filesystem;
  std::size_t n4475 = 0, n5118 = 0;
  for (const char* dir : {"rfc4475", "rfc5118/wire"}) {
    for (const auto& entry : fs::directory_iterator(warden::sip::msg::test::vector_path(dir))) {
      if (entry.path().extension() != ".dat" || entry.path().filename() == "test.dat") continue;
      const std::string rel = std::string(dir) + "/" + entry.path().filename().string();
      bool found = false;
      for (const auto& e : kExpected) found = found || rel == e.file;
      EXPECT_TRUE(found) << rel << " has no expected outcome";
      (std::string(dir) == "rfc4475" ? n4475 : n5118)++;
    }
  }
  EXPECT_EQ(n4475, 49u);
  EXPECT_EQ(n5118, 12u);
}

// Semantic details the RFC calls out, beyond accept/reject.
TEST(Vectors, DatagramTrailingOctetsIgnored) {
  Message m;
  ASSERT_TRUE(judge(keep(read_vector("rfc4475/dblreq.dat")), R, D, m).accepted());
  EXPECT_EQ(m.method, Method::Register);
  EXPECT_TRUE(m.body.empty());
  EXPECT_EQ(m.bytes.find("INVITE"), std::string_view::npos);
}

TEST(Vectors, EscapesDecodeExactlyOnce) {
  Message m;
  ASSERT_TRUE(judge(keep(read_vector("rfc4475/esc01.dat")), P, D, m).accepted());
  ASSERT_EQ(m.contacts.size(), 1u);
  auto v = m.contacts[0].uri.param("n%61me");
  ASSERT_TRUE(v.has_value());
  std::string decoded;
  ASSERT_TRUE(unescape(*v, decoded));
  EXPECT_EQ(decoded, "value%41");
  ASSERT_TRUE(unescape(m.request_uri.user, decoded));
  EXPECT_EQ(decoded, "sips:user@example.com");
}

TEST(Vectors, EscapedNulsStayDistinct) {
  Message m;
  ASSERT_TRUE(judge(keep(read_vector("rfc4475/escnull.dat")), R, D, m).accepted());
  ASSERT_EQ(m.contacts.size(), 2u);
  std::string a, b;
  ASSERT_TRUE(unescape(m.contacts[0].uri.user, a));
  ASSERT_TRUE(unescape(m.contacts[1].uri.user, b));
  EXPECT_EQ(a, std::string("\0", 1));
  EXPECT_EQ(b, std::string("\0\0", 2));
  std::string to_user;
  ASSERT_TRUE(unescape(m.to.uri.user, to_user));
  EXPECT_EQ(to_user, std::string("null-\0-null", 11));
}

TEST(Vectors, PercentIsNotAnEscapeInMethodsAndHeaderNames) {
  Message m;
  ASSERT_TRUE(judge(keep(read_vector("rfc4475/esc02.dat")), P, D, m).accepted());
  EXPECT_EQ(m.method, Method::Unknown);
  EXPECT_EQ(m.method_text, "RE%47IST%45R");
  EXPECT_EQ(m.contacts.size(), 2u);  // C%6Fntact is an unknown header
  ASSERT_NE(m.find("C%6Fntact"), nullptr);
  EXPECT_EQ(m.from.display, "\"%Z%45\"");
}

TEST(Vectors, SemicolonInUserPart) {
  Message m;
  ASSERT_TRUE(judge(keep(read_vector("rfc4475/semiuri.dat")), P, D, m).accepted());
  std::string user;
  ASSERT_TRUE(unescape(m.request_uri.user, user));
  EXPECT_EQ(user, "user;par=u@example.net");
  EXPECT_EQ(m.request_uri.host, "example.com");
}

TEST(Vectors, ContactParameterVersusUriParameter) {
  Message m;
  ASSERT_TRUE(judge(keep(read_vector("rfc4475/cparam01.dat")), R, D, m).accepted());
  ASSERT_EQ(m.contacts.size(), 1u);
  EXPECT_TRUE(m.contacts[0].param("unknownparam").has_value());
  EXPECT_FALSE(m.contacts[0].uri.has_param("unknownparam"));
  ASSERT_TRUE(judge(keep(read_vector("rfc4475/cparam02.dat")), R, D, m).accepted());
  ASSERT_EQ(m.contacts.size(), 1u);
  EXPECT_TRUE(m.contacts[0].uri.has_param("unknownparam"));
  EXPECT_FALSE(m.contacts[0].param("unknownparam").has_value());
}

TEST(Vectors, EscapedHeaderKeptInRegisteredContact) {
  Message m;
  ASSERT_TRUE(judge(keep(read_vector("rfc4475/regescrt.dat")), R, D, m).accepted());
  ASSERT_EQ(m.contacts.size(), 1u);
  EXPECT_EQ(m.contacts[0].uri.headers, "Route=%3Csip:sip.example.com%3E");
}

TEST(Vectors, TortuousInviteFields) {
  Message m;
  ASSERT_TRUE(judge(keep(read_vector("rfc4475/wsinv.dat")), P, D, m).accepted());
  EXPECT_EQ(m.max_forwards, 68);
  EXPECT_EQ(m.cseq.number, 9u);
  EXPECT_EQ(m.cseq.method, Method::Invite);
  ASSERT_EQ(m.vias.size(), 3u);
  EXPECT_EQ(m.vias[0].transport, "UDP");
  EXPECT_EQ(m.vias[0].host, "192.0.2.2");
  EXPECT_EQ(m.vias[1].transport, "TCP");
  EXPECT_EQ(m.vias[1].branch, "z9hG4bK9ikj8");
  EXPECT_EQ(m.vias[2].branch, "z9hG4bK30239");
  EXPECT_EQ(m.to.tag, "1918181833n");
  EXPECT_EQ(m.from.tag, "98asjd8");
  ASSERT_EQ(m.contacts.size(), 1u);
  EXPECT_EQ(m.contacts[0].param("q").value_or(""), "0.33");
  EXPECT_EQ(m.content_length.value_or(0), 150u);
  EXPECT_EQ(m.body.size(), 150u);
  ASSERT_EQ(m.routes.size(), 1u);
  EXPECT_TRUE(m.routes[0].uri.has_param("lr"));
  ASSERT_NE(m.find("UnknownHeaderWithUnusualValue"), nullptr);
  EXPECT_EQ(m.find("UnknownHeaderWithUnusualValue")->value, ";;,,;;,;");
}

TEST(Vectors, Rfc2543InviteBodyRunsToEndOfDatagram) {
  Message m;
  const std::string bytes = read_vector("rfc4475/inv2543.dat");
  ASSERT_TRUE(judge(bytes, P, D, m).accepted());
  EXPECT_FALSE(m.content_length.has_value());
  EXPECT_EQ(m.body.data() + m.body.size(), bytes.data() + bytes.size());
  EXPECT_FALSE(m.vias[0].rfc3261_branch());
}

TEST(Vectors, Ipv6References) {
  Message m;
  ASSERT_TRUE(judge(keep(read_vector("rfc5118/wire/port-ambiguous.dat")), P, D, m).accepted());
  EXPECT_EQ(m.request_uri.host, "2001:db8::10:5070");
  EXPECT_FALSE(m.request_uri.port.has_value());
  ASSERT_TRUE(judge(keep(read_vector("rfc5118/wire/port-unambiguous.dat")), P, D, m).accepted());
  EXPECT_EQ(m.request_uri.host, "2001:db8::10");
  EXPECT_EQ(m.request_uri.port.value_or(0), 5070);
  ASSERT_TRUE(judge(keep(read_vector("rfc5118/wire/via-received-param-no-delim.dat")), P, D, m).accepted());
  EXPECT_EQ(m.vias[0].received, "2001:db8::9:255");
  EXPECT_EQ(m.vias[0].branch, "z9hG4bKas3");
  ASSERT_TRUE(judge(keep(read_vector("rfc5118/wire/via-received-param-with-delim.dat")), P, D, m).accepted());
  EXPECT_EQ(m.vias[0].received, "2001:db8::9:255");
  ASSERT_TRUE(judge(keep(read_vector("rfc5118/wire/mult-ip-in-header.dat")), P, D, m).accepted());
  ASSERT_EQ(m.vias.size(), 3u);
  EXPECT_EQ(m.vias[0].host_kind, HostKind::IPv6);
  EXPECT_EQ(m.vias[0].port.value_or(0), 6050);
  EXPECT_EQ(m.vias[1].host_kind, HostKind::IPv4);
  EXPECT_EQ(m.vias[2].received, "192.0.2.200");
  ASSERT_TRUE(judge(keep(read_vector("rfc5118/wire/ipv6-bug-abnf-3-colons.dat")), P, D, m).accepted());
  EXPECT_EQ(m.request_uri.host_kind, HostKind::IPv6);
}

// The archive form of RFC 5118 (bare LF, missing empty line) is not wire format: it must be
// refused cleanly, never half-parsed.
TEST(Vectors, Rfc5118ArchiveFormIsRejectedCleanly) {
  namespace fs = std::filesystem;
  for (const auto& entry : fs::directory_iterator(warden::sip::msg::test::vector_path("rfc5118"))) {
    if (entry.path().extension() != ".dat") continue;
    Message m;
    Limits limits;
    const std::string bytes = read_vector("rfc5118/" + entry.path().filename().string());
    Verdict v = parse_message(bytes, m, limits.sip, Framing::Datagram);
    EXPECT_FALSE(v.accepted()) << entry.path();
  }
}

TEST(Vectors, ArchiveOnlyTestDatIsMalformed) {
  Message m;
  EXPECT_FALSE(judge(keep(read_vector("rfc4475/test.dat")), P, D, m).accepted());
}

}  // namespace
