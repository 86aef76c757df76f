#pragma once
// Client transactions (RFC 3261 §17.1 with the RFC 6026 Accepted state):
//
//   INVITE (figure 5, as corrected by RFC 6026 §7.2):
//     Calling --1xx--> Proceeding --2xx--> Accepted --Timer M--> Terminated
//        |                 |--300-699, send ACK--> Completed --Timer D--> Terminated
//        |--Timer B--> Terminated (Timeout)         Timer A retransmits in Calling (unreliable)
//   non-INVITE (figure 6):
//     Trying --1xx--> Proceeding --final--> Completed --Timer K--> Terminated
//        |--Timer F--> Terminated (Timeout)           Timer E retransmits in Trying and Proceeding
//
// The transaction owns a copy of its request (to retransmit it and to build the ACK).
// Thread-safety: none; one transaction is driven by one thread.
// Errors: a request that does not parse is a programming error (asserted); responses that do
// not belong to the transaction are the table's job to keep away.

#include <memory>

#include "base/bytes.hpp"
#include "sip/msg/message.hpp"
#include "sip/txn/txn_common.hpp"

namespace warden::sip::txn {

class ClientTxn {
 public:
  // Sends `request` (queued as the first Action) and arms the timers.
  ClientTxn(std::string_view request, bool reliable, const TimerConfig& cfg, TimePoint now);

  Disposition on_response(const msg::Message& response, TimePoint now);
  void on_timer(TimePoint now);
  void on_transport_error(TimePoint now);

  std::optional<TimePoint> next_deadline() const noexcept;
  std::vector<Action> take_actions() { return std::move(actions_); }
  State state() const noexcept { return state_; }
  bool is_invite() const noexcept { return invite_; }
  const msg::Message& request() const noexcept { return request_; }

 private:
  void send_request();
  void terminate();

  base::Buffer bytes_;  // the request; request_ views into it
  msg::Message request_;
  bool invite_ = false;
  bool reliable_;
  TimerConfig cfg_;
  State state_;
  Duration retransmit_interval_;
  Timer retransmit_;  // A (INVITE) or E (non-INVITE)
  Timer timeout_;     // B or F
  Timer linger_;      // D, K or M
  std::string ack_;   // the ACK sent for a non-2xx final response, resent on retransmissions
  std::vector<Action> actions_;
};

}  // namespace warden::sip::txn
