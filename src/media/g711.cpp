#include "media/g711.hpp"

#include <algorithm>
#include <bit>

namespace warden::media {

namespace {

// µ-law works on magnitudes offset by a bias of 132 (0x84), so that every segment starts at a
// power of two; the largest magnitude that still fits the top segment is 32635.
constexpr int kUlawBias = 0x84;
constexpr int kUlawClip = 32635;

}  // namespace

std::uint8_t linear_to_ulaw(std::int16_t pcm) noexcept {
  int value = pcm;
  const int sign = value < 0 ? 0x80 : 0x00;
  int magnitude = value < 0 ? -value : value;
  magnitude = std::min(magnitude, kUlawClip) + kUlawBias;  // 132 .. 32767
  // The segment (exponent) is the position of the highest set bit above bit 7.
  const int exponent = std::bit_width(static_cast<unsigned>(magnitude)) - 8;  // 0 .. 7
  const int mantissa = (magnitude >> (exponent + 3)) & 0x0F;
  // Codes go on the wire inverted (G.711 µ-law: all bits complemented).
  return static_cast<std::uint8_t>(~(sign | exponent << 4 | mantissa));
}

std::int16_t ulaw_to_linear(std::uint8_t code) noexcept {
  const int c = ~code & 0xFF;
  const int exponent = (c >> 4) & 0x07;
  const int mantissa = c & 0x0F;
  // The middle of the quantisation step, biased, then the bias removed.
  const int magnitude = (((mantissa << 3) + kUlawBias) << exponent) - kUlawBias;
  return static_cast<std::int16_t>((c & 0x80) != 0 ? -magnitude : magnitude);
}

std::uint8_t linear_to_alaw(std::int16_t pcm) noexcept {
  // A-law quantises 13-bit magnitudes. Negative values use the one's complement so that the
  // two halves of the scale are symmetric (-1 .. -8 fall in the same step as 0 .. 7).
  const int value = pcm;
  const bool positive = value >= 0;
  const int magnitude = (positive ? value : ~value) >> 3;  // 0 .. 4095
  int segment = 0;
  int mantissa;
  if (magnitude < 32) {
    mantissa = magnitude >> 1;
  } else {
    segment = std::bit_width(static_cast<unsigned>(magnitude)) - 5;  // 1 .. 7
    mantissa = (magnitude >> segment) & 0x0F;
  }
  const int code = segment << 4 | mantissa | (positive ? 0x80 : 0x00);
  return static_cast<std::uint8_t>(code ^ 0x55);  // even bits inverted on the wire
}

std::int16_t alaw_to_linear(std::uint8_t code) noexcept {
  const int c = code ^ 0x55;
  const int segment = (c >> 4) & 0x07;
  const int mantissa = c & 0x0F;
  int magnitude;
  if (segment == 0) {
    magnitude = (mantissa << 4) + 8;
  } else {
    magnitude = ((mantissa << 4) + 0x108) << (segment - 1);
  }
  return static_cast<std::int16_t>((c & 0x80) != 0 ? magnitude : -magnitude);
}

void g711_encode(G711Law law, std::span<const std::int16_t> in, std::span<std::uint8_t> out) noexcept {
  const std::size_t n = std::min(in.size(), out.size());
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = law == G711Law::Ulaw ? linear_to_ulaw(in[i]) : linear_to_alaw(in[i]);
  }
}

void g711_decode(G711Law law, std::span<const std::uint8_t> in, std::span<std::int16_t> out) noexcept {
  const std::size_t n = std::min(in.size(), out.size());
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = law == G711Law::Ulaw ? ulaw_to_linear(in[i]) : alaw_to_linear(in[i]);
  }
}

void G711Concealer::on_good_frame(std::span<const std::int16_t> pcm) {
  last_.assign(pcm.begin(), pcm.end());
  missing_ = 0;
}

void G711Concealer::conceal(std::span<std::int16_t> out) noexcept {
  if (last_.empty() || missing_ >= fade_frames_) {
    std::fill(out.begin(), out.end(), std::int16_t{0});
    ++missing_;
    return;
  }
  // Gain falls linearly from (1 - missing/fade) to (1 - (missing+1)/fade) across this frame.
  const double start = 1.0 - static_cast<double>(missing_) / static_cast<double>(fade_frames_);
  const double step = 1.0 / static_cast<double>(fade_frames_) / static_cast<double>(out.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double gain = start - step * static_cast<double>(i);
    const std::int16_t src = last_[i % last_.size()];
    out[i] = static_cast<std::int16_t>(static_cast<double>(src) * gain);
  }
  ++missing_;
}

}  // namespace warden::media
