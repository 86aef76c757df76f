#pragma once
// Admission: the per-packet gate in front of the parser, against floods (INVITE/REGISTER
// floods from one source, from one network, and from many sources at once).
//
// A packet from source S is admitted when, in order:
//  1. S's own token bucket has a token (`per_source`), or, for a *trusted* S, its trusted bucket
//     (`per_trusted_source`, larger). Trusted sources are those that authenticated successfully
//     in the last `trusted_for` (trust() after a 200 to an authenticated request);
//  2. S's network (the /24 of an IPv4 address, the /64 of an IPv6 one: what one customer or one
//     attacker usually holds) has a token (`per_network`); trusted sources skip this check, so an
//     attacker in the same network as a registered user cannot starve the user;
//  3. the global gate has room: every admitted packet takes a token from one bucket refilled at
//     `capacity` packets a second. Unknown sources only get tokens while more than
//     `trusted_reserve` of the bucket is left; trusted sources may use all of it. Under a
//     flood from many sources the unknown ones are shed first and registered users keep working.
// 1 and 2 refuse with Drop (a flood gets no answer); 3 with Overloaded (503 + Retry-After).
// Retry-After is `retry_after` plus a per-source spread of up to `retry_spread` (from the
// source's hash, so that shed clients do not all come back in the same second).
//
// Memory is fixed: at most `max_sources`, `max_networks` and `max_trusted` entries, allocated
// up front; when full, the least recently seen source (network, trusted source) is evicted.
// Unauthenticated traffic cannot push out trusted entries: they have their own table, filled
// only by trust(). A source evicted and seen again starts with a full bucket; that is bounded
// by the network bucket and the global gate.
// Cost per packet for a known source: two keyed hashes, three table look-ups, no allocation.
// Thread-safety: none (one Admission per event loop). Errors: none.

#include <cstddef>
#include <cstdint>

#include "base/clock.hpp"
#include "shield/address.hpp"
#include "shield/keyed_hash.hpp"
#include "shield/lru_table.hpp"
#include "shield/token_bucket.hpp"
#include "shield/verdict.hpp"

namespace warden::shield {

struct AdmissionConfig {
  Rate per_source{100, 200};            // packets a second, burst, for an unknown source
  Rate per_trusted_source{2000, 4000};  // for a source that authenticated recently
  Rate per_network{500, 1000};          // all unknown sources of one /24 or /64 together
  unsigned v4_network_bits = 24;
  unsigned v6_network_bits = 64;
  double capacity = 10000;        // packets a second the server handles (global gate)
  double capacity_burst = 10000;  // the gate's bucket size
  double trusted_reserve = 0.3;   // fraction of the gate's bucket only trusted sources may use
  base::Duration trusted_for = std::chrono::hours(1);
  base::Duration retry_after = std::chrono::seconds(5);
  base::Duration retry_spread = std::chrono::seconds(10);
  // A refusal makes an event (Verdict::first) at most once per source, network or overload in
  // this time; the others are only counted. A flood over the rate gets a token now and then, so
  // "first after an admitted packet" would report it ten times a second.
  base::Duration report_every = std::chrono::seconds(60);
  std::size_t max_sources = 65536;
  std::size_t max_networks = 16384;
  std::size_t max_trusted = 16384;
};

class Admission {
 public:
  // `hash` must outlive the Admission.
  Admission(const AdmissionConfig& config, const KeyedHash& hash);

  Verdict admit(const Address& source, base::TimePoint now) { return admit(source, hash_(source), now); }
  // With the source's hash already computed (KeyedHash of `source`).
  Verdict admit(const Address& source, std::uint64_t source_hash, base::TimePoint now);

  // For a source the operator allows (ShieldConfig::allow): only the global gate, as trusted.
  Verdict admit_allowed(std::uint64_t source_hash, base::TimePoint now) { return gate(true, source_hash, now); }

  // `source` authenticated successfully: trusted until now + trusted_for.
  void trust(const Address& source, base::TimePoint now);
  void distrust(const Address& source);
  bool is_trusted(const Address& source, base::TimePoint now) const;

  // True while the global gate is shedding unknown sources.
  bool shedding() const noexcept { return shedding_; }

  struct Stats {
    std::size_t sources = 0, networks = 0, trusted = 0;   // entries now
    std::uint64_t evicted_sources = 0, evicted_networks = 0, evicted_trusted = 0;
  };
  Stats stats() const noexcept;

 private:
  static constexpr base::TimePoint kNever = base::TimePoint::min();

  struct SourceState {
    TokenBucket bucket;
    base::TimePoint reported = kNever;  // the last refusal that made an event
  };
  struct TrustedState {
    base::TimePoint until{};
    TokenBucket bucket;
    base::TimePoint reported = kNever;
  };

  // Whether a refusal now makes an event; updates `reported`.
  bool report(base::TimePoint& reported, base::TimePoint now) const noexcept {
    if (reported != kNever && now < reported + config_.report_every) return false;
    reported = now;
    return true;
  }

  Verdict gate(bool trusted, std::uint64_t source_hash, base::TimePoint now);

  AdmissionConfig config_;
  const KeyedHash& hash_;
  LruTable<Address, SourceState> sources_;
  LruTable<Address, SourceState> networks_;
  LruTable<Address, TrustedState> trusted_;
  TokenBucket global_;
  bool shedding_ = false;
  base::TimePoint overload_reported_ = kNever;
};

}  // namespace warden::shield
