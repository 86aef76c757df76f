#include "media/opus_codec.hpp"

#include <opus/opus.h>

#include <limits>

#include "base/error.hpp"

namespace warden::media {

namespace {

OpusErrc from_opus(int code) noexcept {
  switch (code) {
    case OPUS_BAD_ARG: return OpusErrc::BadArgument;
    case OPUS_BUFFER_TOO_SMALL: return OpusErrc::BufferTooSmall;
    case OPUS_INVALID_PACKET: return OpusErrc::InvalidPacket;
    case OPUS_UNIMPLEMENTED: return OpusErrc::Unimplemented;
    case OPUS_INVALID_STATE: return OpusErrc::InvalidState;
    case OPUS_ALLOC_FAIL: return OpusErrc::AllocFail;
    default: return OpusErrc::InternalError;
  }
}

bool valid_rate(int rate) noexcept {
  return rate == 8000 || rate == 12000 || rate == 16000 || rate == 24000 || rate == 48000;
}

int clamp_to_int(std::size_t n) noexcept {
  return n > static_cast<std::size_t>(std::numeric_limits<int>::max())
             ? std::numeric_limits<int>::max()
             : static_cast<int>(n);
}

}  // namespace

std::string_view describe(OpusErrc e) noexcept {
  switch (e) {
    case OpusErrc::Ok: return "ok";
    case OpusErrc::BadArgument: return "libopus: bad argument";
    case OpusErrc::BufferTooSmall: return "libopus: buffer too small";
    case OpusErrc::InternalError: return "libopus: internal error";
    case OpusErrc::InvalidPacket: return "libopus: invalid or corrupt packet";
    case OpusErrc::Unimplemented: return "libopus: request not implemented";
    case OpusErrc::InvalidState: return "libopus: invalid codec state";
    case OpusErrc::AllocFail: return "libopus: memory allocation failed";
    case OpusErrc::BadSampleRate: return "Opus sample rate must be 8, 12, 16, 24 or 48 kHz";
    case OpusErrc::BadChannels: return "Opus channel count must be 1 or 2";
    case OpusErrc::BadFrameSize: return "PCM span is not one Opus frame";
    case OpusErrc::BadConfig: return "Opus encoder setting out of range";
  }
  return "unknown Opus error";
}

const std::error_category& opus_category() noexcept {
  return base::ErrorCategory<OpusErrc>::instance("media.opus");
}

void OpusAudioEncoder::Free::operator()(::OpusEncoder* e) const noexcept { opus_encoder_destroy(e); }
void OpusAudioDecoder::Free::operator()(::OpusDecoder* d) const noexcept { opus_decoder_destroy(d); }

base::Result<OpusAudioEncoder> OpusAudioEncoder::create(const OpusConfig& c) {
  if (!valid_rate(c.sample_rate)) return OpusErrc::BadSampleRate;
  if (c.channels != 1 && c.channels != 2) return OpusErrc::BadChannels;
  if (c.frame_ms != 10 && c.frame_ms != 20 && c.frame_ms != 40 && c.frame_ms != 60) {
    return OpusErrc::BadFrameSize;
  }
  if (c.bitrate < 6000 || c.bitrate > 510000 || c.complexity < 0 || c.complexity > 10 ||
      c.expected_loss_percent < 0 || c.expected_loss_percent > 100) {
    return OpusErrc::BadConfig;
  }
  int err = OPUS_OK;
  ::OpusEncoder* raw = opus_encoder_create(c.sample_rate, c.channels, OPUS_APPLICATION_VOIP, &err);
  if (raw == nullptr || err != OPUS_OK) {
    if (raw != nullptr) opus_encoder_destroy(raw);
    return from_opus(err);
  }
  const auto frame = static_cast<std::size_t>(c.sample_rate / 1000 * c.frame_ms);
  OpusAudioEncoder enc(raw, frame, c.channels);
  for (int r : {opus_encoder_ctl(raw, OPUS_SET_BITRATE(c.bitrate)),
                opus_encoder_ctl(raw, OPUS_SET_COMPLEXITY(c.complexity)),
                opus_encoder_ctl(raw, OPUS_SET_INBAND_FEC(c.inband_fec ? 1 : 0)),
                opus_encoder_ctl(raw, OPUS_SET_PACKET_LOSS_PERC(c.expected_loss_percent)),
                opus_encoder_ctl(raw, OPUS_SET_DTX(c.dtx ? 1 : 0)),
                opus_encoder_ctl(raw, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE))}) {
    if (r != OPUS_OK) return from_opus(r);
  }
  return enc;
}

base::Result<std::size_t> OpusAudioEncoder::encode(std::span<const std::int16_t> pcm,
                                                   base::MutableByteView out) {
  if (pcm.size() != frame_samples_ * static_cast<std::size_t>(channels_)) return OpusErrc::BadFrameSize;
  if (out.empty()) return OpusErrc::BufferTooSmall;  // libopus wants a real pointer
  const opus_int32 n = opus_encode(enc_.get(), pcm.data(), static_cast<int>(frame_samples_),
                                   reinterpret_cast<unsigned char*>(out.data()),
                                   clamp_to_int(out.size()));
  if (n < 0) return from_opus(n);
  return static_cast<std::size_t>(n);
}

base::Result<void> OpusAudioEncoder::set_bitrate(int bits_per_second) {
  if (bits_per_second < 6000 || bits_per_second > 510000) return OpusErrc::BadConfig;
  const int r = opus_encoder_ctl(enc_.get(), OPUS_SET_BITRATE(bits_per_second));
  if (r != OPUS_OK) return from_opus(r);
  return {};
}

base::Result<void> OpusAudioEncoder::set_expected_loss(int percent) {
  if (percent < 0 || percent > 100) return OpusErrc::BadConfig;
  const int r = opus_encoder_ctl(enc_.get(), OPUS_SET_PACKET_LOSS_PERC(percent));
  if (r != OPUS_OK) return from_opus(r);
  return {};
}

base::Result<OpusAudioDecoder> OpusAudioDecoder::create(int sample_rate, int channels) {
  if (!valid_rate(sample_rate)) return OpusErrc::BadSampleRate;
  if (channels != 1 && channels != 2) return OpusErrc::BadChannels;
  int err = OPUS_OK;
  ::OpusDecoder* raw = opus_decoder_create(sample_rate, channels, &err);
  if (raw == nullptr || err != OPUS_OK) {
    if (raw != nullptr) opus_decoder_destroy(raw);
    return from_opus(err);
  }
  return OpusAudioDecoder(raw, sample_rate, channels);
}

base::Result<std::size_t> OpusAudioDecoder::run(base::ByteView packet, std::span<std::int16_t> out,
                                                bool fec) {
  const std::size_t per_channel = out.size() / static_cast<std::size_t>(channels_);
  if (per_channel == 0) return OpusErrc::BufferTooSmall;
  if (packet.size() > kOpusMaxPacketBytes) return OpusErrc::InvalidPacket;
  const auto* data = packet.empty() ? nullptr : reinterpret_cast<const unsigned char*>(packet.data());
  const int n = opus_decode(dec_.get(), data, static_cast<opus_int32>(packet.size()), out.data(),
                            clamp_to_int(per_channel), fec ? 1 : 0);
  if (n < 0) return from_opus(n);
  return static_cast<std::size_t>(n);
}

base::Result<std::size_t> OpusAudioDecoder::decode(base::ByteView packet, std::span<std::int16_t> out) {
  if (packet.empty()) return OpusErrc::InvalidPacket;
  return run(packet, out, false);
}

base::Result<std::size_t> OpusAudioDecoder::conceal(std::span<std::int16_t> out) {
  // 2.5 ms is the smallest Opus frame; libopus wants a whole number of them.
  const std::size_t quantum = static_cast<std::size_t>(sample_rate_ / 400 * channels_);
  if (out.empty() || out.size() % quantum != 0) return OpusErrc::BadFrameSize;
  return run({}, out, false);
}

base::Result<std::size_t> OpusAudioDecoder::decode_fec(base::ByteView next_packet,
                                                       std::span<std::int16_t> out) {
  const std::size_t quantum = static_cast<std::size_t>(sample_rate_ / 400 * channels_);
  if (out.empty() || out.size() % quantum != 0) return OpusErrc::BadFrameSize;
  if (next_packet.empty()) return OpusErrc::InvalidPacket;
  return run(next_packet, out, true);
}

}  // namespace warden::media
