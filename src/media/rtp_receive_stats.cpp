#include "media/rtp_receive_stats.hpp"

#include <algorithm>

namespace warden::media {

namespace {

constexpr std::uint32_t kSeqMod = 1u << 16;

// The arrival time in RTP timestamp units (modulo 2^32, like the timestamps themselves).
std::uint32_t to_timestamp_units(base::TimePoint t, std::uint32_t rate) noexcept {
  const std::int64_t ns = t.time_since_epoch().count();
  const std::int64_t secs = ns / 1'000'000'000;
  const std::int64_t rem = ns % 1'000'000'000;
  const std::int64_t units = secs * rate + rem * rate / 1'000'000'000;
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(units));
}

}  // namespace

RtpReceiveStats::RtpReceiveStats(std::uint32_t clock_rate) noexcept
    : clock_rate_(clock_rate == 0 ? 1 : clock_rate) {}

void RtpReceiveStats::restart(std::uint16_t sequence) noexcept {
  base_seq_ = sequence;
  max_seq_ = sequence;
  bad_seq_ = kSeqMod + 1;
  cycles_ = 0;
  received_ = 0;
  received_prior_ = 0;
  expected_prior_ = 0;
}

RtpReceiveStats::Verdict RtpReceiveStats::on_packet(std::uint16_t seq, std::uint32_t rtp_timestamp,
                                                    base::TimePoint arrival) noexcept {
  const Verdict v = update_sequence(seq);
  if (v != Verdict::Counted) return v;
  // Interarrival jitter (A.8): the smoothed absolute change of the relative transit time.
  const std::uint32_t transit = to_timestamp_units(arrival, clock_rate_) - rtp_timestamp;
  if (have_transit_) {
    const auto change = static_cast<std::int32_t>(transit - last_transit_);
    const std::uint32_t d = change < 0 ? 0u - static_cast<std::uint32_t>(change)
                                       : static_cast<std::uint32_t>(change);
    // J += (|D| - J) / 16, kept multiplied by 16 to stay in integers.
    const std::int64_t next = std::int64_t{jitter_x16_} + d - ((jitter_x16_ + 8) >> 4);
    jitter_x16_ = static_cast<std::uint32_t>(std::clamp<std::int64_t>(next, 0, 0xFFFFFFFFll));
  }
  last_transit_ = transit;
  have_transit_ = true;
  return Verdict::Counted;
}

RtpReceiveStats::Verdict RtpReceiveStats::update_sequence(std::uint16_t seq) noexcept {
  if (!seen_) {
    // First packet: the source starts on probation, as if the previous number was seen.
    restart(seq);
    max_seq_ = static_cast<std::uint16_t>(seq - 1);
    probation_ = kMinSequential;
    seen_ = true;
  }
  const auto forward = static_cast<std::uint16_t>(seq - max_seq_);

  if (probation_ > 0) {
    // A source becomes valid after kMinSequential packets in a row.
    if (seq == static_cast<std::uint16_t>(max_seq_ + 1)) {
      --probation_;
      max_seq_ = seq;
      if (probation_ == 0) {
        restart(seq);
        ++received_;
        have_transit_ = false;
        return Verdict::Counted;
      }
    } else {
      probation_ = kMinSequential - 1;
      max_seq_ = seq;
    }
    return Verdict::Probation;
  }

  if (forward < kMaxDropout) {
    // In order, possibly with a gap; a smaller number means the 16 bits wrapped.
    if (seq < max_seq_) cycles_ += kSeqMod;
    max_seq_ = seq;
  } else if (forward <= kSeqMod - kMaxMisorder) {
    // A big jump. Believe it only if the next packet follows it: the sender restarted.
    if (seq == bad_seq_) {
      restart(seq);
      have_transit_ = false;
    } else {
      bad_seq_ = (seq + 1u) & (kSeqMod - 1);
      return Verdict::BadJump;
    }
  }
  // else: a duplicate or a packet reordered by less than kMaxMisorder; counted as received.
  ++received_;
  return Verdict::Counted;
}

void RtpReceiveStats::on_sender_report(const SenderInfo& sender, base::TimePoint arrival) noexcept {
  last_sr_ = ntp_middle32(sender.ntp_timestamp);
  last_sr_arrival_ = arrival;
}

std::uint32_t RtpReceiveStats::extended_highest_sequence() const noexcept {
  return cycles_ + max_seq_;
}

std::uint64_t RtpReceiveStats::expected() const noexcept {
  if (!valid()) return 0;
  return std::uint64_t{cycles_} + max_seq_ - base_seq_ + 1;
}

std::int64_t RtpReceiveStats::cumulative_lost() const noexcept {
  return static_cast<std::int64_t>(expected()) - static_cast<std::int64_t>(received_);
}

double RtpReceiveStats::jitter_seconds() const noexcept {
  return static_cast<double>(jitter_x16_) / 16.0 / clock_rate_;
}

ReportBlock RtpReceiveStats::make_report_block(std::uint32_t source_ssrc,
                                               base::TimePoint now) noexcept {
  ReportBlock b;
  b.ssrc = source_ssrc;
  b.extended_highest_sequence = extended_highest_sequence();
  // The 24-bit field saturates rather than wraps (§6.4.1).
  b.cumulative_lost =
      static_cast<std::int32_t>(std::clamp<std::int64_t>(cumulative_lost(), -0x800000, 0x7FFFFF));
  const std::uint64_t exp = expected();
  const std::uint64_t expected_interval = exp - expected_prior_;
  const std::uint64_t received_interval = received_ - received_prior_;
  expected_prior_ = exp;
  received_prior_ = received_;
  const auto lost_interval = static_cast<std::int64_t>(expected_interval) -
                             static_cast<std::int64_t>(received_interval);
  if (expected_interval != 0 && lost_interval > 0) {
    b.fraction_lost = static_cast<std::uint8_t>(
        std::min<std::uint64_t>(255, (static_cast<std::uint64_t>(lost_interval) << 8) / expected_interval));
  }
  b.jitter = jitter();
  if (last_sr_) {
    b.last_sr = *last_sr_;
    b.delay_since_last_sr = to_dlsr_units(now - last_sr_arrival_);
  }
  return b;
}

}  // namespace warden::media
