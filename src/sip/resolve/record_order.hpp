#pragma once
// The ordering rules of RFC 3263 §4.1 (NAPTR services for SIP) and RFC 2782 (SRV priority and
// weighted random order), as pure functions so that they are tested apart from any DNS.
// Thread-safety: pure functions; `rng` is used by the calling thread only.
// Errors: none; records that do not qualify are left out.

#include <optional>
#include <string_view>
#include <vector>

#include "base/random.hpp"
#include "runtime/dns.hpp"
#include "runtime/transport.hpp"

namespace warden::sip::resolve {

// The transports this side offers and may use for one lookup.
struct TransportSet {
  bool udp = true;
  bool tcp = true;
  bool tls = true;
  bool allows(runtime::TransportKind k) const noexcept {
    return k == runtime::TransportKind::Udp ? udp : k == runtime::TransportKind::Tcp ? tcp : tls;
  }
};

// RFC 3263 §4.1 service field → transport: "SIPS+D2T" TLS, "SIP+D2T" TCP, "SIP+D2U" UDP
// (case-insensitive). Other services (SCTP, WebSocket, unknown) give nullopt.
std::optional<runtime::TransportKind> transport_of_naptr_service(std::string_view service) noexcept;

// The SRV owner-name prefix for a transport: "_sips._tcp.", "_sip._tcp.", "_sip._udp.".
std::string_view srv_prefix(runtime::TransportKind k) noexcept;

// RFC 3263 §4.1: the NAPTR records a client may follow, best first. A record qualifies if its
// flags are "S" (SRV lookup follows), its regexp is empty, its replacement is a valid name, its
// service maps to a transport in `allowed`, and (for sips: or when TLS is required, `tls_only`)
// that transport is TLS. Sorted by order, then preference (stable for equal pairs). At most
// `max_records` of the input are examined.
std::vector<runtime::DnsNaptr> select_naptr(const std::vector<runtime::DnsNaptr>& records,
                                            const TransportSet& allowed, bool tls_only,
                                            std::size_t max_records);

// RFC 2782 "Usage rules": records sorted by priority (lowest first); inside one priority the
// order is drawn at random with probability proportional to weight: zero-weight records are put
// first, a number is drawn uniformly in [0, sum of weights], and the first record whose running
// sum reaches it is taken next; repeat without it. A lone record with target "." ("") means the
// service is not offered: the result is empty. Records with an invalid target are dropped.
std::vector<runtime::DnsSrv> order_srv(std::vector<runtime::DnsSrv> records, base::Random& rng);

}  // namespace warden::sip::resolve
