// Simplified E-model (G.107) and CallQuality: the default R of 93.2 and MOS 4.41 for G.711
// without loss, monotone decrease with loss, burstiness and delay, the G.107 formulas at hand-
// computed points, and the call summary.
#include "media/quality.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace warden::media;

TEST(Quality, G711WithoutLossIsAbout4_4) {
  const auto e = estimate_quality({0, 0, 1, kG711WithPlc});
  EXPECT_DOUBLE_EQ(e.r, 93.2);
  // 1 + 0.035 * 93.2 + 93.2 * 33.2 * 6.8 * 7e-6 = 4.4093
  EXPECT_NEAR(e.mos, 4.41, 0.005);
  EXPECT_EQ(estimate_quality({100, 0, 1, kG711WithPlc}).r, 93.2);  // no delay cost up to 100 ms
}

TEST(Quality, MosFallsMonotonicallyWithLoss) {
  for (const auto& codec : {kG711WithPlc, kG711WithoutPlc, kOpusStandIn}) {
    double previous = 5.0;
    for (double loss = 0; loss <= 30; loss += 0.5) {
      const double mos = estimate_quality({40, loss, 1, codec}).mos;
      EXPECT_LT(mos, previous) << codec.name << " " << loss;
      previous = mos;
    }
    EXPECT_LT(previous, 3.0) << codec.name;  // 30 % loss is poor for any of them
  }
}

TEST(Quality, EffectiveImpairmentFormula) {
  // Ie,eff = 0 + 95 * 2 / (2 / 1 + 25.1) = 7.011 for 2 % random loss with PLC.
  EXPECT_NEAR(effective_equipment_impairment(kG711WithPlc, 2, 1), 7.011, 0.001);
  // Without PLC the same loss costs far more: 95 * 2 / (2 + 4.3) = 30.16.
  EXPECT_NEAR(effective_equipment_impairment(kG711WithoutPlc, 2, 1), 30.16, 0.01);
  // Bursty loss (BurstR 2) costs more than random loss of the same rate.
  EXPECT_GT(effective_equipment_impairment(kG711WithPlc, 2, 2),
            effective_equipment_impairment(kG711WithPlc, 2, 1));
  // Inputs out of range are clamped.
  EXPECT_EQ(effective_equipment_impairment(kG711WithPlc, -5, 1), 0.0);
  EXPECT_EQ(effective_equipment_impairment(kG711WithPlc, 150, 0.2),
            effective_equipment_impairment(kG711WithPlc, 100, 1));
}

TEST(Quality, DelayImpairment) {
  EXPECT_EQ(delay_impairment(0), 0.0);
  EXPECT_EQ(delay_impairment(100), 0.0);
  // Ta = 200 ms: X = 1, Idd = 25 * (2^(1/6) - 3 * (1 + 3^-6)^(1/6) + 2) = 3.045.
  EXPECT_NEAR(delay_impairment(200), 3.045, 0.002);
  double previous = 0;
  for (double ta = 110; ta <= 800; ta += 10) {
    const double idd = delay_impairment(ta);
    EXPECT_GT(idd, previous) << ta;
    previous = idd;
  }
  EXPECT_GT(delay_impairment(400), 10.0);
  EXPECT_LT(estimate_quality({400, 0, 1, kG711WithPlc}).mos,
            estimate_quality({150, 0, 1, kG711WithPlc}).mos);
}

TEST(Quality, RToMos) {
  EXPECT_EQ(r_to_mos(-10), 1.0);
  EXPECT_EQ(r_to_mos(0), 1.0);
  EXPECT_EQ(r_to_mos(100), 4.5);
  EXPECT_EQ(r_to_mos(120), 4.5);
  EXPECT_NEAR(r_to_mos(50), 1 + 1.75 + 50 * -10 * 50 * 7e-6, 1e-12);  // 2.575
  EXPECT_NEAR(r_to_mos(70), 3.6, 0.01);  // the usual "toll quality" boundary
}

TEST(Quality, BurstRatio) {
  EXPECT_EQ(burst_ratio(0, 1), 1.0);
  EXPECT_NEAR(burst_ratio(0.1, 1.0 / 0.9), 1.0, 1e-12);  // random loss
  EXPECT_NEAR(burst_ratio(0.1, 3.0), 2.7, 1e-12);        // runs of 3 at 10 %: 3 * 0.9
  EXPECT_EQ(burst_ratio(0.1, 0.5), 1.0);                 // nonsense in, neutral out
  EXPECT_EQ(burst_ratio(std::nan(""), 2), 1.0);
}

TEST(Quality, CallSummary) {
  CallQualityInput in;
  in.packets_sent = 1000;
  in.packets_received = 980;
  in.packets_lost = 20;
  in.jitter_ms = 4.5;
  in.rtt_ms = 120;
  in.jitter_buffer_ms = 60;
  const CallQuality q = assess_call(in);
  EXPECT_EQ(q.packets_sent, 1000u);
  EXPECT_EQ(q.packets_lost, 20);
  EXPECT_DOUBLE_EQ(q.loss_percent, 2.0);
  EXPECT_EQ(q.jitter_ms, 4.5);
  ASSERT_TRUE(q.rtt_ms);
  // One-way delay 60 + 60 + 20 = 140 ms; loss 2 %: R = 93.2 - Idd(140) - 7.011.
  EXPECT_NEAR(q.r_factor, 93.2 - delay_impairment(140) - 7.011, 0.001);
  EXPECT_NEAR(q.mos, r_to_mos(q.r_factor), 1e-12);
  EXPECT_GT(q.mos, 3.9);
  EXPECT_LT(q.mos, 4.3);

  CallQualityInput dup;
  dup.packets_received = 100;
  dup.packets_lost = -3;  // duplicates counted by RTCP
  EXPECT_EQ(assess_call(dup).loss_percent, 0.0);
  EXPECT_EQ(assess_call(CallQualityInput{}).loss_percent, 0.0);
}
