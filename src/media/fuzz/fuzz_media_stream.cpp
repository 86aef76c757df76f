// Fuzz target: a MediaStream (plain RTP, so hostile bytes reach the RTP, RTCP, RFC 4733 and
// codec paths behind SRTP) driven by a script. The first byte picks the codec (PCMU, PCMA, Opus)
// and the audio rate; then records follow, each an opcode byte and its operands:
//   0 len_hi len_lo bytes...   one datagram (the length is cut to what is left)
//   1                          one tick (20 ms later)
//   2 key duration             send_dtmf(key, duration * 10 ms)
//   3 flags                    set_direction(flags & 1, flags & 2)
//   other                      time passes (opcode ms) without a tick
// Must never crash, and the sink must get exactly one whole frame per tick while the stream runs.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "media/media_stream.hpp"

using namespace warden::media;

namespace {

class CountingRandom final : public warden::base::Random {
 public:
  void fill(std::span<std::byte> out) noexcept override {
    for (auto& b : out) b = static_cast<std::byte>(++n_ * 37);
  }

 private:
  unsigned n_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr std::uint32_t kRates[] = {8000, 16000, 48000};
  MediaStreamConfig config;
  const unsigned pick = data[0] % 9;
  config.codec = pick % 3 == 0 ? AudioCodec::Pcmu : pick % 3 == 1 ? AudioCodec::Pcma : AudioCodec::Opus;
  config.payload_type = config.codec == AudioCodec::Pcmu ? 0 : config.codec == AudioCodec::Pcma ? 8 : 111;
  config.clock_rate = config.codec == AudioCodec::Opus ? 48000 : 8000;
  config.audio_rate_hz = kRates[pick / 3];
  config.telephone_event_pt = 101;
  config.allow_unencrypted = true;
  CountingRandom rng;
  auto stream = MediaStream::create(config, nullptr, rng);
  if (!stream) std::abort();
  std::size_t played = 0, ticks = 0;
  stream->set_sink([&](std::span<const std::int16_t> f) {
    if (f.size() != stream->frame_samples()) std::abort();
    played += f.size();
  });
  stream->set_dtmf_handler([](char, std::chrono::milliseconds d) {
    if (d.count() < 0) std::abort();
  });
  warden::base::TimePoint now{};
  (void)stream->start(now);
  std::size_t at = 1;
  while (at < size) {
    const std::uint8_t op = data[at++];
    if (op == 0) {
      std::size_t length = size - at;
      if (length >= 2) {
        length = std::min<std::size_t>(std::size_t{data[at]} << 8 | data[at + 1], size - at - 2);
        at += 2;
      }
      (void)stream->on_datagram(std::span(reinterpret_cast<const std::byte*>(data + at), length), now);
      at += length;
    } else if (op == 1) {
      now += std::chrono::milliseconds(20);
      (void)stream->on_tick(now);
      ++ticks;
    } else if (op == 2) {
      if (size - at < 2) break;
      (void)stream->send_dtmf(static_cast<char>(data[at]), std::chrono::milliseconds(10 * data[at + 1]));
      at += 2;
    } else if (op == 3) {
      if (at >= size) break;
      stream->set_direction((data[at] & 1) != 0, (data[at] & 2) != 0);
      ++at;
    } else {
      now += std::chrono::milliseconds(op);
    }
  }
  if (played != ticks * stream->frame_samples()) std::abort();
  (void)stream->report(now);
  (void)to_json(stream->report(now));
  (void)stream->close();
  return 0;
}
