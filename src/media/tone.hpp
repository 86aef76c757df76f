#pragma once
// ToneGenerator: a sine or a sum of two sines as 16-bit PCM, phase-continuous across calls so
// a phone can feed it frame by frame (test calls, ringback, DTMF digits per ITU-T Q.23).
// Thread-safety: one owner per generator; make_tone() and dtmf_tone() are pure.
// Errors: none; dtmf_tone() returns nullopt for a character that is not a DTMF key.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace warden::media {

struct ToneSpec {
  double frequency_hz = 1000.0;
  double second_frequency_hz = 0.0;  // 0: a single tone
  double amplitude = 0.5;            // peak of the sum, as a fraction of full scale (0 - 1)
  int sample_rate = 8000;
};

class ToneGenerator {
 public:
  explicit ToneGenerator(const ToneSpec& spec) noexcept;
  // Writes the next out.size() samples.
  void fill(std::span<std::int16_t> out) noexcept;

 private:
  ToneSpec spec_;
  double phase1_ = 0.0;  // radians, kept in [0, 2*pi)
  double phase2_ = 0.0;
};

// `duration` of the tone from phase 0.
std::vector<std::int16_t> make_tone(const ToneSpec& spec, std::chrono::milliseconds duration);

// The two frequencies of a DTMF key (0-9, *, #, A-D; ITU-T Q.23), at the given amplitude/rate.
std::optional<ToneSpec> dtmf_tone(char key, double amplitude = 0.5, int sample_rate = 8000) noexcept;

}  // namespace warden::media
