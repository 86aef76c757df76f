#include "media/quality.hpp"

#include <algorithm>
#include <cmath>

namespace warden::media {

namespace {

// R of G.107 with every parameter at its default (Ro - Is - Id at the default delays, A = 0).
constexpr double kDefaultR = 93.2;

}  // namespace

double delay_impairment(double ta_ms) noexcept {
  if (!(ta_ms > 100.0)) return 0.0;
  // G.107 §7.4 (pure delay, Ta > 100 ms): X = log2(Ta / 100),
  // Idd = 25 * ((1 + X^6)^(1/6) - 3 * (1 + (X/3)^6)^(1/6) + 2).
  const double x = std::log2(ta_ms / 100.0);
  const double x6 = std::pow(x, 6.0);
  const double third6 = std::pow(x / 3.0, 6.0);
  return 25.0 * (std::pow(1.0 + x6, 1.0 / 6.0) - 3.0 * std::pow(1.0 + third6, 1.0 / 6.0) + 2.0);
}

double effective_equipment_impairment(const CodecImpairment& codec, double loss_percent,
                                      double burst) noexcept {
  const double ppl = std::clamp(std::isfinite(loss_percent) ? loss_percent : 0.0, 0.0, 100.0);
  const double burst_r = std::isfinite(burst) ? std::max(1.0, burst) : 1.0;
  const double bpl = std::max(codec.bpl, 1e-9);
  return codec.ie + (95.0 - codec.ie) * ppl / (ppl / burst_r + bpl);
}

double r_to_mos(double r) noexcept {
  if (!(r > 0.0)) return 1.0;
  if (r >= 100.0) return 4.5;
  return 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6;
}

EModelResult estimate_quality(const EModelInput& in) noexcept {
  EModelResult out;
  const double ta = std::isfinite(in.one_way_delay_ms) ? std::max(0.0, in.one_way_delay_ms) : 0.0;
  out.delay_impairment = delay_impairment(ta);
  out.equipment_impairment =
      effective_equipment_impairment(in.codec, in.packet_loss_percent, in.burst_ratio);
  out.r = kDefaultR - out.delay_impairment - out.equipment_impairment;
  out.mos = r_to_mos(out.r);
  return out;
}

double burst_ratio(double loss_fraction, double mean_loss_run) noexcept {
  if (!(loss_fraction > 0.0) || !(loss_fraction < 1.0) || !(mean_loss_run >= 1.0)) return 1.0;
  const double random_run = 1.0 / (1.0 - loss_fraction);
  return std::max(1.0, mean_loss_run / random_run);
}

CallQuality assess_call(const CallQualityInput& in) noexcept {
  CallQuality q;
  q.packets_sent = in.packets_sent;
  q.packets_received = in.packets_received;
  q.packets_lost = in.packets_lost;
  q.jitter_ms = in.jitter_ms;
  q.rtt_ms = in.rtt_ms;
  const double lost = static_cast<double>(std::max<std::int64_t>(0, in.packets_lost));
  const double expected = static_cast<double>(in.packets_received) + lost;
  q.loss_percent = expected > 0 ? 100.0 * lost / expected : 0.0;
  const double delay = (in.rtt_ms ? std::max(0.0, *in.rtt_ms) / 2.0 : 0.0) +
                       std::max(0.0, in.jitter_buffer_ms) + std::max(0.0, in.frame_ms);
  const EModelResult e = estimate_quality({delay, q.loss_percent, in.burst_ratio, in.codec});
  q.r_factor = e.r;
  q.mos = e.mos;
  return q;
}

}  // namespace warden::media
