#pragma once
// A SIP dialog (RFC 3261 §12): the peer-to-peer relationship an INVITE (or SUBSCRIBE/REFER)
// creates, identified by Call-ID, local tag and remote tag.
// - UAC side: created from a 1xx with a To tag (early) or a 2xx (confirmed) to our request;
//   every fork answering with its own To tag makes its own dialog (§12.1.2, §13.2.2.4).
// - UAS side: created when we answer a request with a tag (§12.1.1).
// It keeps the route set (from Record-Route, reversed on the UAC side), the remote target
// (Contact, refreshed by re-INVITE/UPDATE and their 2xx, §12.2), and the CSeq rules (§12.2.1.1:
// local CSeq increments; §12.2.2: a remote CSeq lower than the last one is refused with 500).
// In-dialog requests are built with a fresh branch from the CSPRNG; loose routing (§16.12)
// puts the remote target in the Request-URI and the route set in Route headers, strict routing
// the first route in the Request-URI.
// Thread-safety: a plain value. Errors: construction fails with InvalidArgument when the
// messages cannot make a dialog (no tags, no Contact on a dialog-creating 2xx).

#include <cstdint>
#include <tuple>
#include <string>
#include <vector>

#include "base/random.hpp"
#include "base/result.hpp"
#include "sip/msg/message.hpp"

namespace warden::sip::dialog {

struct DialogId {
  std::string call_id;
  std::string local_tag;
  std::string remote_tag;
  bool operator==(const DialogId&) const = default;
  bool operator<(const DialogId& o) const {
    return std::tie(call_id, local_tag, remote_tag) < std::tie(o.call_id, o.local_tag, o.remote_tag);
  }
};

class Dialog {
 public:
  enum class State : std::uint8_t { Early, Confirmed, Terminated };

  // UAC side: `request` is what we sent, `response` a 1xx-with-tag or 2xx to it.
  static base::Result<Dialog> from_uac(const msg::Message& request, const msg::Message& response);
  // UAS side: `request` is what we received; `local_tag` the tag we put in To; `contact` our
  // Contact URI; `confirmed` true when we answer 2xx.
  static base::Result<Dialog> from_uas(const msg::Message& request, std::string_view local_tag,
                                       std::string_view contact, bool confirmed);

  const DialogId& id() const noexcept { return id_; }
  State state() const noexcept { return state_; }
  const std::string& remote_target() const noexcept { return remote_target_; }
  const std::vector<std::string>& route_set() const noexcept { return route_set_; }
  std::uint32_t local_seq() const noexcept { return local_seq_; }
  bool secure() const noexcept { return secure_; }

  // A response to a request we sent inside this dialog (or the INVITE that created it):
  // confirms an early dialog on 2xx, terminates it on a failure to the initial INVITE, and
  // refreshes the remote target from a 2xx to a target refresh request.
  void on_response(const msg::Message& request, const msg::Message& response);
  // A request from the peer inside this dialog. Returns the status to answer with when it must
  // be refused (500 for an out-of-order CSeq, §12.2.2), or 0 to accept; updates the remote CSeq
  // and, for target refresh requests, the remote target; BYE terminates the dialog.
  std::uint16_t on_request(const msg::Message& request);

  // Builds an in-dialog request (§12.2.1.1). `via_sent_by` is our host[:port] for the Via,
  // `transport` its protocol ("UDP", "TCP", "TLS"). ACK reuses the INVITE's CSeq number (pass
  // it in `ack_cseq`); every other method takes the next local CSeq.
  std::string make_request(msg::Method method, std::string_view transport, std::string_view via_sent_by,
                           base::Random& rng, std::string_view extra_headers = {}, std::string_view body = {},
                           std::string_view content_type = {}, std::uint32_t ack_cseq = 0);

  void terminate() noexcept { state_ = State::Terminated; }

 private:
  Dialog() = default;

  DialogId id_;
  State state_ = State::Early;
  std::string local_uri_;   // From of our requests (name-addr without tag)
  std::string remote_uri_;  // To of our requests
  std::string remote_target_;
  std::vector<std::string> route_set_;  // URIs, in the order requests must visit them
  std::uint32_t local_seq_ = 0;
  std::uint32_t remote_seq_ = 0;
  bool remote_seq_known_ = false;
  bool secure_ = false;
  msg::Method initial_method_ = msg::Method::Invite;
};

}  // namespace warden::sip::dialog
