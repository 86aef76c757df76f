#include "shield/spit_scorer.hpp"

#include <algorithm>
#include <cstdio>

namespace warden::shield {

namespace {

// Whole seconds since the clock's epoch, for the compact caller records.
std::uint32_t seconds_of(base::TimePoint t) noexcept {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(s, 0, 0xffffffffLL));
}

std::uint32_t seconds_of(base::Duration d) noexcept {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(s, 1, 0xffffffffLL));
}

// Whether a record made at second `at` is less than `span` seconds old at second `now`.
bool within(std::uint32_t at, std::uint32_t now, std::uint32_t span) noexcept { return at <= now && now - at < span; }

double part(double value, double limit) noexcept {
  if (limit <= 0) return 0;
  return std::min(1.0, value / limit);
}

void append(std::string& out, const std::string& item) {
  if (!out.empty()) out += "; ";
  out += item;
}

}  // namespace

std::string_view to_string(SpitVerdict v) noexcept {
  switch (v) {
    case SpitVerdict::Accept: return "accept";
    case SpitVerdict::Reject: return "reject";
    case SpitVerdict::Divert: return "divert";
  }
  return "accept";
}

SpitScorer::SpitScorer(const SpitConfig& config, const KeyedHash& hash)
    : config_(config), hash_(hash), callers_(config.max_callers) {
  config_.max_callees = std::min(config_.max_callees, kMaxCalls);
}

SpitScore SpitScorer::score(std::string_view caller, std::string_view callee, bool external, base::TimePoint now) {
  return score_key(hash_(caller), callee, external, now);
}

SpitScore SpitScorer::score(const Address& caller, std::string_view callee, bool external, base::TimePoint now) {
  return score_key(hash_(caller), callee, external, now);
}

void SpitScorer::on_call_ended(std::string_view caller, base::Duration duration, base::TimePoint now) {
  ended_key(hash_(caller), duration, now);
}

void SpitScorer::on_call_ended(const Address& caller, base::Duration duration, base::TimePoint now) {
  ended_key(hash_(caller), duration, now);
}

void SpitScorer::ended_key(std::uint64_t key, base::Duration duration, base::TimePoint now) {
  auto [st, created] = callers_.insert(key, key);
  (void)created;
  const std::uint8_t i = st.next_ended;
  st.ended_at[i] = seconds_of(now);
  const std::uint32_t bit = std::uint32_t{1} << i;
  st.short_mask = duration < config_.short_call ? (st.short_mask | bit) : (st.short_mask & ~bit);
  st.next_ended = static_cast<std::uint8_t>((i + 1) % kMaxEnded);
  if (st.ended < kMaxEnded) ++st.ended;
}

SpitScore SpitScorer::score_key(std::uint64_t key, std::string_view callee, bool external, base::TimePoint now) {
  auto [st, created] = callers_.insert(key, key);
  (void)created;
  const std::uint32_t now_s = seconds_of(now);
  const std::uint32_t window_s = seconds_of(config_.window);

  // Count this call.
  st.call_at[st.next_call] = now_s;
  st.callee[st.next_call] = static_cast<std::uint32_t>(hash_(callee));
  st.next_call = static_cast<std::uint8_t>((st.next_call + 1) % kMaxCalls);
  if (st.calls < kMaxCalls) ++st.calls;

  SpitScore out;
  SpitFeatures& f = out.features;
  f.external = external;
  std::uint32_t seen[kMaxCalls];
  unsigned distinct = 0;
  for (unsigned i = 0; i < st.calls; ++i) {
    if (within(st.call_at[i], now_s, 60)) ++f.calls_last_minute;
    if (!within(st.call_at[i], now_s, window_s)) continue;
    if (std::find(seen, seen + distinct, st.callee[i]) == seen + distinct) seen[distinct++] = st.callee[i];
  }
  f.distinct_callees = distinct;
  for (unsigned i = 0; i < st.ended; ++i) {
    if (!within(st.ended_at[i], now_s, window_s)) continue;
    ++f.answered;
    if ((st.short_mask >> i) & 1u) ++f.short_calls;
  }

  const double fraction = f.answered == 0 ? 0.0 : static_cast<double>(f.short_calls) / f.answered;
  const bool shorts_count = f.answered > 0 && f.answered >= config_.min_answered;
  SpitComponents& c = out.components;
  c.rate = config_.weight_rate * part(f.calls_last_minute, config_.max_calls_per_minute);
  c.fan_out = config_.weight_fan_out * part(f.distinct_callees, config_.max_callees);
  c.short_calls = shorts_count ? config_.weight_short * part(fraction, config_.max_short_fraction) : 0.0;
  c.external = external ? config_.weight_external : 0.0;
  out.score = c.rate + c.fan_out + c.short_calls + c.external;

  // A small tolerance so that parts that add up to the threshold on paper do so in binary too.
  if (out.score + 1e-9 < config_.threshold) return out;
  out.verdict = config_.divert_to.empty() ? SpitVerdict::Reject : SpitVerdict::Divert;
  const unsigned window_secs = window_s;
  if (config_.max_calls_per_minute > 0 && f.calls_last_minute >= config_.max_calls_per_minute) {
    append(out.reason, std::to_string(f.calls_last_minute) + " calls in the last minute (limit " +
                           std::to_string(config_.max_calls_per_minute) + ")");
  }
  if (config_.max_callees > 0 && f.distinct_callees >= config_.max_callees) {
    append(out.reason, std::to_string(f.distinct_callees) + " distinct callees in " + std::to_string(window_secs) +
                           " s (limit " + std::to_string(config_.max_callees) + ")");
  }
  if (shorts_count && config_.max_short_fraction > 0 && fraction >= config_.max_short_fraction) {
    const auto short_secs = std::chrono::duration_cast<std::chrono::seconds>(config_.short_call).count();
    append(out.reason, std::to_string(f.short_calls) + " of " + std::to_string(f.answered) +
                           " answered calls shorter than " + std::to_string(short_secs) +
                           " s (limit " + std::to_string(static_cast<int>(config_.max_short_fraction * 100 + 0.5)) +
                           "%)");
  }
  if (external) append(out.reason, "caller from outside");
  char score_text[32];
  std::snprintf(score_text, sizeof score_text, "score %.2f (threshold %.2f)", out.score, config_.threshold);
  append(out.reason, score_text);
  return out;
}

}  // namespace warden::shield
