#include "sip/txn/server_txn.hpp"

namespace warden::sip::txn {

ServerTxn::ServerTxn(const msg::Message& request, bool reliable, const TimerConfig& cfg, TimePoint)
    : invite_(request.method == msg::Method::Invite),
      reliable_(reliable),
      cfg_(cfg),
      state_(invite_ ? State::Proceeding : State::Trying),
      retransmit_interval_(cfg.t1) {}

void ServerTxn::terminate() {
  state_ = State::Terminated;
  retransmit_.stop();
  timeout_.stop();
  linger_.stop();
  actions_.push_back({Action::Kind::Terminated, {}});
}

Disposition ServerTxn::on_request(const msg::Message& req, TimePoint now) {
  const bool ack = req.method == msg::Method::Ack;
  if (ack) {
    if (!invite_) return Disposition::Absorb;
    if (state_ == State::Completed) {
      state_ = State::Confirmed;
      retransmit_.stop();
      timeout_.stop();
      linger_.arm(now + (reliable_ ? Duration::zero() : cfg_.t4));  // Timer I
      if (reliable_) on_timer(now);
      return Disposition::Absorb;
    }
    // RFC 6026 §7.1: an ACK for a 2xx goes to the TU (it belongs to the dialog).
    return state_ == State::Accepted ? Disposition::Deliver : Disposition::Absorb;
  }
  // A retransmission of the request: repeat the last response, if any.
  if ((state_ == State::Proceeding || state_ == State::Completed) && !last_response_.empty())
    actions_.push_back({Action::Kind::Send, last_response_});
  return Disposition::Absorb;
}

bool ServerTxn::send_response(std::string bytes, std::uint16_t status, TimePoint now) {
  const bool provisional = status < 200;
  if (state_ != State::Trying && state_ != State::Proceeding) {
    // RFC 6026 §8.7: the TU may resend 2xx through an Accepted INVITE transaction.
    if (!(state_ == State::Accepted && status >= 200 && status < 300)) return false;
    actions_.push_back({Action::Kind::Send, std::move(bytes)});
    return true;
  }
  last_response_ = std::move(bytes);
  last_status_ = status;
  actions_.push_back({Action::Kind::Send, last_response_});
  if (provisional) {
    state_ = State::Proceeding;
    return true;
  }
  if (invite_ && status < 300) {
    state_ = State::Accepted;
    linger_.arm(now + cfg_.timeout());  // Timer L
    return true;
  }
  state_ = State::Completed;
  if (invite_) {
    if (!reliable_) retransmit_.arm(now + retransmit_interval_);  // Timer G
    timeout_.arm(now + cfg_.timeout());                          // Timer H
  } else {
    linger_.arm(now + (reliable_ ? Duration::zero() : cfg_.timeout()));  // Timer J
    if (reliable_) on_timer(now);
  }
  return true;
}

void ServerTxn::on_timer(TimePoint now) {
  if (state_ == State::Terminated) return;
  if (timeout_.due(now)) {  // Timer H: the ACK never came
    actions_.push_back({Action::Kind::Timeout, {}});
    terminate();
    return;
  }
  if (linger_.due(now)) {
    terminate();
    return;
  }
  if (retransmit_.due(now)) {
    actions_.push_back({Action::Kind::Send, last_response_});
    retransmit_interval_ = std::min(retransmit_interval_ * 2, cfg_.t2);
    retransmit_.arm(now + retransmit_interval_);
  }
}

void ServerTxn::on_transport_error(TimePoint) {
  if (state_ == State::Terminated) return;
  actions_.push_back({Action::Kind::TransportError, {}});
  terminate();
}

std::optional<TimePoint> ServerTxn::next_deadline() const noexcept {
  return earliest({&retransmit_, &timeout_, &linger_});
}

}  // namespace warden::sip::txn
