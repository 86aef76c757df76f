#pragma once
// BruteForceTracker: against password guessing (svcrack, dictionary attacks on digest
// authentication) and password spraying (one password tried on many accounts).
//
// The proxy reports every request whose credentials did not verify (on_failure(): a wrong
// digest response, an unknown user in the credentials) — not the first unauthenticated request
// that gets its challenge, and not a stale nonce (RFC 7616 §3.3 stale=true), which are normal.
// Failures are counted per source and per (source, account) in a window that starts with the
// first failure and lasts `window`. When a source reaches `max_failures` failures in its window,
// or `max_failures_per_account` against one account, the outcome says to ban the *source*.
// The account is never locked: its owner, calling from elsewhere, is not affected, and a
// success from another source changes nothing here.
//
// Tarpit: each failure also gives a delay for the answer to that source, `tarpit_first` after
// the first failure in the window, doubling with each failure, at most `tarpit_longest`. The
// proxy holds the answer on a timer (never a sleep): the guesser waits, the server does not.
// A success of (source, account) clears that pair's count; the source's count stays (an
// attacker who owns one account must not launder failures on others with it).
//
// Memory is fixed: at most `max_sources` source counters and `max_pairs` (source, account)
// counters; when full, the least recently failing one is evicted. Accounts are kept as a keyed
// 64-bit hash, not as text: nothing here allocates after construction.
// Thread-safety: none. Errors: none.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/clock.hpp"
#include "shield/address.hpp"
#include "shield/keyed_hash.hpp"
#include "shield/lru_table.hpp"

namespace warden::shield {

struct BruteForceConfig {
  unsigned max_failures = 10;             // from one source, any accounts, in one window
  unsigned max_failures_per_account = 5;  // from one source against one account, in one window
  base::Duration window = std::chrono::minutes(10);
  base::Duration tarpit_first = std::chrono::milliseconds(500);
  base::Duration tarpit_longest = std::chrono::seconds(8);
  std::size_t max_sources = 16384;
  std::size_t max_pairs = 16384;
};

class BruteForceTracker {
 public:
  // `hash` must outlive the tracker.
  BruteForceTracker(const BruteForceConfig& config, const KeyedHash& hash);

  struct Outcome {
    unsigned source_failures = 0;   // in the source's current window, this one included
    unsigned account_failures = 0;  // same, against this account
    base::Duration tarpit{};        // delay the answer by this much
    bool ban = false;               // a threshold is reached: ban the source
  };
  // `account` as the proxy names it ("alice@example.test"); an empty one counts for the source only.
  Outcome on_failure(const Address& source, std::string_view account, base::TimePoint now);
  void on_success(const Address& source, std::string_view account, base::TimePoint now);

  // The delay for any answer to `source` now (zero without failures in its window).
  base::Duration tarpit(const Address& source, base::TimePoint now) const;

  const BruteForceConfig& config() const noexcept { return config_; }

 private:
  struct Counter {
    base::TimePoint start{};
    unsigned count = 0;
  };
  struct Pair {
    Address source;
    std::uint64_t account = 0;
    friend bool operator==(const Pair&, const Pair&) = default;
  };

  unsigned bump(Counter& c, bool created, base::TimePoint now) const noexcept;
  base::Duration delay_for(unsigned failures) const noexcept;

  BruteForceConfig config_;
  const KeyedHash& hash_;
  LruTable<Address, Counter> sources_;
  LruTable<Pair, Counter> pairs_;
};

}  // namespace warden::shield
