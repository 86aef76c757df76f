#pragma once
// SecurityEvent: one thing the shield saw or did that an operator should know about, and
// EventCounters, the number of each kind since start (for the admin metrics later).
// Events are made on changes, not per packet: the first refused packet of a flooding source
// makes one event, the next thousand only count in Shield::Stats. log_event() writes an event
// through the logging facade as one line: "security event kind=... source=... account=...
// reason=...".
// Thread-safety: plain value types; EventCounters is not synchronised. Errors: none.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "shield/address.hpp"

namespace warden::shield {

enum class EventKind : std::uint8_t {
  SourceRateLimited,   // a source went over its packet rate: a flood from one address
  NetworkRateLimited,  // a /24 or /64 went over its rate: a flood from one network
  Overload,            // the global gate started shedding unknown sources: a distributed flood
  Banned,              // a source was put on the ban list (the reason says which detector)
  BanRefused,          // a detector fired for an allowed source (ShieldConfig::allow): not banned
  AuthFailure,         // credentials that did not verify: password guessing, or a typo
  BruteForce,          // too many failed authentications from one source
  ScannerUserAgent,    // a known scanner's User-Agent
  ScannerFromTag,      // sipvicious's From tag
  ManyUsers,           // many distinct target users from one source: extension enumeration
  SequentialUsers,     // sequential extensions from one source: extension enumeration
  ForgedCancel,        // a CANCEL from another source than its INVITE: tearing down a call being set up
  ForgedInDialog,      // a BYE/re-INVITE/... from outside the dialog, or for a dialog we do not know
  RedirectRefused,     // a 3xx from downstream to a weaker scheme, transport or another domain
  CallLimit,           // an account over its concurrent calls or call attempts: toll fraud
  DestinationBlocked,  // a call to a blocked (premium-rate) destination: toll fraud
  Spit,                // a call scored as spam (SPIT) and refused or diverted
  ForeignUnauthenticated,  // a request for a local user from an unknown, unauthenticated source
};
inline constexpr std::size_t kEventKinds = static_cast<std::size_t>(EventKind::ForeignUnauthenticated) + 1;

std::string_view to_string(EventKind k) noexcept;

struct SecurityEvent {
  EventKind kind = EventKind::Banned;
  Address source;
  std::string account;  // "" unless the event concerns an account
  std::string reason;
  base::TimePoint at{};
};

class EventCounters {
 public:
  void add(EventKind k) noexcept { ++n_[static_cast<std::size_t>(k)]; }
  std::uint64_t operator[](EventKind k) const noexcept { return n_[static_cast<std::size_t>(k)]; }

 private:
  std::array<std::uint64_t, kEventKinds> n_{};
};

// Warn level for attacks, info for AuthFailure (one typo is not an attack).
void log_event(const base::Logger& log, const SecurityEvent& e);

}  // namespace warden::shield
