#include "media/tone.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace warden::media {

namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

double advance(double phase, double step) noexcept {
  phase += step;
  return phase >= kTwoPi ? std::fmod(phase, kTwoPi) : phase;
}

}  // namespace

ToneGenerator::ToneGenerator(const ToneSpec& spec) noexcept : spec_(spec) {
  spec_.amplitude = std::clamp(spec_.amplitude, 0.0, 1.0);
  if (spec_.sample_rate <= 0) spec_.sample_rate = 8000;
}

void ToneGenerator::fill(std::span<std::int16_t> out) noexcept {
  const double rate = spec_.sample_rate;
  const double step1 = kTwoPi * spec_.frequency_hz / rate;
  const double step2 = kTwoPi * spec_.second_frequency_hz / rate;
  const bool dual = spec_.second_frequency_hz > 0.0;
  // Each of two tones gets half the peak so their sum never clips.
  const double peak = 32767.0 * spec_.amplitude * (dual ? 0.5 : 1.0);
  for (std::int16_t& s : out) {
    double v = std::sin(phase1_);
    if (dual) v += std::sin(phase2_);
    s = static_cast<std::int16_t>(std::lround(peak * v));
    phase1_ = advance(phase1_, step1);
    if (dual) phase2_ = advance(phase2_, step2);
  }
}

std::vector<std::int16_t> make_tone(const ToneSpec& spec, std::chrono::milliseconds duration) {
  const auto count = static_cast<std::size_t>(
      std::max<std::int64_t>(0, duration.count()) * std::max(spec.sample_rate, 0) / 1000);
  std::vector<std::int16_t> out(count);
  ToneGenerator gen(spec);
  gen.fill(out);
  return out;
}

std::optional<ToneSpec> dtmf_tone(char key, double amplitude, int sample_rate) noexcept {
  static constexpr char kKeys[4][4] = {
      {'1', '2', '3', 'A'}, {'4', '5', '6', 'B'}, {'7', '8', '9', 'C'}, {'*', '0', '#', 'D'}};
  static constexpr double kRows[4] = {697, 770, 852, 941};
  static constexpr double kColumns[4] = {1209, 1336, 1477, 1633};
  const char k = (key >= 'a' && key <= 'd') ? static_cast<char>(key - 'a' + 'A') : key;
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 4; ++c) {
      if (kKeys[r][c] == k) return ToneSpec{kRows[r], kColumns[c], amplitude, sample_rate};
    }
  }
  return std::nullopt;
}

}  // namespace warden::media
