#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <string>
#include <vector>

#include "base/log.hpp"
#include "helpers.hpp"
#include "shield/ban_store.hpp"
#include "shield/shield.hpp"
#include "store/sqlite_store.hpp"

// Every allocation of this test program is counted, to check that the per-packet path makes none.
namespace {
std::atomic<long> g_allocations{0};
}
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace warden;
using namespace warden::shield;
using namespace warden::shield::test;

namespace {

RequestFacts register_for(std::string_view user, std::string_view ua = "Linphone/5.2.0") {
  RequestFacts f;
  f.method = "REGISTER";
  f.to_user = user;
  f.user_agent = ua;
  f.from_tag = "b5e2c1a0";
  return f;
}

std::vector<EventKind> kinds(const std::vector<SecurityEvent>& events) {
  std::vector<EventKind> out;
  for (const auto& e : events) out.push_back(e.kind);
  return out;
}

std::string temp_db(const char* name) {
  auto dir = std::filesystem::temp_directory_path() / ("warden-shield-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto p = dir / name;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p.string() + suffix);
  return p.string();
}

}  // namespace

// svwar with an edited User-Agent, walking extensions 100, 101, ...: the source is banned at the
// sixth request, the request that showed it is dropped, and every later packet too.
TEST(Shield, ExtensionScanIsBannedThenDropped) {
  Shield s{ShieldConfig{}};
  const Address scanner = ip("192.0.2.66");
  const auto t = at(seconds(10));
  int answered = 0;
  for (int ext = 100; ext < 200; ++ext) {
    if (!s.admit(scanner, t).admitted()) break;
    const Verdict v = s.inspect(scanner, register_for(std::to_string(ext)), t);
    if (!v.admitted()) {
      EXPECT_EQ(v.decision, Decision::Drop);
      EXPECT_EQ(v.cause, Cause::Scanner);
      break;
    }
    ++answered;
  }
  EXPECT_EQ(answered, 5);
  const Verdict later = s.admit(scanner, t + seconds(1));
  EXPECT_EQ(later.cause, Cause::Banned);
  EXPECT_TRUE(s.is_banned(scanner, t + minutes(9)));
  EXPECT_FALSE(s.is_banned(scanner, t + minutes(10)));
  const auto events = s.take_events();
  ASSERT_EQ(kinds(events), (std::vector<EventKind>{EventKind::SequentialUsers, EventKind::Banned}));
  EXPECT_EQ(events[1].source, scanner);
  EXPECT_EQ(events[1].reason, "6 sequential extensions up to 105 from one source (level 1, 10 min)");
  const auto changes = s.take_ban_changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].record.reason, "sequential-users: 6 sequential extensions up to 105 from one source");
  EXPECT_EQ(s.counters()[EventKind::Banned], 1u);
  EXPECT_EQ(s.stats().dropped_banned, 1u);
}

// svmap's first OPTIONS carries "friendly-scanner": one request is enough.
TEST(Shield, ScannerUserAgentIsBannedAtOnceEvenWhenTrusted) {
  Shield s{ShieldConfig{}};
  const auto t = at(seconds(10));
  RequestFacts f;
  f.method = "OPTIONS";
  f.to_user = "100";
  f.user_agent = "friendly-scanner";
  EXPECT_EQ(s.inspect(ip("192.0.2.66"), f, t).cause, Cause::Scanner);
  s.on_auth_success(ip("203.0.113.9"), "mallory@example.test", t);  // an attacker with one real account
  EXPECT_EQ(s.inspect(ip("203.0.113.9"), f, t).cause, Cause::Scanner);
  EXPECT_EQ(s.admit(ip("203.0.113.9"), t).cause, Cause::Banned);
  EXPECT_EQ(kinds(s.take_events()), (std::vector<EventKind>{EventKind::ScannerUserAgent, EventKind::Banned,
                                                            EventKind::ScannerUserAgent, EventKind::Banned}));
}

// A registered PBX calls many extensions in sequence; it authenticated, so it is not a scanner.
TEST(Shield, TrustedSourcesAreNotCheckedForEnumeration) {
  Shield s{ShieldConfig{}};
  const auto t = at(seconds(10));
  const Address pbx = ip("203.0.113.20");
  s.on_auth_success(pbx, "pbx@example.test", t);
  EXPECT_TRUE(s.is_trusted(pbx, t));
  for (int ext = 100; ext < 200; ++ext) {
    RequestFacts f;
    f.method = "INVITE";
    f.request_uri_user = f.to_user = std::to_string(ext);
    ASSERT_TRUE(s.inspect(pbx, f, t + milliseconds(ext)).admitted()) << ext;
  }
  EXPECT_TRUE(s.take_events().empty());
}

// svcrack against alice's account from one address while alice registers from hers.
TEST(Shield, PasswordGuessingBansTheSourceNotTheAccount) {
  Shield s{ShieldConfig{}};
  const Address attacker = ip("192.0.2.66");
  const Address alice = ip("203.0.113.5");
  base::ManualClock clock;
  clock.advance(seconds(10));
  Shield::AuthVerdict v;
  int attempts = 0;
  while (attempts < 10000) {
    ASSERT_TRUE(s.admit(attacker, clock.now()).admitted()) << attempts;
    ++attempts;
    v = s.on_auth_failure(attacker, "alice@example.test", clock.now());
    if (v.banned) break;
    EXPECT_EQ(v.tarpit, milliseconds(500) * (1 << (attempts - 1)));
    clock.advance(v.tarpit);  // the attacker waits for each delayed answer
    // Meanwhile the owner registers from home without trouble.
    ASSERT_TRUE(s.admit(alice, clock.now()).admitted());
    s.on_auth_success(alice, "alice@example.test", clock.now());
  }
  EXPECT_EQ(attempts, 5);
  EXPECT_EQ(s.admit(attacker, clock.now()).cause, Cause::Banned);
  EXPECT_TRUE(s.admit(alice, clock.now()).admitted());
  EXPECT_FALSE(s.is_banned(alice, clock.now()));
  EXPECT_EQ(s.tarpit(alice, clock.now()), base::Duration::zero());
  const auto events = s.take_events();
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[events.size() - 2].kind, EventKind::BruteForce);
  EXPECT_EQ(events[events.size() - 2].account, "alice@example.test");
  EXPECT_EQ(events[events.size() - 2].reason, "5 failed authentications for one account within 600 s");
  EXPECT_EQ(events.back().kind, EventKind::Banned);
  EXPECT_EQ(s.counters()[EventKind::AuthFailure], 5u);
  // The first ban lasts 10 minutes; the attacker's next run after it is banned for 20.
  clock.advance(minutes(10));
  EXPECT_TRUE(s.admit(attacker, clock.now()).admitted());
  for (int i = 0; i < 4; ++i) (void)s.on_auth_failure(attacker, "alice@example.test", clock.now());
  EXPECT_TRUE(s.on_auth_failure(attacker, "alice@example.test", clock.now()).banned);
  EXPECT_EQ(s.bans().find(attacker)->level, 2u);
  EXPECT_EQ(s.bans().find(attacker)->until, clock.now() + minutes(20));
}

// Spraying one guess over many accounts: banned within ten attempts.
TEST(Shield, PasswordSprayingIsBannedWithinTenAttempts) {
  Shield s{ShieldConfig{}};
  const auto t = at(seconds(10));
  int attempts = 0;
  bool banned = false;
  while (!banned && attempts < 100) {
    banned = s.on_auth_failure(ip("192.0.2.66"), std::to_string(1000 + attempts++) + "@example.test", t).banned;
  }
  EXPECT_EQ(attempts, 10);
  EXPECT_EQ(s.take_ban_changes().front().record.reason, "brute-force: 10 failed authentications within 600 s");
}

TEST(Shield, AllowedNetworksAreNeverLimitedOrBanned) {
  ShieldConfig c;
  c.allow.push_back(*Network::parse("10.0.0.0/8"));
  c.admission.per_source = {1, 1};
  c.admission.per_network = {1, 1};
  Shield s{c};
  const auto t = at(seconds(10));
  const Address peer = ip("10.1.2.3");
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(s.admit(peer, t).admitted()) << i;
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(s.on_auth_failure(peer, "x", t).banned);
  RequestFacts f = register_for("100", "friendly-scanner");
  EXPECT_TRUE(s.inspect(peer, f, t).admitted());
  EXPECT_FALSE(s.ban(peer, "operator", t));
  EXPECT_FALSE(s.is_banned(peer, t));
  EXPECT_TRUE(s.is_trusted(peer, t));
  EXPECT_EQ(s.counters()[EventKind::Banned], 0u);
  EXPECT_GE(s.counters()[EventKind::BanRefused], 1u);
  EXPECT_EQ(s.admit(ip("192.0.2.1"), t).cause, Cause::None);  // others are limited as usual
  EXPECT_EQ(s.admit(ip("192.0.2.1"), t).cause, Cause::SourceRate);
}

// A flood makes one event, not one per packet.
TEST(Shield, FloodFromOneSourceMakesOneEvent) {
  ShieldConfig c;
  c.admission.per_source = {10, 10};
  Shield s{c};
  const auto t = at(seconds(10));
  for (int i = 0; i < 1000; ++i) (void)s.admit(ip("192.0.2.66"), t);
  EXPECT_EQ(s.stats().admitted, 10u);
  EXPECT_EQ(s.stats().dropped_source_rate, 990u);
  const auto events = s.take_events();
  ASSERT_EQ(kinds(events), std::vector<EventKind>{EventKind::SourceRateLimited});
  EXPECT_EQ(events[0].reason, "over 10 packets/s (burst 10)");
  EXPECT_EQ(s.counters()[EventKind::SourceRateLimited], 1u);
}

TEST(Shield, OverloadIsReportedOnceWithRetryAfter) {
  ShieldConfig c;
  c.admission.capacity = 100;
  c.admission.capacity_burst = 100;
  Shield s{c};
  const auto t = at(seconds(10));
  unsigned shed = 0;
  for (unsigned i = 0; i < 200; ++i) {
    const Verdict v = s.admit(nth(i), t);
    if (v.decision == Decision::Overloaded) {
      ++shed;
      EXPECT_GE(v.retry_after, seconds(5));
    }
  }
  EXPECT_EQ(shed, 130u);
  EXPECT_EQ(s.stats().shed_overload, 130u);
  EXPECT_EQ(kinds(s.take_events()), std::vector<EventKind>{EventKind::Overload});
}

TEST(Shield, PendingEventsAreBounded) {
  ShieldConfig c;
  c.max_pending_events = 2;
  Shield s{c};
  for (unsigned i = 0; i < 5; ++i) s.ban(nth(i), "operator", at(seconds(1)));
  EXPECT_EQ(s.take_events().size(), 2u);
  EXPECT_EQ(s.stats().events_lost, 3u);
  EXPECT_EQ(s.counters()[EventKind::Banned], 5u);
  s.ban(nth(9), "operator", at(seconds(1)));
  EXPECT_EQ(s.take_events().size(), 1u);
}

TEST(Shield, EventsGoThroughTheLogger) {
  struct Line {
    base::LogLevel level;
    std::string message;
    std::vector<std::pair<std::string, std::string>> fields;
  };
  std::vector<Line> lines;
  const base::Logger log([&](base::LogLevel l, std::string_view m, std::initializer_list<base::LogField> f) {
    Line line{l, std::string(m), {}};
    for (const auto& field : f) line.fields.emplace_back(std::string(field.key), field.value);
    lines.push_back(std::move(line));
  });
  Shield s{ShieldConfig{}};
  (void)s.on_auth_failure(ip("2001:db8::66"), "bob\r\nFAKE: line@example.test", at(seconds(1)));
  s.ban(ip("2001:db8::66"), "operator", at(seconds(1)));
  for (const auto& e : s.take_events()) log_event(log, e);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].level, base::LogLevel::Info);  // one failure is not yet an attack
  EXPECT_EQ(lines[0].message, "security event");
  using F = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(lines[0].fields, (F{{"kind", "auth-failure"},
                                {"source", "2001:db8::66"},
                                {"account", "bob??FAKE: line@example.test"},
                                {"reason", "1 failures from the source, 1 for the account"}}));
  EXPECT_EQ(lines[1].level, base::LogLevel::Warn);
  EXPECT_EQ(lines[1].fields[0].second, "banned");
  EXPECT_EQ(to_string(EventKind::SequentialUsers), "sequential-users");
}

// Bans made by one Shield are enforced by the next one, through a new store object on the same
// file (a restart: the monotonic clock starts again, the wall clock goes on).
TEST(Shield, BansSurviveARestartThroughTheStore) {
  const std::string path = temp_db("shield-restart.db");
  const base::WallTime boot{std::chrono::seconds(1'700'000'000)};
  const Address scanner = ip("192.0.2.66");
  base::ManualClock first(boot);
  first.advance(hours(3));
  {
    auto store = store::SqliteStore::open(path);
    ASSERT_TRUE(store);
    Shield s{ShieldConfig{}};
    RequestFacts f = register_for("100", "friendly-scanner");
    ASSERT_EQ(s.inspect(scanner, f, first.now()).cause, Cause::Scanner);
    ASSERT_TRUE(save_bans(**store, s.take_ban_changes(), first.now(), first.wall_now()));
  }
  base::ManualClock second(first.wall_now() + seconds(28));  // the new process, 28 s later
  second.advance(seconds(2));
  auto store = store::SqliteStore::open(path);
  ASSERT_TRUE(store);
  Shield s{ShieldConfig{}};
  auto n = load_bans(**store, s.bans(), second.now(), second.wall_now());
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(s.admit(scanner, second.now()).cause, Cause::Banned);
  EXPECT_TRUE(s.admit(ip("192.0.2.67"), second.now()).admitted());
  // The 10 minutes started before the restart: 30 s of them were spent.
  EXPECT_TRUE(s.is_banned(scanner, second.now() + minutes(9) + seconds(29)));
  EXPECT_FALSE(s.is_banned(scanner, second.now() + minutes(9) + seconds(30)));
}

// The per-packet path allocates nothing, for known and new sources, banned and flooding ones,
// and neither does inspect() for a request that shows nothing.
TEST(Shield, PerPacketPathDoesNotAllocate) {
  ShieldConfig c;
  c.admission.per_source = {10, 10};
  c.admission.per_network = {1e6, 1e6};  // 300 sources of one /24 below send 1000 packets a second
  Shield s{c};
  const auto t0 = at(seconds(10));
  const Address flooder = ip("198.51.100.1");
  for (int i = 0; i < 20; ++i) (void)s.admit(flooder, t0);  // its first drop makes an event
  s.ban(ip("198.51.100.2"), "operator", t0);
  const RequestFacts facts = register_for("alice");
  (void)s.take_events();
  (void)s.take_ban_changes();

  const long before = g_allocations.load();
  Verdict last;
  for (unsigned i = 0; i < 20000; ++i) {
    const auto t = t0 + milliseconds(i);
    last = s.admit(nth(i % 300), t);                   // known after the first round
    last = s.admit(nth(100000 + i), t);                // never seen before
    last = s.admit(ip("198.51.100.2"), t);             // banned
    last = s.admit(flooder, t);                        // over its rate
    last = s.inspect(nth(i % 300), facts, t);
  }
  const long allocations = g_allocations.load() - before;
  EXPECT_EQ(allocations, 0);
  EXPECT_TRUE(s.take_events().empty());
}
