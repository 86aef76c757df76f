// End to end without sockets: a tone is G.711-encoded into RTP packets, crosses a seeded
// network (loss, reordering, duplicates, a 16-bit sequence wrap), and is received through
// parse_rtp, RtpReceiveStats, the JitterBuffer and the concealer; the audio that comes out is
// the tone, and the report block and call quality describe the network that was simulated.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <random>

#include "audio_test_util.hpp"
#include "media/g711.hpp"
#include "media/jitter_buffer.hpp"
#include "media/quality.hpp"
#include "media/rtcp.hpp"
#include "media/rtp_packet.hpp"
#include "media/rtp_receive_stats.hpp"
#include "media/tone.hpp"

using namespace warden::media;
using namespace std::chrono_literals;
using warden::base::TimePoint;
namespace t = warden::media::test;

TEST(MediaPipeline, G711ToneThroughALossyNetwork) {
  constexpr std::size_t kFrame = 160;  // 20 ms at 8 kHz
  constexpr int kFrames = 250;         // 5 s
  // 1 kHz at 8 kHz repeats every 8 samples, so a repeated frame continues the wave exactly.
  const auto tone = make_tone({1000, 0, 0.5, 8000}, 5000ms);
  const TimePoint t0 = TimePoint{} + 50s;
  std::mt19937 rng(1234);

  // Sender: 20 ms packets from sequence 65500 (wraps after 36 packets).
  std::multimap<TimePoint, std::vector<std::byte>> network;
  int dropped = 0, duplicated = 0;
  for (int i = 0; i < kFrames; ++i) {
    std::vector<std::uint8_t> codes(kFrame);
    g711_encode(G711Law::Ulaw, std::span(tone).subspan(i * kFrame, kFrame), codes);
    RtpPacket p;
    p.payload_type = 0;
    p.sequence = static_cast<std::uint16_t>(65500 + i);
    p.timestamp = 8000u + static_cast<std::uint32_t>(i * kFrame);
    p.ssrc = 0x5eed;
    p.marker = i == 0;
    p.payload = std::as_bytes(std::span(codes));
    auto wire = serialize_rtp(p);
    ASSERT_TRUE(wire);
    if (rng() % 100 < 5) {
      ++dropped;
      continue;
    }
    const TimePoint sent = t0 + i * 20ms;
    network.emplace(sent + std::chrono::milliseconds(rng() % 41), *wire);
    if (rng() % 100 < 2) {
      network.emplace(sent + std::chrono::milliseconds(rng() % 41), *wire);
      ++duplicated;
    }
  }

  // Receiver: one pop per 20 ms.
  RtpReceiveStats stats(8000);
  JitterBufferConfig cfg;
  cfg.target_delay = 60ms;
  JitterBuffer jb(cfg);
  G711Concealer plc;
  std::vector<std::int16_t> heard;
  std::vector<std::int16_t> frame(kFrame);
  auto it = network.begin();
  for (int tick = 0; tick < kFrames + 10; ++tick) {
    const TimePoint now = t0 + tick * 20ms;
    for (; it != network.end() && it->first <= now; ++it) {
      auto p = parse_rtp(it->second);
      ASSERT_TRUE(p);
      (void)stats.on_packet(p->sequence, p->timestamp, it->first);
      jb.push(p->sequence, p->timestamp, p->marker, p->payload, it->first);
    }
    auto r = jb.pop(now);
    if (r.kind == JitterBuffer::PopKind::Frame) {
      const auto codes = std::span(reinterpret_cast<const std::uint8_t*>(r.frame.payload.data()),
                                   r.frame.payload.size());
      g711_decode(G711Law::Ulaw, codes, frame);
      plc.on_good_frame(frame);
    } else if (r.kind == JitterBuffer::PopKind::Missing) {
      plc.conceal(frame);
    } else {
      std::fill(frame.begin(), frame.end(), std::int16_t{0});
    }
    heard.insert(heard.end(), frame.begin(), frame.end());
  }

  // The received audio is the tone, delayed by the buffering.
  auto best = t::best_correlation(std::span(tone).subspan(8000), std::span(heard).subspan(8000),
                                  16000, 1600);
  EXPECT_GT(best.correlation, 0.97);
  EXPECT_EQ(best.lag % 8, 0u);  // whole periods: the concealed frames kept the phase
  EXPECT_GT(t::tone_share(std::span(heard).subspan(8000, 16000), 1000, 8000), 0.95);

  // What RTCP would report matches what the network did.
  const ReportBlock rb = stats.make_report_block(0x5eed, t0 + 6s);
  EXPECT_EQ(rb.extended_highest_sequence, 65536u + static_cast<std::uint32_t>(65500 + kFrames - 1 - 65536));
  // RTCP counts duplicates as received, so they offset losses (RFC 3550 §6.4.1).
  EXPECT_GT(dropped, 5);
  EXPECT_NEAR(rb.cumulative_lost, dropped - duplicated, 1);
  EXPECT_LT(stats.jitter_seconds(), 0.02);
  CallQualityInput q;
  q.packets_received = stats.received();
  q.packets_lost = rb.cumulative_lost;
  q.jitter_ms = stats.jitter_seconds() * 1000;
  q.jitter_buffer_ms = static_cast<double>(jb.target_delay().count());
  const CallQuality quality = assess_call(q);
  EXPECT_NEAR(quality.loss_percent, 100.0 * (dropped - duplicated) / kFrames, 1.0);
  EXPECT_GT(quality.mos, 3.6);
  EXPECT_LT(quality.mos, 4.41);
}
