#pragma once
// The phone's REGISTER client (RFC 3261 §10.2), sans-I/O: it builds the requests and reads
// their final responses; the caller owns the client transaction (sip/txn), the socket and the
// timer that calls back at refresh_at().
//
// - One Call-ID and From tag for the life of the object (CSPRNG, sip/dialog/identifiers.hpp),
//   the CSeq raised by one for every request (§10.2.4), a fresh Via branch each time.
// - 401/407: the challenges are read (sip/auth/digest_client.hpp), the strongest one we may
//   answer is kept, and Retry asks for the same request again, now with Authorization /
//   Proxy-Authorization. Later requests (refreshes, the unregister) answer the same nonce again
//   with the next nonce-count, so a refresh normally costs one round trip.
//   A challenge after an answer that the server refused (a new nonce right after our first
//   answer to the last one, or the same nonce again, without stale=true) is Failed "wrong
//   password?" — never an endless loop, never more guesses for a brute-force counter;
//   stale=true is answered again. At most kMaxRetries Retry outcomes in a row.
// - 423: the requested expiry is raised to Min-Expires (§10.2.8) and Retry.
// - 2xx: Registered with the lifetime the registrar granted to OUR contact (its expires
//   parameter, else the Expires header, §10.2.4); a 200 that does not list our contact is
//   Failed. refresh_at() is then half the lifetime for short ones (up to 64 s), else the
//   lifetime minus 32 s (one Timer F, so a slow refresh transaction still ends in time),
//   counted from when the request was made.
// - make_unregister(): Expires 0 for our contact only (§10.2.2), never "*".
//
// Thread-safety: none (one owner, typically the phone's loop thread).
// Errors: create() refuses a configuration it could not put on the wire (InvalidArgument);
// on_response() reports the registrar's failures in its Result, it never throws.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.hpp"
#include "base/random.hpp"
#include "base/result.hpp"
#include "sip/auth/digest_client.hpp"
#include "sip/msg/message.hpp"

namespace warden::phone {

struct RegistrationConfig {
  std::string registrar;          // Request-URI: "sip:example.test" or "sips:example.test" (no user part)
  std::string aor;                // address-of-record, in From and To: "sip:alice@example.test"
  std::string contact;            // our Contact URI: "sip:alice@192.0.2.10:5062"
  std::string contact_transport;  // "" or a transport appended to the Contact as ";transport=..."
  std::uint32_t expires = 600;    // requested lifetime in seconds (raised by a 423)
  std::string via_transport = "UDP";  // Via protocol: "UDP", "TCP", "TLS"
  std::string via_sent_by;        // our host[:port] for the Via: "192.0.2.10:5062"
};

class Registration {
 public:
  enum class Outcome : std::uint8_t {
    Registered,    // the registrar holds our contact for `granted`
    Unregistered,  // the unregister succeeded: our contact is gone
    Retry,         // send the same kind of request again now (make_request(), or
                   // make_unregister() if that is what was answered): a challenge was answered
                   // or the expiry raised
    Failed,        // stop; `reason` says why; the caller may try again later
    Ignored,       // not a final response to the latest request (provisional, other CSeq or
                   // Call-ID, nothing pending): nothing changed
  };
  struct Result {
    Outcome outcome = Outcome::Ignored;
    std::uint16_t status = 0;          // of the response (0 for Ignored)
    std::string reason;                // the registrar's phrase, or ours for a local decision
    std::chrono::seconds granted{0};   // Registered: the lifetime granted to our contact
  };

  static constexpr int kMaxRetries = 5;

  // Checks the configuration (URIs parse as SIP/SIPS, the registrar has no user part, the
  // Via values are a token and a host[:port], expires > 0). Errors: InvalidArgument.
  static base::Result<Registration> create(RegistrationConfig config, sip::auth::DigestClient client,
                                           base::Random& rng);

  // The next REGISTER for our contact (fresh branch, next CSeq), answering the known
  // challenges when there are any. `now` is when it leaves; lifetimes are counted from it.
  std::string make_request(base::TimePoint now);
  // A REGISTER removing our contact: Contact with expires=0 and Expires: 0.
  std::string make_unregister(base::TimePoint now);
  // A final response from the registrar (or an upstream proxy) to the latest request.
  Result on_response(const sip::msg::Message& response, base::TimePoint now);
  // The client transaction timed out: no refresh is scheduled; the binding, if any, may still
  // live until expires_at(). The caller retries later.
  void on_timeout();

  // When to send make_request() again to keep the binding; nullopt when nothing is registered.
  std::optional<base::TimePoint> refresh_at() const noexcept { return refresh_at_; }
  // When our binding lapses if not refreshed (counted conservatively from the request time).
  std::optional<base::TimePoint> expires_at() const noexcept { return expires_at_; }
  bool registered(base::TimePoint now) const noexcept { return expires_at_ && now < *expires_at_; }

  std::uint32_t requested_expires() const noexcept { return expires_; }
  std::uint32_t last_cseq() const noexcept { return cseq_; }
  const std::string& call_id() const noexcept { return call_id_; }
  const std::string& from_tag() const noexcept { return from_tag_; }
  const RegistrationConfig& config() const noexcept { return config_; }

 private:
  Registration(RegistrationConfig config, sip::auth::DigestClient client, base::Random& rng);
  std::string build(base::TimePoint now, bool unregister);
  Result on_success(const sip::msg::Message& response);
  Result on_challenge(const sip::msg::Message& response);
  Result on_interval_too_brief(const sip::msg::Message& response);
  Result fail(std::uint16_t status, std::string reason);

  struct Pending {
    bool active = false;
    bool unregister = false;
    std::uint32_t cseq = 0;
    std::uint32_t expires = 0;
    base::TimePoint sent_at{};
    std::optional<sip::auth::DigestAnswer> www;    // the Authorization it carried
    std::optional<sip::auth::DigestAnswer> proxy;  // the Proxy-Authorization it carried
  };

  RegistrationConfig config_;
  sip::auth::DigestClient client_;
  base::Random* rng_;
  std::string call_id_;
  std::string from_tag_;
  std::uint32_t cseq_ = 0;
  std::uint32_t expires_;
  Pending pending_;
  std::optional<sip::auth::DigestChallenge> www_challenge_;
  std::optional<sip::auth::DigestChallenge> proxy_challenge_;
  int retries_ = 0;
  std::optional<base::TimePoint> refresh_at_;
  std::optional<base::TimePoint> expires_at_;
};

std::string_view to_string(Registration::Outcome o) noexcept;

}  // namespace warden::phone
