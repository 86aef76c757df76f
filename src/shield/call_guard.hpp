#pragma once
// CallGuard: per-account call limits, against toll fraud with stolen credentials. Whoever
// holds an account's password (guessed, phished, read off a hacked phone) sells calls through
// it: many calls at once, and new attempts as fast as the dialler can send them. Ordinary
// users never come near either limit, so refusing beyond them costs them nothing and caps the
// bill the fraud can run up. (The channel limit a telephone switch puts on a trunk group,
// applied to one account.)
//
// Two limits per account:
//  - concurrent calls: at most `max_concurrent_calls` in progress. begin() counts a call from
//    the moment its INVITE is accepted for routing; end() stops counting it. A call that never
//    ends (a lost BYE, a crashed phone, a proxy that forgot to call end()) is forgotten once it
//    is `max_call_duration` old, so the count cannot creep up and lock the account out;
//  - attempts: a token bucket per account holding `max_attempts_per_minute` tokens and
//    refilled at that many a minute; each begin() takes one. A burst of the whole allowance
//    may go at once, then attempts pass at the refill rate (one every 2 s with the default).
// An attempt refused for its rate does not count as a call; one refused for concurrency has
// used its token (it was an attempt).
//
// The proxy calls begin() once for each initial INVITE from an authenticated local user (after
// authentication: the challenged first try is not an attempt), and end() once when that call
// ends for any reason: BYE, a final failure response, CANCEL, Timer C. Each begin() counts one
// call, even with a Call-ID seen before: a fraudster cannot fit more calls under the limit by
// reusing one Call-ID. end() for a call it does not know does nothing.
//
// Memory is fixed: `max_accounts` records of about 300 bytes (5 MB with the defaults), the
// least recently active evicted (only authenticated users reach this, so evicting is rare; an
// evicted account starts again from nothing). Accounts and Call-IDs are kept as keyed hashes. Only the reason of a
// refusal allocates. Thread-safety: none. Errors: none.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.hpp"
#include "shield/keyed_hash.hpp"
#include "shield/lru_table.hpp"
#include "shield/token_bucket.hpp"

namespace warden::shield {

struct CallGuardConfig {
  // Per account; at most kMaxConcurrentCalls; 0: no limit (and calls are not tracked).
  unsigned max_concurrent_calls = 10;
  unsigned max_attempts_per_minute = 30;  // per account; 0: no limit
  base::Duration max_call_duration = std::chrono::hours(4);  // older calls are forgotten
  std::size_t max_accounts = 16384;
};

enum class CallDecision : std::uint8_t {
  Allowed,
  TooManyConcurrent,  // the account has max_concurrent_calls in progress
  TooManyAttempts,    // the account is over max_attempts_per_minute
};

std::string_view to_string(CallDecision d) noexcept;

struct CallVerdict {
  CallDecision decision = CallDecision::Allowed;
  std::string reason;  // empty when allowed; our words and numbers only
  // The first refusal since this account was last allowed: report it (EventKind::CallLimit);
  // the following ones only count.
  bool first = false;

  bool allowed() const noexcept { return decision == CallDecision::Allowed; }
};

class CallGuard {
 public:
  static constexpr unsigned kMaxConcurrentCalls = 32;

  // `hash` must outlive the guard.
  CallGuard(const CallGuardConfig& config, const KeyedHash& hash);

  // A new call from `account` ("alice@example.test") with this Call-ID. If the verdict is
  // Allowed the call counts until end(); otherwise it does not count and must be refused.
  CallVerdict begin(std::string_view account, std::string_view call_id, base::TimePoint now);
  // The call ended. `answered_at`: when it was answered (a 2xx), or nothing if it never was.
  void end(std::string_view account, std::string_view call_id, std::optional<base::TimePoint> answered_at,
           base::TimePoint ended_at);

  // Calls of `account` in progress now (those older than max_call_duration not counted).
  unsigned active_calls(std::string_view account, base::TimePoint now) const;

  struct Stats {
    std::uint64_t begun = 0;
    std::uint64_t ended = 0;
    std::uint64_t forgotten = 0;  // calls dropped for being older than max_call_duration
    std::uint64_t refused_concurrent = 0;
    std::uint64_t refused_attempts = 0;
    std::uint64_t answered = 0;        // ended calls that had been answered
    base::Duration talk_time{};        // their total time from answer to end
  };
  const Stats& stats() const noexcept { return stats_; }
  const CallGuardConfig& config() const noexcept { return config_; }

 private:
  // 8 bytes: 32 bits of the Call-ID's keyed hash (two calls of one account sharing them is
  // harmless: end() removes one entry either way), and the start in whole seconds of the clock.
  struct Call {
    std::uint32_t id = 0;
    std::uint32_t start = 0;
  };
  struct AccountState {
    TokenBucket attempts;
    Call calls[kMaxConcurrentCalls];
    std::uint8_t active = 0;
    bool refusing = false;
  };

  // Removes the calls of `st` that are max_call_duration old at `now`; returns how many.
  unsigned forget_old(AccountState& st, base::TimePoint now) const noexcept;
  CallVerdict refuse(AccountState& st, CallDecision d, std::string reason);

  CallGuardConfig config_;
  Rate attempt_rate_;
  const KeyedHash& hash_;
  LruTable<std::uint64_t, AccountState> accounts_;
  Stats stats_;
};

}  // namespace warden::shield
