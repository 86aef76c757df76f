// ToneGenerator: amplitude, frequency (by Goertzel), phase continuity across calls, dual tones
// that never clip, and the DTMF table of ITU-T Q.23.
#include "media/tone.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "audio_test_util.hpp"

using namespace warden::media;
using namespace std::chrono_literals;
namespace t = warden::media::test;

TEST(Tone, SineHasTheAskedLevelAndFrequency) {
  const auto pcm = make_tone({1000, 0, 0.5, 8000}, 1000ms);
  ASSERT_EQ(pcm.size(), 8000u);
  EXPECT_EQ(pcm[0], 0);
  EXPECT_EQ(pcm[2], 16384);  // a quarter period at 1 kHz / 8 kHz is two samples
  EXPECT_NEAR(t::rms(pcm), 16383.5 / std::sqrt(2.0), 20);
  EXPECT_GT(t::tone_share(pcm, 1000, 8000), 0.99);
  EXPECT_LT(t::tone_share(pcm, 1300, 8000), 0.01);
}

TEST(Tone, FrameByFrameEqualsOneBlock) {
  const ToneSpec spec{440, 0, 0.8, 48000};
  const auto whole = make_tone(spec, 100ms);
  ToneGenerator gen(spec);
  std::vector<std::int16_t> pieces;
  std::vector<std::int16_t> frame(480);
  for (int i = 0; i < 10; ++i) {
    gen.fill(frame);
    pieces.insert(pieces.end(), frame.begin(), frame.end());
  }
  ASSERT_EQ(pieces.size(), whole.size());
  for (std::size_t i = 0; i < whole.size(); ++i) EXPECT_NEAR(pieces[i], whole[i], 1) << i;
}

TEST(Tone, DualToneStaysInRange) {
  const auto pcm = make_tone({350, 440, 1.0, 8000}, 1000ms);  // a dial tone at full scale
  const auto [lo, hi] = std::minmax_element(pcm.begin(), pcm.end());
  EXPECT_GE(*lo, -32767);
  EXPECT_GT(*hi, 30000);  // the two peaks meet somewhere in a second
  EXPECT_GT(t::tone_share(pcm, 350, 8000), 0.45);
  EXPECT_GT(t::tone_share(pcm, 440, 8000), 0.45);
}

TEST(Tone, DtmfKeys) {
  auto five = dtmf_tone('5');
  ASSERT_TRUE(five);
  EXPECT_EQ(five->frequency_hz, 770);
  EXPECT_EQ(five->second_frequency_hz, 1336);
  auto pound = dtmf_tone('#');
  ASSERT_TRUE(pound);
  EXPECT_EQ(pound->frequency_hz, 941);
  EXPECT_EQ(pound->second_frequency_hz, 1477);
  EXPECT_EQ(dtmf_tone('d')->second_frequency_hz, 1633);
  EXPECT_FALSE(dtmf_tone('x'));
  const auto pcm = make_tone(*dtmf_tone('1'), 100ms);
  EXPECT_GT(t::tone_share(pcm, 697, 8000), 0.4);
  EXPECT_GT(t::tone_share(pcm, 1209, 8000), 0.4);
  EXPECT_LT(t::tone_share(pcm, 941, 8000), 0.02);
}

TEST(Tone, ZeroAndNegativeDurations) {
  EXPECT_TRUE(make_tone({}, 0ms).empty());
  EXPECT_TRUE(make_tone({}, -5ms).empty());
}
