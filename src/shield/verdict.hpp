#pragma once
// Verdict: what the shield says about one packet or one request.
//   Admit       go on;
//   Drop        discard without an answer (a banned or flooding source: answering would spend our
//               bandwidth on it and confirm that a SIP server is here);
//   Overloaded  the server is saturated: answer a request with 503 and Retry-After
//               (RFC 3261 §21.5.4, §20.33), drop anything else.
// `cause` says which check decided, for counters and logs.
// Thread-safety: a plain value type.

#include <cstdint>
#include <string_view>

#include "base/clock.hpp"

namespace warden::shield {

enum class Decision : std::uint8_t { Admit, Drop, Overloaded };

enum class Cause : std::uint8_t {
  None,         // admitted
  Banned,       // the source is on the ban list
  SourceRate,   // the source sent more than its rate
  NetworkRate,  // its /24 (IPv4) or /64 (IPv6) sent more than the network rate
  Overload,     // the total admitted rate is at capacity; unknown sources are shed first
  Scanner,      // inspect(): the request showed a scanner, the source is banned now
};

std::string_view to_string(Decision d) noexcept;
std::string_view to_string(Cause c) noexcept;

struct Verdict {
  Decision decision = Decision::Admit;
  Cause cause = Cause::None;
  base::Duration retry_after{};  // Overloaded only: whole seconds, for Retry-After
  // The refusal that reports: the first for this source (network, or the whole server under
  // overload) in AdmissionConfig::report_every. The shield makes a security event for it;
  // the others are only counted.
  bool first = false;

  bool admitted() const noexcept { return decision == Decision::Admit; }
  static Verdict admit() noexcept { return {}; }
  static Verdict drop(Cause c, bool first = false) noexcept { return {Decision::Drop, c, {}, first}; }
  static Verdict overloaded(base::Duration retry_after, bool first = false) noexcept {
    return {Decision::Overloaded, Cause::Overload, retry_after, first};
  }
};

inline std::string_view to_string(Decision d) noexcept {
  switch (d) {
    case Decision::Admit: return "admit";
    case Decision::Drop: return "drop";
    case Decision::Overloaded: return "overloaded";
  }
  return "admit";
}

inline std::string_view to_string(Cause c) noexcept {
  switch (c) {
    case Cause::None: return "none";
    case Cause::Banned: return "banned";
    case Cause::SourceRate: return "source rate";
    case Cause::NetworkRate: return "network rate";
    case Cause::Overload: return "overload";
    case Cause::Scanner: return "scanner";
  }
  return "none";
}

}  // namespace warden::shield
