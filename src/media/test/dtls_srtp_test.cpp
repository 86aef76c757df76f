#include "media/dtls_srtp.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <random>
#include <thread>

#include "media/packet_demux.hpp"
#include "sip/sdp/fingerprint.hpp"

using namespace warden::media;
using warden::base::TimePoint;
using warden::crypto::DtlsErrc;
using warden::crypto::DtlsIdentity;
using warden::crypto::DtlsRole;
namespace sdp = warden::sip::sdp;
using namespace std::chrono_literals;

namespace {

const DtlsIdentity& alice_identity() {
  static const DtlsIdentity id = DtlsIdentity::generate("alice").value();
  return id;
}
const DtlsIdentity& bob_identity() {
  static const DtlsIdentity id = DtlsIdentity::generate("bob").value();
  return id;
}

CertificateFingerprint fingerprint_of(const DtlsIdentity& id) {
  return {warden::crypto::CertificateDigest::Sha256, id.fingerprint()};
}

DtlsSrtpConfig config(DtlsRole role, const DtlsIdentity& peer) {
  DtlsSrtpConfig c;
  c.role = role;
  c.peer_fingerprints = {fingerprint_of(peer)};
  c.initial_retransmit = 60ms;  // real time: OpenSSL 3.0 times retransmissions itself
  return c;
}

// Alice is the DTLS client, Bob the server, linked in memory. `drop(from_alice, n)` decides
// whether the n-th datagram in that direction is lost. The manual clock follows real time in
// lockstep when waiting for a retransmission, since OpenSSL checks its own clock.
struct Call {
  Call(DtlsSrtpEndpoint a, DtlsSrtpEndpoint b) : alice(std::move(a)), bob(std::move(b)) {}
  DtlsSrtpEndpoint alice;
  DtlsSrtpEndpoint bob;
  TimePoint now{};
  std::function<bool(bool from_alice, int index)> drop = [](bool, int) { return false; };
  int sent[2] = {0, 0};
  std::deque<std::pair<bool, std::vector<std::byte>>> wire;

  void post(bool from_alice, DtlsSrtpEndpoint::Datagrams d) {
    for (auto& x : d) {
      EXPECT_EQ(classify_packet(x), PacketKind::Dtls);
      EXPECT_LE(x.size(), 1200u);
      if (!drop(from_alice, sent[from_alice ? 0 : 1]++)) wire.emplace_back(from_alice, std::move(x));
    }
  }
  bool done() const {
    auto finished = [](const DtlsSrtpEndpoint& e) { return e.state() != DtlsSrtpEndpoint::State::Handshaking; };
    return finished(alice) && finished(bob);
  }
  void run(int max_timeouts = 12) {
    post(true, alice.start(now));
    post(false, bob.start(now));
    int timeouts = 0;
    while (true) {
      while (!wire.empty()) {
        auto [from_alice, d] = std::move(wire.front());
        wire.pop_front();
        auto& to = from_alice ? bob : alice;
        post(!from_alice, to.feed(d, now));
      }
      if (done() || timeouts++ >= max_timeouts) return;
      std::optional<TimePoint> next;
      for (auto* e : {&alice, &bob})
        if (auto t = e->next_timeout(); t && (!next || *t < *next)) next = t;
      if (!next) return;
      if (*next > now) {
        std::this_thread::sleep_for(*next - now);
        now = *next;
      }
      post(true, alice.on_timeout(now));
      post(false, bob.on_timeout(now));
    }
  }
};

Call make_call(DtlsSrtpConfig alice_config, DtlsSrtpConfig bob_config) {
  auto a = DtlsSrtpEndpoint::create(alice_identity(), std::move(alice_config));
  auto b = DtlsSrtpEndpoint::create(bob_identity(), std::move(bob_config));
  EXPECT_TRUE(a.ok() && b.ok());
  return Call(std::move(*a), std::move(*b));
}

Call make_call() { return make_call(config(DtlsRole::Client, bob_identity()), config(DtlsRole::Server, alice_identity())); }

// a's RTP packet reaches b, and b's reaches a.
void expect_media_flows(const DtlsSrtpEndpoint& a, const DtlsSrtpEndpoint& b) {
  auto sa = a.make_srtp_session();
  auto sb = b.make_srtp_session();
  ASSERT_TRUE(sa.ok() && sb.ok());
  for (auto [from, to] : {std::pair{&*sa, &*sb}, std::pair{&*sb, &*sa}}) {
    std::vector<std::byte> p(12 + 20 + SrtpSession::kProtectHeadroom, std::byte{0x21});
    p[0] = std::byte{0x80};
    auto n = from->protect_rtp(p, 32);
    ASSERT_TRUE(n.ok());
    p.resize(*n);
    EXPECT_EQ(classify_packet(p), PacketKind::Rtp);
    auto m = to->unprotect_rtp(p);
    ASSERT_TRUE(m.ok()) << m.error().message();
    EXPECT_EQ(*m, 32u);
  }
}

}  // namespace

TEST(DtlsIdentity, SelfSignedP256WithSha256Fingerprint) {
  const auto& id = alice_identity();
  EXPECT_GT(id.certificate_der().size(), 200u);
  EXPECT_EQ(id.fingerprint().size(), 32u);
  EXPECT_EQ(id.fingerprint(warden::crypto::CertificateDigest::Sha512).size(), 64u);
  EXPECT_NE(id.fingerprint(), bob_identity().fingerprint());

  const std::string value = fingerprint_attribute_value(id);
  ASSERT_EQ(value.size(), 8u + 32 * 3 - 1);
  EXPECT_EQ(value.substr(0, 8), "sha-256 ");
  for (std::size_t i = 8; i < value.size(); ++i) {
    const char c = value[i];
    if ((i - 8) % 3 == 2)
      EXPECT_EQ(c, ':');
    else
      EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')) << value;
  }
  auto parsed = sdp::parse_fingerprint(value);
  ASSERT_TRUE(parsed.ok());
  auto f = fingerprint_from_sdp(*parsed);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, fingerprint_of(id));
}

TEST(DtlsSrtpSetup, RolesAndFingerprintHashes) {
  EXPECT_EQ(*answer_setup_role(sdp::SetupRole::ActPass), sdp::SetupRole::Active);
  EXPECT_EQ(*answer_setup_role(sdp::SetupRole::Active), sdp::SetupRole::Passive);
  EXPECT_EQ(*answer_setup_role(sdp::SetupRole::Passive), sdp::SetupRole::Active);
  EXPECT_EQ(answer_setup_role(sdp::SetupRole::HoldConn).error(), DtlsSrtpErrc::BadSetupRole);
  EXPECT_EQ(*dtls_role(sdp::SetupRole::Active), DtlsRole::Client);
  EXPECT_EQ(*dtls_role(sdp::SetupRole::Passive), DtlsRole::Server);
  EXPECT_EQ(dtls_role(sdp::SetupRole::ActPass).error(), DtlsSrtpErrc::BadSetupRole);

  const std::string md5 = "md5 " + sdp::format_fingerprint_digest(std::vector<std::byte>(16, std::byte{1}));
  auto parsed = sdp::parse_fingerprint(md5);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(fingerprint_from_sdp(*parsed).error(), DtlsSrtpErrc::UnsupportedFingerprintHash);

  auto no_fp = config(DtlsRole::Client, bob_identity());
  no_fp.peer_fingerprints.clear();
  EXPECT_EQ(DtlsSrtpEndpoint::create(alice_identity(), no_fp).error(), DtlsSrtpErrc::NoFingerprint);
  auto no_suite = config(DtlsRole::Client, bob_identity());
  no_suite.suites.clear();
  EXPECT_EQ(DtlsSrtpEndpoint::create(alice_identity(), no_suite).error(), DtlsSrtpErrc::NoSuite);
}

TEST(DtlsSrtpHandshake, InMemoryBothSidesDeriveMatchingKeys) {
  Call call = make_call();
  call.run();
  ASSERT_EQ(call.alice.state(), DtlsSrtpEndpoint::State::Connected) << call.alice.failure_reason();
  ASSERT_EQ(call.bob.state(), DtlsSrtpEndpoint::State::Connected) << call.bob.failure_reason();
  EXPECT_EQ(call.alice.suite(), SrtpSuite::AeadAes256Gcm);  // both prefer it
  EXPECT_EQ(call.bob.suite(), SrtpSuite::AeadAes256Gcm);
  ASSERT_TRUE(call.alice.keys() && call.bob.keys());
  EXPECT_TRUE(call.alice.keys()->send == call.bob.keys()->receive);
  EXPECT_TRUE(call.alice.keys()->receive == call.bob.keys()->send);
  EXPECT_FALSE(call.alice.keys()->send == call.alice.keys()->receive);
  EXPECT_EQ(call.alice.keys()->send.key().size(), 32u);
  EXPECT_EQ(call.alice.keys()->send.salt().size(), 12u);
  EXPECT_EQ(call.alice.retransmissions() + call.bob.retransmissions(), 0u);
  expect_media_flows(call.alice, call.bob);
  EXPECT_FALSE(call.alice.next_timeout().has_value());
}

TEST(DtlsSrtpHandshake, ProfileChoiceFollowsTheServer) {
  auto a = config(DtlsRole::Client, bob_identity());
  a.suites = {SrtpSuite::AesCm128HmacSha1_32, SrtpSuite::AesCm128HmacSha1_80, SrtpSuite::AeadAes128Gcm};
  auto b = config(DtlsRole::Server, alice_identity());
  b.suites = {SrtpSuite::AesCm128HmacSha1_80, SrtpSuite::AesCm128HmacSha1_32};
  Call call = make_call(a, b);
  call.run();
  ASSERT_EQ(call.alice.state(), DtlsSrtpEndpoint::State::Connected) << call.alice.failure_reason();
  EXPECT_EQ(call.alice.suite(), SrtpSuite::AesCm128HmacSha1_80);
  EXPECT_EQ(call.bob.suite(), SrtpSuite::AesCm128HmacSha1_80);
  EXPECT_EQ(call.alice.keys()->send.key_salt().size(), 30u);
  expect_media_flows(call.alice, call.bob);
}

TEST(DtlsSrtpHandshake, NoCommonProfileFailsWithoutKeys) {
  auto a = config(DtlsRole::Client, bob_identity());
  a.suites = {SrtpSuite::AesCm128HmacSha1_32};
  auto b = config(DtlsRole::Server, alice_identity());
  b.suites = {SrtpSuite::AeadAes128Gcm};
  Call call = make_call(a, b);
  call.run();
  EXPECT_EQ(call.alice.state(), DtlsSrtpEndpoint::State::Failed);
  EXPECT_EQ(call.alice.error(), DtlsErrc::NoSrtpProfile);
  EXPECT_EQ(call.bob.state(), DtlsSrtpEndpoint::State::Failed);
  EXPECT_EQ(call.bob.error(), DtlsErrc::NoSrtpProfile);
  EXPECT_FALSE(call.alice.keys() || call.bob.keys());
  EXPECT_EQ(call.alice.make_srtp_session().error(), DtlsErrc::NotConnected);
}

TEST(DtlsSrtpHandshake, LostDatagramsAreRetransmittedOnTimers) {
  Call call = make_call();
  // Lose Alice's first ClientHello, and the first two datagrams Bob sends (part of his flight).
  call.drop = [](bool from_alice, int index) { return from_alice ? index == 0 : index < 2; };
  call.run();
  ASSERT_EQ(call.alice.state(), DtlsSrtpEndpoint::State::Connected) << call.alice.failure_reason();
  ASSERT_EQ(call.bob.state(), DtlsSrtpEndpoint::State::Connected) << call.bob.failure_reason();
  EXPECT_GE(call.alice.retransmissions() + call.bob.retransmissions(), 2u);
  expect_media_flows(call.alice, call.bob);
}

TEST(DtlsSrtpHandshake, LostFinalFlightIsRecovered) {
  Call call = make_call();
  // Every datagram Bob sends after Alice's second flight is lost once: Alice retransmits, Bob
  // answers with his final flight again.
  int bob_sent_before_loss = -1;
  call.drop = [&](bool from_alice, int index) {
    if (from_alice) return false;
    if (call.bob.state() == DtlsSrtpEndpoint::State::Connected && bob_sent_before_loss < 0) bob_sent_before_loss = index;
    return bob_sent_before_loss >= 0 && index < bob_sent_before_loss + 2;
  };
  call.run();
  ASSERT_EQ(call.alice.state(), DtlsSrtpEndpoint::State::Connected) << call.alice.failure_reason();
  ASSERT_EQ(call.bob.state(), DtlsSrtpEndpoint::State::Connected);
  EXPECT_GE(call.alice.retransmissions(), 1u);
  expect_media_flows(call.alice, call.bob);
}

TEST(DtlsSrtpHandshake, RetransmissionDeadlinesBackOff) {
  auto a = DtlsSrtpEndpoint::create(alice_identity(), config(DtlsRole::Client, bob_identity()));
  ASSERT_TRUE(a.ok());
  TimePoint now{};
  EXPECT_FALSE(a->next_timeout().has_value());
  auto hello = a->start(now);
  ASSERT_FALSE(hello.empty());
  ASSERT_TRUE(a->next_timeout().has_value());
  auto first = *a->next_timeout() - now;
  EXPECT_GT(first, 20ms);  // about 50 ms, less what passed on OpenSSL's clock meanwhile
  EXPECT_LE(first, 60ms);
  // Too early: nothing happens.
  EXPECT_TRUE(a->on_timeout(now + 1ms).empty());
  std::this_thread::sleep_for(first);
  now += first;
  auto again = a->on_timeout(now);
  ASSERT_EQ(again.size(), hello.size());  // the ClientHello again
  EXPECT_EQ(a->retransmissions(), 1u);
  // Doubled; OpenSSL measures it on its own clock, so leave room for the time the test took.
  EXPECT_GT(*a->next_timeout() - now, first + first / 2);
}

TEST(DtlsSrtpHandshake, FingerprintMismatchFailsWithoutKeys) {
  // Bob expects some other certificate than Alice's.
  const auto stranger = DtlsIdentity::generate("mallory");
  ASSERT_TRUE(stranger.ok());
  Call call = make_call(config(DtlsRole::Client, bob_identity()), config(DtlsRole::Server, *stranger));
  call.run();
  EXPECT_EQ(call.bob.state(), DtlsSrtpEndpoint::State::Failed);
  EXPECT_EQ(call.bob.error(), DtlsErrc::PeerRejected) << call.bob.error().message();
  EXPECT_EQ(call.alice.state(), DtlsSrtpEndpoint::State::Failed);  // bad_certificate alert
  EXPECT_FALSE(call.alice.keys() || call.bob.keys());
  EXPECT_EQ(call.bob.make_srtp_session().error(), DtlsErrc::NotConnected);

  // The other way round: Alice checks Bob's certificate against the wrong fingerprint.
  Call other = make_call(config(DtlsRole::Client, *stranger), config(DtlsRole::Server, alice_identity()));
  other.run();
  EXPECT_EQ(other.alice.error(), DtlsErrc::PeerRejected);
  EXPECT_NE(other.bob.state(), DtlsSrtpEndpoint::State::Connected);
  EXPECT_FALSE(other.alice.keys() || other.bob.keys());
}

TEST(DtlsSrtpHandshake, AnyMatchingFingerprintOfTheStrongestHashIsAccepted) {
  auto b = config(DtlsRole::Server, alice_identity());
  // A SHA-1 entry that does not match is ignored: SHA-256 is the strongest given.
  b.peer_fingerprints.push_back({warden::crypto::CertificateDigest::Sha1, std::vector<std::byte>(20)});
  b.peer_fingerprints.insert(b.peer_fingerprints.begin(),
                             {warden::crypto::CertificateDigest::Sha256, std::vector<std::byte>(32)});
  Call call = make_call(config(DtlsRole::Client, bob_identity()), b);
  call.run();
  EXPECT_EQ(call.bob.state(), DtlsSrtpEndpoint::State::Connected) << call.bob.failure_reason();

  // Only a SHA-512 entry is checked when one is given, and it does not match.
  b.peer_fingerprints.push_back({warden::crypto::CertificateDigest::Sha512, std::vector<std::byte>(64)});
  Call strict = make_call(config(DtlsRole::Client, bob_identity()), b);
  strict.run();
  EXPECT_EQ(strict.bob.error(), DtlsErrc::PeerRejected);
}

TEST(DtlsSrtpRobustness, GarbageDatagramsDoNotDisturbTheHandshake) {
  Call call = make_call();
  std::mt19937 rng(42);
  // Before anything: random datagrams, DTLS-looking headers with nonsense, empty and huge.
  for (int i = 0; i < 200; ++i) {
    std::vector<std::byte> junk(rng() % 300);
    for (auto& b : junk) b = static_cast<std::byte>(rng());
    if (!junk.empty() && i % 2 == 0) junk[0] = std::byte{22};  // handshake content type
    if (junk.size() > 2 && i % 4 == 0) junk[1] = std::byte{0xfe}, junk[2] = std::byte{0xfd};
    call.bob.feed(junk, call.now);
    call.alice.feed(junk, call.now);
  }
  call.bob.feed({}, call.now);
  call.bob.feed(std::vector<std::byte>(100000, std::byte{23}), call.now);
  EXPECT_EQ(call.bob.state(), DtlsSrtpEndpoint::State::Handshaking);
  call.run();
  ASSERT_EQ(call.alice.state(), DtlsSrtpEndpoint::State::Connected) << call.alice.failure_reason();
  ASSERT_EQ(call.bob.state(), DtlsSrtpEndpoint::State::Connected) << call.bob.failure_reason();
  // After the handshake too, and truncated copies of real records.
  for (int i = 0; i < 100; ++i) {
    std::vector<std::byte> junk(1 + rng() % 200);
    for (auto& b : junk) b = static_cast<std::byte>(rng());
    junk[0] = std::byte{static_cast<unsigned char>(20 + i % 4)};
    EXPECT_TRUE(call.bob.feed(junk, call.now).size() < 16);
  }
  EXPECT_EQ(call.bob.state(), DtlsSrtpEndpoint::State::Connected);
  expect_media_flows(call.alice, call.bob);
}

TEST(DtlsSrtpHandshake, CloseNotifyEndsThePeer) {
  Call call = make_call();
  call.run();
  ASSERT_EQ(call.alice.state(), DtlsSrtpEndpoint::State::Connected);
  auto bye = call.alice.close();
  ASSERT_FALSE(bye.empty());
  EXPECT_EQ(call.alice.state(), DtlsSrtpEndpoint::State::Closed);
  for (auto& d : bye) call.bob.feed(d, call.now);
  EXPECT_EQ(call.bob.state(), DtlsSrtpEndpoint::State::Closed);
  EXPECT_EQ(call.bob.error(), DtlsErrc::PeerClosed);
  // Keys derived before the close stay available for the media already flowing.
  EXPECT_TRUE(call.bob.keys().has_value());
}
