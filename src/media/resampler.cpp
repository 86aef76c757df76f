#include "media/resampler.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

namespace warden::media {

namespace {

constexpr double kZeroCrossings = 16.0;

double cutoff_for(double from, double to) noexcept { return 0.95 * std::min(1.0, to / from); }

// The windowed-sinc weight of an input sample `x` input samples away from the output position.
double weight(double x, double cutoff, double half_width) noexcept {
  const double arg = std::numbers::pi * cutoff * x;
  const double sinc = std::abs(arg) < 1e-9 ? 1.0 : std::sin(arg) / arg;
  const double u = (x / half_width + 1.0) * 0.5;  // 0 .. 1 across the window
  const double window = 0.42 - 0.5 * std::cos(2 * std::numbers::pi * u) +
                        0.08 * std::cos(4 * std::numbers::pi * u);
  return cutoff * sinc * window;
}

std::int16_t to_sample(double v) noexcept {
  return static_cast<std::int16_t>(std::clamp<long>(std::lround(v), -32768L, 32767L));
}

}  // namespace

std::vector<std::int16_t> resample(std::span<const std::int16_t> in, int from_rate, int to_rate) {
  if (from_rate <= 0 || to_rate <= 0) return {};
  if (from_rate == to_rate) return {in.begin(), in.end()};
  const auto out_count =
      static_cast<std::size_t>(std::uint64_t{in.size()} * static_cast<std::uint64_t>(to_rate) /
                               static_cast<std::uint64_t>(from_rate));
  std::vector<std::int16_t> out(out_count);
  const double cutoff = cutoff_for(from_rate, to_rate);
  const double half_width = kZeroCrossings / cutoff;  // in input samples
  const double ratio = static_cast<double>(from_rate) / to_rate;
  const auto last = static_cast<std::int64_t>(in.size()) - 1;
  for (std::size_t n = 0; n < out_count; ++n) {
    const double center = static_cast<double>(n) * ratio;
    const auto first_k = std::max<std::int64_t>(0, static_cast<std::int64_t>(std::ceil(center - half_width)));
    const auto last_k = std::min<std::int64_t>(last, static_cast<std::int64_t>(std::floor(center + half_width)));
    double acc = 0.0;
    for (std::int64_t k = first_k; k <= last_k; ++k) {
      acc += in[static_cast<std::size_t>(k)] * weight(static_cast<double>(k) - center, cutoff, half_width);
    }
    out[n] = to_sample(acc);
  }
  return out;
}

Resampler::Resampler(int from_rate, int to_rate) {
  if (from_rate <= 0 || to_rate <= 0) return;
  valid_ = true;
  const auto g = std::gcd(from_rate, to_rate);
  from_ = static_cast<std::uint64_t>(from_rate / g);
  to_ = static_cast<std::uint64_t>(to_rate / g);
  cutoff_ = cutoff_for(from_rate, to_rate);
  half_width_ = kZeroCrossings / cutoff_;
  // Output n is centred on input n * from / to - delay_in_, so everything it needs has arrived
  // as soon as input n * from / to has.
  const auto reach = static_cast<std::uint64_t>(std::ceil(half_width_)) + 1;
  delay_in_ = (reach + from_ - 1) / from_ * from_;
  delay_out_ = static_cast<std::size_t>(delay_in_ / from_ * to_);
}

void Resampler::process(std::span<const std::int16_t> in, std::vector<std::int16_t>& out) {
  if (!valid_) return;
  history_.insert(history_.end(), in.begin(), in.end());
  total_in_ += in.size();
  if (from_ == to_) {
    out.insert(out.end(), in.begin(), in.end());
    history_.clear();
    history_start_ = total_in_;
    produced_ = total_in_;
    return;
  }
  const std::uint64_t due = total_in_ * to_ / from_;
  const auto sample_at = [this](std::int64_t k) -> double {
    if (k < static_cast<std::int64_t>(history_start_)) return 0.0;  // before the stream: silence
    return history_[static_cast<std::size_t>(static_cast<std::uint64_t>(k) - history_start_)];
  };
  for (; produced_ < due; ++produced_) {
    const double center = static_cast<double>(produced_ * from_) / static_cast<double>(to_) -
                          static_cast<double>(delay_in_);
    const auto first_k = static_cast<std::int64_t>(std::ceil(center - half_width_));
    const auto last_k = static_cast<std::int64_t>(std::floor(center + half_width_));
    double acc = 0.0;
    for (std::int64_t k = std::max<std::int64_t>(first_k, 0); k <= last_k; ++k) {
      acc += sample_at(k) * weight(static_cast<double>(k) - center, cutoff_, half_width_);
    }
    out.push_back(to_sample(acc));
  }
  // Keep only what the next output can still reach.
  const double next_center = static_cast<double>(produced_ * from_) / static_cast<double>(to_) -
                             static_cast<double>(delay_in_);
  const double keep_from = std::floor(next_center - half_width_) - 1.0;
  if (keep_from > static_cast<double>(history_start_)) {
    const auto drop = std::min<std::uint64_t>(static_cast<std::uint64_t>(keep_from) - history_start_,
                                              history_.size());
    history_.erase(history_.begin(), history_.begin() + static_cast<std::ptrdiff_t>(drop));
    history_start_ += drop;
  }
}

}  // namespace warden::media
