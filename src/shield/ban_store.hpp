#pragma once
// Bans through the store, so that they survive a restart (and, with a shared store, reach the
// other proxies of a cluster later). The ban list keeps monotonic times; the store keeps Unix
// seconds. Both functions take the two clocks' readings of the same instant to convert.
// Thread-safety: as the store's. Errors: the store's (base::Errc::Io).

#include <cstddef>
#include <span>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "shield/ban_list.hpp"
#include "store/store.hpp"

namespace warden::shield {

// Writes `changes` (BanList::take_changes()) in order. Stops at the first error.
base::Result<void> save_bans(store::Store& store, std::span<const BanChange> changes, base::TimePoint now,
                             base::WallTime wall_now);

// Reads every ban record the store still keeps into `bans` (BanList::restore()) and returns how
// many it restored; records whose address does not parse are skipped.
base::Result<std::size_t> load_bans(store::Store& store, BanList& bans, base::TimePoint now, base::WallTime wall_now);

}  // namespace warden::shield
