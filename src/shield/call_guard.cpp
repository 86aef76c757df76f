#include "shield/call_guard.hpp"

#include <algorithm>

namespace warden::shield {

namespace {

// Whole seconds since the clock's epoch, for the compact call records.
std::uint32_t seconds_of(base::TimePoint t) noexcept {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(s, 0, 0xffffffffLL));
}

std::uint32_t seconds_of(base::Duration d) noexcept {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(s, 1, 0xffffffffLL));
}

}  // namespace

std::string_view to_string(CallDecision d) noexcept {
  switch (d) {
    case CallDecision::Allowed: return "allowed";
    case CallDecision::TooManyConcurrent: return "too many concurrent calls";
    case CallDecision::TooManyAttempts: return "too many call attempts";
  }
  return "allowed";
}

CallGuard::CallGuard(const CallGuardConfig& config, const KeyedHash& hash)
    : config_(config), hash_(hash), accounts_(config.max_accounts) {
  config_.max_concurrent_calls = std::min(config_.max_concurrent_calls, kMaxConcurrentCalls);
  const double per_minute = config_.max_attempts_per_minute;
  attempt_rate_ = Rate{per_minute / 60.0, std::max(per_minute, 1.0)};
}

unsigned CallGuard::forget_old(AccountState& st, base::TimePoint now) const noexcept {
  const std::uint32_t now_s = seconds_of(now);
  const std::uint32_t longest = seconds_of(config_.max_call_duration);
  unsigned removed = 0;
  for (std::uint8_t i = 0; i < st.active;) {
    if (now_s >= st.calls[i].start && now_s - st.calls[i].start >= longest) {
      st.calls[i] = st.calls[--st.active];
      ++removed;
    } else {
      ++i;
    }
  }
  return removed;
}

CallVerdict CallGuard::refuse(AccountState& st, CallDecision d, std::string reason) {
  CallVerdict v{d, std::move(reason), !st.refusing};
  st.refusing = true;
  if (d == CallDecision::TooManyConcurrent) {
    ++stats_.refused_concurrent;
  } else {
    ++stats_.refused_attempts;
  }
  return v;
}

CallVerdict CallGuard::begin(std::string_view account, std::string_view call_id, base::TimePoint now) {
  const std::uint64_t key = hash_(account);
  auto [st, created] = accounts_.insert(key, key);
  if (created) st.attempts.fill(attempt_rate_, now);
  stats_.forgotten += forget_old(st, now);

  if (config_.max_attempts_per_minute > 0 && !st.attempts.take(attempt_rate_, now)) {
    return refuse(st, CallDecision::TooManyAttempts,
                  "more than " + std::to_string(config_.max_attempts_per_minute) +
                      " call attempts a minute from this account");
  }
  const unsigned cap = config_.max_concurrent_calls;
  if (cap > 0 && st.active >= cap) {
    return refuse(st, CallDecision::TooManyConcurrent,
                  std::to_string(st.active) + " calls in progress for this account (limit " +
                      std::to_string(cap) + ")");
  }
  if (cap > 0) st.calls[st.active++] = Call{static_cast<std::uint32_t>(hash_(call_id)), seconds_of(now)};
  st.refusing = false;
  ++stats_.begun;
  return {};
}

void CallGuard::end(std::string_view account, std::string_view call_id, std::optional<base::TimePoint> answered_at,
                    base::TimePoint ended_at) {
  const std::uint64_t key = hash_(account);
  AccountState* st = accounts_.find(key, key);
  if (st == nullptr) return;
  stats_.forgotten += forget_old(*st, ended_at);
  const auto id = static_cast<std::uint32_t>(hash_(call_id));
  for (std::uint8_t i = 0; i < st->active; ++i) {
    if (st->calls[i].id != id) continue;
    st->calls[i] = st->calls[--st->active];
    ++stats_.ended;
    if (answered_at && ended_at >= *answered_at) {
      ++stats_.answered;
      stats_.talk_time += ended_at - *answered_at;
    }
    return;
  }
}

unsigned CallGuard::active_calls(std::string_view account, base::TimePoint now) const {
  const std::uint64_t key = hash_(account);
  const AccountState* st = accounts_.find(key, key);
  if (st == nullptr) return 0;
  const std::uint32_t now_s = seconds_of(now);
  const std::uint32_t longest = seconds_of(config_.max_call_duration);
  unsigned n = 0;
  for (std::uint8_t i = 0; i < st->active; ++i) {
    if (!(now_s >= st->calls[i].start && now_s - st->calls[i].start >= longest)) ++n;
  }
  return n;
}

}  // namespace warden::shield
