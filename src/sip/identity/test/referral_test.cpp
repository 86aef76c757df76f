// Referral tokens (referral_token.hpp): Bob's proxy signs "Bob asked Alice, now, to call Carol"
// into the REFER's Referred-By; Alice copies it into her INVITE; Carol's proxy checks it. Round
// trips, everyone else refused (Mallory, another target, another referrer), time, certificates,
// tampering, syntax and limits, and every prefix and mutation of a real token never verifying.
#include <gtest/gtest.h>
#include <unistd.h>

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
#include "sip/identity/passport.hpp"
#include "sip/identity/referral_token.hpp"
#include "sip/identity/signer.hpp"
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

struct Parsed {
  std::string bytes;
  msg::Message m;
};

std::unique_ptr<Parsed> parse(std::string bytes) {
  auto r = std::make_unique<Parsed>();
  r->bytes = std::move(bytes);
  const base::Limits::Sip limits{};
  EXPECT_TRUE(msg::parse_message(r->bytes, r->m, limits).accepted()) << r->bytes;
  return r;
}

// Bob's in-dialog REFER to Alice (To: Alice), asking her to call `refer_to`.
std::unique_ptr<Parsed> make_refer(const std::vector<std::string>& extra, const std::string& to = "sip:alice@c.test") {
  std::string b = "REFER sip:alice@192.0.2.9:5060 SIP/2.0\r\n"
                  "Via: SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bK7r\r\n"
                  "Max-Forwards: 70\r\n"
                  "From: <sip:bob@a.test>;tag=b1\r\n"
                  "To: <" + to + ">;tag=a1\r\n"
                  "Call-ID: refer1@a.test\r\n"
                  "CSeq: 2 REFER\r\n";
  for (const auto& h : extra) b += h + "\r\n";
  b += "Content-Length: 0\r\n\r\n";
  return parse(std::move(b));
}

// Alice's INVITE to `ruri` (From `from`), with the given extra headers.
std::unique_ptr<Parsed> make_invite(const std::string& ruri, const std::string& from,
                                    const std::vector<std::string>& extra) {
  std::string b = "INVITE " + ruri + " SIP/2.0\r\n"
                  "Via: SIP/2.0/TLS 192.0.2.9:5061;branch=z9hG4bK1i\r\n"
                  "Max-Forwards: 70\r\n"
                  "From: <" + from + ">;tag=a2\r\n"
                  "To: <" + ruri + ">\r\n"
                  "Call-ID: invite1@c.test\r\n"
                  "CSeq: 1 INVITE\r\n";
  for (const auto& h : extra) b += h + "\r\n";
  b += "Content-Length: 0\r\n\r\n";
  return parse(std::move(b));
}

msg::Uri uri(std::string_view text) {
  msg::Uri u;
  EXPECT_TRUE(msg::parse_uri(text, u)) << text;
  return u;
}

std::string decode_part(std::string_view jws, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = jws.find('.', start) + 1;
  const auto end = jws.find('.', start);
  return crypto::base64url_decode(jws.substr(start, end == std::string_view::npos ? end : end - start)).value();
}

std::string token_of(std::string_view referred_by) {
  const auto at = referred_by.find(";rtoken=");
  return std::string(referred_by.substr(at + 8));
}

class ReferralTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("warden-referral-" + std::to_string(::getpid()) + "-" +
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
    signer_ = std::make_unique<ReferralSigner>(*a_key_, kInfo, rng_);
    verifier_ = std::make_unique<ReferralVerifier>(a_root_);
  }
  void TearDown() override { fs::remove_all(base_); }

  base::WallTime now() const { return clock_.wall_now(); }

  // The Referred-By value Bob's proxy gives a REFER to sip:carol@b.test.
  std::string referred_by(const std::string& refer_to = "<sip:carol@b.test>", const std::string& referrer = "sip:bob@a.test",
                          const std::string& referee = "sip:alice@c.test") {
    auto refer = make_refer({"Refer-To: " + refer_to, "Referred-By: <sip:bob@a.test>"}, referee);
    auto v = signer_->referred_by_for(refer->m, uri(referrer), now());
    EXPECT_TRUE(v.ok()) << v.error().message();
    return v.ok() ? *v : std::string();
  }

  ReferralVerdict check(const msg::Message& invite, const msg::Uri* caller, const ReferralVerifier& v,
                        const std::vector<crypto::Certificate>& chain) {
    auto read = read_referral(invite, v.config().limits);
    if (auto* verdict = std::get_if<ReferralVerdict>(&read)) return *verdict;
    const auto& pending = std::get<PendingReferral>(read);
    return v.verify(pending, chain, caller, invite.request_uri, now());
  }
  // Alice (authenticated as From) calls `ruri` with `rb` as Referred-By.
  ReferralVerdict check_call(const std::string& rb, const std::string& from = "sip:alice@c.test",
                             const std::string& ruri = "sip:carol@b.test") {
    auto invite = make_invite(ruri, from, {"Referred-By: " + rb});
    return check(invite->m, &invite->m.from.uri, *verifier_, a_chain_);
  }

  fs::path base_;
  base::ManualClock clock_{std::chrono::floor<std::chrono::seconds>(base::WallTime(std::chrono::system_clock::now().time_since_epoch()))};
  crypto::Csprng rng_;
  std::vector<crypto::Certificate> a_chain_, b_chain_;
  std::unique_ptr<crypto::EcPrivateKey> a_key_;
  crypto::TrustStore a_root_, both_roots_;
  std::unique_ptr<ReferralSigner> signer_;
  std::unique_ptr<ReferralVerifier> verifier_;
};

void expect_failed(const ReferralVerdict& v, ReferralErrc why) {
  EXPECT_EQ(v.status, ReferralStatus::Failed) << describe(why);
  EXPECT_EQ(v.reason, why) << "got: " << describe(v.reason) << " " << v.detail;
}

void expect_verified(const ReferralVerdict& v) {
  EXPECT_EQ(v.status, ReferralStatus::Verified) << describe(v.reason) << " " << v.detail;
}

// ---- round trips

TEST_F(ReferralTest, RoundTrip) {
  const std::string rb = referred_by();
  ASSERT_EQ(rb.substr(0, 24), "<sip:bob@a.test>;rtoken=");
  const std::string jws = token_of(rb);
  EXPECT_EQ(decode_part(jws, 0), R"({"alg":"ES256","typ":"referral","x5u":"https://a.test/identity/cert.pem"})");
  const std::string iat = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count());
  const std::string claims = decode_part(jws, 1);
  const std::string prefix = R"({"iat":)" + iat + R"(,"jti":")";
  EXPECT_EQ(claims.substr(0, prefix.size()), prefix) << claims;
  EXPECT_EQ(claims.substr(prefix.size() + 22),
            R"(","referee":{"uri":"sip:alice@c.test"},"referrer":{"uri":"sip:bob@a.test"},"target":{"uri":"sip:carol@b.test"}})");
  EXPECT_EQ(decode_part(jws, 2).size(), 64u);
  // Every character of the token is a token character: it fits a header parameter unquoted.
  EXPECT_TRUE(msg::cs::all_of(jws, msg::cs::kToken));

  auto invite = make_invite("sip:carol@b.test", "sip:alice@c.test", {"Referred-By: " + rb});
  auto read = read_referral(invite->m);
  ASSERT_TRUE(std::holds_alternative<PendingReferral>(read));
  EXPECT_EQ(std::get<PendingReferral>(read).info_url, kInfo);
  const ReferralVerdict v = check_call(rb);
  expect_verified(v);
  EXPECT_EQ(v.referrer, "sip:bob@a.test");
  EXPECT_EQ(v.jti.size(), 22u);
  // A referral token is never an Identity PASSporT (same key, different typ).
  auto as_passport = decode_passport(jws, {});
  ASSERT_FALSE(as_passport.ok());
  EXPECT_EQ(as_passport.error(), make_error_code(IdentityErrc::UnsupportedType));
  // Two tokens for the same transfer differ (jti, and ECDSA's random k).
  EXPECT_NE(token_of(referred_by()), jws);
}

TEST_F(ReferralTest, IdentitiesWrittenDifferentlyStillMatch) {
  // Refer-To with a display name, URI parameters and an embedded header (attended transfer).
  const std::string rb = referred_by("\"Carol\" <sip:carol@B.TEST;transport=tls?Replaces=abc%40x%3Bto-tag%3D1>",
                                     "sip:bob@a.test;transport=tls");
  const std::string claims = decode_part(token_of(rb), 1);
  EXPECT_NE(claims.find(R"("target":{"uri":"sip:carol@b.test"})"), std::string::npos) << claims;
  EXPECT_EQ(rb.substr(0, 16), "<sip:bob@a.test>");
  // The caller and target as other URIs of the same identities (case of the host, parameters).
  expect_verified(check_call(rb, "sip:alice@C.test;transport=tcp", "sip:carol@b.test;user=ip"));
  // Telephone numbers: the referee and target as tel / user=phone, compared by digits.
  const std::string tn = referred_by("<tel:+44-7700-900123>", "sip:bob@a.test", "tel:+12025550100");
  EXPECT_NE(decode_part(token_of(tn), 1).find(R"("referee":{"tn":"12025550100"})"), std::string::npos);
  expect_verified(check_call(tn, "sip:+12025550100@c.test;user=phone", "sip:+447700900123@b.test;user=phone"));
  expect_failed(check_call(tn, "sip:+12025550101@c.test;user=phone", "sip:+447700900123@b.test;user=phone"),
                ReferralErrc::RefereeMismatch);
}

TEST_F(ReferralTest, SameRefereeMayRetryWithinTheWindow) {
  const std::string rb = referred_by();
  expect_verified(check_call(rb));
  clock_.advance(100s);
  expect_verified(check_call(rb));  // Alice's first call failed; she tries again
  clock_.advance(100s);
  expect_verified(check_call(rb));
}

TEST_F(ReferralTest, CertificateSourcePort) {
  struct Source final : CertificateSource {
    std::map<std::string, std::vector<crypto::Certificate>> table;
    std::vector<std::string> asked;
    void fetch(const std::string& url, Done done) override {
      asked.push_back(url);
      const auto it = table.find(url);
      if (it == table.end()) done(base::Errc::NotFound);
      else done(it->second);
    }
  } source;
  source.table[kInfo] = a_chain_;
  std::optional<ReferralVerdict> got;
  auto invite = make_invite("sip:carol@b.test", "sip:alice@c.test", {"Referred-By: " + referred_by()});
  verifier_->verify_request(invite->m, &invite->m.from.uri, source, clock_, [&](ReferralVerdict v) { got = v; });
  ASSERT_TRUE(got);
  expect_verified(*got);
  EXPECT_EQ(source.asked, std::vector<std::string>{kInfo});
  // No token: answered at once, nothing fetched.
  got.reset();
  auto plain = make_invite("sip:carol@b.test", "sip:alice@c.test", {"Referred-By: <sip:bob@a.test>"});
  verifier_->verify_request(plain->m, &plain->m.from.uri, source, clock_, [&](ReferralVerdict v) { got = v; });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, ReferralStatus::NoToken);
  EXPECT_EQ(source.asked.size(), 1u);
  // The certificate cannot be had.
  source.table.clear();
  got.reset();
  verifier_->verify_request(invite->m, &invite->m.from.uri, source, clock_, [&](ReferralVerdict v) { got = v; });
  expect_failed(*got, ReferralErrc::CertificateUnavailable);
  // Mallory, through the asynchronous path too.
  source.table[kInfo] = a_chain_;
  auto mallory = make_invite("sip:carol@b.test", "sip:mallory@c.test", {"Referred-By: " + referred_by()});
  verifier_->verify_request(mallory->m, &mallory->m.from.uri, source, clock_, [&](ReferralVerdict v) { got = v; });
  expect_failed(*got, ReferralErrc::RefereeMismatch);
}

// ---- the token in the wrong hands

TEST_F(ReferralTest, SomeoneElsesTokenIsRefused) {
  const std::string rb = referred_by();
  // Alice forwarded (or leaked) the token: Mallory calls Carol with it.
  const ReferralVerdict v = check_call(rb, "sip:mallory@c.test");
  expect_failed(v, ReferralErrc::RefereeMismatch);
  EXPECT_NE(v.detail.find("mallory"), std::string::npos);
  // Alice's user part in another domain, or sips, is someone else too.
  expect_failed(check_call(rb, "sip:alice@d.test"), ReferralErrc::RefereeMismatch);
  expect_failed(check_call(rb, "sips:alice@c.test"), ReferralErrc::RefereeMismatch);
  // A caller the proxy has not authenticated.
  auto invite = make_invite("sip:carol@b.test", "sip:alice@c.test", {"Referred-By: " + rb});
  expect_failed(check(invite->m, nullptr, *verifier_, a_chain_), ReferralErrc::UnauthenticatedCaller);
  // Alice herself, to someone other than Carol.
  expect_failed(check_call(rb, "sip:alice@c.test", "sip:dave@b.test"), ReferralErrc::TargetMismatch);
  expect_failed(check_call(rb, "sip:alice@c.test", "sip:carol@b.test:5070"), ReferralErrc::TargetMismatch);
  // And the real one still passes afterwards (nothing was used up).
  expect_verified(check_call(rb));
}

TEST_F(ReferralTest, FreshnessWindow) {
  const std::string rb = referred_by();
  clock_.advance(300s);
  expect_verified(check_call(rb));
  clock_.advance(1s);
  expect_failed(check_call(rb), ReferralErrc::Stale);
  // Issued by a proxy whose clock runs ahead.
  clock_.advance(-301s + 61s);
  const std::string ahead = referred_by();
  clock_.advance(-61s);
  expect_failed(check_call(ahead), ReferralErrc::Future);
  clock_.advance(1s);
  expect_verified(check_call(ahead));  // 60 s ahead: within the skew
  // A narrower window in the configuration.
  ReferralConfig strict;
  strict.max_age = 10s;
  ReferralVerifier strict_verifier(a_root_, strict);
  const std::string fresh = referred_by();
  clock_.advance(11s);
  auto invite = make_invite("sip:carol@b.test", "sip:alice@c.test", {"Referred-By: " + fresh});
  expect_failed(check(invite->m, &invite->m.from.uri, strict_verifier, a_chain_), ReferralErrc::Stale);
  expect_verified(check(invite->m, &invite->m.from.uri, *verifier_, a_chain_));
}

// ---- tampering

TEST_F(ReferralTest, TamperedTokenOrHeaderFails) {
  const std::string rb = referred_by();
  const std::string jws = token_of(rb);
  const auto dot1 = jws.find('.'), dot2 = jws.rfind('.');
  // Mallory rewrites the referee to herself and keeps the signature.
  std::string claims = decode_part(jws, 1);
  claims.replace(claims.find("alice"), 5, "malle");
  const std::string forged = jws.substr(0, dot1 + 1) + crypto::base64url_encode(claims) + jws.substr(dot2);
  expect_failed(check_call("<sip:bob@a.test>;rtoken=" + forged, "sip:malle@c.test"), ReferralErrc::BadSignature);
  // Another target, another iat (a token made to last): same.
  std::string retarget = decode_part(jws, 1);
  retarget.replace(retarget.find("carol"), 5, "davey");
  expect_failed(check_call("<sip:bob@a.test>;rtoken=" + jws.substr(0, dot1 + 1) + crypto::base64url_encode(retarget) +
                               jws.substr(dot2), "sip:alice@c.test", "sip:davey@b.test"),
                ReferralErrc::BadSignature);
  // One signature character changed.
  std::string bad_sig = rb;
  const std::size_t sig_at = rb.size() - (jws.size() - dot2) + 1;
  bad_sig[sig_at] = bad_sig[sig_at] == 'A' ? 'B' : 'A';
  expect_failed(check_call(bad_sig), ReferralErrc::BadSignature);
  // The header names someone else than the token's referrer (Bob's token shown as Carol's boss).
  expect_failed(check_call("<sip:boss@a.test>;rtoken=" + jws), ReferralErrc::ReferrerMismatch);
  expect_failed(check_call("<tel:+12025550100>;rtoken=" + jws), ReferralErrc::ReferrerMismatch);
  // An x5u pointing elsewhere is inside the signed header: changing it breaks the signature.
  std::string header = decode_part(jws, 0);
  header.replace(header.find("a.test"), 6, "e.test");
  expect_failed(check_call("<sip:bob@a.test>;rtoken=" + crypto::base64url_encode(header) + jws.substr(dot1)),
                ReferralErrc::BadSignature);
  // An Identity PASSporT signed by the same key is not a referral token.
  crypto::Csprng rng;
  IdentitySigner id_signer(*a_key_, kInfo, rng);
  auto invite = make_invite("sip:carol@b.test", "sip:alice@a.test", {});
  const std::string identity = id_signer.identity_for(invite->m, now()).value();
  expect_failed(check_call("<sip:bob@a.test>;rtoken=" + identity.substr(0, identity.find(';'))),
                ReferralErrc::UnsupportedType);
  // Unchanged, it still verifies.
  expect_verified(check_call(rb));
}

// ---- certificates

TEST_F(ReferralTest, WrongOrUntrustedCertificate) {
  const std::string rb = referred_by();
  auto invite = make_invite("sip:carol@b.test", "sip:alice@c.test", {"Referred-By: " + rb});
  const msg::Uri* alice = &invite->m.from.uri;
  // b.test's trusted certificate is not the signer's.
  expect_failed(check(invite->m, alice, ReferralVerifier(both_roots_), b_chain_), ReferralErrc::BadSignature);
  // b.test's certificate from a CA we do not trust; a.test's with no anchors at all.
  expect_failed(check(invite->m, alice, ReferralVerifier(a_root_), b_chain_), ReferralErrc::CertificateUntrusted);
  expect_failed(check(invite->m, alice, ReferralVerifier(crypto::TrustStore()), a_chain_),
                ReferralErrc::CertificateUntrusted);
  expect_failed(check(invite->m, alice, *verifier_, {}), ReferralErrc::CertificateUnavailable);
  // a.test's key vouching for a referrer in e.test: the certificate does not cover it.
  const std::string other = referred_by("<sip:carol@b.test>", "sip:bob@e.test");
  expect_failed(check_call(other), ReferralErrc::NotAuthorized);
  // A number as referrer: accepted from a certificate without TNAuthList unless configured.
  const std::string tn = referred_by("<sip:carol@b.test>", "tel:+12025550199");
  EXPECT_EQ(tn.substr(0, 20), "<tel:+12025550199>;r");
  expect_verified(check_call(tn));
  ReferralConfig strict;
  strict.require_tn_auth_list = true;
  auto tn_invite = make_invite("sip:carol@b.test", "sip:alice@c.test", {"Referred-By: " + tn});
  expect_failed(check(tn_invite->m, &tn_invite->m.from.uri, ReferralVerifier(a_root_, strict), a_chain_),
                ReferralErrc::NotAuthorized);
  // Past the certificate's validity.
  clock_.advance(std::chrono::hours(24 * 900));
  const std::string late = referred_by();
  expect_failed(check_call(late), ReferralErrc::CertificateUntrusted);
}

// ---- signing errors

TEST_F(ReferralTest, SigningNeedsOneReadableReferTo) {
  const auto code = [&](const std::vector<std::string>& headers, const std::string& referrer = "sip:bob@a.test") {
    auto refer = make_refer(headers);
    auto r = signer_->referred_by_for(refer->m, uri(referrer), now());
    return r ? ReferralErrc::Ok : static_cast<ReferralErrc>(r.error().value());
  };
  EXPECT_EQ(code({"Refer-To: <sip:carol@b.test>"}), ReferralErrc::Ok);
  EXPECT_EQ(code({"r: sip:carol@b.test"}), ReferralErrc::Ok);  // compact form, addr-spec
  EXPECT_EQ(code({}), ReferralErrc::MalformedReferredBy);
  EXPECT_EQ(code({"Refer-To: <sip:carol@b.test>", "Refer-To: <sip:dave@b.test>"}), ReferralErrc::MalformedReferredBy);
  EXPECT_EQ(code({"Refer-To: <sip:carol@b.test"}), ReferralErrc::MalformedReferredBy);
  EXPECT_EQ(code({"Refer-To: <mailto:carol@b.test>"}), ReferralErrc::NotSigned);
  EXPECT_EQ(code({"Refer-To: <sip:carol@b.test>"}, "mailto:bob@a.test"), ReferralErrc::NotSigned);
  // The REFER's own Referred-By, token and all, is replaced, never passed on.
  auto refer = make_refer({"Refer-To: <sip:carol@b.test>", "Referred-By: \"The CEO\" <sip:ceo@a.test>;rtoken=x.y.z"});
  const std::string v = signer_->referred_by_for(refer->m, uri("sip:bob@a.test"), now()).value();
  EXPECT_EQ(v.find("CEO"), std::string::npos);
  EXPECT_EQ(v.find("x.y.z"), std::string::npos);
  EXPECT_EQ(v.substr(0, 16), "<sip:bob@a.test>");
}

// ---- syntax and limits

TEST_F(ReferralTest, ReferredBySyntax) {
  const std::string jws = token_of(referred_by());
  // Forms RFC 3261 §20.10 allows: display names, addr-spec, parameters, white space, folding.
  expect_verified(check_call("\"Bob; the <boss>\" <sip:bob@a.test>;rtoken=" + jws));
  expect_verified(check_call("Bob Smith <sip:bob@a.test> ; cid=\"20398823.2UWQFN309shb3@a.test\" ; rtoken = " + jws));
  expect_verified(check_call("sip:bob@a.test;rtoken=" + jws));
  expect_verified(check_call("<sip:bob@a.test>;x;rtoken=" + jws + ";y=[2001:db8::1]"));
  expect_verified(check_call("<sip:bob@a.test>;RTOKEN=" + jws));
  // Without a token: nothing to check (the proxy's policy decides).
  auto none = make_invite("sip:carol@b.test", "sip:alice@c.test", {"Referred-By: <sip:bob@a.test>;cid=\"1@a\""});
  EXPECT_EQ(check(none->m, &none->m.from.uri, *verifier_, a_chain_).status, ReferralStatus::NoToken);
  auto absent = make_invite("sip:carol@b.test", "sip:alice@c.test", {});
  EXPECT_EQ(check(absent->m, &absent->m.from.uri, *verifier_, a_chain_).status, ReferralStatus::NoToken);
  // A broken value that does not even mention a token is no token; one that does is refused.
  auto broken = make_invite("sip:carol@b.test", "sip:alice@c.test", {"Referred-By: <sip:bob@a.test"});
  EXPECT_EQ(check(broken->m, &broken->m.from.uri, *verifier_, a_chain_).status, ReferralStatus::NoToken);
  expect_failed(check_call("<sip:bob@a.test;RToken=" + jws), ReferralErrc::MalformedReferredBy);
  // Broken values.
  expect_failed(check_call("<sip:bob@a.test>;rtoken=" + jws + ";rtoken=" + jws), ReferralErrc::MalformedReferredBy);
  expect_failed(check_call("<sip:bob@a.test>;rtoken=\"" + jws + "\""), ReferralErrc::MalformedReferredBy);
  expect_failed(check_call("<sip:bob@a.test>;rtoken"), ReferralErrc::MalformedReferredBy);
  expect_failed(check_call("<sip:bob@a.test>;rtoken="), ReferralErrc::MalformedReferredBy);
  expect_failed(check_call("<sip:bob@a.test;rtoken=" + jws), ReferralErrc::MalformedReferredBy);
  expect_failed(check_call("\"Bob <sip:bob@a.test>;rtoken=" + jws), ReferralErrc::MalformedReferredBy);
  expect_failed(check_call("<sip:bob@a.test> junk;rtoken=" + jws), ReferralErrc::MalformedReferredBy);
  expect_failed(check_call("<>;rtoken=" + jws), ReferralErrc::MalformedReferredBy);
  expect_failed(check_call("<sip:bob@a.test>;rtoken=" + jws + "!"), ReferralErrc::MalformedToken);
  expect_failed(check_call("<sip:bob@a.test>;rtoken=abc"), ReferralErrc::MalformedToken);
  expect_failed(check_call("<sip:bob@a.test>;rtoken=a..c"), ReferralErrc::MalformedToken);
  // Two Referred-By headers, one with a token: refused rather than guessing which counts.
  auto two = make_invite("sip:carol@b.test", "sip:alice@c.test",
                         {"Referred-By: <sip:bob@a.test>;rtoken=" + jws, "Referred-By: <sip:eve@a.test>"});
  expect_failed(check(two->m, &two->m.from.uri, *verifier_, a_chain_), ReferralErrc::MalformedReferredBy);
  // The compact header name works as the long one.
  auto compact = make_invite("sip:carol@b.test", "sip:alice@c.test", {"b: <sip:bob@a.test>;rtoken=" + jws});
  expect_verified(check(compact->m, &compact->m.from.uri, *verifier_, a_chain_));
}

TEST_F(ReferralTest, Limits) {
  const std::string rb = referred_by();
  const ReferralLimits limits;
  // A Referred-By value longer than the phone copies, a token longer than the limit.
  expect_failed(check_call(rb + ";pad=" + std::string(limits.max_referred_by_bytes, 'p')), ReferralErrc::TooLarge);
  expect_failed(check_call("<sip:bob@a.test>;rtoken=" + std::string(limits.max_token_bytes + 1, 'A')),
                ReferralErrc::TooLarge);
  std::string many = "<sip:bob@a.test>";
  for (std::size_t i = 0; i <= limits.max_params; ++i) many += ";p" + std::to_string(i);
  expect_failed(check_call(many + ";rtoken=" + token_of(rb)), ReferralErrc::MalformedReferredBy);
  std::vector<std::string> five(5, "Referred-By: " + rb);
  auto invite = make_invite("sip:carol@b.test", "sip:alice@c.test", five);
  expect_failed(check(invite->m, &invite->m.from.uri, *verifier_, a_chain_), ReferralErrc::TooLarge);
  // The signer refuses to write a value longer than the limit.
  ReferralLimits tiny;
  tiny.max_referred_by_bytes = 100;
  auto refer = make_refer({"Refer-To: <sip:carol@b.test>"});
  auto r = signer_->referred_by_for(refer->m, uri("sip:bob@a.test"), now(), tiny);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), make_error_code(ReferralErrc::TooLarge));
}

// A token with arbitrary JSON parts, signed by a.test's key.
std::string forge(const crypto::EcPrivateKey& key, const std::string& header, const std::string& claims) {
  const std::string input = crypto::base64url_encode(header) + "." + crypto::base64url_encode(claims);
  return input + "." + crypto::base64url_encode(crypto::es256_sign(key, input).value());
}

TEST_F(ReferralTest, TokenContentChecks) {
  const std::string h = R"({"alg":"ES256","typ":"referral","x5u":"https://a.test/x"})";
  const std::string parties = R"("referee":{"uri":"sip:alice@c.test"},"referrer":{"uri":"sip:bob@a.test"},"target":{"uri":"sip:carol@b.test"})";
  const std::string c = R"({"iat":1700000000,)" + parties + "}";
  const auto code = [&](const std::string& header, const std::string& claims) {
    auto r = decode_referral_token(forge(*a_key_, header, claims));
    return r ? ReferralErrc::Ok : static_cast<ReferralErrc>(r.error().value());
  };
  EXPECT_EQ(code(h, c), ReferralErrc::Ok);
  EXPECT_EQ(code(R"({"alg":"none","typ":"referral","x5u":"https://a.test/x"})", c), ReferralErrc::UnsupportedAlg);
  EXPECT_EQ(code(R"({"alg":"ES384","typ":"referral","x5u":"https://a.test/x"})", c), ReferralErrc::UnsupportedAlg);
  EXPECT_EQ(code(R"({"typ":"referral","x5u":"https://a.test/x"})", c), ReferralErrc::UnsupportedAlg);
  EXPECT_EQ(code(R"({"alg":"ES256","typ":"passport","x5u":"https://a.test/x"})", c), ReferralErrc::UnsupportedType);
  EXPECT_EQ(code(R"({"alg":"ES256","x5u":"https://a.test/x"})", c), ReferralErrc::UnsupportedType);
  EXPECT_EQ(code(R"({"alg":"ES256","crit":["exp"],"typ":"referral","x5u":"https://a.test/x"})", c), ReferralErrc::BadClaim);
  EXPECT_EQ(code(R"({"alg":"ES256","typ":"referral"})", c), ReferralErrc::MissingClaim);
  EXPECT_EQ(code(R"({"alg":"ES256","typ":"referral","x5u":"https://a.test/)" + std::string(600, 'x') + "\"}", c),
            ReferralErrc::BadClaim);
  EXPECT_EQ(code(h, "{" + parties + "}"), ReferralErrc::MissingClaim);
  EXPECT_EQ(code(h, R"({"iat":"now",)" + parties + "}"), ReferralErrc::BadClaim);
  EXPECT_EQ(code(h, R"({"iat":1.5,)" + parties + "}"), ReferralErrc::BadClaim);
  EXPECT_EQ(code(h, R"({"iat":1,"referee":{"uri":"sip:alice@c.test"},"referrer":{"uri":"sip:bob@a.test"}})"),
            ReferralErrc::MissingClaim);
  EXPECT_EQ(code(h, R"({"iat":1,"referee":"sip:alice@c.test","referrer":{"uri":"sip:bob@a.test"},"target":{"uri":"sip:c@b.test"}})"),
            ReferralErrc::BadClaim);
  EXPECT_EQ(code(h, R"({"iat":1,"referee":{"uri":"sip:a@c.test","tn":"1"},"referrer":{"uri":"sip:bob@a.test"},"target":{"uri":"sip:c@b.test"}})"),
            ReferralErrc::BadClaim);
  EXPECT_EQ(code(h, R"({"iat":1,"referee":{"uri":"mailto:a@c.test"},"referrer":{"uri":"sip:bob@a.test"},"target":{"uri":"sip:c@b.test"}})"),
            ReferralErrc::BadClaim);
  EXPECT_EQ(code(h, R"({"iat":1,"referee":{"tn":"twelve"},"referrer":{"uri":"sip:bob@a.test"},"target":{"uri":"sip:c@b.test"}})"),
            ReferralErrc::BadClaim);
  EXPECT_EQ(code(h, R"({"iat":1,"jti":7,)" + parties + "}"), ReferralErrc::BadClaim);
  EXPECT_EQ(code(h, "[1]"), ReferralErrc::BadJson);
  EXPECT_EQ(code(h, R"({"iat":1,)"), ReferralErrc::BadJson);
  EXPECT_EQ(code(h, R"({"iat":1,"x":{"y":{"z":1}},)" + parties + "}"), ReferralErrc::BadJson);  // too deep
  EXPECT_EQ(code(h, R"({"iat":1,"x":")" + std::string(800, 'a') + "\"," + parties + "}"), ReferralErrc::TooLarge);
  // Unknown claims are ignored; jti is read.
  auto ok = decode_referral_token(forge(*a_key_, h, R"({"callid":"x@y","iat":5,"jti":"j",)" + parties + "}"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->claims.iat, 5);
  EXPECT_EQ(ok->claims.jti, "j");
  EXPECT_EQ(ok->claims.referee.value, "sip:alice@c.test");
  // A signature of the wrong length.
  const std::string good = forge(*a_key_, h, c);
  EXPECT_EQ(decode_referral_token(good.substr(0, good.rfind('.') + 1) + "AAAA").error(),
            make_error_code(ReferralErrc::BadEncoding));
}

TEST_F(ReferralTest, PrefixesAndMutationsNeverVerify) {
  const std::string rb = referred_by();
  const std::string jws = token_of(rb);
  const auto key = a_chain_.front().ec_public_key().value();
  const auto original = decode_referral_token(jws).value();
  // Every proper prefix of the token: never a token that decodes, let alone verifies.
  for (std::size_t n = 0; n < jws.size(); ++n) {
    EXPECT_FALSE(decode_referral_token(jws.substr(0, n)).ok()) << n;
    const ReferralVerdict v = check_call("<sip:bob@a.test>;rtoken=" + jws.substr(0, n));
    EXPECT_NE(v.status, ReferralStatus::Verified) << n;
  }
  // Every byte replaced by a few others: what still decodes verifies only if the signed text and
  // the signature are the ones signed (a base64url character whose spare bits were changed).
  int decoded = 0;
  for (std::size_t i = 0; i < jws.size(); ++i) {
    for (char c : {'A', 'B', 'f', '_', '-', '.', '0', '\0', '\x80'}) {
      std::string m = jws;
      if (m[i] == c) continue;
      m[i] = c;
      auto p = decode_referral_token(m);
      if (!p) continue;
      ++decoded;
      const bool same = p->signing_input == original.signing_input && p->signature == original.signature;
      EXPECT_EQ(crypto::es256_verify(key, p->signing_input, p->signature), same) << i << " " << c;
    }
  }
  EXPECT_GT(decoded, 0);
  // The whole path: mutated Referred-By values through read_referral and verify.
  int verified = 0;
  for (std::size_t i = 0; i < rb.size(); ++i) {
    std::string m = rb;
    m[i] = static_cast<char>(m[i] ^ 0x01);
    if (m.find_first_of("\r\n") != std::string::npos) continue;
    if (check_call(m).status == ReferralStatus::Verified) ++verified;
  }
  // Only flips that leave the signed text and signature alone may pass (none here but the
  // parameter name's case, "rtoken" → "rtokeo" is another parameter and fails as NoToken).
  EXPECT_EQ(verified, 0);
}

}  // namespace
}  // namespace warden::sip::identity
