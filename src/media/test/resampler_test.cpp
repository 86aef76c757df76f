// Resampling: whole buffers keep a tone's level and shape at every pair of phone rates and
// remove what the lower rate cannot carry; the streaming Resampler gives whole frames, equals
// the whole-buffer result shifted by its delay, and has no seams between chunks.
#include "media/resampler.hpp"

#include <gtest/gtest.h>

#include "audio_test_util.hpp"
#include "media/tone.hpp"

using namespace warden::media;
using namespace std::chrono_literals;
namespace t = warden::media::test;

TEST(Resample, UpAndDownKeepATone) {
  for (auto [from, to] : {std::pair{8000, 48000}, {48000, 8000}, {16000, 8000}, {8000, 16000},
                          {48000, 16000}, {16000, 48000}}) {
    const auto in = make_tone({1000, 0, 0.5, from}, 500ms);
    const auto out = resample(in, from, to);
    ASSERT_EQ(out.size(), in.size() * to / from);
    const auto ref = make_tone({1000, 0, 0.5, to}, 500ms);
    // Away from the edges the output is the same sine at the new rate.
    const std::size_t skip = static_cast<std::size_t>(to / 20);
    const std::size_t len = static_cast<std::size_t>(to / 4);
    auto best = t::best_correlation(std::span(ref).subspan(skip), std::span(out).subspan(skip), len, 2);
    EXPECT_GT(best.correlation, 0.999) << from << "->" << to;
    EXPECT_EQ(best.lag, 0u) << from << "->" << to;
    const double ratio = t::rms(std::span(out).subspan(skip, len)) / t::rms(std::span(ref).subspan(skip, len));
    EXPECT_NEAR(ratio, 1.0, 0.03) << from << "->" << to;
  }
}

TEST(Resample, DownsamplingRemovesWhatCannotBeRepresented) {
  // 6 kHz cannot exist at 8 kHz: it must not fold down to 2 kHz.
  const auto in = make_tone({6000, 0, 0.5, 48000}, 500ms);
  const auto out = resample(in, 48000, 8000);
  EXPECT_LT(t::rms(std::span(out).subspan(400, 3200)), 0.01 * t::rms(in));
}

TEST(Resample, EdgeCases) {
  const std::vector<std::int16_t> in{1, 2, 3};
  EXPECT_EQ(resample(in, 8000, 8000), in);
  EXPECT_TRUE(resample(in, 0, 8000).empty());
  EXPECT_TRUE(resample({}, 8000, 48000).empty());
  EXPECT_EQ(resample(std::vector<std::int16_t>(10, 32767), 8000, 48000).size(), 60u);
}


TEST(Resampler, StreamGivesWholeFramesAndMatchesTheBuffer) {
  for (auto [from, to] : {std::pair{8000, 48000}, {48000, 8000}, {16000, 8000}, {8000, 16000},
                          {48000, 16000}, {16000, 48000}, {44100, 48000}}) {
    const auto in = make_tone({700, 0, 0.6, from}, 400ms);
    Resampler r(from, to);
    std::vector<std::int16_t> streamed;
    const std::size_t chunk = static_cast<std::size_t>(from / 50);  // 20 ms
    for (std::size_t pos = 0; pos + chunk <= in.size(); pos += chunk) {
      const std::size_t before = streamed.size();
      r.process(std::span(in).subspan(pos, chunk), streamed);
      if (from % 50 == 0 && to % 50 == 0) {
        EXPECT_EQ(streamed.size() - before, static_cast<std::size_t>(to / 50)) << from << "->" << to;
      }
    }
    const auto whole = resample(in, from, to);
    ASSERT_EQ(streamed.size(), whole.size());
    // streamed[n + delay] is whole[n], up to rounding, until the whole buffer's end effects.
    const std::size_t d = r.delay();
    EXPECT_GT(d, 0u);
    EXPECT_LT(d, static_cast<std::size_t>(to / 100));  // under 10 ms
    int worst = 0;
    for (std::size_t n = 0; n + d < streamed.size(); ++n) {
      worst = std::max(worst, std::abs(streamed[n + d] - whole[n]));
    }
    EXPECT_LE(worst, 1) << from << "->" << to;
  }
}

TEST(Resampler, ChunkSizesDoNotMatter) {
  const auto in = make_tone({1000, 0, 0.5, 48000}, 200ms);
  Resampler a(48000, 8000), b(48000, 8000);
  std::vector<std::int16_t> out_a, out_b;
  a.process(in, out_a);
  std::size_t pos = 0, step = 1;
  while (pos < in.size()) {
    const std::size_t n = std::min(step, in.size() - pos);
    b.process(std::span(in).subspan(pos, n), out_b);
    pos += n;
    step = step % 97 + 13;  // odd chunk sizes
  }
  EXPECT_EQ(out_a, out_b);
}

TEST(Resampler, SameRateAndBadRates) {
  Resampler same(8000, 8000);
  std::vector<std::int16_t> out;
  const std::vector<std::int16_t> in{1, 2, 3};
  same.process(in, out);
  EXPECT_EQ(out, in);
  Resampler bad(0, 8000);
  out.clear();
  bad.process(in, out);
  EXPECT_TRUE(out.empty());
}
