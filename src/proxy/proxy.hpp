#pragma once
// Proxy: the registrar and stateful proxy role (RFC 3261 §10, §16) over the transaction engine.
//
// One Proxy runs on one event loop and receives every message of the transports it is given
// (it is their TransportSink). For each request, in order:
//   parse with limits (malformed: stateless 400/505/... or drop) → role checks (sanity) →
//   ACK for 2xx: stateless forwarding → retransmission: absorbed by its server transaction →
//   CANCEL: 200 and CANCEL of the pending branches, or 481 → new server transaction (per-source
//   limit, 503 beyond) → Max-Forwards (483) and loop detection (482) → our Route popped →
//   REGISTER for a local domain: digest (401), ownership of the AoR (403), registrar →
//   OPTIONS for us: 200 → initial requests from a local user: proxy digest (407), From must be
//   the authenticated user (403) → target: next Route, or the location of a local AoR (404 /
//   480 when there is none), or a foreign IP target only for an authenticated local user
//   (403 otherwise) → one client transaction per contact (parallel forking), Record-Route for
//   dialog-creating requests (two entries when the request leaves on another transport than
//   it came on, RFC 5658). A target whose host is a name (another domain) is located by RFC
//   3263 through the DNS port (asynchronously: the server transaction waits, a CANCEL ends the
//   wait with 487) and tried target after target on a timeout, a transport failure or a 503
//   (RFC 3263 §4.3); a TLS target's certificate must name the domain (RFC 5922).
// Issue 7 on each branch's copy: privacy (RFC 3323/3325: PAI by trust domain, the privacy
// service for our callers toward untrusted hops, topology hiding with contact tokens, the media
// relay for private calls; responses restored), our signed Referred-By on a REFER of our user,
// and a transfer token on an INVITE to our user verified first (403 when it does not hold).
// Responses: matched to their client transaction, our Via removed; provisionals and 2xx go
// upstream at once (a 2xx cancels the other branches of an INVITE); other finals wait for the
// best one (6xx, else the lowest class; 503 becomes 500) once every branch has answered.
// Unmatched responses are relayed statelessly by their Via.
//
// The shield (src/shield, issue 5) runs in front of all of it: every packet passes admission
// before it is parsed (banned and flooding sources are dropped, 503 under overload); new
// out-of-dialog requests are inspected for scanners; failed authentications feed the
// brute-force tracker (tarpit, then a ban of the source, never of the account). Requests for
// local users from sources that are neither authenticated nor configured peers are challenged
// (407) before anything is said about the user, so unknown, unregistered and registered users
// cannot be told apart. Dialog protection: a CANCEL must come from where its INVITE came from;
// requests inside a dialog that came through our Record-Route must come from one of its
// parties (481 for a dialog we do not know, 403 for a stranger). A 3xx from downstream that
// points to a weaker scheme or transport or to another domain is refused (502). Caller rules:
// an authenticated user's INVITE out of our domains to a blocked (premium-rate) number gets
// 403, and so does one over the account's concurrent calls or attempts a minute; an INVITE to
// a local user that scores as SPIT (rate, fan-out, short calls, external caller) gets 603 or
// is diverted.
//
// Realms are the local domains; a user "alice" of "example.test" authenticates in realm
// "example.test" (HA1 values are stored per domain by `warden user`).
// Thread-safety: everything on the loop thread; stats() from anywhere.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "base/limits.hpp"
#include "base/log.hpp"
#include "base/random.hpp"
#include "base/result.hpp"
#include "proxy/location.hpp"
#include "proxy/registrar.hpp"
#include "runtime/dns.hpp"
#include "runtime/media_relay.hpp"
#include "sip/identity/referral_token.hpp"
#include "sip/identity/signer.hpp"
#include "sip/identity/verifier.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/transport.hpp"
#include "shield/address.hpp"
#include "shield/call_guard.hpp"
#include "shield/destination_rules.hpp"
#include "shield/shield.hpp"
#include "shield/spit_scorer.hpp"
#include "sip/auth/digest.hpp"
#include "sip/txn/timer_config.hpp"
#include "store/store.hpp"

namespace warden::proxy {

// What the proxy does with requests for, and from, one other domain (issue 7).
enum class DomainAction : std::uint8_t {
  Allow,       // route by DNS (RFC 3263) over whatever transport it finds
  Deny,        // requests to it get 403; requests from it (its From domain) get 403
  RequireTls,  // only TLS targets (certificate verified against the domain, RFC 5922); requests
               // from it are accepted over TLS only
};
struct DomainPolicy {
  std::string domain;  // lower case; "*" for every domain without an entry of its own
  DomainAction action = DomainAction::Allow;
};

struct ProxyConfig {
  std::vector<std::string> domains;  // local domains (lower case); listen addresses are always local
  RegistrarConfig registrar;
  std::vector<sip::auth::Algorithm> algorithms{sip::auth::Algorithm::Sha512_256, sip::auth::Algorithm::Sha256,
                                               sip::auth::Algorithm::Md5};
  base::Duration nonce_lifetime = std::chrono::seconds(300);
  bool record_route = true;
  std::size_t max_transactions_per_source = 256;
  base::Limits::Sip limits{};
  sip::txn::TimerConfig timers{};
  base::Duration timer_c = std::chrono::seconds(181);
  // Group commit of registrations: a REGISTER's 200 waits at most this long for the store
  // transaction that carries it (0: one transaction per REGISTER), or until this many wait.
  base::Duration store_batch_window = std::chrono::milliseconds(5);
  std::size_t store_batch_max = 256;

  // Issue 5. Off only for lab use (benchmarks of the bare proxy).
  bool shield_enabled = true;
  shield::ShieldConfig shield;  // hash_key is drawn from `rng` when left all zero
  // Sources whose requests may reach local users without digest authentication (other
  // providers, gateways, a PBX): also never rate limited by source or banned (shield allow).
  std::vector<shield::Network> peers;
  // A 3xx from downstream to a weaker scheme/transport or another domain is passed on anyway.
  bool allow_any_redirect = false;
  // Caller rules against toll fraud (shield on only): numbers out of the domain checked against
  // blocked prefixes (403), calls per account limited in number and rate (403).
  shield::DestinationConfig destinations;
  shield::CallGuardConfig call_guard;
  // SPIT scoring of calls to local users (shield on only): 603, or diverted to spit.divert_to.
  shield::SpitConfig spit;
  // Other domains (issue 7): the first entry naming the domain, else the "*" entry, else Allow.
  // Requests for a domain that is not ours go to its servers found by RFC 3263 (use_dns());
  // sips: URIs and RequireTls domains only over TLS with the peer's certificate verified
  // against the domain (RFC 5922).
  std::vector<DomainPolicy> domain_policies;
  bool dns_ipv6 = true;  // AAAA records too
  bool reject_failed_identity = false;  // 438 for any failed Identity, not only replays
  // Mutual TLS (issue 7): a TLS client whose certificate verified against our trust anchors
  // and names one of these domains is a peer, as a source in `peers` is.
  std::vector<std::string> tls_peers;
  // Privacy (issue 7, RFC 3323/3325). The trust domain: P-Asserted-Identity is accepted from
  // and sent to these networks only (stripped at the edge); everything else is untrusted, and
  // toward it this proxy is the last privacy service. A caller of ours who asks `Privacy: id`
  // (or header/user/session) reaches an untrusted callee with an anonymous From, no PAI, no
  // Identity, our Via only, a Contact of ours (an encrypted token of theirs), and, with a
  // media relay (use_media_relay()), the relay's address in the SDP. Every request of the
  // dialog from that caller gets the same; responses get their addresses back on the way in.
  std::vector<shield::Network> trusted;
  bool topology_hiding = false;  // hide addresses toward every untrusted hop, Privacy or not
  // The secret of contact tokens; empty: a random one per start (private dialogs then do not
  // outlive a restart). `warden proxy` keeps one in the data folder.
  std::string contact_token_key;
  // Dialogs that came through our Record-Route, remembered for dialog protection.
  base::Duration dialog_idle_lifetime = std::chrono::hours(12);
  std::size_t max_dialogs = 200000;
};

struct ProxyStats {
  std::uint64_t requests = 0;
  std::uint64_t responses = 0;
  std::uint64_t dropped = 0;           // malformed, unroutable or refused without an answer
  std::uint64_t stateless_errors = 0;  // malformed requests answered without a transaction
  std::uint64_t registrations = 0;     // REGISTERs answered 200
  std::uint64_t challenges = 0;        // 401 + 407 sent
  std::uint64_t auth_failures = 0;     // credentials that did not verify
  std::uint64_t forwarded = 0;         // requests sent on a branch
  std::uint64_t transactions = 0;      // open now
  std::uint64_t bindings = 0;          // registered contacts now
  std::uint64_t shield_dropped = 0;    // packets the shield dropped (banned, flooding, scanners)
  std::uint64_t shield_overload = 0;   // requests answered 503 by the global gate
  std::uint64_t refused_attacks = 0;   // forged CANCEL/in-dialog requests, refused redirects
  std::uint64_t dialogs = 0;           // dialogs remembered now
};

class Proxy final : public runtime::TransportSink {
 public:
  // `clock` gives the monotonic time for the transactions and wall time for nonces and expiry;
  // `loop` arms the timers. Every reference must outlive the Proxy.
  Proxy(ProxyConfig config, runtime::EventLoop& loop, const base::Clock& clock, store::Store& store,
        base::Random& rng, base::Logger log);
  ~Proxy() override;
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  // Registers a transport to receive from and send on (at most one per kind). Its local
  // endpoint becomes one of our addresses. Call before start(), on the loop thread.
  void add_transport(runtime::Transport& transport);
  // Forgets every transport, on the loop thread, before they are destroyed: a timer that fires
  // afterwards (a retransmission, a tarpitted challenge) sends nothing instead of using a
  // destroyed transport.
  void remove_transports() noexcept;
  // The DNS port used to find the servers of other domains (RFC 3263); without it a target
  // whose host is a name gets 503. It must outlive the Proxy. Call before start().
  void use_dns(runtime::DnsResolver& dns);
  // SIP Identity (RFC 8224): with `signer`, INVITEs of authenticated local users to other
  // domains carry our Identity (and Date) instead of any the caller put there; with `verifier`
  // and `certificates`, INVITEs from elsewhere to local users are verified (the certificate
  // fetched from the info URL) and reach the callee with verstat=TN-Validation-Passed,
  // -Failed or No-TN-Validation on the From URI (any verstat the caller wrote is replaced);
  // a replayed signature gets 438. Calls from users we authenticated are Passed. Any may be
  // null; each must outlive the Proxy. Call before start().
  void use_identity(sip::identity::IdentitySigner* signer, sip::identity::IdentityVerifier* verifier,
                    sip::identity::CertificateSource* certificates);
  // The media relay for calls that ask for privacy (RFC 3323 §4.2 `session`, or any privacy
  // whose SDP names the caller's address): the caller's SDP reaches the callee with the relay's
  // address, the answer reaches the caller with it too. Without one such a call goes on with
  // its SDP's addresses only anonymised in o= (and `session;critical` gets 500). It must
  // outlive the Proxy. Call before start().
  void use_media_relay(runtime::MediaRelay& relay);
  // The transfer token (issue 7, referral_token.hpp): with `signer`, an in-dialog REFER of one
  // of our users is authenticated (407) and leaves with our Referred-By (referrer, referee,
  // target, time, signed); with `verifier`, an INVITE to one of our users carrying a token is
  // verified against the caller we authenticated and its Request-URI (the certificate fetched
  // through the identity certificate source) and refused with 403 when it does not hold. Any
  // may be null; each must outlive the Proxy. Call before start().
  void use_referrals(sip::identity::ReferralSigner* signer, const sip::identity::ReferralVerifier* verifier);
  // Loads the bindings from the store. Call once on the loop thread before traffic.
  base::Result<void> start();

  void on_message(const runtime::InboundMessage& in) override;
  void on_flow_closed(runtime::FlowId flow, const runtime::Endpoint& remote, std::error_code why) override;

  // Draining: new requests get 503 (Retry-After), open transactions finish. idle() says when
  // no forwarded request is still waiting for its final response.
  void drain();
  // Forgets cached accounts (password changes, removed users apply at once).
  void reload();
  bool idle() const noexcept;

  ProxyStats stats() const noexcept;
  // The shield's counters and tables (loop thread only).
  shield::Shield* shield() noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace warden::proxy
