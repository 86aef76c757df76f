#include "sip/resolve/dns_cache.hpp"

#include <algorithm>
#include <utility>

#include "sip/resolve/domain_name.hpp"

namespace warden::sip::resolve {

using runtime::DnsAnswer;
using runtime::DnsErrc;

struct DnsCache::State {
  struct Entry {
    base::Result<DnsAnswer> answer = DnsAnswer{};
    base::TimePoint expires;
    std::list<std::string>::iterator order;
  };
  const base::Clock& clock;
  DnsCacheLimits lim;
  std::unordered_map<std::string, Entry> entries;
  std::list<std::string> order;  // insertion order, oldest first
  std::unordered_map<std::string, std::vector<runtime::DnsCallback>> waiting;
  Stats stats;

  State(const base::Clock& c, const DnsCacheLimits& l) : clock(c), lim(l) {}

  void erase(std::unordered_map<std::string, Entry>::iterator it) {
    order.erase(it->second.order);
    entries.erase(it);
  }

  void store(const std::string& key, base::Result<DnsAnswer> r) {
    if (lim.max_entries == 0) return;
    std::chrono::seconds ttl{0};
    if (r.ok() && !r->empty()) {
      std::uint32_t min_ttl = UINT32_MAX;
      for (const auto& x : r->naptr) min_ttl = std::min(min_ttl, x.ttl);
      for (const auto& x : r->srv) min_ttl = std::min(min_ttl, x.ttl);
      for (const auto& x : r->addresses) min_ttl = std::min(min_ttl, x.ttl);
      ttl = std::min(std::chrono::seconds(min_ttl), lim.max_ttl);
    } else if (r.ok() || r.error() == DnsErrc::NameNotFound) {
      ttl = std::min(lim.negative_ttl, lim.max_ttl);
    } else {
      return;  // a failure of the path, not a fact about the name
    }
    if (ttl.count() <= 0) return;
    if (auto it = entries.find(key); it != entries.end()) erase(it);
    while (entries.size() >= lim.max_entries) {
      erase(entries.find(order.front()));
      ++stats.evictions;
    }
    order.push_back(key);
    entries.emplace(key, Entry{std::move(r), clock.now() + ttl, std::prev(order.end())});
  }
};

namespace {

void truncate(base::Result<DnsAnswer>& r, std::size_t max) {
  if (!r.ok()) return;
  if (r->naptr.size() > max) r->naptr.resize(max);
  if (r->srv.size() > max) r->srv.resize(max);
  if (r->addresses.size() > max) r->addresses.resize(max);
}

// The TTLs of a cached answer, lowered to what is left of the entry's lifetime.
base::Result<DnsAnswer> with_remaining_ttl(const base::Result<DnsAnswer>& r, base::Duration left) {
  if (!r.ok()) return r;
  const auto secs = static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(left).count());
  DnsAnswer a = *r;
  for (auto& x : a.naptr) x.ttl = std::min(x.ttl, secs);
  for (auto& x : a.srv) x.ttl = std::min(x.ttl, secs);
  for (auto& x : a.addresses) x.ttl = std::min(x.ttl, secs);
  return a;
}

}  // namespace

DnsCache::DnsCache(runtime::DnsResolver& upstream, const base::Clock& clock, DnsCacheLimits limits)
    : upstream_(upstream), state_(std::make_shared<State>(clock, limits)) {}

DnsCache::~DnsCache() {
  auto waiting = std::move(state_->waiting);
  state_.reset();  // late upstream answers find nothing
  for (auto& [key, callbacks] : waiting)
    for (auto& cb : callbacks) cb(DnsErrc::Cancelled);
}

void DnsCache::query(std::string_view name, runtime::DnsType type, runtime::DnsCallback done) {
  std::string key = normalize_domain_name(name);
  key += '/';
  key += std::to_string(static_cast<unsigned>(type));

  auto& st = *state_;
  const base::TimePoint now = st.clock.now();
  if (auto it = st.entries.find(key); it != st.entries.end()) {
    if (it->second.expires > now) {
      ++st.stats.hits;
      done(with_remaining_ttl(it->second.answer, it->second.expires - now));
      return;
    }
    st.erase(it);
  }
  if (auto w = st.waiting.find(key); w != st.waiting.end()) {
    if (w->second.size() >= st.lim.max_waiters) {
      done(DnsErrc::LimitExceeded);
      return;
    }
    ++st.stats.coalesced;
    w->second.push_back(std::move(done));
    return;
  }
  ++st.stats.misses;
  st.waiting[key].push_back(std::move(done));
  std::weak_ptr<State> weak = state_;
  upstream_.query(name, type, [weak, key](base::Result<DnsAnswer> r) {
    auto s = weak.lock();
    if (!s) return;
    truncate(r, s->lim.max_records_per_answer);
    s->store(key, r);
    auto node = s->waiting.extract(key);
    if (node.empty()) return;
    for (auto& cb : node.mapped()) cb(r);
  });
}

std::size_t DnsCache::size() const noexcept { return state_->entries.size(); }

void DnsCache::clear() noexcept {
  state_->entries.clear();
  state_->order.clear();
}

DnsCache::Stats DnsCache::stats() const noexcept { return state_->stats; }

}  // namespace warden::sip::resolve
