#pragma once
// All open transactions of one element, matched by key (txn_key.hpp), with one timer queue.
// Each transaction carries the `flow` it talks over (an opaque id the transport layer gives),
// and the table reports the actions of every transaction together with that flow.
// A source (the peer's address, given by the caller) may hold at most
// `max_server_txns_per_source` server transactions waiting for their final response: beyond
// that create_server() refuses, so one peer cannot fill the table. Answered transactions
// (Completed, Accepted, Confirmed) no longer count: they only absorb retransmissions.
// Thread-safety: none; one table per event-loop thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/node_hash_map.h>
#include <absl/hash/hash.h>

#include "base/result.hpp"
#include "sip/txn/client_txn.hpp"
#include "sip/txn/server_txn.hpp"

namespace warden::sip::txn {

struct TableAction {
  std::uint64_t txn_id;
  std::uint64_t flow;
  bool client;
  Action action;
};

class TxnTable {
 public:
  TxnTable(const TimerConfig& cfg, std::size_t max_server_txns_per_source = 64);

  // Server side. find_server() matches retransmissions and ACKs; create_server() opens a new
  // transaction for a request that matched nothing (never for ACK).
  ServerTxn* find_server(const msg::Message& request);
  ServerTxn* find_cancel_target(const msg::Message& cancel);
  base::Result<std::uint64_t> create_server(const msg::Message& request, bool reliable, std::uint64_t flow,
                                            std::string_view source, TimePoint now);
  ServerTxn* server(std::uint64_t id);
  // The same look-ups, giving the transaction's id (0 when nothing matches).
  std::uint64_t find_server_id(const msg::Message& request) const;
  std::uint64_t find_cancel_target_id(const msg::Message& cancel) const;

  // Client side.
  std::uint64_t create_client(std::string_view request, bool reliable, std::uint64_t flow, TimePoint now);
  ClientTxn* find_client(const msg::Message& response);
  ClientTxn* client(std::uint64_t id);
  std::uint64_t find_client_id(const msg::Message& response) const;

  // Timers and actions. Call take_actions() after every event; terminated transactions are
  // removed when their Terminated action is taken.
  std::optional<TimePoint> next_deadline();
  void on_timer(TimePoint now);
  std::vector<TableAction> take_actions();

  std::size_t size() const noexcept { return servers_.size() + clients_.size(); }
  std::size_t open_for_source(std::string_view source) const;
  // Sources with a counter (some of them at zero, until the next sweep).
  std::size_t sources_tracked() const noexcept { return per_source_.size(); }

 private:
  // Keys are looked up by string_view (built in scratch_, no allocation per look-up); the entry
  // points at its key in the map. Abseil's node map keeps each key where it was inserted (the
  // pointer survives rehashing) and finds an absent key, the common case for a new request,
  // in its array of control bytes, usually one cache line, without visiting any node:
  // std::unordered_map walked a bucket's nodes for that, a cache miss each, which showed in
  // REGISTER load profiles as the largest single cost in user space.
  struct KeyHash {  // transparent over std::string_view (absl's own string hash takes absl::string_view)
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return absl::Hash<std::string_view>{}(s); }
  };
  using KeyMap = absl::node_hash_map<std::string, std::uint64_t, KeyHash, std::equal_to<>>;
  struct ServerEntry {
    std::unique_ptr<ServerTxn> txn;
    const std::string* key;
    std::string source;
    std::uint64_t flow;
    bool counted = true;  // still counted in per_source_ (no final response yet)
  };
  struct ClientEntry {
    std::unique_ptr<ClientTxn> txn;
    std::string key;
    std::uint64_t flow;
  };
  void schedule(std::uint64_t id, std::optional<TimePoint> when);

  TimerConfig cfg_;
  std::size_t max_per_source_;
  std::uint64_t next_id_ = 1;
  absl::flat_hash_map<std::uint64_t, ServerEntry> servers_;
  absl::flat_hash_map<std::uint64_t, ClientEntry> clients_;
  KeyMap server_keys_;
  KeyMap client_keys_;
  absl::flat_hash_map<std::string, std::size_t, KeyHash, std::equal_to<>> per_source_;
  static constexpr std::size_t kMinSourceSweep = 1024;
  std::size_t sweep_sources_at_ = kMinSourceSweep;  // per_source_ size at which zero counts are dropped
  mutable std::string scratch_;  // the key being looked up
  using Entry = std::pair<TimePoint, std::uint64_t>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> timers_;
  std::vector<std::uint64_t> dirty_;  // transactions that may have queued actions
};

}  // namespace warden::sip::txn
