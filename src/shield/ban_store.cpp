#include "shield/ban_store.hpp"

#include <chrono>

namespace warden::shield {

namespace {

// Monotonic `t` as Unix seconds, rounded up (a ban never ends earlier than it should).
std::int64_t to_unix(base::TimePoint t, base::TimePoint now, base::WallTime wall_now) {
  const base::Duration since_epoch = wall_now.time_since_epoch() + (t - now);
  return std::chrono::ceil<std::chrono::seconds>(since_epoch).count();
}

base::TimePoint from_unix(std::int64_t unix_seconds, base::TimePoint now, base::WallTime wall_now) {
  return now + (std::chrono::seconds(unix_seconds) - wall_now.time_since_epoch());
}

}  // namespace

base::Result<void> save_bans(store::Store& store, std::span<const BanChange> changes, base::TimePoint now,
                             base::WallTime wall_now) {
  for (const BanChange& c : changes) {
    const std::string address = c.address.to_string();
    if (c.op == BanChange::Op::Remove) {
      if (auto r = store.remove_ban(address); !r) return r;
      continue;
    }
    store::Ban b;
    b.address = address;
    b.until = to_unix(c.record.until, now, wall_now);
    b.keep_until = to_unix(c.record.keep_until, now, wall_now);
    b.level = static_cast<int>(c.record.level);
    b.reason = c.record.reason;
    if (auto r = store.put_ban(b); !r) return r;
  }
  return {};
}

base::Result<std::size_t> load_bans(store::Store& store, BanList& bans, base::TimePoint now,
                                    base::WallTime wall_now) {
  const std::int64_t now_unix = std::chrono::floor<std::chrono::seconds>(wall_now.time_since_epoch()).count();
  auto rows = store.load_bans(now_unix);
  if (!rows) return rows.error();
  std::size_t restored = 0;
  for (const store::Ban& b : *rows) {
    const auto address = Address::parse(b.address);
    if (!address) continue;
    BanRecord rec;
    rec.until = from_unix(b.until, now, wall_now);
    rec.keep_until = from_unix(b.keep_until, now, wall_now);
    rec.level = b.level < 1 ? 1u : static_cast<unsigned>(b.level);
    rec.reason = b.reason;
    bans.restore(*address, rec, now);
    ++restored;
  }
  return restored;
}

}  // namespace warden::shield
