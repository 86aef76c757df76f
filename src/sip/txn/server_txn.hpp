#pragma once
// Server transactions (RFC 3261 §17.2 with the RFC 6026 Accepted state):
//
//   INVITE (figure 7, as corrected by RFC 6026 §7.1):
//     Proceeding --2xx from TU--> Accepted --Timer L--> Terminated  (ACKs go to the TU)
//        |--300-699 from TU--> Completed --ACK--> Confirmed --Timer I--> Terminated
//                                 |--Timer H--> Terminated (Timeout)  Timer G retransmits
//   non-INVITE (figure 8):
//     Trying --1xx--> Proceeding --final--> Completed --Timer J--> Terminated
//
// Retransmitted requests are absorbed and answered with the last response sent.
// Thread-safety: none. Errors: responses from the TU in a state that cannot take them
// (e.g. after a final response) are ignored and reported by send_response() returning false.

#include "sip/msg/message.hpp"
#include "sip/txn/txn_common.hpp"

namespace warden::sip::txn {

class ServerTxn {
 public:
  ServerTxn(const msg::Message& request, bool reliable, const TimerConfig& cfg, TimePoint now);

  // A request matched to this transaction: a retransmission, or an ACK for an INVITE.
  Disposition on_request(const msg::Message& request, TimePoint now);
  // The TU answers. `status` is the response's status code.
  bool send_response(std::string bytes, std::uint16_t status, TimePoint now);
  void on_timer(TimePoint now);
  void on_transport_error(TimePoint now);

  std::optional<TimePoint> next_deadline() const noexcept;
  std::vector<Action> take_actions() { return std::move(actions_); }
  State state() const noexcept { return state_; }
  bool is_invite() const noexcept { return invite_; }
  std::uint16_t last_status() const noexcept { return last_status_; }
  // Ends the transaction without a response (the sender was banned meanwhile): nothing is
  // sent, a retransmission of the request will match nothing.
  void abandon() { terminate(); }

 private:
  void terminate();

  bool invite_;
  bool reliable_;
  TimerConfig cfg_;
  State state_;
  std::string last_response_;
  std::uint16_t last_status_ = 0;
  Duration retransmit_interval_;
  Timer retransmit_;  // G
  Timer timeout_;     // H
  Timer linger_;      // I, J or L
  std::vector<Action> actions_;
};

}  // namespace warden::sip::txn
