// SIP Identity (RFC 8224 / RFC 8225): sign -> Identity header -> parse -> verify round trips for
// SIP URIs and telephone numbers, every refusal with its reason, freshness on a manual clock,
// replay, certificates that do not fit, and garbage headers that must never crash.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "base/clock.hpp"
#include "base/error.hpp"
#include "base/limits.hpp"
#include "crypto/base64url.hpp"
#include "crypto/certificate.hpp"
#include "crypto/csprng.hpp"
#include "crypto/dev_pki.hpp"
#include "crypto/es256.hpp"
#include "sip/identity/identity_header.hpp"
#include "sip/identity/passport.hpp"
#include "sip/identity/replay_cache.hpp"
#include "sip/identity/signer.hpp"
#include "sip/identity/sip_date.hpp"
#include "sip/identity/verifier.hpp"
#include "sip/msg/parser.hpp"

namespace warden::sip::identity {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kInfo = "https://a.test/identity/cert.pem";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A parsed request that owns its bytes.
struct Request {
  std::string bytes;
  msg::Message m;
};

std::unique_ptr<Request> make_request(const std::string& from, const std::string& to,
                                      const std::vector<std::string>& extra_headers) {
  auto r = std::make_unique<Request>();
  r->bytes = "INVITE sip:bob@b.test SIP/2.0\r\n"
             "Via: SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bK776asdhds\r\n"
             "Max-Forwards: 70\r\n"
             "From: <" + from + ">;tag=1928301774\r\n"
             "To: <" + to + ">\r\n"
             "Call-ID: a84b4c76e66710@a.test\r\n"
             "CSeq: 314159 INVITE\r\n";
  for (const auto& h : extra_headers) r->bytes += h + "\r\n";
  r->bytes += "Content-Length: 0\r\n\r\n";
  const base::Limits::Sip limits{};
  const auto v = msg::parse_message(r->bytes, r->m, limits);
  EXPECT_TRUE(v.accepted()) << r->bytes;
  return r;
}

class IdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("warden-identity-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    auto a = crypto::ensure_dev_pki(base_ / "a", {"a.test"});
    auto b = crypto::ensure_dev_pki(base_ / "b", {"b.test"});
    ASSERT_TRUE(a.ok() && b.ok());
    a_chain_ = crypto::Certificate::chain_from_pem(slurp(a->server_certificate) + slurp(a->ca_certificate)).value();
    b_chain_ = crypto::Certificate::chain_from_pem(slurp(b->server_certificate) + slurp(b->ca_certificate)).value();
    a_key_ = std::make_unique<crypto::EcPrivateKey>(crypto::EcPrivateKey::from_pem(slurp(a->server_key)).value());
    a_root_.add_pem(slurp(a->ca_certificate)).value();
    both_roots_.add_pem(slurp(a->ca_certificate) + slurp(b->ca_certificate)).value();
    signer_ = std::make_unique<IdentitySigner>(*a_key_, kInfo, rng_);
  }
  void TearDown() override { fs::remove_all(base_); }

  base::WallTime now() const { return clock_.wall_now(); }

  // The Identity value the signer gives a request from `from` to `to` at the clock's now.
  std::string sign(const std::string& from, const std::string& to) {
    auto plain = make_request(from, to, {});
    auto value = signer_->identity_for(plain->m, now());
    EXPECT_TRUE(value.ok()) << value.error().message();
    return value.ok() ? *value : std::string();
  }

  std::unique_ptr<Request> signed_request(const std::string& from, const std::string& to,
                                          const std::string& identity, std::optional<std::string> date = {}) {
    return make_request(from, to,
                        {"Date: " + date.value_or(IdentitySigner::date_for(now())), "Identity: " + identity});
  }

  Verdict verify(const msg::Message& m, IdentityVerifier& v, const std::vector<crypto::Certificate>& chain) {
    auto read = read_identity(m, v.config().limits);
    if (auto* verdict = std::get_if<Verdict>(&read)) return *verdict;
    return v.verify(std::get<PendingIdentity>(read), chain, now());
  }
  Verdict verify(const msg::Message& m) { return verify(m, verifier_, a_chain_); }

  fs::path base_;
  // Whole seconds of the real time: the development certificates are valid around it.
  base::ManualClock clock_{std::chrono::floor<std::chrono::seconds>(base::WallTime(std::chrono::system_clock::now().time_since_epoch()))};
  crypto::Csprng rng_;
  std::vector<crypto::Certificate> a_chain_, b_chain_;
  std::unique_ptr<crypto::EcPrivateKey> a_key_;
  crypto::TrustStore a_root_, both_roots_;
  std::unique_ptr<IdentitySigner> signer_;
  IdentityVerifier verifier_{a_root_};
};

void expect_failed(const Verdict& v, IdentityErrc why) {
  EXPECT_EQ(v.status, VerdictStatus::Failed) << describe(why);
  EXPECT_EQ(v.reason, why) << "got: " << describe(v.reason) << " " << v.detail;
  EXPECT_EQ(v.verstat(), "TN-Validation-Failed");
}

std::string decode_part(std::string_view jws, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = jws.find('.', start) + 1;
  const auto end = jws.find('.', start);
  return crypto::base64url_decode(jws.substr(start, end == std::string_view::npos ? end : end - start)).value();
}

// ---- round trips ----

TEST_F(IdentityTest, SipUriRoundTrip) {
  // Trust anchors are copied into the verifier: build it after SetUp filled them.
  verifier_ = IdentityVerifier(a_root_);
  const std::string value = sign("sip:alice@a.test", "sip:bob@b.test");
  const auto header = parse_identity_header(value, {}).value();
  EXPECT_EQ(header.info, kInfo);
  EXPECT_EQ(header.alg, "ES256");
  EXPECT_EQ(header.ppt, "");
  EXPECT_EQ(value.substr(header.jws.size()), std::string(";info=<") + kInfo + ">;alg=ES256");
  // Canonical JSON (RFC 8225 §9): sorted members, no white space.
  EXPECT_EQ(decode_part(header.jws, 0), R"({"alg":"ES256","typ":"passport","x5u":"https://a.test/identity/cert.pem"})");
  const std::string claims = decode_part(header.jws, 1);
  const std::string iat = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count());
  const std::string prefix = R"({"dest":{"uri":["sip:bob@b.test"]},"iat":)" + iat + R"(,"orig":{"uri":"sip:alice@a.test"},"origid":")";
  EXPECT_EQ(claims.substr(0, prefix.size()), prefix) << claims;
  EXPECT_EQ(claims.size(), prefix.size() + 36 + 2);  // a UUID, then "}
  EXPECT_EQ(decode_part(header.jws, 2).size(), 64u);

  auto req = signed_request("sip:alice@a.test", "sip:bob@b.test", value);
  const Verdict v = verify(req->m);
  EXPECT_EQ(v.status, VerdictStatus::Verified) << describe(v.reason) << " " << v.detail;
  EXPECT_EQ(v.verstat(), "TN-Validation-Passed");
}

TEST_F(IdentityTest, TelephoneNumberRoundTrip) {
  verifier_ = IdentityVerifier(a_root_);
  const std::string value = sign("tel:+1-202-555-0100", "sip:+447700900123@b.test;user=phone");
  const auto header = parse_identity_header(value, {}).value();
  const std::string claims = decode_part(header.jws, 1);
  EXPECT_NE(claims.find(R"("orig":{"tn":"12025550100"})"), std::string::npos) << claims;
  EXPECT_NE(claims.find(R"("dest":{"tn":["447700900123"]})"), std::string::npos) << claims;
  // The same numbers written another way still match (digits compared, RFC 8224 §8.3).
  auto req = signed_request("sip:+12025550100@a.test;user=phone", "tel:+44-7700-900123", value);
  const Verdict v = verify(req->m);
  EXPECT_EQ(v.status, VerdictStatus::Verified) << describe(v.reason) << " " << v.detail;
  // Another number: orig mismatch.
  verifier_ = IdentityVerifier(a_root_);
  expect_failed(verify(signed_request("tel:+12025550101", "tel:+447700900123", value)->m), IdentityErrc::OrigMismatch);
}

TEST_F(IdentityTest, UriComparisonIgnoresParametersNotUsers) {
  verifier_ = IdentityVerifier(a_root_);
  const std::string value = sign("sip:alice@A.TEST;transport=tls", "sip:bob@b.test");
  // Host case and URI parameters do not matter; the escaped user is the same user.
  EXPECT_EQ(verify(signed_request("sip:%61lice@a.test", "sip:bob@B.test;transport=tcp", value)->m).status,
            VerdictStatus::Verified);
  verifier_ = IdentityVerifier(a_root_);
  expect_failed(verify(signed_request("sip:Alice@a.test", "sip:bob@b.test", value)->m), IdentityErrc::OrigMismatch);
  expect_failed(verify(signed_request("sips:alice@a.test", "sip:bob@b.test", value)->m), IdentityErrc::OrigMismatch);
  expect_failed(verify(signed_request("sip:alice@a.test:5070", "sip:bob@b.test", value)->m), IdentityErrc::OrigMismatch);
}

TEST_F(IdentityTest, NoIdentityHeader) {
  auto req = make_request("sip:alice@a.test", "sip:bob@b.test", {});
  const Verdict v = verify(req->m);
  EXPECT_EQ(v.status, VerdictStatus::NoIdentity);
  EXPECT_EQ(v.verstat(), "No-TN-Validation");
}

// ---- tampering ----

TEST_F(IdentityTest, TamperedRequestOrHeaderFails) {
  verifier_ = IdentityVerifier(a_root_);
  const std::string value = sign("sip:alice@a.test", "sip:bob@b.test");
  expect_failed(verify(signed_request("sip:mallory@a.test", "sip:bob@b.test", value)->m), IdentityErrc::OrigMismatch);
  expect_failed(verify(signed_request("sip:alice@a.test", "sip:carol@b.test", value)->m), IdentityErrc::DestMismatch);
  // The Date header moved by two minutes, or unreadable.
  expect_failed(verify(signed_request("sip:alice@a.test", "sip:bob@b.test", value,
                                      IdentitySigner::date_for(now() + 120s))->m),
                IdentityErrc::DateMismatch);
  // (An unreadable Date never gets here: the message parser answers 400 for it.)
  // The claims replaced (mallory signs nothing: the old signature is kept).
  const auto header = parse_identity_header(value, {}).value();
  std::string claims = decode_part(header.jws, 1);
  claims.replace(claims.find("alice"), 5, "malle");
  const auto dot1 = header.jws.find('.'), dot2 = header.jws.rfind('.');
  const std::string forged = std::string(header.jws.substr(0, dot1 + 1)) + crypto::base64url_encode(claims) +
                             std::string(header.jws.substr(dot2)) + ";info=<" + kInfo + ">;alg=ES256";
  expect_failed(verify(signed_request("sip:malle@a.test", "sip:bob@b.test", forged)->m), IdentityErrc::BadSignature);
  // One signature character changed.
  std::string bad_sig = value;
  bad_sig[dot2 + 1] = bad_sig[dot2 + 1] == 'A' ? 'B' : 'A';
  expect_failed(verify(signed_request("sip:alice@a.test", "sip:bob@b.test", bad_sig)->m), IdentityErrc::BadSignature);
  // Header parameters: another info URL, another alg, a ppt.
  std::string other_info = value;
  other_info.replace(other_info.find("a.test/identity"), 6, "evil.t");
  expect_failed(verify(signed_request("sip:alice@a.test", "sip:bob@b.test", other_info)->m), IdentityErrc::InfoMismatch);
  std::string rs256 = value;
  rs256.replace(rs256.rfind("ES256"), 5, "RS256");
  expect_failed(verify(signed_request("sip:alice@a.test", "sip:bob@b.test", rs256)->m), IdentityErrc::UnsupportedAlg);
  expect_failed(verify(signed_request("sip:alice@a.test", "sip:bob@b.test", value + ";ppt=shaken")->m),
                IdentityErrc::UnsupportedPpt);
  expect_failed(verify(signed_request("sip:alice@a.test", "sip:bob@b.test", std::string(header.jws))->m),
                IdentityErrc::MissingInfo);
  // None of the failures above used up the signature: the genuine request still verifies once.
  auto genuine = signed_request("sip:alice@a.test", "sip:bob@b.test", value);
  EXPECT_EQ(verify(genuine->m).status, VerdictStatus::Verified);
  expect_failed(verify(genuine->m), IdentityErrc::Replayed);
}

// ---- time ----

TEST_F(IdentityTest, FreshnessWindow) {
  verifier_ = IdentityVerifier(a_root_);
  const std::string value = sign("sip:alice@a.test", "sip:bob@b.test");
  auto req = signed_request("sip:alice@a.test", "sip:bob@b.test", value);
  clock_.advance(61s);
  expect_failed(verify(req->m), IdentityErrc::Stale);
  clock_.advance(-2s);  // 59 s after signing: still fresh
  EXPECT_EQ(verify(req->m).status, VerdictStatus::Verified);
  // Signed in the future (the signer's clock 61 s ahead).
  clock_.advance(61s);
  const std::string future = sign("sip:alice@a.test", "sip:bob@b.test");
  auto future_req = signed_request("sip:alice@a.test", "sip:bob@b.test", future);
  clock_.advance(-61s);
  expect_failed(verify(future_req->m), IdentityErrc::Stale);
  // A narrower window in the configuration.
  VerifierConfig strict;
  strict.freshness = 5s;
  IdentityVerifier strict_verifier(a_root_, strict);
  auto fresh = signed_request("sip:alice@a.test", "sip:bob@b.test", sign("sip:alice@a.test", "sip:bob@b.test"));
  clock_.advance(6s);
  expect_failed(verify(fresh->m, strict_verifier, a_chain_), IdentityErrc::Stale);
}

TEST_F(IdentityTest, ReplayRefusedWithinWindowOnly) {
  verifier_ = IdentityVerifier(a_root_);
  const std::string value = sign("sip:alice@a.test", "sip:bob@b.test");
  auto req = signed_request("sip:alice@a.test", "sip:bob@b.test", value);
  EXPECT_EQ(verify(req->m).status, VerdictStatus::Verified);
  clock_.advance(30s);
  expect_failed(verify(req->m), IdentityErrc::Replayed);
  EXPECT_EQ(verifier_.replay_cache().size(), 1u);
  // A new signature over the same call is a new identity.
  auto again = signed_request("sip:alice@a.test", "sip:bob@b.test", sign("sip:alice@a.test", "sip:bob@b.test"));
  EXPECT_EQ(verify(again->m).status, VerdictStatus::Verified);
  // Past the window the old one is stale, not replayed, and the cache has let it go.
  clock_.advance(40s);
  expect_failed(verify(req->m), IdentityErrc::Stale);
}

TEST(ReplayCache, BoundedAndExpiring) {
  const base::WallTime t0{std::chrono::seconds(1000)};
  ReplayCache cache(2);
  EXPECT_TRUE(cache.insert("a", t0 + 10s, t0));
  EXPECT_FALSE(cache.insert("a", t0 + 10s, t0 + 1s));
  EXPECT_TRUE(cache.insert("b", t0 + 20s, t0));
  EXPECT_TRUE(cache.insert("c", t0 + 30s, t0));  // full: "a", closest to its end, goes
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.contains("a", t0));
  EXPECT_TRUE(cache.contains("b", t0));
  EXPECT_FALSE(cache.insert("c", t0 + 30s, t0 + 5s));
  EXPECT_TRUE(cache.insert("d", t0 + 40s, t0 + 25s));  // "b" expired on the way
  EXPECT_FALSE(cache.contains("b", t0 + 25s));
  EXPECT_TRUE(cache.contains("c", t0 + 25s));
  EXPECT_TRUE(cache.insert("c", t0 + 60s, t0 + 31s));  // "c" expired: accepted again
}

// ---- certificates ----

TEST_F(IdentityTest, WrongOrUntrustedCertificate) {
  const std::string value = sign("sip:alice@a.test", "sip:bob@b.test");
  auto req = signed_request("sip:alice@a.test", "sip:bob@b.test", value);
  // b.test's certificate, trusted, is not the signer's: the signature does not verify.
  IdentityVerifier trusts_both(both_roots_);
  expect_failed(verify(req->m, trusts_both, b_chain_), IdentityErrc::BadSignature);
  // b.test's certificate from an unknown CA.
  IdentityVerifier trusts_a(a_root_);
  expect_failed(verify(req->m, trusts_a, b_chain_), IdentityErrc::CertificateUntrusted);
  // a.test's certificate with no trust anchor at all.
  IdentityVerifier trusts_none{crypto::TrustStore()};
  expect_failed(verify(req->m, trusts_none, a_chain_), IdentityErrc::CertificateUntrusted);
  expect_failed(verify(req->m, trusts_a, {}), IdentityErrc::CertificateUnavailable);
  // A URI identity outside the certificate's names: a.test's key signing for c.test.
  auto c = signed_request("sip:alice@c.test", "sip:bob@b.test", sign("sip:alice@c.test", "sip:bob@b.test"));
  expect_failed(verify(c->m, trusts_a, a_chain_), IdentityErrc::NotAuthorized);
  // Numbers from a certificate without TNAuthList: refused when the configuration asks for one.
  VerifierConfig tn_strict;
  tn_strict.require_tn_auth_list = true;
  IdentityVerifier strict(a_root_, tn_strict);
  auto tel = signed_request("tel:+12025550100", "tel:+447700900123", sign("tel:+12025550100", "tel:+447700900123"));
  expect_failed(verify(tel->m, strict, a_chain_), IdentityErrc::NotAuthorized);
  EXPECT_EQ(verify(tel->m, trusts_a, a_chain_).status, VerdictStatus::Verified);
}

TEST_F(IdentityTest, ExpiredCertificate) {
  verifier_ = IdentityVerifier(a_root_);
  clock_.advance(std::chrono::hours(24 * 900));  // past the 825 days of the development certificate
  auto req = signed_request("sip:alice@a.test", "sip:bob@b.test", sign("sip:alice@a.test", "sip:bob@b.test"));
  const Verdict v = verify(req->m);
  expect_failed(v, IdentityErrc::CertificateUntrusted);
  EXPECT_NE(v.detail.find("expired"), std::string::npos) << v.detail;
}

// A CertificateSource that answers from a table, now or when told.
class FakeSource final : public CertificateSource {
 public:
  std::map<std::string, std::vector<crypto::Certificate>> table;
  bool defer = false;
  std::vector<std::pair<std::string, Done>> waiting;
  std::vector<std::string> asked;

  void fetch(const std::string& url, Done done) override {
    asked.push_back(url);
    if (defer) {
      waiting.emplace_back(url, std::move(done));
      return;
    }
    answer(url, done);
  }
  void answer(const std::string& url, const Done& done) {
    const auto it = table.find(url);
    if (it == table.end()) done(base::Errc::NotFound);
    else done(it->second);
  }
};

TEST_F(IdentityTest, CertificateSourcePort) {
  verifier_ = IdentityVerifier(a_root_);
  FakeSource source;
  source.table[kInfo] = a_chain_;
  std::optional<Verdict> got;
  auto req = signed_request("sip:alice@a.test", "sip:bob@b.test", sign("sip:alice@a.test", "sip:bob@b.test"));
  verifier_.verify_request(req->m, source, clock_, [&](Verdict v) { got = std::move(v); });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status, VerdictStatus::Verified);
  EXPECT_EQ(source.asked, std::vector<std::string>{kInfo});
  // Nothing to fetch without an Identity header.
  got.reset();
  verifier_.verify_request(make_request("sip:alice@a.test", "sip:bob@b.test", {})->m, source, clock_,
                           [&](Verdict v) { got = std::move(v); });
  EXPECT_EQ(got->status, VerdictStatus::NoIdentity);
  EXPECT_EQ(source.asked.size(), 1u);
  // An info URL the source cannot serve.
  source.table.clear();
  got.reset();
  auto req2 = signed_request("sip:alice@a.test", "sip:bob@b.test", sign("sip:alice@a.test", "sip:bob@b.test"));
  verifier_.verify_request(req2->m, source, clock_, [&](Verdict v) { got = std::move(v); });
  expect_failed(*got, IdentityErrc::CertificateUnavailable);
  // A slow fetch: the clock is read when the certificate arrives, after the message is gone.
  source.table[kInfo] = a_chain_;
  source.defer = true;
  got.reset();
  {
    auto req3 = signed_request("sip:alice@a.test", "sip:bob@b.test", sign("sip:alice@a.test", "sip:bob@b.test"));
    verifier_.verify_request(req3->m, source, clock_, [&](Verdict v) { got = std::move(v); });
  }
  EXPECT_FALSE(got.has_value());
  clock_.advance(61s);
  source.answer(source.waiting[0].first, source.waiting[0].second);
  ASSERT_TRUE(got.has_value());
  expect_failed(*got, IdentityErrc::Stale);
}

// ---- malformed input ----

TEST_F(IdentityTest, HeaderLimitsAndSyntax) {
  const std::string value = sign("sip:alice@a.test", "sip:bob@b.test");
  const IdentityLimits limits;
  const auto code = [&](std::string_view v) {
    auto r = parse_identity_header(v, limits);
    return r ? IdentityErrc::Ok : static_cast<IdentityErrc>(r.error().value());
  };
  EXPECT_EQ(code(value), IdentityErrc::Ok);
  EXPECT_EQ(code(" " + value + " "), IdentityErrc::Ok);
  const auto jws = value.substr(0, value.find(';'));
  EXPECT_EQ(code(jws + " ; info = <https://a.test/x> ; alg = ES256 ; foo ; bar=\"q;\\\"x\""), IdentityErrc::Ok);
  EXPECT_EQ(code(jws + ";info=<https://a.test/x>;info=<https://a.test/y>"), IdentityErrc::MalformedHeader);
  EXPECT_EQ(code(jws + ";info=https://a.test/x"), IdentityErrc::MalformedHeader);
  EXPECT_EQ(code(jws + ";info=<https://a.test/x"), IdentityErrc::MalformedHeader);
  EXPECT_EQ(code(jws + ";info=<a test>"), IdentityErrc::MalformedHeader);
  EXPECT_EQ(code(jws + ";info=<>"), IdentityErrc::MalformedHeader);
  EXPECT_EQ(code(jws + ";alg=ES256"), IdentityErrc::MissingInfo);
  EXPECT_EQ(code("a+b.c.d;info=<https://a.test/x>"), IdentityErrc::MalformedHeader);  // '+' is not base64url
  EXPECT_EQ(code("a.b;info=<https://a.test/x>"), IdentityErrc::MalformedHeader);
  EXPECT_EQ(code("a..d;info=<https://a.test/x>"), IdentityErrc::MalformedHeader);
  EXPECT_EQ(code(""), IdentityErrc::MalformedHeader);
  EXPECT_EQ(code(std::string(limits.max_header_bytes + 1, 'a')), IdentityErrc::TooLarge);
  EXPECT_EQ(code(jws + ";info=<https://a.test/" + std::string(limits.max_info_bytes, 'x') + ">"),
            IdentityErrc::TooLarge);
  // Too many Identity headers in one request.
  std::vector<std::string> many;
  for (int i = 0; i < 5; ++i) many.push_back("Identity: " + value);
  expect_failed(verify(make_request("sip:alice@a.test", "sip:bob@b.test", many)->m), IdentityErrc::TooLarge);
}

// A PASSporT with arbitrary JSON parts, signed by a.test's key.
std::string forge(const crypto::EcPrivateKey& key, const std::string& header, const std::string& claims) {
  const std::string input = crypto::base64url_encode(header) + "." + crypto::base64url_encode(claims);
  return input + "." + crypto::base64url_encode(crypto::es256_sign(key, input).value());
}

TEST_F(IdentityTest, PassportContentChecks) {
  const std::string h = R"({"alg":"ES256","typ":"passport","x5u":"https://a.test/x"})";
  const std::string c = R"({"dest":{"tn":["12025550101"]},"iat":1700000000,"orig":{"tn":"12025550100"}})";
  const auto code = [&](const std::string& header, const std::string& claims) {
    auto r = decode_passport(forge(*a_key_, header, claims), {});
    return r ? IdentityErrc::Ok : static_cast<IdentityErrc>(r.error().value());
  };
  EXPECT_EQ(code(h, c), IdentityErrc::Ok);
  EXPECT_EQ(code(R"({"alg":"ES384","typ":"passport","x5u":"https://a.test/x"})", c), IdentityErrc::UnsupportedAlg);
  EXPECT_EQ(code(R"({"alg":"none","typ":"passport","x5u":"https://a.test/x"})", c), IdentityErrc::UnsupportedAlg);
  EXPECT_EQ(code(R"({"typ":"passport","x5u":"https://a.test/x"})", c), IdentityErrc::UnsupportedAlg);
  EXPECT_EQ(code(R"({"alg":"ES256","typ":"JWT","x5u":"https://a.test/x"})", c), IdentityErrc::UnsupportedType);
  EXPECT_EQ(code(R"({"alg":"ES256","ppt":"shaken","typ":"passport","x5u":"https://a.test/x"})", c),
            IdentityErrc::UnsupportedPpt);
  EXPECT_EQ(code(R"({"alg":"ES256","typ":"passport"})", c), IdentityErrc::MissingClaim);
  EXPECT_EQ(code(h, R"({"dest":{"tn":["1"]},"orig":{"tn":"2"}})"), IdentityErrc::MissingClaim);
  EXPECT_EQ(code(h, R"({"dest":{"tn":["1"]},"iat":"now","orig":{"tn":"2"}})"), IdentityErrc::BadClaim);
  EXPECT_EQ(code(h, R"({"dest":{"tn":["1"]},"iat":1.5,"orig":{"tn":"2"}})"), IdentityErrc::BadClaim);
  EXPECT_EQ(code(h, R"({"dest":{"tn":["1"]},"iat":1,"orig":{"tn":"2","uri":"sip:a@b"}})"), IdentityErrc::BadClaim);
  EXPECT_EQ(code(h, R"({"dest":{"tn":["1"]},"iat":1,"orig":{"tn":"two"}})"), IdentityErrc::BadClaim);
  EXPECT_EQ(code(h, R"({"dest":{"tn":[]},"iat":1,"orig":{"tn":"2"}})"), IdentityErrc::BadClaim);
  EXPECT_EQ(code(h, R"({"dest":{"mail":["x"]},"iat":1,"orig":{"tn":"2"}})"), IdentityErrc::BadClaim);
  EXPECT_EQ(code(h, R"({"dest":{"uri":["http://x"]},"iat":1,"orig":{"tn":"2"}})"), IdentityErrc::BadClaim);
  EXPECT_EQ(code(h, "[1]"), IdentityErrc::BadJson);
  EXPECT_EQ(code(h, "{\"iat\":1,"), IdentityErrc::BadJson);
  EXPECT_EQ(code(h, std::string(50, '[') + std::string(50, ']')), IdentityErrc::BadJson);  // too deep
  std::string many_dest = R"({"dest":{"tn":[)";
  for (int i = 0; i < 17; ++i) many_dest += std::string(i ? "," : "") + "\"1" + std::to_string(i) + "\"";
  EXPECT_EQ(code(h, many_dest + R"(]},"iat":1,"orig":{"tn":"2"}})"), IdentityErrc::TooLarge);
  EXPECT_EQ(code(h, R"({"dest":{"tn":["1"]},"iat":1,"orig":{"tn":"2"},"x":")" + std::string(3000, 'a') + "\"}"),
            IdentityErrc::TooLarge);
  // x5u may be as long as an info URL (longer than other strings), not longer.
  EXPECT_EQ(code(R"({"alg":"ES256","typ":"passport","x5u":"https://a.test/)" + std::string(400, 'x') + "\"}", c),
            IdentityErrc::Ok);
  EXPECT_EQ(code(R"({"alg":"ES256","typ":"passport","x5u":"https://a.test/)" + std::string(600, 'x') + "\"}", c),
            IdentityErrc::BadClaim);
  // Unknown claims are ignored, origid is read.
  auto ok = decode_passport(forge(*a_key_, h, R"({"dest":{"uri":["sip:b@b.test"]},"ext":{"a":[1]},"iat":5,)"
                                                  R"("orig":{"uri":"sip:a@a.test"},"origid":"x"})"), {});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->passport.origid, "x");
  EXPECT_EQ(ok->passport.iat, 5);
}

TEST_F(IdentityTest, TruncatedAndMutatedHeadersNeverVerify) {
  const std::string value = sign("sip:alice@a.test", "sip:bob@b.test");
  const auto key = a_chain_.front().ec_public_key().value();
  const auto original = decode_passport(parse_identity_header(value, {})->jws, {}).value();
  const std::size_t jws_end = value.find(';');
  // Every proper prefix that cuts into the JWS or the info URL fails to parse or decode.
  for (std::size_t n = 0; n < value.size(); ++n) {
    const std::string prefix = value.substr(0, n);
    auto h = parse_identity_header(prefix, {});
    if (n <= jws_end + std::strlen(";info=<") + std::strlen(kInfo)) {
      EXPECT_FALSE(h.ok() && decode_passport(h->jws, {}).ok()) << n;
    }
  }
  // Every byte replaced by a few others: whatever still decodes never verifies unless it is the
  // signed text unchanged.
  int decoded = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    for (char c : {'A', '_', '.', ';', '<', '\0', '\x80'}) {
      std::string m = value;
      if (m[i] == c) continue;
      m[i] = c;
      auto h = parse_identity_header(m, {});
      if (!h) continue;
      auto p = decode_passport(h->jws, {});
      if (!p) continue;
      ++decoded;
      const bool same = p->signing_input == original.signing_input && p->signature == original.signature;
      EXPECT_EQ(crypto::es256_verify(key, p->signing_input, p->signature), same) << i << " " << c;
    }
  }
  EXPECT_GT(decoded, 0);  // mutations in the info URL and parameters still decode
  // The whole request path too: mutated headers through read_identity and verify, never a crash.
  verifier_ = IdentityVerifier(a_root_);
  int verified = 0;
  for (std::size_t i = 0; i < value.size(); i += 7) {
    std::string m = value;
    m[i] = static_cast<char>(m[i] ^ 0x01);
    auto req = signed_request("sip:alice@a.test", "sip:bob@b.test", m);
    if (verify(req->m).status == VerdictStatus::Verified) ++verified;
  }
  EXPECT_LE(verified, 1);  // at most a mutation outside the signed text, then replay refuses more
}

TEST(SipDate, FormatAndParse) {
  EXPECT_EQ(format_sip_date(1289690940), "Sat, 13 Nov 2010 23:29:00 GMT");
  EXPECT_EQ(parse_sip_date("Sat, 13 Nov 2010 23:29:00 GMT"), 1289690940);
  EXPECT_EQ(parse_sip_date("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
  EXPECT_FALSE(parse_sip_date("Sun, 13 Nov 2010 23:29:00 GMT").has_value());  // wrong weekday
  EXPECT_FALSE(parse_sip_date("Sat, 13 Nov 2010 23:29:00 UTC").has_value());
  EXPECT_FALSE(parse_sip_date("Sat, 31 Feb 2010 23:29:00 GMT").has_value());
  EXPECT_FALSE(parse_sip_date("Sat, 13 Nov 2010 24:29:00 GMT").has_value());
  EXPECT_FALSE(parse_sip_date("").has_value());
  for (std::int64_t t : {0LL, 951782400LL, 1700000000LL, 4102444799LL}) EXPECT_EQ(parse_sip_date(format_sip_date(t)), t);
}

}  // namespace
}  // namespace warden::sip::identity
