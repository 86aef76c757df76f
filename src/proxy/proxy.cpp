#include "proxy/proxy.hpp"

#include <algorithm>
#include <array>

#include "base/error.hpp"
#include <optional>

#include "proxy/message_edit.hpp"
#include "shield/ban_store.hpp"
#include "sip/auth/nonce_service.hpp"
#include "sip/auth/verifier.hpp"
#include "sip/dialog/identifiers.hpp"
#include "sip/msg/builder.hpp"
#include "sip/msg/charset.hpp"
#include "sip/msg/parser.hpp"
#include "sip/msg/sanity.hpp"
#include "sip/msg/serializer.hpp"
#include "sip/identity/contact_token.hpp"
#include "sip/identity/privacy.hpp"
#include "sip/identity/signer.hpp"
#include "sip/identity/verifier.hpp"
#include "sip/sdp/media_rewrite.hpp"
#include "sip/resolve/server_locator.hpp"
#include "sip/txn/txn_table.hpp"

namespace warden::proxy {

namespace msg = sip::msg;
namespace auth = sip::auth;
namespace txn = sip::txn;
using runtime::Endpoint;
using runtime::FlowId;
using runtime::TransportKind;

namespace {

constexpr std::string_view kAllow = "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE, PRACK, SUBSCRIBE, NOTIFY, REFER, MESSAGE\r\n";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}


std::string_view kind_token(TransportKind k) {
  switch (k) {
    case TransportKind::Udp: return "UDP";
    case TransportKind::Tcp: return "TCP";
    case TransportKind::Tls: return "TLS";
  }
  return "UDP";
}

std::string host_port(const Endpoint& e) {
  std::string out = e.is_v4() ? e.address_string() : "[" + e.address_string() + "]";
  out += ':';
  out += std::to_string(e.port());
  return out;
}

bool dialog_creating(msg::Method m) {
  return m == msg::Method::Invite || m == msg::Method::Subscribe || m == msg::Method::Refer;
}

// RFC 3261 §16.7 step 6: 6xx first, then the lowest class; within a class the first one.
int rank(std::uint16_t status) {
  if (status >= 600) return 0;
  return status / 100;  // 3, 4, 5
}

}  // namespace

struct Proxy::Impl {
  struct Peer {
    TransportKind kind = TransportKind::Udp;
    FlowId flow = runtime::kNoFlow;
    Endpoint endpoint;
    std::string server_name;  // TLS to another domain: the name its certificate must carry
  };
  // Where one branch goes: an address (a Contact, an IP literal), or the current entry of the
  // RFC 3263 list found for a name, with the rest of that list for failover.
  struct Target {
    NextHop hop;
    std::string request_uri;  // "" keeps the request's
    std::string path;         // Route values to prepend
    std::string server_name;  // TLS: the domain the certificate must name (RFC 5922), "" = the address
    std::shared_ptr<sip::resolve::TargetList> failover;
  };
  struct Branch {
    Target target;
    std::uint64_t client_id = 0;
    std::uint16_t status = 0;  // highest status seen on it
    bool done = false;         // a final response came, or the branch failed
    bool cancel_wanted = false;
    bool cancel_sent = false;
    bool hidden = false;           // left with the caller's addresses hidden (privacy, topology hiding)
    bool from_anonymized = false;  // left with an anonymous From
  };
  // The media relay sessions of one call, one per m= line of the offer (nullopt: not relayed).
  // Held by the call's transactions and its dialog; the last one gone closes the sessions.
  struct RelayCall {
    runtime::MediaRelay* relay = nullptr;
    std::vector<std::optional<runtime::RelayAllocation>> lines;
    RelayCall() = default;
    RelayCall(const RelayCall&) = delete;
    RelayCall& operator=(const RelayCall&) = delete;
    ~RelayCall() {
      for (const auto& l : lines)
        if (l) relay->close(l->id);
    }
  };
  // What route_request() learns for forward_many() beyond the call guard's keys (issue 7).
  struct RoutingMore {
    bool privacy_check = false;     // privacy rules run on every branch's copy
    bool anonymize_from = false;    // our authenticated caller asked for privacy
    std::string asserted_identity;  // "sip:alice@a.test": the caller we authenticated
    std::string consumed_realm;     // its credentials' realm (removed from the copies)
    bool drop_referred_by = false;  // our Referred-By is in routing_extra
    bool referral_done = false;     // the INVITE's transfer token was checked
    std::string request_uri;        // a contact token's original URI: the new Request-URI
  };
  struct Context {
    std::uint64_t server_id = 0;
    std::string raw;
    msg::Message req;  // parsed from raw
    std::vector<Branch> branches;
    std::uint16_t best_status = 0;
    std::string best;  // the best final response so far, our Via removed ("" when synthetic)
    bool final_sent = false;
    bool cancelled = false;
    runtime::TimerHandle timer_c;  // §16.6 step 11: an INVITE may ring this long, no longer
    TransportKind kind = TransportKind::Udp;  // where the request came from (CANCEL must too)
    Endpoint source;
    std::string account;  // the authenticated caller ("user@domain"): counted by the call guard
    std::string spit_caller;  // the caller's key for SPIT scoring, "" when not scored
    // What every branch's copy is built with (kept for failover to the next target).
    std::size_t pops = 0;          // our Route values at the top
    std::string received;          // for the previous hop's Via, "" for none
    std::uint16_t rport = 0;
    std::string rr_in;             // our Record-Route facing the caller, "" when not recording
    std::string rr_domain;         // our Record-Route by domain name, for TLS toward another domain
    TransportKind in_kind = TransportKind::Udp;
    std::string extra_headers;     // lines added to every branch (Identity, Date)
    std::string from_value;        // a From with the verification verdict, "" to keep it
    bool signed_here = false;      // the caller's Identity and Date are replaced by ours
    // Privacy and the media relay (issue 7).
    RoutingMore more;
    bool private_dialog = false;   // an in-dialog request from a caller whose dialog is private
    bool private_caller = false;   // a branch left with the caller hidden: the dialog stays private
    std::uint16_t privacy_refusal = 0;  // a branch could not be made private: answer this
    std::string_view privacy_reason;
    std::shared_ptr<RelayCall> relay;   // the call's relay sessions, when its media is relayed
    runtime::RelaySide offer_side = runtime::RelaySide::A;  // the side this request's SDP came from
  };
  // A request waiting for RFC 3263 server location; the server transaction stays open.
  struct Resolving {
    sip::resolve::LocateHandle handle;
    TransportKind kind = TransportKind::Udp;
    FlowId flow = runtime::kNoFlow;
    Endpoint local, remote;
    std::string raw;
    std::size_t pops = 0;
    std::string request_uri;  // the URI located, for the log
    std::string server_name;
    std::string account, spit_caller;  // the call guard's and SPIT scorer's keys, moved here
    std::string extra_headers;         // what routing_extra held (our Identity and Date)
    bool signed_here = false;
    // Set while the certificate for an Identity header is fetched (then this is not DNS).
    std::shared_ptr<sip::identity::PendingIdentity> identity;
    RoutingMore more;
    // Set while the certificate for a transfer token is fetched (issue 7).
    std::shared_ptr<sip::identity::PendingReferral> referral;
    bool authenticated = false;
    std::string from_value;
    std::string caller;  // the identity the token's referee must be, "" for none
  };
  // A dialog that came through our Record-Route (issue 5, dialog protection): requests inside
  // it are accepted from its parties only, where they sent from or what their Contact names.
  struct DialogRecord {
    std::array<shield::Address, 4> parties{};
    std::size_t count = 0;
    base::TimePoint last{};
    std::optional<base::TimePoint> answered;  // the 2xx of an INVITE
    std::string account;      // the call guard's account, "" for none
    std::string spit_caller;  // the SPIT scorer's caller key, "" for none
    std::string caller_tag;   // the From tag of the request that created it
    bool private_caller = false;  // the caller's requests leave hidden (privacy asked)
    std::shared_ptr<RelayCall> relay;  // its media relay sessions, if any
    void add(const shield::Address& a) {
      for (std::size_t i = 0; i < count; ++i)
        if (parties[i] == a) return;
      if (count < parties.size()) parties[count++] = a;
    }
    bool has(const shield::Address& a) const {
      for (std::size_t i = 0; i < count; ++i)
        if (parties[i] == a) return true;
      return false;
    }
  };
  struct CachedUser {
    auth::AccountKeys keys;
    store::User user;
  };

  ProxyConfig cfg;
  runtime::EventLoop& loop;
  const base::Clock& clock;
  store::Store& store;
  base::Random& rng;
  base::Logger log;

  std::array<runtime::Transport*, 3> transports{};
  std::vector<Endpoint> local_endpoints;
  std::vector<std::string> local_hosts;  // lower-case domains and listen addresses

  txn::TxnTable table;
  Location location;
  auth::NonceService nonces;
  auth::NonceCounter nonce_counter;
  std::unordered_map<std::string, CachedUser> users;
  base::TimePoint users_checked{};  // when the store was last asked for outside changes
  std::uint64_t users_stamp = 0;    // its answer then

  std::unordered_map<std::uint64_t, Peer> peers;
  std::uint64_t next_peer = 1;
  std::unordered_map<std::uint64_t, std::unique_ptr<Context>> contexts;  // by server txn id
  std::unordered_map<std::uint64_t, std::uint64_t> branch_owner;        // client id -> server id

  runtime::TimerHandle timer;
  std::optional<base::TimePoint> armed;
  runtime::TimerHandle housekeeping;  // once a minute: dialogs idle for too long are forgotten

  void schedule_housekeeping() {
    housekeeping = loop.arm(clock.now() + std::chrono::minutes(1), [this] {
      housekeeping.detach();
      expire_dialogs(clock.now(), false);
      schedule_housekeeping();
    });
  }

  std::unique_ptr<shield::Shield> shield;  // null when cfg.shield_enabled is false
  shield::KeyedHash call_hash;             // for the guard and the scorer
  shield::DestinationRules destinations;
  shield::CallGuard guard;
  shield::SpitScorer spit;
  std::string routing_account;      // set by route() for forward_many(): the call guard's account
  std::string routing_spit_caller;  // and the SPIT caller key
  std::string routing_extra;        // and header lines for every branch (our Identity, Date)
  bool routing_signed = false;      // and whether the caller's Identity/Date are dropped
  std::string routing_from;         // and the From with the verification verdict
  bool routing_trying_sent = false; // and whether the 100 went out already
  RoutingMore routing_more;         // and the rest (issue 7)
  msg::Uri routing_target;          // parsed from routing_more.request_uri

  // Issue 7: privacy, the media relay, the transfer token.
  runtime::MediaRelay* relay = nullptr;
  sip::identity::ReferralSigner* referral_signer = nullptr;
  const sip::identity::ReferralVerifier* referral_verifier = nullptr;
  std::string contact_key;  // for contact tokens (ProxyConfig::contact_token_key, else random)

  // Issue 7: SIP Identity (null when not configured).
  sip::identity::IdentitySigner* signer = nullptr;
  sip::identity::IdentityVerifier* verifier = nullptr;
  sip::identity::CertificateSource* certificates = nullptr;
  std::uint64_t fetching_sid = 0;  // set while fetch() runs: a certificate that comes at once waits
  std::optional<base::Result<std::vector<crypto::Certificate>>> fetched_at_once;
  std::unordered_map<std::string, DialogRecord> dialogs;  // by dialog_key()

  msg::Message m;  // the message being handled, reused
  runtime::Endpoint current_remote;  // where it came from
  shield::Address current_address;   // the same, as the shield's key
  std::string current_source;        // that address as text (RFC 3581 received)
  std::span<const std::string> current_peer_names;  // what its TLS certificate proved (mutual TLS)
  std::string out;
  bool draining = false;

  // Issue 7: RFC 3263 location of other domains' servers.
  std::unique_ptr<sip::resolve::ServerLocator> locator;
  std::unordered_map<std::uint64_t, std::unique_ptr<Resolving>> resolving;  // by server txn id
  std::string resumed_raw;  // the bytes `m` points into while a located request is forwarded
  std::uint64_t locating_sid = 0;  // set while locate() runs: an answer that comes at once waits
  std::optional<base::Result<sip::resolve::TargetList>> located_at_once;
  std::unordered_map<std::uint64_t, std::uint64_t> peer_client;  // peer id -> branch client txn id
  // TLS connections opened to another domain's server, verified against its name:
  // "address|name" -> flow, and the address alone -> flow (for later in-dialog requests).
  std::unordered_map<std::string, FlowId> named_flows;
  std::unordered_map<std::string, FlowId> address_flows;

  struct Counters {
    std::atomic<std::uint64_t> requests{0}, responses{0}, dropped{0}, stateless_errors{0}, registrations{0},
        challenges{0}, auth_failures{0}, forwarded{0}, transactions{0}, bindings{0}, shield_dropped{0},
        shield_overload{0}, refused_attacks{0}, dialogs{0};
  } counters;

  Impl(ProxyConfig c, runtime::EventLoop& l, const base::Clock& clk, store::Store& s, base::Random& r, base::Logger lg)
      : cfg(std::move(c)),
        loop(l),
        clock(clk),
        store(s),
        rng(r),
        log(std::move(lg)),
        table(cfg.timers, cfg.max_transactions_per_source),
        location(&s),
        nonces(base::random_token(r, 256), cfg.nonce_lifetime),
        call_hash(random_key(r)),
        destinations(cfg.destinations),
        guard(cfg.call_guard, call_hash),
        spit(cfg.spit, call_hash) {
    for (auto& d : cfg.domains) local_hosts.push_back(lower(d));
    contact_key = cfg.contact_token_key.empty() ? base::random_token(r, 256) : cfg.contact_token_key;
    if (cfg.shield_enabled) {
      shield::ShieldConfig sc = cfg.shield;
      if (sc.hash_key == shield::KeyedHash::Key{}) rng.fill(std::as_writable_bytes(std::span(sc.hash_key)));
      sc.allow.insert(sc.allow.end(), cfg.peers.begin(), cfg.peers.end());
      shield = std::make_unique<shield::Shield>(std::move(sc));
    }
  }

  // ---- the shield ---------------------------------------------------------------------------

  // Mutual TLS (issue 7): the source proved, with a client certificate our anchors verified,
  // that it serves one of the configured peer domains.
  bool is_tls_peer() const {
    for (const auto& name : current_peer_names)
      for (const auto& d : cfg.tls_peers)
        if (msg::cs::iequals(name, d)) return true;
    return false;
  }

  bool is_peer(const shield::Address& a) const {
    for (const auto& n : cfg.peers)
      if (n.contains(a)) return true;
    return false;
  }

  // Bans to the store, events to the log: after anything that may have made some.
  void flush_shield() {
    if (!shield) return;
    auto changes = shield->take_ban_changes();
    if (!changes.empty()) {
      auto r = shield::save_bans(store, changes, clock.now(), clock.wall_now());
      if (!r) log.error("store: bans not saved", {{"error", r.error().message()}});
    }
    for (const auto& e : shield->take_events()) shield::log_event(log, e);
  }

  void report(shield::EventKind kind, std::string_view account, std::string reason) {
    counters.refused_attacks++;
    if (shield) shield->report(kind, current_address, account, std::move(reason), clock.now());
  }

  // ---- dialogs (protection of BYE, re-INVITE and the rest) ---------------------------------

  static std::string dialog_key(std::string_view call_id, std::string_view tag_a, std::string_view tag_b) {
    if (tag_b < tag_a) std::swap(tag_a, tag_b);
    std::string k;
    k.reserve(call_id.size() + tag_a.size() + tag_b.size() + 2);
    k += call_id;
    k += '\n';
    k += tag_a;
    k += '\n';
    k += tag_b;
    return k;
  }

  static std::optional<shield::Address> contact_address(const std::vector<msg::NameAddr>& contacts) {
    if (contacts.empty()) return std::nullopt;
    const msg::Uri& u = contacts.front().uri;
    if (u.host_kind != msg::HostKind::IPv4 && u.host_kind != msg::HostKind::IPv6) return std::nullopt;
    return shield::Address::parse(u.host);
  }

  // A response with a To tag to a dialog-creating request we record-routed: the dialog (early
  // or confirmed) and its parties. `ctx` holds the request; `m` is the response.
  void remember_dialog(const Context& ctx) {
    if (!cfg.record_route || m.to.tag.empty() || ctx.req.from.tag.empty()) return;
    const base::TimePoint now = clock.now();
    std::string key = dialog_key(m.call_id, ctx.req.from.tag, m.to.tag);
    auto it = dialogs.find(key);
    if (it == dialogs.end()) {
      if (dialogs.size() >= cfg.max_dialogs) expire_dialogs(now, true);
      it = dialogs.emplace(std::move(key), DialogRecord{}).first;
    }
    DialogRecord& d = it->second;
    d.last = now;
    if (auto a = shield::Address::from_bytes(ctx.source.address_bytes())) d.add(*a);
    if (auto a = contact_address(ctx.req.contacts)) d.add(*a);
    d.add(current_address);
    if (auto a = contact_address(m.contacts)) d.add(*a);
    if (ctx.req.to.tag.empty()) {
      d.caller_tag = ctx.req.from.tag;
      d.private_caller = d.private_caller || ctx.private_caller;
      if (!d.relay) d.relay = ctx.relay;
    }
    if (m.status >= 200 && ctx.req.method == msg::Method::Invite && !d.answered) {
      d.answered = now;
      d.account = ctx.account;
      d.spit_caller = ctx.spit_caller;
    }
    counters.dialogs = dialogs.size();
  }

  // A call that the guard counted ended without an answer (a final failure, CANCEL, Timer C).
  void end_unanswered(const Context& ctx) {
    if (!ctx.account.empty()) guard.end(ctx.account, ctx.req.call_id, std::nullopt, clock.now());
  }

  void forget_dialog(std::string_view call_id, std::string_view tag_a, std::string_view tag_b) {
    auto it = dialogs.find(dialog_key(call_id, tag_a, tag_b));
    if (it == dialogs.end()) return;
    const DialogRecord& d = it->second;
    if (d.answered) {
      // The end of an answered call: the guard stops counting it, the scorer learns its length.
      const base::TimePoint now = clock.now();
      if (!d.account.empty()) guard.end(d.account, call_id, d.answered, now);
      if (!d.spit_caller.empty()) spit.on_call_ended(d.spit_caller, now - *d.answered, now);
    }
    dialogs.erase(it);
    counters.dialogs = dialogs.size();
  }

  // Drops dialogs idle for longer than their lifetime; with `make_room`, also the oldest tenth
  // when that frees nothing (the table is full of live dialogs).
  void expire_dialogs(base::TimePoint now, bool make_room) {
    std::erase_if(dialogs, [&](const auto& kv) { return now - kv.second.last > cfg.dialog_idle_lifetime; });
    if (make_room && dialogs.size() >= cfg.max_dialogs) {
      std::vector<base::TimePoint> ages;
      ages.reserve(dialogs.size());
      for (const auto& kv : dialogs) ages.push_back(kv.second.last);
      auto nth = ages.begin() + static_cast<std::ptrdiff_t>(ages.size() / 10);
      std::nth_element(ages.begin(), nth, ages.end());
      const base::TimePoint cut = *nth;
      std::erase_if(dialogs, [&](const auto& kv) { return kv.second.last <= cut; });
    }
    counters.dialogs = dialogs.size();
  }

  static shield::KeyedHash::Key random_key(base::Random& r) {
    shield::KeyedHash::Key k{};
    r.fill(std::as_writable_bytes(std::span(k)));
    return k;
  }

  std::int64_t unix_now() const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock.wall_now().time_since_epoch()).count();
  }

  runtime::Transport* transport(TransportKind k) { return transports[static_cast<std::size_t>(k)]; }

  // ---- who we are -------------------------------------------------------------------------

  bool is_local_host(std::string_view host) const {
    for (const auto& h : local_hosts)
      if (msg::cs::iequals(h, host)) return true;
    return false;
  }

  // A URI whose host is one of our domains or addresses, and whose port (if any) is one we
  // listen on: its user is one of ours. A UA on the proxy's own host (another port) is not.
  bool is_local_domain_uri(const msg::Uri& uri) const {
    if (!uri.is_sip() || !is_local_host(uri.host)) return false;
    if (!uri.port) return true;
    for (const auto& e : local_endpoints)
      if (e.port() == *uri.port) return true;
    return false;
  }

  // A URI that names this proxy itself (a Route we put there, or our address).
  bool is_us(const msg::Uri& uri) const {
    if (!uri.is_sip()) return false;
    auto hop = next_hop_for_uri(uri);
    if (hop) {
      for (const auto& e : local_endpoints) {
        if (e.same_address(hop->endpoint) && e.port() == hop->endpoint.port()) return true;
      }
      return false;
    }
    // A name: ours if it is one of our domains and no port or our port is given.
    return is_local_host(uri.host) && !uri.port;
  }

  bool via_is_ours(const msg::Via& v) const {
    for (const auto& e : local_endpoints) {
      const std::uint16_t port = v.port ? *v.port : 5060;
      if (port != e.port()) continue;
      auto addr = Endpoint::from_address(v.host, port);
      if (addr && addr->same_address(e)) return true;
    }
    return false;
  }

  // ---- sending ----------------------------------------------------------------------------

  std::uint64_t new_peer(const Peer& p) {
    const std::uint64_t id = next_peer++;
    peers.emplace(id, p);
    return id;
  }

  // `batched`: a response, whose loss the client's retransmission covers (RFC 3261 §17.2):
  // over UDP it goes out with the other answers to the same batch of datagrams, and a send
  // error is not reported (Transport::send_batched).
  base::Result<void> send_to(Peer& p, std::string bytes, bool batched = false) {
    runtime::Transport* t = transport(p.kind);
    if (t == nullptr) return base::Errc::InvalidArgument;
    if (batched && p.kind == TransportKind::Udp) {
      t->send_batched(p.endpoint, std::move(bytes));
      return {};
    }
    if (runtime::is_stream(p.kind) && p.flow != runtime::kNoFlow) {
      auto r = t->send(p.flow, bytes);
      if (r) return {};
      p.flow = runtime::kNoFlow;  // the connection is gone: open a new one to the address
    }
    if (p.kind == TransportKind::Tls) {
      // Another domain's server: one connection per (address, name), opened with connect() so
      // that its certificate is verified against the domain (RFC 5922), and reused.
      const std::string where = p.endpoint.to_string();
      if (!p.server_name.empty()) {
        const std::string key = where + "|" + p.server_name;
        auto it = named_flows.find(key);
        if (it == named_flows.end() || !t->send(it->second, bytes)) {
          auto c = t->connect(p.endpoint, p.server_name);
          if (!c) return base::Result<void>(c.error());
          named_flows[key] = *c;
          address_flows[where] = *c;
          auto sent = t->send(*c, std::move(bytes));
          if (!sent) return sent;
          p.flow = *c;
          return {};
        }
        p.flow = it->second;
        return {};
      }
      // An address learned inside a dialog with such a server (its Record-Route, its
      // Contact): the connection verified for its domain serves.
      if (auto it = address_flows.find(where); it != address_flows.end() && t->send(it->second, bytes)) {
        p.flow = it->second;
        return {};
      }
    }
    auto r = t->send(p.endpoint, std::move(bytes));
    if (!r) return base::Result<void>(r.error());
    if (runtime::is_stream(p.kind)) p.flow = *r;
    return {};
  }

  // Where responses to the request being handled go (RFC 3261 §18.2.2, RFC 3581 §4).
  Peer reply_peer(const runtime::InboundMessage& in) const {
    Peer p{in.kind, in.flow, in.remote, {}};
    if (in.kind == TransportKind::Udp && !m.vias.empty()) {
      const msg::Via& v = m.vias.front();
      if (!v.rport) p.endpoint = in.remote.with_port(v.port ? *v.port : 5060);
    }
    return p;
  }

  // A response built and sent without a transaction (malformed requests, 481 to CANCEL ...).
  void respond_stateless(const runtime::InboundMessage& in, std::uint16_t status, std::string_view reason,
                         std::string_view extra = {}) {
    if (m.vias.empty() || m.call_id.empty() || m.cseq.method_text.empty()) {
      counters.dropped++;
      return;
    }
    out.clear();
    msg::ResponseOptions o;
    o.status = status;
    o.reason = reason;
    std::string tag;
    if (m.to.tag.empty() && status > 100) {
      tag = sip::dialog::new_tag(rng);
      o.to_tag = tag;
    }
    o.extra_headers = extra;
    msg::build_response(m, o, out);
    Peer p = reply_peer(in);
    (void)send_to(p, std::move(out), true);
    out = std::string();
  }

  // The bytes of a response to the current request (a To tag is added when it has none).
  // `to_tag`: the tag to add when the request has none (default: a fresh random one).
  std::string make_response(std::uint16_t status, std::string_view reason = {}, std::string_view extra = {},
                            std::string_view to_tag = {}) {
    std::string bytes;
    msg::ResponseOptions o;
    o.status = status;
    o.reason = reason;
    std::string tag;
    if (m.to.tag.empty() && status > 100) {
      if (to_tag.empty()) tag = sip::dialog::new_tag(rng);
      o.to_tag = to_tag.empty() ? std::string_view(tag) : to_tag;
    }
    o.extra_headers = extra;
    msg::build_response(m, o, bytes);
    if (!m.vias.empty()) set_received_in_response(bytes, m.vias.front(), current_source, current_remote.port());
    return bytes;
  }

  // A response to the current request through its server transaction.
  void respond(std::uint64_t sid, std::uint16_t status, std::string_view reason = {}, std::string_view extra = {}) {
    txn::ServerTxn* st = table.server(sid);
    if (st == nullptr) return;
    st->send_response(make_response(status, reason, extra), status, clock.now());
  }

  // ---- group commit of registrations --------------------------------------------------------

  // A 200 to a REGISTER that changed bindings waits until the store has them (Location::flush):
  // writes are gathered for at most `store_batch_window` (or `store_batch_max` of them) and
  // committed in one transaction. If the commit fails the REGISTER gets 500 instead.
  // The 500 is only built when a commit fails, from the 200 (the request is gone by then): same
  // status line aside, without the registrar's header fields (`extra_len` bytes just before
  // the empty Content-Length that ends the 200) and without Record-Route (RFC 3261 §16.7
  // copies it into 2xx and 1xx only).
  struct Deferred {
    std::uint64_t sid;
    std::string ok;
    std::size_t extra_len = 0;
  };
  std::vector<Deferred> deferred;
  runtime::TimerHandle flush_timer;

  static std::string store_failure_from(const std::string& ok, std::size_t extra_len) {
    static constexpr std::string_view kEnd = "Content-Length: 0\r\n\r\n";
    std::string out = "SIP/2.0 500 Store Failure\r\n";
    const std::size_t first = ok.find("\r\n");
    std::size_t end = ok.size();
    if (ok.ends_with(kEnd) && ok.size() >= kEnd.size() + extra_len) end = ok.size() - kEnd.size() - extra_len;
    for (std::size_t pos = first == std::string::npos ? end : first + 2; pos < end;) {
      std::size_t eol = ok.find("\r\n", pos);
      eol = eol == std::string::npos || eol + 2 > end ? end : eol + 2;
      const std::string_view line(ok.data() + pos, eol - pos);
      if (!line.starts_with("Record-Route:")) out.append(line);
      pos = eol;
    }
    out.append(kEnd);
    return out;
  }

  void defer_until_stored(std::uint64_t sid, std::string ok, std::size_t extra_len) {
    deferred.push_back(Deferred{sid, std::move(ok), extra_len});
    if (deferred.size() >= cfg.store_batch_max) {
      flush_store();
    } else {
      store_soon();
    }
  }

  // The next group commit, within `store_batch_window` (at once when the window is zero).
  void store_soon() {
    if (cfg.store_batch_window <= base::Duration::zero()) {
      flush_store();
    } else if (!flush_timer) {
      flush_timer = loop.arm(clock.now() + cfg.store_batch_window, [this] {
        flush_timer.detach();
        flush_store();
        pump();
      });
    }
  }

  // Drops every binding of `aor` (its account is gone), in the next group commit.
  void forget_bindings(const std::string& aor) {
    location.apply(aor, {});
    counters.bindings = location.binding_count();
    log.info("bindings of a removed account dropped", {{"aor", aor}});
    store_soon();
  }

  void flush_store() {
    flush_timer.cancel();
    auto r = location.flush();
    if (!r) log.error("store: registrations not saved", {{"count", deferred.size()}, {"error", r.error().message()}});
    const base::TimePoint now = clock.now();
    std::vector<Deferred> ready;
    ready.swap(deferred);
    for (auto& d : ready) {
      if (txn::ServerTxn* st = table.server(d.sid)) {
        if (r)
          st->send_response(std::move(d.ok), 200, now);
        else
          st->send_response(store_failure_from(d.ok, d.extra_len), 500, now);
      }
    }
  }

  // ---- the transaction table's actions and timers -----------------------------------------

  void pump() {
    for (;;) {
      auto actions = table.take_actions();
      if (actions.empty()) break;
      for (auto& a : actions) handle_action(a);
    }
    counters.transactions = table.size();
    auto next = table.next_deadline();
    if (next && (!armed || *next < *armed)) {
      armed = next;
      timer = loop.arm(*next, [this] {
        armed.reset();
        table.on_timer(clock.now());
        pump();
      });
    }
  }

  void handle_action(txn::TableAction& a) {
    switch (a.action.kind) {
      case txn::Action::Kind::Send: {
        auto it = peers.find(a.flow);
        if (it == peers.end()) return;
        auto r = send_to(it->second, std::move(a.action.bytes), !a.client);
        if (!r) {
          if (a.client) {
            if (auto* ct = table.client(a.txn_id)) ct->on_transport_error(clock.now());
          } else if (auto* st = table.server(a.txn_id)) {
            st->on_transport_error(clock.now());
          }
        }
        return;
      }
      case txn::Action::Kind::Timeout:
        if (a.client) branch_failed(a.txn_id, 408, true);
        return;
      case txn::Action::Kind::TransportError:
        if (a.client) branch_failed(a.txn_id, 503, true);
        return;
      case txn::Action::Kind::Terminated:
        peers.erase(a.flow);
        peer_client.erase(a.flow);
        if (a.client) {
          branch_failed(a.txn_id, 408);  // a no-op when the branch already had its final response
          branch_owner.erase(a.txn_id);
          branch_peer.erase(a.txn_id);
        } else {
          auto it = contexts.find(a.txn_id);
          if (it != contexts.end()) {
            cancel_branches(*it->second);
            for (const auto& b : it->second->branches) branch_owner.erase(b.client_id);
            contexts.erase(it);
          }
        }
        return;
    }
  }

  // ---- entry point ------------------------------------------------------------------------

  void on_message(const runtime::InboundMessage& in) {
    current_remote = in.remote;
    current_peer_names = in.peer_names;
    current_address = shield::Address::from_bytes(in.remote.address_bytes()).value_or(shield::Address{});
    // Admission before parsing: a flood costs a hash and a table look-up per packet.
    std::optional<shield::Verdict> overloaded;
    if (shield) {
      const shield::Verdict a = shield->admit(current_address, clock.now());
      if (a.decision == shield::Decision::Drop) {
        counters.shield_dropped++;
        if (a.first) flush_shield();
        return;
      }
      if (a.decision == shield::Decision::Overloaded) overloaded = a;
    }
    const msg::Framing framing = in.kind == TransportKind::Udp ? msg::Framing::Datagram : msg::Framing::Stream;
    const msg::Verdict v = msg::parse_message(in.bytes, m, cfg.limits, framing);
    current_source = in.remote.address_string();
    if (overloaded) {
      // §21.5.4: a request gets 503 with Retry-After; anything else is dropped.
      counters.shield_overload++;
      if (v.accepted() && m.is_request() && m.method != msg::Method::Ack) {
        const auto secs = std::chrono::duration_cast<std::chrono::seconds>(overloaded->retry_after).count();
        respond_stateless(in, 503, "Overloaded", "Retry-After: " + std::to_string(std::max<long long>(secs, 1)) + "\r\n");
      }
      flush_shield();
      return;
    }
    if (!v.accepted()) {
      // Answer what can be answered without understanding the message (§8.2.6.1, §21.5.6).
      out.clear();
      const std::string tag = v.action == msg::Action::Respond ? sip::dialog::new_tag(rng) : std::string();
      if (v.action == msg::Action::Respond && m.method != msg::Method::Ack &&
          build_stateless_error(in.bytes, v.status, v.reason, tag, {}, out)) {
        counters.stateless_errors++;
        Peer p{in.kind, in.flow, in.remote, {}};
        (void)send_to(p, std::move(out), true);
        out = std::string();
      } else {
        counters.dropped++;
        if (v.action == msg::Action::Close && runtime::is_stream(in.kind)) {
          if (auto* t = transport(in.kind)) t->close(in.flow);
        }
      }
      if (log.enabled(base::LogLevel::Debug))
        log.debug("malformed message", {{"from", in.remote.to_string()}, {"status", v.status}});
      return;
    }
    if (m.is_response()) {
      counters.responses++;
      on_response();
    } else {
      counters.requests++;
      on_request(in);
    }
    pump();
    flush_shield();
  }

  // ---- requests ---------------------------------------------------------------------------

  void on_request(const runtime::InboundMessage& in) {
    msg::SanityOptions so;
    so.role = msg::Role::Proxy;
    const msg::Verdict sv = msg::check(m, so);
    if (!sv.accepted()) {
      if (sv.action == msg::Action::Respond && m.method != msg::Method::Ack) {
        counters.stateless_errors++;
        respond_stateless(in, sv.status, sv.reason);
      } else {
        counters.dropped++;
      }
      return;
    }
    const base::TimePoint now = clock.now();
    if (const std::uint64_t sid = table.find_server_id(m); sid != 0) {
      table.server(sid)->on_request(m, now);  // a retransmission, or the ACK for our non-2xx
      return;
    }
    if (m.method == msg::Method::Ack) {
      forward_ack(in);
      return;
    }
    if (draining) {
      respond_stateless(in, 503, "Shutting Down", "Retry-After: 5\r\n");
      return;
    }
    if (shield && m.to.tag.empty() && m.method != msg::Method::Cancel) {
      // A new out-of-dialog request: scanners are banned here and get no answer at all.
      shield::RequestFacts facts;
      facts.method = m.method_text;
      facts.request_uri_user = m.request_uri.user;
      facts.to_user = m.to.uri.user;
      if (const msg::Header* ua = m.find(msg::HeaderId::UserAgent)) facts.user_agent = ua->value;
      facts.from_tag = m.from.tag;
      if (shield->inspect(current_address, facts, now).decision != shield::Decision::Admit) {
        counters.shield_dropped++;
        return;
      }
    }
    if (m.method == msg::Method::Register && challenged_statelessly(in, now)) return;
    const Peer reply = reply_peer(in);
    const std::uint64_t pid = new_peer(reply);
    auto created = table.create_server(m, runtime::is_stream(in.kind), pid, in.remote.address_string(), now);
    if (!created) {
      peers.erase(pid);
      respond_stateless(in, 503, "Too Many Transactions", "Retry-After: 2\r\n");
      return;
    }
    const std::uint64_t sid = *created;
    if (m.method == msg::Method::Cancel) {
      on_cancel(in, sid);
      return;
    }
    route(in, sid);
  }

  void on_cancel(const runtime::InboundMessage& in, std::uint64_t sid) {
    const std::uint64_t target = table.find_cancel_target_id(m);
    if (target == 0) {
      respond(sid, 481);
      return;
    }
    if (auto r = resolving.find(target); r != resolving.end()) {
      // Still looking for the next hop: nothing went out, so the INVITE ends here with 487.
      if (r->second->kind != in.kind || !r->second->remote.same_address(in.remote)) {
        respond(sid, 481);
        return;
      }
      std::unique_ptr<Resolving> pending = std::move(r->second);
      resolving.erase(r);
      pending->handle.cancel();
      respond(sid, 200);
      if (!pending->account.empty()) guard.end(pending->account, m.call_id, std::nullopt, clock.now());
      if (txn::ServerTxn* st = table.server(target)) {
        msg::Message invite;
        if (msg::parse_message(pending->raw, invite, cfg.limits, msg::Framing::Datagram).accepted()) {
          std::string bytes;
          msg::ResponseOptions o;
          o.status = 487;
          const std::string tag = sip::dialog::new_tag(rng);
          if (invite.to.tag.empty()) o.to_tag = tag;
          msg::build_response(invite, o, bytes);
          st->send_response(std::move(bytes), 487, clock.now());
        }
      }
      return;
    }
    auto it = contexts.find(target);
    // Issue 5: only the caller may cancel. A CANCEL from anywhere but where the INVITE came
    // from (the same address, and over UDP the same port) is a forgery: 481, as if nothing
    // matched, and the call goes on.
    if (it != contexts.end() && !same_sender(*it->second, in)) {
      report(shield::EventKind::ForgedCancel, {}, "CANCEL from " + in.remote.to_string() + " for an INVITE from " +
                                                      it->second->source.to_string());
      respond(sid, 481);
      return;
    }
    respond(sid, 200);
    if (it == contexts.end() || it->second->final_sent) return;
    it->second->cancelled = true;
    cancel_branches(*it->second);
  }

  static bool same_sender(const Context& ctx, const runtime::InboundMessage& in) {
    if (ctx.kind != in.kind || !ctx.source.same_address(in.remote)) return false;
    return runtime::is_stream(in.kind) || ctx.source.port() == in.remote.port();
  }

  void route(const runtime::InboundMessage& in, std::uint64_t sid) {
    route_request(in, sid);
    end_routing();
  }
  // A call the guard counted but that was never forwarded (refused or unroutable) ends here.
  void end_routing() {
    if (!routing_account.empty()) guard.end(routing_account, m.call_id, std::nullopt, clock.now());
    routing_account.clear();
    routing_spit_caller.clear();
    routing_extra.clear();
    routing_signed = false;
    routing_from.clear();
    routing_trying_sent = false;
    routing_more = RoutingMore{};
  }

  enum class Screen { Go, Stop, Divert };

  // Caller rules and SPIT scoring for a new INVITE (issue 5); Stop when it has been answered.
  Screen screen_call(std::uint64_t sid, bool authenticated, const std::string& account, bool local_target) {
    const base::TimePoint now = clock.now();
    if (authenticated) {
      if (!local_target) {
        // Toll fraud: a call out of our domains to a premium-rate or other blocked number.
        if (auto why = destinations.blocked(m.request_uri.user)) {
          report(shield::EventKind::DestinationBlocked, account, std::move(*why));
          respond(sid, 403, "Destination Blocked");
          return Screen::Stop;
        }
      }
      auto v = guard.begin(account, m.call_id, now);
      if (!v.allowed()) {
        if (v.first) report(shield::EventKind::CallLimit, account, std::move(v.reason));
        respond(sid, 403, v.decision == shield::CallDecision::TooManyConcurrent ? "Too Many Calls"
                                                                                 : "Too Many Call Attempts");
        return Screen::Stop;
      }
      routing_account = account;
    }
    if (!local_target) return Screen::Go;
    // From outside, the caller is known by its From address (a peer vouches for it).
    const std::string caller = authenticated ? account : canonical_aor(m.from.uri.user, m.from.uri.host);
    const auto score = spit.score(caller, canonical_aor(m.request_uri.user, m.request_uri.host), !authenticated, now);
    if (score.accepted()) {
      routing_spit_caller = caller;
      return Screen::Go;
    }
    report(shield::EventKind::Spit, authenticated ? account : caller, score.reason);
    if (score.verdict == shield::SpitVerdict::Divert) return Screen::Divert;
    respond(sid, 603, "Decline");
    return Screen::Stop;
  }

  // The contacts registered for a local address-of-record, as branches.
  std::vector<Target> targets_for(const std::string& aor) {
    std::vector<Target> targets;
    for (const auto& b : location.lookup(aor, unix_now())) {
      std::optional<NextHop> hop;
      if (!b.received.empty()) hop = parse_next_hop(b.received);
      msg::Uri contact;
      if (!hop && msg::parse_uri(b.contact, contact)) hop = next_hop_for_uri(contact);
      if (!hop) continue;
      targets.push_back(Target{*hop, b.contact, b.path, {}, {}});
    }
    return targets;
  }

  // A call scored as SPIT goes to the configured destination instead (a local user such as a
  // mailbox, or an address), or gets 603 when that cannot be reached.
  void divert(const runtime::InboundMessage& in, std::uint64_t sid, std::size_t pop) {
    msg::Uri to;
    std::vector<Target> targets;
    if (msg::parse_uri(cfg.spit.divert_to, to)) {
      if (is_local_domain_uri(to)) {
        targets = targets_for(canonical_aor(to.user, to.host));
      } else if (auto hop = next_hop_for_uri(to)) {
        targets.push_back(Target{*hop, cfg.spit.divert_to, {}, {}, {}});
      }
    }
    if (targets.empty()) {
      respond(sid, 603, "Decline");
      return;
    }
    forward_many(in, sid, targets, pop);
  }

  void route_request(const runtime::InboundMessage& in, std::uint64_t sid) {
    // Max-Forwards (§16.3 step 3); OPTIONS for us is answered even at 0 (§11).
    // Our own Route values at the top: one, or two after a double Record-Route (RFC 5658).
    std::size_t pop = 0;
    while (pop < 2 && pop < m.routes.size() && is_us(m.routes[pop].uri)) ++pop;
    const std::size_t remaining = m.routes.size() - pop;
    // OPTIONS for the proxy itself (no user part), or one that may not go further (§11): ours
    // to answer. OPTIONS for a user is routed like any request.
    const bool to_us = remaining == 0 && m.request_uri.user.empty() &&
                       (is_us(m.request_uri) || is_local_host(m.request_uri.host));
    if (m.method == msg::Method::Options && (to_us || m.max_forwards == 0)) {
      respond(sid, 200, {}, std::string(kAllow) + "Accept: application/sdp\r\nSupported: path\r\n");
      return;
    }
    if (m.max_forwards == 0) {
      respond(sid, 483);
      return;
    }
    // Loop detection (§16.3 step 4): our Via with the same routing fingerprint.
    // The fingerprint is computed only when one of the Vias is ours: most requests have none.
    std::string hash;
    for (const auto& v : m.vias) {
      if (!via_is_ours(v)) continue;
      if (hash.empty()) hash = loop_hash(m);
      if (v.branch.size() > 7 + hash.size() && v.branch.substr(7, hash.size()) == hash) {
        respond(sid, 482);
        return;
      }
    }
    const bool in_dialog = !m.to.tag.empty();
    // Issue 7: a request for a Contact we hid (a token at our address) goes to the contact the
    // token holds; one we cannot read is not ours to route (404).
    if (in_dialog && pop && remaining == 0 && looks_like_contact_token(m.request_uri)) {
      auto original = sip::identity::read_contact_token(contact_key, m.request_uri.user);
      if (!original) {
        respond(sid, 404, "Unknown Contact");
        return;
      }
      routing_more.request_uri = std::move(*original);
      if (!msg::parse_uri(routing_more.request_uri, routing_target)) {
        respond(sid, 404, "Unknown Contact");
        return;
      }
    }
    // In a dialog that came through our Record-Route, the Request-URI is the remote target (a
    // Contact), not an address-of-record to look up (§16.4 with §12.2.1.1).
    const bool local_target = remaining == 0 && routing_more.request_uri.empty() && is_local_domain_uri(m.request_uri) &&
                              !(in_dialog && pop && !is_us(m.request_uri));
    if (m.method == msg::Method::Register && local_target) {
      on_register(in, sid);
      return;
    }
    // Dialog protection: a request inside a dialog we record-routed comes from its parties.
    if (in_dialog && pop && !check_dialog(sid)) return;
    bool authenticated = false;
    std::string account;
    const bool from_local = m.from.uri.is_sip() && is_local_host(m.from.uri.host);
    if (!in_dialog && !from_local && m.from.uri.is_sip()) {
      // Issue 7: what the domain policy says about the caller's domain.
      const DomainAction act = policy_for(m.from.uri.host);
      if (act == DomainAction::Deny) {
        respond(sid, 403, "Domain Not Allowed");
        return;
      }
      if (act == DomainAction::RequireTls && in.kind != TransportKind::Tls) {
        respond(sid, 403, "TLS Required");
        return;
      }
    }
    if (!in_dialog && (from_local || (local_target && !is_peer(current_address) && !is_tls_peer()))) {
      // Initial request from one of our users: proxy authentication (§22.3), and the From
      // user must be the authenticated one (no calling as somebody else). A request for one of
      // our users from a source that is not a peer is challenged the same way, whoever the
      // user is: nothing about the user is said before the caller authenticated.
      const std::string realm = lower(from_local ? m.from.uri.host : m.request_uri.host);
      std::string user;
      if (!authenticate(sid, true, realm, user)) return;
      if (!from_local || user != m.from.uri.user) {
        respond(sid, 403, "From Does Not Match Credentials");
        return;
      }
      authenticated = true;
      account = user + "@" + realm;
      routing_more.asserted_identity = "sip:" + account;
      routing_more.consumed_realm = realm;
    }
    // Issue 7, the transfer token: a REFER of one of our users inside a dialog is
    // authenticated and leaves with our signed Referred-By (referrer, referee, target, time).
    if (in_dialog && from_local && m.method == msg::Method::Refer && referral_signer != nullptr) {
      const std::string realm = lower(m.from.uri.host);
      std::string user;
      if (!authenticate(sid, true, realm, user)) return;
      if (user != m.from.uri.user) {
        respond(sid, 403, "From Does Not Match Credentials");
        return;
      }
      routing_more.consumed_realm = realm;
      const std::string referrer_text = "sip:" + user + "@" + realm;
      msg::Uri referrer;
      if (msg::parse_uri(referrer_text, referrer)) {
        auto rb = referral_signer->referred_by_for(m, referrer, clock.wall_now());
        if (rb) {
          routing_extra += "Referred-By: " + *rb + "\r\n";
          routing_more.drop_referred_by = true;
        } else if (rb.error() == sip::identity::ReferralErrc::MalformedReferredBy) {
          respond(sid, 400, "Bad Refer-To");
          return;
        } else {
          log.warn("transfer: REFER not signed", {{"call_id", std::string(m.call_id.substr(0, 128))},
                                                  {"error", rb.error().message()}});
        }
      }
    }
    // Issue 7, privacy (RFC 3323/3325): what the request asks for, checked once here; the
    // rules run on each branch's copy (they depend on whether the next hop is trusted).
    auto privacy = sip::identity::privacy_of(m);
    if (!privacy) {
      respond(sid, 400, "Bad Privacy Header");
      return;
    }
    routing_more.privacy_check = privacy->present || cfg.topology_hiding || (authenticated && !cfg.trusted.empty()) ||
                                 m.find(msg::HeaderId::PAssertedIdentity) != nullptr ||
                                 m.find(msg::HeaderId::PPreferredIdentity) != nullptr;
    routing_more.anonymize_from = authenticated && privacy->any();
    // Issue 7, SIP Identity: an INVITE of one of our users to another domain is signed (RFC
    // 8224 §6.1); one from elsewhere to one of our users is verified (§6.2) and the callee gets
    // the verdict as verstat on the From URI. A caller we authenticated ourselves is verified.
    if (!in_dialog && m.method == msg::Method::Invite) {
      if (authenticated && !local_target && signer != nullptr) {
        // An anonymous call is not signed: the PASSporT would name the caller it hides.
        if (!privacy->any()) sign_request();
      } else if (local_target && verifier != nullptr) {
        if (!authenticated) {
          verify_then_route(in, sid, pop);
          return;
        }
        routing_from = with_uri_param(m.from, "verstat", "TN-Validation-Passed");
      }
    }
    route_after_identity(in, sid, pop, authenticated, account, local_target, in_dialog);
  }

  void route_after_identity(const runtime::InboundMessage& in, std::uint64_t sid, std::size_t pop,
                            bool authenticated, const std::string& account, bool local_target, bool in_dialog) {
    const std::size_t remaining = m.routes.size() - pop;
    // Issue 7: a transfer token on an INVITE to one of our users must hold (it may wait for
    // the signer's certificate).
    if (!in_dialog && local_target && m.method == msg::Method::Invite && referral_verifier != nullptr &&
        !routing_more.referral_done) {
      routing_more.referral_done = true;
      if (!check_referral(in, sid, pop, authenticated, account)) return;
    }
    if (shield && !in_dialog && m.method == msg::Method::Invite) {
      switch (screen_call(sid, authenticated, account, local_target)) {
        case Screen::Go: break;
        case Screen::Stop: return;
        case Screen::Divert: divert(in, sid, pop); return;
      }
    }
    if (remaining > 0) {
      // Loose routing (§16.4, §16.6 step 6): the next Route decides, the Request-URI stays.
      if (in_dialog && !pop) {
        respond(sid, 403, "Not Routed Here");
        return;
      }
      route_to(in, sid, m.routes[pop].uri, pop);
      return;
    }
    if (local_target) {
      if (m.request_uri.user.empty()) {
        respond(sid, 404);
        return;
      }
      const std::string aor = canonical_aor(m.request_uri.user, m.request_uri.host);
      const bool bound = !location.lookup(aor, unix_now()).empty();
      if (find_user(m.request_uri.user, lower(m.request_uri.host)) == nullptr) {
        // Only an account's owner registers bindings, so bindings without an account are
        // those of an account removed since (`warden user rm` in another process, seen here
        // within a second): they are dropped, memory and store, instead of staying reachable
        // until they expire.
        if (bound) forget_bindings(aor);
        respond(sid, 404);
        return;
      }
      if (!bound) {
        respond(sid, 480);
        return;
      }
      std::vector<Target> targets = targets_for(aor);
      // A sips: Request-URI is TLS on every hop (RFC 5630 §3.1.3): only contacts reached over TLS.
      if (m.request_uri.scheme == msg::Scheme::Sips)
        std::erase_if(targets, [](const Target& t) { return t.hop.kind != TransportKind::Tls; });
      if (targets.empty()) {
        respond(sid, 480, m.request_uri.scheme == msg::Scheme::Sips ? "No TLS Contact" : std::string_view{});
        return;
      }
      forward_many(in, sid, targets, pop);
      return;
    }
    // A foreign target: only our authenticated users, and in-dialog requests that came through
    // our Record-Route, may use us as a relay.
    if (!authenticated && !(in_dialog && pop)) {
      respond(sid, 403, "Relaying Denied");
      return;
    }
    route_to(in, sid, routing_more.request_uri.empty() ? m.request_uri : routing_target, pop);
  }

  // ---- the transfer token (issue 7) ---------------------------------------------------------

  // True when the INVITE being handled carries no transfer token; false when it has been
  // answered (403) or waits for the signer's certificate (routing goes on from there).
  bool check_referral(const runtime::InboundMessage& in, std::uint64_t sid, std::size_t pop, bool authenticated,
                      const std::string& account) {
    auto read = sip::identity::read_referral(m, referral_verifier->config().limits);
    if (auto* v = std::get_if<sip::identity::ReferralVerdict>(&read)) {
      if (v->status == sip::identity::ReferralStatus::NoToken) return true;
      refuse_referral(sid, *v);
      return false;
    }
    // The referee must be who we know the caller to be: the user we authenticated, or the
    // caller of another domain whose Identity verified.
    std::string caller;
    if (authenticated) caller = "sip:" + account;
    else if (routing_from.find("TN-Validation-Passed") != std::string::npos) caller.assign(m.from.uri.raw);
    if (caller.empty() || certificates == nullptr) {
      refuse_referral(sid, sip::identity::ReferralVerdict::failed(
                               caller.empty() ? sip::identity::ReferralErrc::UnauthenticatedCaller
                                              : sip::identity::ReferralErrc::CertificateUnavailable,
                               caller.empty() ? "the caller is not authenticated" : "no certificate fetcher"));
      return false;
    }
    auto pending = std::make_shared<sip::identity::PendingReferral>(std::get<sip::identity::PendingReferral>(std::move(read)));
    if (m.method == msg::Method::Invite && !routing_trying_sent) respond(sid, 100);
    auto r = waiting(in, pop);
    r->referral = pending;
    r->authenticated = authenticated;
    r->account = account;
    r->caller = std::move(caller);
    r->from_value = std::move(routing_from);
    r->extra_headers = std::move(routing_extra);
    r->signed_here = routing_signed;
    r->more = std::move(routing_more);
    routing_from.clear();
    routing_extra.clear();
    routing_signed = false;
    routing_more = RoutingMore{};
    resolving[sid] = std::move(r);
    fetch_certificate(sid, pending->info_url, &Impl::on_referral_certificate);
    return false;
  }

  void on_referral_certificate(std::uint64_t sid, base::Result<std::vector<crypto::Certificate>> chain, bool resume) {
    auto it = resolving.find(sid);
    if (it == resolving.end() || !it->second->referral) return;  // cancelled meanwhile
    std::unique_ptr<Resolving> r = std::move(it->second);
    resolving.erase(it);
    runtime::InboundMessage in;
    if (!resume_request(*r, resume, in)) return;
    msg::Uri caller;
    sip::identity::ReferralVerdict verdict;
    if (!chain) {
      verdict = sip::identity::ReferralVerdict::failed(sip::identity::ReferralErrc::CertificateUnavailable,
                                                       chain.error().message());
    } else if (!msg::parse_uri(r->caller, caller)) {
      verdict = sip::identity::ReferralVerdict::failed(sip::identity::ReferralErrc::UnauthenticatedCaller, "caller");
    } else {
      verdict = referral_verifier->verify(*r->referral, *chain, &caller, m.request_uri, clock.wall_now());
    }
    routing_trying_sent = true;
    if (verdict.status != sip::identity::ReferralStatus::Verified) {
      refuse_referral(sid, verdict);
    } else {
      log.info("transfer token verified", {{"call_id", std::string(m.call_id.substr(0, 128))},
                                           {"referrer", verdict.referrer.substr(0, 256)},
                                           {"referee", r->caller.substr(0, 256)}});
      routing_from = std::move(r->from_value);
      routing_extra = std::move(r->extra_headers);
      routing_signed = r->signed_here;
      routing_more = std::move(r->more);
      routing_more.referral_done = true;
      route_after_identity(in, sid, r->pops, r->authenticated, r->account, true, false);
    }
    if (resume) {
      end_routing();
      pump();
      flush_shield();
    }
  }

  void refuse_referral(std::uint64_t sid, const sip::identity::ReferralVerdict& v) {
    log.info("transfer token refused", {{"call_id", std::string(m.call_id.substr(0, 128))},
                                        {"reason", std::string(sip::identity::describe(v.reason))},
                                        {"detail", v.detail.substr(0, 200)}});
    respond(sid, 403, "Invalid Referral");
  }

  // ---- SIP Identity (issue 7) ---------------------------------------------------------------

  // A request that waits (for DNS or a certificate) with its server transaction open.
  std::unique_ptr<Resolving> waiting(const runtime::InboundMessage& in, std::size_t pop) const {
    auto r = std::make_unique<Resolving>();
    r->kind = in.kind;
    r->flow = in.flow;
    r->local = in.local;
    r->remote = in.remote;
    r->raw.assign(m.bytes);
    r->pops = pop;
    return r;
  }

  // Fetches the certificate at `url` for the request of `sid` (waiting in `resolving`), then
  // calls `then(sid, chain, resume)`: at once (resume false, `m` still the request) when the
  // source answers from its cache, later (resume true) otherwise.
  using CertificateHandler = void (Impl::*)(std::uint64_t, base::Result<std::vector<crypto::Certificate>>, bool);
  void fetch_certificate(std::uint64_t sid, const std::string& url, CertificateHandler then) {
    fetching_sid = sid;
    fetched_at_once.reset();
    certificates->fetch(url, [this, sid, then](base::Result<std::vector<crypto::Certificate>> chain) {
      if (fetching_sid == sid) {
        fetched_at_once = std::move(chain);
        return;
      }
      (this->*then)(sid, std::move(chain), true);
    });
    fetching_sid = 0;
    if (fetched_at_once) {
      auto chain = std::move(*fetched_at_once);
      fetched_at_once.reset();
      (this->*then)(sid, std::move(chain), false);
    }
  }

  void sign_request() {
    const base::WallTime now = clock.wall_now();
    auto v = signer->identity_for(m, now);
    if (!v) {
      // From or To is not an identity a PASSporT can carry: the call goes on unsigned.
      log.warn("identity: request not signed", {{"call_id", std::string(m.call_id.substr(0, 128))},
                                                {"error", v.error().message()}});
      return;
    }
    routing_extra = "Identity: " + *v + "\r\nDate: " + sip::identity::IdentitySigner::date_for(now) + "\r\n";
    routing_signed = true;
  }

  // The certificate of the INVITE's Identity header is fetched (its info URL, through the
  // cache), then the request is verified and routed on; the server transaction waits.
  void verify_then_route(const runtime::InboundMessage& in, std::uint64_t sid, std::size_t pop) {
    auto read = sip::identity::read_identity(m, verifier->config().limits);
    if (auto* v = std::get_if<sip::identity::Verdict>(&read)) {
      route_with_verdict(in, sid, pop, *v);
      return;
    }
    auto pending = std::make_shared<sip::identity::PendingIdentity>(std::get<sip::identity::PendingIdentity>(std::move(read)));
    if (certificates == nullptr) {
      route_with_verdict(in, sid, pop,
                         sip::identity::Verdict::failed(sip::identity::IdentityErrc::CertificateUnavailable, "no fetcher"));
      return;
    }
    respond(sid, 100);
    auto r = waiting(in, pop);
    r->identity = pending;
    r->more = std::move(routing_more);
    routing_more = RoutingMore{};
    resolving[sid] = std::move(r);
    fetch_certificate(sid, pending->info_url, &Impl::on_certificate);
  }

  void on_certificate(std::uint64_t sid, base::Result<std::vector<crypto::Certificate>> chain, bool resume) {
    auto it = resolving.find(sid);
    if (it == resolving.end() || !it->second->identity) return;  // cancelled meanwhile
    std::unique_ptr<Resolving> r = std::move(it->second);
    resolving.erase(it);
    const sip::identity::Verdict verdict =
        chain ? verifier->verify(*r->identity, *chain, clock.wall_now())
              : sip::identity::Verdict::failed(sip::identity::IdentityErrc::CertificateUnavailable, chain.error().message());
    runtime::InboundMessage in;
    if (!resume_request(*r, resume, in)) return;
    routing_trying_sent = true;
    routing_more = std::move(r->more);
    route_with_verdict(in, sid, r->pops, verdict);
    if (resume) {
      end_routing();
      pump();
      flush_shield();
    }
  }

  void route_with_verdict(const runtime::InboundMessage& in, std::uint64_t sid, std::size_t pop,
                          const sip::identity::Verdict& verdict) {
    if (verdict.status == sip::identity::VerdictStatus::Failed) {
      log.info("identity failed", {{"call_id", std::string(m.call_id.substr(0, 128))},
                                   {"reason", std::string(sip::identity::describe(verdict.reason))},
                                   {"detail", verdict.detail.substr(0, 200)}});
      // A replayed signature is refused outright (RFC 8224 §6.2.2: 438); other failures reach
      // the callee as "failed" unless the operator wants them refused too.
      if (verdict.reason == sip::identity::IdentityErrc::Replayed || cfg.reject_failed_identity) {
        respond(sid, 438, "Invalid Identity Header");
        return;
      }
    }
    routing_from = with_uri_param(m.from, "verstat", verdict.verstat());
    route_after_identity(in, sid, pop, false, {}, true, false);
  }

  // True when the in-dialog request being handled may go on; otherwise it has been answered
  // (481 for a dialog we do not know, 403 for a sender outside the dialog) and reported.
  bool check_dialog(std::uint64_t sid) {
    auto it = dialogs.find(dialog_key(m.call_id, m.from.tag, m.to.tag));
    if (it == dialogs.end()) {
      report(shield::EventKind::ForgedInDialog, {}, std::string(m.method_text) + " for a dialog this proxy does not know");
      respond(sid, 481);
      return false;
    }
    if (!it->second.has(current_address)) {
      report(shield::EventKind::ForgedInDialog, {}, std::string(m.method_text) + " from outside the dialog");
      respond(sid, 403, "Not A Party To This Dialog");
      return false;
    }
    it->second.last = clock.now();
    return true;
  }

  // ---- authentication ---------------------------------------------------------------------

  // Accounts are cached until the store says another connection changed it (a `warden user`
  // command: asked at most once a second), so an account changed or removed while the proxy
  // runs applies within a second, and the store is not read again for accounts it knows.
  const CachedUser* find_user(std::string_view username, const std::string& domain) {
    const base::TimePoint now = clock.now();
    if (now >= users_checked + std::chrono::seconds(1)) {
      users_checked = now;
      auto stamp = store.outside_changes();
      if (!stamp || *stamp != users_stamp) users.clear();
      users_stamp = stamp ? *stamp : ~std::uint64_t{0};
    }
    std::string& key = user_key;  // kept between calls: a hit costs no allocation
    key.assign(username);
    key += '@';
    key += domain;
    auto it = users.find(key);
    if (it != users.end()) return &it->second;
    auto found = store.find_user(username, domain);
    if (!found || !*found) return nullptr;
    if (users.size() > 200000) users.clear();  // bound the cache; it refills on demand
    CachedUser cu;
    cu.user = **found;
    cu.keys.ha1_md5 = cu.user.ha1_md5;
    cu.keys.ha1_sha256 = cu.user.ha1_sha256;
    cu.keys.ha1_sha512_256 = cu.user.ha1_sha512_256;
    cu.keys.strongest_used = static_cast<auth::Algorithm>(std::clamp(cu.user.strongest_used, 0, 2));
    cu.keys.allow_md5 = cu.user.allow_md5;
    auto [pos, inserted] = users.insert_or_assign(key, std::move(cu));
    return &pos->second;
  }
  std::string user_key;  // find_user's look-up key

  // Sends the 401/407; after `delay` when it is not zero (the tarpit of a failing source: the
  // server transaction stays open, retransmissions are absorbed, nothing else is spent).
  // The 401 (or 407 when `proxy`) that challenges the current request for `realm`.
  std::string challenge_response(bool proxy, std::string_view realm, bool stale) {
    counters.challenges++;
    std::string& extra = challenge_scratch;  // kept between calls: no allocation per challenge
    extra.clear();
    auth::append_challenge_headers(nonces, clock.wall_now(), realm, stale, cfg.algorithms,
                                   proxy ? "Proxy-Authenticate" : "WWW-Authenticate", extra);
    const StatelessTag tag = stateless_tag();
    return make_response(proxy ? 407 : 401, {}, extra, std::string_view(tag.data(), tag.size()));
  }

  std::string challenge_scratch;

  void challenge(std::uint64_t sid, bool proxy, std::string_view realm, bool stale,
                 base::Duration delay = base::Duration::zero()) {
    const std::uint16_t status = proxy ? 407 : 401;
    // RFC 3261 §8.2.7: challenges are answered as a stateless UAS would. The transaction is
    // forgotten once the challenge is sent, so unauthenticated requests leave no state behind
    // (a flood of them would otherwise fill the table for 32 s), and a spoofed INVITE does not
    // make us retransmit 407s to its victim (amplification). A retransmitted request gets a
    // fresh challenge with the same To tag, which is derived from the request.
    auto send = [this, sid, status](std::string bytes) {
      if (txn::ServerTxn* st = table.server(sid)) {
        st->send_response(std::move(bytes), status, clock.now());
        st->abandon();
      }
    };
    if (delay <= base::Duration::zero()) {
      send(challenge_response(proxy, realm, stale));
      return;
    }
    auto bytes = std::make_shared<std::string>(challenge_response(proxy, realm, stale));
    tarpitted[sid] = loop.arm(clock.now() + delay, [this, sid, bytes, send] {
      if (auto node = tarpitted.extract(sid)) node.mapped().detach();
      send(std::move(*bytes));
      pump();
    });
  }
  std::unordered_map<std::uint64_t, runtime::TimerHandle> tarpitted;  // delayed challenges by server id

  // A To tag that is the same for every retransmission of the request being handled (§8.2.7)
  // and unpredictable to others: 128 bits of keyed hash over what identifies the request.
  using StatelessTag = std::array<char, 32>;
  StatelessTag stateless_tag() {
    std::string& in = tag_scratch;  // kept between calls: no allocation per challenge
    in.clear();
    in.reserve(m.call_id.size() + m.from.tag.size() + 80);
    in += m.call_id;
    in += '\x1f';
    in += m.from.tag;
    in += '\x1f';
    if (!m.vias.empty()) in += m.vias.front().branch;
    in += '\x1f';
    in += std::to_string(m.cseq.number);
    in += '\x1f';
    in += m.method_text;
    static constexpr char kHex[] = "0123456789abcdef";
    StatelessTag tag;
    for (int half = 0; half < 2; ++half) {
      in += half == 0 ? "\x1ftag-a" : "\x1ftag-b";
      const std::uint64_t h = call_hash(in);
      for (int i = 0; i < 16; ++i) tag[static_cast<std::size_t>(half * 16 + i)] = kHex[(h >> (60 - 4 * i)) & 15];
    }
    return tag;
  }
  std::string tag_scratch;  // stateless_tag's input

  // True when the request carries valid credentials for `realm`; otherwise the challenge has
  // been sent. `user` gets the authenticated user name.
  bool authenticate(std::uint64_t sid, bool proxy, const std::string& realm, std::string& user) {
    const msg::Credentials* cred = nullptr;
    for (const auto& c : m.credentials) {
      if (c.proxy == proxy && msg::cs::iequals(c.scheme, "Digest") && c.realm == realm) {
        cred = &c;
        break;
      }
    }
    if (cred == nullptr) {
      // A source that has been failing waits for its fresh challenges too, or a cracker would
      // simply ask for a new one instead of waiting for the answer to its last guess.
      challenge(sid, proxy, realm, false, shield ? shield->tarpit(current_address, clock.now()) : base::Duration{});
      return false;
    }
    const CachedUser* cu = find_user(cred->username, realm);
    auth::DigestVerifier digest(nonces, nonce_counter, realm);
    const auth::VerifyResult r =
        digest.verify(*cred, m.method_text, m.body, cu != nullptr ? &cu->keys : nullptr, clock.wall_now());
    std::string& account = account_scratch;  // kept between calls: no allocation per request
    account.assign(cred->username).append("@").append(realm);
    if (r.outcome == auth::Outcome::Ok) {
      user = std::string(cred->username);
      if (auth::strength(r.algorithm) > auth::strength(cu->keys.strongest_used)) raise_strength(*cu, r.algorithm);
      if (shield) shield->on_auth_success(current_address, account, clock.now());
      return true;
    }
    base::Duration tarpit{};
    if (r.outcome != auth::Outcome::Stale) {
      counters.auth_failures++;
      log.info("authentication failed", {{"user", cred->username},
                                         {"realm", realm},
                                         {"method", m.method_text},
                                         {"from", current_remote.to_string()},
                                         {"outcome", auth::to_string(r.outcome)}});
      if (shield) {
        // Brute force: the failing source waits longer each time and is banned at the
        // threshold; a banned source gets no answer at all.
        const auto v = shield->on_auth_failure(current_address, account, clock.now());
        if (v.banned) {
          if (txn::ServerTxn* st = table.server(sid)) st->abandon();
          return false;
        }
        tarpit = v.tarpit;
      }
    }
    challenge(sid, proxy, realm, r.outcome == auth::Outcome::Stale, tarpit);
    return false;
  }

  std::string account_scratch;  // authenticate's "user@realm"

  // No downgrade (RFC 8760 §3): remember the strongest algorithm this account has used.
  void raise_strength(const CachedUser& cu, auth::Algorithm a) {
    std::string key = cu.user.username + "@" + cu.user.domain;
    auto it = users.find(key);
    if (it == users.end()) return;
    it->second.keys.strongest_used = a;
    it->second.user.strongest_used = auth::strength(a);
    auto r = store.update_user(it->second.user);
    if (!r) log.error("store: cannot record the account's algorithm", {{"user", key}, {"error", r.error().message()}});
  }

  // ---- registrar --------------------------------------------------------------------------

  // A REGISTER for one of our domains without credentials for it is challenged before any
  // transaction exists (RFC 3261 §8.2.7, a stateless UAS): half of every registration's
  // requests then cost no transaction, no table entries and nothing to forget 32 s later. It
  // gets what route_request and on_register would have sent, and only when they would have
  // sent exactly that; anything else (a Route, a Via of ours, a To tag, a tarpitted source,
  // credentials to check) takes the stateful path. Returns true when the 401 went out.
  bool challenged_statelessly(const runtime::InboundMessage& in, base::TimePoint now) {
    if (!m.routes.empty() || !m.to.tag.empty() || m.max_forwards == 0) return false;
    if (!is_local_domain_uri(m.request_uri) || !m.to.uri.is_sip() || !is_local_host(m.to.uri.host)) return false;
    for (const auto& v : m.vias) {
      if (via_is_ours(v)) return false;  // loop detection has the say
    }
    const std::string realm = lower(m.to.uri.host);
    for (const auto& c : m.credentials) {
      if (!c.proxy && msg::cs::iequals(c.scheme, "Digest") && c.realm == realm) return false;
    }
    if (shield && shield->tarpit(current_address, now) > base::Duration::zero()) return false;
    Peer reply = reply_peer(in);
    (void)send_to(reply, challenge_response(false, realm, false), true);
    return true;
  }

  void on_register(const runtime::InboundMessage& in, std::uint64_t sid) {
    if (!m.to.uri.is_sip() || !is_local_host(m.to.uri.host)) {
      respond(sid, 404, "Domain Not Served");
      return;
    }
    const std::string realm = lower(m.to.uri.host);
    std::string user;
    if (!authenticate(sid, false, realm, user)) return;
    // §10.3 step 4: only the owner of an address-of-record may change its bindings.
    if (user != m.to.uri.user) {
      respond(sid, 403, "Not Your Address");
      return;
    }
    const std::string aor = canonical_aor(m.to.uri.user, realm);
    // Where to reach this UA: its Contact, unless it registered over a connection or from
    // behind a NAT (the top Via's sent-by is not where the request came from).
    std::string received;
    const msg::Via& via = m.vias.front();
    const auto sent_by = Endpoint::from_address(via.host, via.port ? *via.port : 5060);
    if (runtime::is_stream(in.kind) || !sent_by || *sent_by != in.remote)
      received = format_next_hop(NextHop{in.kind, in.remote});
    RegisterResult r = process_register(m, aor, location, cfg.registrar, unix_now(), received);
    if (r.status == 200) {
      counters.registrations++;
      counters.bindings = location.binding_count();
      if (r.changed) {
        if (log.enabled(base::LogLevel::Debug)) log.debug("register", {{"aor", aor}, {"from", in.remote.to_string()}});
        defer_until_stored(sid, make_response(200, r.reason, r.extra_headers), r.extra_headers.size());
        return;
      }
    } else {
      log.info("register refused", {{"aor", aor}, {"status", r.status}});
    }
    respond(sid, r.status, r.reason, r.extra_headers);
  }

  // ---- forwarding -------------------------------------------------------------------------


  void forward(const runtime::InboundMessage& in, std::uint64_t sid, const Target& t, std::size_t pop) {
    forward_many(in, sid, std::vector<Target>{t}, pop);
  }

  // ---- other domains (issue 7) --------------------------------------------------------------

  DomainAction policy_for(std::string_view domain) const {
    const DomainPolicy* any = nullptr;
    for (const auto& p : cfg.domain_policies) {
      if (p.domain == "*") {
        if (any == nullptr) any = &p;
      } else if (msg::cs::iequals(p.domain, domain)) {
        return p.action;
      }
    }
    return any != nullptr ? any->action : DomainAction::Allow;
  }

  // Sends the request being handled toward `uri` (the next Route, or the Request-URI of a
  // foreign target): at once for an address, after RFC 3263 server location for a name.
  void route_to(const runtime::InboundMessage& in, std::uint64_t sid, const msg::Uri& uri, std::size_t pop) {
    if (!uri.is_sip()) {
      respond(sid, 416);
      return;
    }
    if (auto hop = next_hop_for_uri(uri)) {
      if (m.request_uri.scheme == msg::Scheme::Sips && hop->kind != TransportKind::Tls) {
        respond(sid, 403, "TLS Required For sips");  // RFC 5630 §3.1.3: TLS on every hop
        return;
      }
      forward(in, sid, Target{*hop, routing_more.request_uri, {}, {}, {}}, pop);
      return;
    }
    const DomainAction act = policy_for(uri.host);
    if (act == DomainAction::Deny) {
      respond(sid, 403, "Domain Not Allowed");
      return;
    }
    const bool token_target = &uri == &routing_target;
    if (!locator) {
      respond(sid, 503, "Cannot Resolve Target");
      return;
    }
    // The caller stops retransmitting while DNS answers (§16.2).
    if (m.method == msg::Method::Invite) respond(sid, 100);
    auto r = waiting(in, pop);
    r->request_uri.assign(uri.raw.substr(0, 256));
    r->server_name = lower(uri.host);
    r->account = std::move(routing_account);
    r->spit_caller = std::move(routing_spit_caller);
    r->extra_headers = std::move(routing_extra);
    r->signed_here = routing_signed;
    r->more = std::move(routing_more);
    routing_account.clear();
    routing_spit_caller.clear();
    routing_extra.clear();
    routing_signed = false;
    routing_more = RoutingMore{};
    sip::resolve::LocateOptions o;
    o.transports.udp = transport(TransportKind::Udp) != nullptr;
    o.transports.tcp = transport(TransportKind::Tcp) != nullptr;
    o.transports.tls = transport(TransportKind::Tls) != nullptr;
    o.require_tls = act == DomainAction::RequireTls || m.request_uri.scheme == msg::Scheme::Sips;
    o.use_ipv6 = cfg.dns_ipv6;
    Resolving& pending = *r;
    resolving[sid] = std::move(r);
    // A contact token's URI (routing_target) points into routing_more, which moved into the
    // waiting request above: read it again from there.
    msg::Uri target = uri;
    if (token_target && !msg::parse_uri(pending.more.request_uri, target)) {
      resolving.erase(sid);
      respond(sid, 404, "Unknown Contact");
      return;
    }
    locating_sid = sid;
    located_at_once.reset();
    auto handle = locator->locate(target, o, [this, sid](base::Result<sip::resolve::TargetList> res) {
      if (locating_sid == sid) {
        located_at_once = std::move(res);  // handled below, with `m` still the request
        return;
      }
      on_located(sid, std::move(res), true);
    });
    locating_sid = 0;
    if (located_at_once) {
      auto res = std::move(*located_at_once);
      located_at_once.reset();
      on_located(sid, std::move(res), false);
      return;
    }
    pending.handle = std::move(handle);
  }

  // The request that waited (for DNS or a certificate) as it came in: with `reparse`, `m` and
  // the current source are set from its saved bytes again (`m` is another message by then).
  bool resume_request(Resolving& r, bool reparse, runtime::InboundMessage& in) {
    if (reparse) {
      resumed_raw = std::move(r.raw);
      if (!msg::parse_message(resumed_raw, m, cfg.limits, msg::Framing::Datagram).accepted()) return false;
      current_remote = r.remote;
      current_address = shield::Address::from_bytes(r.remote.address_bytes()).value_or(shield::Address{});
      current_source = r.remote.address_string();
    }
    in.kind = r.kind;
    in.flow = r.flow;
    in.local = r.local;
    in.remote = r.remote;
    in.bytes = m.bytes;
    return true;
  }

  // Server location for the request of server transaction `sid` ended. `resume`: `m` is
  // another message by now, so the request is parsed again from its saved bytes.
  void on_located(std::uint64_t sid, base::Result<sip::resolve::TargetList> res, bool resume) {
    auto it = resolving.find(sid);
    if (it == resolving.end()) return;
    std::unique_ptr<Resolving> r = std::move(it->second);
    resolving.erase(it);
    r->handle.detach();
    runtime::InboundMessage in;
    if (!resume_request(*r, resume, in)) return;
    routing_account = std::move(r->account);
    routing_spit_caller = std::move(r->spit_caller);
    routing_extra = std::move(r->extra_headers);
    routing_signed = r->signed_here;
    routing_more = std::move(r->more);
    if (!res || res->empty()) {
      log.info("no server found", {{"target", r->request_uri},
                                   {"error", res ? std::string("no targets") : res.error().message()}});
      respond(sid, 503, "Cannot Resolve Target", "Retry-After: 30\r\n");
    } else {
      auto list = std::make_shared<sip::resolve::TargetList>(std::move(*res));
      const sip::resolve::Target* first = list->current();
      forward_many(in, sid,
                   {Target{NextHop{first->transport, first->endpoint}, routing_more.request_uri, {}, r->server_name, list}},
                   r->pops, true);
    }
    if (resume) {
      end_routing();  // what route() does after a request handled at once
      pump();
      flush_shield();
    }
  }

  // ---- forwarding -------------------------------------------------------------------------

  // The Via, Record-Route and branch for one hop out through transport `k`.
  std::string our_via(TransportKind k, std::string_view branch) {
    runtime::Transport* t = transport(k);
    std::string v = "SIP/2.0/";
    v += kind_token(k);
    v += ' ';
    v += host_port(t->local_endpoint());
    v += ";branch=";
    v += branch;
    if (k == TransportKind::Udp) v += ";rport";
    return v;
  }

  static std::string record_route_at(const Endpoint& local, TransportKind k) {
    std::string rr = "<sip:";
    rr += host_port(local);
    if (k == TransportKind::Tcp) rr += ";transport=tcp";
    if (k == TransportKind::Tls) rr += ";transport=tls";
    rr += ";lr>";
    return rr;
  }

  std::string record_route_for(const runtime::InboundMessage& in) { return record_route_at(in.local, in.kind); }

  // "<sip:DOMAIN;transport=tls;lr>": the caller's domain when it is ours, else the callee's
  // when it is ours, else our first domain.
  std::string domain_record_route(const msg::Message& req) const {
    std::string_view d = cfg.domains.empty() ? std::string_view("localhost") : std::string_view(cfg.domains.front());
    if (req.from.uri.is_sip() && req.from.uri.host_kind == msg::HostKind::Name && is_local_host(req.from.uri.host))
      d = req.from.uri.host;
    else if (req.request_uri.is_sip() && req.request_uri.host_kind == msg::HostKind::Name &&
             is_local_host(req.request_uri.host))
      d = req.request_uri.host;
    return "<sip:" + lower(d) + ";transport=tls;lr>";
  }

  void forward_many(const runtime::InboundMessage& in, std::uint64_t sid, const std::vector<Target>& targets,
                    std::size_t pop, bool trying_sent = false) {
    // §16.2: 100 Trying for an INVITE we forward (one answered at once, e.g. challenged, gets
    // its final response alone: a spoofed INVITE is not answered with two packets).
    if (m.method == msg::Method::Invite && !trying_sent && !routing_trying_sent) respond(sid, 100);
    auto ctx = std::make_unique<Context>();
    ctx->server_id = sid;
    ctx->kind = in.kind;
    ctx->source = in.remote;
    ctx->raw.assign(m.bytes);
    if (!msg::parse_message(ctx->raw, ctx->req, cfg.limits, msg::Framing::Datagram).accepted()) {
      respond(sid, 500);
      return;
    }
    const msg::Message& req = ctx->req;
    const msg::Via& prev = req.vias.front();
    const std::string source = in.remote.address_string();
    ctx->pops = pop;
    ctx->in_kind = in.kind;
    if (prev.rport || prev.host != source) ctx->received = source;
    ctx->rport = prev.rport ? in.remote.port() : 0;
    if (cfg.record_route && dialog_creating(req.method)) {
      // From another domain over TLS, the route back names our domain, not an address: the
      // other side then locates us by RFC 3263 and verifies our certificate against the
      // domain (an address cannot be verified against a domain's certificate, RFC 5922).
      const bool from_other_domain = in.kind == TransportKind::Tls && req.to.tag.empty() && req.from.uri.is_sip() &&
                                     !is_local_host(req.from.uri.host);
      ctx->rr_in = from_other_domain ? domain_record_route(req) : record_route_for(in);
      ctx->rr_domain = domain_record_route(req);
    }
    ctx->extra_headers = routing_extra;
    ctx->signed_here = routing_signed;
    ctx->from_value = routing_from;
    ctx->more = routing_more;
    if (!req.to.tag.empty()) {
      // Inside a dialog: a private caller's requests stay private; a relayed call's SDP keeps
      // going through the relay, whichever party sends it.
      auto d = dialogs.find(dialog_key(req.call_id, req.from.tag, req.to.tag));
      if (d != dialogs.end()) {
        const bool from_caller = req.from.tag == d->second.caller_tag;
        if (d->second.private_caller && from_caller) {
          ctx->private_dialog = true;
          ctx->more.privacy_check = true;
          ctx->more.anonymize_from = true;
        }
        ctx->relay = d->second.relay;
        ctx->offer_side = from_caller ? runtime::RelaySide::A : runtime::RelaySide::B;
      }
    }
    const base::TimePoint now = clock.now();
    for (const auto& t : targets) {
      Branch b;
      b.target = t;
      if (start_branch(*ctx, b, now) || try_next_target(*ctx, b, now)) ctx->branches.push_back(std::move(b));
    }
    if (ctx->branches.empty()) {
      if (ctx->privacy_refusal != 0)
        respond(sid, ctx->privacy_refusal, ctx->privacy_reason);
      else
        respond(sid, 503, "No Usable Transport");
      return;
    }
    if (req.method == msg::Method::Invite) {
      ctx->timer_c = loop.arm(now + cfg.timer_c, [this, sid] { on_timer_c(sid); });
      ctx->account = std::move(routing_account);  // the context ends the guard's count now
      ctx->spit_caller = std::move(routing_spit_caller);
      routing_account.clear();
      routing_spit_caller.clear();
    }
    contexts[sid] = std::move(ctx);
  }

  // ---- privacy and the media relay (issue 7) -------------------------------------------------

  bool is_trusted(const Endpoint& e) const {
    if (cfg.trusted.empty()) return false;
    auto a = shield::Address::from_bytes(e.address_bytes());
    if (!a) return false;
    for (const auto& n : cfg.trusted)
      if (n.contains(*a)) return true;
    return false;
  }

  // A Request-URI that may be one of our contact tokens: a long user part at one of our hosts.
  bool looks_like_contact_token(const msg::Uri& u) const {
    return u.is_sip() && u.user.size() >= 40 && u.user.size() <= sip::identity::kMaxContactTokenBytes &&
           (is_us(u) || is_local_host(u.host));
  }

  // The URI that replaces the caller's Contact on branch `b`: a token at the address the next
  // hop reaches us on (our domain for TLS to another domain, whose certificate names it).
  std::string anonymous_contact_for(const Context& ctx, const Branch& b) {
    if (ctx.req.contacts.empty() || ctx.req.contact_star) return {};
    auto token = sip::identity::make_contact_token(contact_key, ctx.req.contacts.front().uri.raw);
    if (!token) return {};
    const TransportKind k = b.target.hop.kind;
    if (k == TransportKind::Tls && !b.target.server_name.empty()) {
      std::string_view d = ctx.rr_domain;  // "<sip:DOMAIN;transport=tls;lr>"
      if (d.size() > 5 && d.substr(0, 5) == "<sip:") {
        d.remove_prefix(5);
        d = d.substr(0, d.find(';'));
        return sip::identity::anonymous_contact_uri(*token, d, ";transport=tls");
      }
    }
    runtime::Transport* t = transport(k);
    if (t == nullptr) return {};
    const std::string_view params = k == TransportKind::Tcp ? ";transport=tcp" : k == TransportKind::Tls ? ";transport=tls" : "";
    return sip::identity::anonymous_contact_uri(*token, host_port(t->local_endpoint()), params);
  }

  std::vector<std::string> own_hosts() const {
    std::vector<std::string> h = local_hosts;
    for (const auto& e : local_endpoints) h.push_back(host_port(e));
    return h;
  }

  // RFC 3325 and RFC 3323 on the copy of a request for branch `b` (privacy.hpp). False when the
  // privacy asked for cannot be given: ctx.privacy_refusal says what to answer.
  bool apply_privacy(Context& ctx, Branch& b, std::string& bytes) {
    sip::identity::PrivacyContext pc;
    pc.from_trusted = is_trusted(ctx.source);
    pc.to_trusted = is_trusted(b.target.hop.endpoint);
    pc.asserted_identity = ctx.more.asserted_identity;
    pc.topology_hiding = cfg.topology_hiding || ctx.private_dialog;
    pc.anonymize_from = ctx.more.anonymize_from;
    pc.own_hosts = own_hosts();
    pc.caller_address = ctx.source.address_string();
    pc.media_relay_available = relay != nullptr;
    pc.anonymous_contact = anonymous_contact_for(ctx, b);
    auto shaped = sip::identity::apply_request_privacy(bytes, pc, cfg.limits);
    if (!shaped.forward()) {
      ctx.privacy_refusal = shaped.status;
      ctx.privacy_reason = shaped.reason;
      log.info("privacy cannot be given", {{"call_id", std::string(ctx.req.call_id.substr(0, 128))},
                                           {"status", shaped.status}});
      return false;
    }
    b.hidden = shaped.addresses_hidden;
    b.from_anonymized = shaped.from_anonymized;
    // Privacy asked (not only topology hiding): the dialog's later requests from the caller
    // carry no Privacy header and are hidden all the same.
    if (ctx.req.to.tag.empty() && (shaped.from_anonymized || (shaped.addresses_hidden && shaped.privacy.any())))
      ctx.private_caller = true;
    bytes = std::move(shaped.bytes);
    if (shaped.needs_media_relay && relay != nullptr && !ctx.relay && !ctx.req.body.empty()) {
      ctx.relay = std::make_shared<RelayCall>();
      ctx.relay->relay = relay;
      ctx.offer_side = runtime::RelaySide::A;
    }
    return true;
  }

  // `bytes` (a message about to be sent) with a new body and its Content-Length.
  static std::string with_body(const msg::Message& x, std::string_view body) {
    std::string out;
    out.reserve(x.bytes.size() + body.size());
    out += x.bytes.substr(0, x.bytes.find("\r\n") + 2);
    for (const auto& h : x.headers) {
      if (h.id == msg::HeaderId::ContentLength) continue;
      out += h.name;
      out += ": ";
      msg::append_unfolded(h.value, out);
      out += "\r\n";
    }
    out += "Content-Length: ";
    out += std::to_string(body.size());
    out += "\r\n\r\n";
    out += body;
    return out;
  }

  // The SDP in `bytes`, sent by the party on side `from`, rewritten so that the other party
  // sends to the relay; the relay learns where `from` wants its media. Sessions are opened for
  // m= lines not relayed yet. Nothing changes for a message without SDP; a body that cannot be
  // read or rewritten has its media lines disabled rather than leak the address.
  void relay_sdp(RelayCall& call, runtime::RelaySide from, std::string& bytes) {
    msg::Message x;
    if (!msg::parse_message(bytes, x, cfg.limits, msg::Framing::Datagram).accepted() || x.body.empty()) return;
    const msg::Header* ct = x.find(msg::HeaderId::ContentType);
    if (ct == nullptr || !msg::cs::iequals(ct->value.substr(0, 15), "application/sdp")) return;
    auto targets = sip::sdp::media_targets(x.body);
    sip::sdp::MediaRewrite rw;
    if (targets) {
      if (call.lines.size() < targets->size()) call.lines.resize(targets->size());
      rw.media.resize(targets->size());
      for (const auto& t : *targets) {
        auto& line = call.lines[t.index];
        if (!t.relayable || t.port == 0) continue;
        if (!line) {
          runtime::RelayOpenOptions o;
          o.rtcp = !t.rtcp_mux_only;
          auto a = call.relay->open(o);
          if (!a) {
            log.warn("media relay: no session", {{"error", a.error().message()}});
            continue;
          }
          line = *a;
        }
        auto rtp = Endpoint::from_address(t.address.empty() ? "0.0.0.0" : t.address, t.port);
        std::optional<Endpoint> rtcp;
        if (t.rtcp_port != 0 && !t.rtcp_mux) {
          if (auto e = Endpoint::from_address(t.rtcp_address.empty() ? t.address : t.rtcp_address, t.rtcp_port)) rtcp = *e;
        }
        if (rtp) (void)call.relay->set_peer(line->id, from, *rtp, rtcp);
        const runtime::RelaySideEndpoints& ours = from == runtime::RelaySide::A ? line->b : line->a;
        rw.relay_addr_type = ours.rtp.is_v4() ? sip::sdp::AddrType::Ip4 : sip::sdp::AddrType::Ip6;
        rw.relay_address = ours.rtp.address_string();
        rw.media[t.index] = sip::sdp::RelayedPorts{ours.rtp.port(),
                                                   ours.rtcp ? std::optional<std::uint16_t>(ours.rtcp->port()) : std::nullopt};
      }
    }
    if (rw.relay_address.empty()) {
      // Nothing could be relayed: every line disabled, and no address of the party left.
      for (const auto& l : call.lines)
        if (l) {
          rw.relay_address = l->a.rtp.address_string();
          rw.relay_addr_type = l->a.rtp.is_v4() ? sip::sdp::AddrType::Ip4 : sip::sdp::AddrType::Ip6;
        }
      if (rw.relay_address.empty()) rw.relay_address = "0.0.0.0";
    }
    auto body = sip::sdp::rewrite_media(x.body, rw);
    bytes = with_body(x, body ? std::string_view(*body) : std::string_view());
  }

  // The response `m` on branch `b`, made ready to go upstream: our Via removed (and, when the
  // request left hidden, the caller's Vias, Record-Routes and From put back), and the relay put
  // into its SDP.
  std::string upstream_response(const Context& ctx, const Branch& b) {
    std::string bytes;
    if (b.hidden || b.from_anonymized) {
      sip::identity::RestoreOptions o;
      o.received = ctx.received;
      o.rport = ctx.rport;
      o.record_routes = b.hidden && dialog_creating(ctx.req.method);
      o.from = b.from_anonymized;
      if (auto r = sip::identity::restore_topology(m, ctx.req, o, cfg.limits)) bytes = std::move(*r);
    }
    if (bytes.empty()) strip_top_via(m, bytes);
    if (ctx.relay && !m.body.empty() && m.status > 100 && m.status < 300)
      relay_sdp(*ctx.relay, runtime::other(ctx.offer_side), bytes);
    return bytes;
  }

  // One copy of the request on branch `b` toward b.target: a new client transaction.
  bool start_branch(Context& ctx, Branch& b, base::TimePoint now) {
    const Target& t = b.target;
    runtime::Transport* tr = transport(t.hop.kind);
    if (tr == nullptr) return false;
    std::string branch = sip::dialog::new_branch(rng);
    branch.insert(msg::kBranchCookie.size(), loop_hash(ctx.req) + ".");
    const std::string via = our_via(t.hop.kind, branch);
    // RFC 5658: leaving on another transport than it came on, the request records two
    // routes, the one facing the callee first.
    std::string rr;
    if (!ctx.rr_in.empty()) {
      if (!t.server_name.empty() && t.hop.kind == TransportKind::Tls) {
        if (ctx.rr_domain != ctx.rr_in) rr = ctx.rr_domain + ", ";
      } else if (t.hop.kind != ctx.in_kind) {
        rr = record_route_at(tr->local_endpoint(), t.hop.kind) + ", ";
      }
      rr += ctx.rr_in;
    }
    ForwardEdits e;
    e.request_uri = t.request_uri;
    e.pop_routes = ctx.pops;
    e.via = via;
    e.received = ctx.received;
    e.rport = ctx.rport;
    e.record_route = rr;
    e.path_routes = t.path;
    e.max_forwards = ctx.req.max_forwards < 0 ? 70 : ctx.req.max_forwards - 1;
    e.extra_headers = ctx.extra_headers;
    e.from_value = ctx.from_value;
    e.drop_identity_and_date = ctx.signed_here;
    e.drop_referred_by = ctx.more.drop_referred_by;
    e.consumed_realm = ctx.more.consumed_realm;
    std::string bytes;
    build_forward(ctx.req, e, bytes);
    if (ctx.more.privacy_check && !apply_privacy(ctx, b, bytes)) return false;
    if (ctx.relay && !ctx.req.body.empty()) relay_sdp(*ctx.relay, ctx.offer_side, bytes);
    const Peer p{t.hop.kind, runtime::kNoFlow, t.hop.endpoint, t.server_name};
    const std::uint64_t pid = new_peer(p);
    const std::uint64_t cid = table.create_client(bytes, runtime::is_stream(t.hop.kind), pid, now);
    branch_owner[cid] = ctx.server_id;
    branch_peer[cid] = p;
    peer_client[pid] = cid;
    b.client_id = cid;
    b.status = 0;
    b.done = false;
    counters.forwarded++;
    return true;
  }

  // RFC 3263 §4.3: the target of branch `b` timed out, failed or answered 503; the request
  // goes to the next target of its list. False when there is none (or the call is over).
  bool try_next_target(Context& ctx, Branch& b, base::TimePoint now) {
    if (!b.target.failover || ctx.cancelled || ctx.final_sent) return false;
    while (const sip::resolve::Target* next = b.target.failover->fail_over()) {
      b.target.hop = NextHop{next->transport, next->endpoint};
      log.info("trying the next server", {{"domain", b.target.server_name}, {"target", next->endpoint.to_string()},
                                          {"transport", std::string(kind_token(next->transport))}});
      if (start_branch(ctx, b, now)) return true;
    }
    return false;
  }

  // Timer C fired: the branches that still ring are cancelled; those that never answered at
  // all count as timed out (§16.8).
  void on_timer_c(std::uint64_t sid) {
    auto it = contexts.find(sid);
    if (it == contexts.end() || it->second->final_sent) return;
    Context& ctx = *it->second;
    for (auto& b : ctx.branches) {
      if (b.done) continue;
      if (b.status >= 100) {
        if (!b.cancel_sent) send_cancel(b);
      } else {
        b.done = true;
        b.status = 408;
        if (ctx.best_status == 0 || rank(408) < rank(ctx.best_status)) {
          ctx.best_status = 408;
          ctx.best.clear();
        }
      }
    }
    maybe_finish(ctx);
    pump();
  }

  // ACK for a 2xx (§16.6, §13.2.2.4): a request of its own, relayed without a transaction.
  void forward_ack(const runtime::InboundMessage& in) {
    std::size_t pop = 0;
    while (pop < 2 && pop < m.routes.size() && is_us(m.routes[pop].uri)) ++pop;
    if (pop == 0) {
      counters.dropped++;  // not routed through us: nothing to relay
      return;
    }
    const std::size_t next = pop;
    const msg::Uri& dest = m.routes.size() > next ? m.routes[next].uri : m.request_uri;
    auto hop = next_hop_for_uri(dest);
    if (!hop && locator && dest.is_sip() && m.max_forwards != 0 && policy_for(dest.host) != DomainAction::Deny) {
      // A name (another domain's Record-Route): located like any request, then sent to the
      // first server found; no transaction, so no failover (the 2xx retransmissions retry).
      auto server_name = std::make_shared<std::string>(lower(dest.host));
      sip::resolve::LocateOptions o;
      o.transports.udp = transport(TransportKind::Udp) != nullptr;
      o.transports.tcp = transport(TransportKind::Tcp) != nullptr;
      o.transports.tls = transport(TransportKind::Tls) != nullptr;
      o.require_tls = policy_for(dest.host) == DomainAction::RequireTls;
      o.use_ipv6 = cfg.dns_ipv6;
      auto raw = std::make_shared<std::string>(m.bytes);
      auto src = std::make_shared<runtime::InboundMessage>(in);
      locator->locate(dest, o, [this, raw, src, pop, server_name](base::Result<sip::resolve::TargetList> res) {
        if (!res || res->empty()) {
          counters.dropped++;
          return;
        }
        const sip::resolve::Target* t = res->current();
        if (transport(t->transport) == nullptr) return;
        msg::Message ack;
        if (!msg::parse_message(*raw, ack, cfg.limits, msg::Framing::Datagram).accepted()) return;
        std::string bytes = build_ack(ack, *src, t->transport, pop);
        if (!private_ack(ack, t->endpoint, bytes)) return;
        Peer p{t->transport, runtime::kNoFlow, t->endpoint, *server_name};
        (void)send_to(p, std::move(bytes));
        counters.forwarded++;
      }).detach();
      return;
    }
    if (!hop || transport(hop->kind) == nullptr || m.max_forwards == 0) {
      counters.dropped++;
      return;
    }
    std::string bytes = build_ack(m, in, hop->kind, pop);
    if (!private_ack(m, hop->endpoint, bytes)) {
      counters.dropped++;
      return;
    }
    Peer p{hop->kind, runtime::kNoFlow, hop->endpoint, {}};
    (void)send_to(p, std::move(bytes));
    counters.forwarded++;
  }

  // The ACK `ack` of a private caller's dialog leaves hidden like its INVITE (and its SDP, if
  // any, through the relay). False when it cannot be made private: it is not sent.
  bool private_ack(const msg::Message& ack, const Endpoint& to, std::string& bytes) {
    auto d = dialogs.find(dialog_key(ack.call_id, ack.from.tag, ack.to.tag));
    if (d == dialogs.end()) return true;
    const bool from_caller = ack.from.tag == d->second.caller_tag;
    if (d->second.private_caller && from_caller && !is_trusted(to)) {
      sip::identity::PrivacyContext pc;
      pc.topology_hiding = true;
      pc.anonymize_from = true;
      pc.own_hosts = own_hosts();
      pc.caller_address = current_source;
      pc.media_relay_available = relay != nullptr;
      auto shaped = sip::identity::apply_request_privacy(bytes, pc, cfg.limits);
      if (!shaped.forward()) return false;
      bytes = std::move(shaped.bytes);
    }
    if (d->second.relay && !ack.body.empty())
      relay_sdp(*d->second.relay, from_caller ? runtime::RelaySide::A : runtime::RelaySide::B, bytes);
    return true;
  }

  // The relayed copy of an ACK for a 2xx, leaving on transport `k`.
  std::string build_ack(const msg::Message& ack, const runtime::InboundMessage& in, TransportKind k, std::size_t pop) {
    // A branch that is the same for every retransmission of this ACK.
    std::string branch(msg::kBranchCookie);
    branch += loop_hash(ack);
    branch += ".ack.";
    branch += ack.vias.front().branch.substr(0, 64);
    const std::string via = our_via(k, branch);
    ForwardEdits e;
    e.pop_routes = pop;
    e.via = via;
    const std::string source = in.remote.address_string();
    const msg::Via& prev = ack.vias.front();
    e.received = (prev.rport || prev.host != source) ? std::string_view(source) : std::string_view{};
    e.rport = prev.rport ? in.remote.port() : 0;
    e.max_forwards = ack.max_forwards < 0 ? 70 : ack.max_forwards - 1;
    std::string bytes;
    build_forward(ack, e, bytes);
    return bytes;
  }

  // ---- responses --------------------------------------------------------------------------

  void on_response() {
    if (m.vias.empty() || !via_is_ours(m.vias.front())) {
      counters.dropped++;
      return;
    }
    const std::uint64_t cid = table.find_client_id(m);
    if (cid == 0) {
      relay_stateless();
      return;
    }
    if (table.client(cid)->on_response(m, clock.now()) == txn::Disposition::Absorb) return;
    auto owner = branch_owner.find(cid);
    if (owner == branch_owner.end()) {
      if (m.status >= 200 && m.status < 300) relay_stateless();  // a 2xx retransmission after the fact
      return;
    }
    auto cit = contexts.find(owner->second);
    if (cit == contexts.end()) {
      if (m.status >= 200 && m.status < 300) relay_stateless();
      return;
    }
    Context& ctx = *cit->second;
    Branch* b = nullptr;
    for (auto& x : ctx.branches)
      if (x.client_id == cid) b = &x;
    if (b == nullptr) return;
    std::uint16_t status = m.status;
    if (status > 100 && status < 300 && dialog_creating(ctx.req.method)) remember_dialog(ctx);
    if (status >= 300 && !m.to.tag.empty() && dialog_creating(ctx.req.method))
      forget_dialog(m.call_id, ctx.req.from.tag, m.to.tag);  // an early dialog that ended
    if (status >= 200 && status < 300 && ctx.req.method == msg::Method::Bye && !ctx.req.to.tag.empty())
      forget_dialog(m.call_id, ctx.req.from.tag, ctx.req.to.tag);
    if (status >= 300 && status < 400 && !cfg.allow_any_redirect) {
      if (auto why = unsafe_redirect(ctx)) {
        // Issue 5: a redirect that would take the call somewhere weaker is not passed on; the
        // branch counts as failed (502) and the other branches go on.
        report(shield::EventKind::RedirectRefused, {}, std::move(*why));
        b->status = 502;
        b->done = true;
        if (!ctx.final_sent && (ctx.best_status == 0 || rank(502) < rank(ctx.best_status))) {
          ctx.best_status = 502;
          ctx.best.clear();
        }
        maybe_finish(ctx);
        return;
      }
    }
    if (status < 200) {
      b->status = std::max(b->status, status);
      if (b->cancel_wanted && !b->cancel_sent) send_cancel(*b);
      if (status == 100 || ctx.final_sent) return;
      if (ctx.timer_c) {  // §16.7 step 2: a provisional restarts Timer C
        const std::uint64_t sid = ctx.server_id;
        ctx.timer_c = loop.arm(clock.now() + cfg.timer_c, [this, sid] { on_timer_c(sid); });
      }
      std::string bytes = upstream_response(ctx, *b);
      if (auto* st = table.server(ctx.server_id)) st->send_response(std::move(bytes), status, clock.now());
      return;
    }
    // RFC 3263 §4.3: a 503 from a located server sends the request to the next one.
    if (sip::resolve::TargetList::is_failover_status(status) && try_next_target(ctx, *b, clock.now())) return;
    b->status = status;
    b->done = true;
    if (status < 300) {
      // Every 2xx goes upstream (§16.7 step 5); the other branches of an INVITE are cancelled.
      std::string bytes = upstream_response(ctx, *b);
      if (auto* st = table.server(ctx.server_id)) st->send_response(std::move(bytes), status, clock.now());
      ctx.final_sent = true;
      cancel_branches(ctx);
      return;
    }
    if (ctx.final_sent) return;
    if (ctx.best_status == 0 || rank(status) < rank(ctx.best_status)) {
      ctx.best_status = status;
      ctx.best = upstream_response(ctx, *b);
    }
    if (status >= 600) cancel_branches(ctx);
    maybe_finish(ctx);
  }

  // Why the 3xx being handled may not be passed on, or nothing: a Contact that is not a SIP
  // URI, one that drops sips or TLS when the request had it, or one in another domain than the
  // request's (or ours).
  std::optional<std::string> unsafe_redirect(const Context& ctx) const {
    const msg::Uri& original = ctx.req.request_uri;
    const bool secure = original.scheme == msg::Scheme::Sips || ctx.kind == TransportKind::Tls;
    for (const auto& c : m.contacts) {
      const msg::Uri& u = c.uri;
      if (!u.is_sip()) return std::string("redirect to a non-SIP URI");
      if (secure && u.scheme != msg::Scheme::Sips) {
        auto t = u.param("transport");
        if (!t || !msg::cs::iequals(*t, "tls")) return std::string("redirect from sips/TLS to a weaker scheme or transport");
      }
      if (!msg::cs::iequals(u.host, original.host) && !is_local_host(u.host))
        return "redirect from " + std::string(original.host) + " to another domain";
    }
    return std::nullopt;
  }

  void relay_stateless() {
    if (m.vias.size() < 2) {
      counters.dropped++;
      return;
    }
    auto hop = next_hop_for_via(m.vias[1]);
    if (!hop || transport(hop->kind) == nullptr) {
      counters.dropped++;
      return;
    }
    std::string bytes;
    strip_top_via(m, bytes);
    Peer p{hop->kind, runtime::kNoFlow, hop->endpoint, {}};
    (void)send_to(p, std::move(bytes), true);
  }

  // `may_fail_over`: a timeout or transport failure, after which a located target's branch
  // moves on to the next server of its list (RFC 3263 §4.3).
  void branch_failed(std::uint64_t cid, std::uint16_t status, bool may_fail_over = false) {
    auto owner = branch_owner.find(cid);
    if (owner == branch_owner.end()) return;
    auto cit = contexts.find(owner->second);
    if (cit == contexts.end()) return;
    Context& ctx = *cit->second;
    for (auto& b : ctx.branches) {
      if (b.client_id != cid || b.done) continue;
      if (may_fail_over && try_next_target(ctx, b, clock.now())) return;
      b.done = true;
      b.status = status;
      if (!ctx.final_sent && (ctx.best_status == 0 || rank(status) < rank(ctx.best_status))) {
        ctx.best_status = status;
        ctx.best.clear();
      }
    }
    maybe_finish(ctx);
  }

  void maybe_finish(Context& ctx) {
    if (ctx.final_sent) return;
    for (const auto& b : ctx.branches)
      if (!b.done) return;
    ctx.final_sent = true;
    end_unanswered(ctx);
    txn::ServerTxn* st = table.server(ctx.server_id);
    if (st == nullptr) return;
    std::uint16_t status = ctx.best_status == 0 ? 408 : ctx.best_status;
    if (status == 503) status = 500;  // §16.7 step 6: a 503 downstream is not ours to give
    if (!ctx.best.empty() && status == ctx.best_status) {
      st->send_response(std::move(ctx.best), status, clock.now());
      return;
    }
    if (ctx.cancelled && status == 408) status = 487;
    std::string bytes;
    msg::ResponseOptions o;
    o.status = status;
    std::string tag = sip::dialog::new_tag(rng);
    if (ctx.req.to.tag.empty()) o.to_tag = tag;
    msg::build_response(ctx.req, o, bytes);
    st->send_response(std::move(bytes), status, clock.now());
  }

  void send_cancel(Branch& b) {
    txn::ClientTxn* ct = table.client(b.client_id);
    if (ct == nullptr || !ct->is_invite()) return;
    b.cancel_sent = true;
    std::string bytes;
    msg::build_cancel(ct->request(), bytes);
    // The CANCEL goes where the INVITE went (§9.1).
    auto peer_of = branch_peer.find(b.client_id);
    if (peer_of == branch_peer.end()) return;
    const std::uint64_t pid = new_peer(peer_of->second);
    (void)table.create_client(bytes, runtime::is_stream(peer_of->second.kind), pid, clock.now());
  }

  std::unordered_map<std::uint64_t, Peer> branch_peer;  // where each branch's INVITE went

  void cancel_branches(Context& ctx) {
    for (auto& b : ctx.branches) {
      if (b.done || b.cancel_sent) continue;
      if (b.status >= 100)
        send_cancel(b);
      else
        b.cancel_wanted = true;  // §9.1: wait for a provisional response before cancelling
    }
  }
};

Proxy::Proxy(ProxyConfig config, runtime::EventLoop& loop, const base::Clock& clock, store::Store& store,
             base::Random& rng, base::Logger log)
    : impl_(std::make_unique<Impl>(std::move(config), loop, clock, store, rng, std::move(log))) {}

Proxy::~Proxy() = default;

void Proxy::add_transport(runtime::Transport& t) {
  impl_->transports[static_cast<std::size_t>(t.kind())] = &t;
  const Endpoint e = t.local_endpoint();
  impl_->local_endpoints.push_back(e);
  impl_->local_hosts.push_back(e.address_string());
}

void Proxy::remove_transports() noexcept {
  for (auto& t : impl_->transports) t = nullptr;
}

base::Result<void> Proxy::start() {
  auto r = impl_->location.load(impl_->unix_now());
  if (!r) return r;
  impl_->counters.bindings = impl_->location.binding_count();
  impl_->log.info("bindings loaded", {{"bindings", impl_->location.binding_count()},
                                      {"aors", impl_->location.aor_count()}});
  if (impl_->shield) {
    auto bans = shield::load_bans(impl_->store, impl_->shield->bans(), impl_->clock.now(), impl_->clock.wall_now());
    if (!bans) return base::Result<void>(bans.error());
    if (*bans > 0) impl_->log.info("bans loaded", {{"bans", *bans}});
  }
  impl_->schedule_housekeeping();
  return {};
}

void Proxy::on_message(const runtime::InboundMessage& in) { impl_->on_message(in); }

void Proxy::on_flow_closed(runtime::FlowId flow, const runtime::Endpoint&, std::error_code why) {
  auto& im = *impl_;
  std::vector<std::uint64_t> failed;
  for (auto& [id, p] : im.peers) {
    if (p.flow != flow || !runtime::is_stream(p.kind)) continue;
    p.flow = runtime::kNoFlow;
    // A connection we opened for a branch failed (refused, certificate not for the domain,
    // reset) before its answer: the branch fails now instead of at Timer B/F, and moves on to
    // the next server when it has one.
    if (why && why != runtime::TransportErrc::LocalClose)
      if (auto c = im.peer_client.find(id); c != im.peer_client.end()) failed.push_back(c->second);
  }
  for (auto it = im.named_flows.begin(); it != im.named_flows.end();) it = it->second == flow ? im.named_flows.erase(it) : std::next(it);
  for (auto it = im.address_flows.begin(); it != im.address_flows.end();)
    it = it->second == flow ? im.address_flows.erase(it) : std::next(it);
  if (failed.empty()) return;
  const base::TimePoint now = im.clock.now();
  for (std::uint64_t cid : failed)
    if (auto* ct = im.table.client(cid)) ct->on_transport_error(now);
  im.pump();
}

void Proxy::use_identity(sip::identity::IdentitySigner* signer, sip::identity::IdentityVerifier* verifier,
                         sip::identity::CertificateSource* certificates) {
  impl_->signer = signer;
  impl_->verifier = verifier;
  impl_->certificates = certificates;
}

void Proxy::use_media_relay(runtime::MediaRelay& relay) { impl_->relay = &relay; }

void Proxy::use_referrals(sip::identity::ReferralSigner* signer, const sip::identity::ReferralVerifier* verifier) {
  impl_->referral_signer = signer;
  impl_->referral_verifier = verifier;
}

void Proxy::use_dns(runtime::DnsResolver& dns) {
  impl_->locator = std::make_unique<sip::resolve::ServerLocator>(dns, impl_->rng);
}

void Proxy::drain() {
  impl_->draining = true;
  impl_->flush_store();
  impl_->pump();
}

void Proxy::reload() { impl_->users.clear(); }

bool Proxy::idle() const noexcept {
  // Transactions that only absorb retransmissions (Completed, Accepted, Confirmed) may go; a
  // request still waiting for its final response may not.
  for (const auto& [id, ctx] : impl_->contexts)
    if (!ctx->final_sent) return false;
  return true;
}

ProxyStats Proxy::stats() const noexcept {
  const auto& c = impl_->counters;
  ProxyStats s;
  s.requests = c.requests;
  s.responses = c.responses;
  s.dropped = c.dropped;
  s.stateless_errors = c.stateless_errors;
  s.registrations = c.registrations;
  s.challenges = c.challenges;
  s.auth_failures = c.auth_failures;
  s.forwarded = c.forwarded;
  s.transactions = c.transactions;
  s.bindings = c.bindings;
  s.shield_dropped = c.shield_dropped;
  s.shield_overload = c.shield_overload;
  s.refused_attacks = c.refused_attacks;
  s.dialogs = c.dialogs;
  return s;
}

shield::Shield* Proxy::shield() noexcept { return impl_->shield.get(); }

}  // namespace warden::proxy
