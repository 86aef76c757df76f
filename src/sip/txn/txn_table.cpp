#include "sip/txn/txn_table.hpp"

#include <algorithm>

#include "base/error.hpp"
#include "sip/txn/txn_key.hpp"

namespace warden::sip::txn {

TxnTable::TxnTable(const TimerConfig& cfg, std::size_t max_per_source) : cfg_(cfg), max_per_source_(max_per_source) {}

ServerTxn* TxnTable::find_server(const msg::Message& request) {
  const std::uint64_t id = find_server_id(request);
  return id == 0 ? nullptr : server(id);
}

std::uint64_t TxnTable::find_server_id(const msg::Message& request) const {
  server_key_into(request, scratch_);
  auto it = server_keys_.find(std::string_view(scratch_));
  return it == server_keys_.end() ? 0 : it->second;
}

std::uint64_t TxnTable::find_cancel_target_id(const msg::Message& cancel) const {
  cancel_target_key_into(cancel, scratch_);
  auto it = server_keys_.find(std::string_view(scratch_));
  return it == server_keys_.end() ? 0 : it->second;
}

std::uint64_t TxnTable::find_client_id(const msg::Message& response) const {
  client_key_into(response, scratch_);
  auto it = client_keys_.find(std::string_view(scratch_));
  return it == client_keys_.end() ? 0 : it->second;
}

ServerTxn* TxnTable::find_cancel_target(const msg::Message& cancel) {
  const std::uint64_t id = find_cancel_target_id(cancel);
  return id == 0 ? nullptr : server(id);
}

base::Result<std::uint64_t> TxnTable::create_server(const msg::Message& request, bool reliable, std::uint64_t flow,
                                                    std::string_view source, TimePoint now) {
  if (request.method == msg::Method::Ack) return base::Errc::InvalidArgument;
  auto count = per_source_.find(source);
  if (count != per_source_.end() && count->second >= max_per_source_) return base::Errc::LimitExceeded;
  server_key_into(request, scratch_);
  const std::uint64_t id = next_id_;
  auto [key, inserted] = server_keys_.try_emplace(scratch_, id);
  if (!inserted) return base::Errc::InvalidArgument;
  ++next_id_;
  if (count == per_source_.end()) {
    // Sources whose count fell to zero keep their entry (a busy source would otherwise be
    // erased and inserted again for every request); they are swept when the table has doubled.
    if (per_source_.size() >= sweep_sources_at_) {
      absl::erase_if(per_source_, [](const auto& e) { return e.second == 0; });
      sweep_sources_at_ = std::max<std::size_t>(kMinSourceSweep, 2 * per_source_.size());
    }
    count = per_source_.emplace(std::string(source), 0).first;
  }
  ++count->second;
  auto txn = std::make_unique<ServerTxn>(request, reliable, cfg_, now);
  servers_.emplace(id, ServerEntry{std::move(txn), &key->first, std::string(source), flow});
  dirty_.push_back(id);
  return id;
}

ServerTxn* TxnTable::server(std::uint64_t id) {
  auto it = servers_.find(id);
  if (it == servers_.end()) return nullptr;
  dirty_.push_back(id);  // whoever holds the pointer may drive it: collect its actions next
  return it->second.txn.get();
}

std::uint64_t TxnTable::create_client(std::string_view request, bool reliable, std::uint64_t flow, TimePoint now) {
  const std::uint64_t id = next_id_++;
  auto txn = std::make_unique<ClientTxn>(request, reliable, cfg_, now);
  std::string key = client_key_for_request(txn->request());
  client_keys_[key] = id;
  clients_.emplace(id, ClientEntry{std::move(txn), std::move(key), flow});
  dirty_.push_back(id);
  return id;
}

ClientTxn* TxnTable::find_client(const msg::Message& response) {
  auto it = client_keys_.find(client_key(response));
  return it == client_keys_.end() ? nullptr : client(it->second);
}

ClientTxn* TxnTable::client(std::uint64_t id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return nullptr;
  dirty_.push_back(id);
  return it->second.txn.get();
}

void TxnTable::schedule(std::uint64_t id, std::optional<TimePoint> when) {
  if (when) timers_.emplace(*when, id);
}

std::optional<TimePoint> TxnTable::next_deadline() {
  // Entries are never updated in place: skip those whose transaction moved on.
  while (!timers_.empty()) {
    auto [when, id] = timers_.top();
    std::optional<TimePoint> current;
    if (auto it = servers_.find(id); it != servers_.end()) current = it->second.txn->next_deadline();
    if (auto it = clients_.find(id); it != clients_.end()) current = it->second.txn->next_deadline();
    if (current && *current == when) return when;
    timers_.pop();
    if (current && *current > when) timers_.emplace(*current, id);
  }
  return std::nullopt;
}

void TxnTable::on_timer(TimePoint now) {
  while (!timers_.empty() && timers_.top().first <= now) {
    const std::uint64_t id = timers_.top().second;
    timers_.pop();
    if (auto* st = server(id)) st->on_timer(now);
    if (auto* ct = client(id)) ct->on_timer(now);
  }
}

std::vector<TableAction> TxnTable::take_actions() {
  std::vector<TableAction> out;
  std::vector<std::uint64_t> dirty;
  dirty.swap(dirty_);
  std::sort(dirty.begin(), dirty.end());
  dirty.erase(std::unique(dirty.begin(), dirty.end()), dirty.end());
  for (std::uint64_t id : dirty) {
    bool terminated = false;
    if (auto it = servers_.find(id); it != servers_.end()) {
      for (auto& a : it->second.txn->take_actions()) {
        terminated = terminated || a.kind == Action::Kind::Terminated;
        out.push_back({id, it->second.flow, false, std::move(a)});
      }
      // A transaction counts against its source while it waits for its final response; once
      // answered it only absorbs retransmissions (up to 32 s) and costs the peer nothing more.
      const State st = it->second.txn->state();
      if (it->second.counted && (terminated || (st != State::Trying && st != State::Proceeding))) {
        it->second.counted = false;
        if (auto c = per_source_.find(it->second.source); c != per_source_.end() && c->second > 0) --c->second;
      }
      if (!terminated) {
        schedule(id, it->second.txn->next_deadline());
        continue;
      }
      if (auto k = server_keys_.find(std::string_view(*it->second.key)); k != server_keys_.end()) server_keys_.erase(k);
      servers_.erase(it);
    } else if (auto ct = clients_.find(id); ct != clients_.end()) {
      for (auto& a : ct->second.txn->take_actions()) {
        terminated = terminated || a.kind == Action::Kind::Terminated;
        out.push_back({id, ct->second.flow, true, std::move(a)});
      }
      if (!terminated) {
        schedule(id, ct->second.txn->next_deadline());
        continue;
      }
      if (auto k = client_keys_.find(ct->second.key); k != client_keys_.end() && k->second == id)
        client_keys_.erase(k);
      clients_.erase(ct);
    }
  }
  return out;
}

std::size_t TxnTable::open_for_source(std::string_view source) const {
  auto it = per_source_.find(source);
  return it == per_source_.end() ? 0 : it->second;
}

}  // namespace warden::sip::txn
