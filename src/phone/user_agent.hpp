#pragma once
// UserAgent: the SIP side of the softphone (RFC 3261 §8 UAC/UAS core, §12 dialogs, §13 INVITE
// sessions, §15 BYE, §9 CANCEL; RFC 3515 REFER with RFC 3265-style NOTIFY for transfer),
// sans-I/O over sip/txn and sip/dialog.
//
// The phone talks to one outbound proxy (§8.1.2): every message it sends, requests and
// responses alike, goes there, over UDP or over the one TCP/TLS connection the driver keeps.
// The driver feeds received bytes to on_message(), calls on_timer() at next_deadline(), and
// after every call sends take_outgoing() and handles take_events().
//
// Session descriptions stay opaque here: the app gives an offer to call(), gets the peer's
// offer in an IncomingCall / Reoffer event, answers with answer(), and gets the answer to its
// own offer in Answered / ReofferAnswered. Authentication challenges (401/407) are answered
// through the Authenticator the app installs (digest, sip/auth), once per challenge: a second
// challenge to the same request ends it with Failed.
//
// Security rules kept here:
// - tags, branches and Call-IDs from the CSPRNG given (128 bits: sip/dialog/identifiers);
// - a 3xx is followed only to a SIP URI in the original target's domain or in
//   `redirect_domains`, never from sips: to sip:, never to a cleartext transport when
//   signalling runs over TLS (issue 6), and at most three times;
// - requests inside a dialog are accepted only when they match a dialog we hold (481
//   otherwise), with the RFC 3261 §12.2.2 CSeq rule (500 for an old CSeq).
// Thread-safety: none; one UserAgent is driven by one thread.
// Errors: bytes that do not parse are dropped (counted in stats()); commands on unknown or
// finished calls return false.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "base/limits.hpp"
#include "base/random.hpp"
#include "sip/dialog/dialog.hpp"
#include "sip/msg/message.hpp"
#include "sip/txn/timer_config.hpp"
#include "sip/txn/txn_table.hpp"

namespace warden::phone {

using CallId = std::uint64_t;

struct UserAgentConfig {
  std::string aor;            // our address-of-record: "sip:alice@example.test"
  std::string display_name;   // optional, for From
  std::string contact;        // our Contact URI: "sip:alice@127.0.0.1:5072;transport=tcp"
  std::string transport = "UDP";  // Via transport: "UDP", "TCP", "TLS"
  std::string via_sent_by;    // host:port for Via
  std::string user_agent = "warden-phone";
  std::vector<std::string> redirect_domains;  // 3xx targets allowed besides the target's domain
  sip::txn::TimerConfig timers;
  base::Limits::Sip limits;
  std::size_t max_calls = 8;  // further INVITEs get 486 Busy Here
};

// Answers a 401/407 for `request` (the one challenged). Returns the whole header line to add
// ("Proxy-Authorization: Digest ...\r\n"), or nullopt when it cannot (no credentials, realm
// not ours, unsupported algorithm).
using Authenticator = std::function<std::optional<std::string>(const sip::msg::Message& challenge,
                                                               const sip::msg::Message& request)>;

struct UaEvent {
  enum class Kind : std::uint8_t {
    IncomingCall,     // an INVITE for us: `sdp` is the offer (may be empty), `peer` the caller,
                      // `referred_by` its Referred-By value (RFC 3892: the call comes from a transfer)
    Ringing,          // outgoing: 180/183 (status)
    Answered,         // outgoing: 2xx, ACK sent; `sdp` is the answer
    Established,      // incoming: the ACK for our 2xx arrived
    Ended,            // the call is over: `reason` says why ("local hangup", "remote hangup", "cancelled", ...)
    Failed,           // outgoing: a final failure (status, reason), or no answer (408)
    Reoffer,          // the peer re-INVITEs (hold/resume): `sdp` is its offer; answer with answer()
    ReofferAnswered,  // our re-INVITE was answered 2xx: `sdp` is the answer
    ReofferFailed,    // our re-INVITE failed (status): the old session stays
    TransferRequested,  // the peer sent REFER: `target` is the Refer-To URI, `peer` the referrer,
                        // `referred_by` its Referred-By value to copy into the new INVITE
    TransferProgress,   // a NOTIFY about our REFER: `status` of the sipfrag
    Redirected,       // a 3xx was followed to `target`
  };
  Kind kind = Kind::Ended;
  CallId call = 0;
  std::uint16_t status = 0;
  std::string reason;
  std::string sdp;
  std::string peer;
  std::string target;
  // TransferRequested: the REFER's Referred-By value as received (RFC 3892 §3: the referee copies
  // it verbatim, signed token and all, into its INVITE), folding turned into spaces; "" when the
  // REFER had none, or one longer than kMaxReferredBy or holding control characters.
  // IncomingCall: the INVITE's Referred-By value, by the same rules (shown to the user).
  std::string referred_by;
};
std::string_view to_string(UaEvent::Kind k) noexcept;

// The longest Referred-By value a TransferRequested event carries (a signed token fits).
inline constexpr std::size_t kMaxReferredBy = 2048;

struct UaStats {
  std::uint64_t unparsable = 0;         // datagrams/frames that did not parse
  std::uint64_t stray_responses = 0;    // responses matching no transaction
  std::uint64_t unknown_dialog = 0;     // in-dialog requests answered 481
  std::uint64_t refused_redirects = 0;  // 3xx not followed (policy)
};

class UserAgent {
 public:
  UserAgent(UserAgentConfig config, base::Random& rng);

  void set_authenticator(Authenticator a) { authenticator_ = std::move(a); }

  // --- input
  void on_message(std::string_view bytes, bool stream_framed, base::TimePoint now);
  void on_timer(base::TimePoint now);
  std::optional<base::TimePoint> next_deadline();

  // --- output
  std::vector<std::string> take_outgoing() { return std::move(outgoing_); }
  std::vector<UaEvent> take_events() { return std::move(events_); }

  // --- out-of-dialog requests the app builds itself (REGISTER): sent in a client
  // transaction; the final response goes to `on_final` (nullptr message: timeout).
  using FinalHandler = std::function<void(const sip::msg::Message* response)>;
  void send_request(std::string request, FinalHandler on_final, base::TimePoint now);

  // --- calls
  // Places a call to `target` (a SIP URI) with `offer` as body. `extra_headers`: complete
  // lines (e.g. Referred-By for a transfer). Returns the call's id.
  CallId call(std::string_view target, std::string offer, base::TimePoint now, std::string extra_headers = {});
  // Incoming call: 180 Ringing.
  bool ring(CallId id, base::TimePoint now);
  // Incoming call or re-INVITE: 200 OK with `sdp`.
  bool answer(CallId id, std::string sdp, base::TimePoint now);
  // Incoming call or re-INVITE: a failure response (486, 488, 603...).
  bool reject(CallId id, std::uint16_t status, std::string_view reason, base::TimePoint now,
              std::string_view extra_headers = {});
  // Hangs up: CANCEL before the answer (outgoing), 603 (incoming, unanswered), BYE after.
  bool hangup(CallId id, base::TimePoint now);
  // Established call: re-INVITE with a new offer (hold, resume).
  bool reinvite(CallId id, std::string offer, base::TimePoint now);
  // Established call: REFER the peer to `target` (blind transfer as the transferor). A 401/407
  // to the REFER is answered once through the Authenticator, as for BYE.
  bool refer(CallId id, std::string_view target, base::TimePoint now);
  // Transferee: report the progress of the call placed for a REFER on `id` (a NOTIFY with a
  // message/sipfrag status line; final statuses end the implicit subscription).
  bool notify_transfer(CallId id, std::uint16_t status, std::string_view reason, base::TimePoint now);

  bool active(CallId id) const { return calls_.count(id) != 0; }
  std::size_t call_count() const noexcept { return calls_.size(); }
  const UaStats& stats() const noexcept { return stats_; }
  const UserAgentConfig& config() const noexcept { return cfg_; }

 private:
  enum class CallState : std::uint8_t { Calling, Early, Incoming, Answering, Established, Ending };
  enum class Purpose : std::uint8_t { Invite, Cancel, Bye, Reinvite, Refer, Notify, Ack2xxRetry, App };

  struct Call {
    CallId id = 0;
    bool outgoing = false;
    CallState state = CallState::Calling;
    std::string peer;
    // outgoing
    std::string target;
    std::string original_target;
    std::string call_id;
    std::string local_tag;
    std::uint32_t cseq = 0;
    std::string offer;
    std::string extra_headers;
    std::uint64_t invite_txn = 0;
    bool provisional_seen = false;
    bool cancel_pending = false;
    bool cancelled = false;
    int auth_answers = 0;
    int redirects = 0;
    std::string ack;  // ACK for the 2xx, resent on 2xx retransmissions
    // incoming
    std::string invite_bytes;  // the INVITE (or re-INVITE) we must answer, kept to build responses
    std::uint64_t server_txn = 0;
    bool answering_reinvite = false;
    std::string ok_response;   // our 2xx, retransmitted until the ACK (§13.3.1.4)
    std::optional<base::TimePoint> ok_next;
    base::Duration ok_interval{};
    base::TimePoint ok_give_up{};
    // both
    std::optional<sip::dialog::Dialog> dialog;
    std::uint64_t reinvite_txn = 0;
    std::string reinvite_ack;
    int bye_auth_answers = 0;
    std::string refer_headers;  // our last REFER's headers, to send it again with credentials
    int refer_auth_answers = 0;
    bool refer_subscription = false;  // we accepted a REFER: NOTIFYs go out on notify_transfer()
  };
  struct ClientInfo {
    Purpose purpose;
    CallId call = 0;
    FinalHandler on_final;
  };

  void handle_request(const sip::msg::Message& m, base::TimePoint now);
  void handle_response(const sip::msg::Message& m, base::TimePoint now);
  void handle_ack(const sip::msg::Message& m, base::TimePoint now);
  void handle_cancel(const sip::msg::Message& m, base::TimePoint now);
  void handle_in_dialog(const sip::msg::Message& m, std::uint64_t txn, base::TimePoint now);
  void handle_new_invite(const sip::msg::Message& m, std::uint64_t txn, base::TimePoint now);
  void on_invite_response(Call& c, const sip::msg::Message& req, const sip::msg::Message& m, base::TimePoint now);
  void on_reinvite_response(Call& c, const sip::msg::Message& m, base::TimePoint now);
  void on_bye_response(Call& c, const sip::msg::Message& req, const sip::msg::Message& m, base::TimePoint now);
  void on_client_timeout(std::uint64_t txn, base::TimePoint now);

  void send_invite(Call& c, std::string_view auth_header, base::TimePoint now);
  bool follow_redirect(Call& c, const sip::msg::Message& m, base::TimePoint now);
  void send_cancel(Call& c, base::TimePoint now);
  void send_bye(Call& c, base::TimePoint now, std::string_view auth_header = {});
  void respond(std::uint64_t txn, const sip::msg::Message& req, std::uint16_t status, std::string_view reason,
               base::TimePoint now, std::string_view extra = {}, std::string_view body = {},
               std::string_view content_type = {}, std::string_view to_tag = {});
  std::uint64_t start_client(std::string request, ClientInfo info, base::TimePoint now);
  void end_call(CallId id, std::string reason);
  void emit(UaEvent e) { events_.push_back(std::move(e)); }
  void pump(base::TimePoint now);
  Call* find_dialog_call(std::string_view call_id, std::string_view local_tag, std::string_view remote_tag);
  Call* find_call(CallId id);
  std::string from_header(std::string_view tag) const;
  std::string common_headers() const;
  bool reliable() const noexcept { return cfg_.transport != "UDP"; }

  UserAgentConfig cfg_;
  base::Random& rng_;
  Authenticator authenticator_;
  sip::txn::TxnTable txns_;
  std::map<CallId, Call> calls_;
  std::map<std::uint64_t, ClientInfo> clients_;
  CallId next_call_ = 1;
  std::vector<std::string> outgoing_;
  std::vector<UaEvent> events_;
  UaStats stats_;
};

}  // namespace warden::phone
