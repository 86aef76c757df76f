#include <gtest/gtest.h>

#include <sqlite3.h>

#include <csignal>
#include <filesystem>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.hpp"
#include "store/sqlite_store.hpp"

using namespace warden;
using namespace warden::store;

namespace {

std::string temp_db(const char* name) {
  auto dir = std::filesystem::temp_directory_path() / ("warden-store-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto p = dir / name;
  std::filesystem::remove(p);
  std::filesystem::remove(p.string() + "-wal");
  std::filesystem::remove(p.string() + "-shm");
  return p.string();
}

User alice() {
  User u;
  u.username = "alice";
  u.domain = "example.test";
  u.ha1_md5 = "m";
  u.ha1_sha256 = "s";
  u.ha1_sha512_256 = "t";
  return u;
}

}  // namespace

TEST(SqliteStore, Users) {
  auto s = SqliteStore::open(temp_db("users.db"));
  ASSERT_TRUE(s);
  auto& db = **s;
  ASSERT_TRUE(db.add_user(alice()));
  auto dup = db.add_user(alice());
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error(), base::Errc::InvalidArgument);
  auto found = db.find_user("alice", "example.test");
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->ha1_sha256, "s");
  User changed = alice();
  changed.ha1_sha256 = "s2";
  changed.strongest_used = 1;
  ASSERT_TRUE(db.update_user(changed));
  EXPECT_EQ((*db.find_user("alice", "example.test"))->ha1_sha256, "s2");
  EXPECT_EQ((*db.find_user("alice", "example.test"))->strongest_used, 1);
  EXPECT_FALSE((*db.find_user("bob", "example.test")).has_value());
  auto list = db.list_users();
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 1u);
  ASSERT_TRUE(db.remove_user("alice", "example.test"));
  EXPECT_EQ(db.remove_user("alice", "example.test").error(), base::Errc::NotFound);
}

// The proxy keeps accounts cached until another connection (`warden user`) commits.
TEST(SqliteStore, OutsideChangesSeeOtherConnectionsOnly) {
  const std::string path = temp_db("outside.db");
  auto proxy_side = SqliteStore::open(path);
  auto command_side = SqliteStore::open(path);
  ASSERT_TRUE(proxy_side && command_side);
  auto first = (*proxy_side)->outside_changes();
  ASSERT_TRUE(first);
  // Its own writes, alone or grouped, are not outside changes.
  ASSERT_TRUE((*proxy_side)->add_user(alice()));
  ASSERT_TRUE((*proxy_side)->begin());
  Binding b;
  b.aor = "sip:alice@example.test";
  b.contact = "sip:alice@192.0.2.1";
  b.expires_at = 4102444800;
  ASSERT_TRUE((*proxy_side)->put_binding(b));
  ASSERT_TRUE((*proxy_side)->commit());
  auto same = (*proxy_side)->outside_changes();
  ASSERT_TRUE(same);
  EXPECT_EQ(*same, *first);
  // Another connection removes the user: the next look sees a new value, and only once.
  ASSERT_TRUE((*command_side)->remove_user("alice", "example.test"));
  auto changed = (*proxy_side)->outside_changes();
  ASSERT_TRUE(changed);
  EXPECT_NE(*changed, *first);
  auto again = (*proxy_side)->outside_changes();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *changed);
}

TEST(SqliteStore, BindingsReplaceAndExpire) {
  auto s = SqliteStore::open(temp_db("bindings.db"));
  ASSERT_TRUE(s);
  auto& db = **s;
  Binding b{"sip:alice@example.test", "sip:alice@192.0.2.1", "cid", 1, 1000, 1.0, "", "udp:192.0.2.1:5060", ""};
  ASSERT_TRUE(db.put_binding(b));
  b.cseq = 2;
  b.expires_at = 2000;
  ASSERT_TRUE(db.put_binding(b));  // same (aor, contact): replaced
  Binding other = b;
  other.contact = "sip:alice@192.0.2.2";
  other.expires_at = 500;
  ASSERT_TRUE(db.put_binding(other));
  auto all = db.load_bindings(600);  // `other` has expired
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].cseq, 2u);
  EXPECT_EQ((*all)[0].received, "udp:192.0.2.1:5060");
  ASSERT_TRUE(db.remove_bindings("sip:alice@example.test"));
  EXPECT_TRUE(db.load_bindings(0)->empty());
}

TEST(SqliteStore, GroupCommitAndRollback) {
  auto s = SqliteStore::open(temp_db("batch.db"));
  ASSERT_TRUE(s);
  auto& db = **s;
  Binding b{"sip:bob@example.test", "sip:bob@192.0.2.9", "cid", 1, 5000, 1.0, "", "", ""};
  ASSERT_TRUE(db.begin());
  ASSERT_TRUE(db.put_binding(b));
  db.rollback();
  EXPECT_TRUE(db.load_bindings(0)->empty());
  ASSERT_TRUE(db.begin());
  for (int i = 0; i < 50; ++i) {
    b.contact = "sip:bob@192.0.2." + std::to_string(i);
    ASSERT_TRUE(db.put_binding(b));
  }
  ASSERT_TRUE(db.remove_binding(b.aor, "sip:bob@192.0.2.0"));
  ASSERT_TRUE(db.commit());
  EXPECT_EQ(db.load_bindings(0)->size(), 49u);
  EXPECT_FALSE(db.commit());  // nothing open
}

namespace {
void exec_raw(const std::string& path, const char* sql);  // below

std::int64_t count_rows(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK);
  std::int64_t n = -1;
  if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}
}  // namespace

// The bindings are a log: a transaction's changes are one record, a rollback writes none, and
// after a rewrite (mark, put every live binding, drop what came before the mark) the log holds
// just the live bindings and still loads the same. A drop undone by a rollback is undone in
// the count of changes too.
TEST(SqliteStore, BindingLogOneRecordPerCommitAndRewrite) {
  const std::string path = temp_db("log.db");
  auto s = SqliteStore::open(path);
  ASSERT_TRUE(s);
  auto& db = **s;
  Binding b{"sip:carol@example.test", "", "cid", 1, 5000, 1.0, "", "", ""};
  ASSERT_TRUE(db.begin());
  for (int i = 0; i < 20; ++i) {
    b.contact = "sip:carol@192.0.2." + std::to_string(i);
    ASSERT_TRUE(db.put_binding(b));
  }
  ASSERT_TRUE(db.remove_binding(b.aor, "sip:carol@192.0.2.0"));
  ASSERT_TRUE(db.commit());
  EXPECT_EQ(count_rows(path, "SELECT count(*) FROM binding_log"), 1);
  EXPECT_EQ(db.binding_log_changes(), 21u);
  ASSERT_TRUE(db.begin());
  ASSERT_TRUE(db.put_binding(b));
  db.rollback();
  EXPECT_EQ(count_rows(path, "SELECT count(*) FROM binding_log"), 1);
  EXPECT_EQ(db.binding_log_changes(), 21u);
  for (int round = 0; round < 3; ++round) {  // the same bindings refreshed, one commit each
    ASSERT_TRUE(db.begin());
    for (int i = 1; i < 20; ++i) {
      b.contact = "sip:carol@192.0.2." + std::to_string(i);
      b.cseq = static_cast<std::uint32_t>(2 + round);
      ASSERT_TRUE(db.put_binding(b));
    }
    ASSERT_TRUE(db.commit());
  }
  EXPECT_EQ(db.binding_log_changes(), 21u + 3 * 19u);
  auto before = db.load_bindings(0);
  ASSERT_TRUE(before);
  ASSERT_EQ(before->size(), 19u);

  auto mark = db.binding_log_mark();
  ASSERT_TRUE(mark);
  ASSERT_TRUE(db.begin());
  ASSERT_TRUE(db.drop_binding_log_before(*mark));
  db.rollback();  // undone: nothing lost, and the count is right again
  EXPECT_EQ(db.binding_log_changes(), 21u + 3 * 19u);
  EXPECT_EQ(db.load_bindings(0)->size(), 19u);

  ASSERT_TRUE(db.begin());
  for (const auto& live : *before) ASSERT_TRUE(db.put_binding(live));
  ASSERT_TRUE(db.commit());
  ASSERT_TRUE(db.begin());
  ASSERT_TRUE(db.drop_binding_log_before(*mark));
  ASSERT_TRUE(db.commit());
  EXPECT_EQ(db.binding_log_changes(), 19u);
  EXPECT_EQ(count_rows(path, "SELECT count(*) FROM binding_log"), 1);
  auto after = db.load_bindings(0);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->size(), 19u);
  for (std::size_t i = 0; i < after->size(); ++i) {
    EXPECT_EQ((*after)[i].contact, (*before)[i].contact);
    EXPECT_EQ((*after)[i].cseq, 4u);
  }
  // Reopened, the count comes from the file.
  s->reset();
  auto reopened = SqliteStore::open(path);
  ASSERT_TRUE(reopened);
  EXPECT_EQ((*reopened)->binding_log_changes(), 19u);
}

// load_bindings: by AoR, highest q first, then by contact; remove_bindings takes every contact
// of one AoR and nothing of its neighbours (even one whose name extends it).
TEST(SqliteStore, LoadedBindingsAreOrderedAndRemoveAllIsExact) {
  auto s = SqliteStore::open(temp_db("order.db"));
  ASSERT_TRUE(s);
  auto& db = **s;
  auto bind = [&](const char* aor, const char* contact, double q) {
    ASSERT_TRUE(db.put_binding(Binding{aor, contact, "c", 1, 5000, q, "", "", ""}));
  };
  bind("sip:b@example.test", "sip:1@192.0.2.1", 0.5);
  bind("sip:b@example.test", "sip:2@192.0.2.1", 0.9);
  bind("sip:b@example.test", "sip:0@192.0.2.1", 0.5);
  bind("sip:a@example.test", "sip:9@192.0.2.1", 0.1);
  bind("sip:b@example.test.org", "sip:5@192.0.2.1", 1.0);
  auto all = db.load_bindings(0);
  ASSERT_TRUE(all);
  std::vector<std::string> order;
  for (const auto& b : *all) order.push_back(b.aor + " " + b.contact);
  EXPECT_EQ(order, (std::vector<std::string>{"sip:a@example.test sip:9@192.0.2.1", "sip:b@example.test sip:2@192.0.2.1",
                                             "sip:b@example.test sip:0@192.0.2.1", "sip:b@example.test sip:1@192.0.2.1",
                                             "sip:b@example.test.org sip:5@192.0.2.1"}));
  ASSERT_TRUE(db.remove_bindings("sip:b@example.test"));
  all = db.load_bindings(0);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].aor, "sip:a@example.test");
  EXPECT_EQ((*all)[1].aor, "sip:b@example.test.org");
}

// A damaged record is an error (the proxy must not start without the bindings it holds).
TEST(SqliteStore, DamagedLogRecordIsRefused) {
  const std::string path = temp_db("damaged.db");
  {
    auto s = SqliteStore::open(path);
    ASSERT_TRUE(s);
    ASSERT_TRUE((*s)->put_binding(Binding{"sip:a@example.test", "sip:a@192.0.2.1", "c", 1, 5000, 1.0, "", "", ""}));
  }
  exec_raw(path, "INSERT INTO binding_log (changes, record) VALUES (1, X'57424C3101000000FF');");
  auto s = SqliteStore::open(path);
  ASSERT_TRUE(s);
  auto loaded = (*s)->load_bindings(0);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error(), base::Errc::Io);
}

// A process that writes bindings and is killed with SIGKILL loses none of what it committed.
TEST(SqliteStore, SurvivesKillNine) {
  const std::string path = temp_db("kill.db");
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipefd[0]);
    auto s = SqliteStore::open(path);
    if (!s) _exit(2);
    for (int i = 0; i < 200; ++i) {
      Binding b{"sip:u" + std::to_string(i) + "@example.test", "sip:c@192.0.2.1", "cid", 1, 4'000'000'000, 1.0, "",
                "udp:192.0.2.1:5060", ""};
      if (!(*s)->put_binding(b)) _exit(3);
    }
    char done = 'x';
    if (write(pipefd[1], &done, 1) != 1) _exit(4);
    for (;;) pause();  // wait to be killed, database still open
  }
  close(pipefd[1]);
  char buf;
  ASSERT_EQ(read(pipefd[0], &buf, 1), 1);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  auto s = SqliteStore::open(path);
  ASSERT_TRUE(s);
  auto all = (*s)->load_bindings(1'000'000'000);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 200u);
}

TEST(SqliteStore, UnopenablePathIsAnError) {
  auto s = SqliteStore::open("/nonexistent-dir/for/sure/x.db");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), base::Errc::Io);
}

TEST(SqliteStore, BansReplaceExpireAndRemove) {
  auto s = SqliteStore::open(temp_db("bans.db"));
  ASSERT_TRUE(s);
  auto& db = **s;
  ASSERT_TRUE(db.put_ban({"192.0.2.7", 1000, 5000, 1, "scanner User-Agent"}));
  ASSERT_TRUE(db.put_ban({"192.0.2.7", 2000, 6000, 2, "brute force"}));  // same address: replaced
  ASSERT_TRUE(db.put_ban({"2001:db8::1", 100, 200, 1, "many users"}));
  auto bans = db.load_bans(1500);  // 2001:db8::1 is no longer kept; 192.0.2.7 is
  ASSERT_TRUE(bans);
  ASSERT_EQ(bans->size(), 1u);
  EXPECT_EQ((*bans)[0].address, "192.0.2.7");
  EXPECT_EQ((*bans)[0].until, 2000);
  EXPECT_EQ((*bans)[0].keep_until, 6000);
  EXPECT_EQ((*bans)[0].level, 2);
  EXPECT_EQ((*bans)[0].reason, "brute force");
  // A record whose ban has ended but that is still kept (for escalation) is returned.
  EXPECT_EQ(db.load_bans(3000)->size(), 1u);
  EXPECT_TRUE(db.load_bans(0)->size() == 1u);  // the expired one was deleted, not hidden
  ASSERT_TRUE(db.remove_ban("192.0.2.7"));
  ASSERT_TRUE(db.remove_ban("192.0.2.7"));  // absent: not an error
  EXPECT_TRUE(db.load_bans(0)->empty());
}

TEST(SqliteStore, BansSurviveReopening) {
  const std::string path = temp_db("bans-restart.db");
  {
    auto s = SqliteStore::open(path);
    ASSERT_TRUE(s);
    ASSERT_TRUE((*s)->put_ban({"198.51.100.9", 4'000'000'000, 4'000'086'400, 3, "svcrack"}));
  }
  auto s = SqliteStore::open(path);
  ASSERT_TRUE(s);
  auto bans = (*s)->load_bans(1'700'000'000);
  ASSERT_TRUE(bans);
  ASSERT_EQ(bans->size(), 1u);
  EXPECT_EQ((*bans)[0].address, "198.51.100.9");
  EXPECT_EQ((*bans)[0].level, 3);
  EXPECT_EQ((*bans)[0].reason, "svcrack");
}

namespace {
int user_version(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr);
  int v = -1;
  if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}
void exec_raw(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err != nullptr ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}
}  // namespace

// A database written by the first schema (users and bindings, user_version 1) keeps its rows and
// gains the bans table when opened.
TEST(SqliteStore, MigratesVersionOneDatabase) {
  const std::string path = temp_db("v1.db");
  exec_raw(path, R"sql(
CREATE TABLE users (username TEXT NOT NULL, domain TEXT NOT NULL, ha1_md5 TEXT NOT NULL,
  ha1_sha256 TEXT NOT NULL, ha1_sha512_256 TEXT NOT NULL, strongest_used INTEGER NOT NULL DEFAULT 0,
  allow_md5 INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (username, domain));
CREATE TABLE bindings (aor TEXT NOT NULL, contact TEXT NOT NULL, call_id TEXT NOT NULL, cseq INTEGER NOT NULL,
  expires_at INTEGER NOT NULL, q REAL NOT NULL, path TEXT NOT NULL, received TEXT NOT NULL, instance TEXT NOT NULL,
  PRIMARY KEY (aor, contact));
CREATE INDEX bindings_expiry ON bindings (expires_at);
INSERT INTO users VALUES ('alice', 'example.test', 'm', 's', 't', 0, 1);
INSERT INTO bindings VALUES ('sip:alice@example.test', 'sip:alice@192.0.2.1', 'c', 1, 5000, 1.0, '', '', '');
PRAGMA user_version = 1;
)sql");
  ASSERT_EQ(user_version(path), 1);
  {
    auto s = SqliteStore::open(path);
    ASSERT_TRUE(s);
    auto& db = **s;
    EXPECT_TRUE((*db.find_user("alice", "example.test")).has_value());
    EXPECT_EQ(db.load_bindings(100)->size(), 1u);
    ASSERT_TRUE(db.put_ban({"192.0.2.66", 9000, 9900, 1, "scan"}));
  }
  EXPECT_EQ(user_version(path), 4);
  auto again = SqliteStore::open(path);  // already current: opens without running a step again
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->load_bans(100)->size(), 1u);
}

namespace {
std::string schema_sql(const std::string& path, const char* name) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_master WHERE name = ?1", -1, &st, nullptr);
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  std::string sql = "(none)";
  if (sqlite3_step(st) == SQLITE_ROW) sql = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return sql;
}
}  // namespace

// A version 2 database goes through 2 -> 3 (bindings WITHOUT ROWID) and 3 -> 4 (bindings as a
// log of changes): every binding and its fields survive, the old table goes, and a replaced
// binding is still one binding.
TEST(SqliteStore, MigratesVersionTwoBindingsIntoTheLog) {
  const std::string path = temp_db("v2.db");
  exec_raw(path, R"sql(
CREATE TABLE users (username TEXT NOT NULL, domain TEXT NOT NULL, ha1_md5 TEXT NOT NULL,
  ha1_sha256 TEXT NOT NULL, ha1_sha512_256 TEXT NOT NULL, strongest_used INTEGER NOT NULL DEFAULT 0,
  allow_md5 INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (username, domain));
CREATE TABLE bindings (aor TEXT NOT NULL, contact TEXT NOT NULL, call_id TEXT NOT NULL, cseq INTEGER NOT NULL,
  expires_at INTEGER NOT NULL, q REAL NOT NULL, path TEXT NOT NULL, received TEXT NOT NULL, instance TEXT NOT NULL,
  PRIMARY KEY (aor, contact));
CREATE INDEX bindings_expiry ON bindings (expires_at);
CREATE TABLE bans (address TEXT NOT NULL PRIMARY KEY, until INTEGER NOT NULL, keep_until INTEGER NOT NULL,
  level INTEGER NOT NULL, reason TEXT NOT NULL);
CREATE INDEX bans_keep ON bans (keep_until);
INSERT INTO bindings VALUES ('sip:a@example.test', 'sip:a@192.0.2.1', 'c1', 7, 5000, 0.5, '<sip:p>', 'udp:192.0.2.9:5060', 'urn:x');
INSERT INTO bindings VALUES ('sip:b@example.test', 'sip:b@192.0.2.2', 'c2', 1, 50, 1.0, '', '', '');
PRAGMA user_version = 2;
)sql");
  {
    auto s = SqliteStore::open(path);
    ASSERT_TRUE(s);
    EXPECT_EQ((*s)->binding_log_changes(), 2u);  // both rows, the expired one too
    auto loaded = (*s)->load_bindings(100);  // b expired at 50
    ASSERT_TRUE(loaded);
    ASSERT_EQ(loaded->size(), 1u);
    const auto& b = (*loaded)[0];
    EXPECT_EQ(b.aor, "sip:a@example.test");
    EXPECT_EQ(b.contact, "sip:a@192.0.2.1");
    EXPECT_EQ(b.call_id, "c1");
    EXPECT_EQ(b.cseq, 7u);
    EXPECT_EQ(b.expires_at, 5000);
    EXPECT_DOUBLE_EQ(b.q, 0.5);
    EXPECT_EQ(b.path, "<sip:p>");
    EXPECT_EQ(b.received, "udp:192.0.2.9:5060");
    EXPECT_EQ(b.instance, "urn:x");
    store::Binding again = b;
    again.cseq = 8;
    ASSERT_TRUE((*s)->put_binding(again));
    auto after = (*s)->load_bindings(100);
    ASSERT_TRUE(after);
    ASSERT_EQ(after->size(), 1u);
    EXPECT_EQ((*after)[0].cseq, 8u);
  }
  EXPECT_EQ(user_version(path), 4);
  EXPECT_EQ(schema_sql(path, "bindings"), "(none)");
  EXPECT_EQ(schema_sql(path, "bindings_v3"), "(none)");
  EXPECT_NE(schema_sql(path, "binding_log"), "(none)");
}

TEST(SqliteStore, NewDatabaseIsCurrentAndNewerIsRefused) {
  const std::string path = temp_db("newer.db");
  ASSERT_TRUE(SqliteStore::open(path));
  EXPECT_EQ(user_version(path), 4);
  exec_raw(path, "PRAGMA user_version = 99;");
  auto s = SqliteStore::open(path);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), base::Errc::InvalidArgument);
}
