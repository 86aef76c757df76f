#include "media/wav.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

#include "base/error.hpp"

namespace warden::media {

namespace {

constexpr std::uint16_t kFormatPcm = 1;
constexpr std::uint16_t kFormatExtensible = 0xFFFE;
constexpr std::uint32_t kMaxSampleRate = 384000;
// The sub-format GUID of PCM in WAVE_FORMAT_EXTENSIBLE (KSDATAFORMAT_SUBTYPE_PCM) as stored.
constexpr std::uint8_t kPcmGuid[16] = {0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
                                       0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71};

// RIFF is little-endian.
std::uint16_t le16(const std::byte* p) noexcept {
  return static_cast<std::uint16_t>(std::to_integer<unsigned>(p[0]) |
                                    std::to_integer<unsigned>(p[1]) << 8);
}
std::uint32_t le32(const std::byte* p) noexcept {
  return std::uint32_t{le16(p)} | std::uint32_t{le16(p + 2)} << 16;
}
void put_le16(std::byte* p, std::uint32_t v) noexcept {
  p[0] = static_cast<std::byte>(v & 0xff);
  p[1] = static_cast<std::byte>((v >> 8) & 0xff);
}
void put_le32(std::byte* p, std::uint32_t v) noexcept {
  put_le16(p, v & 0xffff);
  put_le16(p + 2, v >> 16);
}
bool tag_is(const std::byte* p, std::string_view tag) noexcept {
  return std::memcmp(p, tag.data(), 4) == 0;
}

base::Result<void> check_format(base::ByteView fmt, std::uint16_t& channels, std::uint32_t& rate) {
  if (fmt.size() < 16) return WavErrc::Truncated;
  const std::byte* p = fmt.data();
  const std::uint16_t tag = le16(p);
  channels = le16(p + 2);
  rate = le32(p + 4);
  const std::uint32_t byte_rate = le32(p + 8);
  const std::uint16_t block_align = le16(p + 12);
  const std::uint16_t bits = le16(p + 14);
  if (tag == kFormatExtensible) {
    // cbSize (2), valid bits (2), channel mask (4), sub-format GUID (16).
    if (fmt.size() < 40) return WavErrc::Truncated;
    if (std::memcmp(p + 24, kPcmGuid, sizeof kPcmGuid) != 0) return WavErrc::NotPcm;
  } else if (tag != kFormatPcm) {
    return WavErrc::NotPcm;
  }
  if (bits != 16) return WavErrc::UnsupportedBits;
  if (channels != 1 && channels != 2) return WavErrc::BadChannels;
  if (rate == 0 || rate > kMaxSampleRate) return WavErrc::BadFormat;
  if (block_align != channels * 2u || byte_rate != rate * block_align) return WavErrc::BadFormat;
  return {};
}

}  // namespace

std::string_view describe(WavErrc e) noexcept {
  switch (e) {
    case WavErrc::Ok: return "ok";
    case WavErrc::TooLarge: return "WAV file larger than the limit";
    case WavErrc::NotRiff: return "not a RIFF file";
    case WavErrc::NotWave: return "RIFF file is not WAVE";
    case WavErrc::Truncated: return "WAV file truncated (a chunk runs past the end)";
    case WavErrc::BadChunk: return "too many chunks in the WAV file";
    case WavErrc::MissingFormat: return "WAV file has no fmt chunk";
    case WavErrc::MissingData: return "WAV file has no data chunk";
    case WavErrc::NotPcm: return "WAV audio is not linear PCM";
    case WavErrc::UnsupportedBits: return "WAV audio is not 16 bits per sample";
    case WavErrc::BadChannels: return "WAV audio is neither mono nor stereo";
    case WavErrc::BadFormat: return "WAV fmt chunk is inconsistent";
    case WavErrc::BadDataSize: return "WAV data is not a whole number of frames";
    case WavErrc::Io: return "WAV file could not be read or written";
  }
  return "unknown WAV error";
}

const std::error_category& wav_category() noexcept {
  return base::ErrorCategory<WavErrc>::instance("media.wav");
}

base::Result<WavAudio> parse_wav(base::ByteView in, const WavLimits& limits) {
  if (in.size() > limits.max_bytes) return WavErrc::TooLarge;
  if (in.size() < 12) return in.size() >= 4 && !tag_is(in.data(), "RIFF") ? WavErrc::NotRiff
                                                                           : WavErrc::Truncated;
  if (!tag_is(in.data(), "RIFF")) return WavErrc::NotRiff;
  if (!tag_is(in.data() + 8, "WAVE")) return WavErrc::NotWave;
  const std::uint64_t riff_end = std::uint64_t{le32(in.data() + 4)} + 8;
  if (riff_end > in.size() || riff_end < 12) return WavErrc::Truncated;
  const base::ByteView body = in.first(static_cast<std::size_t>(riff_end));

  base::ByteView fmt, data;
  bool have_fmt = false, have_data = false;
  std::size_t pos = 12, chunks = 0;
  while (body.size() - pos >= 8) {
    if (++chunks > limits.max_chunks) return WavErrc::BadChunk;
    const std::byte* h = body.data() + pos;
    const std::uint32_t size = le32(h + 4);
    pos += 8;
    if (size > body.size() - pos) return WavErrc::Truncated;
    const base::ByteView content = body.subspan(pos, size);
    if (tag_is(h, "fmt ") && !have_fmt) {
      fmt = content;
      have_fmt = true;
    } else if (tag_is(h, "data") && !have_data) {
      data = content;
      have_data = true;
    }
    // Chunks start on even offsets; a pad byte may be missing at the very end.
    pos += size;
    if (size % 2 != 0 && pos < body.size()) ++pos;
  }
  if (pos != body.size()) return WavErrc::Truncated;  // 1-7 stray bytes: a cut chunk header
  if (!have_fmt) return WavErrc::MissingFormat;
  if (!have_data) return WavErrc::MissingData;
  WavAudio out;
  if (auto ok = check_format(fmt, out.channels, out.sample_rate); !ok) return ok.error();
  if (data.size() % (2u * out.channels) != 0) return WavErrc::BadDataSize;
  out.samples.resize(data.size() / 2);
  for (std::size_t i = 0; i < out.samples.size(); ++i) {
    out.samples[i] = static_cast<std::int16_t>(le16(data.data() + 2 * i));
  }
  return out;
}

base::Result<std::vector<std::byte>> write_wav(const WavAudio& a) {
  if (a.channels != 1 && a.channels != 2) return WavErrc::BadChannels;
  if (a.sample_rate == 0 || a.sample_rate > kMaxSampleRate) return WavErrc::BadFormat;
  if (a.samples.size() % a.channels != 0) return WavErrc::BadDataSize;
  const std::uint64_t data_bytes = std::uint64_t{a.samples.size()} * 2;
  if (data_bytes + 36 > 0xFFFFFFFFu) return WavErrc::TooLarge;
  std::vector<std::byte> out(44 + static_cast<std::size_t>(data_bytes));
  std::byte* p = out.data();
  std::memcpy(p, "RIFF", 4);
  put_le32(p + 4, static_cast<std::uint32_t>(36 + data_bytes));
  std::memcpy(p + 8, "WAVEfmt ", 8);
  put_le32(p + 16, 16);
  put_le16(p + 20, kFormatPcm);
  put_le16(p + 22, a.channels);
  put_le32(p + 24, a.sample_rate);
  put_le32(p + 28, a.sample_rate * a.channels * 2u);
  put_le16(p + 32, a.channels * 2u);
  put_le16(p + 34, 16);
  std::memcpy(p + 36, "data", 4);
  put_le32(p + 40, static_cast<std::uint32_t>(data_bytes));
  for (std::size_t i = 0; i < a.samples.size(); ++i) {
    put_le16(p + 44 + 2 * i, static_cast<std::uint16_t>(a.samples[i]));
  }
  return out;
}

base::Result<WavAudio> read_wav_file(const std::string& path, const WavLimits& limits) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) return WavErrc::Io;
  const std::streamoff size = file.tellg();
  if (size < 0) return WavErrc::Io;
  if (static_cast<std::uint64_t>(size) > limits.max_bytes) return WavErrc::TooLarge;
  std::vector<std::byte> bytes(static_cast<std::size_t>(size));
  file.seekg(0);
  if (!file.read(reinterpret_cast<char*>(bytes.data()), size)) return WavErrc::Io;
  return parse_wav(bytes, limits);
}

base::Result<void> write_wav_file(const std::string& path, const WavAudio& audio) {
  auto bytes = write_wav(audio);
  if (!bytes) return bytes.error();
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return WavErrc::Io;
  file.write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
  if (!file.flush()) return WavErrc::Io;
  return {};
}

std::vector<std::int16_t> mix_to_mono(const WavAudio& a) {
  if (a.channels <= 1) return a.samples;
  std::vector<std::int16_t> out(a.frames());
  for (std::size_t f = 0; f < out.size(); ++f) {
    int sum = 0;
    for (std::size_t c = 0; c < a.channels; ++c) sum += a.samples[f * a.channels + c];
    out[f] = static_cast<std::int16_t>(sum / a.channels);
  }
  return out;
}

}  // namespace warden::media
