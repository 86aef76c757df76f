#pragma once
// BanList: source addresses that get no service for a while, against attackers that have shown
// themselves (scanners, password guessers; the detectors in this folder decide, the list only
// remembers). A banned source's packets are dropped before parsing.
//
// Escalation: the first ban of a source lasts `first`; each new ban of the same source after the
// previous one ended lasts twice the previous one, at most `longest`. The list remembers a
// source for `remember` after its ban ends, so an attacker who comes back the next day gets the
// next level, not the first. Banning a source that is banned now changes nothing (a burst of
// detections is one ban, not five levels).
//
// is_banned() is one keyed hash and one table look-up, no allocation. Memory is fixed: at most
// `max_entries` records; when full, the least recently *active* record is evicted (a source
// that keeps sending is touched by every look-up; one that went quiet is not), so an
// attacker cannot flush the ban of a source that is still attacking by getting many addresses
// of its own banned.
//
// Persistence: every ban and unban is queued as a BanChange; the owner takes them
// (take_changes()) and writes them through the store (ban_store.hpp), which gives them back at
// start (restore()). Times here are monotonic; ban_store converts them to Unix time.
// Thread-safety: none. Errors: none.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "shield/address.hpp"
#include "shield/keyed_hash.hpp"
#include "shield/lru_table.hpp"

namespace warden::shield {

struct BanConfig {
  base::Duration first = std::chrono::minutes(10);
  base::Duration longest = std::chrono::hours(24);
  base::Duration remember = std::chrono::hours(24 * 7);  // after the ban ends, for escalation
  std::size_t max_entries = 65536;
  std::size_t max_reason_bytes = 200;  // longer reasons are cut
};

// One record of the list.
struct BanRecord {
  base::TimePoint until{};       // banned while now < until
  base::TimePoint keep_until{};  // forgotten from then on (until + remember)
  unsigned level = 0;            // 1 for a first ban
  std::string reason;
};

// A change to persist: Put writes the record of `address`, Remove deletes it.
struct BanChange {
  enum class Op : std::uint8_t { Put, Remove };
  Op op = Op::Put;
  Address address;
  BanRecord record;  // Put only
};

class BanList {
 public:
  // `hash` must outlive the list.
  BanList(const BanConfig& config, const KeyedHash& hash);

  struct Outcome {
    bool is_new = false;  // false: the source was banned already, nothing changed
    unsigned level = 0;
    base::TimePoint until{};
  };
  // Bans `source` from `now` (see escalation above) for `reason`.
  Outcome ban(const Address& source, std::string_view reason, base::TimePoint now);

  bool is_banned(const Address& source, base::TimePoint now) { return is_banned(source, hash_(source), now); }
  bool is_banned(const Address& source, std::uint64_t source_hash, base::TimePoint now);
  // The record of `source` (banned now or remembered), or nullptr.
  const BanRecord* find(const Address& source) const;

  // Lifts the ban of `source` and forgets its level (an operator's decision). False if unknown.
  bool unban(const Address& source);

  // Puts back a record read from the store; replaces any record of `source`; queues no change.
  // Records already forgotten (keep_until <= now) are ignored.
  void restore(const Address& source, const BanRecord& record, base::TimePoint now);

  // The changes since the last call, oldest first. At most max_entries are queued; beyond that the
  // oldest are dropped and counted in changes_lost().
  std::vector<BanChange> take_changes();

  std::size_t size() const noexcept { return table_.size(); }  // records, ended bans included
  std::uint64_t evictions() const noexcept { return table_.evictions(); }
  std::uint64_t changes_lost() const noexcept { return changes_lost_; }

  // Calls f(address, record) for every record, most recently active first.
  template <class F>
  void for_each(F&& f) const {
    table_.for_each(f);
  }

 private:
  void queue(BanChange change);
  base::Duration duration_of(unsigned level) const noexcept;

  BanConfig config_;
  const KeyedHash& hash_;
  LruTable<Address, BanRecord> table_;
  std::vector<BanChange> changes_;
  std::uint64_t changes_lost_ = 0;
};

}  // namespace warden::shield
