#pragma once
// ServerLocator: RFC 3263 §4 "Client Usage" — from a SIP or SIPS URI to the ordered list of
// (transport, address, port) targets to try, through the DNS port (runtime::DnsResolver).
//
//   host (or maddr) numeric        → that address; port from the URI or 5060 / 5061 (§4.2)
//   port in the URI                → A/AAAA of the host on that port (§4.2)
//   transport= in the URI, no port → SRV for that transport, else A/AAAA on the default port
//   otherwise                      → NAPTR (§4.1: SIPS+D2T, SIP+D2T, SIP+D2U that we offer; only
//                                    SIPS+D2T for sips: or require_tls; order, preference)
//                                    → SRV (priority, RFC 2782 weighted order with `rng`)
//                                    → A/AAAA;
//     no usable NAPTR              → SRV _sips._tcp, _sip._tcp, _sip._udp (those allowed)
//     no SRV                       → A/AAAA on 5060 (UDP for sip:, TCP if UDP is off) or
//                                    5061 (TLS for sips: or require_tls)
// A failed query (timeout, SERVFAIL, NXDOMAIN) only ends its branch. NAPTR records with empty
// flags are followed as a rewrite (RFC 3403) up to `max_naptr_depth`, never twice to one name;
// a loop or a too deep chain counts as "no usable NAPTR".
//
// Queries of one stage run in parallel; the whole list is known before `done` runs, so failover
// needs no further DNS (use a DnsCache under it to save queries across lookups).
//
// Limits (ResolveLimits) bound everything an answer controls: records examined per answer,
// addresses per name, targets in the list, rewrite depth, queries per lookup, name length.
// Thread-safety: not thread-safe; one instance on one event-loop thread, with a DnsResolver
// that calls back on that thread. The DnsResolver and Random must outlive every lookup.
// Errors (ResolveErrc): NotSipUri, TransportRefused, NameTooLong, NoTargets.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "base/random.hpp"
#include "base/result.hpp"
#include "runtime/dns.hpp"
#include "sip/msg/uri.hpp"
#include "sip/resolve/record_order.hpp"
#include "sip/resolve/resolve_errc.hpp"
#include "sip/resolve/target_list.hpp"

namespace warden::sip::resolve {

struct ResolveLimits {
  std::size_t max_records_per_answer = 16;  // NAPTR or SRV records examined from one answer
  std::size_t max_addresses_per_name = 8;   // A + AAAA addresses used for one name
  std::size_t max_targets = 32;             // entries in the final list
  std::size_t max_naptr_depth = 3;          // non-terminal NAPTR rewrites followed
  std::size_t max_queries = 48;             // DNS queries issued by one lookup
  std::size_t max_name_bytes = 253;         // any name queried (RFC 1035)
};

struct LocateOptions {
  TransportSet transports;    // what we offer; a target never uses anything else
  bool require_tls = false;   // TLS targets only, even for a sip: URI (a domain policy)
  bool use_ipv4 = true;
  bool use_ipv6 = true;
  bool prefer_ipv6 = false;   // for one name, AAAA addresses before A addresses
};

// Owns one lookup in progress; destroying it (or cancel()) means `done` will not be called.
class [[nodiscard]] LocateHandle {
 public:
  struct State;
  LocateHandle() = default;
  explicit LocateHandle(std::shared_ptr<State> s) : state_(std::move(s)) {}
  LocateHandle(LocateHandle&&) noexcept = default;
  LocateHandle& operator=(LocateHandle&& o) noexcept {
    if (this != &o) {
      cancel();
      state_ = std::move(o.state_);
    }
    return *this;
  }
  LocateHandle(const LocateHandle&) = delete;
  LocateHandle& operator=(const LocateHandle&) = delete;
  ~LocateHandle() { cancel(); }

  void cancel() noexcept;
  // Lets the lookup finish and call `done` without an owner.
  void detach() noexcept { state_.reset(); }

 private:
  std::shared_ptr<State> state_;
};

class ServerLocator {
 public:
  using Callback = std::function<void(base::Result<TargetList>)>;

  ServerLocator(runtime::DnsResolver& dns, base::Random& rng, ResolveLimits limits = {})
      : dns_(dns), rng_(rng), limits_(limits) {}

  // Starts the lookup for `uri` (copied: the URI's text may go away after the call). `done`
  // runs once, possibly before locate() returns (numeric host, synchronous DNS).
  LocateHandle locate(const msg::Uri& uri, const LocateOptions& options, Callback done);

  // How many DNS queries the last finished lookup issued (for tests and metrics).
  std::size_t queries_issued() const noexcept { return *last_queries_; }

 private:
  runtime::DnsResolver& dns_;
  base::Random& rng_;
  ResolveLimits limits_;
  std::shared_ptr<std::size_t> last_queries_ = std::make_shared<std::size_t>(0);
};

}  // namespace warden::sip::resolve
