#include "media/rtcp_interval.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace warden::media {

namespace {

constexpr double kMinimumSeconds = 5.0;
constexpr double kSenderShare = 0.25;    // of the RTCP bandwidth, when senders are few
constexpr double kReceiverShare = 0.75;
constexpr double kCompensation = 2.71828182845904523536 - 1.5;

}  // namespace

base::Duration rtcp_interval(const RtcpIntervalInput& in, double random_unit) noexcept {
  const double minimum = in.initial ? kMinimumSeconds / 2 : kMinimumSeconds;
  double bandwidth = in.rtcp_bandwidth_bytes_per_s > 0 && std::isfinite(in.rtcp_bandwidth_bytes_per_s)
                         ? in.rtcp_bandwidth_bytes_per_s
                         : 1.0;
  const double members = std::max<std::uint32_t>(1, in.members);
  const double senders = std::min<double>(in.senders, members);
  double n = members;
  if (senders <= members * kSenderShare) {
    // Few senders: they share a quarter of the RTCP bandwidth, receivers the rest.
    if (in.we_sent) {
      bandwidth *= kSenderShare;
      n = std::max(1.0, senders);
    } else {
      bandwidth *= kReceiverShare;
      n = std::max(1.0, members - senders);
    }
  }
  const double size = std::isfinite(in.average_rtcp_size) ? std::max(0.0, in.average_rtcp_size) : 0.0;
  const double deterministic = std::max(minimum, size * n / bandwidth);
  const double unit = std::isfinite(random_unit) ? std::clamp(random_unit, 0.0, 0.999999) : 0.5;
  const double seconds = deterministic * (unit + 0.5) / kCompensation;
  return std::chrono::duration_cast<base::Duration>(std::chrono::duration<double>(seconds));
}

double update_average_rtcp_size(double average, std::size_t packet_bytes) noexcept {
  return average + (static_cast<double>(packet_bytes) - average) / 16.0;
}

}  // namespace warden::media
