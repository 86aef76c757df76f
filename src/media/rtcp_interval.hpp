#pragma once
// The RTCP transmission interval (RFC 3550 §6.3.1, computed as in Appendix A.7): how long to
// wait before sending the next compound RTCP packet, so that RTCP stays at 5 % of the session
// bandwidth whatever the number of members, with a quarter of it for senders when they are few.
// Sans-I/O: the caller draws the random factor (uniform in [0, 1)) from its base::Random and
// arms its own timer. Timer reconsideration and BYE back-off (§6.3.3 - §6.3.7) are the caller's.
// Thread-safety: pure functions. Errors: none; nonsensical inputs are clamped (at least one
// member, a bandwidth above zero, a random factor inside [0, 1)).

#include <cstddef>
#include <cstdint>

#include "base/clock.hpp"

namespace warden::media {

struct RtcpIntervalInput {
  std::uint32_t members = 2;            // including ourselves
  std::uint32_t senders = 2;            // including ourselves when we_sent
  double rtcp_bandwidth_bytes_per_s = 400.0;  // 5 % of the session bandwidth (64 kbit/s: 400)
  double average_rtcp_size = 100.0;     // bytes, UDP and IP headers included (A.7: avg_rtcp_size)
  bool we_sent = true;                  // we sent RTP since the last report
  bool initial = false;                 // no RTCP sent yet: the minimum is halved
};

// The randomised interval: max(5 s (2.5 s initially), size * n / bandwidth) times a factor in
// [0.5, 1.5), divided by e - 3/2 to make up for the reconsideration algorithm's bias.
base::Duration rtcp_interval(const RtcpIntervalInput& in, double random_unit) noexcept;

// A.7 running average of RTCP packet sizes: avg += (size - avg) / 16. `packet_bytes` should
// include the UDP and IP headers (28 bytes over IPv4, 48 over IPv6).
double update_average_rtcp_size(double average, std::size_t packet_bytes) noexcept;

}  // namespace warden::media
