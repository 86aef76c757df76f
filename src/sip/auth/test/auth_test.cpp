#include <gtest/gtest.h>

#include "crypto/csprng.hpp"
#include "sip/auth/verifier.hpp"
#include "sip/msg/parser.hpp"

using namespace warden;
using namespace warden::sip::auth;
namespace msg = warden::sip::msg;
using namespace std::chrono_literals;

// RFC 7616 §3.9.1: the same request answered with MD5 and with SHA-256.
TEST(Digest, Rfc7616Vectors) {
  const DigestInput in{"GET", "/dir/index.html", "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "00000001",
                       "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "auth", {}};
  const auto md5 = compute_ha1(Algorithm::Md5, "Mufasa", "http-auth@example.org", "Circle of Life");
  EXPECT_EQ(compute_response(Algorithm::Md5, md5, in), "8ca523f5e9506fed4657c9700eebdbec");
  const auto sha = compute_ha1(Algorithm::Sha256, "Mufasa", "http-auth@example.org", "Circle of Life");
  EXPECT_EQ(compute_response(Algorithm::Sha256, sha, in),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

TEST(Digest, AlgorithmNames) {
  EXPECT_EQ(algorithm_from_name(""), Algorithm::Md5);
  EXPECT_EQ(algorithm_from_name("sha-256"), Algorithm::Sha256);
  EXPECT_EQ(algorithm_from_name("SHA-512-256"), Algorithm::Sha512_256);
  EXPECT_FALSE(algorithm_from_name("MD5-sess"));
  EXPECT_FALSE(algorithm_from_name("SHA-1"));
}

TEST(NonceService, IssuedNoncesCheckAndExpire) {
  NonceService ns(std::string(32, 'k'), 300s);
  base::WallTime t0{std::chrono::seconds(1'800'000'000)};
  const std::string n = ns.issue(t0, "example.test");
  EXPECT_EQ(n.size(), NonceService::kEncodedLength);
  EXPECT_EQ(ns.check(n, t0 + 10s, "example.test"), NonceService::Check::Valid);
  EXPECT_EQ(ns.check(n, t0 + 301s, "example.test"), NonceService::Check::Stale);
  EXPECT_EQ(ns.check(n, t0, "other.test"), NonceService::Check::Forged);  // bound to the realm
  std::string tampered = n;
  tampered[3] = tampered[3] == 'A' ? 'B' : 'A';  // change the timestamp
  EXPECT_EQ(ns.check(tampered, t0, "example.test"), NonceService::Check::Forged);
  NonceService other(std::string(32, 'x'), 300s);
  EXPECT_EQ(other.check(n, t0, "example.test"), NonceService::Check::Forged);  // another key
  EXPECT_EQ(ns.check("short", t0, "example.test"), NonceService::Check::Forged);
  EXPECT_NE(ns.issue(t0, "example.test"), n);
}

TEST(NonceService, EachNonceCarriesTheNextSerial) {
  NonceService ns(std::string(32, 'k'), 300s);
  base::WallTime t0{std::chrono::seconds(1'800'000'000)};
  for (std::uint64_t i = 1; i <= 3; ++i) {
    const auto c = ns.inspect(ns.issue(t0, "example.test"), t0, "example.test");
    EXPECT_EQ(c.state, NonceService::Check::Valid);
    EXPECT_EQ(c.serial, i);
  }
  // The serial is covered by the MAC: changing it makes the nonce a forgery.
  std::string n = ns.issue(t0, "example.test");
  n[12] = n[12] == 'A' ? 'B' : 'A';
  EXPECT_EQ(ns.inspect(n, t0, "example.test").state, NonceService::Check::Forged);
  const auto stale = ns.inspect(ns.issue(t0 - 400s, "example.test"), t0, "example.test");
  EXPECT_EQ(stale.state, NonceService::Check::Stale);
  EXPECT_EQ(stale.serial, 5u);
}

namespace {

struct Fixture {
  explicit Fixture(std::size_t window = 1024) : counter(window) {}
  crypto::Csprng rng;
  NonceService nonces{std::string(32, 'k'), 300s};
  NonceCounter counter;
  DigestVerifier verifier{nonces, counter, "example.test"};
  AccountKeys alice = make_account_keys("alice", "example.test", "wonderland");
  base::WallTime now{std::chrono::seconds(1'800'000'000)};

  // Credentials text as a client would send them.
  std::string authorization(Algorithm a, std::string_view password, std::string_view nonce, std::string_view nc,
                            std::string_view qop = "auth", std::string_view body = {}) {
    const auto ha1 = compute_ha1(a, "alice", "example.test", password);
    const auto resp = compute_response(a, ha1, DigestInput{"REGISTER", "sip:example.test", nonce, nc, "c0ffee", qop, body});
    std::string v = "Digest username=\"alice\", realm=\"example.test\", nonce=\"" + std::string(nonce) +
                    "\", uri=\"sip:example.test\", response=\"" + resp + "\", algorithm=" + std::string(name(a));
    if (!qop.empty()) v += ", qop=" + std::string(qop) + ", nc=" + std::string(nc) + ", cnonce=\"c0ffee\"";
    return v;
  }

  Outcome check(const std::string& value, const AccountKeys* account, std::string_view body = {}) {
    msg::Credentials c;
    EXPECT_TRUE(msg::parse_credentials(value, c));
    return verifier.verify(c, "REGISTER", body, account, now).outcome;
  }
};

}  // namespace

TEST(Verifier, AcceptsTheRightPasswordOnceForEachCount) {
  Fixture f;
  const auto nonce = f.nonces.issue(f.now, "example.test");
  const auto first = f.authorization(Algorithm::Sha256, "wonderland", nonce, "00000001");
  EXPECT_EQ(f.check(first, &f.alice), Outcome::Ok);
  EXPECT_EQ(f.check(first, &f.alice), Outcome::Replay);  // the captured header, replayed
  EXPECT_EQ(f.check(f.authorization(Algorithm::Sha256, "wonderland", nonce, "00000002"), &f.alice), Outcome::Ok);
  EXPECT_EQ(f.check(f.authorization(Algorithm::Sha256, "wonderland", nonce, "00000002"), &f.alice), Outcome::Replay);
}

TEST(Verifier, WrongPasswordAndUnknownUserLookAlike) {
  Fixture f;
  const auto nonce = f.nonces.issue(f.now, "example.test");
  EXPECT_EQ(f.check(f.authorization(Algorithm::Sha256, "guess", nonce, "00000001"), &f.alice), Outcome::Invalid);
  EXPECT_EQ(f.check(f.authorization(Algorithm::Sha256, "wonderland", nonce, "00000001"), nullptr), Outcome::Invalid);
}

TEST(Verifier, StaleOnlyWithTheRightPassword) {
  Fixture f;
  const auto nonce = f.nonces.issue(f.now - 400s, "example.test");
  EXPECT_EQ(f.check(f.authorization(Algorithm::Sha256, "wonderland", nonce, "00000001"), &f.alice), Outcome::Stale);
  EXPECT_EQ(f.check(f.authorization(Algorithm::Sha256, "guess", nonce, "00000001"), &f.alice), Outcome::Invalid);
}

TEST(Verifier, ForgedNonceAndMissingQopAreRefused) {
  Fixture f;
  EXPECT_EQ(f.check(f.authorization(Algorithm::Sha256, "wonderland", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                    "00000001"),
                    &f.alice),
            Outcome::Invalid);
  const auto nonce = f.nonces.issue(f.now, "example.test");
  auto no_qop = f.authorization(Algorithm::Sha256, "wonderland", nonce, "00000001", "");
  EXPECT_EQ(f.check(no_qop, &f.alice), Outcome::Invalid);
}

TEST(Verifier, AuthIntCoversTheBody) {
  Fixture f;
  const auto nonce = f.nonces.issue(f.now, "example.test");
  const auto v = f.authorization(Algorithm::Sha512_256, "wonderland", nonce, "00000001", "auth-int", "v=0\r\n");
  EXPECT_EQ(f.check(v, &f.alice, "v=1\r\n"), Outcome::Invalid);  // body changed in flight
  EXPECT_EQ(f.check(v, &f.alice, "v=0\r\n"), Outcome::Ok);
}

TEST(Verifier, NoDowngradeAfterAStrongerAlgorithm) {
  Fixture f;
  f.alice.strongest_used = Algorithm::Sha256;
  const auto nonce = f.nonces.issue(f.now, "example.test");
  EXPECT_EQ(f.check(f.authorization(Algorithm::Md5, "wonderland", nonce, "00000001"), &f.alice), Outcome::Downgrade);
  EXPECT_EQ(f.check(f.authorization(Algorithm::Sha512_256, "wonderland", nonce, "00000002"), &f.alice), Outcome::Ok);
  f.alice.allow_md5 = false;
  f.alice.strongest_used = Algorithm::Md5;
  EXPECT_EQ(f.check(f.authorization(Algorithm::Md5, "wonderland", nonce, "00000003"), &f.alice), Outcome::Invalid);
}

TEST(Challenges, StrongestFirstAndParseable) {
  Fixture f;
  const Algorithm offered[] = {Algorithm::Sha512_256, Algorithm::Sha256, Algorithm::Md5};
  auto ch = make_challenges(f.nonces, f.now, "example.test", true, offered);
  ASSERT_EQ(ch.size(), 3u);
  msg::Challenge c;
  ASSERT_TRUE(msg::parse_challenge(ch[0], c));
  EXPECT_EQ(c.algorithm, "SHA-512-256");
  EXPECT_TRUE(c.stale);
  EXPECT_EQ(c.qop, "auth,auth-int");
  EXPECT_EQ(f.nonces.check(c.nonce, f.now, "example.test"), NonceService::Check::Valid);
  ASSERT_TRUE(msg::parse_challenge(ch[2], c));
  EXPECT_EQ(c.algorithm, "MD5");
}

TEST(Challenges, HeaderLinesCarryTheSameChallengesWithOneNonce) {
  Fixture f;
  const Algorithm offered[] = {Algorithm::Sha512_256, Algorithm::Sha256, Algorithm::Md5};
  std::string out = "Kept: yes\r\n";
  append_challenge_headers(f.nonces, f.now, "example.test", false, offered, "Proxy-Authenticate", out);
  ASSERT_TRUE(out.starts_with("Kept: yes\r\n"));  // appended, not replaced
  std::vector<std::string> lines;
  for (std::size_t pos = 11; pos < out.size();) {
    const std::size_t end = out.find("\r\n", pos);
    ASSERT_NE(end, std::string::npos) << "every line ends with CRLF";
    lines.push_back(out.substr(pos, end - pos));
    pos = end + 2;
  }
  ASSERT_EQ(lines.size(), 3u);
  const char* names[] = {"SHA-512-256", "SHA-256", "MD5"};
  std::string nonce;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view prefix = "Proxy-Authenticate: ";
    ASSERT_TRUE(std::string_view(lines[i]).starts_with(prefix)) << lines[i];
    msg::Challenge c;
    ASSERT_TRUE(msg::parse_challenge(std::string_view(lines[i]).substr(prefix.size()), c)) << lines[i];
    EXPECT_EQ(c.algorithm, names[i]);
    EXPECT_EQ(c.realm, "example.test");
    EXPECT_FALSE(c.stale);
    EXPECT_EQ(c.qop, "auth,auth-int");
    if (i == 0) nonce = std::string(c.nonce);
    EXPECT_EQ(c.nonce, nonce);  // one nonce for the whole 401/407
    EXPECT_EQ(f.nonces.check(c.nonce, f.now, "example.test"), NonceService::Check::Valid);
  }
}

TEST(NonceCounter, CountsMustRiseForEachNonce) {
  NonceCounter counter(8);
  using V = NonceCounter::Verdict;
  EXPECT_EQ(counter.accept(1, 1), V::Accepted);
  EXPECT_EQ(counter.accept(2, 1), V::Accepted);  // another nonce has its own count
  EXPECT_EQ(counter.accept(1, 1), V::Replayed);
  EXPECT_EQ(counter.accept(1, 3), V::Accepted);  // counts may skip
  EXPECT_EQ(counter.accept(1, 2), V::Replayed);  // but never go back
  EXPECT_EQ(counter.accept(1, 3), V::Replayed);
  EXPECT_EQ(counter.size(), 2u);
}

TEST(NonceCounter, ANonceOlderThanTheWindowIsForgottenNeverAcceptedAgain) {
  NonceCounter counter(3);  // rounded up to 4 slots
  using V = NonceCounter::Verdict;
  for (std::uint64_t s = 1; s <= 4; ++s) EXPECT_EQ(counter.accept(s, 1), V::Accepted);
  EXPECT_EQ(counter.size(), 4u);
  // Serial 5 takes serial 1's slot: 1 is forgotten, whatever its count.
  EXPECT_EQ(counter.accept(5, 1), V::Accepted);
  EXPECT_EQ(counter.accept(1, 1), V::Forgotten);
  EXPECT_EQ(counter.accept(1, 99), V::Forgotten);
  EXPECT_EQ(counter.accept(5, 1), V::Replayed);
  // A nonce never used before may be used for the first time while its slot is still free or
  // holds an older serial; after that it is tracked like any other.
  EXPECT_EQ(counter.accept(10, 1), V::Accepted);  // slot 2, over serial 2
  EXPECT_EQ(counter.accept(2, 2), V::Forgotten);
  EXPECT_EQ(counter.accept(6, 1), V::Forgotten);  // slot 2 holds 10 now
  EXPECT_EQ(counter.accept(10, 1), V::Replayed);
  EXPECT_EQ(counter.size(), 4u);  // memory stays at the window
}

TEST(Verifier, ANonceThatLeftTheWindowGetsAStaleChallengeNotAReplayPass) {
  Fixture f(2);
  const auto old = f.nonces.issue(f.now, "example.test");
  const auto first = f.authorization(Algorithm::Sha256, "wonderland", old, "00000001");
  EXPECT_EQ(f.check(first, &f.alice), Outcome::Ok);
  for (int i = 0; i < 2; ++i) {
    const auto n = f.nonces.issue(f.now, "example.test");
    EXPECT_EQ(f.check(f.authorization(Algorithm::Sha256, "wonderland", n, "00000001"), &f.alice), Outcome::Ok);
  }
  // The captured header is refused; the right password with a later count gets stale=true.
  EXPECT_EQ(f.check(first, &f.alice), Outcome::Stale);
  EXPECT_EQ(f.check(f.authorization(Algorithm::Sha256, "wonderland", old, "00000002"), &f.alice), Outcome::Stale);
  EXPECT_EQ(f.check(f.authorization(Algorithm::Sha256, "guess", old, "00000002"), &f.alice), Outcome::Invalid);
}
