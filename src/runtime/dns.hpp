#pragma once
// DnsResolver: the DNS port. The engines that need DNS (sip/resolve's RFC 3263 server location)
// ask it for one record set (NAPTR, SRV, A or AAAA) of one name and get the records with their
// TTLs back through a callback. io::CaresDns implements it on c-ares; tests use a table.
// Interfaces and plain records only: nothing here sends a packet.
//
// Answers: an existing name without records of the type asked (NODATA) is a successful, empty
// DnsAnswer; a name that does not exist is DnsErrc::NameNotFound. Names in records are kept as
// the server sent them, without the trailing dot; they are untrusted input for the caller.
//
// Thread-safety: an implementation documents its own; the ones in this project are called and
// call back on one event-loop thread. The callback may run before query() returns (a cache hit,
// a test double), so callers must not hold locks or half-updated state across query().
// Errors (DnsErrc): NameNotFound, ServerFailure, Refused, Timeout, Malformed, Cancelled,
// LimitExceeded; an implementation may also return an OS error.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "base/result.hpp"
#include "runtime/endpoint.hpp"

namespace warden::runtime {

// Resource record types (RFC 1035 §3.2.2, RFC 3596, RFC 2782, RFC 3403), with their codes.
enum class DnsType : std::uint16_t { A = 1, AAAA = 28, SRV = 33, NAPTR = 35 };
std::string_view to_string(DnsType t) noexcept;  // "A", "AAAA", "SRV", "NAPTR"

// RFC 3403 §4.1. `replacement` is a domain name ("" for the root "."), `regexp` as sent.
struct DnsNaptr {
  std::uint16_t order = 0;
  std::uint16_t preference = 0;
  std::string flags;
  std::string service;
  std::string regexp;
  std::string replacement;
  std::uint32_t ttl = 0;  // seconds
};

// RFC 2782. `target` "" stands for "." (the service is decidedly not available here).
struct DnsSrv {
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  std::uint16_t port = 0;
  std::string target;
  std::uint32_t ttl = 0;
};

// An A or AAAA record: the address (port 0) and its TTL.
struct DnsAddress {
  Endpoint address;
  std::uint32_t ttl = 0;
};

// The records of one type for one name; only the vector of the type asked is filled.
struct DnsAnswer {
  std::vector<DnsNaptr> naptr;
  std::vector<DnsSrv> srv;
  std::vector<DnsAddress> addresses;

  bool empty() const noexcept { return naptr.empty() && srv.empty() && addresses.empty(); }
  std::size_t size() const noexcept { return naptr.size() + srv.size() + addresses.size(); }
};

enum class DnsErrc {
  Ok = 0,
  NameNotFound,   // NXDOMAIN
  ServerFailure,  // SERVFAIL, or no server answered usefully
  Refused,        // REFUSED, NOTIMP, FORMERR
  Timeout,        // no answer within the resolver's time and tries
  Malformed,      // the answer could not be decoded, or the name asked is not a valid name
  Cancelled,      // the resolver shut down before the answer came
  LimitExceeded,  // too many queries in flight, or an answer beyond the caller's limits
};
std::string_view describe(DnsErrc e) noexcept;
const std::error_category& dns_category() noexcept;
inline std::error_code make_error_code(DnsErrc e) noexcept { return {static_cast<int>(e), dns_category()}; }

using DnsCallback = std::function<void(base::Result<DnsAnswer>)>;

class DnsResolver {
 public:
  virtual ~DnsResolver() = default;
  // Looks up the records of `type` for `name` (no trailing dot needed) and calls `done` exactly
  // once with them or with an error, possibly before returning.
  virtual void query(std::string_view name, DnsType type, DnsCallback done) = 0;
};

}  // namespace warden::runtime

template <>
struct std::is_error_code_enum<warden::runtime::DnsErrc> : std::true_type {};
