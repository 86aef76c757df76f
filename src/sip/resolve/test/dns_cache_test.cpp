// DnsCache: TTLs on a manual clock, cap, negative answers, bound on entries, coalescing.

#include <gtest/gtest.h>

#include <memory>

#include "base/clock.hpp"
#include "sip/msg/uri.hpp"
#include "sip/resolve/dns_cache.hpp"
#include "sip/resolve/server_locator.hpp"
#include "sip/resolve/test/fake_dns.hpp"

namespace warden::sip::resolve {
namespace {

using namespace std::chrono_literals;
using runtime::DnsAnswer;
using runtime::DnsErrc;
using runtime::DnsType;
using test::FakeDns;
using test::SeededRandom;

struct Got {
  int calls = 0;
  base::Result<DnsAnswer> last = DnsErrc::Cancelled;
};

runtime::DnsCallback into(Got& g) {
  return [&g](base::Result<DnsAnswer> r) {
    ++g.calls;
    g.last = std::move(r);
  };
}

TEST(DnsCache, KeepsAnAnswerForItsSmallestTtl) {
  FakeDns up;
  runtime::DnsAnswer a;
  a.srv = {{0, 0, 5060, "a.example.com", 60}, {0, 0, 5060, "b.example.com", 300}};
  up.table.insert_or_assign({"_sip._udp.example.com", DnsType::SRV}, a);
  base::ManualClock clock;
  DnsCache cache(up, clock);

  Got g;
  cache.query("_sip._udp.example.com", DnsType::SRV, into(g));
  EXPECT_EQ(up.log.size(), 1u);
  clock.advance(20s);
  cache.query("_SIP._UDP.Example.com.", DnsType::SRV, into(g));  // same key
  EXPECT_EQ(up.log.size(), 1u);
  ASSERT_TRUE(g.last);
  EXPECT_EQ(g.last->srv.size(), 2u);
  EXPECT_EQ(g.last->srv[0].ttl, 40u);  // what is left of the 60 s
  EXPECT_EQ(g.last->srv[1].ttl, 40u);  // the entry lives 60 s, not 300
  clock.advance(39s);
  cache.query("_sip._udp.example.com", DnsType::SRV, into(g));
  EXPECT_EQ(up.log.size(), 1u);
  clock.advance(1s);  // 60 s: expired
  cache.query("_sip._udp.example.com", DnsType::SRV, into(g));
  EXPECT_EQ(up.log.size(), 2u);
  EXPECT_EQ(g.calls, 4);
  EXPECT_EQ(cache.stats().hits, 2u);
  EXPECT_EQ(cache.stats().misses, 2u);
  // Another type of the same name is another entry.
  cache.query("_sip._udp.example.com", DnsType::A, into(g));
  EXPECT_EQ(up.log.size(), 3u);
}

TEST(DnsCache, TtlIsCapped) {
  FakeDns up;
  up.host("far.test", {"192.0.2.1"}, 7 * 24 * 3600);
  base::ManualClock clock;
  DnsCacheLimits lim;
  lim.max_ttl = 3600s;
  DnsCache cache(up, clock, lim);
  Got g;
  cache.query("far.test", DnsType::A, into(g));
  ASSERT_TRUE(g.last);
  EXPECT_EQ(g.last->addresses[0].ttl, 7u * 24 * 3600);  // the first answer is passed through
  clock.advance(3599s);
  cache.query("far.test", DnsType::A, into(g));
  EXPECT_EQ(up.log.size(), 1u);
  EXPECT_EQ(g.last->addresses[0].ttl, 1u);
  clock.advance(1s);
  cache.query("far.test", DnsType::A, into(g));
  EXPECT_EQ(up.log.size(), 2u);
}

TEST(DnsCache, ZeroTtlIsNotKept) {
  FakeDns up;
  up.host("zero.test", {"192.0.2.1"}, 0);
  base::ManualClock clock;
  DnsCache cache(up, clock);
  Got g;
  cache.query("zero.test", DnsType::A, into(g));
  cache.query("zero.test", DnsType::A, into(g));
  EXPECT_EQ(up.log.size(), 2u);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(DnsCache, NegativeAnswersKeptBrieflyFailuresNot) {
  FakeDns up;  // "nx.test" is absent: NameNotFound
  up.fail("sf.test", DnsType::A, DnsErrc::ServerFailure);
  up.table.insert_or_assign({"nodata.test", DnsType::AAAA}, DnsAnswer{});
  base::ManualClock clock;
  DnsCacheLimits lim;
  lim.negative_ttl = 10s;
  DnsCache cache(up, clock, lim);
  Got g;
  for (int i = 0; i < 3; ++i) {
    cache.query("nx.test", DnsType::A, into(g));
    EXPECT_EQ(g.last.error(), DnsErrc::NameNotFound);
    cache.query("nodata.test", DnsType::AAAA, into(g));
    EXPECT_TRUE(g.last);
    cache.query("sf.test", DnsType::A, into(g));
    EXPECT_EQ(g.last.error(), DnsErrc::ServerFailure);
  }
  EXPECT_EQ(up.count("nx.test", DnsType::A), 1u);
  EXPECT_EQ(up.count("nodata.test", DnsType::AAAA), 1u);
  EXPECT_EQ(up.count("sf.test", DnsType::A), 3u);
  clock.advance(10s);
  cache.query("nx.test", DnsType::A, into(g));
  EXPECT_EQ(up.count("nx.test", DnsType::A), 2u);
}

TEST(DnsCache, BoundedEntriesOldestDroppedFirst) {
  FakeDns up;
  for (int i = 0; i < 5; ++i) up.host("h" + std::to_string(i) + ".test", {"192.0.2.1"});
  base::ManualClock clock;
  DnsCacheLimits lim;
  lim.max_entries = 3;
  DnsCache cache(up, clock, lim);
  Got g;
  for (int i = 0; i < 5; ++i) cache.query("h" + std::to_string(i) + ".test", DnsType::A, into(g));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.stats().evictions, 2u);
  cache.query("h4.test", DnsType::A, into(g));  // kept
  cache.query("h0.test", DnsType::A, into(g));  // dropped: asked again
  EXPECT_EQ(up.count("h4.test", DnsType::A), 1u);
  EXPECT_EQ(up.count("h0.test", DnsType::A), 2u);
  EXPECT_EQ(cache.size(), 3u);
}

TEST(DnsCache, LongAnswersAreCut) {
  FakeDns up;
  std::vector<std::string> addrs;
  for (int i = 0; i < 100; ++i) addrs.push_back("10.0.0." + std::to_string(i));
  up.host("many.test", addrs);
  base::ManualClock clock;
  DnsCacheLimits lim;
  lim.max_records_per_answer = 8;
  DnsCache cache(up, clock, lim);
  Got g;
  cache.query("many.test", DnsType::A, into(g));
  ASSERT_TRUE(g.last);
  EXPECT_EQ(g.last->addresses.size(), 8u);
}

TEST(DnsCache, ConcurrentQueriesShareOneUpstreamQuery) {
  FakeDns up;
  up.host("co.test", {"192.0.2.1"});
  up.deferred = true;
  base::ManualClock clock;
  DnsCacheLimits lim;
  lim.max_waiters = 3;
  DnsCache cache(up, clock, lim);
  Got a, b, c, d;
  cache.query("co.test", DnsType::A, into(a));
  cache.query("co.test", DnsType::A, into(b));
  cache.query("co.test", DnsType::A, into(c));
  cache.query("co.test", DnsType::A, into(d));  // a fourth waiter is over the limit
  EXPECT_EQ(d.calls, 1);
  EXPECT_EQ(d.last.error(), DnsErrc::LimitExceeded);
  EXPECT_EQ(up.log.size(), 1u);
  up.run();
  for (Got* g : {&a, &b, &c}) {
    EXPECT_EQ(g->calls, 1);
    ASSERT_TRUE(g->last);
    EXPECT_EQ(g->last->addresses.size(), 1u);
  }
  EXPECT_EQ(cache.stats().coalesced, 2u);
}

TEST(DnsCache, DestructionCancelsWaitersAndIgnoresLateAnswers) {
  FakeDns up;
  up.host("late.test", {"192.0.2.1"});
  up.deferred = true;
  base::ManualClock clock;
  Got g;
  {
    DnsCache cache(up, clock);
    cache.query("late.test", DnsType::A, into(g));
  }
  EXPECT_EQ(g.calls, 1);
  EXPECT_EQ(g.last.error(), DnsErrc::Cancelled);
  up.run();  // the upstream answer arrives after the cache is gone
  EXPECT_EQ(g.calls, 1);
}

TEST(DnsCache, LocatorOverCacheFailsOverWithoutDns) {
  FakeDns up;
  up.naptr("example.com", {{50, 50, "s", "SIPS+D2T", "", "_sips._tcp.example.com", 120},
                           {90, 50, "s", "SIP+D2U", "", "_sip._udp.example.com", 120}});
  up.srv("_sips._tcp.example.com", {{0, 0, 5061, "s1.example.com", 120}, {1, 0, 5061, "s2.example.com", 120}});
  up.srv("_sip._udp.example.com", {{0, 0, 5060, "s1.example.com", 120}});
  up.host("s1.example.com", {"192.0.2.1"}, 30);
  up.host("s2.example.com", {"192.0.2.2"}, 30);
  base::ManualClock clock;
  DnsCache cache(up, clock);
  SeededRandom rng(3);
  ServerLocator loc(cache, rng);
  const std::string text = "sip:bob@example.com";
  msg::Uri uri;
  ASSERT_TRUE(msg::parse_uri(text, uri));

  auto run = [&] {
    std::optional<TargetList> out;
    auto h = loc.locate(uri, {}, [&](base::Result<TargetList> r) {
      if (r) out = *r;
    });
    return out;
  };
  auto first = run();
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 3u);
  const std::size_t upstream = up.log.size();
  EXPECT_EQ(upstream, 7u);  // NAPTR, 2 SRV, A + AAAA of s1 (once for both services) and of s2
  clock.advance(29s);
  auto second = run();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->targets(), first->targets());
  EXPECT_EQ(up.log.size(), upstream);  // all from the cache
  clock.advance(1s);  // the addresses (30 s) expire, NAPTR and SRV (120 s) do not
  auto third = run();
  ASSERT_TRUE(third);
  EXPECT_EQ(up.log.size(), upstream + 4);
  EXPECT_EQ(up.count(DnsType::NAPTR), 1u);
}

}  // namespace
}  // namespace warden::sip::resolve
