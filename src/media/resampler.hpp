#pragma once
// Sample-rate conversion of mono 16-bit audio with a Blackman-windowed sinc: 16 zero crossings
// on each side at the lower of the two rates, cut-off at 95 % of the lower Nyquist frequency.
// resample() converts a whole buffer with no delay; Resampler converts a stream chunk by chunk
// (20 ms frames from a codec or a WAV file) with a fixed delay, so every chunk of N input
// samples yields exactly the outputs due for it and frame sizes stay whole (160 in at 8 kHz give
// 960 out at 48 kHz).
// Thread-safety: resample() is pure; a Resampler has one owner.
// Errors: none; non-positive rates give an empty output.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace warden::media {

// The output has in.size() * to / from samples (rounded down).
std::vector<std::int16_t> resample(std::span<const std::int16_t> in, int from_rate, int to_rate);

class Resampler {
 public:
  Resampler(int from_rate, int to_rate);

  // Appends the outputs due after `in` to `out`: over the stream, output n is written once
  // input sample n * from / to has arrived.
  void process(std::span<const std::int16_t> in, std::vector<std::int16_t>& out);
  // The delay the stream adds, in output samples (the first outputs are the filter warming up).
  std::size_t delay() const noexcept { return delay_out_; }

 private:
  std::uint64_t from_ = 1, to_ = 1;  // reduced by their greatest common divisor
  double cutoff_ = 1.0;              // fraction of the input Nyquist frequency
  double half_width_ = 16.0;         // kernel reach, in input samples
  std::uint64_t delay_in_ = 0;       // a multiple of from_, so the output delay is whole
  std::size_t delay_out_ = 0;
  std::vector<std::int16_t> history_;  // input samples from index history_start_ on
  std::uint64_t history_start_ = 0;
  std::uint64_t total_in_ = 0;
  std::uint64_t produced_ = 0;
  bool valid_ = false;
};

}  // namespace warden::media
