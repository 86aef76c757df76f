#pragma once
// Privacy at the proxy: asserted identity (RFC 3325), the privacy service (RFC 3323) and
// topology hiding toward untrusted peers. Sans-I/O: each function takes the bytes the proxy is
// about to send (or a parsed message) and what the proxy knows about the hops, and returns the
// bytes to send instead, or a refusal.
//
// Trust domain (RFC 3325 §2.3, "Spec(T)"): `from_trusted` says the previous hop is inside it,
// `to_trusted` the next hop. The rules, for a request the proxy forwards:
// - P-Asserted-Identity from an untrusted previous hop is removed (a forged assertion, §5);
//   when the proxy authenticated the caller it writes its own (replacing any, §6);
//   P-Preferred-Identity never leaves the proxy (§6); toward an untrusted next hop PAI is
//   removed when the request says `Privacy: id` (§9.1), or always with `strip_pai_untrusted`.
// - Toward an untrusted next hop the proxy is the last privacy service (RFC 3323 §5):
//   `header`, `user`, `session` make From anonymous (§5.3, tag kept) and remove the headers
//   that say who or what the user is (Call-Info, User-Agent, Organization, Server, Subject,
//   Reply-To, In-Reply-To, Warning, Alert-Info; and Identity, whose PASSporT names the caller);
//   any value but `none` hides the caller's addresses (only our Via, only our Record-Route
//   entries, Contact replaced by the proxy's anonymizing URI, the SDP o= address made 0.0.0.0);
//   `session` also asks the proxy to relay media (`needs_media_relay`); `critical` with a value
//   the proxy cannot honour gives 500 Privacy Unavailable (§5.2); the Privacy header is removed.
// - Topology hiding (`topology_hiding`, per peer) does the address hiding without any Privacy.
// The Via and Record-Route values removed are not kept anywhere: the proxy keeps the request
// it received and gives it back to restore_topology() for each response.
//
// c= and m= lines are never changed (a media relay's work): needs_media_relay tells the proxy
// that a c= line names one of the caller's addresses while privacy was asked.
//
// Thread-safety: pure functions. Errors: the outcome is a refusal (action Reject with a status
// and reason) when the input does not parse under the limits, the Privacy header is malformed
// (400), privacy cannot be honoured (500 Privacy Unavailable), or the result would not parse;
// every Forward outcome parses with sip/msg under the same limits.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/limits.hpp"
#include "sip/msg/message.hpp"

namespace warden::sip::identity {

// priv-value of RFC 3323 §4.2 and RFC 3325 §9.3; Other is any other token.
enum class PrivacyValue : std::uint8_t {
  Header = 1 << 0,
  Session = 1 << 1,
  User = 1 << 2,
  Id = 1 << 3,
  Critical = 1 << 4,
  None = 1 << 5,
  Other = 1 << 6,
};

inline constexpr std::size_t kMaxPrivacyValues = 16;

// The privacy a message asks for: every Privacy header together.
struct PrivacyRequest {
  std::uint8_t values = 0;  // PrivacyValue bits
  bool present = false;     // at least one Privacy header

  bool has(PrivacyValue v) const noexcept { return (values & static_cast<std::uint8_t>(v)) != 0; }
  // Any privacy other than `none` (a value we do not know counts: it asks for something).
  bool any() const noexcept {
    return (values & ~static_cast<std::uint8_t>(PrivacyValue::None) &
            ~static_cast<std::uint8_t>(PrivacyValue::Critical)) != 0;
  }
  // header, user or session: the user-level part of the privacy service.
  bool user_level() const noexcept { return has(PrivacyValue::Header) || has(PrivacyValue::User) || has(PrivacyValue::Session); }
};

// One Privacy value: priv-value *(";" priv-value), names case-insensitive, ',' accepted as a
// separator too. nullopt for anything not a token, an empty value, or more than
// kMaxPrivacyValues values.
std::optional<PrivacyRequest> parse_privacy(std::string_view value) noexcept;
// Every Privacy header of `m`; nullopt when one is malformed.
std::optional<PrivacyRequest> privacy_of(const msg::Message& m) noexcept;

// What the proxy knows when it applies privacy to one message on one branch.
struct PrivacyContext {
  bool from_trusted = false;      // the previous hop is inside the trust domain
  bool to_trusted = false;        // the next hop is inside the trust domain
  std::string asserted_identity;  // "" unless the proxy authenticated the sender: "sip:alice@a.test"
  std::string display_name;       // for the PAI written with asserted_identity; "" for none
  bool strip_pai_untrusted = true;  // no PAI toward an untrusted next hop, whatever Privacy says
  bool topology_hiding = false;   // hide addresses toward this untrusted peer even without Privacy
  // The URI that replaces Contact when addresses are hidden (see contact_token.hpp), e.g.
  // "sip:<token>@192.0.2.5:5060;transport=udp". Every Contact value gets it. Required when the
  // message has a Contact and addresses must be hidden (else: 500 Privacy Unavailable).
  std::string anonymous_contact;
  // This proxy's hosts ("192.0.2.5", "proxy.a.test", "[2001:db8::5]:5061"): Record-Route
  // entries naming one of them are ours and kept. Empty: for a request the host of the top
  // Via (ours); for a response nothing is ours, and hiding removes every Record-Route entry, so
  // the proxy must fill this in for responses.
  std::vector<std::string> own_hosts;
  std::string caller_address;         // the address the message came from, for the c= check; "" if unknown
  bool media_relay_available = false;  // `Privacy: session;critical` can be honoured
  // Toward an untrusted next hop, make From anonymous whatever the Privacy header says: the
  // proxy is the privacy service of a caller it authenticated who asked `id` (a From naming
  // the caller would tell what removing the PAI hides), or the request belongs to a dialog
  // that started private (its BYE carries no Privacy header of its own).
  bool anonymize_from = false;
};

enum class PrivacyAction : std::uint8_t { Forward, Reject };

struct PrivacyOutcome {
  PrivacyAction action = PrivacyAction::Forward;
  std::uint16_t status = 0;   // Reject: the response for the sender (400, 500)
  std::string_view reason;    // Reject: its reason phrase (static storage)
  std::string bytes;          // Forward: the message to send instead of the input
  bool needs_media_relay = false;  // privacy asked and the SDP c= names the sender, or `session`
  bool addresses_hidden = false;   // Via below ours, foreign Record-Route, Contact were replaced
  bool from_anonymized = false;
  PrivacyRequest privacy;          // what the message asked for

  bool forward() const noexcept { return action == PrivacyAction::Forward; }
};

// (a) A request the proxy forwards, as build_forward() made it (our Via on top).
PrivacyOutcome apply_request_privacy(std::string_view forwarded, const PrivacyContext& ctx,
                                     const base::Limits::Sip& limits);

// (b) A response the proxy passes back (after strip_top_via / restore_topology): from_trusted
// is the side it came from, to_trusted the side it goes to. PAI rules as for requests (the
// callee's asserted identity, RFC 3325 §9.1); toward an untrusted hop with topology_hiding or
// the callee's Privacy: Contact replaced, Record-Route entries added on the callee's side of
// us removed (ours and the caller's kept), SDP o= anonymized, and with header/user/session the
// user-level headers removed. A Reject means: send a 500 upstream instead.
PrivacyOutcome apply_response_privacy(std::string_view response, const PrivacyContext& ctx,
                                      const base::Limits::Sip& limits);

// Only the Contact replacement of a response: every Contact value (except `*`) becomes
// <anonymous_contact> with its expires/q/feature-tag parameters. nullopt if the response does
// not parse, `anonymous_contact` is not a URI, or the result would not parse.
std::optional<std::string> hide_response_contact(std::string_view response, std::string_view anonymous_contact,
                                                 const base::Limits::Sip& limits);

// How restore_topology() writes the caller's top Via back: the received/rport the proxy gave
// build_forward() for it (RFC 3581 §4), so the response looks as if nothing was hidden.
struct RestoreOptions {
  std::string_view received;   // "" for none
  std::uint16_t rport = 0;     // 0 for none
  bool record_routes = true;   // put the caller side's Record-Route entries back
  bool from = true;            // put the original From back (it was anonymized)
};

// A response received on a branch whose request left with addresses hidden, our Via still on
// top: the response to send upstream, our Via removed and the original request's Via values
// in its place, in order; with record_routes, the caller side's Record-Route values (those of
// `original_request`) appended after the response's own (RFC 3261 §16.7 step 5 for the
// caller's route set); with from, the original From value. nullopt if the result would not
// parse. `original_request` is the request as the proxy received it.
std::optional<std::string> restore_topology(const msg::Message& response, const msg::Message& original_request,
                                            const RestoreOptions& options, const base::Limits::Sip& limits);
// restore_topology() for the Via values only.
std::optional<std::string> restore_vias(const msg::Message& response, const msg::Message& original_request,
                                        const RestoreOptions& options, const base::Limits::Sip& limits);

// Does `message` contain the address `ip` (IPv4 or IPv6, brackets optional) as text, anywhere
// (start line, headers, body), not as part of a longer address ("192.0.2.1" is not in
// "192.0.2.10"; IPv6 case-insensitive, the written form only: "2001:db8::1" does not match
// "2001:0db8::1")? For tests and audits.
bool contains_address(std::string_view message, std::string_view ip) noexcept;

}  // namespace warden::sip::identity
