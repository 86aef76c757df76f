#include "sip/identity/replay_cache.hpp"

namespace warden::sip::identity {

void ReplayCache::prune(base::WallTime now) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
    seen_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
}

bool ReplayCache::contains(std::string_view key, base::WallTime now) const {
  const auto it = seen_.find(std::string(key));
  return it != seen_.end() && it->second > now;
}

bool ReplayCache::insert(std::string_view key, base::WallTime expires, base::WallTime now) {
  prune(now);
  std::string k(key);
  if (seen_.contains(k)) return false;
  if (seen_.size() >= capacity_) {  // full of live entries: drop the one closest to its end
    seen_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
  seen_.emplace(k, expires);
  by_expiry_.emplace(expires, std::move(k));
  return true;
}

}  // namespace warden::sip::identity
