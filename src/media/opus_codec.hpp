#pragma once
// OpusAudioEncoder / OpusAudioDecoder: thin owners of a libopus encoder and decoder (RFC 6716;
// RTP use in RFC 7587), for 16-bit PCM at 8, 12, 16, 24 or 48 kHz, mono or stereo, in frames
// of 10, 20, 40 or 60 ms (20 ms by default). The decoder conceals a lost frame (libopus PLC) or
// rebuilds it from the in-band FEC carried by the next packet.
// Thread-safety: one owner per object; different objects are independent.
// Errors (OpusErrc, category "media.opus"): the libopus codes BadArgument, BufferTooSmall,
// InternalError, InvalidPacket, Unimplemented, InvalidState, AllocFail, and our own
// BadSampleRate, BadChannels, BadFrameSize (a PCM span that is not one frame), BadConfig.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "base/bytes.hpp"
#include "base/result.hpp"

struct OpusEncoder;
struct OpusDecoder;

namespace warden::media {

enum class OpusErrc {
  Ok = 0,
  BadArgument,
  BufferTooSmall,
  InternalError,
  InvalidPacket,
  Unimplemented,
  InvalidState,
  AllocFail,
  BadSampleRate,
  BadChannels,
  BadFrameSize,
  BadConfig,
};
std::string_view describe(OpusErrc e) noexcept;
const std::error_category& opus_category() noexcept;
inline std::error_code make_error_code(OpusErrc e) noexcept {
  return {static_cast<int>(e), opus_category()};
}

}  // namespace warden::media

template <>
struct std::is_error_code_enum<warden::media::OpusErrc> : std::true_type {};

namespace warden::media {

// The largest Opus packet we produce or accept (RFC 6716 §3.2.1 allows 1275 bytes per frame).
inline constexpr std::size_t kOpusMaxPacketBytes = 1500;

struct OpusConfig {
  int sample_rate = 48000;     // 8000, 12000, 16000, 24000 or 48000
  int channels = 1;            // 1 or 2
  int frame_ms = 20;           // 10, 20, 40 or 60
  int bitrate = 32000;         // bits per second, 6000 - 510000
  int complexity = 5;          // 0 (fast) - 10 (best)
  bool inband_fec = true;      // RFC 7587 useinbandfec
  int expected_loss_percent = 5;  // tunes the FEC
  bool dtx = false;            // RFC 7587 usedtx
};

class OpusAudioEncoder {
 public:
  static base::Result<OpusAudioEncoder> create(const OpusConfig& config);

  // Samples per channel in one frame (960 for 20 ms at 48 kHz).
  std::size_t frame_samples() const noexcept { return frame_samples_; }
  int channels() const noexcept { return channels_; }
  // Encodes exactly one frame (frame_samples() * channels() interleaved samples) into `out`;
  // returns the packet length. A packet of 1-2 bytes is a DTX frame: nothing need be sent.
  base::Result<std::size_t> encode(std::span<const std::int16_t> pcm, base::MutableByteView out);
  base::Result<void> set_bitrate(int bits_per_second);
  base::Result<void> set_expected_loss(int percent);

 private:
  struct Free {
    void operator()(::OpusEncoder* e) const noexcept;
  };
  OpusAudioEncoder(::OpusEncoder* e, std::size_t frame_samples, int channels) noexcept
      : enc_(e), frame_samples_(frame_samples), channels_(channels) {}
  std::unique_ptr<::OpusEncoder, Free> enc_;
  std::size_t frame_samples_;
  int channels_;
};

class OpusAudioDecoder {
 public:
  static base::Result<OpusAudioDecoder> create(int sample_rate, int channels = 1);

  int sample_rate() const noexcept { return sample_rate_; }
  int channels() const noexcept { return channels_; }
  // Decodes one packet into `out` (room for the longest frame it may hold: 120 ms); returns the
  // samples per channel written. An empty packet is InvalidPacket: call conceal() instead.
  base::Result<std::size_t> decode(base::ByteView packet, std::span<std::int16_t> out);
  // One lost frame of out.size() / channels() samples per channel (a multiple of 2.5 ms),
  // synthesised by the libopus concealment.
  base::Result<std::size_t> conceal(std::span<std::int16_t> out);
  // The frame lost just before `next_packet`, rebuilt from the FEC data `next_packet` carries
  // (or concealed when it carries none); out.size() / channels() samples per channel.
  // Then decode `next_packet` itself as usual.
  base::Result<std::size_t> decode_fec(base::ByteView next_packet, std::span<std::int16_t> out);

 private:
  struct Free {
    void operator()(::OpusDecoder* d) const noexcept;
  };
  OpusAudioDecoder(::OpusDecoder* d, int sample_rate, int channels) noexcept
      : dec_(d), sample_rate_(sample_rate), channels_(channels) {}
  base::Result<std::size_t> run(base::ByteView packet, std::span<std::int16_t> out, bool fec);
  std::unique_ptr<::OpusDecoder, Free> dec_;
  int sample_rate_;
  int channels_;
};

}  // namespace warden::media
