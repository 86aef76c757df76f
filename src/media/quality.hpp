#pragma once
// Call quality estimate with a simplified E-model (ITU-T G.107): R = 93.2 - Idd - Ie,eff, the
// R-factor of G.107's default parameters reduced by the pure-delay impairment Idd (G.107 §7.4,
// perfect echo control assumed, so no talker or listener echo term) and the effective equipment
// impairment Ie,eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl) (G.107 §7.6), then MOS from R
// (G.107 Annex B). Codec values Ie and Bpl come from ITU-T G.113 Appendix I.
// CallQuality gathers the figures of one call (packets, loss, jitter, RTT) with that estimate.
// Thread-safety: pure functions and plain values. Errors: none; inputs are clamped to their
// ranges (loss 0-100 %, delay >= 0, BurstR >= 1).

#include <cstdint>
#include <optional>
#include <string_view>

namespace warden::media {

// A codec's equipment impairment Ie and packet-loss robustness Bpl.
struct CodecImpairment {
  std::string_view name;
  double ie = 0.0;
  double bpl = 1.0;
  bool from_g113 = true;  // false when the values are our own stand-in
};

// G.113 Appendix I: G.711 with the concealment of G.711 Appendix I (Bpl 25.1), and without any
// concealment (Bpl 4.3); Ie = 0 for both.
inline constexpr CodecImpairment kG711WithPlc{"G.711 with PLC", 0.0, 25.1, true};
inline constexpr CodecImpairment kG711WithoutPlc{"G.711 without PLC", 0.0, 4.3, true};
// G.113 (11/2007) lists no narrowband values for Opus. Until it does, Opus is rated like G.711
// with PLC, which ignores what its in-band FEC saves: a conservative stand-in, marked as such.
inline constexpr CodecImpairment kOpusStandIn{"Opus (rated as G.711 with PLC)", 0.0, 25.1, false};

struct EModelInput {
  double one_way_delay_ms = 0.0;     // mouth to ear: network, jitter buffer, packetisation
  double packet_loss_percent = 0.0;  // Ppl
  double burst_ratio = 1.0;          // BurstR: 1 for random loss, above 1 for bursty loss
  CodecImpairment codec = kG711WithPlc;
};

struct EModelResult {
  double delay_impairment = 0.0;     // Idd
  double equipment_impairment = 0.0; // Ie,eff
  double r = 0.0;
  double mos = 0.0;
};

// Idd for a one-way delay of `ta_ms` (0 up to 100 ms).
double delay_impairment(double ta_ms) noexcept;
double effective_equipment_impairment(const CodecImpairment& codec, double loss_percent,
                                      double burst_ratio) noexcept;
// G.107 Annex B: 1 below R = 0, 4.5 above R = 100.
double r_to_mos(double r) noexcept;
EModelResult estimate_quality(const EModelInput& in) noexcept;

// BurstR (G.107 §7.6) from what a receiver sees: the loss probability and the mean length of
// runs of lost packets. Random loss has mean runs of 1 / (1 - p), giving 1. Returns 1 when there
// is no loss or the figures are out of range.
double burst_ratio(double loss_fraction, double mean_loss_run) noexcept;

// The quality figures of one call direction, for logs, RTCP summaries and the admin API.
struct CallQuality {
  std::uint64_t packets_sent = 0;
  std::uint64_t packets_received = 0;
  std::int64_t packets_lost = 0;     // as RTCP counts it: negative with duplicates
  double loss_percent = 0.0;
  double jitter_ms = 0.0;
  std::optional<double> rtt_ms;      // none until a report block with LSR came back
  double r_factor = 0.0;
  double mos = 0.0;
};

struct CallQualityInput {
  std::uint64_t packets_sent = 0;
  std::uint64_t packets_received = 0;
  std::int64_t packets_lost = 0;
  double jitter_ms = 0.0;
  std::optional<double> rtt_ms;
  double jitter_buffer_ms = 60.0;    // play-out delay added at the receiver
  double frame_ms = 20.0;            // packetisation delay
  double burst_ratio = 1.0;
  CodecImpairment codec = kG711WithPlc;
};

// Loss from lost / (received + lost); one-way delay from half the RTT (0 without one), the
// jitter buffer and one frame.
CallQuality assess_call(const CallQualityInput& in) noexcept;

}  // namespace warden::media
