#pragma once
// Location: the registrar's bindings (RFC 3261 §10.3) held in memory for the routing hot path,
// and written to the Store. apply() changes memory at once and queues the store writes;
// flush() commits everything queued in one transaction (group commit). The registrar's
// caller answers a REGISTER only after the flush that carried its change, so a crash after
// the 200 OK loses nothing. At start the bindings that have not expired are loaded.
// Expired bindings are dropped lazily on look-up and by purge(). The store's log of changes is
// kept short by rewriting the live bindings now and then (see rewrite_step).
// Thread-safety: none; owned by the proxy's event-loop thread.
// Errors: apply() returns the Store's error; the in-memory state is then left unchanged.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "store/store.hpp"

namespace warden::proxy {

// "sip:alice@example.test": scheme sip (a sips AoR maps to sip), user as written, host lowercased.
std::string canonical_aor(std::string_view user, std::string_view host);

class Location {
 public:
  explicit Location(store::Store* store) : store_(store) {}

  base::Result<void> load(std::int64_t now);

  // Current bindings of `aor`, highest q first; expired ones are removed first.
  const std::vector<store::Binding>& lookup(std::string_view aor, std::int64_t now);

  // Replaces the bindings of `aor` with `next` (already validated by the registrar) and returns
  // them as held now (highest q first; valid until the next change); the store writes (removed
  // contacts deleted, the others written) wait for flush(), which writes the bindings `aor` has
  // then.
  const std::vector<store::Binding>& apply(const std::string& aor, std::vector<store::Binding> next);
  // Commits the queued writes in one transaction. On failure nothing of them is stored (the
  // memory keeps the new state; the caller must not confirm those registrations).
  base::Result<void> flush();
  std::size_t pending() const noexcept { return removed_.size() + written_.size(); }

  // Drops every expired binding from memory (the store drops them on the next load).
  std::size_t purge(std::int64_t now);

  std::size_t aor_count() const noexcept { return by_aor_.size(); }
  std::size_t binding_count() const noexcept { return count_; }

 private:
  struct AorHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  store::Store* store_;
  std::unordered_map<std::string, std::vector<store::Binding>, AorHash, std::equal_to<>> by_aor_;
  std::vector<store::Binding> empty_;
  std::size_t count_ = 0;  // bindings in by_aor_, kept current so stats cost nothing
  // Queued for flush(): contacts to delete, then the AoRs whose bindings (as they are at the
  // flush) are written. Removals go first, so a contact removed and then registered again
  // before the flush ends up stored.
  std::vector<std::pair<std::string, std::string>> removed_;  // (aor, contact)
  std::vector<std::string> written_;                           // aor

  // The store's log of binding changes grows with every flush. Once it holds more than
  // kRewriteFactor times the live bindings (plus kRewriteSlack), a rewrite begins: from then on
  // each flush also puts the bindings of the next AoRs, bucket by bucket of by_aor_, at least
  // kRewriteStep of them and twice as many as the flush's own changes, so the pass ends
  // before the log has grown much. When every bucket has been visited, the records written
  // before the pass began are dropped (Store::drop_binding_log_before). An AoR added during
  // the pass has its own records after the mark. If by_aor_ rehashes, the pass starts over
  // from bucket 0 with the same mark.
  static constexpr std::uint64_t kRewriteFactor = 3;
  static constexpr std::uint64_t kRewriteSlack = 4096;
  static constexpr std::size_t kRewriteStep = 64;
  base::Result<void> rewrite_step(std::size_t own_changes);
  struct Rewrite {
    bool on = false;
    std::uint64_t mark = 0;
    std::size_t bucket = 0;   // next bucket of by_aor_ to put
    std::size_t buckets = 0;  // by_aor_.bucket_count() when the pass (re)started
  };
  Rewrite rewrite_;

 public:
  // For tests: whether a rewrite pass is under way.
  bool rewriting() const noexcept { return rewrite_.on; }
};

}  // namespace warden::proxy
