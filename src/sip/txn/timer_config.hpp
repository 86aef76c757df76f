#pragma once
// RFC 3261 §17.1.1.1 / Table 4 timer values. T1 is the round-trip estimate, T2 the cap on
// retransmission intervals for non-INVITE requests and INVITE responses, T4 the time a
// message may stay in the network. Every other timer derives from these three.

#include "base/clock.hpp"

namespace warden::sip::txn {

using base::Duration;
using base::TimePoint;

struct TimerConfig {
  Duration t1 = std::chrono::milliseconds(500);
  Duration t2 = std::chrono::seconds(4);
  Duration t4 = std::chrono::seconds(5);
  Duration timer_d = std::chrono::seconds(32);  // wait for response retransmissions (unreliable)

  Duration timeout() const noexcept { return 64 * t1; }  // Timers B, F, H, J, L, M
};

}  // namespace warden::sip::txn
