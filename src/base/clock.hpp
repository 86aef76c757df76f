#pragma once
// Time is injected. Engines take `TimePoint now` as an argument; whoever drives them reads a
// Clock. Production uses SystemClock, tests a ManualClock that they advance by hand.
// Thread-safety: SystemClock is thread-safe; ManualClock is not.

#include <chrono>

namespace warden::base {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;
using WallTime = std::chrono::time_point<std::chrono::system_clock, Duration>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const noexcept = 0;       // monotonic, for timers
  virtual WallTime wall_now() const noexcept = 0;   // calendar time, for Date headers and logs
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const noexcept override {
    return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
  }
  WallTime wall_now() const noexcept override {
    return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(WallTime wall_start = WallTime{}) : wall_start_(wall_start) {}
  TimePoint now() const noexcept override { return now_; }
  WallTime wall_now() const noexcept override { return wall_start_ + now_.time_since_epoch(); }
  void advance(Duration d) noexcept { now_ += d; }
  void set(TimePoint t) noexcept { now_ = t; }

 private:
  TimePoint now_{};
  WallTime wall_start_;
};

}  // namespace warden::base
