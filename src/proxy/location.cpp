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
  if (store_ == nullptr) return {};
  auto all = store_->load_bindings(now);
  if (!all) return base::Result<void>(all.error());
  for (auto& b : *all) by_aor_[b.aor].push_back(std::move(b));
  for (auto& [aor, v] : by_aor_) sort_by_q(v);
  return {};
}

const std::vector<store::Binding>& Location::lookup(std::string_view aor, std::int64_t now) {
  auto it = by_aor_.find(std::string(aor));
  if (it == by_aor_.end()) return empty_;
  auto& v = it->second;
  std::erase_if(v, [now](const store::Binding& b) { return b.expires_at <= now; });
  if (v.empty()) {
    by_aor_.erase(it);
    return empty_;
  }
  return v;
}

base::Result<void> Location::apply(const std::string& aor, std::vector<store::Binding> next) {
  auto it = by_aor_.find(aor);
  if (store_ != nullptr) {
    if (it != by_aor_.end()) {
      for (const auto& old : it->second) {
        const bool kept = std::any_of(next.begin(), next.end(),
                                      [&](const store::Binding& n) { return n.contact == old.contact; });
        if (!kept) {
          auto r = store_->remove_binding(aor, old.contact);
          if (!r) return r;
        }
      }
    }
    for (const auto& b : next) {
      auto r = store_->put_binding(b);
      if (!r) return r;
    }
  }
  if (next.empty()) {
    if (it != by_aor_.end()) by_aor_.erase(it);
    return {};
  }
  sort_by_q(next);
  by_aor_[aor] = std::move(next);
  return {};
}

std::size_t Location::purge(std::int64_t now) {
  std::size_t removed = 0;
  for (auto it = by_aor_.begin(); it != by_aor_.end();) {
    removed += std::erase_if(it->second, [now](const store::Binding& b) { return b.expires_at <= now; });
    if (it->second.empty())
      it = by_aor_.erase(it);
    else
      ++it;
  }
  return removed;
}

std::size_t Location::binding_count() const noexcept {
  std::size_t n = 0;
  for (const auto& [aor, v] : by_aor_) n += v.size();
  return n;
}

}  // namespace warden::proxy
