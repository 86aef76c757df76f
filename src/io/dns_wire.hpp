#pragma once
// Decoder of DNS answer messages (RFC 1035 §4.1; SRV RFC 2782, NAPTR RFC 3403 §4.1, AAAA
// RFC 3596) into runtime::DnsAnswer with TTLs: what c-ares hands back as bytes (its own record
// parsers drop the TTLs of SRV and NAPTR records).
//
// Only answer-section records of the type asked are kept (a CNAME chain before them is
// skipped). Names follow compression pointers (at most 16 jumps, 255 octets); a record whose
// name holds an octet outside letters, digits, '-' and '_' is skipped, not fatal.
// Thread-safety: a pure function. Errors: runtime::DnsErrc::Malformed for a header or record
// that runs past the message; never reads outside `msg`.

#include <cstddef>
#include <cstdint>
#include <span>

#include "base/result.hpp"
#include "runtime/dns.hpp"

namespace warden::io {

base::Result<runtime::DnsAnswer> parse_dns_answer(std::span<const std::uint8_t> msg, runtime::DnsType type,
                                                  std::size_t max_records = 64);

}  // namespace warden::io
