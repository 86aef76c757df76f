// Receiver statistics (RFC 3550 A.1, A.3, A.8, §6.4.1): probation, wrap, loss and the
// per-interval fraction, duplicates, restart after a big jump, jitter, LSR and DLSR.
#include "media/rtp_receive_stats.hpp"

#include <gtest/gtest.h>

#include <chrono>

using namespace warden::media;
using namespace std::chrono_literals;
using warden::base::TimePoint;
using Verdict = RtpReceiveStats::Verdict;

namespace {

constexpr std::uint32_t kRate = 8000;
const TimePoint kT0 = TimePoint{} + 100s;

// Packet i of a 20 ms stream starting at sequence `first`, arriving exactly on time.
struct Stream {
  RtpReceiveStats stats{kRate};
  std::uint16_t first;
  Verdict send(std::uint32_t i, std::chrono::nanoseconds extra_delay = 0ns) {
    return stats.on_packet(static_cast<std::uint16_t>(first + i), 1000 + 160 * i,
                           kT0 + i * 20ms + extra_delay);
  }
};

}  // namespace

TEST(RtpReceiveStats, ProbationThenCounting) {
  Stream s{.first = 500};
  EXPECT_FALSE(s.stats.valid());
  EXPECT_EQ(s.send(0), Verdict::Probation);
  EXPECT_EQ(s.send(1), Verdict::Counted);
  EXPECT_TRUE(s.stats.valid());
  for (std::uint32_t i = 2; i < 10; ++i) EXPECT_EQ(s.send(i), Verdict::Counted);
  EXPECT_EQ(s.stats.received(), 9u);  // the probation packet is not counted
  EXPECT_EQ(s.stats.expected(), 9u);
  EXPECT_EQ(s.stats.cumulative_lost(), 0);
  EXPECT_EQ(s.stats.extended_highest_sequence(), 509u);
}

TEST(RtpReceiveStats, ProbationRestartsOnAGap) {
  Stream s{.first = 10};
  EXPECT_EQ(s.send(0), Verdict::Probation);
  EXPECT_EQ(s.send(5), Verdict::Probation);  // not in order: probation starts again
  EXPECT_EQ(s.send(6), Verdict::Counted);
  EXPECT_EQ(s.stats.received(), 1u);
}

TEST(RtpReceiveStats, SequenceWrap) {
  Stream s{.first = 65530};
  for (std::uint32_t i = 0; i < 20; ++i) s.send(i);
  // 65530 + 19 = 65549 = one cycle + 13.
  EXPECT_EQ(s.stats.extended_highest_sequence(), 65536u + 13u);
  EXPECT_EQ(s.stats.expected(), 19u);
  EXPECT_EQ(s.stats.cumulative_lost(), 0);
}

TEST(RtpReceiveStats, LossAndFractionPerInterval) {
  Stream s{.first = 1};
  for (std::uint32_t i = 0; i < 101; ++i) {
    if (i % 4 == 3) continue;  // every fourth packet lost
    s.send(i);
  }
  // Valid from packet 1 (sequence 2) to packet 100 (sequence 101): 100 expected, 25 lost.
  EXPECT_EQ(s.stats.expected(), 100u);
  EXPECT_EQ(s.stats.cumulative_lost(), 25);
  ReportBlock b = s.stats.make_report_block(0x1234, kT0 + 3s);
  EXPECT_EQ(b.ssrc, 0x1234u);
  EXPECT_EQ(b.cumulative_lost, 25);
  EXPECT_EQ(b.fraction_lost, 64);  // 25/100 * 256
  EXPECT_EQ(b.extended_highest_sequence, 101u);
  EXPECT_EQ(b.last_sr, 0u);
  EXPECT_EQ(b.delay_since_last_sr, 0u);
  // Next interval without loss: fraction 0, cumulative unchanged.
  for (std::uint32_t i = 101; i < 151; ++i) s.send(i);
  b = s.stats.make_report_block(0x1234, kT0 + 4s);
  EXPECT_EQ(b.fraction_lost, 0);
  EXPECT_EQ(b.cumulative_lost, 25);
  // An interval with only duplicates: more received than expected, fraction stays 0.
  for (int k = 0; k < 5; ++k) s.send(150);
  b = s.stats.make_report_block(0x1234, kT0 + 5s);
  EXPECT_EQ(b.fraction_lost, 0);
  EXPECT_EQ(b.cumulative_lost, 20);
}

TEST(RtpReceiveStats, ReorderedPacketsAreNotLost) {
  Stream s{.first = 100};
  EXPECT_EQ(s.send(0), Verdict::Probation);
  for (std::uint32_t i : {1u, 2u, 4u, 3u, 6u, 5u, 7u}) EXPECT_EQ(s.send(i), Verdict::Counted) << i;
  EXPECT_EQ(s.stats.cumulative_lost(), 0);
  EXPECT_EQ(s.stats.extended_highest_sequence(), 107u);
}

TEST(RtpReceiveStats, BigJumpRestartsOnlyWhenConfirmed) {
  Stream s{.first = 1000};
  for (std::uint32_t i = 0; i < 10; ++i) s.send(i);
  EXPECT_EQ(s.send(20000), Verdict::BadJump);  // one stray packet: ignored
  EXPECT_EQ(s.send(10), Verdict::Counted);
  EXPECT_EQ(s.stats.extended_highest_sequence(), 1010u);
  EXPECT_EQ(s.send(30000), Verdict::BadJump);
  EXPECT_EQ(s.send(30001), Verdict::Counted);  // the sender really restarted
  EXPECT_EQ(s.stats.extended_highest_sequence(), 31001u);
  EXPECT_EQ(s.stats.received(), 1u);
  EXPECT_EQ(s.stats.expected(), 1u);
}

TEST(RtpReceiveStats, JitterIsZeroForSteadyArrivalAndGrowsWithVariation) {
  Stream steady{.first = 1};
  for (std::uint32_t i = 0; i < 200; ++i) steady.send(i);
  EXPECT_EQ(steady.stats.jitter(), 0u);

  // Every other packet 2.5 ms late (20 timestamp units at 8 kHz): |D| = 20 each time, so the
  // estimate converges to 20.
  Stream wobbly{.first = 1};
  for (std::uint32_t i = 0; i < 400; ++i) wobbly.send(i, i % 2 ? 2500us : 0us);
  EXPECT_NEAR(wobbly.stats.jitter(), 20.0, 1.0);
  EXPECT_NEAR(wobbly.stats.jitter_seconds(), 0.0025, 0.0002);
  // One step of the filter: J = J + (|D| - J)/16 from J = 0 with |D| = 32 gives 2.
  Stream one{.first = 1};
  one.send(0);
  one.send(1);
  one.send(2, 4ms);
  EXPECT_EQ(one.stats.jitter(), 2u);
}

TEST(RtpReceiveStats, LastSenderReportAndDelay) {
  Stream s{.first = 1};
  s.send(0);
  s.send(1);
  SenderInfo sr;
  sr.ntp_timestamp = 0xb7052000'12345678ull;
  s.stats.on_sender_report(sr, kT0 + 1s);
  ReportBlock b = s.stats.make_report_block(9, kT0 + 1s + 5250ms);
  EXPECT_EQ(b.last_sr, 0x20001234u);
  EXPECT_EQ(b.delay_since_last_sr, 0x00054000u);
}
