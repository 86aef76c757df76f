#include "sip/txn/client_txn.hpp"

#include <cassert>

#include "base/limits.hpp"
#include "sip/msg/builder.hpp"
#include "sip/msg/parser.hpp"

namespace warden::sip::txn {

std::string_view to_string(State s) noexcept {
  switch (s) {
    case State::Calling: return "Calling";
    case State::Trying: return "Trying";
    case State::Proceeding: return "Proceeding";
    case State::Completed: return "Completed";
    case State::Accepted: return "Accepted";
    case State::Confirmed: return "Confirmed";
    case State::Terminated: return "Terminated";
  }
  return "?";
}

ClientTxn::ClientTxn(std::string_view request, bool reliable, const TimerConfig& cfg, TimePoint now)
    : bytes_(request), reliable_(reliable), cfg_(cfg), retransmit_interval_(cfg.t1) {
  static const base::Limits limits;
  [[maybe_unused]] auto v = msg::parse_message(bytes_.view(), request_, limits.sip, msg::Framing::Datagram);
  assert(v.accepted() && request_.is_request());
  invite_ = request_.method == msg::Method::Invite;
  state_ = invite_ ? State::Calling : State::Trying;
  send_request();
  if (!reliable_) retransmit_.arm(now + retransmit_interval_);
  timeout_.arm(now + cfg_.timeout());
}

void ClientTxn::send_request() { actions_.push_back({Action::Kind::Send, std::string(bytes_.view())}); }

void ClientTxn::terminate() {
  state_ = State::Terminated;
  retransmit_.stop();
  timeout_.stop();
  linger_.stop();
  actions_.push_back({Action::Kind::Terminated, {}});
}

Disposition ClientTxn::on_response(const msg::Message& r, TimePoint now) {
  const bool provisional = r.status < 200;
  const bool success = r.status >= 200 && r.status < 300;
  switch (state_) {
    case State::Calling:
    case State::Trying:
    case State::Proceeding:
      if (provisional) {
        state_ = State::Proceeding;
        if (invite_) {
          retransmit_.stop();  // §17.1.1.2: no INVITE retransmissions once a 1xx arrived
          timeout_.stop();     // and Timer B only runs in Calling: the TU (Timer C) decides now
        } else if (!reliable_) {
          retransmit_interval_ = cfg_.t2;  // §17.1.2.2: keep retransmitting at T2
        }
        return Disposition::Deliver;
      }
      retransmit_.stop();
      timeout_.stop();
      if (invite_ && success) {
        state_ = State::Accepted;  // RFC 6026 §8.4
        linger_.arm(now + cfg_.timeout());  // Timer M
        return Disposition::Deliver;
      }
      state_ = State::Completed;
      if (invite_) {
        ack_.clear();
        msg::build_ack_for_failure(request_, r, ack_);
        actions_.push_back({Action::Kind::Send, ack_});
        linger_.arm(now + (reliable_ ? Duration::zero() : cfg_.timer_d));  // Timer D
      } else {
        linger_.arm(now + (reliable_ ? Duration::zero() : cfg_.t4));  // Timer K
      }
      if (reliable_) on_timer(now);
      return Disposition::Deliver;
    case State::Accepted:
      // Further 2xx (from other forks, or retransmitted) go to the TU, which ACKs them.
      return success ? Disposition::Deliver : Disposition::Absorb;
    case State::Completed:
      if (invite_ && !provisional && !success) actions_.push_back({Action::Kind::Send, ack_});
      return Disposition::Absorb;
    case State::Confirmed:
    case State::Terminated:
      return Disposition::Absorb;
  }
  return Disposition::Absorb;
}

void ClientTxn::on_timer(TimePoint now) {
  if (state_ == State::Terminated) return;
  if (timeout_.due(now)) {
    actions_.push_back({Action::Kind::Timeout, {}});
    terminate();
    return;
  }
  if (linger_.due(now)) {
    terminate();
    return;
  }
  if (retransmit_.due(now)) {
    send_request();
    if (invite_) {
      retransmit_interval_ *= 2;  // Timer A doubles without a cap (§17.1.1.2)
    } else if (state_ == State::Trying) {
      retransmit_interval_ = std::min(retransmit_interval_ * 2, cfg_.t2);  // Timer E
    }
    retransmit_.arm(now + retransmit_interval_);
  }
}

void ClientTxn::on_transport_error(TimePoint) {
  if (state_ == State::Terminated) return;
  actions_.push_back({Action::Kind::TransportError, {}});
  terminate();
}

std::optional<TimePoint> ClientTxn::next_deadline() const noexcept {
  return earliest({&retransmit_, &timeout_, &linger_});
}

}  // namespace warden::sip::txn
