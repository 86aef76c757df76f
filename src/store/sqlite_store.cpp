#include "store/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <iterator>
#include <map>

#include "base/error.hpp"
#include "store/binding_log.hpp"

namespace warden::store {

namespace {

// A prepared statement that finalizes itself.
// Or one borrowed from the store's cache of prepared statements: reset, not finalized.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { ok_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) == SQLITE_OK; }
  explicit Stmt(sqlite3_stmt* cached) : s_(cached), ok_(cached != nullptr), owned_(false) {}
  ~Stmt() {
    if (owned_) {
      sqlite3_finalize(s_);
    } else if (s_ != nullptr) {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
    }
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return ok_; }
  // The text is not copied (SQLITE_STATIC): it must outlive this Stmt, which resets and clears
  // its bindings when it goes. Every caller binds its own arguments.
  Stmt& text(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.empty() ? "" : v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& integer(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& real(int i, double v) {
    sqlite3_bind_double(s_, i, v);
    return *this;
  }
  Stmt& blob(int i, std::string_view v) {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  int step() { return sqlite3_step(s_); }
  std::string col_text(int i) {
    const auto* p = sqlite3_column_text(s_, i);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p),
                                                       static_cast<std::size_t>(sqlite3_column_bytes(s_, i)));
  }
  std::int64_t col_int(int i) { return sqlite3_column_int64(s_, i); }
  // Valid until the next step() or the end of this Stmt.
  std::string_view col_blob(int i) {
    const void* p = sqlite3_column_blob(s_, i);
    const int n = sqlite3_column_bytes(s_, i);
    return p == nullptr || n <= 0 ? std::string_view() : std::string_view(static_cast<const char*>(p), static_cast<std::size_t>(n));
  }
  double col_real(int i) { return sqlite3_column_double(s_, i); }

 private:
  sqlite3_stmt* s_ = nullptr;
  bool ok_ = false;
  bool owned_ = true;
};

// The schema, as the list of steps that bring a database from version i to i + 1 (PRAGMA
// user_version). A new database runs every step; an existing one the steps it has not seen.
// Steps are only ever appended: a released step never changes.
constexpr const char* kMigrations[] = {
    // 0 -> 1: accounts and registrations.
    R"sql(
CREATE TABLE IF NOT EXISTS users (
  username TEXT NOT NULL,
  domain TEXT NOT NULL,
  ha1_md5 TEXT NOT NULL,
  ha1_sha256 TEXT NOT NULL,
  ha1_sha512_256 TEXT NOT NULL,
  strongest_used INTEGER NOT NULL DEFAULT 0,
  allow_md5 INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (username, domain)
);
CREATE TABLE IF NOT EXISTS bindings (
  aor TEXT NOT NULL,
  contact TEXT NOT NULL,
  call_id TEXT NOT NULL,
  cseq INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  q REAL NOT NULL,
  path TEXT NOT NULL,
  received TEXT NOT NULL,
  instance TEXT NOT NULL,
  PRIMARY KEY (aor, contact)
);
CREATE INDEX IF NOT EXISTS bindings_expiry ON bindings (expires_at);
)sql",
    // 1 -> 2: banned source addresses (shield).
    R"sql(
CREATE TABLE IF NOT EXISTS bans (
  address TEXT NOT NULL PRIMARY KEY,
  until INTEGER NOT NULL,
  keep_until INTEGER NOT NULL,
  level INTEGER NOT NULL,
  reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS bans_keep ON bans (keep_until);
)sql",
    // 2 -> 3: bindings keyed by (aor, contact) alone, WITHOUT ROWID, and no expiry index. Every
    // REGISTER rewrites its binding; with a rowid table and two indexes that touched three
    // b-tree pages scattered over the file (the row, the key index, the expiry index), now one.
    // Expired rows are only deleted when the proxy starts (a scan, once).
    R"sql(
CREATE TABLE bindings_v3 (
  aor TEXT NOT NULL,
  contact TEXT NOT NULL,
  call_id TEXT NOT NULL,
  cseq INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  q REAL NOT NULL,
  path TEXT NOT NULL,
  received TEXT NOT NULL,
  instance TEXT NOT NULL,
  PRIMARY KEY (aor, contact)
) WITHOUT ROWID;
INSERT INTO bindings_v3 (aor, contact, call_id, cseq, expires_at, q, path, received, instance)
  SELECT aor, contact, call_id, cseq, expires_at, q, path, received, instance FROM bindings;
DROP TABLE bindings;
ALTER TABLE bindings_v3 RENAME TO bindings;
)sql",
    // 3 -> 4: registrations as a log of changes, one record per commit (store/binding_log.hpp):
    // a group commit appends a page or two instead of rewriting a page per binding. The rows of
    // `bindings` are copied into it, and the table dropped, by SqliteStore::bindings_to_log()
    // in the same transaction.
    R"sql(
CREATE TABLE binding_log (
  seq INTEGER PRIMARY KEY,
  changes INTEGER NOT NULL,
  record BLOB NOT NULL
);
)sql",
};
constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

}  // namespace

base::Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path) {
  // No allocation statistics: with them every SQLite allocation takes a global mutex, although
  // each connection here is used by one thread. Only possible before SQLite initialises; if
  // something in the process already used SQLite, the call fails and changes nothing.
  static const bool kNoMemoryStatistics = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  (void)kNoMemoryStatistics;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    sqlite3_close(db);
    return base::Errc::Io;
  }
  std::unique_ptr<SqliteStore> s(new SqliteStore(db));
  sqlite3_busy_timeout(db, 2000);
  // cache_size: up to 32 MB of pages kept in memory (SQLite's default, 2 MB, held a fraction of
  // 10,000 accounts, and each user look-up then read pages back from the file).
  if (auto r = s->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                       "PRAGMA cache_size=-32768;");
      !r)
    return r.error();
  if (auto r = s->migrate(); !r) return r.error();
  auto changes = s->count_log_changes();
  if (!changes) return changes.error();
  s->log_changes_ = *changes;
  return s;
}

base::Result<int> SqliteStore::schema_version() {
  Stmt s(db_, "PRAGMA user_version");
  if (!s.ok() || s.step() != SQLITE_ROW) return base::Errc::Io;
  return static_cast<int>(s.col_int(0));
}

base::Result<void> SqliteStore::migrate() {
  auto version = schema_version();
  if (!version) return version.error();
  // A database written by a newer Warden: its tables may mean something else.
  if (*version > kSchemaVersion) return base::Errc::InvalidArgument;
  for (int v = *version; v < kSchemaVersion; ++v) {
    // Each step and its version number commit together, or not at all.
    const std::string step = std::string("BEGIN IMMEDIATE;") + kMigrations[v] + "PRAGMA user_version = " +
                             std::to_string(v + 1) + ";";
    auto r = exec(step.c_str());
    if (r && v == 3) r = bindings_to_log();
    if (r) r = exec("COMMIT");
    if (!r) {
      pending_.clear();
      (void)exec("ROLLBACK");
      return r.error();
    }
  }
  return {};
}

// Migration 3 -> 4: the rows of the old `bindings` table become put changes in the log,
// kChunk to a record, and the table goes. Inside the migration's transaction.
base::Result<void> SqliteStore::bindings_to_log() {
  static constexpr std::uint32_t kChunk = 4096;
  {
    Stmt s(db_, "SELECT aor, contact, call_id, cseq, expires_at, q, path, received, instance FROM bindings");
    if (!s.ok()) return base::Errc::Io;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      Binding b;
      b.aor = s.col_text(0);
      b.contact = s.col_text(1);
      b.call_id = s.col_text(2);
      b.cseq = static_cast<std::uint32_t>(s.col_int(3));
      b.expires_at = s.col_int(4);
      b.q = s.col_real(5);
      b.path = s.col_text(6);
      b.received = s.col_text(7);
      b.instance = s.col_text(8);
      if (auto r = pending_.put(b); !r) return r;
      if (pending_.count() >= kChunk) {
        if (auto r = write_pending(); !r) return r;
        pending_.clear();
      }
    }
    if (rc != SQLITE_DONE) return base::Errc::Io;
  }
  if (auto r = write_pending(); !r) return r;
  pending_.clear();
  return exec("DROP TABLE bindings");
}

// BEGIN and COMMIT run once per group commit: prepared once and kept, rather than compiled
// again by sqlite3_exec on every batch.
base::Result<void> SqliteStore::begin() {
  Stmt s(prepared("BEGIN IMMEDIATE"));
  if (!s.ok()) return base::Errc::Io;
  return s.step() == SQLITE_DONE ? base::Result<void>() : base::Result<void>(base::Errc::Io);
}
base::Result<void> SqliteStore::commit() {
  // The transaction's binding changes, as one record.
  if (auto r = write_pending(); !r) return r;
  Stmt s(prepared("COMMIT"));
  if (!s.ok()) return base::Errc::Io;
  if (s.step() != SQLITE_DONE) return base::Errc::Io;
  log_changes_ += pending_.count();
  pending_.clear();
  return {};
}
void SqliteStore::rollback() {
  pending_.clear();
  (void)exec("ROLLBACK");
  if (auto n = count_log_changes()) log_changes_ = *n;
}

SqliteStore::~SqliteStore() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

sqlite3_stmt* SqliteStore::prepared(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return nullptr;
  }
  cache_.emplace(sql, stmt);
  return stmt;
}

std::string SqliteStore::last_error() const { return sqlite3_errmsg(db_); }

base::Result<void> SqliteStore::exec(const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  sqlite3_free(err);
  return rc == SQLITE_OK ? base::Result<void>() : base::Result<void>(base::Errc::Io);
}

base::Result<void> SqliteStore::add_user(const User& u) {
  Stmt s(db_,
         "INSERT INTO users (username, domain, ha1_md5, ha1_sha256, ha1_sha512_256, strongest_used, allow_md5) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!s.ok()) return base::Errc::Io;
  s.text(1, u.username).text(2, u.domain).text(3, u.ha1_md5).text(4, u.ha1_sha256).text(5, u.ha1_sha512_256);
  s.integer(6, u.strongest_used).integer(7, u.allow_md5 ? 1 : 0);
  const int rc = s.step();
  if (rc == SQLITE_CONSTRAINT) return base::Errc::InvalidArgument;  // the account exists
  return rc == SQLITE_DONE ? base::Result<void>() : base::Result<void>(base::Errc::Io);
}

base::Result<void> SqliteStore::update_user(const User& u) {
  Stmt s(prepared(
         "UPDATE users SET ha1_md5 = ?3, ha1_sha256 = ?4, ha1_sha512_256 = ?5, strongest_used = ?6, allow_md5 = ?7 "
         "WHERE username = ?1 AND domain = ?2"));
  if (!s.ok()) return base::Errc::Io;
  s.text(1, u.username).text(2, u.domain).text(3, u.ha1_md5).text(4, u.ha1_sha256).text(5, u.ha1_sha512_256);
  s.integer(6, u.strongest_used).integer(7, u.allow_md5 ? 1 : 0);
  if (s.step() != SQLITE_DONE) return base::Errc::Io;
  return sqlite3_changes(db_) == 1 ? base::Result<void>() : base::Result<void>(base::Errc::NotFound);
}

base::Result<void> SqliteStore::remove_user(std::string_view username, std::string_view domain) {
  Stmt s(db_, "DELETE FROM users WHERE username = ?1 AND domain = ?2");
  if (!s.ok()) return base::Errc::Io;
  s.text(1, username).text(2, domain);
  if (s.step() != SQLITE_DONE) return base::Errc::Io;
  return sqlite3_changes(db_) == 1 ? base::Result<void>() : base::Result<void>(base::Errc::NotFound);
}

namespace {
User read_user(Stmt& s) {
  User u;
  u.username = s.col_text(0);
  u.domain = s.col_text(1);
  u.ha1_md5 = s.col_text(2);
  u.ha1_sha256 = s.col_text(3);
  u.ha1_sha512_256 = s.col_text(4);
  u.strongest_used = static_cast<int>(s.col_int(5));
  u.allow_md5 = s.col_int(6) != 0;
  return u;
}
constexpr const char* kUserColumns =
    "SELECT username, domain, ha1_md5, ha1_sha256, ha1_sha512_256, strongest_used, allow_md5 FROM users";
}  // namespace

base::Result<std::optional<User>> SqliteStore::find_user(std::string_view username, std::string_view domain) {
  static constexpr const char* kFind =
      "SELECT username, domain, ha1_md5, ha1_sha256, ha1_sha512_256, strongest_used, allow_md5 FROM users "
      "WHERE username = ?1 AND domain = ?2";
  Stmt s(prepared(kFind));
  if (!s.ok()) return base::Errc::Io;
  s.text(1, username).text(2, domain);
  const int rc = s.step();
  if (rc == SQLITE_ROW) return std::optional<User>(read_user(s));
  if (rc == SQLITE_DONE) return std::optional<User>();
  return base::Errc::Io;
}

base::Result<std::uint64_t> SqliteStore::outside_changes() {
  // data_version differs between two reads on one connection exactly when another connection
  // committed in between (sqlite.org/pragma.html#pragma_data_version).
  static constexpr const char* kVersion = "PRAGMA data_version";
  Stmt s(prepared(kVersion));
  if (!s.ok() || s.step() != SQLITE_ROW) return base::Errc::Io;
  return static_cast<std::uint64_t>(s.col_int(0));
}

base::Result<std::vector<User>> SqliteStore::list_users() {
  std::string sql = std::string(kUserColumns) + " ORDER BY domain, username";
  Stmt s(db_, sql.c_str());
  if (!s.ok()) return base::Errc::Io;
  std::vector<User> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_user(s));
  if (rc != SQLITE_DONE) return base::Errc::Io;
  return out;
}

// Binding changes go into pending_, which becomes one binding_log record: at commit() inside
// a transaction, at once outside one.
base::Result<void> SqliteStore::put_binding(const Binding& b) {
  if (auto r = pending_.put(b); !r) return r;
  return in_transaction() ? base::Result<void>() : write_pending();
}

base::Result<void> SqliteStore::remove_binding(std::string_view aor, std::string_view contact) {
  if (auto r = pending_.remove(aor, contact); !r) return r;
  return in_transaction() ? base::Result<void>() : write_pending();
}

base::Result<void> SqliteStore::remove_bindings(std::string_view aor) {
  if (auto r = pending_.remove_all(aor); !r) return r;
  return in_transaction() ? base::Result<void>() : write_pending();
}

bool SqliteStore::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

// Appends pending_ as one record. On success it is counted in log_changes_ once committed:
// at once outside a transaction, by commit() inside one.
base::Result<void> SqliteStore::write_pending() {
  if (pending_.empty()) return {};
  Stmt s(prepared("INSERT INTO binding_log (changes, record) VALUES (?1, ?2)"));
  if (!s.ok()) return base::Errc::Io;
  s.integer(1, pending_.count()).blob(2, pending_.bytes());
  const bool ok = s.step() == SQLITE_DONE;
  if (!in_transaction()) {
    if (ok) log_changes_ += pending_.count();
    pending_.clear();
  }
  return ok ? base::Result<void>() : base::Result<void>(base::Errc::Io);
}

base::Result<std::uint64_t> SqliteStore::count_log_changes() {
  Stmt s(db_, "SELECT coalesce(sum(changes), 0) FROM binding_log");
  if (!s.ok() || s.step() != SQLITE_ROW) return base::Errc::Io;
  return static_cast<std::uint64_t>(s.col_int(0));
}

base::Result<std::uint64_t> SqliteStore::binding_log_mark() {
  // seq is the rowid: a new record gets the largest plus one, so every record written after
  // this call has seq >= the mark, and every earlier one (committed or pending) is either
  // below it or pending (then written at the mark or after: kept, which is safe).
  Stmt s(prepared("SELECT coalesce(max(seq), 0) + 1 FROM binding_log"));
  if (!s.ok() || s.step() != SQLITE_ROW) return base::Errc::Io;
  return static_cast<std::uint64_t>(s.col_int(0));
}

base::Result<void> SqliteStore::drop_binding_log_before(std::uint64_t mark) {
  std::int64_t dropped = 0;
  {
    Stmt s(db_, "SELECT coalesce(sum(changes), 0) FROM binding_log WHERE seq < ?1");
    if (!s.ok()) return base::Errc::Io;
    s.integer(1, static_cast<std::int64_t>(mark));
    if (s.step() != SQLITE_ROW) return base::Errc::Io;
    dropped = s.col_int(0);
  }
  Stmt del(db_, "DELETE FROM binding_log WHERE seq < ?1");
  if (!del.ok()) return base::Errc::Io;
  del.integer(1, static_cast<std::int64_t>(mark));
  if (del.step() != SQLITE_DONE) return base::Errc::Io;
  // Inside a transaction this is undone by rollback(), which counts the log again.
  const auto d = static_cast<std::uint64_t>(dropped);
  log_changes_ = log_changes_ > d ? log_changes_ - d : 0;
  return {};
}

base::Result<std::vector<Binding>> SqliteStore::load_bindings(std::int64_t now) {
  // Replays the log in order. Keyed by (aor, contact), so the map's order is the one promised
  // but for q, sorted below.
  std::map<std::pair<std::string, std::string>, Binding, std::less<>> live;
  Stmt s(db_, "SELECT record FROM binding_log ORDER BY seq");
  if (!s.ok()) return base::Errc::Io;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    auto changes = decode_record(s.col_blob(0));
    if (!changes) return base::Errc::Io;  // damaged: refuse rather than start without its bindings
    for (auto& c : *changes) {
      Binding& b = c.binding;
      switch (c.kind) {
        case BindingChange::Kind::Put: {
          auto key = std::make_pair(b.aor, b.contact);
          live.insert_or_assign(std::move(key), std::move(b));
          break;
        }
        case BindingChange::Kind::Remove:
          live.erase(std::make_pair(b.aor, b.contact));
          break;
        case BindingChange::Kind::RemoveAll:
          live.erase(live.lower_bound(std::make_pair(b.aor, std::string())),
                     live.lower_bound(std::make_pair(b.aor + '\0', std::string())));
          break;
      }
    }
  }
  if (rc != SQLITE_DONE) return base::Errc::Io;
  std::vector<Binding> out;
  out.reserve(live.size());
  for (auto& [key, b] : live) {
    if (b.expires_at > now) out.push_back(std::move(b));
  }
  std::stable_sort(out.begin(), out.end(), [](const Binding& a, const Binding& b) {
    if (a.aor != b.aor) return a.aor < b.aor;
    return a.q > b.q;
  });
  return out;
}

base::Result<void> SqliteStore::put_ban(const Ban& b) {
  Stmt s(prepared(
      "INSERT OR REPLACE INTO bans (address, until, keep_until, level, reason) VALUES (?1, ?2, ?3, ?4, ?5)"));
  if (!s.ok()) return base::Errc::Io;
  s.text(1, b.address).integer(2, b.until).integer(3, b.keep_until).integer(4, b.level).text(5, b.reason);
  return s.step() == SQLITE_DONE ? base::Result<void>() : base::Result<void>(base::Errc::Io);
}

base::Result<void> SqliteStore::remove_ban(std::string_view address) {
  Stmt s(prepared("DELETE FROM bans WHERE address = ?1"));
  if (!s.ok()) return base::Errc::Io;
  s.text(1, address);
  return s.step() == SQLITE_DONE ? base::Result<void>() : base::Result<void>(base::Errc::Io);
}

base::Result<std::vector<Ban>> SqliteStore::load_bans(std::int64_t now) {
  {
    Stmt del(db_, "DELETE FROM bans WHERE keep_until <= ?1");
    if (!del.ok()) return base::Errc::Io;
    del.integer(1, now);
    if (del.step() != SQLITE_DONE) return base::Errc::Io;
  }
  Stmt s(db_, "SELECT address, until, keep_until, level, reason FROM bans ORDER BY address");
  if (!s.ok()) return base::Errc::Io;
  std::vector<Ban> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    Ban b;
    b.address = s.col_text(0);
    b.until = s.col_int(1);
    b.keep_until = s.col_int(2);
    b.level = static_cast<int>(s.col_int(3));
    b.reason = s.col_text(4);
    out.push_back(std::move(b));
  }
  if (rc != SQLITE_DONE) return base::Errc::Io;
  return out;
}

}  // namespace warden::store
