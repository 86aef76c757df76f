#pragma once
// G.711 (ITU-T G.711, 1988): µ-law (PCMU, RTP payload type 0) and A-law (PCMA, type 8)
// companding between 16-bit linear PCM and 8-bit codes, computed by formula (segment search),
// and G711Concealer, a simple packet-loss concealment for either law: a lost frame is the last
// good frame played again, faded towards silence over a few frames.
// Decoded values use the full 16-bit scale: µ-law spans -32124..32124, A-law -32256..32256.
// Thread-safety: the codec functions are pure; a G711Concealer has one owner.
// Errors: none (every 16-bit value and every byte has a code or a value).

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace warden::media {

std::uint8_t linear_to_ulaw(std::int16_t pcm) noexcept;
std::int16_t ulaw_to_linear(std::uint8_t code) noexcept;
std::uint8_t linear_to_alaw(std::int16_t pcm) noexcept;
std::int16_t alaw_to_linear(std::uint8_t code) noexcept;

enum class G711Law : std::uint8_t { Ulaw, Alaw };

// Block forms: `out` must be as long as `in` (the shorter length is used otherwise).
void g711_encode(G711Law law, std::span<const std::int16_t> in, std::span<std::uint8_t> out) noexcept;
void g711_decode(G711Law law, std::span<const std::uint8_t> in, std::span<std::int16_t> out) noexcept;

// Fills gaps in a G.711 stream. Call on_good_frame() with every decoded frame and conceal()
// for every missing one; after `fade_frames` missing frames in a row the output is silence.
// Each concealed frame repeats the last good one with a linear gain ramp that starts where the
// previous frame ended, so the fade has no steps. A good frame after a gap is left as it is.
class G711Concealer {
 public:
  explicit G711Concealer(std::size_t fade_frames = 3) noexcept
      : fade_frames_(fade_frames == 0 ? 1 : fade_frames) {}

  void on_good_frame(std::span<const std::int16_t> pcm);
  // Writes one concealed frame of `out.size()` samples.
  void conceal(std::span<std::int16_t> out) noexcept;
  std::size_t missing_in_a_row() const noexcept { return missing_; }

 private:
  std::vector<std::int16_t> last_;
  std::size_t fade_frames_;
  std::size_t missing_ = 0;
};

}  // namespace warden::media
