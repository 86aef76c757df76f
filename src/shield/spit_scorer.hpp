#pragma once
// SpitScorer: against SPIT (spam over IP telephony: robocalls, telemarketing, the ringing
// "wangiri" one-ring calls). It scores each new call by how its caller has behaved lately, a
// local form of the reputation systems of RFC 5039 §3.5 built on the call-pattern features of
// the SPIT literature (the call rate of Shin et al.'s progressive multi gray-leveling, the
// short call durations of Kolan and Dantu's voice-spam defence, plus the number of distinct
// callees), and refuses or diverts callers that behave like machines. It never looks at media
// or content.
//
// The caller is a key: the authenticated account ("alice@example.test"), or the source address
// for calls from outside that carry no credentials. Features over a sliding window per caller:
//  - call rate: calls begun in the last minute, this one included;
//  - fan-out: distinct callees among the calls of the last `window`, this one included;
//  - short calls: the fraction of answered calls ended in the last `window` that lasted less
//    than `short_call` (a person who picks up a robocall hangs up at once). Counted only from
//    `min_answered` answered calls on: one hang-up says nothing;
//  - external: the proxy says the caller is not one of our users (its domain is unknown or
//    foreign, or it did not authenticate).
// Each feature is divided by its limit and capped at 1; the score is the weighted sum of those
// parts (each part's weight is its share of the score):
//     score = w_rate·min(1, rate/limit) + w_fan_out·min(1, callees/limit)
//           + w_short·min(1, fraction/limit) + w_external·external
// With the defaults (weights 0.35 + 0.35 + 0.2 + 0.1, threshold 0.7) a caller is refused only
// when at least two features are high at once: a person calling 5 people in 10 minutes scores
// about 0.15, a burst of 5 calls in one minute about 0.3, a call centre agent dialling a new
// number every minute about 0.3 to 0.6. A dialler placing 30 calls a minute to 30 numbers is
// refused from its 15th call (11th if external), from its 9th when most of its answered calls
// are hung up within seconds, and stays refused while it keeps dialling.
// Every call is counted, refused ones too: a refused robocaller keeps its score up.
//
// Verdict: Accept, or, at or over `threshold`, Reject (the proxy answers 603 Decline,
// RFC 3261 §21.6.2) or Divert when `divert_to` is set (the proxy routes the call there
// instead: a voicemail box, an announcement, a CAPTCHA-style IVR).
// Memory is fixed: `max_callers` records of about 420 bytes (7 MB with the defaults), the
// least recently calling evicted; each remembers its last kMaxCalls calls and kMaxEnded ended
// calls, callees as 32-bit keyed hashes, times in whole seconds. Only the reason of a refusal
// allocates. Thread-safety: none. Errors: none.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/clock.hpp"
#include "shield/address.hpp"
#include "shield/keyed_hash.hpp"
#include "shield/lru_table.hpp"

namespace warden::shield {

struct SpitConfig {
  base::Duration window = std::chrono::minutes(10);  // for fan-out and short calls
  base::Duration short_call = std::chrono::seconds(10);
  // Limits: a feature at or over its limit gives its whole weight.
  unsigned max_calls_per_minute = 10;
  unsigned max_callees = 15;            // distinct, in `window`; at most kMaxCalls
  double max_short_fraction = 0.6;
  unsigned min_answered = 5;            // answered calls in `window` before short calls count
  // Weights and the threshold of the score.
  double weight_rate = 0.35;
  double weight_fan_out = 0.35;
  double weight_short = 0.2;
  double weight_external = 0.1;
  double threshold = 0.7;
  // What to do at or over the threshold: divert here when set (a SIP URI the proxy routes the
  // call to), reject with 603 when empty.
  std::string divert_to;
  std::size_t max_callers = 16384;
};

enum class SpitVerdict : std::uint8_t { Accept, Reject, Divert };

std::string_view to_string(SpitVerdict v) noexcept;

// The features of one caller at the time of a call.
struct SpitFeatures {
  unsigned calls_last_minute = 0;
  unsigned distinct_callees = 0;
  unsigned answered = 0;     // answered calls ended in the window
  unsigned short_calls = 0;  // of those, shorter than short_call
  bool external = false;
};

// Each feature's share of the score (weight × part); they add up to the score.
struct SpitComponents {
  double rate = 0;
  double fan_out = 0;
  double short_calls = 0;
  double external = 0;
};

struct SpitScore {
  double score = 0;
  SpitFeatures features;
  SpitComponents components;
  SpitVerdict verdict = SpitVerdict::Accept;
  // Empty on Accept; else the features at or over their limits, in our words and numbers
  // ("31 calls in the last minute (limit 10); 31 distinct callees in 600 s (limit 15)").
  std::string reason;

  bool accepted() const noexcept { return verdict == SpitVerdict::Accept; }
};

class SpitScorer {
 public:
  static constexpr unsigned kMaxCalls = 32;
  static constexpr unsigned kMaxEnded = 32;

  // `hash` must outlive the scorer.
  SpitScorer(const SpitConfig& config, const KeyedHash& hash);

  // A new call from `caller` to `callee` ("bob@example.test"): counts it and scores it.
  // `external`: the caller is not an authenticated user of ours.
  SpitScore score(std::string_view caller, std::string_view callee, bool external, base::TimePoint now);
  // The same for a caller known only by its address.
  SpitScore score(const Address& caller, std::string_view callee, bool external, base::TimePoint now);

  // An answered call of `caller` ended (BYE) after `duration` from its answer.
  void on_call_ended(std::string_view caller, base::Duration duration, base::TimePoint now);
  void on_call_ended(const Address& caller, base::Duration duration, base::TimePoint now);

  const SpitConfig& config() const noexcept { return config_; }

 private:
  struct CallerState {
    std::uint32_t call_at[kMaxCalls] = {};  // a ring of the last calls: start second
    std::uint32_t callee[kMaxCalls] = {};   // and callee hash
    std::uint32_t ended_at[kMaxEnded] = {}; // a ring of the last answered calls ended: end second
    std::uint32_t short_mask = 0;           // bit i: ended call i was short
    std::uint8_t next_call = 0, calls = 0, next_ended = 0, ended = 0;
  };

  SpitScore score_key(std::uint64_t key, std::string_view callee, bool external, base::TimePoint now);
  void ended_key(std::uint64_t key, base::Duration duration, base::TimePoint now);

  SpitConfig config_;
  const KeyedHash& hash_;
  LruTable<std::uint64_t, CallerState> callers_;
};

}  // namespace warden::shield
