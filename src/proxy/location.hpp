#pragma once
// Location: the registrar's bindings (RFC 3261 §10.3) held in memory for the routing hot path,
// written through to the Store before a REGISTER is answered, so a crash after the 200 OK
// loses nothing. At start the bindings that have not expired are loaded from the Store.
// Expired bindings are dropped lazily on look-up and by purge().
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

  // Replaces the bindings of `aor` with `next` (already validated by the registrar): removed
  // contacts are deleted from the store, the others written.
  base::Result<void> apply(const std::string& aor, std::vector<store::Binding> next);

  // Drops every expired binding from memory (the store drops them on the next load).
  std::size_t purge(std::int64_t now);

  std::size_t aor_count() const noexcept { return by_aor_.size(); }
  std::size_t binding_count() const noexcept;

 private:
  store::Store* store_;
  std::unordered_map<std::string, std::vector<store::Binding>> by_aor_;
  std::vector<store::Binding> empty_;
};

}  // namespace warden::proxy
