// libFuzzer target: a DNS answer message as any server (or anyone who can spoof one) could
// send it, decoded as NAPTR, SRV, A and AAAA. Whatever the input, the decoder returns without
// reading outside the message, keeps at most the record limit, and every name it returns fits
// in 255 octets.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "io/dns_wire.hpp"

using namespace warden;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> msg(data, size);
  for (auto type : {runtime::DnsType::NAPTR, runtime::DnsType::SRV, runtime::DnsType::A, runtime::DnsType::AAAA}) {
    auto r = io::parse_dns_answer(msg, type, 16);
    if (!r) continue;
    if (r->size() > 16) std::abort();
    for (const auto& s : r->srv)
      if (s.target.size() > 255) std::abort();
    for (const auto& n : r->naptr)
      if (n.replacement.size() > 255 || n.flags.size() > 255) std::abort();
  }
  return 0;
}
