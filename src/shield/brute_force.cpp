#include "shield/brute_force.hpp"

#include <algorithm>

namespace warden::shield {

BruteForceTracker::BruteForceTracker(const BruteForceConfig& config, const KeyedHash& hash)
    : config_(config), hash_(hash), sources_(config.max_sources), pairs_(config.max_pairs) {}

unsigned BruteForceTracker::bump(Counter& c, bool created, base::TimePoint now) const noexcept {
  if (created || now >= c.start + config_.window) {
    c.start = now;
    c.count = 0;
  }
  if (c.count < 0xffffffffu) ++c.count;
  return c.count;
}

base::Duration BruteForceTracker::delay_for(unsigned failures) const noexcept {
  if (failures == 0) return {};
  base::Duration d = config_.tarpit_first;
  for (unsigned i = 1; i < failures && d < config_.tarpit_longest; ++i) d *= 2;
  return std::min(d, config_.tarpit_longest);
}

BruteForceTracker::Outcome BruteForceTracker::on_failure(const Address& source, std::string_view account,
                                                         base::TimePoint now) {
  Outcome out;
  auto [src, src_created] = sources_.insert(source, hash_(source));
  out.source_failures = bump(src, src_created, now);
  if (!account.empty()) {
    const Pair key{source, hash_(account)};
    auto [pair, pair_created] = pairs_.insert(key, hash_(source, key.account));
    out.account_failures = bump(pair, pair_created, now);
  }
  out.tarpit = delay_for(out.source_failures);
  out.ban = out.source_failures >= config_.max_failures ||
            (!account.empty() && out.account_failures >= config_.max_failures_per_account);
  return out;
}

void BruteForceTracker::on_success(const Address& source, std::string_view account, base::TimePoint) {
  // Usually no pair is failing: then there is nothing to forget, and no reason to hash and probe.
  if (account.empty() || pairs_.size() == 0) return;
  const Pair key{source, hash_(account)};
  pairs_.erase(key, hash_(source, key.account));
}

base::Duration BruteForceTracker::tarpit(const Address& source, base::TimePoint now) const {
  const Counter* c = sources_.find(source, hash_(source));
  if (c == nullptr || now >= c->start + config_.window) return {};
  return delay_for(c->count);
}

}  // namespace warden::shield
