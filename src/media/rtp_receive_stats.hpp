#pragma once
// RtpReceiveStats: what a receiver keeps about one RTP source to fill its reception report
// blocks (RFC 3550 Appendix A.1 sequence validation with probation and wrap, A.3 expected and
// lost packets with the per-interval fraction, A.8 interarrival jitter) and the LSR/DLSR pair
// of the last sender report it heard from that source (§6.4.1).
// Sans-I/O: arrival times are passed in; nothing reads a clock.
// Thread-safety: none (one owner, like the session that receives the packets).
// Errors: none; on_packet() reports what it did with each packet.

#include <cstdint>
#include <optional>

#include "base/clock.hpp"
#include "media/rtcp.hpp"

namespace warden::media {

class RtpReceiveStats {
 public:
  // Constants of Appendix A.1.
  static constexpr int kMinSequential = 2;       // in-order packets before a source is valid
  static constexpr std::uint32_t kMaxDropout = 3000;
  static constexpr std::uint32_t kMaxMisorder = 100;

  enum class Verdict : std::uint8_t {
    Counted,     // a valid packet (in order, late, or a duplicate), counted in received()
    Probation,   // the source is not validated yet: not counted
    BadJump,     // a sequence jump too large to believe: not counted (two in a row restart)
  };

  // `clock_rate` is the RTP timestamp rate of the payload format (8000 for G.711, 48000 Opus).
  explicit RtpReceiveStats(std::uint32_t clock_rate) noexcept;

  Verdict on_packet(std::uint16_t sequence, std::uint32_t rtp_timestamp,
                    base::TimePoint arrival) noexcept;
  // A sender report from this source arrived at `arrival` (for LSR and DLSR).
  void on_sender_report(const SenderInfo& sender, base::TimePoint arrival) noexcept;

  // The report block for the interval since the previous call (A.3); starts a new interval.
  ReportBlock make_report_block(std::uint32_t source_ssrc, base::TimePoint now) noexcept;

  bool valid() const noexcept { return probation_ == 0 && seen_; }
  // Cycles * 65536 + highest sequence number received.
  std::uint32_t extended_highest_sequence() const noexcept;
  std::uint64_t expected() const noexcept;   // packets expected since the first valid one
  std::uint64_t received() const noexcept { return received_; }
  std::int64_t cumulative_lost() const noexcept;  // may be negative with duplicates
  std::uint32_t jitter() const noexcept { return jitter_x16_ >> 4; }  // timestamp units
  double jitter_seconds() const noexcept;

 private:
  void restart(std::uint16_t sequence) noexcept;
  Verdict update_sequence(std::uint16_t sequence) noexcept;  // A.1 only, no jitter

  std::uint32_t clock_rate_;
  bool seen_ = false;
  int probation_ = kMinSequential;
  std::uint16_t max_seq_ = 0;
  std::uint32_t cycles_ = 0;           // count of wraps, shifted left by 16
  std::uint32_t base_seq_ = 0;
  std::uint32_t bad_seq_ = 0x10001;    // impossible until a jump is seen
  std::uint64_t received_ = 0;
  std::uint64_t expected_prior_ = 0;
  std::uint64_t received_prior_ = 0;
  bool have_transit_ = false;
  std::uint32_t last_transit_ = 0;
  std::uint32_t jitter_x16_ = 0;       // jitter in timestamp units, scaled by 16
  std::optional<std::uint32_t> last_sr_;
  base::TimePoint last_sr_arrival_{};
};

}  // namespace warden::media
