#pragma once
// What Warden keeps across restarts: accounts, registrations and banned source addresses
// (and later call records). The interface is what the roles see; SqliteStore (sqlite_store.hpp) is the
// embedded default. Hot paths never read the store per request: the registrar keeps bindings
// in memory and writes through.
// Thread-safety: implementations say; SqliteStore is safe for one thread at a time.
// Errors: base::Errc::NotFound, InvalidArgument (bad name, duplicate), Io (the database refused).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace warden::store {

// An account. HA1 values per digest algorithm; the password itself is never stored.
struct User {
  std::string username;  // user part of the address-of-record
  std::string domain;
  std::string ha1_md5;
  std::string ha1_sha256;
  std::string ha1_sha512_256;
  int strongest_used = 0;  // sip::auth::strength() of the strongest algorithm seen succeed
  bool allow_md5 = true;
};

// One registered contact of an address-of-record (RFC 3261 §10.3).
struct Binding {
  std::string aor;       // "sip:alice@example.test", canonical form
  std::string contact;   // the Contact URI as registered
  std::string call_id;
  std::uint32_t cseq = 0;
  std::int64_t expires_at = 0;  // Unix seconds
  double q = 1.0;
  std::string path;      // Path header values joined with ", " (RFC 3327)
  std::string received;  // where the REGISTER came from: "udp:192.0.2.1:5060"
  std::string instance;  // +sip.instance (RFC 5626), "" if none
};

// A banned source address (src/shield/ban_list.hpp). The ban ends at `until`; the record is
// kept until `keep_until` so that a new ban of the same source escalates from `level`.
struct Ban {
  std::string address;          // "192.0.2.1", "2001:db8::1"
  std::int64_t until = 0;       // Unix seconds
  std::int64_t keep_until = 0;  // Unix seconds, not before `until`
  int level = 1;                // 1 for a first ban, one more for each ban after that
  std::string reason;           // for logs and the operator: "brute force: 10 failed ..."
};

class Store {
 public:
  virtual ~Store() = default;

  virtual base::Result<void> add_user(const User& u) = 0;
  virtual base::Result<void> update_user(const User& u) = 0;  // by username + domain
  virtual base::Result<void> remove_user(std::string_view username, std::string_view domain) = 0;
  virtual base::Result<std::optional<User>> find_user(std::string_view username, std::string_view domain) = 0;
  virtual base::Result<std::vector<User>> list_users() = 0;
  // A value that changes when another connection to the same store (a `warden user` command
  // while the proxy runs) has committed since this connection last asked; this connection's
  // own writes do not change it. Cheap: the proxy asks at most once a second before trusting
  // the accounts it has cached.
  virtual base::Result<std::uint64_t> outside_changes() = 0;

  // Inserts or replaces the binding with the same (aor, contact).
  virtual base::Result<void> put_binding(const Binding& b) = 0;
  virtual base::Result<void> remove_binding(std::string_view aor, std::string_view contact) = 0;
  virtual base::Result<void> remove_bindings(std::string_view aor) = 0;
  // Every binding that expires after `now` (Unix seconds), ordered by aor, then highest q
  // first, then contact; expired ones are left out.
  virtual base::Result<std::vector<Binding>> load_bindings(std::int64_t now) = 0;

  // Bindings may be kept as a log of changes (SqliteStore: one record per commit), which grows
  // with every change until its older records are dropped. Whoever holds the live bindings
  // (proxy::Location) does that now and then:
  //   mark = binding_log_mark();  then put_binding() every binding live at that moment, in any
  //   number of transactions;  then drop_binding_log_before(mark).
  // Changes in the log; compared with the live bindings, it says when that is worth doing.
  virtual std::uint64_t binding_log_changes() const = 0;
  // Where the next change will be written.
  virtual base::Result<std::uint64_t> binding_log_mark() = 0;
  // Drops what was written before `mark`. Only correct once every binding live at the mark has
  // been put or removed since.
  virtual base::Result<void> drop_binding_log_before(std::uint64_t mark) = 0;

  // Inserts or replaces the ban of `b.address`.
  virtual base::Result<void> put_ban(const Ban& b) = 0;
  // Removes the ban of `address`; removing one that is not there is not an error.
  virtual base::Result<void> remove_ban(std::string_view address) = 0;
  // Every ban record kept after `now` (Unix seconds: keep_until > now), ordered by address; the
  // others are deleted. Records whose ban has ended (until <= now) are returned too.
  virtual base::Result<std::vector<Ban>> load_bans(std::int64_t now) = 0;
  // Groups the writes between begin() and commit() into one transaction (group commit: one
  // log write for many registrations). rollback() drops them. Without begin() every write
  // commits on its own.
  virtual base::Result<void> begin() = 0;
  virtual base::Result<void> commit() = 0;
  virtual void rollback() = 0;
};

}  // namespace warden::store
