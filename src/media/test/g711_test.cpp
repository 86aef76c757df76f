// G.711 µ-law and A-law (ITU-T G.711): known code points, every code decoding to a value that
// encodes back to the same code, the error bound of every 16-bit input, sine SNR, and the
// concealer's fade.
#include "media/g711.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <numbers>
#include <vector>

using namespace warden::media;

TEST(G711, UlawKnownCodePoints) {
  EXPECT_EQ(ulaw_to_linear(0xFF), 0);
  EXPECT_EQ(ulaw_to_linear(0x7F), 0);  // "negative zero"
  EXPECT_EQ(ulaw_to_linear(0x00), -32124);
  EXPECT_EQ(ulaw_to_linear(0x80), 32124);
  EXPECT_EQ(ulaw_to_linear(0xFE), 8);
  EXPECT_EQ(ulaw_to_linear(0x7E), -8);
  EXPECT_EQ(ulaw_to_linear(0xEF), 132);  // segment 1 starts: ((0 << 3) + 132) << 1 - 132
  EXPECT_EQ(linear_to_ulaw(0), 0xFF);
  EXPECT_EQ(linear_to_ulaw(-1), 0x7F);
  EXPECT_EQ(linear_to_ulaw(32767), 0x80);
  EXPECT_EQ(linear_to_ulaw(-32768), 0x00);
  EXPECT_EQ(linear_to_ulaw(8), 0xFE);
}

TEST(G711, AlawKnownCodePoints) {
  EXPECT_EQ(alaw_to_linear(0xD5), 8);
  EXPECT_EQ(alaw_to_linear(0x55), -8);
  EXPECT_EQ(alaw_to_linear(0xAA), 32256);
  EXPECT_EQ(alaw_to_linear(0x2A), -32256);
  EXPECT_EQ(alaw_to_linear(0xC5), 264);  // segment 1, mantissa 0
  EXPECT_EQ(linear_to_alaw(0), 0xD5);
  EXPECT_EQ(linear_to_alaw(-1), 0x55);
  EXPECT_EQ(linear_to_alaw(32767), 0xAA);
  EXPECT_EQ(linear_to_alaw(-32768), 0x2A);
}

// Every code but µ-law's negative zero decodes to a value that encodes to the same code, and
// the decoded values increase with the magnitude bits (a monotone table).
TEST(G711, EveryCodeRoundTrips) {
  for (int c = 0; c < 256; ++c) {
    const auto code = static_cast<std::uint8_t>(c);
    if (code != 0x7F) {
      EXPECT_EQ(linear_to_ulaw(ulaw_to_linear(code)), code) << c;
    }
    EXPECT_EQ(linear_to_alaw(alaw_to_linear(code)), code) << c;
  }
  std::vector<int> ulaw, alaw;
  for (int c = 0; c < 256; ++c) {
    ulaw.push_back(ulaw_to_linear(static_cast<std::uint8_t>(c)));
    alaw.push_back(alaw_to_linear(static_cast<std::uint8_t>(c)));
  }
  std::sort(ulaw.begin(), ulaw.end());
  std::sort(alaw.begin(), alaw.end());
  EXPECT_EQ(std::unique(ulaw.begin(), ulaw.end()) - ulaw.begin(), 255);  // 0 twice
  EXPECT_EQ(std::unique(alaw.begin(), alaw.end()) - alaw.begin(), 256);
}

// The error of every 16-bit input stays within half a quantisation step of its segment, and
// that half step is at most 1/32 of the (biased, for µ-law) magnitude; encoding is monotone.
TEST(G711, ErrorBoundOverTheWholeRange) {
  int previous_u = 0, previous_a = 0;
  for (int x = -32768; x <= 32767; ++x) {
    const auto pcm = static_cast<std::int16_t>(x);
    const int eu = std::abs(ulaw_to_linear(linear_to_ulaw(pcm)) - x);
    const int ea = std::abs(alaw_to_linear(linear_to_alaw(pcm)) - x);
    const int mag = std::abs(x);
    if (mag <= 32124) {
      EXPECT_LE(eu, (mag + 132) / 32) << x;
    } else {
      EXPECT_LE(eu, 32768 - 32124) << x;  // clipped at the top code
    }
    EXPECT_LE(ea, std::max(8, mag / 32 + 1)) << x;
    // Monotone: a larger input never decodes smaller.
    const int du = ulaw_to_linear(linear_to_ulaw(pcm));
    const int da = alaw_to_linear(linear_to_alaw(pcm));
    if (x > -32768) {
      EXPECT_GE(du, previous_u) << x;
      EXPECT_GE(da, previous_a) << x;
    }
    previous_u = du;
    previous_a = da;
  }
}

// A full-scale-ish sine keeps an SNR near the G.711 figure of ~38 dB.
TEST(G711, SineSignalToNoise) {
  for (G711Law law : {G711Law::Ulaw, G711Law::Alaw}) {
    std::vector<std::int16_t> pcm(8000), back(8000);
    std::vector<std::uint8_t> codes(8000);
    for (std::size_t i = 0; i < pcm.size(); ++i) {
      pcm[i] = static_cast<std::int16_t>(16000 * std::sin(2 * std::numbers::pi * 1004 * i / 8000.0));
    }
    g711_encode(law, pcm, codes);
    g711_decode(law, codes, back);
    double signal = 0, noise = 0;
    for (std::size_t i = 0; i < pcm.size(); ++i) {
      signal += double(pcm[i]) * pcm[i];
      noise += double(pcm[i] - back[i]) * (pcm[i] - back[i]);
    }
    const double snr = 10 * std::log10(signal / noise);
    EXPECT_GT(snr, 35.0);
    EXPECT_LT(snr, 42.0);
  }
}

TEST(G711Concealer, RepeatsAndFadesToSilence) {
  G711Concealer plc(3);
  std::vector<std::int16_t> out(160);
  plc.conceal(out);  // nothing heard yet: silence
  for (auto s : out) EXPECT_EQ(s, 0);

  const std::vector<std::int16_t> good(160, 9000);
  plc.on_good_frame(good);
  std::vector<double> levels;
  for (int k = 0; k < 5; ++k) {
    plc.conceal(out);
    EXPECT_EQ(plc.missing_in_a_row(), std::size_t(k + 1));
    levels.push_back(out.front());
    levels.push_back(out.back());
    // Within a frame the level never rises.
    for (std::size_t i = 1; i < out.size(); ++i) EXPECT_LE(out[i], out[i - 1]);
  }
  EXPECT_EQ(levels[0], 9000);             // the first sample continues the last good frame
  EXPECT_NEAR(levels[1], 6000, 60);       // a third of the way down after one frame
  EXPECT_NEAR(levels[2], 6000, 60);       // no step between frames
  EXPECT_NEAR(levels[5], 0, 60);          // silent after three frames
  EXPECT_EQ(levels[6], 0);
  EXPECT_EQ(levels[9], 0);
  plc.on_good_frame(good);
  EXPECT_EQ(plc.missing_in_a_row(), 0u);
  plc.conceal(out);
  EXPECT_EQ(out[0], 9000);  // a new good frame resets the fade
}

TEST(G711Concealer, RepeatsTheWaveform) {
  G711Concealer plc(10);
  std::vector<std::int16_t> good(80);
  for (std::size_t i = 0; i < good.size(); ++i) good[i] = static_cast<std::int16_t>(i * 100);
  plc.on_good_frame(good);
  std::vector<std::int16_t> out(80);
  plc.conceal(out);
  // Gain falls from 1.0 to 0.9 across the frame: sample i is good[i] * (1 - 0.1 * i / 80).
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_NEAR(out[i], good[i] * (1.0 - 0.1 * i / 80.0), 1.0) << i;
  }
}
