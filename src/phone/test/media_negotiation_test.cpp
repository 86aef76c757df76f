#include "phone/media_negotiation.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <initializer_list>
#include <string>
#include <vector>

#include "crypto/dtls_connection.hpp"
#include "media/dtls_srtp.hpp"
#include "media/sdes.hpp"
#include "media/srtp_session.hpp"
#include "sip/sdp/base64.hpp"
#include "sip/sdp/sdp.hpp"

using namespace warden::phone;
namespace base = warden::base;
namespace media = warden::media;
namespace sdp = warden::sip::sdp;
using warden::crypto::DtlsIdentity;
using warden::crypto::DtlsRole;
using sdp::Direction;

namespace {

// A deterministic Random for tests (splitmix64): keys differ between calls but runs repeat.
class TestRandom final : public base::Random {
 public:
  explicit TestRandom(std::uint64_t seed = 1) : state_(seed) {}
  void fill(std::span<std::byte> out) noexcept override {
    for (auto& b : out) {
      state_ += 0x9e3779b97f4a7c15ULL;
      std::uint64_t z = state_;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      b = static_cast<std::byte>(z ^ (z >> 31));
    }
  }

 private:
  std::uint64_t state_;
};

const DtlsIdentity& alice_identity() {
  static const DtlsIdentity id = DtlsIdentity::generate("alice").value();
  return id;
}
const DtlsIdentity& bob_identity() {
  static const DtlsIdentity id = DtlsIdentity::generate("bob").value();
  return id;
}
std::string alice_fp() { return media::fingerprint_attribute_value(alice_identity()); }
std::string bob_fp() { return media::fingerprint_attribute_value(bob_identity()); }

LocalMedia alice_media(Direction d = Direction::SendRecv) { return {"192.0.2.10", 40000, d}; }
LocalMedia bob_media(Direction d = Direction::SendRecv) { return {"198.51.100.20", 50000, d}; }

MediaPolicy policy(Keying k, std::vector<AudioCodec> codecs = {AudioCodec::Opus, AudioCodec::Pcmu, AudioCodec::Pcma}) {
  MediaPolicy p;
  p.codecs = std::move(codecs);
  p.offer_keying = k;
  p.signalling_secure = k == Keying::Sdes;
  p.allow_insecure = k == Keying::None;
  return p;
}

// SDP text from lines, CRLF-terminated.
std::string sdp_of(std::initializer_list<std::string_view> lines) {
  std::string out;
  for (auto l : lines) {
    out += l;
    out += "\r\n";
  }
  return out;
}

NegotiationErrc errc_of(std::error_code ec) {
  auto e = negotiation_errc(ec);
  EXPECT_TRUE(e.has_value()) << ec.category().name() << ": " << ec.message();
  return e.value_or(NegotiationErrc::Ok);
}

template <class T>
NegotiationErrc failure(const base::Result<T>& r) {
  EXPECT_FALSE(r.ok());
  return r.ok() ? NegotiationErrc::Ok : errc_of(r.error());
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

std::size_t count_of(std::string_view text, std::string_view part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string_view::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

std::string replace(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "no '" << from << "' in\n" << text;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// a's RTP packet reaches b through SRTP.
bool srtp_talks(media::SrtpSession& a, media::SrtpSession& b, std::uint16_t seq) {
  std::vector<std::byte> p(12 + 20 + media::SrtpSession::kProtectHeadroom, std::byte{0x55});
  p[0] = std::byte{0x80};
  p[2] = std::byte(seq >> 8);
  p[3] = std::byte(seq & 0xff);
  auto n = a.protect_rtp(p, 32);
  if (!n) return false;
  p.resize(*n);
  auto m = b.unprotect_rtp(p);
  return m.ok() && *m == 32;
}

// Runs a DTLS-SRTP handshake in memory between the two sides' negotiated parameters and
// checks the keys work both ways.
void expect_dtls_handshake(const DtlsParams& caller, const DtlsIdentity& caller_id, const DtlsParams& callee,
                           const DtlsIdentity& callee_id) {
  auto make = [](const DtlsParams& p, const DtlsIdentity& id) {
    media::DtlsSrtpConfig c;
    c.role = p.role;
    c.peer_fingerprints = p.peer_fingerprints;
    c.suites = p.suites;
    return media::DtlsSrtpEndpoint::create(id, std::move(c));
  };
  auto a = make(caller, caller_id);
  auto b = make(callee, callee_id);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  base::TimePoint now{};
  std::deque<std::pair<bool, std::vector<std::byte>>> wire;  // (from caller, datagram)
  auto post = [&](bool from_a, media::DtlsSrtpEndpoint::Datagrams d) {
    for (auto& x : d) wire.emplace_back(from_a, std::move(x));
  };
  post(true, a->start(now));
  post(false, b->start(now));
  for (int steps = 0; !wire.empty() && steps < 100; ++steps) {
    auto [from_a, d] = std::move(wire.front());
    wire.pop_front();
    post(!from_a, (from_a ? *b : *a).feed(d, now));
  }
  ASSERT_EQ(a->state(), media::DtlsSrtpEndpoint::State::Connected) << a->failure_reason();
  ASSERT_EQ(b->state(), media::DtlsSrtpEndpoint::State::Connected) << b->failure_reason();
  auto sa = a->make_srtp_session();
  auto sb = b->make_srtp_session();
  ASSERT_TRUE(sa.ok());
  ASSERT_TRUE(sb.ok());
  EXPECT_TRUE(srtp_talks(*sa, *sb, 1));
  EXPECT_TRUE(srtp_talks(*sb, *sa, 1));
}

// One full exchange: alice offers, bob answers, alice accepts.
struct Exchange {
  Offer offer;
  Answer answer;
  NegotiatedMedia caller;
};
base::Result<Exchange> exchange(const MediaPolicy& alice, const MediaPolicy& bob, TestRandom& rng,
                                LocalMedia alice_local = alice_media(), LocalMedia bob_local = bob_media()) {
  auto offer = make_offer(alice, alice_local, rng, alice_fp());
  if (!offer) return offer.error();
  auto answer = answer_offer(offer->sdp, bob, bob_local, rng, bob_fp());
  if (!answer) return answer.error();
  auto caller = accept_answer(*offer, answer->sdp, alice);
  if (!caller) return caller.error();
  return Exchange{std::move(*offer), std::move(*answer), std::move(*caller)};
}

// ---- baresip-style offers (what baresip 1.x/2.x puts on the wire) ----------------------

// mediaenc=srtp-mand: RTP/SAVP, one a=crypto per suite baresip knows (AES_256_CM is one we do
// not support), no rtcp-mux, a=rtcp for the RTCP port, opus on dynamic payload type 96.
const std::string kBaresipSdesOffer = sdp_of({
    "v=0",
    "o=- 1709312240 3140578316 IN IP4 203.0.113.5",
    "s=-",
    "c=IN IP4 203.0.113.5",
    "t=0 0",
    "a=tool:baresip 2.0.2",
    "m=audio 10220 RTP/SAVP 96 0 8 101",
    "b=AS:109",
    "a=rtpmap:96 opus/48000/2",
    "a=fmtp:96 stereo=1;sprop-stereo=1",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-15",
    "a=rtcp:10221",
    "a=sendrecv",
    "a=label:1",
    "a=ssrc:2218634712 cname:59fb1a8e-6bd3-46c2-92ba-e0c6f51a0cf1",
    "a=rtcp-rsize",
    "a=ptime:20",
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:OE6zpphIJbKHUnBnXwepZA0Jp/D19o/S8qx2Zt42",
    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:WnczaNW+EZ4Eda5xg6i00PLr0QR0989mG+o/f9Ug",
    "a=crypto:3 AES_256_CM_HMAC_SHA1_80 inline:MxxX5zx0MmcNGnTcTBps2sf7dazWQJ2P4TI2bFLi47GsHbCU6xgKNzp6FBaKzg==",
    "a=crypto:4 AES_256_CM_HMAC_SHA1_32 inline:OuWse6PsygVc6DiBwZxeiYYJI3SrwW5N9syrIvVPOg5TkHPMg8+werclXxg20A==",
    "a=crypto:5 AEAD_AES_256_GCM inline:uRS01++YyctU4GjnjRnNx5uxRLdGDBQVmDqhiXCjWIVlvF/Gu9zpHb6ysPA=",
    "a=crypto:6 AEAD_AES_128_GCM inline:ORZMPwGppGH7B+laeM/zmTNiiki4kHQFjgBtbA==",
});

constexpr std::string_view kBaresipSha256 =
    "EB:AD:4C:CC:34:1B:07:21:37:1C:75:13:38:0E:BE:AF:53:D9:49:67:0C:7E:06:FD:AF:38:BE:3F:FD:93:A7:7E";

// mediaenc=dtls_srtp: UDP/TLS/RTP/SAVPF, a=setup and a=fingerprint at SESSION level with the
// hash name in upper case, rtcp-mux.
const std::string kBaresipDtlsOffer = sdp_of({
    "v=0",
    "o=- 2734882218 1894721934 IN IP4 203.0.113.5",
    "s=-",
    "c=IN IP4 203.0.113.5",
    "t=0 0",
    "a=tool:baresip 1.1.0",
    "a=setup:actpass",
    "a=fingerprint:SHA-256 EB:AD:4C:CC:34:1B:07:21:37:1C:75:13:38:0E:BE:AF:53:D9:49:67:0C:7E:06:FD:AF:38:BE:3F:FD:93:A7:7E",
    "m=audio 10176 UDP/TLS/RTP/SAVPF 96 0 8 101",
    "b=AS:109",
    "a=rtpmap:96 opus/48000/2",
    "a=fmtp:96 stereo=1;sprop-stereo=1",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-15",
    "a=sendrecv",
    "a=label:1",
    "a=rtcp-rsize",
    "a=ssrc:3395245547 cname:60ea3b24-4a9e-4e1d-8f4a-0a33d98e1d3d",
    "a=rtcp-mux",
    "a=ptime:20",
});

}  // namespace

// ---- round trips ------------------------------------------------------------------------

struct RoundTripCase {
  Keying keying;
  AudioCodec codec;
  std::uint8_t payload_type;
  std::uint32_t clock_rate;
  std::uint8_t channels;
};

class NegotiationRoundTrip : public ::testing::TestWithParam<RoundTripCase> {};

static std::string round_trip_name(const ::testing::TestParamInfo<RoundTripCase>& info) {
  static constexpr const char* kKeying[] = {"DtlsSrtp", "Sdes", "None"};
  static constexpr const char* kCodec[] = {"Opus", "Pcmu", "Pcma"};
  return std::string(kKeying[static_cast<int>(info.param.keying)]) + "_" + kCodec[static_cast<int>(info.param.codec)];
}

TEST_P(NegotiationRoundTrip, BothSidesAgreeOnCodecAddressesAndKeys) {
  const RoundTripCase c = GetParam();
  TestRandom rng(static_cast<std::uint64_t>(c.keying) * 10 + static_cast<std::uint64_t>(c.codec) + 1);
  const MediaPolicy p = policy(c.keying, {c.codec});
  auto x = exchange(p, p, rng);
  ASSERT_TRUE(x.ok()) << x.error().message();
  const NegotiatedMedia& caller = x->caller;
  const NegotiatedMedia& callee = x->answer.media;

  for (const NegotiatedMedia* n : {&caller, &callee}) {
    EXPECT_EQ(n->codec.codec, c.codec);
    EXPECT_EQ(n->codec.payload_type, c.payload_type);
    EXPECT_EQ(n->codec.receive_payload_type, c.payload_type);
    EXPECT_EQ(n->codec.clock_rate, c.clock_rate);
    EXPECT_EQ(n->codec.channels, c.channels);
    EXPECT_EQ(n->telephone_event_pt, std::optional<std::uint8_t>(101));
    EXPECT_EQ(n->direction, Direction::SendRecv);
    EXPECT_TRUE(n->rtcp_mux);
    EXPECT_EQ(n->keying_name(), to_string(c.keying));
    EXPECT_EQ(n->secure(), c.keying != Keying::None);
    EXPECT_EQ(n->remote_ptime, std::optional<double>(20.0));
  }
  EXPECT_EQ(caller.remote_address, "198.51.100.20");
  EXPECT_EQ(caller.remote_port, 50000);
  EXPECT_EQ(caller.remote_rtcp_port, 50000);
  EXPECT_EQ(callee.remote_address, "192.0.2.10");
  EXPECT_EQ(callee.remote_port, 40000);

  switch (c.keying) {
    case Keying::Sdes: {
      const auto& a = std::get<media::SdesKeys>(caller.keying);
      const auto& b = std::get<media::SdesKeys>(callee.keying);
      EXPECT_EQ(a.tag, b.tag);
      EXPECT_TRUE(a.send == b.receive);
      EXPECT_TRUE(a.receive == b.send);
      EXPECT_FALSE(a.send == a.receive);
      EXPECT_EQ(a.send.suite(), media::SrtpSuite::AeadAes256Gcm);  // strongest first
      auto sa = a.make_session();
      auto sb = b.make_session();
      ASSERT_TRUE(sa.ok());
      ASSERT_TRUE(sb.ok());
      EXPECT_TRUE(srtp_talks(*sa, *sb, 7));
      EXPECT_TRUE(srtp_talks(*sb, *sa, 7));
      EXPECT_TRUE(contains(x->offer.sdp, "m=audio 40000 RTP/SAVP "));
      EXPECT_EQ(count_of(x->offer.sdp, "a=crypto:"), media::kSrtpSuitesByPreference.size());
      EXPECT_EQ(count_of(x->answer.sdp, "a=crypto:"), 1u);
      break;
    }
    case Keying::DtlsSrtp: {
      const auto& a = std::get<DtlsParams>(caller.keying);
      const auto& b = std::get<DtlsParams>(callee.keying);
      EXPECT_NE(a.role, b.role);
      EXPECT_EQ(b.role, DtlsRole::Client);  // the answerer of actpass is active (RFC 5763 §5)
      ASSERT_EQ(a.peer_fingerprints.size(), 1u);
      ASSERT_EQ(b.peer_fingerprints.size(), 1u);
      EXPECT_EQ(a.peer_fingerprints[0].digest, bob_identity().fingerprint());
      EXPECT_EQ(b.peer_fingerprints[0].digest, alice_identity().fingerprint());
      EXPECT_TRUE(contains(x->offer.sdp, "m=audio 40000 UDP/TLS/RTP/SAVP "));
      EXPECT_TRUE(contains(x->offer.sdp, "a=setup:actpass\r\n"));
      EXPECT_TRUE(contains(x->answer.sdp, "a=setup:active\r\n"));
      EXPECT_FALSE(contains(x->offer.sdp, "a=crypto"));
      expect_dtls_handshake(a, alice_identity(), b, bob_identity());
      break;
    }
    case Keying::None:
      EXPECT_TRUE(std::holds_alternative<std::monostate>(caller.keying));
      EXPECT_TRUE(std::holds_alternative<std::monostate>(callee.keying));
      EXPECT_TRUE(contains(x->offer.sdp, "m=audio 40000 RTP/AVP "));
      EXPECT_FALSE(contains(x->answer.sdp, "a=crypto"));
      EXPECT_FALSE(contains(x->answer.sdp, "a=fingerprint"));
      break;
  }
}

INSTANTIATE_TEST_SUITE_P(
    KeyingTimesCodec, NegotiationRoundTrip,
    ::testing::Values(RoundTripCase{Keying::DtlsSrtp, AudioCodec::Opus, 111, 48000, 2},
                      RoundTripCase{Keying::DtlsSrtp, AudioCodec::Pcmu, 0, 8000, 1},
                      RoundTripCase{Keying::DtlsSrtp, AudioCodec::Pcma, 8, 8000, 1},
                      RoundTripCase{Keying::Sdes, AudioCodec::Opus, 111, 48000, 2},
                      RoundTripCase{Keying::Sdes, AudioCodec::Pcmu, 0, 8000, 1},
                      RoundTripCase{Keying::Sdes, AudioCodec::Pcma, 8, 8000, 1},
                      RoundTripCase{Keying::None, AudioCodec::Opus, 111, 48000, 2},
                      RoundTripCase{Keying::None, AudioCodec::Pcmu, 0, 8000, 1},
                      RoundTripCase{Keying::None, AudioCodec::Pcma, 8, 8000, 1}),
    round_trip_name);

TEST(NegotiationOffer, DefaultOfferIsOneAudioLineWithEverything) {
  TestRandom rng;
  auto offer = make_offer(MediaPolicy{}, alice_media(), rng, alice_fp());
  ASSERT_TRUE(offer.ok()) << offer.error().message();
  const std::string& s = offer->sdp;
  EXPECT_TRUE(contains(s, "c=IN IP4 192.0.2.10\r\n"));
  EXPECT_TRUE(contains(s, "m=audio 40000 UDP/TLS/RTP/SAVP 111 0 8 101\r\n"));
  EXPECT_TRUE(contains(s, "a=rtpmap:111 opus/48000/2\r\n"));
  EXPECT_TRUE(contains(s, "a=fmtp:111 useinbandfec=1\r\n"));
  EXPECT_TRUE(contains(s, "a=rtpmap:0 PCMU/8000\r\n"));
  EXPECT_TRUE(contains(s, "a=rtpmap:8 PCMA/8000\r\n"));
  EXPECT_TRUE(contains(s, "a=rtpmap:101 telephone-event/8000\r\n"));
  EXPECT_TRUE(contains(s, "a=fmtp:101 0-16\r\n"));
  EXPECT_TRUE(contains(s, "a=ptime:20\r\n"));
  EXPECT_TRUE(contains(s, "a=rtcp-mux\r\n"));
  EXPECT_TRUE(contains(s, "a=sendrecv\r\n"));
  EXPECT_TRUE(contains(s, "a=fingerprint:" + alice_fp() + "\r\n"));
  EXPECT_EQ(count_of(s, "m="), 1u);
  auto parsed = sdp::OwnedSessionDescription::parse(s);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(sdp::check_known_attributes(parsed->description()).ok());
}

TEST(NegotiationOffer, IPv6AddressesAreWrittenAsIP6) {
  TestRandom rng;
  auto offer = make_offer(policy(Keying::DtlsSrtp), {"2001:db8::7", 4000, Direction::SendRecv}, rng, alice_fp());
  ASSERT_TRUE(offer.ok());
  EXPECT_TRUE(contains(offer->sdp, "c=IN IP6 2001:db8::7\r\n"));
  EXPECT_TRUE(contains(offer->sdp, " IN IP6 2001:db8::7\r\n"));  // o=
}

TEST(NegotiationOffer, ReOffersKeepTheSessionIdAndIncrementTheVersion) {
  TestRandom rng;
  const MediaPolicy p = policy(Keying::DtlsSrtp);
  auto first = make_offer(p, alice_media(), rng, alice_fp());
  ASSERT_TRUE(first.ok());
  auto hold = make_offer(p, alice_media(Direction::SendOnly), rng, alice_fp(), first->origin);
  ASSERT_TRUE(hold.ok());
  auto resume = make_offer(p, alice_media(), rng, alice_fp(), hold->origin);
  ASSERT_TRUE(resume.ok());
  EXPECT_EQ(hold->origin.session_id, first->origin.session_id);
  EXPECT_EQ(resume->origin.session_id, first->origin.session_id);
  EXPECT_EQ(hold->origin.version, first->origin.version + 1);
  EXPECT_EQ(resume->origin.version, first->origin.version + 2);
  const std::string o = "o=- " + std::to_string(first->origin.session_id) + " ";
  EXPECT_TRUE(contains(hold->sdp, o + std::to_string(hold->origin.version) + " IN IP4 192.0.2.10\r\n"));
  EXPECT_TRUE(contains(hold->sdp, "a=sendonly\r\n"));
  EXPECT_TRUE(contains(resume->sdp, "a=sendrecv\r\n"));
  // A fresh call draws a fresh session id, below 2^62 (RFC 3264 §5: a signed 64-bit value).
  auto other = make_offer(p, alice_media(), rng, alice_fp());
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->origin.session_id, first->origin.session_id);
  EXPECT_LE(first->origin.session_id, std::uint64_t{1} << 62);
  // The answerer's origin follows the same rule.
  auto answer = answer_offer(first->sdp, p, bob_media(), rng, bob_fp());
  ASSERT_TRUE(answer.ok());
  auto reanswer = answer_offer(hold->sdp, p, bob_media(), rng, bob_fp(), answer->origin);
  ASSERT_TRUE(reanswer.ok());
  EXPECT_EQ(reanswer->origin.session_id, answer->origin.session_id);
  EXPECT_EQ(reanswer->origin.version, answer->origin.version + 1);
}

TEST(NegotiationOffer, RefusesWhatThePolicyForbids) {
  TestRandom rng;
  MediaPolicy sdes = policy(Keying::Sdes);
  sdes.signalling_secure = false;
  auto r = make_offer(sdes, alice_media(), rng, alice_fp());
  EXPECT_EQ(failure(r), NegotiationErrc::SdesNeedsSecureSignalling);
  EXPECT_TRUE(contains(r.error().message(), "TLS"));

  MediaPolicy plain = policy(Keying::None);
  plain.allow_insecure = false;
  EXPECT_EQ(failure(make_offer(plain, alice_media(), rng, alice_fp())), NegotiationErrc::InsecureNotAllowed);

  EXPECT_EQ(failure(make_offer(policy(Keying::DtlsSrtp), alice_media(), rng, "")),
            NegotiationErrc::DtlsNoLocalCertificate);
  EXPECT_EQ(failure(make_offer(policy(Keying::DtlsSrtp), alice_media(), rng, "sha-256 nothex")),
            NegotiationErrc::InvalidLocalSettings);
  EXPECT_EQ(failure(make_offer(policy(Keying::DtlsSrtp, {}), alice_media(), rng, alice_fp())),
            NegotiationErrc::InvalidLocalSettings);
  EXPECT_EQ(failure(make_offer(policy(Keying::DtlsSrtp), {"not an address!", 4000, Direction::SendRecv}, rng,
                               alice_fp())),
            NegotiationErrc::InvalidLocalSettings);
  EXPECT_EQ(failure(make_offer(policy(Keying::DtlsSrtp), {"192.0.2.1", 0, Direction::SendRecv}, rng, alice_fp())),
            NegotiationErrc::InvalidLocalSettings);
  MediaPolicy no_suites = policy(Keying::Sdes);
  no_suites.suites.clear();
  EXPECT_EQ(failure(make_offer(no_suites, alice_media(), rng, alice_fp())), NegotiationErrc::InvalidLocalSettings);
  // A plain offer carries no keys, even with a fingerprint at hand.
  auto ok = make_offer(policy(Keying::None), alice_media(), rng, alice_fp());
  ASSERT_TRUE(ok.ok());
  EXPECT_FALSE(contains(ok->sdp, "a=fingerprint"));
  EXPECT_FALSE(contains(ok->sdp, "a=crypto"));
}

// ---- codecs -----------------------------------------------------------------------------

TEST(NegotiationCodec, TheAnswererPicksItsOwnFirstPreferenceThatWasOffered) {
  struct Case {
    std::vector<AudioCodec> offered, ours;
    AudioCodec expected;
    std::uint8_t pt;
  };
  const Case cases[] = {
      {{AudioCodec::Pcma, AudioCodec::Pcmu, AudioCodec::Opus}, {AudioCodec::Opus, AudioCodec::Pcmu}, AudioCodec::Opus, 111},
      {{AudioCodec::Opus, AudioCodec::Pcma, AudioCodec::Pcmu}, {AudioCodec::Pcmu, AudioCodec::Opus}, AudioCodec::Pcmu, 0},
      {{AudioCodec::Opus, AudioCodec::Pcma}, {AudioCodec::Pcmu, AudioCodec::Pcma}, AudioCodec::Pcma, 8},
      {{AudioCodec::Pcmu}, {AudioCodec::Opus, AudioCodec::Pcma, AudioCodec::Pcmu}, AudioCodec::Pcmu, 0},
  };
  for (const Case& c : cases) {
    TestRandom rng;
    auto x = exchange(policy(Keying::DtlsSrtp, c.offered), policy(Keying::DtlsSrtp, c.ours), rng);
    ASSERT_TRUE(x.ok()) << x.error().message();
    EXPECT_EQ(x->answer.media.codec.codec, c.expected);
    EXPECT_EQ(x->caller.codec.codec, c.expected);
    EXPECT_EQ(x->caller.codec.payload_type, c.pt);
    // The answer names the chosen codec and telephone-event only.
    EXPECT_TRUE(contains(x->answer.sdp, "m=audio 50000 UDP/TLS/RTP/SAVP " + std::to_string(c.pt) + " 101\r\n"))
        << x->answer.sdp;
  }
}

TEST(NegotiationCodec, NoCommonCodecIsRefusedWith488) {
  TestRandom rng;
  auto x = exchange(policy(Keying::DtlsSrtp, {AudioCodec::Opus}), policy(Keying::DtlsSrtp, {AudioCodec::Pcmu}), rng);
  EXPECT_EQ(failure(x), NegotiationErrc::NoCommonCodec);
  EXPECT_EQ(sip_status(NegotiationErrc::NoCommonCodec), 488);
}

TEST(NegotiationCodec, StaticPayloadTypesWithoutRtpmap) {
  TestRandom rng;
  const std::string offer = sdp_of({"v=0", "o=- 1 1 IN IP4 192.0.2.99", "s=-", "c=IN IP4 192.0.2.99", "t=0 0",
                                    "m=audio 4000 RTP/AVP 8 0 18"});
  auto a = answer_offer(offer, policy(Keying::None, {AudioCodec::Pcmu, AudioCodec::Pcma}), bob_media(), rng, "");
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->media.codec.codec, AudioCodec::Pcmu);
  EXPECT_EQ(a->media.codec.payload_type, 0);
  EXPECT_FALSE(a->media.telephone_event_pt.has_value());
  EXPECT_FALSE(a->media.rtcp_mux);
  EXPECT_EQ(a->media.remote_rtcp_port, 4001);
  EXPECT_TRUE(contains(a->sdp, "m=audio 50000 RTP/AVP 0\r\n")) << a->sdp;
  EXPECT_FALSE(contains(a->sdp, "a=rtcp-mux"));

  auto pcma = answer_offer(offer, policy(Keying::None, {AudioCodec::Pcma}), bob_media(), rng, "");
  ASSERT_TRUE(pcma.ok());
  EXPECT_EQ(pcma->media.codec.codec, AudioCodec::Pcma);
  // An rtpmap overrides the static meaning: 0 mapped to something else is not PCMU.
  const std::string remapped = sdp_of({"v=0", "o=- 1 1 IN IP4 192.0.2.99", "s=-", "c=IN IP4 192.0.2.99", "t=0 0",
                                       "m=audio 4000 RTP/AVP 0", "a=rtpmap:0 G722/8000"});
  EXPECT_EQ(failure(answer_offer(remapped, policy(Keying::None), bob_media(), rng, "")), NegotiationErrc::NoCommonCodec);
}

TEST(NegotiationCodec, OfferedPayloadTypeNumbersAndCaseOfNamesAreKept) {
  TestRandom rng;
  const std::string offer = sdp_of({"v=0", "o=- 1 1 IN IP4 192.0.2.99", "s=-", "c=IN IP4 192.0.2.99", "t=0 0",
                                    "m=audio 4000 RTP/AVP 120 97", "a=rtpmap:120 OPUS/48000/2",
                                    "a=rtpmap:97 telephone-event/48000", "a=fmtp:97 0-15"});
  auto a = answer_offer(offer, policy(Keying::None), bob_media(), rng, "");
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->media.codec.codec, AudioCodec::Opus);
  EXPECT_EQ(a->media.codec.payload_type, 120);
  EXPECT_EQ(a->media.telephone_event_pt, std::optional<std::uint8_t>(97));  // same clock as opus
  EXPECT_TRUE(contains(a->sdp, "m=audio 50000 RTP/AVP 120 97\r\n"));
  EXPECT_TRUE(contains(a->sdp, "a=rtpmap:120 opus/48000/2\r\n"));
  EXPECT_TRUE(contains(a->sdp, "a=fmtp:120 useinbandfec=1\r\n"));
}

TEST(NegotiationCodec, TelephoneEventOnlyWhenOffered) {
  TestRandom rng;
  const std::string with = sdp_of({"v=0", "o=- 1 1 IN IP4 192.0.2.99", "s=-", "c=IN IP4 192.0.2.99", "t=0 0",
                                    "m=audio 4000 RTP/AVP 0 100", "a=rtpmap:100 telephone-event/8000",
                                    "a=fmtp:100 0-15"});
  auto a = answer_offer(with, policy(Keying::None), bob_media(), rng, "");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->media.telephone_event_pt, std::optional<std::uint8_t>(100));
  EXPECT_EQ(a->media.telephone_event_receive_pt, std::optional<std::uint8_t>(100));
  EXPECT_TRUE(contains(a->sdp, "m=audio 50000 RTP/AVP 0 100\r\n"));
  EXPECT_TRUE(contains(a->sdp, "a=rtpmap:100 telephone-event/8000\r\n"));

  const std::string without = sdp_of({"v=0", "o=- 1 1 IN IP4 192.0.2.99", "s=-", "c=IN IP4 192.0.2.99", "t=0 0",
                                       "m=audio 4000 RTP/AVP 0"});
  auto b = answer_offer(without, policy(Keying::None), bob_media(), rng, "");
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->media.telephone_event_pt.has_value());
  EXPECT_FALSE(contains(b->sdp, "telephone-event"));
}

TEST(NegotiationCodec, AnswerWithACodecWeDidNotOfferIsRefused) {
  TestRandom rng;
  const MediaPolicy alice = policy(Keying::DtlsSrtp, {AudioCodec::Pcmu});
  auto offer = make_offer(alice, alice_media(), rng, alice_fp());
  ASSERT_TRUE(offer.ok());
  auto answer = answer_offer(offer->sdp, policy(Keying::DtlsSrtp), bob_media(), rng, bob_fp());
  ASSERT_TRUE(answer.ok());
  ASSERT_TRUE(accept_answer(*offer, answer->sdp, alice).ok());

  // PCMA was never offered (static 8, no rtpmap needed to know it).
  std::string pcma = replace(answer->sdp, "UDP/TLS/RTP/SAVP 0 101", "UDP/TLS/RTP/SAVP 8 101");
  pcma = replace(pcma, "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000");
  auto r = accept_answer(*offer, pcma, alice);
  EXPECT_EQ(failure(r), NegotiationErrc::CodecNotOffered);
  // G.722 on a dynamic number.
  std::string g722 = replace(answer->sdp, "UDP/TLS/RTP/SAVP 0 101", "UDP/TLS/RTP/SAVP 9 101");
  g722 = replace(g722, "a=rtpmap:0 PCMU/8000", "a=rtpmap:9 G722/8000");
  EXPECT_EQ(failure(accept_answer(*offer, g722, alice)), NegotiationErrc::CodecNotOffered);
}

TEST(NegotiationCodec, AnAnswerThatRenumbersIsSentWithItsNumber) {
  TestRandom rng;
  const MediaPolicy alice = policy(Keying::DtlsSrtp, {AudioCodec::Opus});
  auto offer = make_offer(alice, alice_media(), rng, alice_fp());
  ASSERT_TRUE(offer.ok());
  auto answer = answer_offer(offer->sdp, alice, bob_media(), rng, bob_fp());
  ASSERT_TRUE(answer.ok());
  std::string renumbered = replace(answer->sdp, "SAVP 111 101", "SAVP 96 102");
  renumbered = replace(renumbered, "a=rtpmap:111 ", "a=rtpmap:96 ");
  renumbered = replace(renumbered, "a=fmtp:111 ", "a=fmtp:96 ");
  renumbered = replace(renumbered, "a=rtpmap:101 ", "a=rtpmap:102 ");
  renumbered = replace(renumbered, "a=fmtp:101 ", "a=fmtp:102 ");
  auto n = accept_answer(*offer, renumbered, alice);
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ(n->codec.payload_type, 96);
  EXPECT_EQ(n->codec.receive_payload_type, 111);
  EXPECT_EQ(n->telephone_event_pt, std::optional<std::uint8_t>(102));
  EXPECT_EQ(n->telephone_event_receive_pt, std::optional<std::uint8_t>(101));
}

// ---- directions (RFC 3264 §6.1, §8.4) ---------------------------------------------------

TEST(NegotiationDirection, AnswersFollowRfc3264) {
  struct Case {
    Direction offered;      // the offerer's wish
    Direction answerer;     // the answerer's wish
    Direction answered;     // what the answer says
    Direction offerer_gets; // the offerer's direction after accept_answer
  };
  const Case cases[] = {
      {Direction::SendRecv, Direction::SendRecv, Direction::SendRecv, Direction::SendRecv},
      {Direction::SendOnly, Direction::SendRecv, Direction::RecvOnly, Direction::SendOnly},  // we hold
      {Direction::RecvOnly, Direction::SendRecv, Direction::SendOnly, Direction::RecvOnly},
      {Direction::Inactive, Direction::SendRecv, Direction::Inactive, Direction::Inactive},
      {Direction::SendRecv, Direction::SendOnly, Direction::SendOnly, Direction::RecvOnly},  // they hold
      {Direction::SendRecv, Direction::Inactive, Direction::Inactive, Direction::Inactive},
      {Direction::SendOnly, Direction::SendOnly, Direction::Inactive, Direction::Inactive},  // both hold
      {Direction::RecvOnly, Direction::RecvOnly, Direction::Inactive, Direction::Inactive},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(sdp::to_string(c.offered)) + " / " + std::string(sdp::to_string(c.answerer)));
    TestRandom rng;
    auto x = exchange(policy(Keying::DtlsSrtp), policy(Keying::DtlsSrtp), rng, alice_media(c.offered),
                      bob_media(c.answerer));
    ASSERT_TRUE(x.ok()) << x.error().message();
    EXPECT_TRUE(contains(x->offer.sdp, "a=" + std::string(sdp::to_string(c.offered)) + "\r\n"));
    EXPECT_TRUE(contains(x->answer.sdp, "a=" + std::string(sdp::to_string(c.answered)) + "\r\n")) << x->answer.sdp;
    EXPECT_EQ(x->answer.media.direction, c.answered);
    EXPECT_EQ(x->caller.direction, c.offerer_gets);
  }
}

TEST(NegotiationDirection, SessionLevelDirectionAndLegacyHoldAddress) {
  TestRandom rng;
  const std::string session_level = sdp_of({"v=0", "o=- 1 1 IN IP4 192.0.2.99", "s=-", "c=IN IP4 192.0.2.99",
                                            "t=0 0", "a=sendonly", "m=audio 4000 RTP/AVP 0"});
  auto a = answer_offer(session_level, policy(Keying::None), bob_media(), rng, "");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->media.direction, Direction::RecvOnly);

  // RFC 2543 hold: c=0.0.0.0 with sendrecv means the peer receives nothing: we must not send.
  const std::string legacy = sdp_of({"v=0", "o=- 1 2 IN IP4 192.0.2.99", "s=-", "c=IN IP4 0.0.0.0", "t=0 0",
                                     "m=audio 4000 RTP/AVP 0", "a=sendrecv"});
  auto b = answer_offer(legacy, policy(Keying::None), bob_media(), rng, "");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->media.direction, Direction::RecvOnly);
  EXPECT_EQ(b->media.remote_address, "0.0.0.0");
  EXPECT_TRUE(contains(b->sdp, "a=recvonly\r\n"));

  const std::string conflicting = sdp_of({"v=0", "o=- 1 1 IN IP4 192.0.2.99", "s=-", "c=IN IP4 192.0.2.99", "t=0 0",
                                          "m=audio 4000 RTP/AVP 0", "a=sendonly", "a=recvonly"});
  auto c = answer_offer(conflicting, policy(Keying::None), bob_media(), rng, "");
  EXPECT_EQ(failure(c), NegotiationErrc::MalformedAttribute);
  EXPECT_EQ(sip_status(NegotiationErrc::MalformedAttribute), 400);
}

// ---- addresses, streams -----------------------------------------------------------------

TEST(NegotiationStreams, MediaLevelConnectionWinsAndOtherStreamsAreRefusedWithPortZero) {
  TestRandom rng;
  const std::string offer = sdp_of({"v=0", "o=- 1 1 IN IP4 192.0.2.99", "s=-", "c=IN IP4 192.0.2.99", "t=0 0",
                                    "m=video 5002 RTP/AVP 96", "a=rtpmap:96 H264/90000",
                                    "m=audio 0 RTP/AVP 0",
                                    "m=audio 4000 RTP/AVP 0", "c=IN IP4 192.0.2.123", "a=rtcp:4009", "a=mid:a1",
                                    "m=text 6000 RTP/AVP 98", "a=rtpmap:98 t140/1000"});
  auto a = answer_offer(offer, policy(Keying::None), bob_media(), rng, "");
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->media.remote_address, "192.0.2.123");
  EXPECT_EQ(a->media.remote_port, 4000);
  EXPECT_EQ(a->media.remote_rtcp_port, 4009);
  auto parsed = sdp::OwnedSessionDescription::parse(a->sdp);
  ASSERT_TRUE(parsed.ok());
  const auto& media = parsed->description().media;
  ASSERT_EQ(media.size(), 4u);  // one answer per offered stream (RFC 3264 §6)
  EXPECT_EQ(media[0].media, "video");
  EXPECT_EQ(media[0].port, 0);
  EXPECT_EQ(media[1].port, 0);
  EXPECT_EQ(media[2].port, 50000);
  EXPECT_EQ(sdp::find_mid(media[2]), std::optional<std::string_view>("a1"));
  EXPECT_EQ(media[3].media, "text");
  EXPECT_EQ(media[3].port, 0);
}

TEST(NegotiationStreams, NoUsableAudioIsRefused) {
  TestRandom rng;
  const std::string cases[] = {
      sdp_of({"v=0", "o=- 1 1 IN IP4 192.0.2.99", "s=-", "c=IN IP4 192.0.2.99", "t=0 0"}),
      sdp_of({"v=0", "o=- 1 1 IN IP4 192.0.2.99", "s=-", "c=IN IP4 192.0.2.99", "t=0 0", "m=audio 0 RTP/AVP 0"}),
      sdp_of({"v=0", "o=- 1 1 IN IP4 192.0.2.99", "s=-", "c=IN IP4 192.0.2.99", "t=0 0", "m=video 5000 RTP/AVP 96"}),
  };
  for (const std::string& offer : cases) {
    auto r = answer_offer(offer, policy(Keying::None), bob_media(), rng, "");
    EXPECT_EQ(failure(r), NegotiationErrc::NoAudio) << offer;
    EXPECT_EQ(sip_status(errc_of(r.error())), 488);
  }
  const std::string multicast = sdp_of({"v=0", "o=- 1 1 IN IP4 192.0.2.99", "s=-", "c=IN IP4 224.2.1.1/127", "t=0 0",
                                        "m=audio 4000 RTP/AVP 0"});
  EXPECT_EQ(failure(answer_offer(multicast, policy(Keying::None), bob_media(), rng, "")),
            NegotiationErrc::NoConnectionAddress);
  const std::string no_c = sdp_of({"v=0", "o=- 1 1 IN IP4 192.0.2.99", "s=-", "t=0 0", "m=audio 4000 RTP/AVP 0"});
  EXPECT_EQ(failure(answer_offer(no_c, policy(Keying::None), bob_media(), rng, "")),
            NegotiationErrc::NoConnectionAddress);
  const std::string tcp = sdp_of({"v=0", "o=- 1 1 IN IP4 192.0.2.99", "s=-", "c=IN IP4 192.0.2.99", "t=0 0",
                                  "m=audio 4000 TCP/MSRP *"});
  EXPECT_EQ(failure(answer_offer(tcp, policy(Keying::None), bob_media(), rng, "")),
            NegotiationErrc::UnsupportedTransport);
}

TEST(NegotiationStreams, AnAnswerThatRefusesTheStreamOrIsNotAudio) {
  TestRandom rng;
  const MediaPolicy p = policy(Keying::DtlsSrtp);
  auto offer = make_offer(p, alice_media(), rng, alice_fp());
  ASSERT_TRUE(offer.ok());
  auto answer = answer_offer(offer->sdp, p, bob_media(), rng, bob_fp());
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(failure(accept_answer(*offer, replace(answer->sdp, "m=audio 50000", "m=audio 0"), p)),
            NegotiationErrc::NoAudio);
  EXPECT_EQ(failure(accept_answer(*offer, replace(answer->sdp, "m=audio 50000", "m=video 50000"), p)),
            NegotiationErrc::AnswerMismatch);
}

// ---- security policy --------------------------------------------------------------------

TEST(NegotiationSecurity, InsecureOfferIsRefusedWith488UnlessAllowed) {
  TestRandom rng;
  MediaPolicy insecure_caller = policy(Keying::None);
  auto offer = make_offer(insecure_caller, alice_media(), rng, "");
  ASSERT_TRUE(offer.ok());

  auto refused = answer_offer(offer->sdp, policy(Keying::DtlsSrtp), bob_media(), rng, bob_fp());
  const NegotiationErrc e = failure(refused);
  EXPECT_EQ(e, NegotiationErrc::InsecureOffer);
  EXPECT_EQ(sip_status(e), 488);
  EXPECT_TRUE(contains(describe(e), "no encryption"));
  EXPECT_TRUE(contains(describe(e), "--allow-insecure-media"));
  EXPECT_EQ(refused.error().message(), std::string(describe(e)));

  MediaPolicy lenient = policy(Keying::DtlsSrtp);
  lenient.allow_insecure = true;
  auto accepted = answer_offer(offer->sdp, lenient, bob_media(), rng, bob_fp());
  ASSERT_TRUE(accepted.ok()) << accepted.error().message();
  EXPECT_EQ(accepted->media.keying_name(), "none");
  EXPECT_FALSE(accepted->media.secure());
  EXPECT_TRUE(contains(accepted->sdp, "m=audio 50000 RTP/AVP "));
  EXPECT_FALSE(contains(accepted->sdp, "a=fingerprint"));
}

TEST(NegotiationSecurity, SdesOverCleartextSignallingIsRefused) {
  TestRandom rng;
  auto offer = make_offer(policy(Keying::Sdes), alice_media(), rng, "");
  ASSERT_TRUE(offer.ok());
  MediaPolicy cleartext = policy(Keying::DtlsSrtp);
  cleartext.signalling_secure = false;
  cleartext.allow_insecure = true;  // does not help: the offer asked for SRTP (RTP/SAVP)
  auto r = answer_offer(offer->sdp, cleartext, bob_media(), rng, bob_fp());
  EXPECT_EQ(failure(r), NegotiationErrc::SdesNeedsSecureSignalling);
  EXPECT_EQ(sip_status(NegotiationErrc::SdesNeedsSecureSignalling), 488);
  EXPECT_TRUE(contains(r.error().message(), "RFC 4568"));

  // Accepting an SDES answer also requires secure signalling.
  MediaPolicy secure = policy(Keying::Sdes);
  auto answer = answer_offer(offer->sdp, secure, bob_media(), rng, "");
  ASSERT_TRUE(answer.ok());
  MediaPolicy downgraded = secure;
  downgraded.signalling_secure = false;
  EXPECT_EQ(failure(accept_answer(*offer, answer->sdp, downgraded)), NegotiationErrc::SdesNeedsSecureSignalling);
  EXPECT_TRUE(accept_answer(*offer, answer->sdp, secure).ok());
}

TEST(NegotiationSecurity, AnswerThatDropsEncryptionIsRefused) {
  TestRandom rng;
  for (Keying k : {Keying::DtlsSrtp, Keying::Sdes}) {
    SCOPED_TRACE(std::string(to_string(k)));
    MediaPolicy alice = policy(k);
    auto offer = make_offer(alice, alice_media(), rng, alice_fp());
    ASSERT_TRUE(offer.ok());
    const std::string plain = sdp_of({"v=0", "o=- 9 9 IN IP4 198.51.100.20", "s=-", "c=IN IP4 198.51.100.20",
                                      "t=0 0", "m=audio 50000 RTP/AVP 0", "a=sendrecv"});
    auto r = accept_answer(*offer, plain, alice);
    EXPECT_EQ(failure(r), NegotiationErrc::EncryptionDropped);
    EXPECT_TRUE(contains(r.error().message(), "--allow-insecure-media"));
    // The secure profile kept but the keys left out is never acceptable.
    const std::string keyless = replace(plain, "RTP/AVP", k == Keying::Sdes ? "RTP/SAVP" : "UDP/TLS/RTP/SAVP");
    alice.allow_insecure = true;
    EXPECT_EQ(failure(accept_answer(*offer, keyless, alice)), NegotiationErrc::SecureProfileWithoutKeys);
    // With allow_insecure the plain answer goes through, unencrypted and labelled so.
    auto lenient = accept_answer(*offer, plain, alice);
    ASSERT_TRUE(lenient.ok());
    EXPECT_EQ(lenient->keying_name(), "none");
    EXPECT_TRUE(contains(lenient->summary(), "unencrypted"));
  }
}

TEST(NegotiationSecurity, SavpOfferWithoutKeysIsRefused) {
  TestRandom rng;
  const std::string offer = sdp_of({"v=0", "o=- 1 1 IN IP4 192.0.2.99", "s=-", "c=IN IP4 192.0.2.99", "t=0 0",
                                    "m=audio 4000 RTP/SAVP 0"});
  MediaPolicy p = policy(Keying::Sdes);
  p.allow_insecure = true;
  EXPECT_EQ(failure(answer_offer(offer, p, bob_media(), rng, bob_fp())), NegotiationErrc::SecureProfileWithoutKeys);
}

TEST(NegotiationSecurity, SdesAnswerMustMatchAnOfferedLine) {
  TestRandom rng;
  const MediaPolicy p = policy(Keying::Sdes);
  auto offer = make_offer(p, alice_media(), rng, "");
  ASSERT_TRUE(offer.ok());
  auto answer = answer_offer(offer->sdp, p, bob_media(), rng, "");
  ASSERT_TRUE(answer.ok());
  EXPECT_TRUE(contains(answer->sdp, "a=crypto:1 AEAD_AES_256_GCM inline:"));
  EXPECT_EQ(failure(accept_answer(*offer, replace(answer->sdp, "a=crypto:1 ", "a=crypto:9 "), p)),
            NegotiationErrc::SdesAnswerMismatch);
  // Two lines in an answer (RFC 4568 §7.1.2 wants exactly one).
  const auto at = answer->sdp.find("a=crypto:");
  const auto end = answer->sdp.find("\r\n", at);
  const std::string doubled = answer->sdp + answer->sdp.substr(at, end + 2 - at);
  EXPECT_EQ(failure(accept_answer(*offer, doubled, p)), NegotiationErrc::SdesAnswerMismatch);
}

TEST(NegotiationSecurity, SdesSuitesFollowThePolicy) {
  TestRandom rng;
  MediaPolicy alice = policy(Keying::Sdes);
  MediaPolicy bob = policy(Keying::Sdes);
  bob.suites = {media::SrtpSuite::AesCm128HmacSha1_80};
  auto x = exchange(alice, bob, rng);
  ASSERT_TRUE(x.ok()) << x.error().message();
  EXPECT_EQ(std::get<media::SdesKeys>(x->caller.keying).send.suite(), media::SrtpSuite::AesCm128HmacSha1_80);
  EXPECT_TRUE(contains(x->answer.sdp, "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:"));
  bob.suites = {media::SrtpSuite::AesCm128HmacSha1_32};
  alice.suites = {media::SrtpSuite::AeadAes128Gcm};
  EXPECT_EQ(failure(exchange(alice, bob, rng)), NegotiationErrc::SdesNoCommonSuite);
}

TEST(NegotiationSecurity, SdesKeyParametersWeCannotHonourAreRefused) {
  TestRandom rng;
  const std::string offer = sdp_of(
      {"v=0", "o=- 1 1 IN IP4 192.0.2.99", "s=-", "c=IN IP4 192.0.2.99", "t=0 0", "m=audio 4000 RTP/SAVP 0",
       "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:OE6zpphIJbKHUnBnXwepZA0Jp/D19o/S8qx2Zt42 UNENCRYPTED_SRTP"});
  EXPECT_EQ(failure(answer_offer(offer, policy(Keying::Sdes), bob_media(), rng, "")), NegotiationErrc::SdesKeyRefused);
}

TEST(NegotiationSecurity, OpportunisticSrtpUnderRtpAvp) {
  // RFC 8643: keys offered under RTP/AVP. Used when we may; refused or answered plain otherwise.
  TestRandom rng;
  const std::string offer = sdp_of({"v=0", "o=- 1 1 IN IP4 192.0.2.99", "s=-", "c=IN IP4 192.0.2.99", "t=0 0",
                                    "m=audio 4000 RTP/AVP 0",
                                    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:OE6zpphIJbKHUnBnXwepZA0Jp/D19o/S8qx2Zt42"});
  auto secure = answer_offer(offer, policy(Keying::Sdes), bob_media(), rng, "");
  ASSERT_TRUE(secure.ok());
  EXPECT_EQ(secure->media.keying_name(), "sdes");
  EXPECT_TRUE(contains(secure->sdp, "m=audio 50000 RTP/AVP 0\r\n"));
  EXPECT_TRUE(contains(secure->sdp, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));

  MediaPolicy cleartext = policy(Keying::DtlsSrtp);
  EXPECT_EQ(failure(answer_offer(offer, cleartext, bob_media(), rng, "")), NegotiationErrc::SdesNeedsSecureSignalling);
  cleartext.allow_insecure = true;
  auto plain = answer_offer(offer, cleartext, bob_media(), rng, "");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->media.keying_name(), "none");
  EXPECT_FALSE(contains(plain->sdp, "a=crypto"));
}

// ---- DTLS -------------------------------------------------------------------------------

TEST(NegotiationDtls, FingerprintIsDecodedFromTheOffer) {
  TestRandom rng;
  auto a = answer_offer(kBaresipDtlsOffer, policy(Keying::DtlsSrtp), bob_media(), rng, bob_fp());
  ASSERT_TRUE(a.ok()) << a.error().message();
  const auto& d = std::get<DtlsParams>(a->media.keying);
  ASSERT_EQ(d.peer_fingerprints.size(), 1u);
  EXPECT_EQ(d.peer_fingerprints[0].hash, warden::crypto::CertificateDigest::Sha256);
  std::vector<std::byte> digest;
  for (std::size_t i = 0; i < kBaresipSha256.size(); i += 3)
    digest.push_back(static_cast<std::byte>(std::stoi(std::string(kBaresipSha256.substr(i, 2)), nullptr, 16)));
  EXPECT_EQ(d.peer_fingerprints[0].digest, digest);
  EXPECT_EQ(d.peer_fingerprints[0].digest.size(), 32u);
  EXPECT_EQ(d.suites, std::vector<media::SrtpSuite>(media::kSrtpSuitesByPreference.begin(),
                                                    media::kSrtpSuitesByPreference.end()));
}

TEST(NegotiationDtls, MediaLevelFingerprintsOverrideAndWeakHashesAreRefused) {
  TestRandom rng;
  const std::string md5_only = sdp_of({"v=0", "o=- 1 1 IN IP4 192.0.2.99", "s=-", "c=IN IP4 192.0.2.99", "t=0 0",
                                       "m=audio 4000 UDP/TLS/RTP/SAVP 0", "a=setup:actpass", "a=rtcp-mux",
                                       "a=fingerprint:md5 4E:86:AA:3A:C7:FC:1B:91:68:C9:70:A2:53:5A:B0:4E"});
  EXPECT_EQ(failure(answer_offer(md5_only, policy(Keying::DtlsSrtp), bob_media(), rng, bob_fp())),
            NegotiationErrc::DtlsFingerprintUnsupported);
  // MD5 beside SHA-1: the SHA-1 one is used. Media level wins over the session's SHA-256.
  const std::string both = sdp_of({"v=0", "o=- 1 1 IN IP4 192.0.2.99", "s=-", "c=IN IP4 192.0.2.99", "t=0 0",
                                   "a=fingerprint:sha-256 " + std::string(kBaresipSha256),
                                   "m=audio 4000 UDP/TLS/RTP/SAVP 0", "a=setup:actpass", "a=rtcp-mux",
                                   "a=fingerprint:md5 4E:86:AA:3A:C7:FC:1B:91:68:C9:70:A2:53:5A:B0:4E",
                                   "a=fingerprint:sha-1 1C:A3:DC:34:35:30:C4:35:1A:00:43:17:EE:2D:0A:1F:61:95:E7:9F"});
  auto a = answer_offer(both, policy(Keying::DtlsSrtp), bob_media(), rng, bob_fp());
  ASSERT_TRUE(a.ok()) << a.error().message();
  const auto& d = std::get<DtlsParams>(a->media.keying);
  ASSERT_EQ(d.peer_fingerprints.size(), 1u);
  EXPECT_EQ(d.peer_fingerprints[0].hash, warden::crypto::CertificateDigest::Sha1);
  const std::string broken = replace(md5_only, "a=fingerprint:md5 4E:86", "a=fingerprint:md5 4E:8");
  EXPECT_EQ(failure(answer_offer(broken, policy(Keying::DtlsSrtp), bob_media(), rng, bob_fp())),
            NegotiationErrc::MalformedAttribute);
}

TEST(NegotiationDtls, SetupRolesOfOfferAndAnswer) {
  TestRandom rng;
  struct Case {
    std::string_view offered_setup;  // "" for none
    std::optional<std::string_view> answered;
    std::optional<DtlsRole> role;  // the answerer's, nullopt when refused
  };
  const Case cases[] = {
      {"a=setup:actpass", "a=setup:active", DtlsRole::Client},
      {"a=setup:active", "a=setup:passive", DtlsRole::Server},
      {"a=setup:passive", "a=setup:active", DtlsRole::Client},
      {"", "a=setup:passive", DtlsRole::Server},  // absent in an offer means active (RFC 4145 §4.1)
      {"a=setup:holdconn", std::nullopt, std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.offered_setup));
    std::string offer = sdp_of({"v=0", "o=- 1 1 IN IP4 192.0.2.99", "s=-", "c=IN IP4 192.0.2.99", "t=0 0",
                                "m=audio 4000 UDP/TLS/RTP/SAVP 0", "a=rtcp-mux",
                                "a=fingerprint:sha-256 " + std::string(kBaresipSha256)});
    if (!c.offered_setup.empty()) offer += std::string(c.offered_setup) + "\r\n";
    auto a = answer_offer(offer, policy(Keying::DtlsSrtp), bob_media(), rng, bob_fp());
    if (!c.role) {
      EXPECT_EQ(failure(a), NegotiationErrc::DtlsSetupRefused);
      continue;
    }
    ASSERT_TRUE(a.ok()) << a.error().message();
    EXPECT_EQ(std::get<DtlsParams>(a->media.keying).role, *c.role);
    EXPECT_TRUE(contains(a->sdp, std::string(*c.answered) + "\r\n"));
  }
}

TEST(NegotiationDtls, TheOfferersRoleFollowsTheAnswersSetup) {
  TestRandom rng;
  const MediaPolicy p = policy(Keying::DtlsSrtp);
  auto offer = make_offer(p, alice_media(), rng, alice_fp());
  ASSERT_TRUE(offer.ok());
  auto answer = answer_offer(offer->sdp, p, bob_media(), rng, bob_fp());
  ASSERT_TRUE(answer.ok());
  auto active = accept_answer(*offer, answer->sdp, p);
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(std::get<DtlsParams>(active->keying).role, DtlsRole::Server);  // answer active -> we serve
  auto passive = accept_answer(*offer, replace(answer->sdp, "a=setup:active", "a=setup:passive"), p);
  ASSERT_TRUE(passive.ok());
  EXPECT_EQ(std::get<DtlsParams>(passive->keying).role, DtlsRole::Client);
  auto absent = accept_answer(*offer, replace(answer->sdp, "a=setup:active\r\n", ""), p);
  ASSERT_TRUE(absent.ok());
  EXPECT_EQ(std::get<DtlsParams>(absent->keying).role, DtlsRole::Client);  // absent = passive in an answer
  EXPECT_EQ(failure(accept_answer(*offer, replace(answer->sdp, "a=setup:active", "a=setup:actpass"), p)),
            NegotiationErrc::DtlsSetupRefused);
}

TEST(NegotiationDtls, WithoutOurOwnCertificate) {
  TestRandom rng;
  EXPECT_EQ(failure(answer_offer(kBaresipDtlsOffer, policy(Keying::DtlsSrtp), bob_media(), rng, "")),
            NegotiationErrc::DtlsNoLocalCertificate);
}

TEST(NegotiationDtls, OfferWithBothCryptoAndFingerprintPrefersDtls) {
  TestRandom rng;
  // baresip with both media encryption modules loaded: a=crypto lines and a fingerprint.
  std::string offer = kBaresipSdesOffer;
  offer += "a=rtcp-mux\r\na=setup:actpass\r\na=fingerprint:sha-256 " + std::string(kBaresipSha256) + "\r\n";
  auto a = answer_offer(offer, policy(Keying::Sdes), bob_media(), rng, bob_fp());
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->media.keying_name(), "dtls-srtp");
  EXPECT_FALSE(contains(a->sdp, "a=crypto"));
  EXPECT_TRUE(contains(a->sdp, "a=fingerprint:" + bob_fp() + "\r\n"));
  EXPECT_TRUE(contains(a->sdp, "m=audio 50000 RTP/SAVP 96 101\r\n"));  // the proto as offered
  // Without a certificate of ours, the SDES lines still make the call (over TLS signalling).
  auto sdes = answer_offer(offer, policy(Keying::Sdes), bob_media(), rng, "");
  ASSERT_TRUE(sdes.ok()) << sdes.error().message();
  EXPECT_EQ(sdes->media.keying_name(), "sdes");
}

TEST(NegotiationDtls, DtlsNeedsRtcpMux) {
  // One DTLS handshake runs on the RTP port; RTCP on a second port would need a second one.
  TestRandom rng;
  const std::string no_mux = replace(kBaresipDtlsOffer, "a=rtcp-mux\r\n", "");
  auto r = answer_offer(no_mux, policy(Keying::DtlsSrtp), bob_media(), rng, bob_fp());
  EXPECT_EQ(failure(r), NegotiationErrc::DtlsNeedsRtcpMux);
  EXPECT_EQ(sip_status(NegotiationErrc::DtlsNeedsRtcpMux), 488);
  EXPECT_TRUE(contains(r.error().message(), "rtcp_mux yes"));
  // With a=crypto beside the fingerprint the SDES keys carry the call instead (over TLS).
  auto sdes = answer_offer(kBaresipSdesOffer + "a=setup:actpass\r\na=fingerprint:sha-256 " +
                               std::string(kBaresipSha256) + "\r\n",
                           policy(Keying::Sdes), bob_media(), rng, bob_fp());
  ASSERT_TRUE(sdes.ok()) << sdes.error().message();
  EXPECT_EQ(sdes->media.keying_name(), "sdes");
  EXPECT_FALSE(sdes->media.rtcp_mux);
  // Our DTLS offer answered without rtcp-mux.
  const MediaPolicy p = policy(Keying::DtlsSrtp);
  auto offer = make_offer(p, alice_media(), rng, alice_fp());
  ASSERT_TRUE(offer.ok());
  auto answer = answer_offer(offer->sdp, p, bob_media(), rng, bob_fp());
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(failure(accept_answer(*offer, replace(answer->sdp, "a=rtcp-mux\r\n", ""), p)),
            NegotiationErrc::DtlsNeedsRtcpMux);
}

// ---- baresip interop --------------------------------------------------------------------

TEST(NegotiationBaresip, SrtpMandatoryOfferWithSdes) {
  TestRandom rng;
  auto a = answer_offer(kBaresipSdesOffer, policy(Keying::Sdes), bob_media(), rng, bob_fp());
  ASSERT_TRUE(a.ok()) << a.error().message();
  const NegotiatedMedia& n = a->media;
  EXPECT_EQ(n.codec.codec, AudioCodec::Opus);
  EXPECT_EQ(n.codec.payload_type, 96);  // baresip's dynamic number, kept
  EXPECT_EQ(n.telephone_event_pt, std::optional<std::uint8_t>(101));
  EXPECT_EQ(n.remote_address, "203.0.113.5");
  EXPECT_EQ(n.remote_port, 10220);
  EXPECT_FALSE(n.rtcp_mux);
  EXPECT_EQ(n.remote_rtcp_port, 10221);
  EXPECT_EQ(n.direction, Direction::SendRecv);
  // The strongest suite we share: AEAD_AES_256_GCM under baresip's tag 5.
  const auto& keys = std::get<media::SdesKeys>(n.keying);
  EXPECT_EQ(keys.tag, 5u);
  EXPECT_EQ(keys.receive.suite(), media::SrtpSuite::AeadAes256Gcm);
  const auto theirs = sdp::decode_base64("uRS01++YyctU4GjnjRnNx5uxRLdGDBQVmDqhiXCjWIVlvF/Gu9zpHb6ysPA=");
  ASSERT_TRUE(theirs.has_value());
  EXPECT_TRUE(std::equal(keys.receive.key_salt().begin(), keys.receive.key_salt().end(), theirs->begin(),
                         theirs->end()));
  EXPECT_TRUE(contains(a->sdp, "m=audio 50000 RTP/SAVP 96 101\r\n")) << a->sdp;
  EXPECT_EQ(count_of(a->sdp, "a=crypto:"), 1u);
  EXPECT_TRUE(contains(a->sdp, "a=crypto:5 AEAD_AES_256_GCM inline:"));
  EXPECT_FALSE(contains(a->sdp, "a=rtcp-mux"));
  // What baresip would do with our answer: its key and ours make one working SRTP session.
  media::SdesCrypto baresip_line{5, keys.receive};
  const auto our_line = a->sdp.substr(a->sdp.find("a=crypto:") + 9);
  auto baresip_keys = media::accept_sdes_answer(std::span(&baresip_line, 1), our_line.substr(0, our_line.find("\r\n")));
  ASSERT_TRUE(baresip_keys.ok());
  auto ours = keys.make_session();
  auto peer = baresip_keys->make_session();
  ASSERT_TRUE(ours.ok());
  ASSERT_TRUE(peer.ok());
  EXPECT_TRUE(srtp_talks(*ours, *peer, 100));
  EXPECT_TRUE(srtp_talks(*peer, *ours, 100));
  // PCMU-only policy answers baresip's static 0.
  auto pcmu = answer_offer(kBaresipSdesOffer, policy(Keying::Sdes, {AudioCodec::Pcmu}), bob_media(), rng, "");
  ASSERT_TRUE(pcmu.ok());
  EXPECT_EQ(pcmu->media.codec.payload_type, 0);
}

TEST(NegotiationBaresip, DtlsSrtpOfferWithSavpfAndSessionLevelAttributes) {
  TestRandom rng;
  auto a = answer_offer(kBaresipDtlsOffer, policy(Keying::DtlsSrtp), bob_media(), rng, bob_fp());
  ASSERT_TRUE(a.ok()) << a.error().message();
  const NegotiatedMedia& n = a->media;
  EXPECT_EQ(n.codec.codec, AudioCodec::Opus);
  EXPECT_EQ(n.codec.payload_type, 96);
  EXPECT_TRUE(n.rtcp_mux);
  EXPECT_EQ(n.remote_rtcp_port, 10176);
  EXPECT_EQ(std::get<DtlsParams>(n.keying).role, DtlsRole::Client);
  EXPECT_TRUE(contains(a->sdp, "m=audio 50000 UDP/TLS/RTP/SAVPF 96 101\r\n")) << a->sdp;
  EXPECT_TRUE(contains(a->sdp, "a=setup:active\r\n"));
  EXPECT_TRUE(contains(a->sdp, "a=fingerprint:" + bob_fp() + "\r\n"));
  EXPECT_TRUE(contains(a->sdp, "a=rtcp-mux\r\n"));
  EXPECT_TRUE(contains(n.summary(), "dtls-srtp (client)")) << n.summary();
  // The SAVP variant (baresip's dtls_srtp without feedback) is answered as SAVP.
  auto savp = answer_offer(replace(kBaresipDtlsOffer, "UDP/TLS/RTP/SAVPF", "UDP/TLS/RTP/SAVP"),
                           policy(Keying::DtlsSrtp), bob_media(), rng, bob_fp());
  ASSERT_TRUE(savp.ok());
  EXPECT_TRUE(contains(savp->sdp, "m=audio 50000 UDP/TLS/RTP/SAVP 96 101\r\n"));
}

TEST(NegotiationBaresip, OurOfferIsWhatABaresipAnswerCompletes) {
  // baresip answers a DTLS offer with its fingerprint and setup at session level.
  TestRandom rng;
  const MediaPolicy p = policy(Keying::DtlsSrtp);
  auto offer = make_offer(p, alice_media(), rng, alice_fp());
  ASSERT_TRUE(offer.ok());
  const std::string answer = sdp_of({
      "v=0", "o=- 3914382318 1112389123 IN IP4 203.0.113.5", "s=-", "c=IN IP4 203.0.113.5", "t=0 0",
      "a=tool:baresip 2.0.2", "a=setup:active", "a=fingerprint:SHA-256 " + std::string(kBaresipSha256),
      "m=audio 10176 UDP/TLS/RTP/SAVP 111 101", "a=rtpmap:111 opus/48000/2", "a=fmtp:111 stereo=1;sprop-stereo=1",
      "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", "a=sendrecv", "a=rtcp-mux", "a=ptime:20"});
  auto n = accept_answer(*offer, answer, p);
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ(std::get<DtlsParams>(n->keying).role, DtlsRole::Server);
  EXPECT_EQ(std::get<DtlsParams>(n->keying).peer_fingerprints.size(), 1u);
  EXPECT_EQ(n->codec.codec, AudioCodec::Opus);
  EXPECT_EQ(n->remote_address, "203.0.113.5");
  EXPECT_EQ(n->remote_port, 10176);
}

// ---- malformed input --------------------------------------------------------------------

TEST(NegotiationGarbage, UnparsableBodiesAre400NotCrashes) {
  TestRandom rng;
  const std::string cases[] = {"", "garbage", "v=0\r\n", "v=1\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n",
                               std::string(100000, 'a'), std::string("v=0\0\r\n", 6),
                               "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 99999 RTP/AVP 0\r\n"};
  for (const std::string& body : cases) {
    auto r = answer_offer(body, policy(Keying::DtlsSrtp), bob_media(), rng, bob_fp());
    EXPECT_EQ(failure(r), NegotiationErrc::UnparsableSdp);
    EXPECT_EQ(sip_status(NegotiationErrc::UnparsableSdp), 400);
  }
  const std::string bad_rtpmap = sdp_of({"v=0", "o=- 1 1 IN IP4 192.0.2.99", "s=-", "c=IN IP4 192.0.2.99", "t=0 0",
                                         "m=audio 4000 RTP/AVP 0", "a=rtpmap:0 PCMU"});
  EXPECT_EQ(failure(answer_offer(bad_rtpmap, policy(Keying::None), bob_media(), rng, "")),
            NegotiationErrc::MalformedAttribute);
  const std::string bad_crypto = sdp_of({"v=0", "o=- 1 1 IN IP4 192.0.2.99", "s=-", "c=IN IP4 192.0.2.99", "t=0 0",
                                         "m=audio 4000 RTP/SAVP 0", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abc"});
  EXPECT_EQ(failure(answer_offer(bad_crypto, policy(Keying::Sdes), bob_media(), rng, "")),
            NegotiationErrc::MalformedAttribute);
}

TEST(NegotiationGarbage, EveryPrefixAndByteFlipOfRealExchangesFailsCleanly) {
  // Offers and answers cut at every offset or with one byte changed: either a clean result or a
  // NegotiationErrc with a 400 or 488 status, never a crash (ASan/UBSan builds check the rest).
  TestRandom rng;
  const MediaPolicy sdes = policy(Keying::Sdes);
  const MediaPolicy dtls = policy(Keying::DtlsSrtp);
  auto offer = make_offer(sdes, alice_media(), rng, "");
  ASSERT_TRUE(offer.ok());
  auto answer = answer_offer(offer->sdp, sdes, bob_media(), rng, "");
  ASSERT_TRUE(answer.ok());
  auto check = [](const std::error_code& ec) {
    const auto e = negotiation_errc(ec);
    ASSERT_TRUE(e.has_value()) << ec.category().name();
    const auto status = sip_status(*e);
    EXPECT_TRUE(status == 400 || status == 488) << describe(*e);
  };
  const std::string inputs[] = {kBaresipSdesOffer, kBaresipDtlsOffer, offer->sdp};
  std::size_t ok = 0;
  for (const std::string& full : inputs) {
    for (std::size_t n = 0; n <= full.size(); ++n) {
      const std::string cut = full.substr(0, n);
      auto a = answer_offer(cut, n % 2 ? sdes : dtls, bob_media(), rng, bob_fp());
      if (a.ok()) ++ok; else check(a.error());
    }
    for (std::size_t i = 0; i < full.size(); i += 3) {
      std::string flipped = full;
      flipped[i] = static_cast<char>(flipped[i] ^ 0x21);
      auto a = answer_offer(flipped, sdes, bob_media(), rng, bob_fp());
      if (!a.ok()) check(a.error());
    }
  }
  EXPECT_GT(ok, 0u);  // prefixes that end after a complete line do parse
  for (std::size_t n = 0; n <= answer->sdp.size(); ++n) {
    auto r = accept_answer(*offer, answer->sdp.substr(0, n), sdes);
    if (!r.ok()) check(r.error());
  }
}

// ---- errors and descriptions ------------------------------------------------------------

TEST(NegotiationErrors, CategoryStatusesAndReasons) {
  const std::error_code ec = NegotiationErrc::InsecureOffer;
  EXPECT_STREQ(ec.category().name(), "phone.negotiation");
  EXPECT_EQ(ec.message(),
            "the offer has no encryption (RTP/AVP); refused because encrypted media is mandatory "
            "(pass --allow-insecure-media to accept)");
  EXPECT_EQ(negotiation_errc(ec), NegotiationErrc::InsecureOffer);
  EXPECT_FALSE(negotiation_errc(std::make_error_code(std::errc::invalid_argument)).has_value());
  for (int i = static_cast<int>(NegotiationErrc::UnparsableSdp); i <= static_cast<int>(NegotiationErrc::InsecureNotAllowed);
       ++i) {
    const auto e = static_cast<NegotiationErrc>(i);
    EXPECT_FALSE(describe(e).empty());
    EXPECT_NE(describe(e), "unknown media negotiation error") << i;
    const auto status = sip_status(e);
    EXPECT_TRUE(status == 400 || status == 488 || status == 500) << i;
  }
  EXPECT_EQ(sip_status(NegotiationErrc::UnparsableSdp), 400);
  EXPECT_EQ(sip_status(NegotiationErrc::EncryptionDropped), 488);
  EXPECT_EQ(sip_status(NegotiationErrc::InvalidLocalSettings), 500);
  EXPECT_EQ(to_string(Keying::DtlsSrtp), "dtls-srtp");
  EXPECT_EQ(to_string(Keying::Sdes), "sdes");
  EXPECT_EQ(to_string(Keying::None), "none");
  EXPECT_EQ(to_string(AudioCodec::Opus), "opus");
  EXPECT_EQ(to_string(AudioCodec::Pcma), "PCMA");
}

TEST(NegotiationSummary, NamesCodecPeerDirectionAndKeying) {
  TestRandom rng;
  auto x = exchange(policy(Keying::Sdes, {AudioCodec::Opus}), policy(Keying::Sdes), rng);
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(x->caller.summary(), "opus/48000/2 pt 111 to 198.51.100.20:50000 sendrecv rtcp-mux, sdes AEAD_AES_256_GCM");
  NegotiatedMedia v6;
  v6.remote_address = "2001:db8::1";
  v6.remote_port = 4000;
  EXPECT_EQ(v6.summary(), "PCMU/8000 pt 0 to [2001:db8::1]:4000 sendrecv, none (unencrypted)");
}
