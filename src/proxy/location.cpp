#include "proxy/location.hpp"

#include <algorithm>

namespace warden::proxy {

std::string canonical_aor(std::string_view user, std::string_view host) {
  std::string out;
  out.reserve(5 + user.size() + host.size());
  out += "sip:";
  out += user;
  if (!user.empty()) out += '@';
  for (char c : host) out += static_cast<char>((c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c);
  return out;
}

namespace {
void sort_by_q(std::vector<store::Binding>& v) {
  std::stable_sort(v.begin(), v.end(), [](const store::Binding& a, const store::Binding& b) { return a.q > b.q; });
}
}  // namespace

base::Result<void> Location::load(std::int64_t now) {
  by_aor_.clear();
  count_ = 0;
  if (store_ == nullptr) return {};
  auto all = store_->load_bindings(now);
  if (!all) return base::Result<void>(all.error());
  count_ = all->size();
  for (auto& b : *all) by_aor_[b.aor].push_back(std::move(b));
  for (auto& [aor, v] : by_aor_) sort_by_q(v);
  return {};
}

const std::vector<store::Binding>& Location::lookup(std::string_view aor, std::int64_t now) {
  auto it = by_aor_.find(aor);
  if (it == by_aor_.end()) return empty_;
  auto& v = it->second;
  count_ -= std::erase_if(v, [now](const store::Binding& b) { return b.expires_at <= now; });
  if (v.empty()) {
    by_aor_.erase(it);
    return empty_;
  }
  return v;
}

const std::vector<store::Binding>& Location::apply(const std::string& aor, std::vector<store::Binding> next) {
  auto it = by_aor_.find(aor);
  if (store_ != nullptr) {
    if (it != by_aor_.end()) {
      for (const auto& old : it->second) {
        const bool kept = std::any_of(next.begin(), next.end(),
                                      [&](const store::Binding& n) { return n.contact == old.contact; });
        if (!kept) removed_.emplace_back(aor, old.contact);
      }
    }
    if (!next.empty()) written_.push_back(aor);
  }
  if (it != by_aor_.end()) count_ -= it->second.size();
  if (next.empty()) {
    if (it != by_aor_.end()) by_aor_.erase(it);
    return empty_;
  }
  sort_by_q(next);
  count_ += next.size();
  if (it != by_aor_.end()) {
    it->second = std::move(next);
    return it->second;
  }
  return by_aor_.emplace(aor, std::move(next)).first->second;
}

base::Result<void> Location::flush() {
  if (store_ == nullptr || (removed_.empty() && written_.empty())) {
    removed_.clear();
    written_.clear();
    return {};
  }
  std::vector<std::pair<std::string, std::string>> removed;
  std::vector<std::string> written;
  removed.swap(removed_);
  written.swap(written_);
  if (auto r = store_->begin(); !r) return r;
  const Rewrite before = rewrite_;
  auto write_all = [&]() -> base::Result<void> {
    std::size_t changes = 0;
    for (const auto& [aor, contact] : removed) {
      if (auto r = store_->remove_binding(aor, contact); !r) return r;
      ++changes;
    }
    for (const auto& aor : written) {
      auto it = by_aor_.find(aor);
      if (it == by_aor_.end()) continue;  // removed since (its removal is queued too) or expired
      for (const auto& b : it->second) {
        if (auto r = store_->put_binding(b); !r) return r;
        ++changes;
      }
    }
    return rewrite_step(changes);
  };
  auto r = write_all();
  if (r) r = store_->commit();
  if (!r) {
    store_->rollback();
    rewrite_ = before;  // the pass's progress was not stored either
  }
  return r;
}

// Inside flush()'s transaction, after its own changes.
base::Result<void> Location::rewrite_step(std::size_t own_changes) {
  Rewrite& w = rewrite_;
  if (!w.on) {
    if (store_->binding_log_changes() + own_changes <= kRewriteFactor * count_ + kRewriteSlack) return {};
    auto mark = store_->binding_log_mark();
    if (!mark) return base::Result<void>(mark.error());
    w = Rewrite{true, *mark, 0, by_aor_.bucket_count()};
  }
  if (by_aor_.bucket_count() != w.buckets) {
    w.bucket = 0;  // rehashed: the buckets hold other AoRs now
    w.buckets = by_aor_.bucket_count();
  }
  const std::size_t step = std::max(kRewriteStep, 2 * own_changes);
  for (std::size_t put = 0; put < step && w.bucket < w.buckets; ++w.bucket) {
    for (auto it = by_aor_.begin(w.bucket); it != by_aor_.end(w.bucket); ++it) {
      for (const auto& b : it->second) {
        if (auto r = store_->put_binding(b); !r) return r;
        ++put;
      }
    }
  }
  if (w.bucket < w.buckets) return {};
  if (auto r = store_->drop_binding_log_before(w.mark); !r) return r;
  w.on = false;
  return {};
}

std::size_t Location::purge(std::int64_t now) {
  std::size_t removed = 0;
  for (auto it = by_aor_.begin(); it != by_aor_.end();) {
    const std::size_t gone = std::erase_if(it->second, [now](const store::Binding& b) { return b.expires_at <= now; });
    removed += gone;
    count_ -= gone;
    if (it->second.empty())
      it = by_aor_.erase(it);
    else
      ++it;
  }
  return removed;
}

}  // namespace warden::proxy
