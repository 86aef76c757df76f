#pragma once
// Vocabulary shared by the four transaction state machines (RFC 3261 §17, RFC 6026).
//
// The machines are sans-I/O: each call takes the current time; sends and notifications are
// queued as Actions and collected with take_actions(); next_deadline() says when on_timer()
// must be called next. A message handed to on_request()/on_response() is only borrowed: when
// the call returns Disposition::Deliver, the caller passes that same message to the
// transaction user (TU).

#include <optional>
#include <string>
#include <vector>

#include "sip/txn/timer_config.hpp"

namespace warden::sip::txn {

enum class State : std::uint8_t {
  Calling,     // client INVITE: request sent, nothing heard
  Trying,      // client/server non-INVITE: request sent / received
  Proceeding,  // a provisional response has been seen / sent
  Completed,   // a final response (non-2xx for INVITE) has been seen / sent
  Accepted,    // RFC 6026: a 2xx to INVITE has been seen / sent
  Confirmed,   // server INVITE: ACK for a non-2xx received
  Terminated,
};
std::string_view to_string(State s) noexcept;

enum class Disposition : std::uint8_t { Deliver, Absorb };

struct Action {
  enum class Kind : std::uint8_t {
    Send,            // put `bytes` on the wire toward the transaction's peer
    Timeout,         // Timer B/F (client) or H (server, no ACK): tell the TU
    TransportError,  // the transport failed: tell the TU
    Terminated,      // the transaction is over; remove it from the table
  } kind;
  std::string bytes;
};

// Helpers for the state machines: one optional deadline per timer.
struct Timer {
  std::optional<TimePoint> at;
  void arm(TimePoint when) noexcept { at = when; }
  void stop() noexcept { at.reset(); }
  bool due(TimePoint now) const noexcept { return at && *at <= now; }
};

inline std::optional<TimePoint> earliest(std::initializer_list<const Timer*> timers) noexcept {
  std::optional<TimePoint> best;
  for (const Timer* t : timers)
    if (t->at && (!best || *t->at < *best)) best = t->at;
  return best;
}

}  // namespace warden::sip::txn
