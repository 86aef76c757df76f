// JitterBuffer: start-up buffering, reordering, loss, duplicates, late packets, 16-bit wrap,
// bursts after a stall, the capacity bound, underrun and re-buffering, and the adaptive target
// on a simulated network (seeded delays, loss and duplication).
#include "media/jitter_buffer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <vector>

using namespace warden::media;
using namespace std::chrono_literals;
using warden::base::TimePoint;
using Kind = JitterBuffer::PopKind;
using Push = JitterBuffer::PushResult;

namespace {

const TimePoint kT0 = TimePoint{} + 1000s;

std::vector<std::byte> payload_for(std::uint16_t seq) {
  return {static_cast<std::byte>(seq >> 8), static_cast<std::byte>(seq & 0xff)};
}

Push push(JitterBuffer& jb, std::uint16_t seq, TimePoint at) {
  const auto p = payload_for(seq);
  return jb.push(seq, 160u * seq, false, p, at);
}

JitterBufferConfig fixed(std::chrono::milliseconds delay) {
  JitterBufferConfig c;
  c.adaptive = false;
  c.target_delay = delay;
  return c;
}

}  // namespace

TEST(JitterBuffer, WaitsForTheTargetThenPlaysInOrder) {
  JitterBuffer jb(fixed(60ms));
  EXPECT_EQ(jb.pop(kT0).kind, Kind::Waiting);  // nothing yet
  EXPECT_EQ(push(jb, 100, kT0), Push::Stored);
  EXPECT_EQ(jb.pop(kT0).kind, Kind::Waiting);
  EXPECT_EQ(push(jb, 101, kT0 + 20ms), Push::Stored);
  EXPECT_EQ(jb.pop(kT0 + 20ms).kind, Kind::Waiting);
  EXPECT_EQ(push(jb, 102, kT0 + 40ms), Push::Stored);
  // Three frames (60 ms) held: play starts.
  auto r = jb.pop(kT0 + 40ms);
  ASSERT_EQ(r.kind, Kind::Frame);
  EXPECT_TRUE(jb.playing());
  EXPECT_EQ(r.frame.sequence, 100);
  EXPECT_EQ(r.frame.timestamp, 16000u);
  EXPECT_EQ(r.frame.payload, payload_for(100));
  EXPECT_EQ(jb.pop(kT0 + 60ms).frame.sequence, 101);
  EXPECT_EQ(jb.pop(kT0 + 80ms).frame.sequence, 102);
  EXPECT_EQ(jb.size(), 0u);
}

TEST(JitterBuffer, StartsAfterTheTargetTimeEvenWhenShallow) {
  JitterBuffer jb(fixed(60ms));
  push(jb, 7, kT0);
  EXPECT_EQ(jb.pop(kT0 + 59ms).kind, Kind::Waiting);
  auto r = jb.pop(kT0 + 60ms);
  ASSERT_EQ(r.kind, Kind::Frame);
  EXPECT_EQ(r.frame.sequence, 7);
}

TEST(JitterBuffer, ReordersAndConcealsLoss) {
  JitterBuffer jb(fixed(100ms));
  for (std::uint16_t s : {3, 1, 2, 5, 4, 8, 6}) push(jb, s, kT0);  // 7 lost
  std::vector<int> played;
  std::vector<Kind> kinds;
  for (int i = 0; i < 8; ++i) {
    auto r = jb.pop(kT0 + 100ms + i * 20ms);
    kinds.push_back(r.kind);
    played.push_back(r.sequence);
  }
  EXPECT_EQ(played, (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(kinds[6], Kind::Missing);  // 7
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), Kind::Frame), 7);
  EXPECT_EQ(jb.stats().played, 7u);
  EXPECT_EQ(jb.stats().concealed, 1u);
}

TEST(JitterBuffer, DropsDuplicatesAndLatePackets) {
  JitterBuffer jb(fixed(40ms));
  EXPECT_EQ(push(jb, 10, kT0), Push::Stored);
  EXPECT_EQ(push(jb, 10, kT0), Push::Duplicate);
  EXPECT_EQ(push(jb, 12, kT0), Push::Stored);
  EXPECT_EQ(push(jb, 12, kT0 + 1ms), Push::Duplicate);
  EXPECT_EQ(jb.pop(kT0 + 40ms).sequence, 10);
  EXPECT_EQ(push(jb, 10, kT0 + 41ms), Push::TooLate);  // already played
  EXPECT_EQ(jb.pop(kT0 + 60ms).kind, Kind::Missing);   // 11
  EXPECT_EQ(push(jb, 11, kT0 + 61ms), Push::TooLate);  // concealed already
  EXPECT_EQ(jb.pop(kT0 + 80ms).frame.sequence, 12);
  EXPECT_EQ(jb.stats().duplicates, 2u);
  EXPECT_EQ(jb.stats().too_late, 2u);
}

TEST(JitterBuffer, SequenceWrap) {
  JitterBuffer jb(fixed(80ms));
  for (std::uint16_t s : {65534, 0, 65535, 1, 2}) push(jb, s, kT0);
  std::vector<int> played;
  for (int i = 0; i < 5; ++i) played.push_back(jb.pop(kT0 + 100ms + i * 20ms).sequence);
  EXPECT_EQ(played, (std::vector<int>{65534, 65535, 0, 1, 2}));
  EXPECT_EQ(jb.stats().played, 5u);
  EXPECT_EQ(push(jb, 65535, kT0 + 200ms), Push::TooLate);  // behind, across the wrap
}

TEST(JitterBuffer, CapacityBoundsTheBuffer) {
  JitterBufferConfig c = fixed(1000ms);
  c.capacity = 8;
  JitterBuffer jb(c);
  for (std::uint16_t s = 0; s < 8; ++s) EXPECT_EQ(push(jb, s, kT0), Push::Stored);
  EXPECT_EQ(jb.size(), 8u);
  EXPECT_EQ(push(jb, 8, kT0), Push::Overflow);  // 0 is given up
  EXPECT_EQ(jb.size(), 8u);
  EXPECT_EQ(push(jb, 20, kT0), Push::Overflow);  // window moves to 13..20
  EXPECT_EQ(jb.size(), 1u);
  EXPECT_EQ(jb.stats().overflow_dropped, 9u);
  EXPECT_EQ(push(jb, 12, kT0), Push::TooLate);
  EXPECT_EQ(push(jb, 13, kT0), Push::Stored);
  auto r = jb.pop(kT0 + 1s);
  EXPECT_EQ(r.kind, Kind::Frame);
  EXPECT_EQ(r.frame.sequence, 13);
}

TEST(JitterBuffer, RefusesLargePayloads) {
  JitterBufferConfig c;
  c.max_payload_bytes = 4;
  JitterBuffer jb(c);
  const std::vector<std::byte> big(5);
  EXPECT_EQ(jb.push(1, 0, false, big, kT0), Push::TooLarge);
  EXPECT_EQ(jb.size(), 0u);
}

TEST(JitterBuffer, UnderrunThenBuffersAgain) {
  JitterBufferConfig c = fixed(40ms);
  c.underrun_frames = 3;
  JitterBuffer jb(c);
  push(jb, 1, kT0);
  push(jb, 2, kT0 + 20ms);
  EXPECT_EQ(jb.pop(kT0 + 40ms).kind, Kind::Frame);
  EXPECT_EQ(jb.pop(kT0 + 60ms).kind, Kind::Frame);
  EXPECT_EQ(jb.pop(kT0 + 80ms).kind, Kind::Missing);
  EXPECT_EQ(jb.pop(kT0 + 100ms).kind, Kind::Missing);
  EXPECT_EQ(jb.pop(kT0 + 120ms).kind, Kind::Waiting);  // three empty pops: stream stopped
  EXPECT_FALSE(jb.playing());
  // The talker comes back much later with later numbers: buffering starts again.
  push(jb, 50, kT0 + 5s);
  EXPECT_EQ(jb.pop(kT0 + 5s).kind, Kind::Waiting);
  push(jb, 51, kT0 + 5s + 20ms);
  auto r = jb.pop(kT0 + 5s + 40ms);
  ASSERT_EQ(r.kind, Kind::Frame);
  EXPECT_EQ(r.frame.sequence, 50);
}

// A 200 ms stall, then the held-back packets arrive in one burst: the ones whose turn passed
// are too late, the rest play in order; the adaptive target grows.
TEST(JitterBuffer, BurstAfterAStall) {
  JitterBufferConfig c;
  c.target_delay = 40ms;
  JitterBuffer jb(c);
  TimePoint now = kT0;
  std::uint16_t seq = 0;
  for (int i = 0; i < 20; ++i, ++seq, now += 20ms) {
    push(jb, seq, now);
    jb.pop(now);
  }
  const auto before = jb.target_delay();
  std::vector<Kind> during;
  for (int i = 0; i < 10; ++i, now += 20ms) during.push_back(jb.pop(now).kind);  // nothing arrives
  EXPECT_GE(std::count(during.begin(), during.end(), Kind::Missing), 8);
  int late = 0;
  for (int i = 0; i < 11; ++i, ++seq) late += push(jb, seq, now) == Push::TooLate;
  EXPECT_GT(late, 5);
  EXPECT_GT(jb.target_delay(), before);
  // Whatever plays next comes in increasing order.
  int last = -1;
  for (int i = 0; i < 30; ++i, now += 20ms) {
    if (i % 1 == 0) push(jb, seq++, now);
    auto r = jb.pop(now);
    if (r.kind == Kind::Frame) {
      EXPECT_GT(int(r.frame.sequence), last);
      last = r.frame.sequence;
    }
  }
  EXPECT_GT(last, 30);
}

// A seeded network: delays 0-80 ms, 5 % loss, 3 % duplication, pops every 20 ms. Frames come
// out in strictly increasing order, never twice, the buffer stays within its capacity, and
// every pop after the start is a frame or a concealment.
TEST(JitterBuffer, SimulatedNetwork) {
  for (bool adaptive : {false, true}) {
    JitterBufferConfig c;
    c.adaptive = adaptive;
    c.target_delay = 60ms;
    c.capacity = 16;
    JitterBuffer jb(c);
    std::mt19937 rng(adaptive ? 11 : 12);
    std::multimap<TimePoint, std::uint16_t> in_flight;
    const std::uint16_t first = 65000;  // crosses the wrap
    for (int i = 0; i < 1500; ++i) {
      const auto seq = static_cast<std::uint16_t>(first + i);
      const TimePoint sent = kT0 + i * 20ms;
      if (rng() % 100 < 5) continue;
      in_flight.emplace(sent + std::chrono::milliseconds(rng() % 81), seq);
      if (rng() % 100 < 3) in_flight.emplace(sent + std::chrono::milliseconds(rng() % 81), seq);
    }
    std::int64_t last = -1;
    std::size_t frames = 0, missing = 0;
    auto it = in_flight.begin();
    for (int tick = 0; tick < 1600; ++tick) {
      const TimePoint now = kT0 + tick * 20ms;
      for (; it != in_flight.end() && it->first <= now; ++it) {
        const auto p = payload_for(it->second);
        jb.push(it->second, 160u * static_cast<std::uint16_t>(it->second - first), false, p, it->first);
        ASSERT_LE(jb.size(), c.capacity);
      }
      auto r = jb.pop(now);
      if (r.kind == Kind::Frame) {
        const std::int64_t unwrapped = static_cast<std::uint16_t>(r.frame.sequence - first);
        EXPECT_GT(unwrapped, last);
        EXPECT_EQ(r.frame.payload, payload_for(r.frame.sequence));
        last = unwrapped;
        ++frames;
      } else if (r.kind == Kind::Missing) {
        ++missing;
      }
    }
    EXPECT_EQ(jb.stats().played, frames);
    if (adaptive) {
      // The target follows the jitter: next to nothing comes too late.
      EXPECT_GT(frames, 1500u * 94 / 100);
      EXPECT_LT(jb.stats().too_late, 15u);
      EXPECT_GT(jb.jitter_ms(), 5.0);
      EXPECT_GT(jb.target_delay(), 60ms);
    } else {
      // 60 ms against delays of up to 80 ms from the first packet's: a quarter comes late.
      EXPECT_GT(frames, 1500u * 65 / 100);
      EXPECT_GT(jb.stats().too_late, 200u);
      EXPECT_EQ(jb.target_delay(), 60ms);
    }
  }
}

// With steady arrivals after a jittery spell, the adaptive target comes back down and the
// buffer trims the extra frames it was holding.
TEST(JitterBuffer, AdaptiveTargetShrinksWhenCalm) {
  JitterBufferConfig c;
  c.target_delay = 200ms;
  c.min_delay = 20ms;
  JitterBuffer jb(c);
  TimePoint now = kT0;
  std::size_t early_size = 0;
  for (int i = 0; i < 1500; ++i, now += 20ms) {
    push(jb, static_cast<std::uint16_t>(i), now);
    jb.pop(now);
    if (i == 50) early_size = jb.size();
  }
  EXPECT_GE(early_size, 9u);  // 200 ms of 20 ms frames
  EXPECT_LE(jb.target_delay(), 100ms);  // a frame less every 5 s of calm
  EXPECT_LE(jb.size(), 7u);
  EXPECT_GT(jb.stats().trimmed, 0u);
  EXPECT_EQ(jb.stats().too_late, 0u);
}

TEST(JitterBuffer, ResetForgetsEverything) {
  JitterBuffer jb(fixed(20ms));
  push(jb, 5, kT0);
  EXPECT_EQ(jb.pop(kT0 + 20ms).kind, Kind::Frame);
  jb.reset();
  EXPECT_EQ(jb.size(), 0u);
  EXPECT_EQ(jb.pop(kT0 + 40ms).kind, Kind::Waiting);
  EXPECT_EQ(push(jb, 3, kT0 + 40ms), Push::Stored);  // an earlier number is fine after reset
  EXPECT_EQ(jb.pop(kT0 + 60ms).frame.sequence, 3);
}

// A packet that comes after its turn grows the adaptive target by one frame at once: the next
// pop conceals without consuming a number, and the pop after it plays that number.
TEST(JitterBuffer, LatePacketAddsOneFrameOfDelay) {
  JitterBufferConfig c;
  c.target_delay = 40ms;
  JitterBuffer jb(c);
  TimePoint now = kT0;
  std::uint16_t seq = 0;
  for (; seq < 30; ++seq, now += 20ms) {
    if (seq != 20) push(jb, seq, now);  // 20 is held back
    jb.pop(now);
  }
  const auto before = jb.target_delay();
  EXPECT_EQ(push(jb, 20, now), Push::TooLate);
  EXPECT_EQ(jb.target_delay(), before + 20ms);
  const auto r1 = jb.pop(now);
  ASSERT_EQ(r1.kind, Kind::Missing);
  push(jb, seq, now);
  const auto r2 = jb.pop(now + 20ms);
  ASSERT_EQ(r2.kind, Kind::Frame);
  EXPECT_EQ(r2.frame.sequence, r1.sequence);
}
