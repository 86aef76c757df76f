#pragma once
// DnsCache: a runtime::DnsResolver in front of another one that keeps answers for their TTL
// (RFC 1035 §3.2.1, RFC 2181 §8), so that repeated lookups of a domain's servers cost no
// queries and failover needs no DNS.
//
//   - an answer is kept until its smallest record TTL runs out, never longer than `max_ttl`;
//     answers served from the cache carry the remaining TTL;
//   - "no such name" and "no records" are kept for `negative_ttl` (RFC 2308 in spirit: the SOA
//     minimum is not visible through the port); other errors are not kept;
//   - at most `max_entries` answers (the oldest is dropped first) of at most
//     `max_records_per_answer` records each (longer answers are cut);
//   - concurrent queries for the same name and type wait for one upstream query (at most
//     `max_waiters` each; beyond that, DnsErrc::LimitExceeded).
// Names are compared without case and without a trailing dot.
//
// Thread-safety: not thread-safe; one instance on one event-loop thread, with an upstream that
// calls back on that thread. Destroying the cache answers its waiting callers with
// DnsErrc::Cancelled; a late upstream answer is then ignored.
// Errors: those of the upstream, plus LimitExceeded (too many waiters).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "runtime/dns.hpp"

namespace warden::sip::resolve {

struct DnsCacheLimits {
  std::size_t max_entries = 4096;
  std::size_t max_records_per_answer = 32;
  std::size_t max_waiters = 64;
  std::chrono::seconds max_ttl{3600};
  std::chrono::seconds negative_ttl{30};
};

class DnsCache final : public runtime::DnsResolver {
 public:
  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;     // upstream queries sent
    std::uint64_t coalesced = 0;  // callers that waited for a query already under way
    std::uint64_t evictions = 0;  // entries dropped because the cache was full
  };

  DnsCache(runtime::DnsResolver& upstream, const base::Clock& clock, DnsCacheLimits limits = {});
  ~DnsCache() override;
  DnsCache(const DnsCache&) = delete;
  DnsCache& operator=(const DnsCache&) = delete;

  void query(std::string_view name, runtime::DnsType type, runtime::DnsCallback done) override;

  std::size_t size() const noexcept;
  void clear() noexcept;
  Stats stats() const noexcept;

 private:
  struct State;
  runtime::DnsResolver& upstream_;
  std::shared_ptr<State> state_;
};

}  // namespace warden::sip::resolve
