#pragma once
// WAV files (RIFF "WAVE" with a "fmt " chunk and a "data" chunk) holding 16-bit PCM, mono or
// stereo, as the phone plays them into calls and records calls into them. The format tag may be
// WAVE_FORMAT_PCM (1) or WAVE_FORMAT_EXTENSIBLE (0xFFFE) with the PCM sub-format; other chunks
// (LIST, fact, cue, ...) are skipped with their pad byte. Also a stereo-to-mono mix; rate
// conversion is in resampler.hpp.
// Thread-safety: pure functions (the file helpers touch only the named file).
// Errors (WavErrc, category "media.wav"): TooLarge (WavLimits), NotRiff, NotWave, Truncated
// (a chunk or the RIFF size runs past the end), BadChunk (more chunks than allowed),
// MissingFormat, MissingData, NotPcm (float, A-law, µ-law, ADPCM, ... or an unknown
// sub-format), UnsupportedBits (not 16), BadChannels (not 1 or 2), BadFormat (sample rate 0 or
// above 384 kHz, block align or byte rate inconsistent), BadDataSize (not whole frames),
// Io (the file could not be read or written).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace warden::media {

enum class WavErrc {
  Ok = 0,
  TooLarge,
  NotRiff,
  NotWave,
  Truncated,
  BadChunk,
  MissingFormat,
  MissingData,
  NotPcm,
  UnsupportedBits,
  BadChannels,
  BadFormat,
  BadDataSize,
  Io,
};
std::string_view describe(WavErrc e) noexcept;
const std::error_category& wav_category() noexcept;
inline std::error_code make_error_code(WavErrc e) noexcept {
  return {static_cast<int>(e), wav_category()};
}

}  // namespace warden::media

template <>
struct std::is_error_code_enum<warden::media::WavErrc> : std::true_type {};

namespace warden::media {

struct WavLimits {
  std::size_t max_bytes = 64u << 20;  // 64 MiB: about 35 min of 16 kHz mono
  std::size_t max_chunks = 64;
};

// Interleaved 16-bit samples (left, right, left, ... for stereo).
struct WavAudio {
  std::uint32_t sample_rate = 8000;
  std::uint16_t channels = 1;
  std::vector<std::int16_t> samples;

  std::size_t frames() const noexcept { return channels == 0 ? 0 : samples.size() / channels; }
  bool operator==(const WavAudio&) const = default;
};

base::Result<WavAudio> parse_wav(base::ByteView bytes, const WavLimits& limits = {});
// A canonical 44-byte header (WAVE_FORMAT_PCM) and the samples. Errors: BadChannels,
// BadFormat (rate), BadDataSize (samples not whole frames), TooLarge (above 4 GiB).
base::Result<std::vector<std::byte>> write_wav(const WavAudio& audio);

base::Result<WavAudio> read_wav_file(const std::string& path, const WavLimits& limits = {});
base::Result<void> write_wav_file(const std::string& path, const WavAudio& audio);

// The average of the channels of each frame.
std::vector<std::int16_t> mix_to_mono(const WavAudio& audio);

}  // namespace warden::media
