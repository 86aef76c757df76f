#pragma once
// Shield: the defences of this folder behind one object, as the proxy calls them. It owns the
// admission gate, the ban list, the brute-force tracker and the scan detector, wires their
// findings into bans, and keeps the security events and counters.
//
// When the proxy calls what (all on its event loop, with `now` from its monotonic clock):
//   admit(source, now)               every datagram / every stream message, before parsing.
//                                    Admit: go on. Drop: discard silently. Overloaded: answer a
//                                    request 503 with Retry-After: verdict.retry_after, drop the rest.
//   inspect(source, facts, now)      every out-of-dialog request after parsing, before
//                                    authentication. Drop (cause Scanner): the source was just
//                                    banned; discard the request without an answer.
//   on_auth_failure(source, account, now)
//                                    credentials that did not verify. Delay the 401/403 by
//                                    .tarpit (a timer); if .banned, send nothing at all.
//   on_auth_success(source, account, now)
//                                    credentials that verified: the source becomes trusted
//                                    (priority under overload, exempt from enumeration checks).
//   take_ban_changes()               after any call that may ban: save_bans() them to the store.
//   take_events()                    whenever convenient: log_event() each one.
// At start, before traffic: load_bans(store, shield.bans(), now, wall_now) (ban_store.hpp).
//
// `allow` lists networks that are never rate limited by source or network, never inspected,
// never banned and always trusted (peer servers, the operator's own networks); they still count
// against the global capacity, with trusted priority. Brute force from one of them makes a
// BanRefused event instead of a ban.
// Memory: the sum of the tables' maxima, allocated by the constructor: about 20 MB with the
// defaults (admission 7, bans 7, brute force 2, scan records 3), plus at most
// `max_pending_events` events waiting to be taken.
// Thread-safety: none (one Shield per event loop). Errors: none.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "shield/address.hpp"
#include "shield/admission.hpp"
#include "shield/ban_list.hpp"
#include "shield/brute_force.hpp"
#include "shield/keyed_hash.hpp"
#include "shield/scan_detector.hpp"
#include "shield/security_event.hpp"
#include "shield/verdict.hpp"

namespace warden::shield {

struct ShieldConfig {
  KeyedHash::Key hash_key{};   // fill from the CSPRNG (crypto::Csprng) in production
  std::vector<Network> allow;  // see above; empty by default
  AdmissionConfig admission;
  BanConfig bans;
  BruteForceConfig brute_force;
  ScanConfig scan;
  std::size_t max_pending_events = 1024;  // beyond that, events are counted in Stats::events_lost
};

class Shield {
 public:
  explicit Shield(ShieldConfig config);
  Shield(const Shield&) = delete;
  Shield& operator=(const Shield&) = delete;

  Verdict admit(const Address& source, base::TimePoint now);
  Verdict inspect(const Address& source, const RequestFacts& facts, base::TimePoint now);

  struct AuthVerdict {
    base::Duration tarpit{};  // delay the answer by this much
    bool banned = false;      // the source is banned now: do not answer
  };
  AuthVerdict on_auth_failure(const Address& source, std::string_view account, base::TimePoint now);
  void on_auth_success(const Address& source, std::string_view account, base::TimePoint now);
  // The delay for any answer to `source` (its recent failures), for answers other than the failure's.
  base::Duration tarpit(const Address& source, base::TimePoint now) const;

  // Bans `source` for a reason found elsewhere (another detector, an operator). False when the
  // source is allowed or already banned.
  bool ban(const Address& source, std::string_view reason, base::TimePoint now);
  bool unban(const Address& source) { return bans_.unban(source); }
  bool is_banned(const Address& source, base::TimePoint now) { return bans_.is_banned(source, now); }
  bool is_trusted(const Address& source, base::TimePoint now) const;
  bool is_allowed(const Address& source) const noexcept;

  // Records an event found by the caller (the proxy's dialog protection, caller rules, SPIT
  // scoring): counted, and queued for take_events(). `reason` in our words and numbers only.
  void report(EventKind kind, const Address& source, std::string_view account, std::string reason,
              base::TimePoint now) {
    emit(kind, source, account, std::move(reason), now);
  }

  BanList& bans() noexcept { return bans_; }
  std::vector<BanChange> take_ban_changes() { return bans_.take_changes(); }
  std::vector<SecurityEvent> take_events();
  const EventCounters& counters() const noexcept { return counters_; }

  struct Stats {
    std::uint64_t admitted = 0;
    std::uint64_t dropped_banned = 0;
    std::uint64_t dropped_source_rate = 0;
    std::uint64_t dropped_network_rate = 0;
    std::uint64_t shed_overload = 0;
    std::uint64_t events_lost = 0;
    std::size_t bans = 0;  // records in the ban list, ended ones still remembered included
    Admission::Stats admission;
  };
  Stats stats() const noexcept;

 private:
  // Counts a verdict of the admission gate and makes the event of a first refusal.
  Verdict account(Verdict v, const Address& source, base::TimePoint now);
  void emit(EventKind kind, const Address& source, std::string_view account, std::string reason,
            base::TimePoint now);
  // Bans for a detector's finding, with its event; false if the source is allowed.
  bool ban_for(EventKind kind, const Address& source, std::string_view account, std::string reason,
               base::TimePoint now);

  ShieldConfig config_;
  KeyedHash hash_;
  Admission admission_;
  BanList bans_;
  BruteForceTracker brute_force_;
  ScanDetector scan_;
  EventCounters counters_;
  std::vector<SecurityEvent> events_;
  Stats stats_;
};

}  // namespace warden::shield
