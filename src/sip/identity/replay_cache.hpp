#pragma once
// The signatures of recently accepted Identity headers (RFC 8224 §12.1: a replayed request with
// the same Identity is refused while its iat is still fresh). Each entry lives until its own
// expiry (iat + the freshness window): after that the freshness check refuses the header anyway.
// Bounded: when full, expired entries go first, then the entry that expires soonest (a replay of
// that one becomes possible; only headers that passed every other check are ever recorded, so
// filling the cache takes valid signatures from trusted certificates).
// Thread-safety: none; one owner (the proxy's loop thread).

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/clock.hpp"

namespace warden::sip::identity {

class ReplayCache {
 public:
  explicit ReplayCache(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // True when `key` was not present (it is now, until `expires`); false for a replay.
  bool insert(std::string_view key, base::WallTime expires, base::WallTime now);
  bool contains(std::string_view key, base::WallTime now) const;
  std::size_t size() const noexcept { return seen_.size(); }

 private:
  void prune(base::WallTime now);

  std::size_t capacity_;
  std::unordered_map<std::string, base::WallTime> seen_;
  std::multimap<base::WallTime, std::string> by_expiry_;
};

}  // namespace warden::sip::identity
