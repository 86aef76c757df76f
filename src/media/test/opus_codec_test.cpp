// Opus wrapper over libopus: a sine through encoder and decoder at 8, 16 and 48 kHz keeps its
// level and shape (after the codec delay), loss concealment and in-band FEC give audio for a
// lost frame, and bad arguments come back as OpusErrc values.
#include "media/opus_codec.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "audio_test_util.hpp"
#include "media/tone.hpp"

using namespace warden::media;
using namespace std::chrono_literals;
namespace t = warden::media::test;

namespace {

struct Coded {
  std::vector<std::vector<std::byte>> packets;
  std::vector<std::int16_t> decoded;
};

Coded round_trip(const OpusConfig& cfg, const std::vector<std::int16_t>& pcm) {
  Coded out;
  auto enc = OpusAudioEncoder::create(cfg);
  EXPECT_TRUE(enc) << enc.error().message();
  auto dec = OpusAudioDecoder::create(cfg.sample_rate, cfg.channels);
  EXPECT_TRUE(dec);
  if (!enc || !dec) return out;
  const std::size_t frame = enc->frame_samples();
  std::vector<std::byte> packet(kOpusMaxPacketBytes);
  std::vector<std::int16_t> pcm_out(frame * 6);
  for (std::size_t pos = 0; pos + frame <= pcm.size(); pos += frame) {
    auto n = enc->encode(std::span(pcm).subspan(pos, frame), packet);
    EXPECT_TRUE(n) << n.error().message();
    if (!n) return out;
    out.packets.emplace_back(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(*n));
    auto m = dec->decode(out.packets.back(), pcm_out);
    EXPECT_TRUE(m) << m.error().message();
    if (!m) return out;
    EXPECT_EQ(*m, frame);
    out.decoded.insert(out.decoded.end(), pcm_out.begin(), pcm_out.begin() + static_cast<std::ptrdiff_t>(*m));
  }
  return out;
}

}  // namespace

TEST(OpusCodec, SineSurvivesAtEveryPhoneRate) {
  for (int rate : {8000, 16000, 48000}) {
    OpusConfig cfg;
    cfg.sample_rate = rate;
    cfg.bitrate = 32000;
    const auto pcm = make_tone({440, 0, 0.5, rate}, 1000ms);
    const Coded c = round_trip(cfg, pcm);
    ASSERT_EQ(c.packets.size(), 50u) << rate;
    ASSERT_EQ(c.decoded.size(), pcm.size());
    for (const auto& p : c.packets) {
      EXPECT_GT(p.size(), 2u);
      EXPECT_LT(p.size(), 200u);  // 32 kbit/s is 80 bytes per 20 ms on average
    }
    // Skip the first 200 ms (start-up), compare 500 ms against the decoded output at the best
    // lag within 10 ms.
    const std::size_t skip = static_cast<std::size_t>(rate / 5);
    const std::size_t length = static_cast<std::size_t>(rate / 2);
    auto best = t::best_correlation(std::span(pcm).subspan(skip), std::span(c.decoded).subspan(skip),
                                    length, static_cast<std::size_t>(rate / 100));
    EXPECT_GT(best.correlation, 0.95) << rate;
    const double ratio = t::rms(std::span(c.decoded).subspan(skip, length)) /
                         t::rms(std::span(pcm).subspan(skip, length));
    EXPECT_GT(ratio, 0.7) << rate;
    EXPECT_LT(ratio, 1.3) << rate;
    EXPECT_GT(t::tone_share(std::span(c.decoded).subspan(skip, length), 440, rate), 0.9) << rate;
  }
}

TEST(OpusCodec, StereoFrames) {
  OpusConfig cfg;
  cfg.channels = 2;
  auto enc = OpusAudioEncoder::create(cfg);
  ASSERT_TRUE(enc);
  EXPECT_EQ(enc->frame_samples(), 960u);
  std::vector<std::int16_t> pcm(960 * 2, 1000);
  std::vector<std::byte> packet(kOpusMaxPacketBytes);
  EXPECT_TRUE(enc->encode(pcm, packet));
  EXPECT_EQ(enc->encode(std::span(pcm).first(960), packet).error(), make_error_code(OpusErrc::BadFrameSize));
}

TEST(OpusCodec, ConcealmentAndFecFillALostFrame) {
  OpusConfig cfg;
  cfg.sample_rate = 16000;
  cfg.bitrate = 16000;  // low enough for the SILK layer, which carries the FEC
  cfg.inband_fec = true;
  cfg.expected_loss_percent = 20;
  auto enc = OpusAudioEncoder::create(cfg);
  ASSERT_TRUE(enc);
  const auto pcm = make_tone({300, 0, 0.5, 16000}, 1000ms);
  std::vector<std::vector<std::byte>> packets;
  std::vector<std::byte> buf(kOpusMaxPacketBytes);
  for (std::size_t pos = 0; pos + 320 <= pcm.size(); pos += 320) {
    auto n = enc->encode(std::span(pcm).subspan(pos, 320), buf);
    ASSERT_TRUE(n);
    packets.emplace_back(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
  }
  std::vector<std::int16_t> out(320);
  const double level = t::rms(std::span(pcm).subspan(3200, 3200));
  for (bool use_fec : {false, true}) {
    auto dec = OpusAudioDecoder::create(16000);
    ASSERT_TRUE(dec);
    for (std::size_t i = 0; i < 30; ++i) ASSERT_TRUE(dec->decode(packets[i], out));
    // Packet 30 is lost.
    auto n = use_fec ? dec->decode_fec(packets[31], out) : dec->conceal(out);
    ASSERT_TRUE(n) << n.error().message();
    EXPECT_EQ(*n, 320u);
    // Either way the gap is filled with audio of about the same level, not silence.
    EXPECT_GT(t::rms(out), level * 0.3) << use_fec;
    EXPECT_GT(t::tone_share(out, 300, 16000), 0.5) << use_fec;
    ASSERT_TRUE(dec->decode(packets[31], out));
    EXPECT_GT(t::rms(out), level * 0.5);
  }
}

TEST(OpusCodec, ErrorsAreValues) {
  OpusConfig cfg;
  cfg.sample_rate = 44100;
  EXPECT_EQ(OpusAudioEncoder::create(cfg).error(), make_error_code(OpusErrc::BadSampleRate));
  cfg = {};
  cfg.channels = 3;
  EXPECT_EQ(OpusAudioEncoder::create(cfg).error(), make_error_code(OpusErrc::BadChannels));
  cfg = {};
  cfg.frame_ms = 25;
  EXPECT_EQ(OpusAudioEncoder::create(cfg).error(), make_error_code(OpusErrc::BadFrameSize));
  cfg = {};
  cfg.bitrate = 1000;
  EXPECT_EQ(OpusAudioEncoder::create(cfg).error(), make_error_code(OpusErrc::BadConfig));
  EXPECT_EQ(OpusAudioDecoder::create(11025).error(), make_error_code(OpusErrc::BadSampleRate));

  auto enc = OpusAudioEncoder::create({});
  ASSERT_TRUE(enc);
  EXPECT_EQ(enc->set_bitrate(5).error(), make_error_code(OpusErrc::BadConfig));
  EXPECT_TRUE(enc->set_bitrate(24000));
  EXPECT_TRUE(enc->set_expected_loss(10));
  const auto pcm = make_tone({440, 0, 0.5, 48000}, 20ms);
  auto small = enc->encode(pcm, {});  // no room at all
  EXPECT_EQ(small.error(), make_error_code(OpusErrc::BufferTooSmall));

  auto dec = OpusAudioDecoder::create(48000);
  ASSERT_TRUE(dec);
  std::vector<std::int16_t> out(960);
  EXPECT_EQ(dec->decode({}, out).error(), make_error_code(OpusErrc::InvalidPacket));
  const std::byte bad[2]{std::byte{0x03}, std::byte{0x00}};  // code 3 with zero frames
  EXPECT_EQ(dec->decode(bad, out).error(), make_error_code(OpusErrc::InvalidPacket));
  std::vector<std::int16_t> odd(100);  // not a multiple of 2.5 ms (120 samples)
  EXPECT_EQ(dec->conceal(odd).error(), make_error_code(OpusErrc::BadFrameSize));
  const std::vector<std::byte> huge(kOpusMaxPacketBytes + 1, std::byte{0x78});
  EXPECT_EQ(dec->decode(huge, out).error(), make_error_code(OpusErrc::InvalidPacket));
}

TEST(OpusCodec, MovesKeepTheCodec) {
  auto enc = OpusAudioEncoder::create({});
  ASSERT_TRUE(enc);
  OpusAudioEncoder moved = std::move(*enc);
  std::vector<std::int16_t> pcm(960, 0);
  std::vector<std::byte> packet(kOpusMaxPacketBytes);
  EXPECT_TRUE(moved.encode(pcm, packet));
}
