#pragma once
// CaresDns: runtime::DnsResolver on c-ares, driven by an io::EventLoop (c-ares' sockets are
// watched by Asio on the loop thread; its timeouts by an Asio timer). Answers are decoded by
// io::parse_dns_answer() so that every record keeps its TTL.
//
// The DNS servers are configurable (for tests: a dnsmasq on 127.0.0.1 and a port it picked);
// with none given, c-ares reads /etc/resolv.conf. Queries are sent as asked (no search list).
// Thread-safety: create, query and destroy on the loop thread only; callbacks run there.
// Destroying it answers the queries in flight with DnsErrc::Cancelled (inside the destructor).
// Errors: create() returns base::Errc::Io when c-ares cannot start, InvalidArgument for a
// server list it refuses; query() callbacks get DnsErrc (NameNotFound, ServerFailure, Refused,
// Timeout, Malformed, Cancelled, LimitExceeded when `max_in_flight` queries are outstanding).

#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include "base/result.hpp"
#include "io/event_loop.hpp"
#include "runtime/dns.hpp"
#include "runtime/endpoint.hpp"

namespace warden::io {

struct CaresDnsOptions {
  std::vector<runtime::Endpoint> servers;  // empty: the system's resolv.conf
  std::chrono::milliseconds timeout{1500}; // per try
  int tries = 2;
  std::size_t max_in_flight = 256;
  std::size_t max_records = 64;            // records decoded from one answer
};

class CaresDns final : public runtime::DnsResolver {
 public:
  static base::Result<std::unique_ptr<CaresDns>> create(EventLoop& loop, CaresDnsOptions options = {});
  ~CaresDns() override;
  CaresDns(const CaresDns&) = delete;
  CaresDns& operator=(const CaresDns&) = delete;

  void query(std::string_view name, runtime::DnsType type, runtime::DnsCallback done) override;

  struct Impl;

 private:
  explicit CaresDns(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace warden::io
