#pragma once
// TokenBucket: `rate` tokens a second flow in, up to `burst`; a packet takes one. The rate and
// burst live in the configuration, not in each bucket, so a bucket is 16 bytes. A new bucket
// starts full. If time goes backwards (it should not: the time is monotonic), nothing flows in.
// Thread-safety: none. Errors: none.

#include <chrono>

#include "base/clock.hpp"

namespace warden::shield {

// A rate and the burst it allows (both in packets; the burst is at least 1).
struct Rate {
  double per_second = 0;
  double burst = 1;
};

struct TokenBucket {
  double tokens = 0;
  base::TimePoint last{};

  void fill(const Rate& r, base::TimePoint now) noexcept {
    tokens = r.burst;
    last = now;
  }
  // Brings the bucket to `now`.
  void refill(const Rate& r, base::TimePoint now) noexcept {
    if (now > last) {
      tokens += r.per_second * std::chrono::duration<double>(now - last).count();
      if (tokens > r.burst) tokens = r.burst;
      last = now;
    }
  }
  // Takes one token if there is one.
  bool take(const Rate& r, base::TimePoint now) noexcept {
    refill(r, now);
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }
};

}  // namespace warden::shield
