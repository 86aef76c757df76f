// RFC 3263 §4 target selection over a table-driven DNS port.

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sip/msg/uri.hpp"
#include "sip/resolve/server_locator.hpp"
#include "sip/resolve/test/fake_dns.hpp"

namespace warden::sip::resolve {
namespace {

using runtime::DnsErrc;
using runtime::DnsNaptr;
using runtime::DnsSrv;
using runtime::DnsType;
using runtime::TransportKind;
using test::FakeDns;
using test::SeededRandom;

// "UDP 192.0.2.1:5060" for each target, in order.
std::vector<std::string> describe(const TargetList& l) {
  std::vector<std::string> out;
  for (const auto& t : l.targets())
    out.push_back(std::string(runtime::to_string(t.transport)) + " " + t.endpoint.to_string());
  return out;
}

struct Outcome {
  std::optional<TargetList> list;
  std::error_code error;
  int calls = 0;
};

Outcome locate(ServerLocator& loc, const std::string& text, const LocateOptions& opt = {}) {
  msg::Uri uri;
  EXPECT_TRUE(msg::parse_uri(text, uri)) << text;
  Outcome o;
  auto h = loc.locate(uri, opt, [&](base::Result<TargetList> r) {
    ++o.calls;
    if (r) o.list = std::move(*r);
    else o.error = r.error();
  });
  return o;
}

// The RFC 3263 §4.1 zone for example.com: three NAPTRs, one SRV per service, addresses.
void rfc3263_zone(FakeDns& dns) {
  dns.naptr("example.com", {{50, 50, "s", "SIPS+D2T", "", "_sips._tcp.example.com", 300},
                            {90, 50, "s", "SIP+D2T", "", "_sip._tcp.example.com", 300},
                            {100, 50, "s", "SIP+D2U", "", "_sip._udp.example.com", 300}});
  dns.srv("_sips._tcp.example.com", {{0, 0, 5061, "server1.example.com", 300}});
  dns.srv("_sip._tcp.example.com", {{0, 0, 5060, "server2.example.com", 300}});
  dns.srv("_sip._udp.example.com", {{0, 0, 5060, "server3.example.com", 300}});
  dns.host("server1.example.com", {"192.0.2.1"});
  dns.host("server2.example.com", {"192.0.2.2"});
  dns.host("server3.example.com", {"192.0.2.3", "2001:db8::3"});
  dns.host("example.com", {"192.0.2.100"});
}

struct Case {
  const char* name;
  const char* uri;
  LocateOptions options;
  std::function<void(FakeDns&)> zone;
  std::vector<std::string> expected;  // empty: an error is expected
  std::error_code error = {};
};

LocateOptions tls_required() {
  LocateOptions o;
  o.require_tls = true;
  return o;
}
LocateOptions no_tls() {
  LocateOptions o;
  o.transports.tls = false;
  return o;
}
LocateOptions v6_first() {
  LocateOptions o;
  o.prefer_ipv6 = true;
  return o;
}
LocateOptions v4_only() {
  LocateOptions o;
  o.use_ipv6 = false;
  return o;
}

TEST(ServerLocator, Table) {
  const std::vector<Case> cases = {
      {"numeric v4: direct, UDP on 5060", "sip:alice@192.0.2.1", {}, rfc3263_zone, {"UDP 192.0.2.1:5060"}},
      {"numeric v6 sips: TLS on 5061", "sips:bob@[2001:db8::1]", {}, rfc3263_zone, {"TLS [2001:db8::1]:5061"}},
      {"numeric with port and transport", "sip:192.0.2.9:5070;transport=tcp", {}, rfc3263_zone,
       {"TCP 192.0.2.9:5070"}},
      {"numeric maddr replaces the host", "sip:alice@example.com;maddr=192.0.2.77", {}, rfc3263_zone,
       {"UDP 192.0.2.77:5060"}},
      {"port given: A/AAAA, no NAPTR", "sip:example.com:5080", {}, rfc3263_zone, {"UDP 192.0.2.100:5080"}},
      {"port given, sips: TLS", "sips:example.com:5081", {}, rfc3263_zone, {"TLS 192.0.2.100:5081"}},
      {"RFC 3263 NAPTR: TLS, TCP, UDP by order", "sip:alice@example.com", {}, rfc3263_zone,
       {"TLS 192.0.2.1:5061", "TCP 192.0.2.2:5060", "UDP 192.0.2.3:5060", "UDP [2001:db8::3]:5060"}},
      {"sips: only SIPS+D2T", "sips:alice@example.com", {}, rfc3263_zone, {"TLS 192.0.2.1:5061"}},
      {"require_tls on sip:", "sip:alice@Example.COM", tls_required(), rfc3263_zone, {"TLS 192.0.2.1:5061"}},
      {"no TLS offered: TCP, UDP", "sip:alice@example.com", no_tls(), rfc3263_zone,
       {"TCP 192.0.2.2:5060", "UDP 192.0.2.3:5060", "UDP [2001:db8::3]:5060"}},
      {"prefer IPv6", "sip:alice@example.com", v6_first(), rfc3263_zone,
       {"TLS 192.0.2.1:5061", "TCP 192.0.2.2:5060", "UDP [2001:db8::3]:5060", "UDP 192.0.2.3:5060"}},
      {"IPv4 only", "sip:alice@example.com", v4_only(), rfc3263_zone,
       {"TLS 192.0.2.1:5061", "TCP 192.0.2.2:5060", "UDP 192.0.2.3:5060"}},
      {"transport=tcp: SRV _sip._tcp only", "sip:alice@example.com;transport=tcp", {}, rfc3263_zone,
       {"TCP 192.0.2.2:5060"}},
      {"sips: with transport=tcp means TLS", "sips:alice@example.com;transport=tcp", {}, rfc3263_zone,
       {"TLS 192.0.2.1:5061"}},
      {"no NAPTR: SRV _sips._tcp, _sip._tcp, _sip._udp", "sip:bob@srv.test", {},
       [](FakeDns& d) {
         d.srv("_sip._udp.srv.test", {{0, 0, 5060, "u.srv.test", 60}});
         d.srv("_sips._tcp.srv.test", {{0, 0, 5061, "s.srv.test", 60}});
         d.srv("_sip._tcp.srv.test", {{0, 0, 5062, "t.srv.test", 60}});
         d.host("u.srv.test", {"198.51.100.1"});
         d.host("s.srv.test", {"198.51.100.2"});
         d.host("t.srv.test", {"198.51.100.3"});
       },
       {"TLS 198.51.100.2:5061", "TCP 198.51.100.3:5062", "UDP 198.51.100.1:5060"}},
      {"no NAPTR, no SRV: A on 5060 UDP", "sip:bob@plain.test", {},
       [](FakeDns& d) { d.host("plain.test", {"203.0.113.5", "2001:db8::5"}); },
       {"UDP 203.0.113.5:5060", "UDP [2001:db8::5]:5060"}},
      {"no NAPTR, no SRV, sips: A on 5061 TLS", "sips:bob@plain.test", {},
       [](FakeDns& d) { d.host("plain.test", {"203.0.113.5"}); }, {"TLS 203.0.113.5:5061"}},
      {"no NAPTR, no SRV, UDP not offered: TCP", "sip:bob@plain.test", LocateOptions{{false, true, true}},
       [](FakeDns& d) { d.host("plain.test", {"203.0.113.5"}); }, {"TCP 203.0.113.5:5060"}},
      {"sips: never UDP even if only UDP is published", "sips:bob@udponly.test", {},
       [](FakeDns& d) {
         d.naptr("udponly.test", {{10, 10, "s", "SIP+D2U", "", "_sip._udp.udponly.test", 60}});
         d.srv("_sip._udp.udponly.test", {{0, 0, 5060, "u.udponly.test", 60}});
         d.host("u.udponly.test", {"192.0.2.50"});
         d.host("udponly.test", {"192.0.2.51"});
       },
       {"TLS 192.0.2.51:5061"}},
      {"sips: with transport=udp refused", "sips:bob@example.com;transport=udp", {}, rfc3263_zone, {},
       ResolveErrc::TransportRefused},
      {"unknown transport refused", "sip:bob@example.com;transport=sctp", {}, rfc3263_zone, {},
       ResolveErrc::TransportRefused},
      {"transport we do not offer refused", "sip:bob@example.com;transport=tls", no_tls(), rfc3263_zone, {},
       ResolveErrc::TransportRefused},
      {"tel: is not located", "tel:+15551234567", {}, rfc3263_zone, {}, ResolveErrc::NotSipUri},
      {"nothing in DNS", "sip:bob@nowhere.test", {}, [](FakeDns&) {}, {}, ResolveErrc::NoTargets},
      {"SRV '.' means no SIP service here", "sip:bob@dot.test", {},
       [](FakeDns& d) {
         d.srv("_sip._udp.dot.test", {{0, 0, 0, "", 60}});
         d.host("dot.test", {"192.0.2.60"});
       },
       {}, ResolveErrc::NoTargets},
      {"SRV priority beats weight", "sip:bob@prio.test", {},
       [](FakeDns& d) {
         d.srv("_sip._udp.prio.test", {{20, 65535, 5060, "b.prio.test", 60}, {10, 0, 5070, "a.prio.test", 60}});
         d.host("a.prio.test", {"192.0.2.70"});
         d.host("b.prio.test", {"192.0.2.71"});
       },
       {"UDP 192.0.2.70:5070", "UDP 192.0.2.71:5060"}},
      {"NAPTR query fails (SERVFAIL): SRV fallback", "sip:bob@sf.test", {},
       [](FakeDns& d) {
         d.fail("sf.test", DnsType::NAPTR, DnsErrc::ServerFailure);
         d.srv("_sip._tcp.sf.test", {{0, 0, 5060, "t.sf.test", 60}});
         d.host("t.sf.test", {"192.0.2.80"});
       },
       {"TCP 192.0.2.80:5060"}},
      {"one SRV query times out, the others count", "sip:bob@to.test", {},
       [](FakeDns& d) {
         d.fail("_sips._tcp.to.test", DnsType::SRV, DnsErrc::Timeout);
         d.srv("_sip._udp.to.test", {{0, 0, 5060, "u.to.test", 60}});
         d.host("u.to.test", {"192.0.2.81"});
       },
       {"UDP 192.0.2.81:5060"}},
      {"non-terminal NAPTR followed", "sip:bob@alias.test", {},
       [](FakeDns& d) {
         d.naptr("alias.test", {{10, 10, "", "", "", "real.test", 60}});
         d.naptr("real.test", {{10, 10, "s", "SIP+D2T", "", "_sip._tcp.real.test", 60}});
         d.srv("_sip._tcp.real.test", {{0, 0, 5060, "t.real.test", 60}});
         d.host("t.real.test", {"192.0.2.90"});
       },
       {"TCP 192.0.2.90:5060"}},
      {"same address from two SRV names listed once", "sip:bob@dup.test", {},
       [](FakeDns& d) {
         d.srv("_sip._udp.dup.test", {{0, 0, 5060, "a.dup.test", 60}, {1, 0, 5060, "b.dup.test", 60}});
         d.host("a.dup.test", {"192.0.2.95"});
         d.host("b.dup.test", {"192.0.2.95"});
       },
       {"UDP 192.0.2.95:5060"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    FakeDns dns;
    c.zone(dns);
    SeededRandom rng(1);
    ServerLocator loc(dns, rng);
    auto o = locate(loc, c.uri, c.options);
    EXPECT_EQ(o.calls, 1);
    if (c.expected.empty()) {
      EXPECT_FALSE(o.list);
      EXPECT_EQ(o.error, c.error);
    } else {
      ASSERT_TRUE(o.list) << o.error.message();
      EXPECT_EQ(describe(*o.list), c.expected);
    }
  }
}

TEST(ServerLocator, NumericHostAsksNoDns) {
  FakeDns dns;
  SeededRandom rng(1);
  ServerLocator loc(dns, rng);
  auto o = locate(loc, "sips:[2001:db8::1]:5071");
  ASSERT_TRUE(o.list);
  EXPECT_TRUE(dns.log.empty());
  EXPECT_EQ(loc.queries_issued(), 0u);
}

TEST(ServerLocator, PortGivenSkipsNaptrAndSrv) {
  FakeDns dns;
  rfc3263_zone(dns);
  SeededRandom rng(1);
  ServerLocator loc(dns, rng);
  auto o = locate(loc, "sip:example.com:5080");
  ASSERT_TRUE(o.list);
  EXPECT_EQ(dns.count(DnsType::NAPTR), 0u);
  EXPECT_EQ(dns.count(DnsType::SRV), 0u);
  EXPECT_EQ(dns.count("example.com", DnsType::A), 1u);
  EXPECT_EQ(dns.count("example.com", DnsType::AAAA), 1u);
}

TEST(ServerLocator, SipsAsksOnlyForTlsRecords) {
  FakeDns dns;  // empty zone: every fallback is taken
  dns.host("plain.test", {"192.0.2.1"});
  SeededRandom rng(1);
  ServerLocator loc(dns, rng);
  auto o = locate(loc, "sips:plain.test");
  ASSERT_TRUE(o.list);
  EXPECT_EQ(dns.count("_sips._tcp.plain.test", DnsType::SRV), 1u);
  EXPECT_EQ(dns.count("_sip._tcp.plain.test", DnsType::SRV), 0u);
  EXPECT_EQ(dns.count("_sip._udp.plain.test", DnsType::SRV), 0u);
  for (const auto& t : o.list->targets()) EXPECT_EQ(t.transport, TransportKind::Tls);
}

TEST(ServerLocator, FailoverWalksTheListOnce) {
  FakeDns dns;
  rfc3263_zone(dns);
  SeededRandom rng(1);
  ServerLocator loc(dns, rng);
  auto o = locate(loc, "sip:alice@example.com");
  ASSERT_TRUE(o.list);
  TargetList& l = *o.list;
  ASSERT_EQ(l.size(), 4u);
  EXPECT_TRUE(TargetList::is_failover_status(503));
  EXPECT_FALSE(TargetList::is_failover_status(500));
  EXPECT_FALSE(TargetList::is_failover_status(486));
  ASSERT_NE(l.current(), nullptr);
  EXPECT_EQ(l.current()->endpoint.to_string(), "192.0.2.1:5061");
  EXPECT_EQ(l.current()->host, "server1.example.com");
  EXPECT_EQ(l.fail_over()->endpoint.to_string(), "192.0.2.2:5060");   // after a timeout
  EXPECT_EQ(l.fail_over()->endpoint.to_string(), "192.0.2.3:5060");   // after a 503
  EXPECT_EQ(l.fail_over()->endpoint.to_string(), "[2001:db8::3]:5060");
  EXPECT_EQ(l.remaining(), 1u);
  EXPECT_EQ(l.fail_over(), nullptr);
  EXPECT_EQ(l.fail_over(), nullptr);
  EXPECT_EQ(l.remaining(), 0u);
}

TEST(ServerLocator, WeightedSrvOrderFollowsTheSeed) {
  // Two equal-priority servers, weights 1 and 3: over many lookups the heavy one leads ~3/5
  // of the time (draw in [0, 4]: light first iff the draw is 0 or 1).
  FakeDns dns;
  dns.srv("_sip._udp.w.test", {{0, 1, 5060, "light.w.test", 60}, {0, 3, 5060, "heavy.w.test", 60}});
  dns.host("light.w.test", {"192.0.2.1"});
  dns.host("heavy.w.test", {"192.0.2.2"});
  SeededRandom rng(42);
  ServerLocator loc(dns, rng);
  int heavy_first = 0;
  constexpr int kRuns = 4000;
  for (int i = 0; i < kRuns; ++i) {
    auto o = locate(loc, "sip:w.test");
    ASSERT_TRUE(o.list);
    ASSERT_EQ(o.list->size(), 2u);
    heavy_first += o.list->current()->host == "heavy.w.test";
  }
  EXPECT_NEAR(heavy_first / double(kRuns), 3.0 / 5, 0.03);
}

TEST(ServerLocator, LoopingNaptrStopsAndFallsBack) {
  FakeDns dns;
  dns.naptr("loop.test", {{10, 10, "", "", "", "other.test", 60}});
  dns.naptr("other.test", {{10, 10, "", "", "", "LOOP.test.", 60}});
  dns.host("loop.test", {"192.0.2.5"});
  SeededRandom rng(1);
  ServerLocator loc(dns, rng);
  auto o = locate(loc, "sip:loop.test");
  ASSERT_TRUE(o.list);
  EXPECT_EQ(describe(*o.list), std::vector<std::string>{"UDP 192.0.2.5:5060"});
  EXPECT_EQ(dns.count("loop.test", DnsType::NAPTR), 1u);
  EXPECT_EQ(dns.count("other.test", DnsType::NAPTR), 1u);
}

TEST(ServerLocator, NaptrRewriteDepthIsBounded) {
  FakeDns dns;
  for (int i = 0; i < 10; ++i)
    dns.naptr("n" + std::to_string(i) + ".test", {{1, 1, "", "", "", "n" + std::to_string(i + 1) + ".test", 60}});
  SeededRandom rng(1);
  ResolveLimits lim;
  lim.max_naptr_depth = 3;
  ServerLocator loc(dns, rng, lim);
  auto o = locate(loc, "sip:n0.test");
  EXPECT_FALSE(o.list);
  EXPECT_EQ(o.error, ResolveErrc::NoTargets);
  EXPECT_EQ(dns.count(DnsType::NAPTR), 4u);  // n0 and three rewrites
}

TEST(ServerLocator, HugeAnswersAreCut) {
  FakeDns dns;
  std::vector<DnsSrv> many;
  for (int i = 0; i < 1000; ++i)
    many.push_back({0, 1, 5060, "h" + std::to_string(i) + ".big.test", 60});
  dns.srv("_sip._udp.big.test", many);
  std::vector<std::string> addrs;
  for (int i = 0; i < 200; ++i) addrs.push_back("10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250));
  for (int i = 0; i < 1000; ++i) dns.host("h" + std::to_string(i) + ".big.test", addrs);
  SeededRandom rng(1);
  ResolveLimits lim;
  ServerLocator loc(dns, rng, lim);
  auto o = locate(loc, "sip:big.test");
  ASSERT_TRUE(o.list);
  EXPECT_LE(o.list->size(), lim.max_targets);
  EXPECT_LE(loc.queries_issued(), lim.max_queries);
  EXPECT_LE(dns.log.size(), lim.max_queries);
  // At most max_records_per_answer SRV targets were looked up.
  std::size_t a_queries = dns.count(DnsType::A);
  EXPECT_LE(a_queries, lim.max_records_per_answer);
}

TEST(ServerLocator, QueryBudgetIsHonoured) {
  FakeDns dns;
  rfc3263_zone(dns);
  SeededRandom rng(1);
  ResolveLimits lim;
  lim.max_queries = 4;  // NAPTR + 3 SRV: nothing left for addresses
  ServerLocator loc(dns, rng, lim);
  auto o = locate(loc, "sip:example.com");
  EXPECT_FALSE(o.list);
  EXPECT_EQ(o.error, ResolveErrc::NoTargets);
  EXPECT_EQ(dns.log.size(), 4u);
}

TEST(ServerLocator, BadNamesInAnswersAreNotQueried) {
  FakeDns dns;
  dns.naptr("bad.test", {{1, 1, "s", "SIP+D2U", "", std::string(260, 'x'), 60},
                         {2, 1, "s", "SIP+D2U", "", "a..b", 60}});
  dns.srv("_sip._udp.bad.test", {{0, 0, 5060, std::string(70, 'y') + ".test", 60},  // 70-octet label
                                 {0, 0, 5060, "ok.bad.test", 60}});
  dns.host("ok.bad.test", {"192.0.2.8"});
  // An A answer that carries an IPv6 address is ignored, not used.
  runtime::DnsAnswer wrong;
  wrong.addresses.push_back({*runtime::Endpoint::from_address("2001:db8::66", 0), 60});
  dns.table.insert_or_assign({"ok.bad.test", DnsType::A}, wrong);
  SeededRandom rng(1);
  ServerLocator loc(dns, rng);
  auto o = locate(loc, "sip:bad.test", v4_only());
  EXPECT_FALSE(o.list);
  EXPECT_EQ(o.error, ResolveErrc::NoTargets);
  for (const auto& [name, type] : dns.log) EXPECT_LE(name.size(), 253u) << name;
  EXPECT_EQ(dns.count("ok.bad.test", DnsType::A), 1u);
}

TEST(ServerLocator, HostTooLong) {
  FakeDns dns;
  SeededRandom rng(1);
  ResolveLimits lim;
  lim.max_name_bytes = 20;
  ServerLocator loc(dns, rng, lim);
  auto o = locate(loc, "sip:a-rather-long-host-name.example.com");
  EXPECT_EQ(o.error, ResolveErrc::NameTooLong);
  EXPECT_TRUE(dns.log.empty());
}

TEST(ServerLocator, AsynchronousAnswersGiveTheSameList) {
  FakeDns dns;
  rfc3263_zone(dns);
  dns.deferred = true;
  SeededRandom rng(1);
  ServerLocator loc(dns, rng);
  msg::Uri uri;
  const std::string text = "sip:alice@example.com";
  ASSERT_TRUE(msg::parse_uri(text, uri));
  std::optional<TargetList> got;
  int calls = 0;
  auto h = loc.locate(uri, {}, [&](base::Result<TargetList> r) {
    ++calls;
    ASSERT_TRUE(r);
    got = *r;
  });
  EXPECT_EQ(calls, 0);
  dns.run();
  EXPECT_EQ(calls, 1);
  ASSERT_TRUE(got);
  EXPECT_EQ(describe(*got), (std::vector<std::string>{"TLS 192.0.2.1:5061", "TCP 192.0.2.2:5060",
                                                      "UDP 192.0.2.3:5060", "UDP [2001:db8::3]:5060"}));
}

TEST(ServerLocator, DroppedHandleCancels) {
  FakeDns dns;
  rfc3263_zone(dns);
  dns.deferred = true;
  SeededRandom rng(1);
  ServerLocator loc(dns, rng);
  msg::Uri uri;
  const std::string text = "sip:alice@example.com";
  ASSERT_TRUE(msg::parse_uri(text, uri));
  int calls = 0;
  {
    auto h = loc.locate(uri, {}, [&](base::Result<TargetList>) { ++calls; });
  }
  dns.run();
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(dns.log.size(), 1u);  // the NAPTR query went out; nothing followed it

  auto h = loc.locate(uri, {}, [&](base::Result<TargetList>) { ++calls; });
  h.detach();  // runs to the end without an owner
  dns.run();
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace warden::sip::resolve
