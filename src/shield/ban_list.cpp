#include "shield/ban_list.hpp"

#include <algorithm>

namespace warden::shield {

BanList::BanList(const BanConfig& config, const KeyedHash& hash)
    : config_(config), hash_(hash), table_(config.max_entries) {}

base::Duration BanList::duration_of(unsigned level) const noexcept {
  base::Duration d = config_.first;
  for (unsigned l = 1; l < level && d < config_.longest; ++l) d *= 2;
  return std::min(d, config_.longest);
}

BanList::Outcome BanList::ban(const Address& source, std::string_view reason, base::TimePoint now) {
  const std::uint64_t h = hash_(source);
  BanRecord* rec = table_.find_touch(source, h);
  if (rec != nullptr && rec->keep_until <= now) {  // forgotten: start again at level 1
    table_.erase(source, h);
    rec = nullptr;
  }
  if (rec != nullptr && rec->until > now) return {false, rec->level, rec->until};
  const unsigned level = rec == nullptr ? 1 : std::min(rec->level + 1, 64u);
  if (rec == nullptr) rec = &table_.insert(source, h).value;
  rec->level = level;
  rec->until = now + duration_of(level);
  rec->keep_until = rec->until + config_.remember;
  rec->reason.assign(reason.substr(0, config_.max_reason_bytes));
  queue({BanChange::Op::Put, source, *rec});
  return {true, level, rec->until};
}

bool BanList::is_banned(const Address& source, std::uint64_t source_hash, base::TimePoint now) {
  BanRecord* rec = table_.find_touch(source, source_hash);  // the source is active: keep it
  if (rec == nullptr) return false;
  if (rec->until > now) return true;
  if (rec->keep_until <= now) table_.erase(source, source_hash);
  return false;
}

const BanRecord* BanList::find(const Address& source) const { return table_.find(source, hash_(source)); }

bool BanList::unban(const Address& source) {
  if (!table_.erase(source, hash_(source))) return false;
  queue({BanChange::Op::Remove, source, {}});
  return true;
}

void BanList::restore(const Address& source, const BanRecord& record, base::TimePoint now) {
  if (record.keep_until <= now) return;
  BanRecord& rec = table_.insert(source, hash_(source)).value;
  rec = record;
  rec.level = std::max(rec.level, 1u);
  if (rec.reason.size() > config_.max_reason_bytes) rec.reason.resize(config_.max_reason_bytes);
}

void BanList::queue(BanChange change) {
  if (changes_.size() >= std::max<std::size_t>(config_.max_entries, 1)) {
    changes_.erase(changes_.begin());
    ++changes_lost_;
  }
  changes_.push_back(std::move(change));
}

std::vector<BanChange> BanList::take_changes() {
  std::vector<BanChange> out;
  out.swap(changes_);
  return out;
}

}  // namespace warden::shield
