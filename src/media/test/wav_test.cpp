// WAV read/write: the canonical header byte for byte, mono and stereo round trips, skipped
// chunks with pad bytes, WAVE_FORMAT_EXTENSIBLE, every refusal with its WavErrc, every
// truncation, a file round trip, and the mono mix.
#include "media/wav.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "media/tone.hpp"
#include "media_test_util.hpp"

using namespace warden::media;
using namespace std::chrono_literals;
using warden::media::test::ExactCopy;
using warden::media::test::hex;

namespace {

WavErrc errc_of(const std::vector<std::byte>& bytes, const WavLimits& limits = {}) {
  auto r = parse_wav(bytes, limits);
  if (r) return WavErrc::Ok;
  EXPECT_EQ(r.error().category(), wav_category());
  return static_cast<WavErrc>(r.error().value());
}

// A file with the given fmt chunk body and data chunk body (and optional extra chunks before).
std::vector<std::byte> riff(const std::string& fmt_hex, const std::string& data_hex,
                            const std::string& extra_hex = "") {
  auto fmt = hex(fmt_hex), data = hex(data_hex), extra = hex(extra_hex);
  std::vector<std::byte> out = hex("52494646 00000000 57415645");  // "RIFF" size "WAVE"
  out.insert(out.end(), extra.begin(), extra.end());
  const auto chunk = [&out](const char* tag, const std::vector<std::byte>& body) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::byte>(tag[i]));
    const auto n = static_cast<std::uint32_t>(body.size());
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::byte>(n >> (8 * i)));
    out.insert(out.end(), body.begin(), body.end());
    if (n % 2) out.push_back(std::byte{0});
  };
  chunk("fmt ", fmt);
  chunk("data", data);
  const auto size = static_cast<std::uint32_t>(out.size() - 8);
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<std::byte>(size >> (8 * i));
  return out;
}

// PCM, mono, 8000 Hz, 16000 bytes/s, block align 2, 16 bits.
const std::string kMonoFmt = "0100 0100 401f0000 803e0000 0200 1000";

}  // namespace

TEST(Wav, CanonicalHeader) {
  WavAudio a{8000, 1, {1, -1, 0x1234}};
  auto bytes = write_wav(a);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, hex("52494646 2a000000 57415645 666d7420 10000000" + kMonoFmt +
                        "64617461 06000000 0100 ffff 3412"));
  auto back = parse_wav(*bytes);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, a);
}

TEST(Wav, StereoRoundTrip) {
  WavAudio a{48000, 2, {}};
  for (int i = 0; i < 960; ++i) a.samples.push_back(static_cast<std::int16_t>(i * 31 - 15000));
  auto bytes = write_wav(a);
  ASSERT_TRUE(bytes);
  auto back = parse_wav(*bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, a);
  EXPECT_EQ(back->frames(), 480u);
}

TEST(Wav, SkipsOtherChunksWithPadBytes) {
  // A LIST chunk of 3 bytes (plus its pad byte) before fmt, and a fact chunk.
  auto bytes = riff(kMonoFmt, "0100 0200", "4c495354 03000000 616263 00 66616374 04000000 02000000");
  auto r = parse_wav(bytes);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->samples, (std::vector<std::int16_t>{1, 2}));
}

TEST(Wav, ExtensiblePcmIsAcceptedAndFloatIsNot) {
  const std::string head = "feff 0100 401f0000 803e0000 0200 1000 1600 1000 04000000";
  auto pcm = riff(head + "01000000 00001000 800000aa 00389b71", "0700");
  auto r = parse_wav(pcm);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->samples, (std::vector<std::int16_t>{7}));
  auto flt = riff(head + "03000000 00001000 800000aa 00389b71", "0700");
  EXPECT_EQ(errc_of(flt), WavErrc::NotPcm);
}

TEST(Wav, Refusals) {
  EXPECT_EQ(errc_of(hex("")), WavErrc::Truncated);
  EXPECT_EQ(errc_of(hex("52494646 04000000 41564920")), WavErrc::NotWave);  // "AVI "
  EXPECT_EQ(errc_of(hex("52494658 04000000 57415645")), WavErrc::NotRiff);  // "RIFX"
  EXPECT_EQ(errc_of(hex("52494646 04000000 57415645")), WavErrc::MissingFormat);
  // IEEE float (3), A-law (6), 8-bit, 3 channels, a wrong block align, a wrong byte rate.
  EXPECT_EQ(errc_of(riff("0300 0100 401f0000 00fa0000 0400 2000", "")), WavErrc::NotPcm);
  EXPECT_EQ(errc_of(riff("0600 0100 401f0000 401f0000 0100 0800", "")), WavErrc::NotPcm);
  EXPECT_EQ(errc_of(riff("0100 0100 401f0000 401f0000 0100 0800", "")), WavErrc::UnsupportedBits);
  EXPECT_EQ(errc_of(riff("0100 0300 401f0000 80bb0000 0600 1000", "")), WavErrc::BadChannels);
  EXPECT_EQ(errc_of(riff("0100 0100 401f0000 803e0000 0400 1000", "")), WavErrc::BadFormat);
  EXPECT_EQ(errc_of(riff("0100 0100 401f0000 00000000 0200 1000", "")), WavErrc::BadFormat);
  EXPECT_EQ(errc_of(riff("0100 0100 00000000 00000000 0200 1000", "")), WavErrc::BadFormat);
  EXPECT_EQ(errc_of(riff("0100 0100 401f", "")), WavErrc::Truncated);  // short fmt chunk
  // Stereo data of 3 samples is not whole frames.
  EXPECT_EQ(errc_of(riff("0100 0200 401f0000 007d0000 0400 1000", "010002000300")),
            WavErrc::BadDataSize);
  // fmt without data.
  auto no_data = riff(kMonoFmt, "");
  no_data.resize(no_data.size() - 8);
  no_data[4] = static_cast<std::byte>(std::to_integer<int>(no_data[4]) - 8);
  EXPECT_EQ(errc_of(no_data), WavErrc::MissingData);
  // The RIFF size claims more than there is.
  auto long_riff = riff(kMonoFmt, "0100");
  long_riff[4] = std::byte{0xff};
  EXPECT_EQ(errc_of(long_riff), WavErrc::Truncated);
  // The RIFF size too small to hold even "WAVE" (found by the mutation test).
  auto short_riff = riff(kMonoFmt, "0100");
  short_riff[4] = std::byte{0};
  short_riff[5] = std::byte{0};
  EXPECT_EQ(errc_of(short_riff), WavErrc::Truncated);
}

TEST(Wav, Limits) {
  WavAudio a{8000, 1, std::vector<std::int16_t>(1000)};
  auto bytes = write_wav(a);
  ASSERT_TRUE(bytes);
  WavLimits small;
  small.max_bytes = 2000;
  EXPECT_EQ(errc_of(*bytes, small), WavErrc::TooLarge);
  small = {};
  small.max_chunks = 1;
  EXPECT_EQ(errc_of(*bytes, small), WavErrc::BadChunk);
  EXPECT_EQ(write_wav({8000, 3, {}}).error(), make_error_code(WavErrc::BadChannels));
  EXPECT_EQ(write_wav({0, 1, {}}).error(), make_error_code(WavErrc::BadFormat));
  EXPECT_EQ(write_wav({8000, 2, {1}}).error(), make_error_code(WavErrc::BadDataSize));
}

// Every proper prefix fails (the sizes are declared up front), in an exact-size block.
TEST(Wav, EveryTruncationFailsCleanly) {
  auto bytes = riff(kMonoFmt, "0100 0200 0300", "4c495354 03000000 616263 00");
  ASSERT_TRUE(parse_wav(bytes));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    ExactCopy copy(bytes, n);
    auto r = parse_wav(copy.view());
    ASSERT_FALSE(r) << n;
    EXPECT_EQ(r.error().category(), wav_category());
  }
}

TEST(Wav, EveryByteMutationIsHandled) {
  auto bytes = riff(kMonoFmt, "0100 0200 0300", "4c495354 03000000 616263 00");
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (int v : {0x00, 0x01, 0x7f, 0xff}) {
      auto m = bytes;
      m[i] = static_cast<std::byte>(v);
      auto r = parse_wav(m);
      if (!r) continue;
      auto again = write_wav(*r);
      ASSERT_TRUE(again);
      auto back = parse_wav(*again);
      ASSERT_TRUE(back);
      EXPECT_EQ(*back, *r);
    }
  }
}

TEST(Wav, FileRoundTrip) {
  const auto dir = std::filesystem::temp_directory_path() / ("warden-wav-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "tone.wav").string();
  WavAudio a{16000, 1, make_tone({440, 0, 0.5, 16000}, 100ms)};
  ASSERT_TRUE(write_wav_file(path, a));
  auto back = read_wav_file(path);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, a);
  EXPECT_EQ(read_wav_file((dir / "missing.wav").string()).error(), make_error_code(WavErrc::Io));
  std::filesystem::remove_all(dir);
}

TEST(Wav, MixToMono) {
  WavAudio st{8000, 2, {100, 300, -32768, -32768, 32767, 32767}};
  EXPECT_EQ(mix_to_mono(st), (std::vector<std::int16_t>{200, -32768, 32767}));
  WavAudio mono{8000, 1, {5, 6}};
  EXPECT_EQ(mix_to_mono(mono), mono.samples);
}
