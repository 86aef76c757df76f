// RTCP transmission interval (RFC 3550 §6.3.1, A.7): the 5 s minimum (2.5 s at start), the
// randomisation range and its compensation, the sender/receiver split of large sessions, and the
// running average packet size.
#include "media/rtcp_interval.hpp"

#include <gtest/gtest.h>

#include <chrono>

using namespace warden::media;

namespace {

double seconds(warden::base::Duration d) { return std::chrono::duration<double>(d).count(); }
constexpr double kComp = 2.718281828459045 - 1.5;

}  // namespace

TEST(RtcpInterval, TwoPartyCallUsesTheMinimum) {
  RtcpIntervalInput in;  // 100 * 2 / 400 = 0.5 s, below the 5 s minimum
  EXPECT_NEAR(seconds(rtcp_interval(in, 0.0)), 5.0 * 0.5 / kComp, 1e-6);
  EXPECT_NEAR(seconds(rtcp_interval(in, 0.5)), 5.0 / kComp, 1e-6);
  EXPECT_NEAR(seconds(rtcp_interval(in, 0.999999)), 5.0 * 1.5 / kComp, 1e-5);
  in.initial = true;
  EXPECT_NEAR(seconds(rtcp_interval(in, 0.5)), 2.5 / kComp, 1e-6);
}

TEST(RtcpInterval, LargeSessionSplitsTheBandwidth) {
  RtcpIntervalInput in;
  in.members = 1000;
  in.senders = 1;
  in.we_sent = false;  // a receiver: 999 receivers share 75 % of 400 B/s
  EXPECT_NEAR(seconds(rtcp_interval(in, 0.5)), 100.0 * 999 / 300.0 / kComp, 1e-3);
  in.we_sent = true;  // the one sender gets 25 % to itself
  EXPECT_NEAR(seconds(rtcp_interval(in, 0.5)), 5.0 / kComp, 1e-6);
  in.senders = 400;  // many senders: everyone shares the whole bandwidth
  EXPECT_NEAR(seconds(rtcp_interval(in, 0.5)), 100.0 * 1000 / 400.0 / kComp, 1e-3);
}

TEST(RtcpInterval, ClampsNonsense) {
  RtcpIntervalInput in;
  in.members = 0;
  in.rtcp_bandwidth_bytes_per_s = 0;
  in.average_rtcp_size = -5;
  const double s = seconds(rtcp_interval(in, 7.0));
  EXPECT_GT(s, 0.0);
  EXPECT_LT(s, 10.0);
}

TEST(RtcpInterval, AverageSize) {
  EXPECT_DOUBLE_EQ(update_average_rtcp_size(100, 116), 101.0);
  double avg = 100;
  for (int i = 0; i < 200; ++i) avg = update_average_rtcp_size(avg, 228);
  EXPECT_NEAR(avg, 228, 0.1);
}
