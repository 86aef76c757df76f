#include "media/jitter_buffer.hpp"

#include <algorithm>
#include <cmath>

namespace warden::media {

namespace {

constexpr std::int64_t kFirstExtended = std::int64_t{1} << 32;  // room below for reordering
constexpr std::size_t kTrimSlackFrames = 2;     // tolerated frames above the target
constexpr std::size_t kCalmPopsBeforeShrink = 250;  // 5 s of 20 ms frames

double to_ms(base::Duration d) noexcept {
  return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

JitterBuffer::JitterBuffer(const JitterBufferConfig& config)
    : cfg_(config), target_ms_(static_cast<double>(config.target_delay.count())) {
  if (cfg_.clock_rate == 0) cfg_.clock_rate = 8000;
  if (cfg_.frame_samples == 0) cfg_.frame_samples = 160;
  if (cfg_.capacity == 0) cfg_.capacity = 1;
  if (cfg_.max_delay < cfg_.min_delay) cfg_.max_delay = cfg_.min_delay;
  slots_.resize(cfg_.capacity);
}

void JitterBuffer::reset() noexcept {
  for (Slot& s : slots_) {
    s.used = false;
    s.frame.payload.clear();
  }
  held_ = 0;
  started_ = false;
  playing_ = false;
  empty_pops_ = 0;
  have_transit_ = false;
  stretch_ = 0;
}

std::chrono::milliseconds JitterBuffer::target_delay() const noexcept {
  if (!cfg_.adaptive) return cfg_.target_delay;
  const double clamped = std::clamp(target_ms_, static_cast<double>(cfg_.min_delay.count()),
                                    static_cast<double>(cfg_.max_delay.count()));
  return std::chrono::milliseconds{static_cast<std::int64_t>(std::lround(clamped))};
}

double JitterBuffer::jitter_ms() const noexcept { return jitter_ms_; }

std::int64_t JitterBuffer::extend(std::uint16_t sequence) const noexcept {
  if (!started_) return kFirstExtended + sequence;
  // The nearest number to the highest seen with these low 16 bits.
  const auto delta = static_cast<std::int16_t>(sequence - static_cast<std::uint16_t>(highest_));
  return highest_ + delta;
}

JitterBuffer::Slot& JitterBuffer::slot(std::int64_t ext) noexcept {
  return slots_[static_cast<std::size_t>(ext % static_cast<std::int64_t>(slots_.size()))];
}

void JitterBuffer::drop_until(std::int64_t ext) noexcept {
  for (Slot& s : slots_) {
    if (s.used && s.ext < ext) {
      s.used = false;
      s.frame.payload.clear();
      --held_;
      ++stats_.overflow_dropped;
    }
  }
}

std::int64_t JitterBuffer::frames_ahead() const noexcept {
  if (held_ == 0) return 0;
  return std::max<std::int64_t>(0, highest_ - next_ + 1);
}

std::uint32_t JitterBuffer::target_frames() const noexcept {
  const double frame_ms = 1000.0 * cfg_.frame_samples / cfg_.clock_rate;
  const double t = static_cast<double>(target_delay().count());
  return static_cast<std::uint32_t>(std::max(1.0, std::ceil(t / frame_ms)));
}

void JitterBuffer::update_jitter(std::uint32_t timestamp, base::TimePoint arrival) noexcept {
  // Relative transit: arrival time minus media time, both from the first packet (ms).
  const auto media_units = static_cast<std::int32_t>(timestamp - first_timestamp_);
  const double media_ms = 1000.0 * media_units / cfg_.clock_rate;
  const double transit = to_ms(arrival - first_arrival_) - media_ms;
  if (have_transit_) {
    const double d = std::abs(transit - last_transit_ms_);
    jitter_ms_ += (d - jitter_ms_) / 16.0;
  }
  last_transit_ms_ = transit;
  have_transit_ = true;
  if (cfg_.adaptive) {
    const double frame_ms = 1000.0 * cfg_.frame_samples / cfg_.clock_rate;
    target_ms_ = std::max(target_ms_, cfg_.jitter_factor * jitter_ms_ + frame_ms);
    target_ms_ = std::min(target_ms_, static_cast<double>(cfg_.max_delay.count()));
  }
}

JitterBuffer::PushResult JitterBuffer::push(std::uint16_t sequence, std::uint32_t timestamp,
                                            bool marker, std::span<const std::byte> payload,
                                            base::TimePoint arrival) {
  if (payload.size() > cfg_.max_payload_bytes) {
    ++stats_.too_large;
    return PushResult::TooLarge;
  }
  const std::int64_t ext = extend(sequence);
  const auto capacity = static_cast<std::int64_t>(slots_.size());
  if (!started_) {
    started_ = true;
    highest_ = ext;
    next_ = ext;
    first_timestamp_ = timestamp;
    first_arrival_ = arrival;
  }
  if (!playing_ && held_ == 0) {
    // Buffering starts with this packet (the first one, or the first after an underrun).
    next_ = ext;
    buffering_since_ = arrival;
  }
  if (!playing_ && ext < next_ && next_ - ext < capacity && highest_ - ext < capacity) {
    next_ = ext;  // still buffering: an earlier packet arrived after a later one
  }
  if (ext < next_) {
    ++stats_.too_late;
    if (cfg_.adaptive && playing_) {
      // Our delay was too short for this packet: grow it by a frame, now.
      const double frame_ms = 1000.0 * cfg_.frame_samples / cfg_.clock_rate;
      if (target_ms_ + frame_ms <= static_cast<double>(cfg_.max_delay.count())) {
        target_ms_ += frame_ms;
        ++stretch_;
      }
      calm_pops_ = 0;
    }
    return PushResult::TooLate;
  }
  Slot& s = slot(ext);
  if (s.used && s.ext == ext) {
    ++stats_.duplicates;
    return PushResult::Duplicate;
  }
  PushResult result = PushResult::Stored;
  if (ext >= next_ + capacity) {
    // Too far ahead to fit: give up the oldest numbers so the window ends at this packet.
    const std::int64_t new_next = ext - capacity + 1;
    drop_until(new_next);
    next_ = new_next;
    result = PushResult::Overflow;
  }
  Slot& target = slot(ext);  // the same slot, now free of any older packet
  target.used = true;
  target.ext = ext;
  target.frame.sequence = sequence;
  target.frame.timestamp = timestamp;
  target.frame.marker = marker;
  target.frame.payload.assign(payload.begin(), payload.end());
  ++held_;
  ++stats_.stored;
  highest_ = std::max(highest_, ext);
  update_jitter(timestamp, arrival);
  return result;
}

JitterBuffer::PopResult JitterBuffer::pop(base::TimePoint now) {
  PopResult out;
  if (!started_) return out;
  if (!playing_) {
    if (held_ == 0) return out;
    const bool deep_enough = frames_ahead() >= static_cast<std::int64_t>(target_frames());
    const bool waited_enough = now - buffering_since_ >= target_delay();
    if (!deep_enough && !waited_enough) return out;
    playing_ = true;
    empty_pops_ = 0;
    stretch_ = 0;
  }

  if (stretch_ > 0) {
    // Add one frame of delay: conceal without advancing.
    --stretch_;
    ++stats_.concealed;
    out.kind = PopKind::Missing;
    out.sequence = static_cast<std::uint16_t>(next_);
    return out;
  }

  if (held_ == 0) {
    if (++empty_pops_ >= cfg_.underrun_frames) {
      playing_ = false;  // the stream stopped: buffer again when it comes back
      return out;
    }
  } else {
    empty_pops_ = 0;
  }

  if (cfg_.adaptive) {
    ++calm_pops_;
    const double frame_ms = 1000.0 * cfg_.frame_samples / cfg_.clock_rate;
    const double floor_ms = std::max(static_cast<double>(cfg_.min_delay.count()),
                                     cfg_.jitter_factor * jitter_ms_ + frame_ms);
    if (calm_pops_ >= kCalmPopsBeforeShrink && target_ms_ - frame_ms >= floor_ms) {
      target_ms_ -= frame_ms;
      calm_pops_ = 0;
    }
    // Far more queued than the target: drop the oldest frame to cut the delay.
    if (frames_ahead() > static_cast<std::int64_t>(target_frames() + kTrimSlackFrames)) {
      Slot& s = slot(next_);
      if (s.used && s.ext == next_) {
        s.used = false;
        s.frame.payload.clear();
        --held_;
      }
      ++next_;
      ++stats_.trimmed;
    }
  }

  Slot& s = slot(next_);
  out.sequence = static_cast<std::uint16_t>(next_);
  if (s.used && s.ext == next_) {
    out.kind = PopKind::Frame;
    out.frame = std::move(s.frame);
    s.frame = Frame{};
    s.used = false;
    --held_;
    ++stats_.played;
  } else {
    out.kind = PopKind::Missing;
    ++stats_.concealed;
  }
  ++next_;
  return out;
}

}  // namespace warden::media
