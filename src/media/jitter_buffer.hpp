#pragma once
// JitterBuffer: turns RTP packets that arrive late, out of order, twice or not at all into a
// steady sequence of frames for the decoder. Packets are ordered by their sequence number
// (extended over the 16-bit wrap); the decoder calls pop(now) once per frame period and gets
// the next frame, or Missing (run packet-loss concealment), or Waiting (nothing to play yet).
//
// Play-out: after the first packet (or after an underrun) the buffer waits until it holds
// `target delay` of audio, or until that much time has passed since the first packet arrived,
// then plays one sequence number per pop(). A packet whose number was already played (or
// skipped as missing) is too late and dropped; a duplicate is dropped; the buffer holds at most
// `capacity` sequence numbers ahead of the play-out point and drops the oldest beyond that.
// With `adaptive`, the target follows the measured jitter (RFC 3550 A.8 style estimate, times
// `jitter_factor`) and grows by a frame whenever a packet comes too late; it shrinks slowly by
// dropping a frame when the buffer holds well more than the target.
// Sans-I/O: arrival and play-out times are arguments. Thread-safety: one owner.
// Errors: push() returns what it did with the packet; nothing throws on any input.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/clock.hpp"

namespace warden::media {

struct JitterBufferConfig {
  std::uint32_t clock_rate = 8000;       // RTP timestamp units per second
  std::uint32_t frame_samples = 160;     // timestamp units per packet (20 ms at 8 kHz)
  std::size_t capacity = 50;             // sequence numbers held ahead of play-out (1 s)
  std::chrono::milliseconds target_delay{60};
  bool adaptive = true;
  std::chrono::milliseconds min_delay{20};
  std::chrono::milliseconds max_delay{400};
  double jitter_factor = 3.0;            // adaptive target = factor * jitter + one frame
  std::size_t max_payload_bytes = 1500;  // larger payloads are refused
  std::size_t underrun_frames = 25;      // empty pops in a row before buffering again
};

class JitterBuffer {
 public:
  enum class PushResult : std::uint8_t {
    Stored,     // kept for play-out
    Duplicate,  // this sequence number is already held
    TooLate,    // its turn has passed
    TooLarge,   // payload above max_payload_bytes
    Overflow,   // stored, but older frames were dropped to make room
  };

  struct Frame {
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 0;
    bool marker = false;
    std::vector<std::byte> payload;
  };

  enum class PopKind : std::uint8_t {
    Frame,    // `frame` holds the next packet
    Missing,  // the next packet is not here: conceal one frame
    Waiting,  // buffering (start or after an underrun): play silence or comfort noise
  };
  struct PopResult {
    PopKind kind = PopKind::Waiting;
    Frame frame;                    // for PopKind::Frame
    // For Frame and Missing: the number played or concealed. When the adaptive target has just
    // grown, a Missing may come without consuming a number (one frame of extra delay): the
    // next pop then reports the same number again.
    std::uint16_t sequence = 0;
  };

  struct Stats {
    std::uint64_t stored = 0, duplicates = 0, too_late = 0, too_large = 0, overflow_dropped = 0;
    std::uint64_t played = 0, concealed = 0, trimmed = 0;
  };

  explicit JitterBuffer(const JitterBufferConfig& config = {});

  PushResult push(std::uint16_t sequence, std::uint32_t timestamp, bool marker,
                  std::span<const std::byte> payload, base::TimePoint arrival);
  PopResult pop(base::TimePoint now);

  // Forget everything (a new SSRC, a re-INVITE): the next packet starts buffering again.
  void reset() noexcept;

  std::size_t size() const noexcept { return held_; }     // packets held
  bool playing() const noexcept { return playing_; }
  std::chrono::milliseconds target_delay() const noexcept;
  double jitter_ms() const noexcept;                      // current jitter estimate
  const Stats& stats() const noexcept { return stats_; }

 private:
  struct Slot {
    bool used = false;
    std::int64_t ext = 0;   // extended sequence number
    Frame frame;
  };

  std::int64_t extend(std::uint16_t sequence) const noexcept;
  Slot& slot(std::int64_t ext) noexcept;
  void drop_until(std::int64_t ext) noexcept;  // frees every slot below ext
  std::int64_t frames_ahead() const noexcept;  // highest held - next to play + 1
  std::uint32_t target_frames() const noexcept;
  void update_jitter(std::uint32_t timestamp, base::TimePoint arrival) noexcept;

  JitterBufferConfig cfg_;
  std::vector<Slot> slots_;
  std::size_t held_ = 0;
  bool started_ = false;          // a packet has been seen since the last reset
  bool playing_ = false;
  std::int64_t next_ = 0;         // extended sequence number to play next
  std::int64_t highest_ = 0;      // highest extended sequence number seen
  base::TimePoint buffering_since_{};
  std::size_t empty_pops_ = 0;
  double target_ms_;
  // Jitter estimate (ms) and its previous relative transit time.
  bool have_transit_ = false;
  double last_transit_ms_ = 0;
  double jitter_ms_ = 0;
  std::uint32_t first_timestamp_ = 0;
  base::TimePoint first_arrival_{};
  std::uint32_t stretch_ = 0;     // frames of delay to add before the next frame
  std::size_t calm_pops_ = 0;     // pops since the target last grew
  Stats stats_;
};

}  // namespace warden::media
