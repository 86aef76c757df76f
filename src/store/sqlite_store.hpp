#pragma once
// The embedded Store: one SQLite file in WAL mode with synchronous=NORMAL, so every committed
// write survives the process being killed (kill -9); only a power cut may lose the last
// moments. Registrations are a log of changes, one record per commit (binding_log.hpp). The
// schema is created on first open and versioned with PRAGMA user_version; an older database is
// migrated on open, a newer one is refused (InvalidArgument).
// Thread-safety: one thread at a time (the connection is not shared).

#include <memory>
#include <string>
#include <unordered_map>

#include "store/binding_log.hpp"
#include "store/store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace warden::store {

class SqliteStore final : public Store {
 public:
  // Opens (creating if needed) the database at `path`, migrating an older schema.
  // Errors: Io (cannot open, or SQLite refused), InvalidArgument (a newer schema version).
  static base::Result<std::unique_ptr<SqliteStore>> open(const std::string& path);
  ~SqliteStore() override;

  base::Result<void> add_user(const User& u) override;
  base::Result<void> update_user(const User& u) override;
  base::Result<void> remove_user(std::string_view username, std::string_view domain) override;
  base::Result<std::optional<User>> find_user(std::string_view username, std::string_view domain) override;
  base::Result<std::vector<User>> list_users() override;
  base::Result<std::uint64_t> outside_changes() override;  // PRAGMA data_version

  base::Result<void> put_binding(const Binding& b) override;
  base::Result<void> remove_binding(std::string_view aor, std::string_view contact) override;
  base::Result<void> remove_bindings(std::string_view aor) override;
  base::Result<std::vector<Binding>> load_bindings(std::int64_t now) override;
  std::uint64_t binding_log_changes() const override { return log_changes_; }
  base::Result<std::uint64_t> binding_log_mark() override;
  base::Result<void> drop_binding_log_before(std::uint64_t mark) override;
  base::Result<void> put_ban(const Ban& b) override;
  base::Result<void> remove_ban(std::string_view address) override;
  base::Result<std::vector<Ban>> load_bans(std::int64_t now) override;
  base::Result<void> begin() override;
  base::Result<void> commit() override;
  void rollback() override;

  // The last error message SQLite gave, for logs.
  std::string last_error() const;

 private:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  base::Result<void> exec(const char* sql);
  base::Result<int> schema_version();
  base::Result<void> migrate();
  // A statement prepared once and kept (the hot paths: user look-up, binding writes); keyed by
  // the address of its SQL text, which must be a string literal.
  sqlite3_stmt* prepared(const char* sql);

  bool in_transaction() const;
  base::Result<void> write_pending();
  base::Result<std::uint64_t> count_log_changes();
  base::Result<void> bindings_to_log();

  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
  BindingRecordWriter pending_;    // binding changes not yet written (binding_log.hpp)
  std::uint64_t log_changes_ = 0;  // changes in the committed log
};

}  // namespace warden::store
