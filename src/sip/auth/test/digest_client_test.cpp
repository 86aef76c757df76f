// The digest client: challenge parsing (lists, limits, garbage, every truncation), the choice
// of challenge, answers checked by the server side's own DigestVerifier, RFC 7616 §3.9.1
// computed through the client, nonce counts, and the wrong-password / stale decision.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>

#include "crypto/csprng.hpp"
#include "crypto/hash.hpp"
#include "sip/auth/digest_client.hpp"
#include "sip/auth/verifier.hpp"
#include "sip/msg/parser.hpp"

using namespace warden;
using namespace warden::sip::auth;
namespace msg = warden::sip::msg;
using namespace std::chrono_literals;

namespace {

DigestCredentials pw(std::string user, std::string password) {
  DigestCredentials c;
  c.username = std::move(user);
  c.password = std::move(password);
  return c;
}

ParsedChallenges parse(std::string_view value, bool proxy = false, const ChallengeLimits& lim = {}) {
  ParsedChallenges out;
  parse_challenge_value(value, proxy, out, lim);
  return out;
}

// The answer parsed back the way the server reads it (views into `text`).
msg::Credentials read_back(const std::string& text) {
  msg::Credentials c;
  EXPECT_TRUE(msg::parse_credentials(text, c)) << text;
  return c;
}

// RFC 7616 §3.9.1: the two challenges of the example, SHA-256 first.
constexpr std::string_view kRfcSha256 =
    "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=SHA-256, "
    "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
    "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
constexpr std::string_view kRfcMd5 =
    "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=MD5, "
    "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
    "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
constexpr std::string_view kRfcCnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

// A registrar's side: nonces, counts and the verifier, as the proxy wires them.
struct Server {
  crypto::Csprng rng;
  NonceService nonces{std::string(32, 'k'), 300s};
  NonceCounter counter;
  DigestVerifier verifier{nonces, counter, "example.test"};
  AccountKeys alice = make_account_keys("alice", "example.test", "wonderland");
  base::WallTime now{std::chrono::seconds(1'800'000'000)};

  // The challenge values of a 401, as make_challenges writes them.
  std::vector<DigestChallenge> challenge(std::span<const Algorithm> offered, bool stale = false) {
    ParsedChallenges p;
    for (const auto& v : make_challenges(nonces, now, "example.test", stale, offered))
      parse_challenge_value(v, false, p);
    EXPECT_EQ(p.ignored, 0u);
    return p.challenges;
  }

  Outcome verify(const DigestAnswer& a, std::string_view method = "REGISTER", std::string_view body = {}) {
    const msg::Credentials c = read_back(a.value);
    return verifier.verify(c, method, body, &alice, now).outcome;
  }
};

}  // namespace

TEST(DigestClient, Rfc7616ExampleThroughTheClient) {
  crypto::Csprng rng;
  ParsedChallenges p = parse(kRfcSha256);
  parse_challenge_value(kRfcMd5, false, p);
  ASSERT_EQ(p.challenges.size(), 2u);
  EXPECT_EQ(p.ignored, 0u);

  DigestClient sha_client(pw("Mufasa", "Circle of Life"), rng);
  auto chosen = sha_client.choose(p.challenges);
  ASSERT_TRUE(chosen);
  EXPECT_EQ(*chosen, 0u);  // SHA-256 over MD5
  auto sha = sha_client.answer_with_cnonce(p.challenges[*chosen], "GET", "/dir/index.html", {}, kRfcCnonce);
  ASSERT_TRUE(sha);
  const auto c = read_back(sha->value);
  EXPECT_EQ(c.response, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
  EXPECT_EQ(c.username, "Mufasa");
  EXPECT_EQ(c.realm, "http-auth@example.org");
  EXPECT_EQ(c.uri, "/dir/index.html");
  EXPECT_EQ(c.algorithm, "SHA-256");
  EXPECT_EQ(c.qop, "auth");
  EXPECT_EQ(c.nc, "00000001");
  EXPECT_EQ(c.cnonce, kRfcCnonce);
  EXPECT_EQ(c.opaque, "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");
  EXPECT_EQ(sha->header_name(), "Authorization");

  DigestClient md5_client(pw("Mufasa", "Circle of Life"), rng);
  auto md5 = md5_client.answer_with_cnonce(p.challenges[1], "GET", "/dir/index.html", {}, kRfcCnonce);
  ASSERT_TRUE(md5);
  EXPECT_EQ(read_back(md5->value).response, "8ca523f5e9506fed4657c9700eebdbec");
  EXPECT_EQ(read_back(md5->value).algorithm, "MD5");
}

// Every algorithm with qop auth and auth-int, checked by the verifier the proxy uses.
TEST(DigestClient, AnswersAcceptedByTheServerVerifier) {
  for (Algorithm alg : {Algorithm::Md5, Algorithm::Sha256, Algorithm::Sha512_256}) {
    for (bool auth_int : {false, true}) {
      SCOPED_TRACE(std::string(name(alg)) + (auth_int ? " auth-int" : " auth"));
      Server s;
      const Algorithm offered[] = {alg};
      const auto ch = s.challenge(offered);
      ASSERT_EQ(ch.size(), 1u);
      EXPECT_TRUE(ch[0].qop_auth && ch[0].qop_auth_int);
      DigestClientConfig cfg;
      cfg.prefer_auth_int = auth_int;
      DigestClient client(pw("alice", "wonderland"), s.rng, cfg);
      const std::string body = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n";
      auto a = client.answer(ch[0], "REGISTER", "sip:example.test", body);
      ASSERT_TRUE(a);
      EXPECT_EQ(a->qop, auth_int ? "auth-int" : "auth");
      EXPECT_EQ(read_back(a->value).algorithm, name(alg));
      if (auth_int) {
        EXPECT_EQ(s.verify(*a, "REGISTER", "v=1 changed in flight"), Outcome::Invalid);
      }
      EXPECT_EQ(s.verify(*a, "REGISTER", body), Outcome::Ok);
      EXPECT_EQ(s.verify(*a, "REGISTER", body), Outcome::Replay);  // the same header again

      DigestClient wrong(pw("alice", "guess"), s.rng, cfg);
      auto w = wrong.answer(ch[0], "REGISTER", "sip:example.test", body);
      ASSERT_TRUE(w);
      EXPECT_EQ(s.verify(*w, "REGISTER", body), Outcome::Invalid);
    }
  }
}

// Without qop the answer is RFC 2069's H(HA1 ":" nonce ":" HA2), computed here independently.
// Warden's own verifier refuses such answers on purpose (no replay protection).
TEST(DigestClient, NoQopGivesAnRfc2069Answer) {
  for (auto [alg, hash] : {std::pair{Algorithm::Md5, crypto::HashAlgorithm::Md5},
                           std::pair{Algorithm::Sha256, crypto::HashAlgorithm::Sha256},
                           std::pair{Algorithm::Sha512_256, crypto::HashAlgorithm::Sha512_256}}) {
    SCOPED_TRACE(std::string(name(alg)));
    Server s;
    const std::string nonce = s.nonces.issue(s.now, "example.test");
    const auto p = parse("Digest realm=\"example.test\", nonce=\"" + nonce + "\", algorithm=" + std::string(name(alg)));
    ASSERT_EQ(p.challenges.size(), 1u);
    EXPECT_FALSE(p.challenges[0].has_qop());
    DigestClient client(pw("alice", "wonderland"), s.rng);
    auto a = client.answer(p.challenges[0], "REGISTER", "sip:example.test", {});
    ASSERT_TRUE(a);
    const auto c = read_back(a->value);
    const std::string ha1 = crypto::hex_digest(hash, "alice:example.test:wonderland");
    const std::string ha2 = crypto::hex_digest(hash, "REGISTER:sip:example.test");
    EXPECT_EQ(c.response, crypto::hex_digest(hash, ha1 + ":" + nonce + ":" + ha2));
    EXPECT_TRUE(c.qop.empty());
    EXPECT_TRUE(c.cnonce.empty());
    EXPECT_TRUE(c.nc.empty());
    EXPECT_EQ(a->qop, "");
    EXPECT_EQ(s.verify(*a), Outcome::Invalid);

    DigestClientConfig strict;
    strict.allow_rfc2069 = false;
    DigestClient no2069(pw("alice", "wonderland"), s.rng, strict);
    EXPECT_EQ(no2069.choose(p.challenges).error(), make_error_code(DigestErrc::Unsupported));
    EXPECT_FALSE(no2069.answer(p.challenges[0], "REGISTER", "sip:example.test", {}));
  }
}

TEST(DigestClient, NonceCountRisesPerNonceAndTheServerTakesEachOnce) {
  Server s;
  const Algorithm offered[] = {Algorithm::Sha256};
  const auto first = s.challenge(offered);
  DigestClient client(pw("alice", "wonderland"), s.rng);
  std::vector<std::string> cnonces;
  for (std::uint32_t i = 1; i <= 3; ++i) {
    auto a = client.answer(first[0], "REGISTER", "sip:example.test", {});
    ASSERT_TRUE(a);
    EXPECT_EQ(a->nc, i);
    const auto c = read_back(a->value);
    EXPECT_EQ(c.nc, "0000000" + std::to_string(i));
    cnonces.emplace_back(c.cnonce);
    EXPECT_EQ(s.verify(*a), Outcome::Ok);
  }
  EXPECT_NE(cnonces[0], cnonces[1]);
  EXPECT_NE(cnonces[1], cnonces[2]);
  EXPECT_GE(cnonces[0].size(), 20u);  // 128 random bits

  const auto second = s.challenge(offered);  // a new nonce starts again at 1
  auto b = client.answer(second[0], "REGISTER", "sip:example.test", {});
  ASSERT_TRUE(b);
  EXPECT_EQ(read_back(b->value).nc, "00000001");
  auto again = client.answer(first[0], "REGISTER", "sip:example.test", {});  // the first is still counted
  ASSERT_TRUE(again);
  EXPECT_EQ(read_back(again->value).nc, "00000004");

  client.reset_counts();
  auto reset = client.answer(first[0], "REGISTER", "sip:example.test", {});
  ASSERT_TRUE(reset);
  EXPECT_EQ(reset->nc, 1u);
}

TEST(DigestClient, CountsAreKeptForABoundedNumberOfNonces) {
  crypto::Csprng rng;
  DigestClient client(pw("alice", "wonderland"), rng);
  DigestChallenge c;
  c.realm = "example.test";
  c.qop_auth = true;
  c.nonce = "n-first";
  ASSERT_TRUE(client.answer(c, "REGISTER", "sip:example.test", {}));
  for (std::size_t i = 0; i < DigestClient::kMaxTrackedNonces; ++i) {
    c.nonce = "n" + std::to_string(i);
    ASSERT_TRUE(client.answer(c, "REGISTER", "sip:example.test", {}));
  }
  c.nonce = "n-first";  // forgotten: counted from 1 again
  EXPECT_EQ(client.answer(c, "REGISTER", "sip:example.test", {})->nc, 1u);
  c.nonce = "n15";  // still known
  EXPECT_EQ(client.answer(c, "REGISTER", "sip:example.test", {})->nc, 2u);
}

TEST(DigestClient, ChoosesTheStrongestWhateverTheOrder) {
  Server s;
  const Algorithm weak_first[] = {Algorithm::Md5, Algorithm::Sha256, Algorithm::Sha512_256};
  const Algorithm strong_first[] = {Algorithm::Sha512_256, Algorithm::Md5, Algorithm::Sha256};
  const Algorithm no_512[] = {Algorithm::Md5, Algorithm::Sha256};
  const Algorithm md5_only[] = {Algorithm::Md5};
  DigestClient client(pw("alice", "wonderland"), s.rng);
  for (auto offered : {std::span<const Algorithm>(weak_first), std::span<const Algorithm>(strong_first)}) {
    const auto ch = s.challenge(offered);
    auto i = client.choose(ch);
    ASSERT_TRUE(i);
    EXPECT_EQ(ch[*i].algorithm, Algorithm::Sha512_256);
    auto a = client.answer(ch[*i], "REGISTER", "sip:example.test", {});
    ASSERT_TRUE(a);
    EXPECT_EQ(s.verify(*a), Outcome::Ok);
  }
  {
    const auto ch = s.challenge(no_512);
    EXPECT_EQ(ch[*client.choose(ch)].algorithm, Algorithm::Sha256);
  }
  {
    const auto ch = s.challenge(md5_only);
    EXPECT_EQ(ch[*client.choose(ch)].algorithm, Algorithm::Md5);
    DigestClientConfig cfg;
    cfg.minimum = Algorithm::Sha256;
    DigestClient picky(pw("alice", "wonderland"), s.rng, cfg);
    EXPECT_EQ(picky.choose(ch).error(), make_error_code(DigestErrc::Unsupported));
    EXPECT_EQ(picky.answer(ch[0], "REGISTER", "sip:example.test", {}).error(),
              make_error_code(DigestErrc::Unsupported));
  }
  // Same algorithm: a challenge with qop before one without; otherwise the first written.
  auto p = parse("Digest realm=\"r\", nonce=\"a\", algorithm=SHA-256");
  parse_challenge_value("Digest realm=\"r\", nonce=\"b\", algorithm=SHA-256, qop=\"auth\"", false, p);
  parse_challenge_value("Digest realm=\"r\", nonce=\"c\", algorithm=SHA-256, qop=\"auth\"", false, p);
  ASSERT_EQ(p.challenges.size(), 3u);
  EXPECT_EQ(*client.choose(p.challenges), 1u);
  EXPECT_EQ(client.choose({}).error(), make_error_code(DigestErrc::NoChallenge));
}

TEST(DigestClient, AnswersOnlyTheConfiguredRealm) {
  Server s;
  DigestClientConfig cfg;
  cfg.realm = "example.test";
  DigestClient client(pw("alice", "wonderland"), s.rng, cfg);
  auto evil = parse("Digest realm=\"evil.test\", nonce=\"abc\", algorithm=SHA-512-256, qop=\"auth\"");
  ASSERT_EQ(evil.challenges.size(), 1u);
  EXPECT_EQ(client.choose(evil.challenges).error(), make_error_code(DigestErrc::ForeignRealm));
  EXPECT_EQ(client.answer(evil.challenges[0], "REGISTER", "sip:example.test", {}).error(),
            make_error_code(DigestErrc::ForeignRealm));
  // A weaker challenge in our realm wins over a stronger one in another.
  const Algorithm md5[] = {Algorithm::Md5};
  auto ours = s.challenge(md5);
  evil.challenges.push_back(ours[0]);
  auto i = client.choose(evil.challenges);
  ASSERT_TRUE(i);
  EXPECT_EQ(*i, 1u);
  auto a = client.answer(evil.challenges[*i], "REGISTER", "sip:example.test", {});
  ASSERT_TRUE(a);
  EXPECT_EQ(s.verify(*a), Outcome::Ok);
  EXPECT_EQ(describe(DigestErrc::ForeignRealm), "challenge for another realm");
  EXPECT_EQ(make_error_code(DigestErrc::ForeignRealm).category().name(), std::string("sip.auth.digest"));
}

TEST(DigestClient, Ha1CredentialsForOneRealm) {
  Server s;
  DigestCredentials creds;
  creds.username = "alice";
  creds.ha1_sha256 = s.alice.ha1_sha256;  // no password, no SHA-512-256 key
  DigestClientConfig cfg;
  cfg.realm = "example.test";
  DigestClient client(creds, s.rng, cfg);
  const Algorithm offered[] = {Algorithm::Sha512_256, Algorithm::Sha256, Algorithm::Md5};
  const auto ch = s.challenge(offered);
  auto i = client.choose(ch);
  ASSERT_TRUE(i);
  EXPECT_EQ(ch[*i].algorithm, Algorithm::Sha256);
  auto a = client.answer(ch[*i], "REGISTER", "sip:example.test", {});
  ASSERT_TRUE(a);
  EXPECT_EQ(s.verify(*a), Outcome::Ok);
  EXPECT_EQ(client.answer(ch[0], "REGISTER", "sip:example.test", {}).error(), make_error_code(DigestErrc::NoKey));
  const Algorithm only_512[] = {Algorithm::Sha512_256};
  EXPECT_EQ(client.choose(s.challenge(only_512)).error(), make_error_code(DigestErrc::NoKey));
  // Without a configured realm an HA1 cannot be used (it is bound to one).
  DigestClient unbound(creds, s.rng);
  EXPECT_EQ(unbound.choose(ch).error(), make_error_code(DigestErrc::NoKey));
}

TEST(DigestClient, WrongPasswordIsToldApartFromStale) {
  Server s;
  const Algorithm offered[] = {Algorithm::Sha256};
  DigestClient wrong(pw("alice", "guess"), s.rng);
  auto first = s.challenge(offered);
  auto sent = wrong.answer(first[0], "REGISTER", "sip:example.test", {});
  ASSERT_TRUE(sent);
  ASSERT_EQ(s.verify(*sent), Outcome::Invalid);
  // The server challenges again with a fresh nonce: our first answer to a nonce was refused.
  auto second = s.challenge(offered);
  EXPECT_NE(second[0].nonce, first[0].nonce);
  EXPECT_TRUE(credentials_rejected(*sent, second[0]));
  // The same nonce offered again without stale: refused as well.
  EXPECT_TRUE(credentials_rejected(*sent, first[0]));

  // The right password on an expired nonce: the server says stale=true; answer the new nonce.
  DigestClient right(pw("alice", "wonderland"), s.rng);
  auto old = s.challenge(offered);
  s.now += 400s;
  auto late = right.answer(old[0], "REGISTER", "sip:example.test", {});
  ASSERT_TRUE(late);
  ASSERT_EQ(s.verify(*late), Outcome::Stale);
  auto renewed = s.challenge(offered, /*stale=*/true);
  EXPECT_TRUE(renewed[0].stale);
  EXPECT_FALSE(credentials_rejected(*late, renewed[0]));
  auto retry = right.answer(renewed[0], "REGISTER", "sip:example.test", {});
  ASSERT_TRUE(retry);
  EXPECT_EQ(s.verify(*retry), Outcome::Ok);

  // A reused nonce (nc 2) answered by a fresh non-stale challenge: the server may have
  // forgotten the nonce; answer the new one once before concluding anything.
  auto reused = right.answer(renewed[0], "REGISTER", "sip:example.test", {});
  ASSERT_TRUE(reused);
  EXPECT_EQ(reused->nc, 2u);
  auto fresh = s.challenge(offered);
  EXPECT_FALSE(credentials_rejected(*reused, fresh[0]));
  // A challenge from another realm or the other header does not judge these credentials.
  DigestChallenge other = fresh[0];
  other.realm = "proxy.test";
  EXPECT_FALSE(credentials_rejected(*sent, other));
  other = fresh[0];
  other.proxy = true;
  EXPECT_FALSE(credentials_rejected(*sent, other));
}

TEST(DigestClient, RefusesValuesThatWouldBreakTheHeader) {
  crypto::Csprng rng;
  DigestChallenge c;
  c.realm = "example.test";
  c.nonce = "n";
  c.qop_auth = true;
  DigestClient client(pw("alice", "wonderland"), rng);
  EXPECT_EQ(client.answer(c, "REG ISTER", "sip:example.test", {}).error(), make_error_code(DigestErrc::BadInput));
  EXPECT_EQ(client.answer(c, "", "sip:example.test", {}).error(), make_error_code(DigestErrc::BadInput));
  EXPECT_EQ(client.answer(c, "REGISTER", "sip:a\r\nVia: x", {}).error(), make_error_code(DigestErrc::BadInput));
  EXPECT_EQ(client.answer(c, "REGISTER", "sip:\"x\"", {}).error(), make_error_code(DigestErrc::BadInput));
  EXPECT_EQ(client.answer_with_cnonce(c, "REGISTER", "sip:x", {}, "a\"b").error(),
            make_error_code(DigestErrc::BadInput));
  DigestClient injected(pw("alice\r\nX: y", "pw"), rng);
  EXPECT_EQ(injected.answer(c, "REGISTER", "sip:example.test", {}).error(), make_error_code(DigestErrc::BadInput));
  DigestClient nokey(pw("alice", ""), rng);
  EXPECT_EQ(nokey.answer(c, "REGISTER", "sip:example.test", {}).error(), make_error_code(DigestErrc::NoKey));

  // Quotes and backslashes in a username or the server's values are escaped, not broken out of.
  DigestClient quoted(pw("al\"ice\\", "pw"), rng);
  c.opaque = "op\"aque";
  c.has_opaque = true;
  auto a = quoted.answer(c, "REGISTER", "sip:example.test", {});
  ASSERT_TRUE(a);
  const auto back = read_back(a->value);
  EXPECT_EQ(back.username, "al\\\"ice\\\\");  // quoted-pairs as written
  EXPECT_EQ(back.opaque, "op\\\"aque");
  EXPECT_EQ(back.uri, "sip:example.test");
  EXPECT_EQ(a->value.find('\r'), std::string::npos);
}

TEST(ChallengeParsing, SeveralChallengesInOneValueAndOtherSchemes) {
  const auto p = parse(
      "Basic realm=\"legacy\", Digest realm=\"a,b\", nonce=\"n1\", qop=\"auth\", "
      "Negotiate, Digest realm=\"r\", nonce=\"n2\", algorithm=sha-512-256, opaque=\"\", stale=TRUE, "
      "qop=\"auth-int,auth-conf\"");
  ASSERT_EQ(p.challenges.size(), 2u);
  EXPECT_EQ(p.ignored, 2u);  // Basic, Negotiate
  EXPECT_EQ(p.challenges[0].realm, "a,b");
  EXPECT_EQ(p.challenges[0].nonce, "n1");
  EXPECT_EQ(p.challenges[0].algorithm, Algorithm::Md5);
  EXPECT_TRUE(p.challenges[0].qop_auth);
  EXPECT_FALSE(p.challenges[0].qop_auth_int);
  EXPECT_FALSE(p.challenges[0].has_opaque);
  EXPECT_FALSE(p.challenges[0].stale);
  EXPECT_EQ(p.challenges[1].algorithm, Algorithm::Sha512_256);
  EXPECT_TRUE(p.challenges[1].has_opaque);
  EXPECT_EQ(p.challenges[1].opaque, "");
  EXPECT_TRUE(p.challenges[1].stale);
  EXPECT_FALSE(p.challenges[1].qop_auth);
  EXPECT_TRUE(p.challenges[1].qop_auth_int);
}

TEST(ChallengeParsing, UnsupportedAlgorithmsAndQopAreIgnored) {
  for (std::string_view v : {
           "Digest realm=\"r\", nonce=\"n\", algorithm=MD5-sess, qop=\"auth\"",
           "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-256-sess, qop=\"auth\"",
           "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256-sess",
           "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-1",
           "Digest realm=\"r\", nonce=\"n\", qop=\"auth-conf\"",
           "Digest realm=\"r\", algorithm=MD5",  // no nonce
           "Digest realm=\"r\", nonce=\"\"",
       }) {
    SCOPED_TRACE(v);
    const auto p = parse(v);
    EXPECT_TRUE(p.challenges.empty());
    EXPECT_EQ(p.ignored, 1u);
  }
}

TEST(ChallengeParsing, QuotedPairsAreResolvedAndControlsRefused) {
  auto p = parse("Digest realm=\"ex\\\"am\\\\ple\", nonce=\"n\\x\", qop=auth");
  ASSERT_EQ(p.challenges.size(), 1u);
  EXPECT_EQ(p.challenges[0].realm, "ex\"am\\ple");
  EXPECT_EQ(p.challenges[0].nonce, "nx");
  EXPECT_TRUE(p.challenges[0].qop_auth);
  // A control character, even as a quoted-pair or folded into the value, is not echoed.
  p = parse(std::string("Digest realm=\"r\", nonce=\"a\\") + '\x01' + "b\"");
  EXPECT_TRUE(p.challenges.empty());
  p = parse("Digest realm=\"r\", nonce=\"a\r\n b\"");
  EXPECT_TRUE(p.challenges.empty());
  EXPECT_EQ(p.ignored, 1u);
}

TEST(ChallengeParsing, Limits) {
  const std::string long_nonce(513, 'n');
  auto p = parse("Digest realm=\"r\", nonce=\"" + long_nonce + "\"");
  EXPECT_TRUE(p.challenges.empty());
  EXPECT_EQ(p.ignored, 1u);
  p = parse("Digest realm=\"" + std::string(257, 'r') + "\", nonce=\"n\"");
  EXPECT_TRUE(p.challenges.empty());
  p = parse("Digest realm=\"r\", nonce=\"n\", opaque=\"" + std::string(513, 'o') + "\"");
  EXPECT_TRUE(p.challenges.empty());
  p = parse("Digest realm=\"r\", nonce=\"" + std::string(512, 'n') + "\"");
  EXPECT_EQ(p.challenges.size(), 1u);

  std::string many;
  for (int i = 0; i < 20; ++i) many += (i ? ", " : "") + std::string("Digest realm=\"r\", nonce=\"n") + std::to_string(i) + "\"";
  p = parse(many);
  EXPECT_EQ(p.challenges.size(), 16u);
  EXPECT_EQ(p.ignored, 4u);

  ChallengeLimits small;
  small.max_value_bytes = 40;
  p = parse("Digest realm=\"example.test\", nonce=\"0123456789\"", false, small);
  EXPECT_TRUE(p.challenges.empty());
  EXPECT_EQ(p.ignored, 1u);
}

TEST(ChallengeParsing, FromAResponseWithSeveralFields) {
  const std::string text =
      "SIP/2.0 401 Unauthorized\r\n"
      "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKabc\r\n"
      "From: <sip:alice@example.test>;tag=1\r\n"
      "To: <sip:alice@example.test>;tag=2\r\n"
      "Call-ID: c1\r\n"
      "CSeq: 1 REGISTER\r\n"
      "WWW-Authenticate: Digest realm=\"example.test\", nonce=\"n1\", algorithm=MD5, qop=\"auth\"\r\n"
      "Proxy-Authenticate: Digest realm=\"proxy.test\", nonce=\"n2\", algorithm=SHA-256, qop=\"auth\"\r\n"
      "www-authenticate: Digest realm=\"example.test\", nonce=\"n3\", algorithm=SHA-512-256,\r\n"
      "  qop=\"auth,auth-int\"\r\n"
      "WWW-Authenticate: Basic realm=\"x\"\r\n"
      "Content-Length: 0\r\n\r\n";
  msg::Message m;
  ASSERT_TRUE(msg::parse_message(text, m, base::Limits::Sip{}).accepted());
  const auto p = parse_challenges(m);
  ASSERT_EQ(p.challenges.size(), 3u);
  EXPECT_EQ(p.ignored, 1u);
  EXPECT_FALSE(p.challenges[0].proxy);
  EXPECT_TRUE(p.challenges[1].proxy);
  EXPECT_EQ(p.challenges[1].realm, "proxy.test");
  EXPECT_EQ(p.challenges[2].nonce, "n3");
  EXPECT_TRUE(p.challenges[2].qop_auth_int);

  crypto::Csprng rng;
  DigestClientConfig cfg;
  cfg.realm = "example.test";
  DigestClient client(pw("alice", "pw"), rng, cfg);
  auto i = client.choose(p.challenges);
  ASSERT_TRUE(i);
  EXPECT_EQ(*i, 2u);
  auto a = client.answer(p.challenges[*i], "REGISTER", "sip:example.test", {});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->header_name(), "Authorization");
  DigestClient proxy_client(pw("alice", "pw"), rng);
  auto pa = proxy_client.answer(p.challenges[1], "REGISTER", "sip:example.test", {});
  ASSERT_TRUE(pa);
  EXPECT_EQ(pa->header_name(), "Proxy-Authorization");

  ChallengeLimits one_field;
  one_field.max_fields = 1;
  const auto q = parse_challenges(m, one_field);
  EXPECT_EQ(q.challenges.size(), 1u);
  EXPECT_EQ(q.ignored, 3u);
}

TEST(ChallengeParsing, GarbageNeverCrashesNorYieldsAChallenge) {
  for (std::string_view v : {"", ",", ",,,,", "Digest", "Digest ", "Digest ,", "\"", "Digest realm=\"",
                             "Digest realm=\"r\\", "Digest nonce=\"n\" realm=\"r\"", "=,=,=", "Digest ==",
                             "Digest realm=r nonce=n", "realm=\"r\", nonce=\"n\"", "\\\\\\", "Digest\t\r\n",
                             "Digest realm=\"r\",, nonce", "Digest nonce=\"n\", nonce"}) {
    SCOPED_TRACE(v);
    const auto p = parse(v);
    EXPECT_TRUE(p.challenges.empty());
  }
}

// Every prefix of a valid list parses without reading past it and never yields more than the
// whole; a prefix that ends before the first nonce's closing quote yields nothing.
TEST(ChallengeParsing, EveryTruncation) {
  const std::string full =
      "Digest realm=\"example.test\", nonce=\"abc\\\"def\", algorithm=SHA-256, qop=\"auth,auth-int\", "
      "opaque=\"xyz\", Digest realm=\"example.test\", nonce=\"second\", algorithm=MD5";
  const auto whole = parse(full);
  ASSERT_EQ(whole.challenges.size(), 2u);
  const std::size_t first_nonce_closed = full.find("def\"") + 4;
  for (std::size_t n = 0; n <= full.size(); ++n) {
    // An exact-size heap copy, so a sanitizer sees any read past the end.
    std::unique_ptr<char[]> copy(new char[n == 0 ? 1 : n]);
    std::memcpy(copy.get(), full.data(), n);
    const auto p = parse(std::string_view(copy.get(), n));
    ASSERT_LE(p.challenges.size(), 2u) << n;
    if (n < first_nonce_closed) {
      EXPECT_TRUE(p.challenges.empty()) << n;
    }
    for (const auto& c : p.challenges) {
      EXPECT_FALSE(c.nonce.empty());
      EXPECT_LE(c.nonce.size(), 7u);
    }
  }
}

// Random mutations of a valid value: no crash, every kept field within its limit and free of
// control characters (a deterministic seed, so a failure repeats).
TEST(ChallengeParsing, MutatedValues) {
  const std::string seed =
      "Digest realm=\"example.test\", nonce=\"abc\", algorithm=SHA-256, qop=\"auth,auth-int\", "
      "opaque=\"xyz\", stale=true, Basic realm=\"q\", Digest realm=r, nonce=n2";
  std::mt19937 gen(20261123);
  const std::string alphabet = "\",=\\ \t\r\nDigestrealmnonce;:\x01\x7f\xff";
  ChallengeLimits lim;
  lim.max_nonce_bytes = 8;
  std::size_t kept = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string v = seed;
    const int edits = 1 + static_cast<int>(gen() % 6);
    for (int e = 0; e < edits && !v.empty(); ++e) {
      const std::size_t at = gen() % v.size();
      switch (gen() % 3) {
        case 0: v[at] = alphabet[gen() % alphabet.size()]; break;
        case 1: v.insert(v.begin() + static_cast<std::ptrdiff_t>(at), alphabet[gen() % alphabet.size()]); break;
        default: v.erase(at, 1 + gen() % 8); break;
      }
    }
    const auto p = parse(v, false, lim);
    kept += p.challenges.size();
    ASSERT_LE(p.challenges.size(), 3u);
    for (const auto& c : p.challenges) {
      ASSERT_FALSE(c.nonce.empty());
      ASSERT_LE(c.nonce.size(), lim.max_nonce_bytes);
      ASSERT_LE(c.realm.size(), lim.max_realm_bytes);
      for (const std::string* s : {&c.realm, &c.nonce, &c.opaque})
        for (char ch : *s) ASSERT_FALSE(static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) << v;
    }
  }
  EXPECT_GT(kept, 1000u);  // the mutations left many values readable: the loop tested something
}
