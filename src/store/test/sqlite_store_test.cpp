#include <gtest/gtest.h>

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
