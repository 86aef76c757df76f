// The REGISTER client against a scripted registrar: requests are parsed with sip/msg, answers
// checked by sip/auth's DigestVerifier (what the proxy uses), responses written as text and
// parsed back. Covers the 401 round trip, wrong password, stale nonces, 423, refresh times,
// CSeq / Call-ID rules, unregistering, and a 200 that does not list our contact.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>

#include "crypto/csprng.hpp"
#include "phone/registration.hpp"
#include "sip/auth/verifier.hpp"
#include "sip/msg/builder.hpp"
#include "sip/msg/parser.hpp"

namespace warden::phone {
namespace {

namespace msg = sip::msg;
namespace auth = sip::auth;
using namespace std::chrono_literals;
using Outcome = Registration::Outcome;

// A message and the bytes its views point into.
struct Held {
  std::string bytes;
  msg::Message m;
};
std::unique_ptr<Held> hold(std::string bytes) {
  auto h = std::make_unique<Held>();
  h->bytes = std::move(bytes);
  const auto v = msg::parse_message(h->bytes, h->m, base::Limits::Sip{});
  EXPECT_TRUE(v.accepted()) << h->bytes;
  return h;
}

constexpr std::string_view kContact = "sip:alice@192.0.2.10:5062";

// A registrar for example.test with one account, written for the test: it challenges requests
// without credentials (SHA-512-256, SHA-256, MD5, strongest first), checks answers with the
// server's DigestVerifier, applies Min-Expires, and answers 200 with every binding of the AoR.
struct ScriptedRegistrar {
  auth::NonceService nonces{std::string(32, 'k'), 300s};
  auth::NonceCounter counter;
  auth::DigestVerifier verifier{nonces, counter, "example.test"};
  auth::AccountKeys alice = auth::make_account_keys("alice", "example.test", "wonderland");
  base::WallTime wall{std::chrono::seconds(1'800'000'000)};
  std::uint32_t min_expires = 60;
  std::uint32_t max_expires = 3600;
  std::map<std::string, std::uint32_t> bindings{{"sip:alice@198.51.100.7:5060", 1200}};  // another device
  std::vector<auth::Outcome> verdicts;  // one per request that carried credentials

  std::string challenge(const msg::Message& req, bool stale) {
    const auth::Algorithm offered[] = {auth::Algorithm::Sha512_256, auth::Algorithm::Sha256, auth::Algorithm::Md5};
    std::string extra;
    for (const auto& c : auth::make_challenges(nonces, wall, "example.test", stale, offered))
      extra += "WWW-Authenticate: " + c + "\r\n";
    return respond(req, 401, extra);
  }

  static std::string respond(const msg::Message& req, std::uint16_t status, const std::string& extra) {
    std::string out;
    msg::ResponseOptions o;
    o.status = status;
    o.to_tag = "reg-tag";
    o.extra_headers = extra;
    msg::build_response(req, o, out);
    return out;
  }

  std::string handle(const std::string& request_text) {
    auto req = hold(request_text);
    const msg::Message& m = req->m;
    EXPECT_EQ(m.method, msg::Method::Register);
    if (m.credentials.empty()) return challenge(m, false);
    const auth::Outcome v = verifier.verify(m.credentials[0], "REGISTER", m.body, &alice, wall).outcome;
    verdicts.push_back(v);
    if (v == auth::Outcome::Stale) return challenge(m, true);
    if (v != auth::Outcome::Ok) return challenge(m, false);
    for (const auto& c : m.contacts) {
      std::uint32_t exp = m.expires.value_or(3600);
      if (auto e = c.param("expires")) exp = static_cast<std::uint32_t>(std::stoul(std::string(*e)));
      if (exp != 0 && exp < min_expires) return respond(m, 423, "Min-Expires: " + std::to_string(min_expires) + "\r\n");
      if (exp == 0)
        bindings.erase(std::string(c.uri.raw));
      else
        bindings[std::string(c.uri.raw)] = std::min(exp, max_expires);
    }
    std::string extra;
    for (const auto& [contact, exp] : bindings) extra += "Contact: <" + contact + ">;expires=" + std::to_string(exp) + "\r\n";
    return respond(m, 200, extra);
  }
};

RegistrationConfig config() {
  RegistrationConfig c;
  c.registrar = "sip:example.test";
  c.aor = "sip:alice@example.test";
  c.contact = std::string(kContact);
  c.via_sent_by = "192.0.2.10:5062";
  return c;
}

auth::DigestCredentials password(std::string pw) {
  auth::DigestCredentials c;
  c.username = "alice";
  c.password = std::move(pw);
  return c;
}

class RegistrationTest : public ::testing::Test {
 protected:
  crypto::Csprng rng_;
  ScriptedRegistrar registrar_;
  base::TimePoint now_{std::chrono::hours(1)};

  Registration make(std::string pw = "wonderland", RegistrationConfig cfg = config()) {
    auth::DigestClientConfig dc;
    dc.realm = "example.test";
    auto r = Registration::create(std::move(cfg), auth::DigestClient(password(std::move(pw)), rng_, dc), rng_);
    EXPECT_TRUE(r) << r.error().message();
    return std::move(*r);
  }

  void advance(base::Duration d) {
    now_ += d;
    registrar_.wall += d;
  }

  // Sends one request through the registrar and feeds its response back.
  Registration::Result exchange(Registration& reg, const std::string& request) {
    last_request_ = hold(request);
    last_response_ = hold(registrar_.handle(request));
    return reg.on_response(last_response_->m, now_);
  }
  Registration::Result round(Registration& reg) { return exchange(reg, reg.make_request(now_)); }

  // Register from scratch: 401, then the answered request, then 200.
  void register_fully(Registration& reg) {
    auto r = round(reg);
    ASSERT_EQ(r.outcome, Outcome::Retry);
    r = round(reg);
    ASSERT_EQ(r.outcome, Outcome::Registered) << r.reason;
  }

  std::unique_ptr<Held> last_request_;
  std::unique_ptr<Held> last_response_;
};

TEST_F(RegistrationTest, ChallengedThenRegisteredWithTheGrantedLifetime) {
  Registration reg = make();
  auto first = hold(reg.make_request(now_));
  const msg::Message& m = first->m;
  EXPECT_EQ(m.request_uri.raw, "sip:example.test");
  EXPECT_EQ(m.cseq.number, 1u);
  EXPECT_EQ(m.from.uri.raw, "sip:alice@example.test");
  EXPECT_EQ(m.from.tag, reg.from_tag());
  EXPECT_EQ(m.to.uri.raw, "sip:alice@example.test");
  EXPECT_TRUE(m.to.tag.empty());
  EXPECT_EQ(m.call_id, reg.call_id());
  ASSERT_EQ(m.vias.size(), 1u);
  EXPECT_TRUE(m.vias[0].rfc3261_branch());
  EXPECT_EQ(m.vias[0].transport, "UDP");
  EXPECT_EQ(m.vias[0].host, "192.0.2.10");
  ASSERT_EQ(m.contacts.size(), 1u);
  EXPECT_EQ(m.contacts[0].uri.raw, kContact);
  EXPECT_EQ(m.contacts[0].param("expires"), "600");
  EXPECT_EQ(m.expires, 600u);
  EXPECT_EQ(m.max_forwards, 70);
  EXPECT_TRUE(m.credentials.empty());

  auto r = exchange(reg, first->bytes);
  EXPECT_EQ(r.outcome, Outcome::Retry);
  EXPECT_EQ(r.status, 401);
  EXPECT_FALSE(reg.refresh_at());

  advance(20ms);
  const base::TimePoint sent = now_;
  auto second = hold(reg.make_request(now_));
  EXPECT_EQ(second->m.cseq.number, 2u);
  EXPECT_EQ(second->m.call_id, reg.call_id());
  EXPECT_EQ(second->m.from.tag, reg.from_tag());
  EXPECT_NE(second->m.vias[0].branch, m.vias[0].branch);
  ASSERT_EQ(second->m.credentials.size(), 1u);
  const msg::Credentials& c = second->m.credentials[0];
  EXPECT_FALSE(c.proxy);
  EXPECT_EQ(c.algorithm, "SHA-512-256");  // the strongest of the three offered
  EXPECT_EQ(c.uri, "sip:example.test");
  EXPECT_EQ(c.nc, "00000001");

  registrar_.max_expires = 300;  // the registrar shortens our 600 s
  advance(30ms);
  r = exchange(reg, second->bytes);
  ASSERT_EQ(registrar_.verdicts.size(), 1u);
  EXPECT_EQ(registrar_.verdicts[0], auth::Outcome::Ok);
  EXPECT_EQ(r.outcome, Outcome::Registered) << r.reason;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.granted, 300s);  // ours, not the other device's 1200
  ASSERT_TRUE(reg.refresh_at());
  EXPECT_EQ(*reg.refresh_at(), sent + 268s);  // 300 - 32, counted from when it was sent
  EXPECT_EQ(*reg.expires_at(), sent + 300s);
  EXPECT_TRUE(reg.registered(now_));
  EXPECT_FALSE(reg.registered(sent + 300s));
}

TEST_F(RegistrationTest, WrongPasswordFailsAfterTheSecondChallenge) {
  Registration reg = make("guess");
  auto r = round(reg);
  EXPECT_EQ(r.outcome, Outcome::Retry);
  r = round(reg);
  EXPECT_EQ(r.outcome, Outcome::Failed);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.reason, "wrong password?");
  EXPECT_EQ(registrar_.verdicts, std::vector<auth::Outcome>{auth::Outcome::Invalid});  // one guess only
  EXPECT_FALSE(reg.refresh_at());
  // A later attempt starts without the refused credentials.
  auto again = hold(reg.make_request(now_));
  EXPECT_TRUE(again->m.credentials.empty());
  EXPECT_EQ(again->m.cseq.number, 3u);
}

TEST_F(RegistrationTest, SameNonceChallengedAgainIsAWrongPasswordToo) {
  Registration reg = make("guess");
  const std::string nonce = "fixed-nonce";
  auto challenge = [&](const std::string& request) {
    auto req = hold(request);
    return hold(ScriptedRegistrar::respond(
        req->m, 407, "Proxy-Authenticate: Digest realm=\"example.test\", nonce=\"" + nonce + "\", qop=\"auth\"\r\n"));
  };
  auto resp = challenge(reg.make_request(now_));
  EXPECT_EQ(reg.on_response(resp->m, now_).outcome, Outcome::Retry);
  auto answered = hold(reg.make_request(now_));
  ASSERT_EQ(answered->m.credentials.size(), 1u);
  EXPECT_TRUE(answered->m.credentials[0].proxy);
  EXPECT_TRUE(answered->m.find("Proxy-Authorization"));
  resp = challenge(answered->bytes);
  auto r = reg.on_response(resp->m, now_);
  EXPECT_EQ(r.outcome, Outcome::Failed);
  EXPECT_EQ(r.status, 407);
  EXPECT_EQ(r.reason, "wrong password?");
}

TEST_F(RegistrationTest, StaleNonceOnRefreshIsAnsweredAgain) {
  Registration reg = make();
  register_fully(reg);
  ASSERT_TRUE(reg.refresh_at());
  advance(*reg.refresh_at() - now_);  // 568 s later: the server's nonce (300 s) has expired

  auto refresh = hold(reg.make_request(now_));
  ASSERT_EQ(refresh->m.credentials.size(), 1u);
  EXPECT_EQ(refresh->m.credentials[0].nc, "00000002");  // the known nonce, answered again
  auto r = exchange(reg, refresh->bytes);
  EXPECT_EQ(registrar_.verdicts.back(), auth::Outcome::Stale);
  EXPECT_EQ(r.outcome, Outcome::Retry);
  EXPECT_EQ(r.status, 401);

  r = round(reg);
  EXPECT_EQ(last_request_->m.credentials[0].nc, "00000001");  // the new nonce
  EXPECT_EQ(r.outcome, Outcome::Registered) << r.reason;
  EXPECT_EQ(r.granted, 600s);
}

TEST_F(RegistrationTest, RefreshWithinTheNonceLifetimeCostsOneRoundTrip) {
  Registration reg = make();
  register_fully(reg);
  advance(100s);
  auto r = round(reg);
  EXPECT_EQ(last_request_->m.credentials[0].nc, "00000002");
  EXPECT_EQ(registrar_.verdicts.back(), auth::Outcome::Ok);
  EXPECT_EQ(r.outcome, Outcome::Registered);
}

TEST_F(RegistrationTest, EndlessStaleChallengesEndInFailure) {
  Registration reg = make();
  int rounds = 0;
  Registration::Result r;
  do {
    auto req = hold(reg.make_request(now_));
    auto resp = hold(registrar_.challenge(req->m, /*stale=*/true));
    r = reg.on_response(resp->m, now_);
    ++rounds;
  } while (r.outcome == Outcome::Retry && rounds < 100);
  EXPECT_EQ(r.outcome, Outcome::Failed);
  EXPECT_EQ(rounds, Registration::kMaxRetries + 1);
}

TEST_F(RegistrationTest, IntervalTooBriefRaisesExpiresToMinExpires) {
  registrar_.min_expires = 900;
  Registration reg = make();
  EXPECT_EQ(round(reg).outcome, Outcome::Retry);  // 401
  auto r = round(reg);
  EXPECT_EQ(r.outcome, Outcome::Retry);
  EXPECT_EQ(r.status, 423);
  EXPECT_EQ(reg.requested_expires(), 900u);
  const base::TimePoint sent = now_;
  r = round(reg);
  EXPECT_EQ(last_request_->m.expires, 900u);
  EXPECT_EQ(last_request_->m.contacts[0].param("expires"), "900");
  EXPECT_EQ(r.outcome, Outcome::Registered) << r.reason;
  EXPECT_EQ(r.granted, 900s);
  EXPECT_EQ(*reg.refresh_at(), sent + 868s);
}

TEST_F(RegistrationTest, UnusableMinExpiresFails) {
  for (std::string extra : {std::string(), std::string("Min-Expires: 300\r\n"), std::string("Min-Expires: abc\r\n"),
                            std::string("Min-Expires: 999999\r\n")}) {
    SCOPED_TRACE(extra);
    Registration reg = make();
    auto req = hold(reg.make_request(now_));
    auto resp = hold(ScriptedRegistrar::respond(req->m, 423, extra));
    auto r = reg.on_response(resp->m, now_);
    EXPECT_EQ(r.outcome, Outcome::Failed);
    EXPECT_EQ(r.status, 423);
    EXPECT_EQ(reg.requested_expires(), 600u);
  }
}

TEST_F(RegistrationTest, RefreshTimes) {
  struct Case {
    std::uint32_t asked;
    std::string contact_param;  // what the 200 says for our contact
    std::string expires_header;
    std::chrono::seconds granted;
    std::chrono::seconds refresh;
  };
  const Case cases[] = {
      {600, ";expires=60", "", 60s, 30s},        // short: at half
      {600, ";expires=64", "", 64s, 32s},
      {600, ";expires=65", "", 65s, 33s},        // from here: 32 s before it lapses
      {3600, ";expires=3600", "", 3600s, 3568s},
      {600, ";expires=7200", "", 7200s, 568s},   // more than asked: we rely on what we asked
      {600, "", "Expires: 120\r\n", 120s, 88s},  // no parameter: the Expires header
      {600, "", "", 600s, 568s},                 // neither: what we asked for
      {600, ";expires=1", "", 1s, 0s},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.contact_param + "|" + k.expires_header);
    RegistrationConfig cfg = config();
    cfg.expires = k.asked;
    Registration reg = make("wonderland", cfg);
    auto req = hold(reg.make_request(now_));
    auto resp = hold(ScriptedRegistrar::respond(
        req->m, 200, "Contact: <" + std::string(kContact) + ">" + k.contact_param + "\r\n" + k.expires_header));
    auto r = reg.on_response(resp->m, now_ + 1s);
    EXPECT_EQ(r.outcome, Outcome::Registered);
    EXPECT_EQ(r.granted, k.granted);
    ASSERT_TRUE(reg.refresh_at());
    EXPECT_EQ(*reg.refresh_at() - now_, k.refresh);
  }
}

TEST_F(RegistrationTest, CSeqRisesAndCallIdStaysUntilUnregister) {
  Registration reg = make();
  std::set<std::string> branches;
  for (std::uint32_t i = 1; i <= 4; ++i) {
    auto r = round(reg);
    EXPECT_EQ(last_request_->m.cseq.number, i);
    EXPECT_EQ(last_request_->m.call_id, reg.call_id());
    EXPECT_EQ(last_request_->m.from.tag, reg.from_tag());
    branches.insert(std::string(last_request_->m.vias[0].branch));
    EXPECT_EQ(r.outcome, i == 1 ? Outcome::Retry : Outcome::Registered);
    advance(10s);
  }
  EXPECT_EQ(branches.size(), 4u);
  EXPECT_EQ(reg.last_cseq(), 4u);

  auto r = exchange(reg, reg.make_unregister(now_));
  const msg::Message& un = last_request_->m;
  EXPECT_EQ(un.cseq.number, 5u);
  EXPECT_EQ(un.call_id, reg.call_id());
  EXPECT_EQ(un.expires, 0u);
  ASSERT_EQ(un.contacts.size(), 1u);
  EXPECT_FALSE(un.contact_star);
  EXPECT_EQ(un.contacts[0].uri.raw, kContact);
  EXPECT_EQ(un.contacts[0].param("expires"), "0");
  ASSERT_EQ(un.credentials.size(), 1u);  // the known nonce, answered again
  EXPECT_EQ(un.credentials[0].nc, "00000004");
  EXPECT_EQ(r.outcome, Outcome::Unregistered) << r.reason;
  EXPECT_EQ(registrar_.bindings.count(std::string(kContact)), 0u);
  EXPECT_EQ(registrar_.bindings.size(), 1u);  // the other device keeps its binding
  EXPECT_FALSE(reg.refresh_at());
  EXPECT_FALSE(reg.expires_at());
  EXPECT_FALSE(reg.registered(now_));
}

TEST_F(RegistrationTest, UnregisterChallengedIsRetriedAsAnUnregister) {
  Registration reg = make();
  auto r = exchange(reg, reg.make_unregister(now_));
  EXPECT_EQ(r.outcome, Outcome::Retry);
  r = exchange(reg, reg.make_unregister(now_));
  EXPECT_EQ(last_request_->m.expires, 0u);
  EXPECT_EQ(r.outcome, Outcome::Unregistered);
  // A 200 that still lists our contact with a lifetime: the unregister did not take.
  auto req = hold(reg.make_unregister(now_));
  auto resp = hold(ScriptedRegistrar::respond(req->m, 200, "Contact: <" + std::string(kContact) + ">;expires=50\r\n"));
  r = reg.on_response(resp->m, now_);
  EXPECT_EQ(r.outcome, Outcome::Failed);
  EXPECT_EQ(r.reason, "registrar still lists our contact");
}

TEST_F(RegistrationTest, A200WithoutOurContactFails) {
  Registration reg = make();
  struct Case {
    std::string contacts;
    std::string reason;
  };
  const Case cases[] = {
      {"", "registrar did not list our contact"},
      {"Contact: <sip:alice@198.51.100.7:5060>;expires=600\r\n", "registrar did not list our contact"},
      {"Contact: <sip:alice@192.0.2.10:5063>;expires=600\r\n", "registrar did not list our contact"},  // port
      {"Contact: <sip:bob@192.0.2.10:5062>;expires=600\r\n", "registrar did not list our contact"},    // user
      {"Contact: <sip:alice@192.0.2.10:5062;maddr=203.0.113.1>;expires=600\r\n",
       "registrar did not list our contact"},
      {"Contact: <sip:alice@192.0.2.10:5062>;expires=0\r\n", "registrar removed our contact"},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.contacts);
    auto req = hold(reg.make_request(now_));
    auto resp = hold(ScriptedRegistrar::respond(req->m, 200, k.contacts));
    auto r = reg.on_response(resp->m, now_);
    EXPECT_EQ(r.outcome, Outcome::Failed);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.reason, k.reason);
    EXPECT_FALSE(reg.refresh_at());
    EXPECT_FALSE(reg.registered(now_));
  }
}

// §19.1.4 equality: the registrar may write our contact differently.
TEST_F(RegistrationTest, OurContactIsFoundWrittenDifferently) {
  RegistrationConfig cfg = config();
  cfg.contact = "sip:alice@phone.example.test:5062;ob";
  cfg.contact_transport = "tcp";
  cfg.via_transport = "TCP";
  Registration reg = make("wonderland", cfg);
  auto req = hold(reg.make_request(now_));
  EXPECT_EQ(req->m.contacts[0].uri.raw, "sip:alice@phone.example.test:5062;ob;transport=tcp");
  EXPECT_EQ(req->m.vias[0].transport, "TCP");
  auto resp = hold(ScriptedRegistrar::respond(
      req->m, 200,
      "Contact: <sip:bob@phone.example.test:5062;transport=tcp>;expires=100\r\n"
      "Contact: \"Alice\" <sip:%61lice@PHONE.example.TEST:5062;TRANSPORT=TCP;ob;x-seen=1>;expires=200\r\n"));
  auto r = reg.on_response(resp->m, now_);
  EXPECT_EQ(r.outcome, Outcome::Registered) << r.reason;
  EXPECT_EQ(r.granted, 200s);
}

TEST_F(RegistrationTest, UnrelatedResponsesAreIgnored) {
  Registration reg = make();
  auto stray = hold(
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKx\r\nFrom: <sip:alice@example.test>;tag=a\r\n"
      "To: <sip:alice@example.test>;tag=b\r\nCall-ID: " + reg.call_id() + "\r\nCSeq: 1 REGISTER\r\n"
      "Contact: <sip:alice@192.0.2.10:5062>;expires=600\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(reg.on_response(stray->m, now_).outcome, Outcome::Ignored);  // nothing pending

  auto req = hold(reg.make_request(now_));
  auto trying = hold(ScriptedRegistrar::respond(req->m, 100, ""));
  EXPECT_EQ(reg.on_response(trying->m, now_).outcome, Outcome::Ignored);
  auto other_call = hold(std::string(stray->bytes).replace(stray->bytes.find(reg.call_id()), reg.call_id().size(), "other"));
  EXPECT_EQ(reg.on_response(other_call->m, now_).outcome, Outcome::Ignored);
  auto req2 = hold(reg.make_request(now_));  // CSeq 2 supersedes CSeq 1
  EXPECT_EQ(reg.on_response(stray->m, now_).outcome, Outcome::Ignored);
  auto ok = hold(ScriptedRegistrar::respond(req2->m, 200, "Contact: <" + std::string(kContact) + ">;expires=600\r\n"));
  EXPECT_EQ(reg.on_response(ok->m, now_).outcome, Outcome::Registered);
  EXPECT_EQ(reg.on_response(ok->m, now_).outcome, Outcome::Ignored);  // already answered
}

TEST_F(RegistrationTest, OtherFailuresAndTimeout) {
  Registration reg = make();
  register_fully(reg);
  ASSERT_TRUE(reg.refresh_at());
  auto req = hold(reg.make_request(now_));
  auto resp = hold(ScriptedRegistrar::respond(req->m, 403, ""));
  auto r = reg.on_response(resp->m, now_);
  EXPECT_EQ(r.outcome, Outcome::Failed);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.reason, "Forbidden");
  EXPECT_FALSE(reg.refresh_at());
  EXPECT_TRUE(reg.registered(now_));  // the earlier binding has not lapsed yet

  req = hold(reg.make_request(now_));
  reg.on_timeout();
  EXPECT_FALSE(reg.refresh_at());
  resp = hold(ScriptedRegistrar::respond(req->m, 200, "Contact: <" + std::string(kContact) + ">;expires=600\r\n"));
  EXPECT_EQ(reg.on_response(resp->m, now_).outcome, Outcome::Ignored);  // too late
}

TEST_F(RegistrationTest, ProxyAndRegistrarChallengesAreBothAnswered) {
  Registration reg = make();
  auto req = hold(reg.make_request(now_));
  auto resp = hold(ScriptedRegistrar::respond(
      req->m, 407, "Proxy-Authenticate: Digest realm=\"example.test\", nonce=\"proxy-nonce\", qop=\"auth\"\r\n"));
  EXPECT_EQ(reg.on_response(resp->m, now_).outcome, Outcome::Retry);
  req = hold(reg.make_request(now_));
  ASSERT_EQ(req->m.credentials.size(), 1u);
  EXPECT_TRUE(req->m.credentials[0].proxy);
  resp = hold(registrar_.challenge(req->m, false));  // the registrar behind it: 401
  EXPECT_EQ(reg.on_response(resp->m, now_).outcome, Outcome::Retry);
  req = hold(reg.make_request(now_));
  ASSERT_EQ(req->m.credentials.size(), 2u);
  EXPECT_FALSE(req->m.credentials[0].proxy);
  EXPECT_TRUE(req->m.credentials[1].proxy);
  EXPECT_EQ(req->m.credentials[1].nc, "00000002");
}

TEST_F(RegistrationTest, ChallengeForAnotherRealmIsNotAnswered) {
  Registration reg = make();
  auto req = hold(reg.make_request(now_));
  auto resp = hold(ScriptedRegistrar::respond(
      req->m, 401, "WWW-Authenticate: Digest realm=\"evil.test\", nonce=\"n\", algorithm=SHA-256, qop=\"auth\"\r\n"));
  auto r = reg.on_response(resp->m, now_);
  EXPECT_EQ(r.outcome, Outcome::Failed);
  EXPECT_EQ(r.reason, "cannot answer the challenge: challenge for another realm");
  req = hold(reg.make_request(now_));
  EXPECT_TRUE(req->m.credentials.empty());
  resp = hold(ScriptedRegistrar::respond(req->m, 401, "WWW-Authenticate: Basic realm=\"x\"\r\n"));
  r = reg.on_response(resp->m, now_);
  EXPECT_EQ(r.outcome, Outcome::Failed);
  EXPECT_EQ(r.reason, "no digest challenge we can answer");
}

TEST(RegistrationConfigTest, RefusesWhatCannotGoOnTheWire) {
  crypto::Csprng rng;
  auto try_create = [&](RegistrationConfig c) {
    return Registration::create(std::move(c), auth::DigestClient(password("pw"), rng), rng).ok();
  };
  EXPECT_TRUE(try_create(config()));
  RegistrationConfig c = config();
  c.registrar = "sips:example.test";
  EXPECT_TRUE(try_create(c));
  c = config();
  c.via_sent_by = "[2001:db8::1]:5062";
  EXPECT_TRUE(try_create(c));
  c.via_sent_by = "phone.example.test";
  EXPECT_TRUE(try_create(c));

  const auto bad = [](auto edit) {
    RegistrationConfig x = config();
    edit(x);
    return x;
  };
  EXPECT_FALSE(try_create(bad([](auto& x) { x.registrar = "sip:alice@example.test"; })));  // user part
  EXPECT_FALSE(try_create(bad([](auto& x) { x.registrar = "http://example.test"; })));
  EXPECT_FALSE(try_create(bad([](auto& x) { x.registrar = "sip:example.test\r\nX: y"; })));
  EXPECT_FALSE(try_create(bad([](auto& x) { x.aor = "alice"; })));
  EXPECT_FALSE(try_create(bad([](auto& x) { x.contact = "sip:alice@host?Subject=x"; })));
  EXPECT_FALSE(try_create(bad([](auto& x) { x.contact = "sip:alice@host;transport=udp"; x.contact_transport = "tcp"; })));
  EXPECT_FALSE(try_create(bad([](auto& x) { x.contact_transport = "t c p"; })));
  EXPECT_FALSE(try_create(bad([](auto& x) { x.expires = 0; })));
  EXPECT_FALSE(try_create(bad([](auto& x) { x.via_transport = "U DP"; })));
  EXPECT_FALSE(try_create(bad([](auto& x) { x.via_sent_by = ""; })));
  EXPECT_FALSE(try_create(bad([](auto& x) { x.via_sent_by = "192.0.2.10:99999"; })));
  EXPECT_FALSE(try_create(bad([](auto& x) { x.via_sent_by = "192.0.2.10;branch=x"; })));
  EXPECT_FALSE(try_create(bad([](auto& x) { x.via_sent_by = "[2001:db8::1"; })));
}

TEST(RegistrationIds, EachRegistrationHasItsOwnCallIdAndTag) {
  crypto::Csprng rng;
  auto a = Registration::create(config(), auth::DigestClient(password("pw"), rng), rng);
  auto b = Registration::create(config(), auth::DigestClient(password("pw"), rng), rng);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->call_id(), b->call_id());
  EXPECT_NE(a->from_tag(), b->from_tag());
  EXPECT_GE(a->call_id().size(), 20u);
  EXPECT_EQ(to_string(Registration::Outcome::Retry), "retry");
}

}  // namespace
}  // namespace warden::phone
