// The proxy on a manual clock and recording transports: digest challenges and answers, replay
// and downgrade refusal, ownership of the AoR, forking with best-response selection, CANCEL,
// loop detection, Max-Forwards, relaying policy, OPTIONS, malformed input, branch timeouts.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <map>

#include "base/error.hpp"
#include "crypto/csprng.hpp"
#include "crypto/dev_pki.hpp"
#include "sip/identity/privacy.hpp"
#include "sip/identity/referral_token.hpp"
#include "sip/identity/signer.hpp"
#include "sip/identity/verifier.hpp"
#include "proxy/proxy.hpp"
#include "runtime/manual_loop.hpp"
#include "sip/auth/digest.hpp"
#include "sip/msg/parser.hpp"
#include "store/sqlite_store.hpp"

namespace warden::proxy {
namespace {

namespace msg = sip::msg;
namespace auth = sip::auth;
using runtime::Endpoint;
using runtime::TransportKind;

using runtime::ManualLoop;

class RecordingTransport final : public runtime::Transport {
 public:
  RecordingTransport(TransportKind k, Endpoint local) : kind_(k), local_(local) {}
  TransportKind kind() const noexcept override { return kind_; }
  Endpoint local_endpoint() const noexcept override { return local_; }
  base::Result<runtime::FlowId> send(const Endpoint& to, std::string bytes) override {
    sent.push_back({to, std::move(bytes)});
    return runtime::kNoFlow;
  }
  // Streams: connect() opens a flow (recording the name its certificate must carry) and
  // send(flow) records what goes on it; closed flows refuse.
  base::Result<void> send(runtime::FlowId f, std::string bytes) override {
    auto it = flows.find(f);
    if (it == flows.end()) return runtime::TransportErrc::UnknownFlow;
    sent.push_back({it->second, std::move(bytes)});
    return {};
  }
  base::Result<runtime::FlowId> connect(const Endpoint& to, std::string name) override {
    if (kind_ == TransportKind::Udp) return base::Errc::InvalidArgument;
    flows[++next_flow] = to;
    connects.push_back({to, std::move(name)});
    return next_flow;
  }
  std::map<runtime::FlowId, Endpoint> flows;
  runtime::FlowId next_flow = 0;
  struct Connect {
    Endpoint to;
    std::string server_name;
  };
  std::vector<Connect> connects;
  void close(runtime::FlowId) override {}
  struct Sent {
    Endpoint to;
    std::string bytes;
  };
  std::vector<Sent> sent;

 private:
  TransportKind kind_;
  Endpoint local_;
};

// A parsed copy of something the proxy sent.
struct Out {
  Endpoint to;
  std::string bytes;
  msg::Message m;
};

// A message kept across take() calls (its views point into its own heap copy).
struct Held {
  std::string bytes;
  msg::Message m;
};
std::unique_ptr<Held> hold(const Out* o) {
  auto h = std::make_unique<Held>();
  h->bytes = o->bytes;
  EXPECT_TRUE(msg::parse_message(h->bytes, h->m, base::Limits::Sip{}, msg::Framing::Datagram).accepted());
  return h;
}

const Endpoint kProxy = Endpoint::loopback_v4(5060);
const Endpoint kCaller = *Endpoint::parse("192.0.2.1:5062");
const Endpoint kPhoneA = *Endpoint::parse("192.0.2.20:5070");
const Endpoint kPhoneB = *Endpoint::parse("192.0.2.21:5071");

class ProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("warden-proxy-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s = store::SqliteStore::open((dir_ / "w.db").string());
    ASSERT_TRUE(s);
    store_ = std::move(*s);
    add_user("alice", "alice-secret");
    add_user("bob", "bob-secret");
    clock_.set(base::TimePoint(std::chrono::hours(1)));
    make_proxy(base_config());
  }

  // example.test, with kCaller as a peer (another provider's proxy: its requests reach our
  // users without digest authentication).
  static ProxyConfig base_config() {
    ProxyConfig cfg;
    cfg.domains = {"example.test"};
    cfg.peers = {*shield::Network::parse(kCaller.address_string())};
    return cfg;
  }
  void TearDown() override {
    proxy_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void make_proxy(const ProxyConfig& cfg) {
    proxy_.reset();
    proxy_ = std::make_unique<Proxy>(cfg, loop_, clock_, *store_, rng_, base::Logger{});
    proxy_->add_transport(udp_);
    ASSERT_TRUE(proxy_->start());
  }

  void add_user(const std::string& name, const std::string& password) {
    store::User u;
    u.username = name;
    u.domain = "example.test";
    u.ha1_md5 = auth::compute_ha1(auth::Algorithm::Md5, name, "example.test", password);
    u.ha1_sha256 = auth::compute_ha1(auth::Algorithm::Sha256, name, "example.test", password);
    u.ha1_sha512_256 = auth::compute_ha1(auth::Algorithm::Sha512_256, name, "example.test", password);
    ASSERT_TRUE(store_->add_user(u));
  }

  void deliver(const Endpoint& from, const std::string& bytes) {
    runtime::InboundMessage in;
    in.kind = TransportKind::Udp;
    in.local = kProxy;
    in.remote = from;
    in.bytes = bytes;
    proxy_->on_message(in);
  }

  // Everything sent since the last call, parsed, once the registrations' group commit
  // has had its time (the batch window is 5 ms).
  std::vector<Out> take() {
    loop_.advance(std::chrono::milliseconds(20));
    return take_now();
  }
  // The same after the tarpit of a failed authentication (at most 8 s).
  std::vector<Out> take_slow() {
    loop_.advance(std::chrono::seconds(10));
    return take_now();
  }
  std::vector<Out> take_now() {
    std::vector<Out> out;
    for (auto* t : {&udp_, &tls_}) {
      for (auto& s : t->sent) {
        Out o{s.to, std::move(s.bytes), {}};
        out.push_back(std::move(o));
      }
      t->sent.clear();
    }
    for (auto& o : out)
      EXPECT_TRUE(msg::parse_message(o.bytes, o.m, base::Limits::Sip{}, msg::Framing::Datagram).accepted()) << o.bytes;
    return out;
  }
  // The one final or provisional response sent to `to` with this status; fails if absent.
  static const Out* find(const std::vector<Out>& v, const Endpoint& to, int status) {
    for (const auto& o : v)
      if (o.to == to && o.m.is_response() && o.m.status == status) return &o;
    return nullptr;
  }
  static std::vector<const Out*> requests_to(const std::vector<Out>& v, const Endpoint& to) {
    std::vector<const Out*> r;
    for (const auto& o : v)
      if (o.to == to && o.m.is_request()) r.push_back(&o);
    return r;
  }

  // The Authorization value answering `challenge` for user/password.
  static std::string answer(const msg::Message& challenge_msg, bool proxy, auth::Algorithm alg, const std::string& user,
                            const std::string& password, std::string_view method, std::string_view uri,
                            std::string_view nc = "00000001") {
    const msg::HeaderId id = proxy ? msg::HeaderId::ProxyAuthenticate : msg::HeaderId::WwwAuthenticate;
    for (const auto& h : challenge_msg.headers) {
      if (h.id != id) continue;
      msg::Challenge c;
      if (!msg::parse_challenge(h.value, c)) continue;
      auto a = auth::algorithm_from_name(c.algorithm.empty() ? "MD5" : c.algorithm);
      if (!a || *a != alg) continue;
      const std::string ha1 = auth::compute_ha1(alg, user, c.realm, password);
      const std::string resp = auth::compute_response(alg, ha1, auth::DigestInput{method, uri, c.nonce, nc, "0a4f113b", "auth", ""});
      std::string v = "Digest username=\"" + user + "\", realm=\"" + std::string(c.realm) + "\", nonce=\"" +
                      std::string(c.nonce) + "\", uri=\"" + std::string(uri) + "\", response=\"" + resp +
                      "\", algorithm=" + std::string(auth::name(alg)) + ", cnonce=\"0a4f113b\", qop=auth, nc=" +
                      std::string(nc);
      if (!c.opaque.empty()) v += ", opaque=\"" + std::string(c.opaque) + "\"";
      return v;
    }
    ADD_FAILURE() << "no challenge for that algorithm";
    return {};
  }

  static std::string register_msg(const std::string& user, const std::string& contact, int cseq,
                                  const std::string& authorization = "", const std::string& to_user = "",
                                  const Endpoint& via = kPhoneA) {
    const std::string aor_user = to_user.empty() ? user : to_user;
    std::string s = "REGISTER sip:example.test SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP " + via.to_string() + ";branch=z9hG4bK-reg-" + user + std::to_string(cseq) + "\r\n"
                    "Max-Forwards: 70\r\n"
                    "From: <sip:" + aor_user + "@example.test>;tag=r" + user + "\r\n"
                    "To: <sip:" + aor_user + "@example.test>\r\n"
                    "Call-ID: reg-" + user + "\r\n"
                    "CSeq: " + std::to_string(cseq) + " REGISTER\r\n"
                    "Contact: <" + contact + ">\r\n"
                    "Expires: 600\r\n";
    if (!authorization.empty()) s += "Authorization: " + authorization + "\r\n";
    s += "Content-Length: 0\r\n\r\n";
    return s;
  }

  // Registers user with contact (two rounds: 401, then 200).
  void register_user(const std::string& user, const std::string& password, const std::string& contact,
                     const Endpoint& from) {
    deliver(from, register_msg(user, contact, ++cseq_, "", "", from));
    auto r = take();
    const Out* c = find(r, from, 401);
    ASSERT_NE(c, nullptr);
    const std::string a = answer(c->m, false, auth::Algorithm::Sha256, user, password, "REGISTER", "sip:example.test");
    deliver(from, register_msg(user, contact, ++cseq_, a, "", from));
    r = take();
    ASSERT_NE(find(r, from, 200), nullptr) << (r.empty() ? "" : r[0].bytes);
  }

  static std::string invite(const std::string& ruri, const std::string& from_uri, const std::string& branch,
                            const std::string& extra = "", int max_forwards = 70) {
    return "INVITE " + ruri + " SIP/2.0\r\n"
           "Via: SIP/2.0/UDP " + kCaller.to_string() + ";branch=" + branch + ";rport\r\n"
           "Max-Forwards: " + std::to_string(max_forwards) + "\r\n"
           "From: <" + from_uri + ">;tag=caller\r\n"
           "To: <" + ruri + ">\r\n"
           "Call-ID: call-" + branch + "\r\n"
           "CSeq: 1 INVITE\r\n"
           "Contact: <sip:caller@" + kCaller.to_string() + ">\r\n" + extra +
           "Content-Length: 0\r\n\r\n";
  }

  // A response from a UAS to a request the proxy forwarded to it.
  static std::string reply(const msg::Message& req, int status, const std::string& to_tag = "callee") {
    std::string s = "SIP/2.0 " + std::to_string(status) + " Whatever\r\n";
    for (const auto& v : req.vias) s += "Via: " + std::string(v.raw) + "\r\n";
    s += "From: " + std::string(req.from.raw) + "\r\n";
    s += "To: " + std::string(req.to.raw) + (req.to.tag.empty() && status > 100 ? ";tag=" + to_tag : "") + "\r\n";
    s += "Call-ID: " + std::string(req.call_id) + "\r\n";
    s += "CSeq: " + std::to_string(req.cseq.number) + " " + std::string(req.cseq.method_text) + "\r\n";
    if (status >= 200 && status < 300 && req.method == msg::Method::Invite)
      s += "Contact: <sip:callee@" + kPhoneA.to_string() + ">\r\n";
    s += "Content-Length: 0\r\n\r\n";
    return s;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::SqliteStore> store_;
  base::ManualClock clock_{base::WallTime(std::chrono::seconds(1'800'000'000))};
  ManualLoop loop_{clock_};
  crypto::Csprng rng_;
  RecordingTransport udp_{TransportKind::Udp, kProxy};
  RecordingTransport tls_{TransportKind::Tls, Endpoint::loopback_v4(5061)};
  std::unique_ptr<Proxy> proxy_;
  int cseq_ = 0;
};

TEST_F(ProxyTest, RegisterIsChallengedStrongestFirstAndThenAccepted) {
  deliver(kPhoneA, register_msg("alice", "sip:alice@" + kPhoneA.to_string(), 1));
  auto r = take();
  ASSERT_EQ(r.size(), 1u);
  const Out* c = find(r, kPhoneA, 401);
  ASSERT_NE(c, nullptr);
  std::vector<std::string> algorithms;
  for (const auto& h : c->m.headers) {
    if (h.id != msg::HeaderId::WwwAuthenticate) continue;
    msg::Challenge ch;
    ASSERT_TRUE(msg::parse_challenge(h.value, ch));
    EXPECT_EQ(ch.realm, "example.test");
    EXPECT_NE(ch.qop.find("auth"), std::string_view::npos);
    algorithms.emplace_back(ch.algorithm);
  }
  EXPECT_EQ(algorithms, (std::vector<std::string>{"SHA-512-256", "SHA-256", "MD5"}));
  EXPECT_EQ(c->m.vias[0].received, "");  // sent-by is the source and no rport: nothing to add
  EXPECT_FALSE(c->m.to.tag.empty());

  const std::string a = answer(c->m, false, auth::Algorithm::Sha512_256, "alice", "alice-secret", "REGISTER", "sip:example.test");
  deliver(kPhoneA, register_msg("alice", "sip:alice@" + kPhoneA.to_string(), 2, a));
  // The 200 waits for the store's commit (group commit), and the binding is stored when it goes.
  EXPECT_TRUE(take_now().empty());
  auto stored_before = store_->load_bindings(0);
  ASSERT_TRUE(stored_before);
  EXPECT_TRUE(stored_before->empty());
  r = take();
  auto stored_after = store_->load_bindings(0);
  ASSERT_TRUE(stored_after);
  EXPECT_EQ(stored_after->size(), 1u);
  const Out* ok = find(r, kPhoneA, 200);
  ASSERT_NE(ok, nullptr);
  ASSERT_EQ(ok->m.contacts.size(), 1u);
  EXPECT_EQ(ok->m.contacts[0].uri.raw, "sip:alice@" + kPhoneA.to_string());
  EXPECT_EQ(proxy_->stats().bindings, 1u);

  // The same Authorization again (same nonce-count): a replay, challenged again after the
  // tarpit (a replay counts as a failed attempt).
  deliver(kPhoneA, register_msg("alice", "sip:alice@" + kPhoneA.to_string(), 3, a));
  EXPECT_EQ(find(take(), kPhoneA, 401), nullptr);
  r = take_slow();
  EXPECT_NE(find(r, kPhoneA, 401), nullptr);
  EXPECT_EQ(find(r, kPhoneA, 200), nullptr);
}

TEST_F(ProxyTest, WrongPasswordUnknownUserAndDowngradeAreChallengedAgain) {
  deliver(kPhoneA, register_msg("alice", "sip:alice@" + kPhoneA.to_string(), 1));
  auto r = take();
  const Out* c = find(r, kPhoneA, 401);
  ASSERT_NE(c, nullptr);
  const msg::Message challenge = c->m;
  const std::string challenge_bytes = c->bytes;
  msg::Message ch;
  ASSERT_TRUE(msg::parse_message(challenge_bytes, ch, base::Limits::Sip{}, msg::Framing::Datagram).accepted());

  deliver(kPhoneA, register_msg("alice", "sip:alice@x", 2, answer(ch, false, auth::Algorithm::Sha256, "alice", "wrong", "REGISTER", "sip:example.test")));
  EXPECT_NE(find(take_slow(), kPhoneA, 401), nullptr);
  deliver(kPhoneA, register_msg("mallory", "sip:m@x", 3, answer(ch, false, auth::Algorithm::Sha256, "mallory", "x", "REGISTER", "sip:example.test")));
  EXPECT_NE(find(take_slow(), kPhoneA, 401), nullptr);
  EXPECT_EQ(proxy_->stats().auth_failures, 2u);
  // A failing source waits for a fresh challenge too: a REGISTER without credentials is not
  // answered at once (the stateless challenge is for sources in good standing).
  deliver(kPhoneA, register_msg("alice", "sip:alice@x", 40));
  EXPECT_EQ(find(take(), kPhoneA, 401), nullptr);
  EXPECT_NE(find(take_slow(), kPhoneA, 401), nullptr);

  // SHA-256 succeeds; afterwards an MD5 answer with the right password is refused.
  deliver(kPhoneA, register_msg("alice", "sip:alice@x", 4, answer(ch, false, auth::Algorithm::Sha256, "alice", "alice-secret", "REGISTER", "sip:example.test", "00000002")));
  ASSERT_NE(find(take(), kPhoneA, 200), nullptr);
  deliver(kPhoneA, register_msg("alice", "sip:alice@x", 5, answer(ch, false, auth::Algorithm::Md5, "alice", "alice-secret", "REGISTER", "sip:example.test", "00000003")));
  r = take_slow();
  EXPECT_NE(find(r, kPhoneA, 401), nullptr);
  EXPECT_EQ(find(r, kPhoneA, 200), nullptr);
  auto stored = store_->find_user("alice", "example.test");
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->strongest_used, auth::strength(auth::Algorithm::Sha256));
}

// RFC 3261 §8.2.7: a challenge leaves no transaction behind; the retransmitted request gets a
// fresh challenge (a new nonce) under the same To tag, another request another tag.
TEST_F(ProxyTest, ChallengesAreStatelessWithAToTagDerivedFromTheRequest) {
  const std::string reg = register_msg("alice", "sip:alice@" + kPhoneA.to_string(), 1);
  deliver(kPhoneA, reg);
  auto first = take();
  const Out* a = find(first, kPhoneA, 401);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(proxy_->stats().transactions, 0u);
  deliver(kPhoneA, reg);  // the same bytes: a retransmission
  auto second = take();
  const Out* b = find(second, kPhoneA, 401);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(proxy_->stats().transactions, 0u);
  EXPECT_EQ(a->m.to.tag, b->m.to.tag);
  EXPECT_GE(a->m.to.tag.size(), 16u);
  auto nonce_of = [](const Out& o) {
    for (const auto& h : o.m.headers) {
      msg::Challenge ch;
      if (h.id == msg::HeaderId::WwwAuthenticate && msg::parse_challenge(h.value, ch)) return std::string(ch.nonce);
    }
    return std::string();
  };
  EXPECT_NE(nonce_of(*a), "");
  EXPECT_NE(nonce_of(*a), nonce_of(*b));
  deliver(kPhoneA, register_msg("alice", "sip:alice@" + kPhoneA.to_string(), 2));
  auto third = take();
  const Out* c = find(third, kPhoneA, 401);
  ASSERT_NE(c, nullptr);
  EXPECT_NE(c->m.to.tag, a->m.to.tag);
}

// Accounts stay cached while the store is unchanged; `warden user rm` from another process
// (another connection to the same database) applies within a second.
TEST_F(ProxyTest, AnAccountRemovedByAnotherProcessIsRefusedWithinASecond) {
  deliver(kPhoneA, register_msg("alice", "sip:alice@" + kPhoneA.to_string(), 1));
  auto first = take();
  const Out* c = find(first, kPhoneA, 401);
  ASSERT_NE(c, nullptr);
  const std::string challenge_bytes = c->bytes;
  msg::Message challenge;
  ASSERT_TRUE(msg::parse_message(challenge_bytes, challenge, base::Limits::Sip{}, msg::Framing::Datagram).accepted());
  deliver(kPhoneA, register_msg("alice", "sip:alice@x", 2,
                                answer(challenge, false, auth::Algorithm::Sha256, "alice", "alice-secret", "REGISTER",
                                       "sip:example.test")));
  ASSERT_NE(find(take(), kPhoneA, 200), nullptr);

  auto other = store::SqliteStore::open((dir_ / "w.db").string());
  ASSERT_TRUE(other);
  ASSERT_TRUE((*other)->remove_user("alice", "example.test"));
  loop_.advance(std::chrono::seconds(1));
  deliver(kPhoneA, register_msg("alice", "sip:alice@x", 3,
                                answer(challenge, false, auth::Algorithm::Sha256, "alice", "alice-secret", "REGISTER",
                                       "sip:example.test", "00000002")));
  auto r = take_slow();
  EXPECT_EQ(find(r, kPhoneA, 200), nullptr);
  EXPECT_NE(find(r, kPhoneA, 401), nullptr);

  // Added back by the other process: accepted again a second later.
  store::User u;
  u.username = "alice";
  u.domain = "example.test";
  u.ha1_sha256 = auth::compute_ha1(auth::Algorithm::Sha256, "alice", "example.test", "new-secret");
  ASSERT_TRUE((*other)->add_user(u));
  loop_.advance(std::chrono::seconds(1));
  deliver(kPhoneA, register_msg("alice", "sip:alice@x", 4));
  auto fresh = take_slow();  // after a failure the source's challenges wait (the tarpit)
  c = find(fresh, kPhoneA, 401);
  ASSERT_NE(c, nullptr);
  deliver(kPhoneA, register_msg("alice", "sip:alice@x", 5,
                                answer(c->m, false, auth::Algorithm::Sha256, "alice", "new-secret", "REGISTER",
                                       "sip:example.test")));
  EXPECT_NE(find(take(), kPhoneA, 200), nullptr);
}

// Removing an account removes its reach: a call to it gets 404 once the proxy sees the removal
// (within a second), its bindings leave memory and the store, and a restart does not bring
// them back.
TEST_F(ProxyTest, ARemovedAccountsBindingsAreDroppedAtTheNextCallForIt) {
  // Whether the INVITE with this branch was forwarded to bob's phone (the first one, never
  // answered, is retransmitted meanwhile).
  auto forwarded = [](const std::vector<Out>& out, std::string_view branch) {
    for (const Out* o : requests_to(out, kPhoneA))
      if (o->bytes.find(branch) != std::string::npos) return true;
    return false;
  };
  register_user("bob", "bob-secret", "sip:bob@" + kPhoneA.to_string(), kPhoneA);
  deliver(kCaller, invite("sip:bob@example.test", "sip:carol@elsewhere.test", "z9hG4bK-rm1"));
  EXPECT_TRUE(forwarded(take(), "z9hG4bK-rm1"));  // reachable while the account exists

  auto other = store::SqliteStore::open((dir_ / "w.db").string());
  ASSERT_TRUE(other);
  ASSERT_TRUE((*other)->remove_user("bob", "example.test"));
  loop_.advance(std::chrono::seconds(1));
  deliver(kCaller, invite("sip:bob@example.test", "sip:carol@elsewhere.test", "z9hG4bK-rm2"));
  auto r = take();
  EXPECT_NE(find(r, kCaller, 404), nullptr);
  EXPECT_FALSE(forwarded(r, "z9hG4bK-rm2"));
  EXPECT_EQ(proxy_->stats().bindings, 0u);
  auto stored = (*other)->load_bindings(0);
  ASSERT_TRUE(stored);
  for (const auto& b : *stored) EXPECT_NE(b.aor, "sip:bob@example.test");

  make_proxy(base_config());  // a restart: nothing of bob's comes back
  deliver(kCaller, invite("sip:bob@example.test", "sip:carol@elsewhere.test", "z9hG4bK-rm3"));
  r = take();
  EXPECT_NE(find(r, kCaller, 404), nullptr);
  EXPECT_FALSE(forwarded(r, "z9hG4bK-rm3"));
}

TEST_F(ProxyTest, NobodyRegistersSomebodyElsesAddress) {
  deliver(kPhoneA, register_msg("alice", "sip:evil@x", 1, "", "bob"));
  auto r = take();
  const Out* c = find(r, kPhoneA, 401);
  ASSERT_NE(c, nullptr);
  // alice's valid credentials on a REGISTER for bob's AoR.
  deliver(kPhoneA, register_msg("alice", "sip:evil@x", 2,
                                answer(c->m, false, auth::Algorithm::Sha256, "alice", "alice-secret", "REGISTER", "sip:example.test"), "bob"));
  r = take();
  EXPECT_NE(find(r, kPhoneA, 403), nullptr);
  EXPECT_EQ(proxy_->stats().bindings, 0u);
}

TEST_F(ProxyTest, ForeignCallerReachesARegisteredUserThroughRecordRoute) {
  register_user("bob", "bob-secret", "sip:bob@" + kPhoneA.to_string(), kPhoneA);
  deliver(kCaller, invite("sip:bob@example.test", "sip:carol@elsewhere.test", "z9hG4bK-inv1"));
  auto r = take();
  ASSERT_NE(find(r, kCaller, 100), nullptr);
  auto fwd = requests_to(r, kPhoneA);
  ASSERT_EQ(fwd.size(), 1u);
  const auto held = hold(fwd[0]);
  const msg::Message& f = held->m;
  EXPECT_EQ(f.request_uri.raw, "sip:bob@" + kPhoneA.to_string());
  ASSERT_EQ(f.vias.size(), 2u);
  EXPECT_EQ(f.vias[0].host, "127.0.0.1");
  EXPECT_EQ(f.vias[1].received, kCaller.address_string());  // RFC 3581: always with rport
  ASSERT_TRUE(f.vias[1].rport_value);
  EXPECT_EQ(*f.vias[1].rport_value, kCaller.port());
  EXPECT_EQ(f.max_forwards, 69);
  ASSERT_EQ(f.record_routes.size(), 1u);
  EXPECT_EQ(f.record_routes[0].raw, "<sip:127.0.0.1:5060;lr>");

  const std::string ringing = reply(f, 180);
  deliver(kPhoneA, ringing);
  r = take();
  const Out* up = find(r, kCaller, 180);
  ASSERT_NE(up, nullptr);
  ASSERT_EQ(up->m.vias.size(), 1u);
  EXPECT_EQ(up->m.vias[0].branch, "z9hG4bK-inv1");
  deliver(kPhoneA, reply(f, 200));
  r = take();
  ASSERT_NE(find(r, kCaller, 200), nullptr);

  // The ACK for the 2xx follows the Record-Route and is relayed without a transaction.
  const std::string ack =
      "ACK sip:callee@" + kPhoneA.to_string() + " SIP/2.0\r\n"
      "Via: SIP/2.0/UDP " + kCaller.to_string() + ";branch=z9hG4bK-ack1;rport\r\n"
      "Route: <sip:127.0.0.1:5060;lr>\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:carol@elsewhere.test>;tag=caller\r\n"
      "To: <sip:bob@example.test>;tag=callee\r\n"
      "Call-ID: call-z9hG4bK-inv1\r\n"
      "CSeq: 1 ACK\r\n"
      "Content-Length: 0\r\n\r\n";
  deliver(kCaller, ack);
  r = take();
  auto acks = requests_to(r, kPhoneA);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0]->m.method, msg::Method::Ack);
  EXPECT_TRUE(acks[0]->m.routes.empty());
}

TEST_F(ProxyTest, ForkingPicksTheTwoHundredOverABusyBranch) {
  register_user("bob", "bob-secret", "sip:bob@" + kPhoneA.to_string(), kPhoneA);
  register_user("bob", "bob-secret", "sip:bob@" + kPhoneB.to_string(), kPhoneB);
  deliver(kCaller, invite("sip:bob@example.test", "sip:carol@elsewhere.test", "z9hG4bK-fork"));
  auto r = take();
  auto a = requests_to(r, kPhoneA);
  auto b = requests_to(r, kPhoneB);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_NE(a[0]->m.vias[0].branch, b[0]->m.vias[0].branch);
  const msg::Message fa = a[0]->m;
  const std::string fa_bytes = a[0]->bytes;
  const std::string fb_bytes = b[0]->bytes;
  msg::Message ma, mb;
  ASSERT_TRUE(msg::parse_message(fa_bytes, ma, base::Limits::Sip{}, msg::Framing::Datagram).accepted());
  ASSERT_TRUE(msg::parse_message(fb_bytes, mb, base::Limits::Sip{}, msg::Framing::Datagram).accepted());

  deliver(kPhoneA, reply(ma, 486, "busy"));
  r = take();
  EXPECT_EQ(find(r, kCaller, 486), nullptr);  // held while the other branch may still answer
  EXPECT_EQ(requests_to(r, kPhoneA).size(), 1u);  // the ACK for the 486
  deliver(kPhoneB, reply(mb, 200, "answered"));
  r = take();
  const Out* ok = find(r, kCaller, 200);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->m.to.tag, "answered");
}

TEST_F(ProxyTest, BestResponseWhenEveryBranchFails) {
  register_user("bob", "bob-secret", "sip:bob@" + kPhoneA.to_string(), kPhoneA);
  register_user("bob", "bob-secret", "sip:bob@" + kPhoneB.to_string(), kPhoneB);
  deliver(kCaller, invite("sip:bob@example.test", "sip:carol@elsewhere.test", "z9hG4bK-fail"));
  auto r = take();
  const std::string fa = requests_to(r, kPhoneA)[0]->bytes, fb = requests_to(r, kPhoneB)[0]->bytes;
  msg::Message ma, mb;
  ASSERT_TRUE(msg::parse_message(fa, ma, base::Limits::Sip{}, msg::Framing::Datagram).accepted());
  ASSERT_TRUE(msg::parse_message(fb, mb, base::Limits::Sip{}, msg::Framing::Datagram).accepted());
  deliver(kPhoneA, reply(ma, 503));
  deliver(kPhoneB, reply(mb, 480));
  r = take();
  EXPECT_NE(find(r, kCaller, 480), nullptr);  // 4xx beats 5xx
  EXPECT_EQ(find(r, kCaller, 503), nullptr);
}

TEST_F(ProxyTest, CancelReachesEveryRingingBranchAndTheCallerGets487) {
  register_user("bob", "bob-secret", "sip:bob@" + kPhoneA.to_string(), kPhoneA);
  register_user("bob", "bob-secret", "sip:bob@" + kPhoneB.to_string(), kPhoneB);
  const std::string inv = invite("sip:bob@example.test", "sip:carol@elsewhere.test", "z9hG4bK-c1");
  deliver(kCaller, inv);
  auto r = take();
  const std::string fa = requests_to(r, kPhoneA)[0]->bytes, fb = requests_to(r, kPhoneB)[0]->bytes;
  msg::Message ma, mb;
  ASSERT_TRUE(msg::parse_message(fa, ma, base::Limits::Sip{}, msg::Framing::Datagram).accepted());
  ASSERT_TRUE(msg::parse_message(fb, mb, base::Limits::Sip{}, msg::Framing::Datagram).accepted());
  deliver(kPhoneA, reply(ma, 180, "ta"));
  deliver(kPhoneB, reply(mb, 180, "tb"));
  take();

  std::string cancel = inv;
  cancel.replace(0, 6, "CANCEL");
  cancel.replace(cancel.find("CSeq: 1 INVITE"), 14, "CSeq: 1 CANCEL");
  deliver(kCaller, cancel);
  r = take();
  const Out* ok = find(r, kCaller, 200);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->m.cseq.method, msg::Method::Cancel);
  auto ca = requests_to(r, kPhoneA);
  auto cb = requests_to(r, kPhoneB);
  ASSERT_EQ(ca.size(), 1u);
  ASSERT_EQ(cb.size(), 1u);
  EXPECT_EQ(ca[0]->m.method, msg::Method::Cancel);
  EXPECT_EQ(ca[0]->m.vias[0].branch, ma.vias[0].branch);  // §9.1: the INVITE's branch
  EXPECT_EQ(cb[0]->m.vias[0].branch, mb.vias[0].branch);

  deliver(kPhoneA, reply(ma, 487, "ta"));
  deliver(kPhoneB, reply(mb, 487, "tb"));
  r = take();
  EXPECT_NE(find(r, kCaller, 487), nullptr);

  // A CANCEL that matches nothing: 481.
  std::string stray = cancel;
  stray.replace(stray.find("z9hG4bK-c1;"), 11, "z9hG4bK-zz;");
  deliver(kCaller, stray);
  EXPECT_NE(find(take(), kCaller, 481), nullptr);
}

TEST_F(ProxyTest, UnknownUnregisteredAndLocalCallersNeedingAuth) {
  deliver(kCaller, invite("sip:nobody@example.test", "sip:carol@elsewhere.test", "z9hG4bK-u1"));
  {
    auto nf = take();
    const Out* r404 = find(nf, kCaller, 404);
    ASSERT_NE(r404, nullptr);
    ASSERT_TRUE(r404->m.vias[0].rport_value);  // the INVITE asked with rport
    EXPECT_EQ(*r404->m.vias[0].rport_value, kCaller.port());
    EXPECT_EQ(r404->m.vias[0].received, kCaller.address_string());
  }
  deliver(kCaller, invite("sip:bob@example.test", "sip:carol@elsewhere.test", "z9hG4bK-u2"));
  EXPECT_NE(find(take(), kCaller, 480), nullptr);

  // From a local user: 407 first, then the From must match the credentials.
  register_user("bob", "bob-secret", "sip:bob@" + kPhoneA.to_string(), kPhoneA);
  deliver(kCaller, invite("sip:bob@example.test", "sip:alice@example.test", "z9hG4bK-l1"));
  auto r = take();
  const Out* c = find(r, kCaller, 407);
  ASSERT_NE(c, nullptr);
  const std::string challenge = c->bytes;
  msg::Message ch;
  ASSERT_TRUE(msg::parse_message(challenge, ch, base::Limits::Sip{}, msg::Framing::Datagram).accepted());
  const std::string good = answer(ch, true, auth::Algorithm::Sha256, "alice", "alice-secret", "INVITE", "sip:bob@example.test");
  deliver(kCaller, invite("sip:bob@example.test", "sip:alice@example.test", "z9hG4bK-l2", "Proxy-Authorization: " + good + "\r\n"));
  r = take();
  EXPECT_NE(find(r, kCaller, 100), nullptr);
  EXPECT_EQ(requests_to(r, kPhoneA).size(), 1u);

  // bob's credentials on a call that claims to come from alice.
  const std::string bobs = answer(ch, true, auth::Algorithm::Sha256, "bob", "bob-secret", "INVITE", "sip:bob@example.test", "00000002");
  deliver(kCaller, invite("sip:bob@example.test", "sip:alice@example.test", "z9hG4bK-l3", "Proxy-Authorization: " + bobs + "\r\n"));
  EXPECT_NE(find(take(), kCaller, 403), nullptr);
}

TEST_F(ProxyTest, RelayingForStrangersIsDenied) {
  deliver(kCaller, invite("sip:someone@198.51.100.9", "sip:carol@elsewhere.test", "z9hG4bK-relay"));
  auto r = take();
  EXPECT_NE(find(r, kCaller, 403), nullptr);
  EXPECT_TRUE(requests_to(r, *Endpoint::parse("198.51.100.9:5060")).empty());
}

TEST_F(ProxyTest, MaxForwardsZeroAndLoopsAreRefused) {
  register_user("bob", "bob-secret", "sip:bob@" + kPhoneA.to_string(), kPhoneA);
  deliver(kCaller, invite("sip:bob@example.test", "sip:carol@elsewhere.test", "z9hG4bK-mf", "", 0));
  EXPECT_NE(find(take(), kCaller, 483), nullptr);

  // The forwarded request comes back to us unchanged (a downstream element routed it back with
  // the same Request-URI): our Via carries the same fingerprint, so it is a loop, not a spiral.
  deliver(kCaller, invite("sip:bob@example.test", "sip:carol@elsewhere.test", "z9hG4bK-loop"));
  auto r = take();
  auto fwd = requests_to(r, kPhoneA);
  ASSERT_EQ(fwd.size(), 1u);
  std::string back = fwd[0]->bytes;
  const std::string contact_ruri = "INVITE sip:bob@" + kPhoneA.to_string() + " ";
  ASSERT_EQ(back.rfind(contact_ruri, 0), 0u);
  back.replace(0, contact_ruri.size(), "INVITE sip:bob@example.test ");
  deliver(kPhoneA, back);
  bool looped = false;
  for (const auto& o : take())
    if (o.m.is_response() && o.m.status == 482) looped = true;
  EXPECT_TRUE(looped);
}

TEST_F(ProxyTest, OptionsForUsMalformedInputAndBranchTimeout) {
  const std::string options =
      "OPTIONS sip:127.0.0.1:5060 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP " + kCaller.to_string() + ";branch=z9hG4bK-opt\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:probe@elsewhere.test>;tag=p\r\n"
      "To: <sip:127.0.0.1:5060>\r\n"
      "Call-ID: opt-1\r\n"
      "CSeq: 1 OPTIONS\r\n"
      "Content-Length: 0\r\n\r\n";
  deliver(kCaller, options);
  auto r = take();
  const Out* ok = find(r, kCaller, 200);
  ASSERT_NE(ok, nullptr);
  EXPECT_NE(ok->m.find(msg::HeaderId::Allow), nullptr);

  // Wrong version: a stateless 505.
  std::string bad = options;
  bad.replace(bad.find("SIP/2.0\r\n"), 7, "SIP/7.0");
  bad.replace(bad.find("z9hG4bK-opt"), 11, "z9hG4bK-bad");
  deliver(kCaller, bad);
  r = take();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].m.status, 505);

  // A branch nobody answers: Timer B, then 408 upstream — on the manual clock.
  register_user("bob", "bob-secret", "sip:bob@" + kPhoneA.to_string(), kPhoneA);
  deliver(kCaller, invite("sip:bob@example.test", "sip:carol@elsewhere.test", "z9hG4bK-silent"));
  take();
  loop_.advance(std::chrono::seconds(31));
  r = take();
  EXPECT_GE(requests_to(r, kPhoneA).size(), 5u);  // INVITE retransmissions (Timer A)
  EXPECT_EQ(find(r, kCaller, 408), nullptr);
  loop_.advance(std::chrono::seconds(2));
  EXPECT_NE(find(take(), kCaller, 408), nullptr);
}

// At shutdown the transports go before the proxy: after remove_transports() a timer that fires
// (here Timer A's INVITE retransmissions to a silent branch) sends nothing and touches no
// transport.
TEST_F(ProxyTest, NothingIsSentAfterTheTransportsAreRemoved) {
  register_user("bob", "bob-secret", "sip:bob@" + kPhoneA.to_string(), kPhoneA);
  deliver(kCaller, invite("sip:bob@example.test", "sip:carol@elsewhere.test", "z9hG4bK-gone"));
  ASSERT_FALSE(requests_to(take(), kPhoneA).empty());
  proxy_->remove_transports();
  loop_.advance(std::chrono::seconds(40));
  EXPECT_TRUE(take().empty());
}

// When the group commit cannot write (another connection holds the database's write lock
// past the busy timeout), the REGISTER gets 500, not 200: with the request's Via, From, To
// (tagged), Call-ID and CSeq, but neither the registrar's Contact nor the request's
// Record-Route; the binding is not confirmed. Once the lock is gone, registering works again.
TEST_F(ProxyTest, RegisterGets500WhenTheStoreCannotCommit) {
  const auto with_rr = [](std::string m) {
    m.insert(m.find("Content-Length:"), "Record-Route: <sip:edge.example.test;lr>\r\n");
    return m;
  };
  deliver(kPhoneA, with_rr(register_msg("alice", "sip:alice@" + kPhoneA.to_string(), ++cseq_)));
  auto r = take();
  const Out* c = find(r, kPhoneA, 401);
  ASSERT_NE(c, nullptr);
  const std::string a = answer(c->m, false, auth::Algorithm::Sha256, "alice", "alice-secret", "REGISTER", "sip:example.test");

  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "w.db").string().c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  deliver(kPhoneA, with_rr(register_msg("alice", "sip:alice@" + kPhoneA.to_string(), ++cseq_, a)));
  r = take();
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  EXPECT_EQ(find(r, kPhoneA, 200), nullptr);
  const Out* failed = find(r, kPhoneA, 500);
  ASSERT_NE(failed, nullptr) << (r.empty() ? "nothing sent" : r[0].bytes);
  EXPECT_EQ(failed->m.reason, "Store Failure");
  EXPECT_EQ(failed->m.find(msg::HeaderId::Contact), nullptr) << failed->bytes;
  EXPECT_EQ(failed->m.find(msg::HeaderId::RecordRoute), nullptr) << failed->bytes;
  ASSERT_EQ(failed->m.vias.size(), 1u);
  EXPECT_EQ(failed->m.vias[0].branch, "z9hG4bK-reg-alice" + std::to_string(cseq_));
  EXPECT_EQ(failed->m.from.tag, "ralice");
  EXPECT_FALSE(failed->m.to.tag.empty());
  EXPECT_EQ(failed->m.call_id, "reg-alice");
  EXPECT_EQ(failed->m.cseq.number, static_cast<std::uint32_t>(cseq_));
  EXPECT_TRUE(failed->bytes.ends_with("\r\nContent-Length: 0\r\n\r\n")) << failed->bytes;

  register_user("alice", "alice-secret", "sip:alice@" + kPhoneA.to_string(), kPhoneA);
}

TEST_F(ProxyTest, BindingsSurviveARestart) {
  register_user("bob", "bob-secret", "sip:bob@" + kPhoneA.to_string(), kPhoneA);
  make_proxy(base_config());  // a new proxy on the same store
  EXPECT_EQ(proxy_->stats().bindings, 1u);
  deliver(kCaller, invite("sip:bob@example.test", "sip:carol@elsewhere.test", "z9hG4bK-after"));
  EXPECT_EQ(requests_to(take(), kPhoneA).size(), 1u);
}

}  // namespace
}  // namespace warden::proxy

namespace warden::proxy {
namespace {

TEST_F(ProxyTest, TimerCCancelsABranchThatRingsForever) {
  register_user("bob", "bob-secret", "sip:bob@" + kPhoneA.to_string(), kPhoneA);
  deliver(kCaller, invite("sip:bob@example.test", "sip:carol@elsewhere.test", "z9hG4bK-ring"));
  auto r = take();
  auto fwd = requests_to(r, kPhoneA);
  ASSERT_EQ(fwd.size(), 1u);
  const auto held = hold(fwd[0]);
  deliver(kPhoneA, reply(held->m, 180));
  ASSERT_NE(find(take(), kCaller, 180), nullptr);
  loop_.advance(std::chrono::seconds(100));
  deliver(kPhoneA, reply(held->m, 183));  // a new provisional restarts Timer C (§16.7 step 2)
  ASSERT_NE(find(take(), kCaller, 183), nullptr);
  loop_.advance(std::chrono::seconds(170));
  EXPECT_TRUE(requests_to(take(), kPhoneA).empty());
  loop_.advance(std::chrono::seconds(12));
  r = take();
  auto cancels = requests_to(r, kPhoneA);
  ASSERT_FALSE(cancels.empty());  // the CANCEL and its Timer E retransmissions
  for (const auto* c : cancels) EXPECT_EQ(c->m.method, msg::Method::Cancel);
  deliver(kPhoneA, reply(held->m, 487));
  EXPECT_NE(find(take(), kCaller, 487), nullptr);
}

}  // namespace
}  // namespace warden::proxy

namespace warden::proxy {
namespace {

// A UA on the proxy's own host, on another port: its Contact shares our address, but it is a
// remote target, not one of our addresses-of-record (found with baresip).
TEST_F(ProxyTest, InDialogRequestToAUaOnOurHostIsForwarded) {
  // bob's phone runs beside the proxy (same address, another port); a call reaches it.
  const Endpoint neighbour = *Endpoint::parse("127.0.0.1:5080");
  register_user("bob", "bob-secret", "sip:bob-x@127.0.0.1:5080", neighbour);
  deliver(kCaller, invite("sip:bob@example.test", "sip:carol@elsewhere.test", "z9hG4bK-nbinv"));
  auto r = take();
  auto inv = requests_to(r, neighbour);
  ASSERT_EQ(inv.size(), 1u);
  const auto held = hold(inv[0]);
  deliver(neighbour, reply(held->m, 200));
  ASSERT_NE(find(take(), kCaller, 200), nullptr);

  const std::string bye =
      "BYE sip:bob-x@127.0.0.1:5080 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP " + kCaller.to_string() + ";branch=z9hG4bK-bye1;rport\r\n"
      "Route: <sip:127.0.0.1:5060;lr>\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:carol@elsewhere.test>;tag=caller\r\n"
      "To: <sip:bob@example.test>;tag=callee\r\n"
      "Call-ID: call-z9hG4bK-nbinv\r\n"
      "CSeq: 7 BYE\r\n"
      "Content-Length: 0\r\n\r\n";
  deliver(kCaller, bye);
  r = take();
  auto fwd = requests_to(r, neighbour);
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0]->m.method, msg::Method::Bye);
  EXPECT_TRUE(fwd[0]->m.routes.empty());
  for (const auto& o : r) EXPECT_FALSE(o.m.is_response() && o.m.status == 404);

  // The same target outside a dialog, from a stranger: not ours to relay.
  deliver(kCaller, invite("sip:bob-x@127.0.0.1:5080", "sip:carol@elsewhere.test", "z9hG4bK-nb"));
  r = take();
  EXPECT_NE(find(r, kCaller, 403), nullptr);
  EXPECT_TRUE(requests_to(r, neighbour).empty());
}

// ---- the shield, wired (issue 5) ------------------------------------------------------------

const Endpoint kStranger = *Endpoint::parse("198.51.100.66:5099");

// A request of `method` from `from` (its Via names it too) for `ruri`.
std::string request_from(const Endpoint& from, const std::string& method, const std::string& ruri,
                         const std::string& from_uri, const std::string& branch, const std::string& extra = "") {
  return method + " " + ruri + " SIP/2.0\r\n"
         "Via: SIP/2.0/UDP " + from.to_string() + ";branch=" + branch + ";rport\r\n"
         "Max-Forwards: 70\r\n"
         "From: <" + from_uri + ">;tag=f-" + branch + "\r\n"
         "To: <" + ruri + ">\r\n"
         "Call-ID: id-" + branch + "\r\n"
         "CSeq: 1 " + method + "\r\n"
         "Contact: <sip:x@" + from.to_string() + ">\r\n" + extra +
         "Content-Length: 0\r\n\r\n";
}

// A response with the parts that differ by chance blanked: tags, nonces, branch.
std::string shape(const Out& o) {
  std::string s = std::to_string(o.m.status) + " " + std::string(o.m.reason) + "\n";
  for (const auto& h : o.m.headers) {
    s += std::string(h.name) + ":";
    if (h.id == msg::HeaderId::ProxyAuthenticate || h.id == msg::HeaderId::WwwAuthenticate) {
      msg::Challenge c;
      if (msg::parse_challenge(h.value, c))
        s += std::string(c.realm) + "/" + std::string(c.algorithm) + "/" + std::to_string(c.nonce.size()) + "/" +
             std::to_string(c.opaque.size());
    }
    s += "\n";
  }
  return s;
}

TEST_F(ProxyTest, UsersCannotBeEnumerated) {
  // bob is registered, alice exists but is not, nobody does not exist: to a stranger every
  // request for them looks the same (svwar compares exactly this).
  register_user("bob", "bob-secret", "sip:bob@" + kPhoneA.to_string(), kPhoneA);
  int n = 0;
  for (const std::string method : {"INVITE", "OPTIONS", "MESSAGE", "SUBSCRIBE"}) {
    std::vector<std::string> shapes;
    for (const std::string user : {"bob", "alice", "nobody"}) {
      deliver(kStranger, request_from(kStranger, method, "sip:" + user + "@example.test", "sip:x@elsewhere.test",
                                      "z9hG4bK-enum" + std::to_string(++n)));
      auto r = take();
      const Out* c = find(r, kStranger, 407);
      ASSERT_NE(c, nullptr) << method << " " << user;
      EXPECT_TRUE(requests_to(r, kPhoneA).empty());
      shapes.push_back(shape(*c));
    }
    EXPECT_EQ(shapes[0], shapes[1]) << method;
    EXPECT_EQ(shapes[1], shapes[2]) << method;
  }
  // REGISTER: the same 401 for an existing and an unknown account.
  std::vector<std::string> shapes;
  for (const std::string user : {"alice", "nobody"}) {
    std::string reg = register_msg(user, "sip:" + user + "@" + kStranger.to_string(), ++cseq_, "", "", kStranger);
    deliver(kStranger, reg);
    const auto r = take();
    const Out* c = find(r, kStranger, 401);
    ASSERT_NE(c, nullptr);
    shapes.push_back(shape(*c));
  }
  EXPECT_EQ(shapes[0], shapes[1]);
  // A peer (kCaller) still reaches bob without credentials.
  deliver(kCaller, invite("sip:bob@example.test", "sip:carol@elsewhere.test", "z9hG4bK-peer"));
  EXPECT_EQ(requests_to(take(), kPhoneA).size(), 1u);
}

TEST_F(ProxyTest, AChallengedInviteGetsOnePacketNotARetransmittedSeries) {
  // A spoofed INVITE names a victim as its source: the victim must get one 407, no 100
  // Trying before it and no Timer G retransmissions after it (RFC 3261 §17.2.1 would resend
  // a final response up to ten times over 32 s while no ACK comes).
  const std::string inv = request_from(kStranger, "INVITE", "sip:bob@example.test", "sip:x@elsewhere.test",
                                       "z9hG4bK-amp");
  deliver(kStranger, inv);
  auto r = take();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].m.status, 407);
  EXPECT_LT(r[0].bytes.size(), 3 * inv.size());
  loop_.advance(std::chrono::seconds(40));
  EXPECT_TRUE(take_now().empty());
  // The caller's own retransmission of the INVITE is challenged again.
  deliver(kStranger, inv);
  r = take();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].m.status, 407);
}

TEST_F(ProxyTest, PasswordGuessingIsTarpittedThenTheSourceBannedNotTheAccount) {
  const std::string contact = "sip:alice@" + kStranger.to_string();
  deliver(kStranger, register_msg("alice", contact, ++cseq_, "", "", kStranger));
  const auto first = take();
  const Out* c = find(first, kStranger, 401);
  ASSERT_NE(c, nullptr);
  const auto challenge = hold(c);
  int answered = 0;
  int attempts = 0;
  base::Duration slowest{};
  for (int i = 0; i < 12; ++i) {
    ++attempts;
    const std::string guess = "guess-" + std::to_string(i);
    char nc[9];
    std::snprintf(nc, sizeof nc, "%08x", i + 1);
    deliver(kStranger, register_msg("alice", contact, ++cseq_,
                                    answer(challenge->m, false, auth::Algorithm::Sha256, "alice", guess, "REGISTER",
                                           "sip:example.test", nc),
                                    "", kStranger));
    // The 401 comes only after the tarpit's delay.
    EXPECT_EQ(find(take_now(), kStranger, 401), nullptr);
    const base::TimePoint sent = clock_.now();
    base::Duration waited{};
    bool got = false;
    while (waited < std::chrono::seconds(10) && !got) {
      loop_.advance(std::chrono::milliseconds(100));
      waited = clock_.now() - sent;
      got = find(take_now(), kStranger, 401) != nullptr;
    }
    if (!got) break;  // banned: no answer any more
    ++answered;
    slowest = std::max(slowest, waited);
    // Asking for a fresh challenge instead of waiting does not help: it is delayed as well.
    deliver(kStranger, register_msg("alice", contact, ++cseq_, "", "", kStranger));
    EXPECT_EQ(find(take(), kStranger, 401), nullptr) << "attempt " << attempts;
    loop_.advance(std::chrono::seconds(10));
    EXPECT_NE(find(take_now(), kStranger, 401), nullptr) << "attempt " << attempts;
  }
  EXPECT_LE(attempts, 10);  // banned within ten failures
  EXPECT_GE(answered, 2);
  EXPECT_GE(slowest, std::chrono::milliseconds(500));
  EXPECT_TRUE(proxy_->shield()->is_banned(*shield::Address::parse(kStranger.address_string()), clock_.now()));
  // Everything from the banned source is dropped before parsing; nothing is answered.
  const auto dropped = proxy_->stats().shield_dropped;
  deliver(kStranger, register_msg("alice", contact, ++cseq_, "", "", kStranger));
  EXPECT_TRUE(take().empty());
  EXPECT_EQ(proxy_->stats().shield_dropped, dropped + 1);
  // The account's owner, elsewhere, registers as usual.
  register_user("alice", "alice-secret", "sip:alice@" + kPhoneA.to_string(), kPhoneA);
  // The ban survives a restart (store).
  make_proxy(base_config());
  deliver(kStranger, register_msg("alice", contact, ++cseq_, "", "", kStranger));
  EXPECT_TRUE(take().empty());
}

TEST_F(ProxyTest, AScannerIsBannedWithoutAnAnswer) {
  deliver(kStranger, request_from(kStranger, "OPTIONS", "sip:100@example.test", "sip:100@example.test",
                                  "z9hG4bK-scan", "User-Agent: friendly-scanner\r\n"));
  EXPECT_TRUE(take().empty());
  EXPECT_TRUE(proxy_->shield()->is_banned(*shield::Address::parse(kStranger.address_string()), clock_.now()));
}

TEST_F(ProxyTest, ForgedCancelAndByeFromAThirdAddressAreRefused) {
  register_user("bob", "bob-secret", "sip:bob@" + kPhoneA.to_string(), kPhoneA);
  const std::string inv = invite("sip:bob@example.test", "sip:carol@elsewhere.test", "z9hG4bK-fc");
  deliver(kCaller, inv);
  auto r = take();
  auto fwd = requests_to(r, kPhoneA);
  ASSERT_EQ(fwd.size(), 1u);
  const auto held = hold(fwd[0]);
  deliver(kPhoneA, reply(held->m, 180));
  take();

  // The attacker saw the INVITE: same Via branch, Call-ID and tags, sent from elsewhere.
  std::string cancel = inv;
  cancel.replace(0, 6, "CANCEL");
  cancel.replace(cancel.find("CSeq: 1 INVITE"), 14, "CSeq: 1 CANCEL");
  deliver(kStranger, cancel);
  r = take();
  EXPECT_NE(find(r, kStranger, 481), nullptr);
  EXPECT_TRUE(requests_to(r, kPhoneA).empty());  // no CANCEL reaches the phone
  EXPECT_EQ(proxy_->stats().refused_attacks, 1u);

  // The call is answered and goes on; a BYE with the right Call-ID and tags from a third
  // address is refused, the parties' BYE goes through.
  deliver(kPhoneA, reply(held->m, 200));
  ASSERT_NE(find(take(), kCaller, 200), nullptr);
  EXPECT_EQ(proxy_->stats().dialogs, 1u);
  auto bye_from = [&](const Endpoint& from, const std::string& branch, const std::string& call_id) {
    return "BYE sip:callee@" + kPhoneA.to_string() + " SIP/2.0\r\n"
           "Via: SIP/2.0/UDP " + from.to_string() + ";branch=" + branch + ";rport\r\n"
           "Route: <sip:127.0.0.1:5060;lr>\r\n"
           "Max-Forwards: 70\r\n"
           "From: <sip:carol@elsewhere.test>;tag=caller\r\n"
           "To: <sip:bob@example.test>;tag=callee\r\n"
           "Call-ID: " + call_id + "\r\n"
           "CSeq: 2 BYE\r\n"
           "Content-Length: 0\r\n\r\n";
  };
  deliver(kStranger, bye_from(kStranger, "z9hG4bK-fb1", "call-z9hG4bK-fc"));
  r = take();
  EXPECT_NE(find(r, kStranger, 403), nullptr);
  EXPECT_TRUE(requests_to(r, kPhoneA).empty());
  deliver(kCaller, bye_from(kCaller, "z9hG4bK-fb2", "call-unknown"));
  r = take();
  EXPECT_NE(find(r, kCaller, 481), nullptr);
  EXPECT_TRUE(requests_to(r, kPhoneA).empty());

  deliver(kCaller, bye_from(kCaller, "z9hG4bK-fb3", "call-z9hG4bK-fc"));
  r = take();
  auto byes = requests_to(r, kPhoneA);
  ASSERT_EQ(byes.size(), 1u);
  const auto bye = hold(byes[0]);
  deliver(kPhoneA, reply(bye->m, 200));
  EXPECT_NE(find(take(), kCaller, 200), nullptr);
  EXPECT_EQ(proxy_->stats().dialogs, 0u);  // the dialog ended
  EXPECT_EQ(proxy_->stats().refused_attacks, 3u);
}

TEST_F(ProxyTest, RedirectsToAnotherDomainAreRefused) {
  register_user("bob", "bob-secret", "sip:bob@" + kPhoneA.to_string(), kPhoneA);
  auto redirect = [&](const std::string& branch, const std::string& target) {
    deliver(kCaller, invite("sip:bob@example.test", "sip:carol@elsewhere.test", branch));
    auto r = take();
    auto fwd = requests_to(r, kPhoneA);
    EXPECT_EQ(fwd.size(), 1u);
    if (fwd.empty()) return std::vector<Out>{};
    const auto held = hold(fwd[0]);
    std::string moved = reply(held->m, 301);
    moved.insert(moved.find("Content-Length"), "Contact: <" + target + ">\r\n");
    deliver(kPhoneA, moved);
    return take();
  };
  auto r = redirect("z9hG4bK-3xx1", "sip:bob@evil.test");
  EXPECT_EQ(find(r, kCaller, 301), nullptr);
  EXPECT_NE(find(r, kCaller, 502), nullptr);
  r = redirect("z9hG4bK-3xx2", "tel:+19005550100");
  EXPECT_NE(find(r, kCaller, 502), nullptr);
  // Within the same domain a redirect is the callee's business.
  r = redirect("z9hG4bK-3xx3", "sip:bob-desk@example.test");
  EXPECT_NE(find(r, kCaller, 301), nullptr);
  EXPECT_EQ(proxy_->stats().refused_attacks, 2u);
}

TEST_F(ProxyTest, TollFraudPremiumNumbersAndCallLimits) {
  ProxyConfig cfg = base_config();
  cfg.call_guard.max_concurrent_calls = 2;
  make_proxy(cfg);
  const Endpoint gateway = *Endpoint::parse("198.51.100.9:5060");
  auto call = [&](const std::string& ruri, const std::string& branch) {
    deliver(kCaller, invite(ruri, "sip:alice@example.test", branch));
    auto r = take();
    const Out* c = find(r, kCaller, 407);
    EXPECT_NE(c, nullptr);
    if (c == nullptr) return r;
    const auto ch = hold(c);
    const std::string a = answer(ch->m, true, auth::Algorithm::Sha256, "alice", "alice-secret", "INVITE", ruri);
    deliver(kCaller, invite(ruri, "sip:alice@example.test", branch + "a", "Proxy-Authorization: " + a + "\r\n"));
    return take();
  };
  // International premium rate (+979) and a North American 900 number: refused. An ordinary
  // international number goes to the gateway.
  auto r = call("sip:+9791234567@198.51.100.9", "z9hG4bK-tf1");
  EXPECT_NE(find(r, kCaller, 403), nullptr);
  EXPECT_TRUE(requests_to(r, gateway).empty());
  r = call("sip:00-1-900-555-0100@198.51.100.9", "z9hG4bK-tf2");
  EXPECT_NE(find(r, kCaller, 403), nullptr);
  r = call("sip:+493012345678@198.51.100.9", "z9hG4bK-tf3");
  EXPECT_EQ(requests_to(r, gateway).size(), 1u);
  // That call rings on; one more is allowed, the third at once is not.
  r = call("sip:+493012345679@198.51.100.9", "z9hG4bK-tf4");
  EXPECT_EQ(requests_to(r, gateway).size(), 1u);
  r = call("sip:+493012345670@198.51.100.9", "z9hG4bK-tf5");
  const Out* refused = find(r, kCaller, 403);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->m.reason, "Too Many Calls");
  EXPECT_TRUE(requests_to(r, gateway).empty());
  EXPECT_GE(proxy_->stats().refused_attacks, 3u);
}

TEST_F(ProxyTest, SpitIsDeclinedOrDiverted) {
  register_user("bob", "bob-secret", "sip:bob@" + kPhoneA.to_string(), kPhoneA);
  // A robocaller behind a peer: many calls a minute to many different users.
  int declined = 0, first_declined = 0;
  for (int i = 1; i <= 25; ++i) {
    deliver(kCaller, invite("sip:user" + std::to_string(i) + "@example.test", "sip:robo@spam.test",
                            "z9hG4bK-spit" + std::to_string(i)));
    if (find(take(), kCaller, 603) != nullptr && ++declined == 1) first_declined = i;
  }
  EXPECT_GT(first_declined, 5);  // the first calls of anybody pass
  EXPECT_GE(declined, 5);
  // Somebody else calling bob at the same time is not affected.
  deliver(kCaller, invite("sip:bob@example.test", "sip:carol@elsewhere.test", "z9hG4bK-normal"));
  EXPECT_EQ(requests_to(take(), kPhoneA).size(), 1u);

  // With a divert target the robocaller reaches the mailbox (bob here) instead.
  ProxyConfig cfg = base_config();
  cfg.spit.divert_to = "sip:bob@example.test";
  make_proxy(cfg);
  int diverted = 0;
  for (int i = 1; i <= 25; ++i) {
    deliver(kCaller, invite("sip:user" + std::to_string(i) + "@example.test", "sip:robo@spam.test",
                            "z9hG4bK-div" + std::to_string(i)));
    auto r = take();
    EXPECT_EQ(find(r, kCaller, 603), nullptr);
    for (const Out* o : requests_to(r, kPhoneA)) diverted += o->m.request_uri.user == "bob";
  }
  EXPECT_GE(diverted, 5);
}

TEST_F(ProxyTest, FloodsAreDroppedPerSourceAndAnswered503UnderOverload) {
  ProxyConfig cfg = base_config();
  cfg.shield.admission.per_source = {1, 3};
  cfg.shield.admission.capacity = 1;
  cfg.shield.admission.capacity_burst = 6;
  cfg.shield.admission.trusted_reserve = 0.5;
  make_proxy(cfg);
  int answered = 0;
  for (int i = 0; i < 10; ++i) {
    deliver(kStranger, request_from(kStranger, "OPTIONS", "sip:example.test", "sip:x@elsewhere.test",
                                    "z9hG4bK-fl" + std::to_string(i)));
    answered += static_cast<int>(take_now().size());
  }
  EXPECT_EQ(answered, 3);  // the burst, then nothing
  EXPECT_EQ(proxy_->stats().shield_dropped, 7u);
  // Other unknown sources: the global gate keeps half for trusted sources; beyond, 503.
  int overloaded = 0;
  for (int i = 0; i < 6; ++i) {
    const Endpoint other = *Endpoint::parse("203.0.113." + std::to_string(10 + i) + ":5060");
    deliver(other, request_from(other, "OPTIONS", "sip:example.test", "sip:x@elsewhere.test",
                                "z9hG4bK-ov" + std::to_string(i)));
    for (const auto& o : take_now()) {
      if (o.m.status != 503) continue;
      ++overloaded;
      EXPECT_NE(o.m.find("Retry-After"), nullptr);
    }
  }
  EXPECT_GE(overloaded, 1);
  EXPECT_GE(proxy_->stats().shield_overload, 1u);
}

}  // namespace
}  // namespace warden::proxy

namespace warden::proxy {
namespace {

TEST_F(ProxyTest, OptionsForAUserIsRoutedNotAnswered) {
  register_user("bob", "bob-secret", "sip:bob@" + kPhoneA.to_string(), kPhoneA);
  const std::string options =
      "OPTIONS sip:bob@example.test SIP/2.0\r\n"
      "Via: SIP/2.0/UDP " + kCaller.to_string() + ";branch=z9hG4bK-ou\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:probe@elsewhere.test>;tag=p\r\n"
      "To: <sip:bob@example.test>\r\n"
      "Call-ID: opt-user\r\n"
      "CSeq: 1 OPTIONS\r\n"
      "Content-Length: 0\r\n\r\n";
  deliver(kCaller, options);
  auto r = take();
  EXPECT_EQ(find(r, kCaller, 200), nullptr);
  auto fwd = requests_to(r, kPhoneA);
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0]->m.method, msg::Method::Options);
}

// ---- issue 7: other domains by DNS (RFC 3263), failover, TLS names, domain policy ----------

// A DNS table; answers wait until answer_all() (as a real resolver's would) unless `at_once`.
class FakeDns final : public runtime::DnsResolver {
 public:
  void query(std::string_view name, runtime::DnsType type, runtime::DnsCallback done) override {
    ++queries;
    auto it = records.find({std::string(name), type});
    base::Result<runtime::DnsAnswer> r =
        it == records.end() ? base::Result<runtime::DnsAnswer>(runtime::DnsErrc::NameNotFound) : it->second;
    if (at_once) {
      done(std::move(r));
      return;
    }
    pending.push_back([d = std::move(done), r = std::move(r)]() mutable { d(std::move(r)); });
  }
  void answer_all() {
    while (!pending.empty()) {
      auto p = std::move(pending);
      pending.clear();
      for (auto& f : p) f();
    }
  }
  void srv(const std::string& owner, std::uint16_t prio, std::uint16_t port, const std::string& target) {
    records[{owner, runtime::DnsType::SRV}].srv.push_back(runtime::DnsSrv{prio, 0, port, target, 300});
  }
  void a(const std::string& name, const std::string& addr) {
    records[{name, runtime::DnsType::A}].addresses.push_back(runtime::DnsAddress{*Endpoint::from_address(addr, 0), 300});
  }
  std::map<std::pair<std::string, runtime::DnsType>, runtime::DnsAnswer> records;
  std::vector<std::function<void()>> pending;
  std::size_t queries = 0;
  bool at_once = false;
};

class ProxyDnsTest : public ProxyTest {
 protected:
  void SetUp() override {
    ProxyTest::SetUp();
    dns_.srv("_sip._udp.other.test", 10, 5080, "one.other.test");
    dns_.srv("_sip._udp.other.test", 20, 5090, "two.other.test");
    dns_.a("one.other.test", "192.0.2.50");
    dns_.a("two.other.test", "192.0.2.51");
    dns_.records[{"secure.test", runtime::DnsType::NAPTR}].naptr.push_back(
        runtime::DnsNaptr{10, 10, "s", "SIPS+D2T", "", "_sips._tcp.secure.test", 300});
    dns_.srv("_sips._tcp.secure.test", 10, 5061, "a.secure.test");
    dns_.srv("_sips._tcp.secure.test", 20, 5061, "b.secure.test");
    dns_.a("a.secure.test", "192.0.2.60");
    dns_.a("b.secure.test", "192.0.2.61");
    // The sip:/UDP records of secure.test too: only a policy keeps a call off them.
    dns_.srv("_sip._udp.secure.test", 5, 5060, "plain.secure.test");
    dns_.a("plain.secure.test", "192.0.2.62");
  }
  void make_dns_proxy(ProxyConfig cfg, bool with_tls) {
    proxy_.reset();
    proxy_ = std::make_unique<Proxy>(cfg, loop_, clock_, *store_, rng_, base::Logger{});
    proxy_->add_transport(udp_);
    if (with_tls) proxy_->add_transport(tls_);
    proxy_->use_dns(dns_);
    ASSERT_TRUE(proxy_->start());
  }
  // alice's INVITE to `ruri`, answered to its 407: what the proxy sent after it.
  std::vector<Out> authenticated_invite(const std::string& ruri, const std::string& branch) {
    deliver(kCaller, invite(ruri, "sip:alice@example.test", branch + "a"));
    auto r = take();
    const Out* c = find(r, kCaller, 407);
    EXPECT_NE(c, nullptr);
    if (c == nullptr) return {};
    const std::string a = answer(c->m, true, auth::Algorithm::Sha256, "alice", "alice-secret", "INVITE", ruri);
    deliver(kCaller, invite(ruri, "sip:alice@example.test", branch, "Proxy-Authorization: " + a + "\r\n"));
    return take();
  }
  FakeDns dns_;
};

TEST_F(ProxyDnsTest, AForeignDomainIsLocatedBySrvAndA503MovesToTheNextServer) {
  make_dns_proxy(base_config(), false);
  const Endpoint one = *Endpoint::parse("192.0.2.50:5080"), two = *Endpoint::parse("192.0.2.51:5090");
  auto r = authenticated_invite("sip:carol@other.test", "z9hG4bK-dns1");
  EXPECT_NE(find(r, kCaller, 100), nullptr);  // at once, while DNS answers
  EXPECT_TRUE(requests_to(r, one).empty());
  dns_.answer_all();
  r = take();
  auto first = requests_to(r, one);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0]->m.request_uri.host, "other.test");
  auto held = hold(first[0]);
  deliver(one, reply(held->m, 503));
  r = take();
  EXPECT_EQ(find(r, kCaller, 503), nullptr);
  EXPECT_EQ(find(r, kCaller, 500), nullptr);
  auto second = requests_to(r, two);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(second[0]->m.vias[0].branch, held->m.vias[0].branch);
  auto held2 = hold(second[0]);
  deliver(two, reply(held2->m, 200, "carol"));
  r = take();
  const Out* ok = find(r, kCaller, 200);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->m.to.tag, "carol");
}

TEST_F(ProxyDnsTest, ASilentServerIsLeftAfterTimerBAndTheLastFailureIsAnswered) {
  make_dns_proxy(base_config(), false);
  dns_.at_once = true;  // a cached answer: located within the same call
  const Endpoint one = *Endpoint::parse("192.0.2.50:5080"), two = *Endpoint::parse("192.0.2.51:5090");
  auto r = authenticated_invite("sip:carol@other.test", "z9hG4bK-dns2");
  ASSERT_EQ(requests_to(r, one).size(), 1u);
  loop_.advance(std::chrono::seconds(31));
  r = take_now();
  EXPECT_TRUE(requests_to(r, two).empty());  // retransmissions to the first server only
  loop_.advance(std::chrono::seconds(2));    // Timer B: 64*T1 = 32 s
  r = take_now();
  auto second = requests_to(r, two);
  ASSERT_FALSE(second.empty());  // the INVITE and, by now, its first retransmissions
  for (const auto* o : second) EXPECT_EQ(o->m.vias[0].branch, second[0]->m.vias[0].branch);
  auto held = hold(second[0]);
  deliver(two, reply(held->m, 503));
  r = take();
  // No server left: the caller gets the failure, a 503 downstream becoming 500 (§16.7).
  EXPECT_NE(find(r, kCaller, 500), nullptr);
}

TEST_F(ProxyDnsTest, ACancelWhileLocatingEndsTheInviteAndNothingIsSentAfterwards) {
  make_dns_proxy(base_config(), false);
  auto r = authenticated_invite("sip:carol@other.test", "z9hG4bK-dns3");
  ASSERT_NE(find(r, kCaller, 100), nullptr);
  std::string cancel = invite("sip:carol@other.test", "sip:alice@example.test", "z9hG4bK-dns3");
  cancel.replace(0, 6, "CANCEL");
  cancel.replace(cancel.find("CSeq: 1 INVITE"), 14, "CSeq: 1 CANCEL");
  deliver(kCaller, cancel);
  r = take();
  EXPECT_NE(find(r, kCaller, 200), nullptr);
  EXPECT_NE(find(r, kCaller, 487), nullptr);
  dns_.answer_all();
  r = take();
  EXPECT_TRUE(requests_to(r, *Endpoint::parse("192.0.2.50:5080")).empty());
}

TEST_F(ProxyDnsTest, RequireTlsUsesOnlyTlsTargetsVerifiedForTheDomainWithTwoRecordRoutes) {
  ProxyConfig cfg = base_config();
  cfg.domain_policies = {{"secure.test", DomainAction::RequireTls}};
  make_dns_proxy(cfg, true);
  dns_.at_once = true;
  auto r = authenticated_invite("sip:dave@secure.test", "z9hG4bK-tls1");
  ASSERT_EQ(tls_.connects.size(), 1u);
  EXPECT_EQ(tls_.connects[0].server_name, "secure.test");  // the domain, not the SRV target
  EXPECT_EQ(tls_.connects[0].to, *Endpoint::parse("192.0.2.60:5061"));
  EXPECT_TRUE(requests_to(r, *Endpoint::parse("192.0.2.62:5060")).empty());
  auto fwd = requests_to(r, *Endpoint::parse("192.0.2.60:5061"));
  ASSERT_EQ(fwd.size(), 1u);
  // RFC 5658: the route facing the callee (TLS) first, then the one facing the caller (UDP).
  // Toward another domain it names our domain, so that the other side can verify our
  // certificate when it sends back inside the dialog (an address cannot be checked).
  ASSERT_EQ(fwd[0]->m.record_routes.size(), 2u);
  EXPECT_EQ(fwd[0]->m.record_routes[0].uri.host, "example.test");
  EXPECT_FALSE(fwd[0]->m.record_routes[0].uri.port);
  EXPECT_EQ(fwd[0]->m.record_routes[0].uri.param("transport"), "tls");
  EXPECT_EQ(fwd[0]->m.record_routes[1].uri.port, 5060);
  EXPECT_EQ(fwd[0]->m.vias[0].transport, "TLS");

  // The connection fails (say its certificate was not for secure.test): the next server, at
  // once, without waiting for Timer B.
  proxy_->on_flow_closed(1, tls_.connects[0].to, std::make_error_code(std::errc::connection_refused));
  r = take_now();
  ASSERT_EQ(tls_.connects.size(), 2u);
  EXPECT_EQ(tls_.connects[1].server_name, "secure.test");
  EXPECT_EQ(requests_to(r, *Endpoint::parse("192.0.2.61:5061")).size(), 1u);

  // sips: is TLS whatever the policy says.
  cfg.domain_policies.clear();
  make_dns_proxy(cfg, true);
  tls_.connects.clear();
  r = authenticated_invite("sips:dave@secure.test", "z9hG4bK-tls2");
  ASSERT_EQ(tls_.connects.size(), 1u);
  EXPECT_EQ(tls_.connects[0].server_name, "secure.test");
  // A sip: URI follows the domain's NAPTR too (only SIPS+D2T here), over the connection
  // already verified for the domain; its _sip._udp SRV is never used.
  r = authenticated_invite("sip:dave@secure.test", "z9hG4bK-tls3");
  EXPECT_EQ(tls_.connects.size(), 1u);
  EXPECT_EQ(requests_to(r, *Endpoint::parse("192.0.2.60:5061")).size(), 1u);
  EXPECT_TRUE(requests_to(r, *Endpoint::parse("192.0.2.62:5060")).empty());
}

TEST_F(ProxyDnsTest, DeniedDomainsGet403BothWaysAndNoQuery) {
  ProxyConfig cfg = base_config();
  cfg.domain_policies = {{"evil.test", DomainAction::Deny}, {"*", DomainAction::Allow}};
  make_dns_proxy(cfg, false);
  auto r = authenticated_invite("sip:x@evil.test", "z9hG4bK-deny1");
  EXPECT_NE(find(r, kCaller, 403), nullptr);
  EXPECT_EQ(dns_.queries, 0u);
  // From a denied domain, even through a peer.
  register_user("bob", "bob-secret", "sip:bob@" + kPhoneA.to_string(), kPhoneA);
  deliver(kCaller, invite("sip:bob@example.test", "sip:mallory@evil.test", "z9hG4bK-deny2"));
  r = take();
  EXPECT_NE(find(r, kCaller, 403), nullptr);
  EXPECT_TRUE(requests_to(r, kPhoneA).empty());
  // RequireTls for a caller's domain: over UDP refused.
  cfg.domain_policies = {{"secure.test", DomainAction::RequireTls}};
  make_dns_proxy(cfg, false);
  deliver(kCaller, invite("sip:bob@example.test", "sip:dave@secure.test", "z9hG4bK-deny3"));
  r = take();
  EXPECT_NE(find(r, kCaller, 403), nullptr);
}

TEST_F(ProxyDnsTest, WithoutDnsANameGets503AndNothingIsSent) {
  make_proxy(base_config());
  auto r = authenticated_invite("sip:carol@other.test", "z9hG4bK-nodns");
  EXPECT_NE(find(r, kCaller, 503), nullptr);
}

TEST_F(ProxyDnsTest, NoServerFoundGets503WithRetryAfter) {
  make_dns_proxy(base_config(), false);
  dns_.at_once = true;
  auto r = authenticated_invite("sip:carol@nowhere.test", "z9hG4bK-nxd");
  const Out* e = find(r, kCaller, 503);
  ASSERT_NE(e, nullptr);
  EXPECT_NE(e->m.find("Retry-After"), nullptr);
}

// ---- issue 7: SIP Identity signed by the caller's proxy, verified by the callee's ------------

std::string read_text(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The info URL's certificate, as the HTTPS fetcher would deliver it (or a failure).
class FakeCertificates final : public sip::identity::CertificateSource {
 public:
  void fetch(const std::string& url, Done done) override {
    urls.push_back(url);
    if (chain.empty()) {
      done(base::Errc::Io);
      return;
    }
    done(chain);
  }
  std::vector<crypto::Certificate> chain;
  std::vector<std::string> urls;
};

class ProxyIdentityTest : public ProxyDnsTest {
 protected:
  void SetUp() override {
    ProxyDnsTest::SetUp();
    std::string error;
    auto pki = crypto::ensure_dev_pki(dir_ / "pki", {"example.test"}, error);
    ASSERT_TRUE(pki) << error;
    auto key = crypto::EcPrivateKey::from_pem(read_text(pki->server_key));
    ASSERT_TRUE(key);
    signer_ = std::make_unique<sip::identity::IdentitySigner>(std::move(*key), "https://example.test/cert.pem", rng_);
    crypto::TrustStore anchors;
    ASSERT_TRUE(anchors.add_pem(read_text(pki->ca_certificate)));
    verifier_ = std::make_unique<sip::identity::IdentityVerifier>(anchors);
    auto chain = crypto::Certificate::chain_from_pem(read_text(pki->server_certificate));
    ASSERT_TRUE(chain);
    certs_.chain = *chain;
    // bob of other.test, with an account and registered at the terminating proxy.
    store::User bob;
    bob.username = "bob";
    bob.domain = "other.test";
    bob.ha1_sha256 = auth::compute_ha1(auth::Algorithm::Sha256, "bob", "other.test", "bob-secret");
    ASSERT_TRUE(store_->add_user(bob));
    store::Binding b;
    b.aor = "sip:bob@other.test";
    b.contact = "sip:bob@" + kPhoneB.to_string();
    b.call_id = "reg-bob-other";
    b.cseq = 1;
    b.expires_at = 1'800'000'000 + 7200;
    ASSERT_TRUE(store_->put_binding(b));
  }
  // The terminating proxy of other.test, where example.test's proxy (127.0.0.1) is a peer.
  void make_terminating(bool reject_failed = false) {
    ProxyConfig cfg;
    cfg.domains = {"other.test"};
    cfg.peers = {*shield::Network::parse(kProxy.address_string())};
    cfg.reject_failed_identity = reject_failed;
    term_ = std::make_unique<Proxy>(cfg, loop_, clock_, *store_, rng_, base::Logger{});
    term_->add_transport(term_udp_);
    term_->use_identity(nullptr, verifier_.get(), &certs_);
    ASSERT_TRUE(term_->start());
  }
  // The INVITE as example.test's proxy signed and sent it to other.test (192.0.2.50:5080).
  std::string signed_invite(const std::string& branch) {
    ProxyConfig cfg = base_config();
    make_dns_proxy(cfg, false);
    proxy_->use_identity(signer_.get(), nullptr, nullptr);
    dns_.at_once = true;
    // The caller's own Identity header is not passed on: the proxy signs instead.
    auto r = authenticated_invite("sip:bob@other.test", branch);
    auto fwd = requests_to(r, *Endpoint::parse("192.0.2.50:5080"));
    EXPECT_EQ(fwd.size(), 1u);
    return fwd.empty() ? std::string() : fwd[0]->bytes;
  }
  // Delivers `bytes` to the terminating proxy from example.test's proxy; what it sent to bob.
  std::vector<Out> deliver_to_terminating(const std::string& bytes) {
    runtime::InboundMessage in;
    in.kind = TransportKind::Udp;
    in.local = term_udp_.local_endpoint();
    in.remote = kProxy;
    in.bytes = bytes;
    term_->on_message(in);
    loop_.advance(std::chrono::milliseconds(20));
    std::vector<Out> out;
    for (auto& sent : term_udp_.sent) out.push_back(Out{sent.to, std::move(sent.bytes), {}});
    term_udp_.sent.clear();
    for (auto& o : out) EXPECT_TRUE(msg::parse_message(o.bytes, o.m, base::Limits::Sip{}, msg::Framing::Datagram).accepted());
    return out;
  }
  static std::string verstat_of(const Out& o) {
    auto v = o.m.from.uri.param("verstat");
    return v ? std::string(*v) : std::string("(none)");
  }
  RecordingTransport term_udp_{TransportKind::Udp, *Endpoint::parse("192.0.2.50:5080")};
  std::unique_ptr<Proxy> term_;
  std::unique_ptr<sip::identity::IdentitySigner> signer_;
  std::unique_ptr<sip::identity::IdentityVerifier> verifier_;
  FakeCertificates certs_;
};

TEST_F(ProxyIdentityTest, TheCallersProxySignsAndTheCalleesProxyVerifies) {
  const std::string inv = signed_invite("z9hG4bK-id1");
  ASSERT_FALSE(inv.empty());
  msg::Message m;
  ASSERT_TRUE(msg::parse_message(inv, m, base::Limits::Sip{}, msg::Framing::Datagram).accepted());
  const msg::Header* identity = m.find(msg::HeaderId::Identity);
  ASSERT_NE(identity, nullptr);
  EXPECT_NE(identity->value.find(";info=<https://example.test/cert.pem>"), std::string_view::npos);
  EXPECT_NE(m.find(msg::HeaderId::Date), nullptr);

  make_terminating();
  auto out = deliver_to_terminating(inv);
  auto to_bob = requests_to(out, kPhoneB);
  ASSERT_EQ(to_bob.size(), 1u);
  EXPECT_EQ(verstat_of(*to_bob[0]), "TN-Validation-Passed");
  EXPECT_EQ(to_bob[0]->m.from.tag, "caller");  // the dialog's identifiers are untouched
  EXPECT_EQ(certs_.urls, std::vector<std::string>{"https://example.test/cert.pem"});

  // The same INVITE again (a new transaction: a replay by someone who captured it) is refused.
  std::string replay = inv;
  const std::string old_branch(m.vias[0].branch);
  replay.replace(replay.find(old_branch), old_branch.size(), "z9hG4bK-replayed");
  out = deliver_to_terminating(replay);
  EXPECT_NE(find(out, kProxy, 438), nullptr);
  EXPECT_TRUE(requests_to(out, kPhoneB).empty());
}

TEST_F(ProxyIdentityTest, TamperedFromDateOrSignatureReachTheCalleeAsFailed) {
  const std::string inv = signed_invite("z9hG4bK-id2");
  ASSERT_FALSE(inv.empty());
  make_terminating();
  struct Case {
    std::string name, from, to;
  };
  msg::Message m;
  ASSERT_TRUE(msg::parse_message(inv, m, base::Limits::Sip{}, msg::Framing::Datagram).accepted());
  const std::string date(m.find(msg::HeaderId::Date)->value);
  const std::string ident(m.find(msg::HeaderId::Identity)->value);
  std::string sig_tampered = ident;
  sig_tampered[ident.find('.', ident.find('.') + 1) + 5] ^= 0x01;  // one character of the signature
  if (sig_tampered[ident.find('.', ident.find('.') + 1) + 5] == '.') sig_tampered[ident.find('.', ident.find('.') + 1) + 5] = 'A';
  const std::vector<Case> cases = {
      {"from", "sip:alice@example.test", "sip:mallory@example.test"},
      {"date", date, "Thu, 01 Jan 2015 00:00:00 GMT"},
      {"signature", ident, sig_tampered},
  };
  int n = 0;
  for (const auto& c : cases) {
    std::string t = inv;
    const std::size_t at = t.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.name;
    t.replace(at, c.from.size(), c.to);
    const std::string old_branch(m.vias[0].branch);
    t.replace(t.find(old_branch), old_branch.size(), "z9hG4bK-tamper" + std::to_string(++n));
    auto out = deliver_to_terminating(t);
    auto to_bob = requests_to(out, kPhoneB);
    ASSERT_EQ(to_bob.size(), 1u) << c.name;
    EXPECT_EQ(verstat_of(*to_bob[0]), "TN-Validation-Failed") << c.name;
  }
  // No Identity at all: "No-TN-Validation"; a verstat the sender wrote is replaced.
  std::string plain = inv;
  const std::size_t line = plain.find("Identity: ");
  plain.erase(line, plain.find("\r\n", line) + 2 - line);
  plain.replace(plain.find("<sip:alice@example.test>"), 24, "<sip:alice@example.test;verstat=TN-Validation-Passed>");
  plain.replace(plain.find(std::string(m.vias[0].branch)), m.vias[0].branch.size(), "z9hG4bK-plain");
  auto out = deliver_to_terminating(plain);
  auto to_bob = requests_to(out, kPhoneB);
  ASSERT_EQ(to_bob.size(), 1u);
  EXPECT_EQ(verstat_of(*to_bob[0]), "No-TN-Validation");
  EXPECT_EQ(to_bob[0]->m.from.uri.params.find("Passed"), std::string_view::npos);
}

TEST_F(ProxyIdentityTest, FailuresAreRefusedWhenTheOperatorSaysSoAndAnUnreachableCertificateFails) {
  const std::string inv = signed_invite("z9hG4bK-id3");
  ASSERT_FALSE(inv.empty());
  certs_.chain.clear();  // the info URL does not answer
  make_terminating();
  auto out = deliver_to_terminating(inv);
  auto to_bob = requests_to(out, kPhoneB);
  ASSERT_EQ(to_bob.size(), 1u);
  EXPECT_EQ(verstat_of(*to_bob[0]), "TN-Validation-Failed");
  make_terminating(true);
  std::string again = inv;
  msg::Message m;
  ASSERT_TRUE(msg::parse_message(inv, m, base::Limits::Sip{}, msg::Framing::Datagram).accepted());
  again.replace(again.find(std::string(m.vias[0].branch)), m.vias[0].branch.size(), "z9hG4bK-again");
  out = deliver_to_terminating(again);
  EXPECT_NE(find(out, kProxy, 438), nullptr);
  EXPECT_TRUE(requests_to(out, kPhoneB).empty());
}


// ---- privacy and the media relay (issue 7) --------------------------------------------------

// A media relay that hands out fixed ports and records what the proxy asks of it.
class FakeRelay final : public runtime::MediaRelay {
 public:
  base::Result<runtime::RelayAllocation> open(const runtime::RelayOpenOptions& o) override {
    runtime::RelayAllocation a;
    a.id = ++next;
    const std::uint16_t base_port = static_cast<std::uint16_t>(40000 + 4 * (a.id - 1));
    a.a.rtp = *Endpoint::parse("198.51.100.9:" + std::to_string(base_port));
    a.b.rtp = *Endpoint::parse("198.51.100.9:" + std::to_string(base_port + 2));
    if (o.rtcp) {
      a.a.rtcp = *Endpoint::parse("198.51.100.9:" + std::to_string(base_port + 1));
      a.b.rtcp = *Endpoint::parse("198.51.100.9:" + std::to_string(base_port + 3));
    }
    open_ids.push_back(a.id);
    return a;
  }
  base::Result<void> set_peer(runtime::RelaySessionId id, runtime::RelaySide side, const Endpoint& rtp,
                              std::optional<Endpoint>) override {
    peers[{id, side == runtime::RelaySide::A}] = rtp;
    return {};
  }
  void close(runtime::RelaySessionId id) override { closed.push_back(id); }
  base::Result<runtime::RelaySessionStats> stats(runtime::RelaySessionId) const override {
    return runtime::RelaySessionStats{};
  }
  std::size_t session_count() const noexcept override { return open_ids.size() - closed.size(); }
  void set_sink(runtime::MediaRelaySink*) noexcept override {}

  runtime::RelaySessionId next = 0;
  std::vector<runtime::RelaySessionId> open_ids, closed;
  std::map<std::pair<runtime::RelaySessionId, bool>, Endpoint> peers;  // (id, side A?) -> peer
};

std::string sdp_at(const std::string& ip, int port) {
  return "v=0\r\no=- 1 1 IN IP4 " + ip + "\r\ns=-\r\nc=IN IP4 " + ip + "\r\nt=0 0\r\nm=audio " +
         std::to_string(port) + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
}

class ProxyPrivacyTest : public ProxyTest {
 protected:
  void SetUp() override {
    ProxyTest::SetUp();
    cfg_ = base_config();
    cfg_.peers.clear();
  }
  void start(bool with_relay = true) {
    make_proxy(cfg_);
    if (with_relay) proxy_->use_media_relay(relay_);
    register_user("alice", "alice-secret", "sip:alice@" + kPhoneA.to_string(), kPhoneA);
    register_user("bob", "bob-secret", "sip:bob@" + kPhoneB.to_string(), kPhoneB);
  }
  // alice's INVITE to bob from her phone, with `privacy` and her SDP.
  std::string alice_invite(const std::string& branch, const std::string& privacy, const std::string& auth = "") {
    const std::string body = sdp_at(kPhoneA.address_string(), 49170);
    std::string s = "INVITE sip:bob@example.test SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP " + kPhoneA.to_string() + ";branch=" + branch + ";rport\r\n"
                    "Max-Forwards: 70\r\n"
                    "From: \"Alice\" <sip:alice@example.test>;tag=t1a9\r\n"
                    "To: <sip:bob@example.test>\r\n"
                    "Call-ID: private-call\r\n"
                    "CSeq: " + std::to_string(++cseq_) + " INVITE\r\n"
                    "Contact: <sip:alice@" + kPhoneA.to_string() + ">\r\n"
                    "User-Agent: Alice's phone\r\n";
    if (!privacy.empty()) s += "Privacy: " + privacy + "\r\n";
    if (!auth.empty()) s += "Proxy-Authorization: " + auth + "\r\n";
    s += "Content-Type: application/sdp\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return s;
  }
  // The INVITE as bob's phone received it (after the 407 round).
  std::unique_ptr<Held> call_bob(const std::string& privacy) {
    deliver(kPhoneA, alice_invite("z9hG4bK-p1", privacy));
    auto r = take();
    const Out* c = find(r, kPhoneA, 407);
    EXPECT_NE(c, nullptr);
    if (c == nullptr) return nullptr;
    const std::string a = answer(c->m, true, auth::Algorithm::Sha256, "alice", "alice-secret", "INVITE",
                                 "sip:bob@example.test");
    deliver(kPhoneA, alice_invite("z9hG4bK-p2", privacy, a));
    r = take();
    auto fwd = requests_to(r, kPhoneB);
    EXPECT_EQ(fwd.size(), 1u);
    if (fwd.size() != 1) return nullptr;
    return hold(fwd[0]);
  }
  static std::string bob_answer(const msg::Message& req, int status) {
    std::string s = reply(req, status);
    if (status == 200) {
      const std::string body = sdp_at(kPhoneB.address_string(), 50000);
      s.replace(s.find("Content-Length: 0"), 17,
                "Content-Type: application/sdp\r\nContent-Length: " + std::to_string(body.size()));
      s.replace(s.find("sip:callee@" + kPhoneA.to_string()), 11 + kPhoneA.to_string().size(),
                "sip:bob@" + kPhoneB.to_string());
      s += body;
    }
    return s;
  }
  ProxyConfig cfg_;
  FakeRelay relay_;
};

TEST_F(ProxyPrivacyTest, PrivacyIdHidesTheCallersIdentityAndAddressesAndTheMediaGoesThroughTheRelay) {
  start();
  auto inv = call_bob("id");
  ASSERT_NE(inv, nullptr);
  const msg::Message& f = inv->m;
  // Nothing that names alice or her address reaches bob.
  EXPECT_FALSE(sip::identity::contains_address(inv->bytes, kPhoneA.address_string())) << inv->bytes;
  EXPECT_EQ(inv->bytes.find("alice"), std::string::npos) << inv->bytes;
  EXPECT_EQ(f.from.uri.host, "anonymous.invalid");
  EXPECT_EQ(f.from.tag, "t1a9");
  ASSERT_EQ(f.vias.size(), 1u);  // ours only
  EXPECT_EQ(f.find(msg::HeaderId::PAssertedIdentity), nullptr);
  EXPECT_EQ(f.find(msg::HeaderId::Privacy), nullptr);
  EXPECT_EQ(f.find(msg::HeaderId::ProxyAuthorization), nullptr);  // our realm's credentials stay here
  ASSERT_EQ(f.contacts.size(), 1u);
  EXPECT_EQ(f.contacts[0].uri.host, "127.0.0.1");
  EXPECT_GE(f.contacts[0].uri.user.size(), 40u);
  // The SDP names the relay's side B; the relay sends side A's traffic to alice's m= line.
  EXPECT_NE(f.body.find("c=IN IP4 198.51.100.9"), std::string_view::npos) << f.body;
  EXPECT_NE(f.body.find("m=audio 40002 "), std::string_view::npos) << f.body;
  ASSERT_EQ(relay_.open_ids.size(), 1u);
  EXPECT_EQ(relay_.peers.at({1, true}), *Endpoint::parse(kPhoneA.address_string() + ":49170"));

  // bob answers: alice gets her own Vias and From back, and the relay's side A in the SDP.
  deliver(kPhoneB, bob_answer(f, 200));
  auto r = take();
  const Out* ok = find(r, kPhoneA, 200);
  ASSERT_NE(ok, nullptr);
  ASSERT_EQ(ok->m.vias.size(), 1u);
  EXPECT_EQ(ok->m.vias[0].branch, "z9hG4bK-p2");
  EXPECT_EQ(ok->m.from.uri.user, "alice");
  EXPECT_NE(ok->m.body.find("c=IN IP4 198.51.100.9"), std::string_view::npos) << ok->m.body;
  EXPECT_NE(ok->m.body.find("m=audio 40000 "), std::string_view::npos) << ok->m.body;
  EXPECT_EQ(relay_.peers.at({1, false}), *Endpoint::parse(kPhoneB.address_string() + ":50000"));

  // bob's BYE goes to the contact he was given (a token): it reaches alice's real contact.
  const std::string bye_from_bob =
      "BYE " + std::string(f.contacts[0].uri.raw) + " SIP/2.0\r\n"
      "Via: SIP/2.0/UDP " + kPhoneB.to_string() + ";branch=z9hG4bK-byeb;rport\r\n"
      "Route: " + std::string(f.record_routes.at(0).raw) + "\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:bob@example.test>;tag=callee\r\n"
      "To: " + std::string(f.from.raw) + "\r\n"
      "Call-ID: private-call\r\n"
      "CSeq: 9 BYE\r\n"
      "Content-Length: 0\r\n\r\n";
  deliver(kPhoneB, bye_from_bob);
  r = take();
  auto to_alice = requests_to(r, kPhoneA);
  ASSERT_EQ(to_alice.size(), 1u);
  EXPECT_EQ(to_alice[0]->m.request_uri.raw, "sip:alice@" + kPhoneA.to_string());
  {
    const auto bye = hold(to_alice[0]);
    deliver(kPhoneA, reply(bye->m, 200));
    r = take();
    const Out* bye_ok = find(r, kPhoneB, 200);
    ASSERT_NE(bye_ok, nullptr);
    EXPECT_EQ(bye_ok->m.vias.size(), 1u);
  }

  // A token made up by bob is not routed anywhere.
  std::string forged = bye_from_bob;
  const std::string token(f.contacts[0].uri.user);
  std::string other_token = token;
  other_token[10] = other_token[10] == 'A' ? 'B' : 'A';
  forged.replace(forged.find(token), token.size(), other_token);
  forged.replace(forged.find("z9hG4bK-byeb"), 12, "z9hG4bK-byef");
  deliver(kPhoneB, forged);
  r = take();
  EXPECT_NE(find(r, kPhoneB, 404), nullptr);
  EXPECT_TRUE(requests_to(r, kPhoneA).empty());

  // The sessions close once the call's transactions are over.
  loop_.advance(std::chrono::seconds(40));
  take_now();
  EXPECT_EQ(relay_.closed, std::vector<runtime::RelaySessionId>{1});
}

TEST_F(ProxyPrivacyTest, TheCallersLaterRequestsStayPrivateWithoutAPrivacyHeader) {
  start();
  auto inv = call_bob("id");
  ASSERT_NE(inv, nullptr);
  deliver(kPhoneB, bob_answer(inv->m, 200));
  take();
  const std::string rr(inv->m.record_routes.at(0).raw);
  auto in_dialog = [&](const std::string& method, const std::string& branch) {
    return method + " sip:bob@" + kPhoneB.to_string() + " SIP/2.0\r\n"
           "Via: SIP/2.0/UDP " + kPhoneA.to_string() + ";branch=" + branch + ";rport\r\n"
           "Route: " + rr + "\r\n"
           "Max-Forwards: 70\r\n"
           "From: \"Alice\" <sip:alice@example.test>;tag=t1a9\r\n"
           "To: <sip:bob@example.test>;tag=callee\r\n"
           "Call-ID: private-call\r\n"
           "CSeq: " + std::to_string(method == "ACK" ? cseq_ : ++cseq_) + " " + method + "\r\n"
           "Content-Length: 0\r\n\r\n";
  };
  for (const std::string method : {"ACK", "BYE"}) {
    deliver(kPhoneA, in_dialog(method, "z9hG4bK-d" + method));
    auto r = take();
    auto to_bob = requests_to(r, kPhoneB);
    ASSERT_EQ(to_bob.size(), 1u) << method;
    EXPECT_EQ(to_bob[0]->bytes.find("alice"), std::string::npos) << to_bob[0]->bytes;
    EXPECT_FALSE(sip::identity::contains_address(to_bob[0]->bytes, kPhoneA.address_string())) << to_bob[0]->bytes;
    EXPECT_EQ(to_bob[0]->m.vias.size(), 1u);
    if (method == "BYE") {
      const auto bye = hold(to_bob[0]);
      deliver(kPhoneB, reply(bye->m, 200));
      r = take();
      const Out* ok = find(r, kPhoneA, 200);
      ASSERT_NE(ok, nullptr);
      EXPECT_EQ(ok->m.vias.size(), 1u);
      EXPECT_EQ(ok->m.vias[0].branch, "z9hG4bK-dBYE");
      EXPECT_EQ(ok->m.from.uri.user, "alice");
    }
  }
}

TEST_F(ProxyPrivacyTest, WithoutPrivacyNothingChangesAndInsideTheTrustDomainTheIdentityIsAsserted) {
  start();
  auto plain = call_bob("");
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(plain->m.from.uri.user, "alice");
  EXPECT_EQ(plain->m.vias.size(), 2u);
  EXPECT_NE(plain->m.body.find(kPhoneA.address_string()), std::string_view::npos);
  EXPECT_TRUE(relay_.open_ids.empty());

  // bob's phone is inside the trust domain: the privacy is left to the last hop before the
  // untrusted world; bob gets the PAI and the Privacy header.
  cfg_.trusted = {*shield::Network::parse(kPhoneB.address_string())};
  start();
  auto trusted = call_bob("id");
  ASSERT_NE(trusted, nullptr);
  const msg::Header* pai = trusted->m.find(msg::HeaderId::PAssertedIdentity);
  ASSERT_NE(pai, nullptr);
  EXPECT_NE(pai->value.find("sip:alice@example.test"), std::string_view::npos);
  EXPECT_NE(trusted->m.find(msg::HeaderId::Privacy), nullptr);
  EXPECT_EQ(trusted->m.from.uri.user, "alice");
}

TEST_F(ProxyPrivacyTest, CriticalSessionPrivacyWithoutARelayIsRefusedAndABadPrivacyHeaderGets400) {
  start(false);
  deliver(kPhoneA, alice_invite("z9hG4bK-c1", "session;critical"));
  auto r = take();
  const Out* c = find(r, kPhoneA, 407);
  ASSERT_NE(c, nullptr);
  const std::string a =
      answer(c->m, true, auth::Algorithm::Sha256, "alice", "alice-secret", "INVITE", "sip:bob@example.test");
  const std::string a2 = answer(c->m, true, auth::Algorithm::Sha256, "alice", "alice-secret", "INVITE",
                                "sip:bob@example.test", "00000002");
  deliver(kPhoneA, alice_invite("z9hG4bK-c2", "session;critical", a));
  r = take();  // `c` points into the old `r`: not used below
  EXPECT_NE(find(r, kPhoneA, 500), nullptr);
  EXPECT_TRUE(requests_to(r, kPhoneB).empty());

  deliver(kPhoneA, alice_invite("z9hG4bK-c3", "id;;", a2));
  r = take();
  EXPECT_NE(find(r, kPhoneA, 400), nullptr);
  EXPECT_TRUE(requests_to(r, kPhoneB).empty());
}

// ---- the transfer token (issue 7) -----------------------------------------------------------

class ProxyTransferTest : public ProxyPrivacyTest {
 protected:
  void SetUp() override {
    ProxyPrivacyTest::SetUp();
    add_user("carol", "carol-secret");
    add_user("mallory", "mallory-secret");
    std::string error;
    auto pki = crypto::ensure_dev_pki(dir_ / "pki", {"example.test"}, error);
    ASSERT_TRUE(pki) << error;
    auto key = crypto::EcPrivateKey::from_pem(read_text(pki->server_key));
    ASSERT_TRUE(key);
    signer_ = std::make_unique<sip::identity::ReferralSigner>(std::move(*key), "https://example.test/cert.pem", rng_);
    crypto::TrustStore anchors;
    ASSERT_TRUE(anchors.add_pem(read_text(pki->ca_certificate)));
    verifier_ = std::make_unique<sip::identity::ReferralVerifier>(anchors);
    auto chain = crypto::Certificate::chain_from_pem(read_text(pki->server_certificate));
    ASSERT_TRUE(chain);
    certs_.chain = *chain;
    start(false);
    proxy_->use_identity(nullptr, nullptr, &certs_);
    proxy_->use_referrals(signer_.get(), verifier_.get());
    register_user("carol", "carol-secret", "sip:carol@" + kCarol.to_string(), kCarol);
    register_user("mallory", "mallory-secret", "sip:mallory@" + kMallory.to_string(), kMallory);
  }
  // `user`'s INVITE to carol from `from`, carrying `referred_by`, past the 407: what was sent.
  std::vector<Out> invite_carol(const std::string& user, const Endpoint& from, const std::string& referred_by,
                                const std::string& branch) {
    auto make = [&](const std::string& b, const std::string& auth) {
      std::string s = "INVITE sip:carol@example.test SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP " + from.to_string() + ";branch=" + b + ";rport\r\n"
                      "Max-Forwards: 70\r\n"
                      "From: <sip:" + user + "@example.test>;tag=t-" + branch + "\r\n"
                      "To: <sip:carol@example.test>\r\n"
                      "Call-ID: xfer-" + branch + "\r\n"
                      "CSeq: 1 INVITE\r\n"
                      "Contact: <sip:" + user + "@" + from.to_string() + ">\r\n"
                      "Referred-By: " + referred_by + "\r\n";
      if (!auth.empty()) s += "Proxy-Authorization: " + auth + "\r\n";
      return s + "Content-Length: 0\r\n\r\n";
    };
    deliver(from, make(branch + "a", ""));
    auto r = take();
    const Out* c = find(r, from, 407);
    EXPECT_NE(c, nullptr);
    if (c == nullptr) return {};
    const std::string a = answer(c->m, true, auth::Algorithm::Sha256, user, user + "-secret", "INVITE",
                                 "sip:carol@example.test");
    deliver(from, make(branch, a));
    return take();
  }
  const Endpoint kCarol = *Endpoint::parse("192.0.2.30:5072");
  const Endpoint kMallory = *Endpoint::parse("192.0.2.31:5073");
  std::unique_ptr<sip::identity::ReferralSigner> signer_;
  std::unique_ptr<sip::identity::ReferralVerifier> verifier_;
  FakeCertificates certs_;
};

TEST_F(ProxyTransferTest, BobsReferIsSignedForAliceAndOnlyAliceCanUseIt) {
  // alice calls bob; bob answers.
  auto inv = call_bob("");
  ASSERT_NE(inv, nullptr);
  deliver(kPhoneB, bob_answer(inv->m, 200));
  take();
  const std::string rr(inv->m.record_routes.at(0).raw);
  // bob transfers alice to carol: his REFER is challenged, then carries our token.
  auto refer = [&](const std::string& branch, int cseq, const std::string& extra) {
    return "REFER sip:alice@" + kPhoneA.to_string() + " SIP/2.0\r\n"
           "Via: SIP/2.0/UDP " + kPhoneB.to_string() + ";branch=" + branch + ";rport\r\n"
           "Route: " + rr + "\r\n"
           "Max-Forwards: 70\r\n"
           "From: <sip:bob@example.test>;tag=callee\r\n"
           "To: \"Alice\" <sip:alice@example.test>;tag=t1a9\r\n"
           "Call-ID: private-call\r\n"
           "CSeq: " + std::to_string(cseq) + " REFER\r\n"
           "Contact: <sip:bob@" + kPhoneB.to_string() + ">\r\n"
           "Refer-To: <sip:carol@example.test>\r\n"
           "Referred-By: <sip:bob@example.test>;rtoken=made.up.bybob\r\n" + extra +
           "Content-Length: 0\r\n\r\n";
  };
  deliver(kPhoneB, refer("z9hG4bK-ref1", 20, ""));
  auto r = take();
  const Out* c = find(r, kPhoneB, 407);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(requests_to(r, kPhoneA).empty());
  const std::string a = answer(c->m, true, auth::Algorithm::Sha256, "bob", "bob-secret", "REFER",
                               "sip:alice@" + kPhoneA.to_string());
  deliver(kPhoneB, refer("z9hG4bK-ref2", 21, "Proxy-Authorization: " + a + "\r\n"));
  r = take();
  auto to_alice = requests_to(r, kPhoneA);
  ASSERT_EQ(to_alice.size(), 1u);
  std::vector<std::string_view> rbs;
  for (const auto& h : to_alice[0]->m.headers)
    if (h.id == msg::HeaderId::ReferredBy) rbs.push_back(h.value);
  ASSERT_EQ(rbs.size(), 1u);  // bob's own is replaced
  const std::string referred_by(rbs[0]);
  EXPECT_EQ(referred_by.find("made.up"), std::string::npos);
  EXPECT_EQ(referred_by.rfind("<sip:bob@example.test>;rtoken=", 0), 0u) << referred_by;

  // alice calls carol with it: verified, the call goes through.
  r = invite_carol("alice", kPhoneA, referred_by, "z9hG4bK-xa");
  EXPECT_EQ(requests_to(r, kCarol).size(), 1u);
  EXPECT_EQ(certs_.urls, std::vector<std::string>{"https://example.test/cert.pem"});
  // mallory with the same token: refused.
  r = invite_carol("mallory", kMallory, referred_by, "z9hG4bK-xm");
  EXPECT_NE(find(r, kMallory, 403), nullptr);
  EXPECT_TRUE(requests_to(r, kCarol).empty());
  // alice with a token one character off: refused.
  std::string tampered = referred_by;
  const std::size_t at = tampered.find("rtoken=") + 7 + 40;
  tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
  r = invite_carol("alice", kPhoneA, tampered, "z9hG4bK-xt");
  EXPECT_NE(find(r, kPhoneA, 403), nullptr);
  EXPECT_TRUE(requests_to(r, kCarol).empty());
  // Too late: the token is older than five minutes.
  clock_.advance(std::chrono::minutes(6));
  r = invite_carol("alice", kPhoneA, referred_by, "z9hG4bK-xl");
  EXPECT_NE(find(r, kPhoneA, 403), nullptr);
  EXPECT_TRUE(requests_to(r, kCarol).empty());
}


// Mutual TLS (issue 7): a TLS client whose certificate proved a configured peer domain reaches
// our users without digest authentication; the same request without that proof is challenged.
TEST_F(ProxyTest, AProvenTlsPeerDomainIsTrustedLikeAPeerNetwork) {
  ProxyConfig cfg = base_config();
  cfg.peers.clear();
  cfg.tls_peers = {"b.test"};
  proxy_.reset();
  proxy_ = std::make_unique<Proxy>(cfg, loop_, clock_, *store_, rng_, base::Logger{});
  proxy_->add_transport(udp_);
  proxy_->add_transport(tls_);
  ASSERT_TRUE(proxy_->start());
  register_user("bob", "bob-secret", "sip:bob@" + kPhoneA.to_string(), kPhoneA);
  const Endpoint peer = *Endpoint::parse("203.0.113.7:40123");
  auto over_tls = [&](const std::string& branch, std::vector<std::string> names) {
    std::string bytes = invite("sip:bob@example.test", "sip:carol@b.test", branch);
    const std::string via = "SIP/2.0/UDP " + kCaller.to_string();
    bytes.replace(bytes.find(via), via.size(), "SIP/2.0/TLS " + peer.to_string());
    runtime::InboundMessage in;
    in.kind = TransportKind::Tls;
    in.flow = 7;
    tls_.flows[7] = peer;
    in.local = tls_.local_endpoint();
    in.remote = peer;
    in.bytes = bytes;
    in.peer_names = names;
    proxy_->on_message(in);
    return take();
  };
  auto r = over_tls("z9hG4bK-mtls1", {"sip.b.test", "b.test"});
  EXPECT_EQ(requests_to(r, kPhoneA).size(), 1u);
  r = over_tls("z9hG4bK-mtls2", {"c.test"});
  EXPECT_TRUE(requests_to(r, kPhoneA).empty());
  r = over_tls("z9hG4bK-mtls3", {});
  EXPECT_TRUE(requests_to(r, kPhoneA).empty());
  bool challenged = false;
  for (const auto& o : r) challenged = challenged || (o.m.is_response() && o.m.status == 407);
  EXPECT_TRUE(challenged);
}


// RFC 5630: a sips: Request-URI is TLS on every hop, so only a contact reached over TLS is tried.
TEST_F(ProxyTest, SipsReachesOnlyContactsOverTls) {
  register_user("bob", "bob-secret", "sip:bob@" + kPhoneA.to_string(), kPhoneA);
  deliver(kCaller, invite("sips:bob@example.test", "sips:carol@elsewhere.test", "z9hG4bK-sips1"));
  auto r = take();
  EXPECT_NE(find(r, kCaller, 480), nullptr);
  EXPECT_TRUE(requests_to(r, kPhoneA).empty());

  store::Binding b;
  b.aor = "sip:bob@example.test";
  b.contact = "sips:bob@" + kPhoneB.to_string();
  b.call_id = "reg-bob-tls";
  b.cseq = 1;
  b.expires_at = 1'800'000'000 + 7200;
  b.received = "tls:" + kPhoneB.to_string();
  ASSERT_TRUE(store_->put_binding(b));
  proxy_.reset();
  proxy_ = std::make_unique<Proxy>(base_config(), loop_, clock_, *store_, rng_, base::Logger{});
  proxy_->add_transport(udp_);
  proxy_->add_transport(tls_);
  ASSERT_TRUE(proxy_->start());
  deliver(kCaller, invite("sips:bob@example.test", "sips:carol@elsewhere.test", "z9hG4bK-sips2"));
  r = take();
  EXPECT_TRUE(requests_to(r, kPhoneA).empty());  // the UDP contact is left out
  auto fwd = requests_to(r, kPhoneB);
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_NE(fwd[0]->m.vias[0].raw.find("TLS"), std::string_view::npos);
}


// A hidden contact that names a host (not an address) is found by DNS when the callee's
// request for the token comes, whether DNS answers at once or later.
TEST_F(ProxyPrivacyTest, AHiddenContactWithAHostNameIsLocatedByDns) {
  for (bool at_once : {true, false}) {
    FakeDns dns;
    dns.at_once = at_once;
    dns.srv("_sip._udp.alice-home.test", 10, 5090, "pc.alice-home.test");
    dns.a("pc.alice-home.test", "192.0.2.77");
    start();
    proxy_->use_dns(dns);
    deliver(kPhoneA, alice_invite("z9hG4bK-h1", "id"));
    auto r = take();
    const Out* c = find(r, kPhoneA, 407);
    ASSERT_NE(c, nullptr);
    const std::string a =
        answer(c->m, true, auth::Algorithm::Sha256, "alice", "alice-secret", "INVITE", "sip:bob@example.test");
    std::string inv = alice_invite("z9hG4bK-h2", "id", a);
    const std::string contact = "sip:alice@" + kPhoneA.to_string();
    inv.replace(inv.find(contact), contact.size(), "sip:alice@alice-home.test");
    deliver(kPhoneA, inv);
    r = take();
    auto fwd = requests_to(r, kPhoneB);
    ASSERT_EQ(fwd.size(), 1u);
    const auto held = hold(fwd[0]);
    EXPECT_EQ(held->bytes.find("alice-home"), std::string::npos);
    deliver(kPhoneB, bob_answer(held->m, 200));
    take();
    const std::string bye =
        "BYE " + std::string(held->m.contacts[0].uri.raw) + " SIP/2.0\r\n"
        "Via: SIP/2.0/UDP " + kPhoneB.to_string() + ";branch=z9hG4bK-hb" + (at_once ? "1" : "2") + ";rport\r\n"
        "Route: " + std::string(held->m.record_routes.at(0).raw) + "\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:bob@example.test>;tag=callee\r\n"
        "To: " + std::string(held->m.from.raw) + "\r\n"
        "Call-ID: private-call\r\n"
        "CSeq: 9 BYE\r\n"
        "Content-Length: 0\r\n\r\n";
    deliver(kPhoneB, bye);
    r = take();
    if (!at_once) {
      dns.answer_all();
      r = take();
    }
    auto to_alice = requests_to(r, *Endpoint::parse("192.0.2.77:5090"));
    ASSERT_EQ(to_alice.size(), 1u) << (at_once ? "at once" : "later");
    EXPECT_EQ(to_alice[0]->m.request_uri.raw, "sip:alice@alice-home.test");
    proxy_.reset();  // before `dns` goes
  }
}

}  // namespace
}  // namespace warden::proxy
