#pragma once
// Test doubles: a table-driven DNS port (answers from a map, synchronously or when run()),
// and a seeded, deterministic Random (splitmix64).

#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/random.hpp"
#include "runtime/dns.hpp"

namespace warden::sip::resolve::test {

class SeededRandom final : public base::Random {
 public:
  explicit SeededRandom(std::uint64_t seed) : s_(seed) {}
  void fill(std::span<std::byte> out) noexcept override {
    std::size_t i = 0;
    while (i < out.size()) {
      std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      z ^= z >> 31;
      const std::size_t n = std::min<std::size_t>(8, out.size() - i);
      std::memcpy(out.data() + i, &z, n);
      i += n;
    }
  }

 private:
  std::uint64_t s_;
};

class FakeDns final : public runtime::DnsResolver {
 public:
  using Key = std::pair<std::string, runtime::DnsType>;

  void query(std::string_view name, runtime::DnsType type, runtime::DnsCallback done) override {
    log.emplace_back(std::string(name), type);
    auto it = table.find({std::string(name), type});
    base::Result<runtime::DnsAnswer> r =
        it == table.end() ? base::Result<runtime::DnsAnswer>(runtime::DnsErrc::NameNotFound) : it->second;
    if (deferred) {
      queue.push_back([done = std::move(done), r]() mutable { done(std::move(r)); });
    } else {
      done(std::move(r));
    }
  }
  // Answers every deferred query, including those asked while answering.
  void run() {
    while (!queue.empty()) {
      auto q = std::move(queue);
      queue.clear();
      for (auto& f : q) f();
    }
  }
  std::size_t count(runtime::DnsType type) const {
    std::size_t n = 0;
    for (const auto& [name, t] : log) n += (t == type);
    return n;
  }
  std::size_t count(const std::string& name, runtime::DnsType type) const {
    std::size_t n = 0;
    for (const auto& k : log) n += (k == Key{name, type});
    return n;
  }

  void naptr(const std::string& name, std::vector<runtime::DnsNaptr> recs) {
    runtime::DnsAnswer a;
    a.naptr = std::move(recs);
    table.insert_or_assign({name, runtime::DnsType::NAPTR}, a);
  }
  void srv(const std::string& name, std::vector<runtime::DnsSrv> recs) {
    runtime::DnsAnswer a;
    a.srv = std::move(recs);
    table.insert_or_assign({name, runtime::DnsType::SRV}, a);
  }
  // Addresses in text; v4 ones go to A, v6 ones to AAAA.
  void host(const std::string& name, const std::vector<std::string>& addrs, std::uint32_t ttl = 300) {
    runtime::DnsAnswer a4, a6;
    for (const auto& s : addrs) {
      auto e = runtime::Endpoint::from_address(s, 0);
      (e->is_v4() ? a4 : a6).addresses.push_back({*e, ttl});
    }
    table.insert_or_assign({name, runtime::DnsType::A}, a4);
    table.insert_or_assign({name, runtime::DnsType::AAAA}, a6);
  }
  void fail(const std::string& name, runtime::DnsType type, runtime::DnsErrc e) {
    table.insert_or_assign({name, type}, base::Result<runtime::DnsAnswer>(e));
  }

  std::map<Key, base::Result<runtime::DnsAnswer>> table;
  std::vector<Key> log;
  bool deferred = false;
  std::vector<std::function<void()>> queue;
};

}  // namespace warden::sip::resolve::test
