#pragma once
// Signal measures for the audio tests: RMS, the best normalised cross-correlation over a range
// of lags (codecs delay their output), and the strength of one frequency (Goertzel).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <span>

namespace warden::media::test {

inline double rms(std::span<const std::int16_t> x) {
  if (x.empty()) return 0;
  double sum = 0;
  for (auto v : x) sum += double(v) * v;
  return std::sqrt(sum / double(x.size()));
}

struct BestLag {
  std::size_t lag = 0;
  double correlation = 0;
};

// max over lag in [0, max_lag] of corr(ref[i], out[i + lag]) over `length` samples.
inline BestLag best_correlation(std::span<const std::int16_t> ref, std::span<const std::int16_t> out,
                                std::size_t length, std::size_t max_lag) {
  BestLag best;
  for (std::size_t lag = 0; lag <= max_lag && lag + length <= out.size() && length <= ref.size(); ++lag) {
    double xy = 0, xx = 0, yy = 0;
    for (std::size_t i = 0; i < length; ++i) {
      const double a = ref[i], b = out[i + lag];
      xy += a * b;
      xx += a * a;
      yy += b * b;
    }
    const double c = (xx > 0 && yy > 0) ? xy / std::sqrt(xx * yy) : 0;
    if (c > best.correlation) best = {lag, c};
  }
  return best;
}

// Power of `freq` in `x` relative to the total power (0 - 1), by the Goertzel recurrence.
inline double tone_share(std::span<const std::int16_t> x, double freq, double rate) {
  const double w = 2 * std::numbers::pi * freq / rate;
  double s1 = 0, s2 = 0;
  for (auto v : x) {
    const double s = v + 2 * std::cos(w) * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  const double power = s1 * s1 + s2 * s2 - 2 * std::cos(w) * s1 * s2;
  double total = 0;
  for (auto v : x) total += double(v) * v;
  return total > 0 ? 2 * power / (double(x.size()) * total) : 0;
}

}  // namespace warden::media::test
