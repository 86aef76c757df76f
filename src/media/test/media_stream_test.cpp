// MediaStream end to end: two streams wired back to back through a simulated network (delay,
// jitter that reorders, loss from a seeded generator; simulated time, no sleeps), for every codec
// and keying. The checks look at what comes out: the decoded signal (Goertzel share of the tone,
// correlation with a chirp after the pipeline delay), the bytes on the wire (no G.711 plaintext
// under SRTP, nothing but DTLS before the keys exist), the counters of forged and replayed
// packets, the loss, jitter and round trip the reports give, DTMF digits, hold.
#include "media/media_stream.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <map>
#include <numbers>
#include <optional>
#include <random>
#include <unordered_set>

#include "audio_test_util.hpp"
#include "media/g711.hpp"
#include "media/packet_demux.hpp"
#include "media/rtcp.hpp"
#include "media/rtp_packet.hpp"
#include "media/tone.hpp"

using namespace warden::media;
using namespace std::chrono_literals;
using warden::base::TimePoint;
using warden::crypto::DtlsErrc;
using warden::crypto::DtlsIdentity;
using warden::crypto::DtlsRole;
namespace t = warden::media::test;
using State = MediaStream::State;

namespace {

class SeededRandom final : public warden::base::Random {
 public:
  explicit SeededRandom(std::uint64_t seed) : g_(seed) {}
  void fill(std::span<std::byte> out) noexcept override {
    for (auto& b : out) b = static_cast<std::byte>(g_());
  }

 private:
  std::mt19937_64 g_;
};

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

enum class Keying { Plain, Sdes, Dtls };

std::uint8_t payload_type_of(AudioCodec c) {
  return c == AudioCodec::Pcmu ? 0 : c == AudioCodec::Pcma ? 8 : 111;
}

struct Configs {
  MediaStreamConfig a, b;
};

// Alice offers, Bob answers: SDES keys through the real offer/answer functions, DTLS with Alice
// as the client (a=setup:active) and each side pinning the other's certificate.
Configs configs(AudioCodec codec, Keying keying, std::uint32_t audio_rate = 8000,
                std::span<const SrtpSuite> sdes_suites = kSrtpSuitesByPreference) {
  MediaStreamConfig c;
  c.codec = codec;
  c.payload_type = payload_type_of(codec);
  c.clock_rate = codec == AudioCodec::Opus ? 48000 : 8000;
  c.audio_rate_hz = audio_rate;
  c.telephone_event_pt = 101;
  Configs p{c, c};
  p.a.cname = "alice@test";
  p.b.cname = "bob@test";
  switch (keying) {
    case Keying::Plain:
      p.a.allow_unencrypted = p.b.allow_unencrypted = true;
      break;
    case Keying::Sdes: {
      SeededRandom rng(7);
      const auto offer = make_sdes_offer(rng, sdes_suites);
      std::vector<std::string> lines;
      for (const auto& o : offer) lines.push_back(o.attribute_value());
      const std::vector<std::string_view> views(lines.begin(), lines.end());
      auto answer = answer_sdes_offer(rng, views);
      EXPECT_TRUE(answer.ok());
      auto keys = accept_sdes_answer(offer, answer->crypto.attribute_value());
      EXPECT_TRUE(keys.ok());
      p.a.keying = *keys;
      p.b.keying = answer->keys;
      break;
    }
    case Keying::Dtls: {
      DtlsSrtpConfig a, b;
      a.role = DtlsRole::Client;
      a.peer_fingerprints = {fingerprint_of(bob_identity())};
      b.role = DtlsRole::Server;
      b.peer_fingerprints = {fingerprint_of(alice_identity())};
      p.a.keying = a;
      p.b.keying = b;
      break;
    }
  }
  return p;
}

// Two streams and the network between them. Side 0 is Alice, side 1 Bob. Every datagram is
// recorded as sent (before loss); DTLS is never lost, everything else with probability loss[i];
// each datagram takes `delay` plus a uniform extra of up to `jitter`, which reorders.
struct Call {
  struct Sent {
    std::vector<std::byte> bytes;
    bool rtcp = false;
    PacketKind kind = PacketKind::Unknown;
  };

  std::optional<MediaStream> s[2];
  std::vector<std::int16_t> said[2], heard[2];
  std::vector<std::pair<char, std::chrono::milliseconds>> digits[2];
  TimePoint now = TimePoint{} + 1000s;
  TimePoint next_tick[2];
  std::uint64_t ticks[2] = {0, 0};
  std::mt19937 net{42};
  double loss[2] = {0, 0};
  warden::base::Duration delay = 20ms, jitter = 0ms;
  std::vector<Sent> wire[2];
  std::multimap<TimePoint, std::pair<int, std::vector<std::byte>>> in_flight;
  int dropped_rtp[2] = {0, 0};

  Call(const MediaStreamConfig& a, const MediaStreamConfig& b, const DtlsIdentity* id_a = &alice_identity(),
       const DtlsIdentity* id_b = &bob_identity()) {
    SeededRandom ra(1), rb(2);
    auto x = MediaStream::create(a, id_a, ra);
    auto y = MediaStream::create(b, id_b, rb);
    EXPECT_TRUE(x.ok()) << x.error().message();
    EXPECT_TRUE(y.ok()) << y.error().message();
    if (!x.ok() || !y.ok()) return;
    s[0].emplace(std::move(*x));
    s[1].emplace(std::move(*y));
    for (int i : {0, 1}) {
      s[i]->set_sink([this, i](std::span<const std::int16_t> f) { heard[i].insert(heard[i].end(), f.begin(), f.end()); });
      s[i]->set_dtmf_handler([this, i](char d, std::chrono::milliseconds ms) { digits[i].emplace_back(d, ms); });
    }
    next_tick[0] = now;
    next_tick[1] = now + 7ms;  // the two sides' clocks are not in step
    for (int i : {0, 1}) {
      const State before = s[i]->state();
      post(i, s[i]->start(now), before);
    }
  }
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  bool ok() const { return s[0] && s[1]; }
  MediaStream& a() { return *s[0]; }
  MediaStream& b() { return *s[1]; }

  // Side i says a tone (and records what it said).
  void tone(int i, double hz, double amplitude = 0.5) {
    const int rate = static_cast<int>(s[i]->frame_samples() * 50);  // 20 ms frames
    s[i]->set_source([this, i, gen = ToneGenerator({hz, 0, amplitude, rate})](std::span<std::int16_t> f) mutable {
      gen.fill(f);
      said[i].insert(said[i].end(), f.begin(), f.end());
    });
  }
  // Side i plays `signal`, then silence.
  void play(int i, std::vector<std::int16_t> signal) {
    s[i]->set_source([this, i, signal = std::move(signal), at = std::size_t{0}](std::span<std::int16_t> f) mutable {
      for (auto& v : f) v = at < signal.size() ? signal[at++] : std::int16_t{0};
      said[i].insert(said[i].end(), f.begin(), f.end());
    });
  }

  void post(int from, MediaStream::Datagrams d, State sender_state_before) {
    for (auto& x : d) {
      const PacketKind kind = classify_packet(x.bytes);
      EXPECT_EQ(x.rtcp, kind == PacketKind::Rtcp);
      // Until the keys exist nothing but DTLS leaves a stream.
      if (sender_state_before != State::Running) {
        EXPECT_EQ(kind, PacketKind::Dtls);
      }
      wire[from].push_back({x.bytes, x.rtcp, kind});
      if (kind != PacketKind::Dtls && std::uniform_real_distribution<double>(0, 1)(net) < loss[from]) {
        if (kind == PacketKind::Rtp) ++dropped_rtp[from];
        continue;
      }
      const auto extra = std::chrono::microseconds(
          jitter.count() > 0 ? std::uniform_int_distribution<std::int64_t>(0, jitter.count() / 1000)(net) : 0);
      in_flight.emplace(now + delay + extra, std::pair{1 - from, std::move(x.bytes)});
    }
  }

  void deliver(int to, const std::vector<std::byte>& bytes) {
    const State before = s[to]->state();
    post(to, s[to]->on_datagram(bytes, now), before);
  }

  void run(warden::base::Duration d) {
    const TimePoint end = now + d;
    for (;;) {
      TimePoint next = std::min(next_tick[0], next_tick[1]);
      if (!in_flight.empty()) next = std::min(next, in_flight.begin()->first);
      if (next > end) break;
      now = next;
      while (!in_flight.empty() && in_flight.begin()->first <= now) {
        auto node = in_flight.extract(in_flight.begin());
        deliver(node.mapped().first, node.mapped().second);
      }
      for (int i : {0, 1}) {
        if (next_tick[i] > now) continue;
        const State before = s[i]->state();
        post(i, s[i]->on_tick(now), before);
        next_tick[i] += 20ms;
        ++ticks[i];
      }
    }
    now = end;
  }

  std::vector<std::vector<std::byte>> sent_of_kind(int i, PacketKind kind, std::size_t from_index = 0) const {
    std::vector<std::vector<std::byte>> out;
    for (std::size_t k = from_index; k < wire[i].size(); ++k)
      if (wire[i][k].kind == kind) out.push_back(wire[i][k].bytes);
    return out;
  }
};

std::span<const std::int16_t> last(const std::vector<std::int16_t>& v, std::size_t n) {
  return std::span(v).last(std::min(n, v.size()));
}

// Every 8-byte run of the G.711 codes of `pcm`, frame by frame (what a plain RTP payload holds).
std::unordered_set<std::uint64_t> g711_windows(const std::vector<std::int16_t>& pcm, G711Law law) {
  std::unordered_set<std::uint64_t> out;
  constexpr std::size_t kFrame = 160;
  std::vector<std::uint8_t> codes(kFrame);
  for (std::size_t f = 0; f + kFrame <= pcm.size(); f += kFrame) {
    g711_encode(law, std::span(pcm).subspan(f, kFrame), codes);
    for (std::size_t k = 0; k + 8 <= kFrame; ++k) {
      std::uint64_t w = 0;
      for (std::size_t j = 0; j < 8; ++j) w = w << 8 | codes[k + j];
      out.insert(w);
    }
  }
  return out;
}

std::size_t plaintext_hits(const std::vector<Call::Sent>& wire, const std::unordered_set<std::uint64_t>& windows) {
  std::size_t hits = 0;
  for (const auto& d : wire) {
    for (std::size_t k = 0; k + 8 <= d.bytes.size(); ++k) {
      std::uint64_t w = 0;
      for (std::size_t j = 0; j < 8; ++j) w = w << 8 | std::to_integer<std::uint64_t>(d.bytes[k + j]);
      hits += windows.count(w);
    }
  }
  return hits;
}

// A linear sweep from f0 to f1 Hz: never repeats, so correlation finds one delay.
std::vector<std::int16_t> chirp(int rate, double seconds, double f0, double f1, double amplitude = 0.5) {
  std::vector<std::int16_t> out(static_cast<std::size_t>(rate * seconds));
  for (std::size_t n = 0; n < out.size(); ++n) {
    const double time = static_cast<double>(n) / rate;
    const double phase = 2 * std::numbers::pi * (f0 * time + (f1 - f0) * time * time / (2 * seconds));
    out[n] = static_cast<std::int16_t>(std::lround(amplitude * 32767 * std::sin(phase)));
  }
  return out;
}

const char* keying_name(Keying k) { return k == Keying::Plain ? "Plain" : k == Keying::Sdes ? "Sdes" : "Dtls"; }

}  // namespace

// ---- audio through every codec and keying ----

class MediaStreamCall : public ::testing::TestWithParam<std::tuple<AudioCodec, Keying>> {};

TEST_P(MediaStreamCall, TonesCrossBothWaysAndNoPlaintextLeavesUnderSrtp) {
  const auto [codec, keying] = GetParam();
  const auto cfg = configs(codec, keying);
  Call call(cfg.a, cfg.b);
  ASSERT_TRUE(call.ok());
  call.tone(0, 1000);
  call.tone(1, 600);
  call.run(3s);

  ASSERT_EQ(call.a().state(), State::Running) << call.a().failure_reason();
  ASSERT_EQ(call.b().state(), State::Running) << call.b().failure_reason();
  // Each side hears the other's tone (the last 2 s, after start-up), at about its level.
  for (auto [i, hz] : {std::pair{1, 1000.0}, std::pair{0, 600.0}}) {
    const auto tail = last(call.heard[i], 16000);
    ASSERT_EQ(tail.size(), 16000u);
    EXPECT_GT(t::tone_share(tail, hz, 8000), 0.85) << "side " << i;
    const double level = t::rms(tail) / t::rms(last(call.said[1 - i], 16000));
    EXPECT_GT(level, 0.6) << "side " << i;
    EXPECT_LT(level, 1.5) << "side " << i;
  }
  // The sink got exactly one frame per tick.
  EXPECT_EQ(call.heard[1].size(), call.ticks[1] * 160);

  // G.711 payloads of what Alice said appear on the wire only with plain RTP.
  if (codec != AudioCodec::Opus) {
    const auto windows = g711_windows(call.said[0], codec == AudioCodec::Pcmu ? G711Law::Ulaw : G711Law::Alaw);
    const std::size_t hits = plaintext_hits(call.wire[0], windows);
    if (keying == Keying::Plain)
      EXPECT_GT(hits, 1000u);  // the search works
    else
      EXPECT_EQ(hits, 0u);
  }
  // Under SRTP the payload type and length still parse, but the payload is not the codec's.
  const auto rtp = call.sent_of_kind(0, PacketKind::Rtp);
  ASSERT_GT(rtp.size(), 100u);

  const auto ra = call.a().report(call.now);
  const auto rb = call.b().report(call.now);
  EXPECT_EQ(rb.codec, std::string(codec_name(codec)));
  EXPECT_EQ(rb.keying, keying == Keying::Plain ? "none" : keying == Keying::Sdes ? "sdes" : "dtls-srtp");
  EXPECT_EQ(rb.suite.empty(), keying == Keying::Plain);
  EXPECT_EQ(ra.suite, rb.suite);
  EXPECT_EQ(ra.packets_sent, rtp.size());
  EXPECT_GE(rb.packets_received + 3, ra.packets_sent);  // a few may still be in flight
  EXPECT_EQ(rb.packets_lost, 0);
  EXPECT_EQ(rb.discarded_auth + rb.discarded_replay, 0u);
  ASSERT_TRUE(rb.mos.has_value());
  EXPECT_GT(*rb.mos, 4.0);
}

INSTANTIATE_TEST_SUITE_P(
    CodecsAndKeyings, MediaStreamCall,
    ::testing::Combine(::testing::Values(AudioCodec::Pcmu, AudioCodec::Pcma, AudioCodec::Opus),
                       ::testing::Values(Keying::Plain, Keying::Sdes, Keying::Dtls)),
    [](const auto& param_info) {
      return std::string(codec_name(std::get<0>(param_info.param))) + keying_name(std::get<1>(param_info.param));
    });

// The waveform itself arrives, delayed by the network and the jitter buffer, at every audio rate
// (G.711 is resampled to and from 8 kHz; Opus runs at the audio rate).
TEST(MediaStreamAudio, ChirpArrivesAsSentAtEveryAudioRate) {
  struct Case {
    AudioCodec codec;
    std::uint32_t rate;
    double min_correlation;
  };
  for (const Case c : {Case{AudioCodec::Pcmu, 8000, 0.99}, Case{AudioCodec::Pcma, 16000, 0.97},
                       Case{AudioCodec::Pcmu, 48000, 0.97}}) {
    SCOPED_TRACE(c.rate);
    auto cfg = configs(c.codec, Keying::Sdes, c.rate);
    Call call(cfg.a, cfg.b);
    ASSERT_TRUE(call.ok());
    const int rate = static_cast<int>(c.rate);
    call.play(0, chirp(rate, 1.0, 300, 3300));
    call.run(1200ms);
    EXPECT_EQ(call.b().frame_samples(), c.rate / 50);
    EXPECT_EQ(call.heard[1].size(), call.ticks[1] * c.rate / 50);
    // Half a second of the sweep against what Bob heard, at the delay that fits best near the
    // delay of the sweep's onset.
    const auto onset = [](const std::vector<std::int16_t>& x) {
      return static_cast<std::size_t>(std::find_if(x.begin(), x.end(), [](auto v) { return std::abs(v) > 2000; }) - x.begin());
    };
    ASSERT_LT(onset(call.heard[1]), call.heard[1].size());
    const std::size_t guess = onset(call.heard[1]) - onset(call.said[0]);
    ASSERT_GT(guess, 64u);
    const std::size_t from = c.rate / 4, length = c.rate / 2;
    const auto best = t::best_correlation(std::span(call.said[0]).subspan(from),
                                          std::span(call.heard[1]).subspan(from + guess - 64), length, 128);
    EXPECT_GT(best.correlation, c.min_correlation);
    // 20 ms of network, the 60 ms jitter buffer, the phase of the ticks, resampler filters.
    const double delay_ms = 1000.0 * static_cast<double>(guess - 64 + best.lag) / rate;
    EXPECT_GE(delay_ms, 40.0);
    EXPECT_LT(delay_ms, 200.0);
  }
  // Opus at 16 and 48 kHz: the tone arrives (a perceptual codec: no sample-exact waveform).
  for (std::uint32_t rate : {16000u, 48000u}) {
    SCOPED_TRACE(rate);
    auto cfg = configs(AudioCodec::Opus, Keying::Sdes, rate);
    Call call(cfg.a, cfg.b);
    ASSERT_TRUE(call.ok());
    call.tone(0, 1000);
    call.run(1200ms);
    EXPECT_EQ(call.heard[1].size(), call.ticks[1] * rate / 50);
    EXPECT_GT(t::tone_share(last(call.heard[1], rate / 2), 1000, rate), 0.9);
  }
}

// ---- keying failures and attacks ----

TEST(MediaStreamDtls, WrongFingerprintFailsBothSidesWithNothingButDtls) {
  const auto stranger = DtlsIdentity::generate("mallory");
  ASSERT_TRUE(stranger.ok());
  // Bob expects another certificate than Alice's: he refuses her, his alert fails her.
  auto cfg = configs(AudioCodec::Pcmu, Keying::Dtls);
  std::get<DtlsSrtpConfig>(cfg.b.keying).peer_fingerprints = {fingerprint_of(*stranger)};
  Call call(cfg.a, cfg.b);
  ASSERT_TRUE(call.ok());
  call.tone(0, 1000);
  call.tone(1, 600);
  call.run(1s);
  EXPECT_EQ(call.b().state(), State::Failed);
  EXPECT_EQ(call.b().error(), DtlsErrc::PeerRejected) << call.b().failure_reason();
  EXPECT_EQ(call.a().state(), State::Failed);
  EXPECT_FALSE(call.b().failure_reason().empty());
  for (int i : {0, 1}) {
    EXPECT_FALSE(call.wire[i].empty());
    for (const auto& d : call.wire[i]) EXPECT_EQ(d.kind, PacketKind::Dtls);
    EXPECT_TRUE(call.said[i].empty());  // the sources were never pulled
    for (auto v : call.heard[i]) ASSERT_EQ(v, 0);
    EXPECT_EQ(call.s[i]->report(call.now).packets_sent, 0u);
    EXPECT_EQ(call.s[i]->report(call.now).state, "failed");
    EXPECT_TRUE(call.s[i]->on_tick(call.now).empty());
    EXPECT_FALSE(call.s[i]->next_deadline());
  }
  EXPECT_EQ(call.b().send_dtmf('1').error(), MediaStreamErrc::NotRunning);

  // Alice pins the wrong certificate for Bob: she fails, Bob never gets keys.
  auto other = configs(AudioCodec::Pcmu, Keying::Dtls);
  std::get<DtlsSrtpConfig>(other.a.keying).peer_fingerprints = {fingerprint_of(*stranger)};
  Call call2(other.a, other.b);
  ASSERT_TRUE(call2.ok());
  call2.tone(0, 1000);
  call2.tone(1, 600);
  call2.run(1s);
  EXPECT_EQ(call2.a().state(), State::Failed);
  EXPECT_EQ(call2.a().error(), DtlsErrc::PeerRejected);
  EXPECT_NE(call2.b().state(), State::Running);
  for (int i : {0, 1})
    for (const auto& d : call2.wire[i]) EXPECT_EQ(d.kind, PacketKind::Dtls);
}

TEST(MediaStreamSrtp, ForgedReplayedAndPlainPacketsAreCountedAndDropped) {
  constexpr std::array<SrtpSuite, 1> kAesCm80 = {SrtpSuite::AesCm128HmacSha1_80};
  for (int run = 0; run < 3; ++run) {
    const Keying keying = run == 2 ? Keying::Dtls : Keying::Sdes;
    SCOPED_TRACE(run);
    const auto cfg = run == 1 ? configs(AudioCodec::Pcmu, keying, 8000, kAesCm80) : configs(AudioCodec::Pcmu, keying);
    Call call(cfg.a, cfg.b);
    ASSERT_TRUE(call.ok());
    call.tone(0, 1000);
    call.run(8s);  // long enough for Alice's first SRTCP report
    const auto rtp = call.sent_of_kind(0, PacketKind::Rtp);
    const auto rtcp = call.sent_of_kind(0, PacketKind::Rtcp);
    ASSERT_GT(rtp.size(), 10u);
    ASSERT_FALSE(rtcp.empty());
    call.run(100ms);  // everything above has arrived
    const auto before = call.b().report(call.now);
    if (run == 1) {
      EXPECT_EQ(before.suite, "AES_CM_128_HMAC_SHA1_80");
    }

    // Replays of packets already accepted.
    EXPECT_TRUE(call.b().on_datagram(rtp.back(), call.now).empty());
    call.b().on_datagram(rtp[rtp.size() - 5], call.now);
    call.b().on_datagram(rtcp.back(), call.now);
    // Forgeries under packet indexes not seen yet (a changed copy of an accepted index is
    // refused as a replay before its tag is checked): one bit changed in the payload, in the
    // header, and an SRTCP report with another index.
    for (std::size_t at : {std::size_t{40}, std::size_t{5}}) {
      auto forged = rtp.back();
      const auto seq = static_cast<std::uint16_t>((std::to_integer<unsigned>(forged[2]) << 8 |
                                                   std::to_integer<unsigned>(forged[3])) + 100 + at);
      forged[2] = static_cast<std::byte>(seq >> 8);
      forged[3] = static_cast<std::byte>(seq & 0xFF);
      forged[at] ^= std::byte{0x01};
      call.b().on_datagram(forged, call.now);
    }
    const auto suite = suite_from_sdes_name(before.suite);
    ASSERT_TRUE(suite.has_value());
    auto forged_rtcp = rtcp.back();
    // The E flag and SRTCP index: before the tag (RFC 3711 §3.4), after it for AEAD (RFC 7714 §9).
    const bool aead = *suite == SrtpSuite::AeadAes128Gcm || *suite == SrtpSuite::AeadAes256Gcm;
    const std::size_t at = forged_rtcp.size() - (aead ? 4 : rtcp_overhead(*suite));
    std::uint32_t word = 0;
    for (std::size_t k = 0; k < 4; ++k) word = word << 8 | std::to_integer<std::uint32_t>(forged_rtcp[at + k]);
    word += 50;
    for (std::size_t k = 0; k < 4; ++k) forged_rtcp[at + k] = static_cast<std::byte>(word >> (24 - 8 * k));
    call.b().on_datagram(forged_rtcp, call.now);
    // Plain RTP and RTCP (a BYE) in Alice's name, as an attacker without keys would send.
    RtpPacket p;
    p.payload_type = 0;
    p.ssrc = call.a().ssrc();
    p.sequence = static_cast<std::uint16_t>(parse_rtp(rtp.back()).value().sequence + 300);  // not seen yet
    const std::vector<std::byte> loud(160, std::byte{0x00});
    p.payload = loud;
    call.b().on_datagram(serialize_rtp(p).value(), call.now);
    RtcpCompound bye;
    bye.packets.emplace_back(ReceiverReport{call.a().ssrc(), {}, {}});
    bye.packets.emplace_back(Bye{{call.a().ssrc()}, {}});
    call.b().on_datagram(serialize_rtcp(bye).value(), call.now);

    const auto after = call.b().report(call.now);
    EXPECT_EQ(after.discarded_replay - before.discarded_replay, 3u);
    EXPECT_EQ(after.discarded_auth - before.discarded_auth, 5u);
    EXPECT_EQ(after.packets_received, before.packets_received);
    EXPECT_FALSE(after.remote_bye);
    EXPECT_EQ(after.discarded, after.discarded_auth + after.discarded_replay + after.discarded_late + after.discarded_other);

    // The call goes on undisturbed.
    call.run(1s);
    EXPECT_GT(t::tone_share(last(call.heard[1], 8000), 1000, 8000), 0.9);
    EXPECT_EQ(call.b().state(), State::Running);
  }
}

// ---- network impairments and reports ----

TEST(MediaStreamNetwork, TenPercentLossIsReportedAndConcealedWithoutLosingTime) {
  constexpr std::array<SrtpSuite, 1> kAesCm32 = {SrtpSuite::AesCm128HmacSha1_32};
  const auto cfg = configs(AudioCodec::Pcmu, Keying::Sdes, 8000, kAesCm32);
  Call call(cfg.a, cfg.b);
  ASSERT_TRUE(call.ok());
  call.loss[0] = 0.10;
  call.jitter = 30ms;  // reorders packets sent 20 ms apart
  call.tone(0, 1000);
  call.run(20s);

  // The sink got one whole frame per tick, losses or not.
  EXPECT_EQ(call.heard[1].size(), call.ticks[1] * 160);
  const auto rb = call.b().report(call.now);
  const auto ra = call.a().report(call.now);
  EXPECT_GT(rb.fraction_lost_percent, 7.0);
  EXPECT_LT(rb.fraction_lost_percent, 13.0);
  EXPECT_NEAR(static_cast<double>(rb.packets_lost), call.dropped_rtp[0], 3.0);
  EXPECT_GT(rb.concealed_frames, 50u);
  EXPECT_GT(rb.jitter_ms, 3.0);   // uniform 0-30 ms of extra delay
  EXPECT_LT(rb.jitter_ms, 20.0);
  // Concealment keeps the tone going: a lost frame is filled, only runs of losses fade out
  // (without concealment about one frame in ten of the last 10 s would be silent).
  EXPECT_GT(t::tone_share(last(call.heard[1], 80000), 1000, 8000), 0.8);
  std::size_t quiet = 0;
  const auto tail = last(call.heard[1], 80000);
  for (std::size_t f = 0; f + 160 <= tail.size(); f += 160)
    if (t::rms(tail.subspan(f, 160)) < 1000) ++quiet;
  EXPECT_LT(quiet, 10u);
  // The quality estimate sees the loss; Alice learns it from Bob's receiver reports.
  ASSERT_TRUE(rb.mos && ra.mos);
  EXPECT_LT(*rb.mos, 4.0);
  EXPECT_GT(*rb.mos, 2.0);
  ASSERT_TRUE(ra.remote_fraction_lost_percent.has_value());
  EXPECT_LT(*ra.remote_fraction_lost_percent, 40.0);
  EXPECT_EQ(rb.suite, "AES_CM_128_HMAC_SHA1_32");
}

TEST(MediaStreamRtcp, RoundTripTimeOnBothSides) {
  const auto cfg = configs(AudioCodec::Pcma, Keying::Dtls);
  Call call(cfg.a, cfg.b);
  ASSERT_TRUE(call.ok());
  call.delay = 25ms;
  call.tone(0, 1000);
  call.tone(1, 600);
  EXPECT_FALSE(call.a().report(call.now).rtt_ms);
  call.run(20s);
  for (int i : {0, 1}) {
    const auto r = call.s[i]->report(call.now);
    ASSERT_TRUE(r.rtt_ms.has_value()) << "side " << i;
    EXPECT_NEAR(*r.rtt_ms, 50.0, 0.5) << "side " << i;
    ASSERT_TRUE(r.remote_fraction_lost_percent.has_value());
    EXPECT_EQ(*r.remote_fraction_lost_percent, 0.0);
    EXPECT_NEAR(static_cast<double>(r.duration.count()), 20000.0, 1.0);
  }
  // RTCP was a small share of the traffic: a report every 2-6 s (RFC 3550 §6.3.1 at 2 members).
  const auto reports = call.sent_of_kind(0, PacketKind::Rtcp).size();
  EXPECT_GE(reports, 3u);
  EXPECT_LE(reports, 12u);
}

// ---- DTMF ----

TEST(MediaStreamDtmf, DigitsArriveInOrderWithTheirDurations) {
  for (AudioCodec codec : {AudioCodec::Pcmu, AudioCodec::Opus}) {
    SCOPED_TRACE(codec_name(codec));
    const auto cfg = configs(codec, Keying::Sdes);
    Call call(cfg.a, cfg.b);
    ASSERT_TRUE(call.ok());
    call.tone(0, 1000);
    call.run(500ms);
    const std::string keys = "159#*0D";
    for (char k : keys) ASSERT_TRUE(call.a().send_dtmf(k, k == '#' ? 250ms : 100ms).ok());
    call.run(3s);
    ASSERT_EQ(call.digits[1].size(), keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
      EXPECT_EQ(call.digits[1][i].first, keys[i]);
      EXPECT_EQ(call.digits[1][i].second, keys[i] == '#' ? 250ms : 100ms);
    }
    EXPECT_EQ(call.a().report(call.now).dtmf_sent, keys.size());
    EXPECT_EQ(call.b().report(call.now).dtmf_received, keys.size());
    // Audio came back after the digits.
    EXPECT_GT(t::tone_share(last(call.heard[1], 8000), 1000, 8000), 0.85);
  }
}

TEST(MediaStreamDtmf, DigitsSurviveLossAndReordering) {
  const auto cfg = configs(AudioCodec::Pcmu, Keying::Plain);
  Call call(cfg.a, cfg.b);
  ASSERT_TRUE(call.ok());
  call.loss[0] = 0.2;
  call.jitter = 15ms;
  call.run(300ms);
  const std::string keys = "0123456789*#ABCD";
  for (char k : keys) ASSERT_TRUE(call.a().send_dtmf(k, 60ms).ok());
  call.run(4s);
  std::string got;
  for (auto& d : call.digits[1]) got += d.first;
  EXPECT_EQ(got, keys);

  // On the wire (plain RTP here), RFC 4733 §2.5.1: each event's packets share its start
  // timestamp, the first has the marker, durations grow, the end packet is sent three times.
  std::map<std::uint32_t, std::vector<RtpPacket>> events;
  const auto rtp = call.sent_of_kind(0, PacketKind::Rtp);
  for (const auto& d : rtp) {
    auto p = parse_rtp(d);
    ASSERT_TRUE(p.ok());
    if (p->payload_type == 101) events[p->timestamp].push_back(*p);
  }
  ASSERT_EQ(events.size(), keys.size());
  std::size_t k = 0;
  for (const auto& [ts, packets] : events) {
    ASSERT_EQ(packets.size(), 5u);  // 20, 40, 60 ms (end), end, end
    EXPECT_TRUE(packets[0].marker);
    unsigned previous = 0, ends = 0;
    for (const auto& p : packets) {
      ASSERT_EQ(p.payload.size(), 4u);
      EXPECT_EQ(std::to_integer<char>(p.payload[0]), static_cast<char>(k));  // event code = key index
      const unsigned duration = std::to_integer<unsigned>(p.payload[2]) << 8 | std::to_integer<unsigned>(p.payload[3]);
      EXPECT_GE(duration, previous);
      previous = duration;
      if ((std::to_integer<unsigned>(p.payload[1]) & 0x80) != 0) {
        ++ends;
        EXPECT_EQ(duration, 480u);
      }
    }
    EXPECT_EQ(ends, 3u);
    ++k;
  }
}

TEST(MediaStreamDtmf, WithoutTelephoneEventTheToneIsInTheAudio) {
  auto cfg = configs(AudioCodec::Pcma, Keying::Sdes);
  cfg.a.telephone_event_pt.reset();
  cfg.b.telephone_event_pt.reset();
  Call call(cfg.a, cfg.b);
  ASSERT_TRUE(call.ok());
  call.run(300ms);
  ASSERT_TRUE(call.a().send_dtmf('5', 200ms).ok());  // 770 + 1336 Hz
  call.run(1s);
  EXPECT_TRUE(call.digits[1].empty());
  // The loud part of what Bob heard is the dual tone.
  std::vector<std::int16_t> loud;
  for (auto v : call.heard[1])
    if (std::abs(v) > 300) loud.push_back(v);
  const auto it = std::find_if(call.heard[1].begin(), call.heard[1].end(), [](auto v) { return std::abs(v) > 300; });
  ASSERT_NE(it, call.heard[1].end());
  const auto segment = std::span(&*it, 1280);  // 160 ms of the 200
  EXPECT_GT(t::tone_share(segment, 770, 8000), 0.35);
  EXPECT_GT(t::tone_share(segment, 1336, 8000), 0.35);
  EXPECT_LT(t::tone_share(segment, 1000, 8000), 0.05);
  EXPECT_NEAR(static_cast<double>(loud.size()), 1600.0, 200.0);  // 200 ms
  EXPECT_EQ(call.a().report(call.now).dtmf_sent, 1u);
}

TEST(MediaStreamDtmf, RefusesWhatIsNotAKeyAndBoundsTheQueue) {
  const auto cfg = configs(AudioCodec::Pcmu, Keying::Plain);
  Call call(cfg.a, cfg.b);
  ASSERT_TRUE(call.ok());
  EXPECT_EQ(call.a().send_dtmf('x').error(), MediaStreamErrc::NotDtmfKey);
  EXPECT_EQ(call.a().send_dtmf('E').error(), MediaStreamErrc::NotDtmfKey);
  EXPECT_TRUE(call.a().send_dtmf('a').ok());  // A-D in either case
  for (int i = 1; i < 32; ++i) EXPECT_TRUE(call.a().send_dtmf('1').ok());
  EXPECT_EQ(call.a().send_dtmf('1').error(), MediaStreamErrc::DtmfQueueFull);
}

// ---- hold ----

TEST(MediaStreamHold, SendOffStopsPacketsAndResumeMarksATalkspurt) {
  const auto cfg = configs(AudioCodec::Pcmu, Keying::Plain);
  Call call(cfg.a, cfg.b);
  ASSERT_TRUE(call.ok());
  call.tone(0, 1000);
  call.run(1s);
  const auto before_hold = call.sent_of_kind(0, PacketKind::Rtp);
  ASSERT_FALSE(before_hold.empty());
  const auto last_before = parse_rtp(before_hold.back()).value();

  call.a().set_direction(false, true);  // a=sendonly from Bob's side: Alice stops sending
  const std::size_t mark = call.wire[0].size();
  const std::size_t said_before = call.said[0].size();
  const std::size_t heard_before = call.heard[1].size();
  const auto ticks_before = call.ticks[1];
  call.run(2s);
  EXPECT_TRUE(call.sent_of_kind(0, PacketKind::Rtp, mark).empty());
  EXPECT_EQ(call.said[0].size(), said_before);  // the source is not pulled on hold
  EXPECT_EQ(call.heard[1].size() - heard_before, (call.ticks[1] - ticks_before) * 160);  // Bob's sink still runs
  EXPECT_LT(t::rms(last(call.heard[1], 8000)), 1.0);  // and plays silence

  call.a().set_direction(true, true);
  const std::size_t resume = call.wire[0].size();
  call.run(1s);
  const auto after = call.sent_of_kind(0, PacketKind::Rtp, resume);
  ASSERT_GT(after.size(), 40u);
  const auto first = parse_rtp(after.front()).value();
  EXPECT_TRUE(first.marker);
  EXPECT_EQ(first.sequence, static_cast<std::uint16_t>(last_before.sequence + 1));
  // The timestamp kept counting through the pause (about 2 s at 8 kHz).
  const std::uint32_t gap = first.timestamp - last_before.timestamp;
  EXPECT_EQ(gap % 160, 0u);
  EXPECT_GE(gap, 16000u);
  EXPECT_LE(gap, 16000u + 2 * 160);
  EXPECT_FALSE(parse_rtp(after[1]).value().marker);
  EXPECT_GT(t::tone_share(last(call.heard[1], 4000), 1000, 8000), 0.85);
}

TEST(MediaStreamSdes, RekeyTakesTheNewKeysAndOnlyThem) {
  const auto cfg = configs(AudioCodec::Pcmu, Keying::Sdes);
  Call call(cfg.a, cfg.b);
  ASSERT_TRUE(call.ok());
  call.tone(0, 1000);
  call.run(1s);
  ASSERT_GT(t::tone_share(last(call.heard[1], 4000), 1000, 8000), 0.85);

  // A re-INVITE with fresh keys (RFC 4568 §7.1.4): Alice takes hers first, Bob cannot read her
  // packets until he takes his.
  SeededRandom rng(99);
  const auto offer = make_sdes_offer(rng);
  std::vector<std::string> lines;
  for (const auto& o : offer) lines.push_back(o.attribute_value());
  const std::vector<std::string_view> views(lines.begin(), lines.end());
  auto answer = answer_sdes_offer(rng, views);
  ASSERT_TRUE(answer.ok());
  auto keys = accept_sdes_answer(offer, answer->crypto.attribute_value());
  ASSERT_TRUE(keys.ok());
  ASSERT_TRUE(call.a().rekey(*keys).ok());
  const auto auth_before = call.b().report(call.now).discarded_auth;
  call.run(1s);
  EXPECT_GT(call.b().report(call.now).discarded_auth, auth_before + 20);
  EXPECT_LT(t::rms(last(call.heard[1], 4000)), 1.0);

  ASSERT_TRUE(call.b().rekey(answer->keys).ok());
  call.run(1s);
  EXPECT_GT(t::tone_share(last(call.heard[1], 4000), 1000, 8000), 0.85);
  EXPECT_EQ(call.a().report(call.now).state, "running");

  const auto plain = configs(AudioCodec::Pcmu, Keying::Plain);
  Call p(plain.a, plain.b);
  ASSERT_TRUE(p.ok());
  auto r = p.a().rekey(*keys);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), make_error_code(MediaStreamErrc::NotSdesKeyed));
}

// ---- packets, reports, close ----

TEST(MediaStreamPackets, RtpAndRtcpFollowRfc3550) {
  for (AudioCodec codec : {AudioCodec::Pcmu, AudioCodec::Opus}) {
    SCOPED_TRACE(codec_name(codec));
    auto cfg = configs(codec, Keying::Plain);
    cfg.a.rtcp_mux = false;  // RTCP marked for the RTCP port
    Call call(cfg.a, cfg.b);
    ASSERT_TRUE(call.ok());
    call.tone(0, 1000);
    call.run(4s);
    const auto rtp = call.sent_of_kind(0, PacketKind::Rtp);
    ASSERT_GT(rtp.size(), 150u);
    const std::uint32_t step = codec == AudioCodec::Opus ? 960 : 160;
    const auto p0 = parse_rtp(rtp[0]).value();
    EXPECT_TRUE(p0.marker);
    EXPECT_EQ(p0.ssrc, call.a().ssrc());
    for (std::size_t i = 1; i < rtp.size(); ++i) {
      const auto p = parse_rtp(rtp[i]).value();
      EXPECT_FALSE(p.marker);
      EXPECT_EQ(p.payload_type, payload_type_of(codec));
      EXPECT_EQ(p.ssrc, p0.ssrc);
      EXPECT_EQ(p.sequence, static_cast<std::uint16_t>(p0.sequence + i));
      EXPECT_EQ(p.timestamp, p0.timestamp + static_cast<std::uint32_t>(i) * step);
      if (codec == AudioCodec::Pcmu) {
        EXPECT_EQ(p.payload.size(), 160u);
      }
    }
    // The first report: SR (Alice sends) with CNAME; rtcp flag set for the separate port.
    const auto rtcp = call.sent_of_kind(0, PacketKind::Rtcp);
    ASSERT_FALSE(rtcp.empty());
    for (const auto& d : call.wire[0]) EXPECT_EQ(d.rtcp, d.kind == PacketKind::Rtcp);
    const auto c = parse_rtcp(rtcp[0]).value();
    ASSERT_GE(c.packets.size(), 2u);
    const auto* sr = std::get_if<SenderReport>(&c.packets[0]);
    ASSERT_NE(sr, nullptr);
    EXPECT_EQ(sr->ssrc, call.a().ssrc());
    EXPECT_GT(sr->sender.packet_count, 0u);
    const auto* sdes = std::get_if<SourceDescription>(&c.packets[1]);
    ASSERT_NE(sdes, nullptr);
    EXPECT_EQ(sdes->chunks.at(0).cname(), "alice@test");

    // close(): a compound report ending in BYE; Bob notes it.
    const auto bye = call.a().close();
    EXPECT_EQ(call.a().state(), State::Closed);
    ASSERT_EQ(bye.size(), 1u);
    EXPECT_TRUE(bye[0].rtcp);
    const auto bc = parse_rtcp(bye[0].bytes).value();
    ASSERT_NE(std::get_if<Bye>(&bc.packets.back()), nullptr);
    EXPECT_EQ(std::get<Bye>(bc.packets.back()).ssrcs, std::vector<std::uint32_t>{call.a().ssrc()});
    call.b().on_datagram(bye[0].bytes, call.now);
    EXPECT_TRUE(call.b().report(call.now).remote_bye);
    EXPECT_TRUE(call.a().close().empty());
    EXPECT_TRUE(call.a().on_tick(call.now).empty());
  }
}

TEST(MediaStreamPackets, DtlsCloseSendsCloseNotifyAndClosesThePeer) {
  const auto cfg = configs(AudioCodec::Pcmu, Keying::Dtls);
  Call call(cfg.a, cfg.b);
  ASSERT_TRUE(call.ok());
  call.run(500ms);
  ASSERT_EQ(call.b().state(), State::Running);
  const auto out = call.a().close();
  ASSERT_EQ(out.size(), 2u);  // SRTCP BYE, then close_notify
  EXPECT_EQ(classify_packet(out[0].bytes), PacketKind::Rtcp);
  EXPECT_EQ(classify_packet(out[1].bytes), PacketKind::Dtls);
  call.b().on_datagram(out[0].bytes, call.now);
  EXPECT_TRUE(call.b().report(call.now).remote_bye);
  call.b().on_datagram(out[1].bytes, call.now);
  EXPECT_EQ(call.b().state(), State::Closed);
  EXPECT_EQ(call.b().error(), DtlsErrc::PeerClosed);
}

TEST(MediaStreamReport, JsonParsesWithEveryKey) {
  const auto cfg = configs(AudioCodec::Pcmu, Keying::Sdes);
  Call call(cfg.a, cfg.b);
  ASSERT_TRUE(call.ok());
  const auto fresh = to_json(call.b().report(call.now));
  const auto j0 = nlohmann::json::parse(fresh);
  EXPECT_TRUE(j0["rtt_ms"].is_null());
  EXPECT_TRUE(j0["mos"].is_null());  // nothing received yet: no estimate

  call.tone(0, 1000);
  call.tone(1, 600);
  call.run(12s);
  const std::string line = to_json(call.b().report(call.now));
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto j = nlohmann::json::parse(line);
  ASSERT_TRUE(j.is_object());
  for (const char* k : {"codec", "clock_rate", "keying", "suite", "state", "packets_sent", "octets_sent",
                        "packets_received", "packets_lost", "fraction_lost_percent", "jitter_ms", "rtt_ms",
                        "remote_fraction_lost_percent", "discarded", "discarded_auth", "discarded_replay",
                        "discarded_late", "discarded_other", "concealed_frames", "dtmf_sent", "dtmf_received",
                        "remote_bye", "r_factor", "mos", "duration_ms"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["codec"], "PCMU");
  EXPECT_EQ(j["clock_rate"], 8000);
  EXPECT_EQ(j["keying"], "sdes");
  EXPECT_EQ(j["state"], "running");
  EXPECT_FALSE(j["suite"].get<std::string>().empty());
  EXPECT_GT(j["packets_received"].get<int>(), 500);
  EXPECT_GT(j["octets_sent"].get<int>(), 500 * 160);
  EXPECT_TRUE(j["rtt_ms"].is_number());
  EXPECT_GT(j["mos"].get<double>(), 4.0);
  EXPECT_EQ(j["duration_ms"], 12000);
}

// ---- configuration and hostile input ----

TEST(MediaStreamSetup, RefusesWhatCannotWork) {
  SeededRandom rng(3);
  const auto base = configs(AudioCodec::Pcmu, Keying::Sdes).a;
  auto expect = [&](MediaStreamConfig c, std::error_code want, const DtlsIdentity* id = nullptr) {
    auto s = MediaStream::create(std::move(c), id, rng);
    EXPECT_EQ(s.error(), want) << s.error().message();
  };
  auto c = base;
  c.keying = std::monostate{};
  expect(c, MediaStreamErrc::PlainRtpNotAllowed);
  c = base;
  c.payload_type = 128;
  expect(c, MediaStreamErrc::BadPayloadType);
  c = base;
  c.telephone_event_pt = 0;
  expect(c, MediaStreamErrc::BadPayloadType);
  c = base;
  c.clock_rate = 48000;
  expect(c, MediaStreamErrc::BadClockRate);
  c = configs(AudioCodec::Opus, Keying::Sdes).a;
  c.clock_rate = 8000;
  expect(c, MediaStreamErrc::BadClockRate);
  c = configs(AudioCodec::Opus, Keying::Sdes).a;
  c.ptime = 30ms;
  expect(c, MediaStreamErrc::BadPtime);
  c = base;
  c.ptime = 25ms;
  expect(c, MediaStreamErrc::BadPtime);
  c = base;
  c.audio_rate_hz = 44100;
  expect(c, MediaStreamErrc::BadAudioRate);
  c = configs(AudioCodec::Pcmu, Keying::Dtls).a;
  expect(c, MediaStreamErrc::NoIdentity);
  c.rtcp_mux = false;
  expect(c, MediaStreamErrc::DtlsNeedsRtcpMux, &alice_identity());
  c = configs(AudioCodec::Pcmu, Keying::Dtls).a;
  std::get<DtlsSrtpConfig>(c.keying).peer_fingerprints.clear();
  expect(c, DtlsSrtpErrc::NoFingerprint, &alice_identity());

  // A DTLS stream is Connecting until the handshake is done; the others run at once.
  auto dtls = MediaStream::create(configs(AudioCodec::Pcmu, Keying::Dtls).a, &alice_identity(), rng);
  ASSERT_TRUE(dtls.ok());
  EXPECT_EQ(dtls->state(), State::Connecting);
  EXPECT_FALSE(dtls->next_deadline());
  const auto flight = dtls->start(TimePoint{} + 1s);
  ASSERT_FALSE(flight.empty());  // the ClientHello
  EXPECT_EQ(classify_packet(flight[0].bytes), PacketKind::Dtls);
  EXPECT_TRUE(dtls->next_deadline().has_value());
  auto sdes = MediaStream::create(base, nullptr, rng);
  ASSERT_TRUE(sdes.ok());
  EXPECT_EQ(sdes->state(), State::Running);
}

TEST(MediaStreamRobustness, HostileDatagramsAreDroppedAndTheCallGoesOn) {
  for (Keying keying : {Keying::Plain, Keying::Sdes, Keying::Dtls}) {
    SCOPED_TRACE(keying_name(keying));
    const auto cfg = configs(AudioCodec::Pcmu, keying);
    Call call(cfg.a, cfg.b);
    ASSERT_TRUE(call.ok());
    call.tone(0, 1000);
    call.run(1s);
    std::mt19937 g(99);
    const auto before = call.b().report(call.now);
    const auto valid = call.sent_of_kind(0, PacketKind::Rtp).back();
    for (int i = 0; i < 3000; ++i) {
      std::vector<std::byte> d;
      // Plain RTP has no defence against a forger on the path (that is why it must be allowed
      // explicitly): only blind garbage for it.
      if (i % 3 == 0 && keying != Keying::Plain) {
        d = valid;  // a real packet, mutated and truncated
        d[g() % d.size()] ^= static_cast<std::byte>(1 + g() % 255);
        d.resize(g() % (d.size() + 1));
      } else {
        d.resize(g() % 300);
        for (auto& b : d) b = static_cast<std::byte>(g());
        if (!d.empty() && i % 3 == 1) d[0] = std::byte{0x80};  // looks like RTP/RTCP
        if (d.size() > 1 && i % 6 == 1) d[1] = std::byte{0xC8};  // looks like an SR
      }
      call.b().on_datagram(d, call.now);
    }
    call.b().on_datagram(std::vector<std::byte>(2000, std::byte{0x80}), call.now);  // above the limit
    const auto after = call.b().report(call.now);
    EXPECT_EQ(call.b().state(), State::Running);
    EXPECT_GT(after.discarded, before.discarded + 2000);  // DTLS-looking garbage goes to DTLS
    call.run(1s);
    EXPECT_GT(t::tone_share(last(call.heard[1], 4000), 1000, 8000), 0.85);
  }
}
