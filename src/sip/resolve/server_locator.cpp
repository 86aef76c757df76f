#include "sip/resolve/server_locator.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "sip/msg/charset.hpp"
#include "sip/resolve/domain_name.hpp"

namespace warden::sip::resolve {

using runtime::DnsAnswer;
using runtime::DnsErrc;
using runtime::DnsSrv;
using runtime::DnsType;
using runtime::Endpoint;
using runtime::TransportKind;

namespace {

std::uint16_t default_port(TransportKind t) noexcept { return t == TransportKind::Tls ? 5061 : 5060; }

}  // namespace

// One lookup: the stages NAPTR → SRV → A/AAAA, each a batch of parallel queries counted by
// `pending` (with one extra count held while the batch is issued, so that a resolver which
// answers synchronously cannot finish the stage before every query of it is out).
struct LocateHandle::State : std::enable_shared_from_this<LocateHandle::State> {
  struct SrvPlan {
    std::string name;  // the domain the SRV owner name is built on, or the NAPTR replacement
    bool is_owner = false;  // true: `name` is the SRV owner name itself (from a NAPTR)
    TransportKind transport;
  };
  struct AddrPlan {
    std::string name;
    std::uint16_t port;
    TransportKind transport;
  };

  State(runtime::DnsResolver& d, base::Random& r, const ResolveLimits& l, const LocateOptions& o,
        std::shared_ptr<std::size_t> counter, ServerLocator::Callback cb)
      : dns(d), rng(r), lim(l), opt(o), query_counter(std::move(counter)), done(std::move(cb)) {}

  runtime::DnsResolver& dns;
  base::Random& rng;
  ResolveLimits lim;
  LocateOptions opt;
  std::shared_ptr<std::size_t> query_counter;
  ServerLocator::Callback done;
  bool finished = false;

  bool tls_only = false;
  std::string host;  // normalized
  std::optional<TransportKind> forced;
  std::size_t queries = 0;
  std::vector<std::string> naptr_visited;

  std::vector<SrvPlan> srv_plans;
  std::vector<std::vector<DnsSrv>> srv_results;
  std::vector<AddrPlan> addr_plans;
  std::vector<std::string> addr_names;
  std::vector<std::vector<Endpoint>> v4, v6;
  bool srv_found = false;  // some SRV answer had records (a lone "." included)
  int pending = 0;

  TransportKind default_transport() const noexcept {
    if (forced) return *forced;
    if (tls_only) return TransportKind::Tls;
    if (opt.transports.udp) return TransportKind::Udp;
    if (opt.transports.tcp) return TransportKind::Tcp;
    return TransportKind::Tls;
  }

  void complete(base::Result<TargetList> r) {
    if (finished) return;
    finished = true;
    *query_counter = queries;
    auto cb = std::move(done);
    done = nullptr;
    if (cb) cb(std::move(r));
  }

  // Issues one query within the per-lookup budget; `cb` runs unless the lookup has ended.
  template <class F>
  void query(const std::string& name, DnsType type, F cb) {
    if (queries >= lim.max_queries) {
      cb(base::Result<DnsAnswer>(DnsErrc::LimitExceeded));
      return;
    }
    if (!is_valid_domain_name(name, lim.max_name_bytes)) {
      cb(base::Result<DnsAnswer>(DnsErrc::Malformed));
      return;
    }
    ++queries;
    dns.query(name, type, [self = shared_from_this(), cb = std::move(cb)](base::Result<DnsAnswer> r) mutable {
      if (self->finished) return;
      cb(std::move(r));
    });
  }

  // ---- NAPTR (RFC 3263 §4.1) ----
  void start_naptr(const std::string& name) {
    naptr_visited.push_back(name);
    query(name, DnsType::NAPTR, [this](base::Result<DnsAnswer> r) { on_naptr(std::move(r)); });
  }

  void on_naptr(base::Result<DnsAnswer> r) {
    if (r.ok()) {
      const auto chosen = select_naptr(r->naptr, opt.transports, tls_only, lim.max_records_per_answer);
      for (const auto& n : chosen) {
        SrvPlan p{normalize_domain_name(n.replacement), true, *transport_of_naptr_service(n.service)};
        const bool dup = std::any_of(srv_plans.begin(), srv_plans.end(), [&](const SrvPlan& q) {
          return q.name == p.name && q.transport == p.transport;
        });
        if (!dup) srv_plans.push_back(std::move(p));
      }
      if (!srv_plans.empty()) return start_srv();
      // No terminal record for us: follow a non-terminal rewrite (empty flags), best first.
      const runtime::DnsNaptr* next = nullptr;
      const std::size_t n = std::min(r->naptr.size(), lim.max_records_per_answer);
      for (std::size_t i = 0; i < n; ++i) {
        const auto& rec = r->naptr[i];
        if (!rec.flags.empty() || !rec.regexp.empty() || !is_valid_domain_name(rec.replacement)) continue;
        if (!next || rec.order < next->order || (rec.order == next->order && rec.preference < next->preference))
          next = &rec;
      }
      if (next && naptr_visited.size() <= lim.max_naptr_depth) {
        std::string target = normalize_domain_name(next->replacement);
        if (std::find(naptr_visited.begin(), naptr_visited.end(), target) == naptr_visited.end())
          return start_naptr(target);
      }
    }
    // No usable NAPTR: SRV on the host for every transport we may use (RFC 3263 §4.1 end).
    if (opt.transports.tls) srv_plans.push_back({host, false, TransportKind::Tls});
    if (!tls_only && opt.transports.tcp) srv_plans.push_back({host, false, TransportKind::Tcp});
    if (!tls_only && opt.transports.udp) srv_plans.push_back({host, false, TransportKind::Udp});
    start_srv();
  }

  // ---- SRV (RFC 2782) ----
  void start_srv() {
    srv_results.assign(srv_plans.size(), {});
    pending = 1 + static_cast<int>(srv_plans.size());
    for (std::size_t i = 0; i < srv_plans.size(); ++i) {
      const auto& p = srv_plans[i];
      std::string owner = p.is_owner ? p.name : std::string(srv_prefix(p.transport)) + p.name;
      query(owner, DnsType::SRV, [this, i](base::Result<DnsAnswer> r) {
        if (r.ok()) {
          auto& recs = r->srv;
          if (!recs.empty()) srv_found = true;
          if (recs.size() > lim.max_records_per_answer) recs.resize(lim.max_records_per_answer);
          srv_results[i] = order_srv(std::move(recs), rng);
        }
        srv_step();
      });
    }
    srv_step();
  }

  void srv_step() {
    if (--pending > 0) return;
    for (std::size_t i = 0; i < srv_plans.size(); ++i)
      for (const auto& s : srv_results[i])
        addr_plans.push_back({normalize_domain_name(s.target), s.port, srv_plans[i].transport});
    if (addr_plans.empty()) {
      // SRV records that all say "." (or name nothing valid): the domain offers no SIP service.
      if (srv_found) return complete(ResolveErrc::NoTargets);
      // No SRV records: A/AAAA of the host on the default port (RFC 3263 §4.2).
      const TransportKind t = default_transport();
      if (!opt.transports.allows(t)) return complete(ResolveErrc::TransportRefused);
      addr_plans.push_back({host, default_port(t), t});
    }
    start_addresses();
  }

  // ---- A / AAAA ----
  void start_addresses() {
    for (const auto& p : addr_plans)
      if (std::find(addr_names.begin(), addr_names.end(), p.name) == addr_names.end())
        addr_names.push_back(p.name);
    v4.assign(addr_names.size(), {});
    v6.assign(addr_names.size(), {});
    pending = 1;
    for (std::size_t i = 0; i < addr_names.size(); ++i) {
      if (opt.use_ipv4) {
        ++pending;
        query(addr_names[i], DnsType::A, [this, i](base::Result<DnsAnswer> r) { on_addresses(i, false, std::move(r)); });
      }
      if (opt.use_ipv6) {
        ++pending;
        query(addr_names[i], DnsType::AAAA, [this, i](base::Result<DnsAnswer> r) { on_addresses(i, true, std::move(r)); });
      }
    }
    address_step();
  }

  void on_addresses(std::size_t i, bool six, base::Result<DnsAnswer> r) {
    if (r.ok()) {
      auto& out = six ? v6[i] : v4[i];
      for (const auto& a : r->addresses) {
        if (out.size() >= lim.max_addresses_per_name) break;
        if (a.address.is_v4() == six) continue;  // a record of the other family: ignore
        const Endpoint e = a.address.with_port(0);
        if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
      }
    }
    address_step();
  }

  void address_step() {
    if (--pending > 0) return;
    std::vector<Target> targets;
    for (const auto& p : addr_plans) {
      const std::size_t i = static_cast<std::size_t>(
          std::find(addr_names.begin(), addr_names.end(), p.name) - addr_names.begin());
      const auto& first = opt.prefer_ipv6 ? v6[i] : v4[i];
      const auto& second = opt.prefer_ipv6 ? v4[i] : v6[i];
      std::size_t used = 0;
      for (const auto* list : {&first, &second}) {
        for (const auto& e : *list) {
          if (used >= lim.max_addresses_per_name || targets.size() >= lim.max_targets) break;
          ++used;
          const Endpoint ep = e.with_port(p.port);
          const bool seen = std::any_of(targets.begin(), targets.end(), [&](const Target& t) {
            return t.transport == p.transport && t.endpoint == ep;
          });
          if (!seen) targets.push_back(Target{p.transport, ep, p.name});
        }
      }
    }
    if (targets.empty()) return complete(ResolveErrc::NoTargets);
    complete(TargetList(std::move(targets)));
  }
};

void LocateHandle::cancel() noexcept {
  if (state_) {
    state_->finished = true;
    state_->done = nullptr;
    state_.reset();
  }
}

LocateHandle ServerLocator::locate(const msg::Uri& uri, const LocateOptions& options, Callback done) {
  auto st = std::make_shared<LocateHandle::State>(dns_, rng_, limits_, options, last_queries_, std::move(done));
  LocateHandle handle(st);
  if (!uri.is_sip() || uri.host.empty()) {
    st->complete(ResolveErrc::NotSipUri);
    return handle;
  }
  st->tls_only = uri.scheme == msg::Scheme::Sips || options.require_tls;

  // transport= (RFC 3261 §19.1.1); for sips: (or required TLS) "tcp" means TLS over TCP.
  if (auto tp = uri.param("transport")) {
    if (msg::cs::iequals(*tp, "udp")) st->forced = TransportKind::Udp;
    else if (msg::cs::iequals(*tp, "tcp")) st->forced = st->tls_only ? TransportKind::Tls : TransportKind::Tcp;
    else if (msg::cs::iequals(*tp, "tls")) st->forced = TransportKind::Tls;
    else {
      st->complete(ResolveErrc::TransportRefused);
      return handle;
    }
    if ((st->tls_only && *st->forced != TransportKind::Tls) || !options.transports.allows(*st->forced)) {
      st->complete(ResolveErrc::TransportRefused);
      return handle;
    }
  }

  // maddr (RFC 3263 §4: it replaces the host as the TARGET).
  msg::HostKind kind = uri.host_kind;
  std::string_view host = uri.host;
  if (auto maddr = uri.param("maddr")) {
    if (!msg::parse_host(*maddr, kind, host)) {
      st->complete(ResolveErrc::NotSipUri);
      return handle;
    }
  }
  if (host.size() > limits_.max_name_bytes) {
    st->complete(ResolveErrc::NameTooLong);
    return handle;
  }

  const TransportKind t = st->default_transport();
  if (kind == msg::HostKind::IPv4 || kind == msg::HostKind::IPv6) {
    // Numeric TARGET (RFC 3263 §4.1, §4.2): no DNS at all.
    auto ep = Endpoint::from_address(host, uri.port.value_or(default_port(t)));
    if (!ep || !options.transports.allows(t)) {
      st->complete(ep ? ResolveErrc::TransportRefused : ResolveErrc::NotSipUri);
      return handle;
    }
    st->complete(TargetList({Target{t, *ep, std::string(host)}}));
    return handle;
  }
  if (!is_valid_domain_name(host, limits_.max_name_bytes)) {
    st->complete(ResolveErrc::NotSipUri);
    return handle;
  }
  st->host = normalize_domain_name(host);

  if (uri.port) {
    if (!options.transports.allows(t)) {
      st->complete(ResolveErrc::TransportRefused);
      return handle;
    }
    st->addr_plans.push_back({st->host, *uri.port, t});
    st->start_addresses();
  } else if (st->forced) {
    st->srv_plans.push_back({st->host, false, *st->forced});
    st->start_srv();
  } else {
    st->start_naptr(st->host);
  }
  return handle;
}

}  // namespace warden::sip::resolve
