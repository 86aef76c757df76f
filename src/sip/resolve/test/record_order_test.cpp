// RFC 3263 §4.1 NAPTR selection and RFC 2782 SRV ordering, without any DNS.

#include <gtest/gtest.h>

#include <map>

#include "sip/resolve/domain_name.hpp"
#include "sip/resolve/record_order.hpp"
#include "sip/resolve/test/fake_dns.hpp"

namespace warden::sip::resolve {
namespace {

using runtime::DnsNaptr;
using runtime::DnsSrv;
using runtime::TransportKind;
using test::SeededRandom;

TEST(DomainName, ValidatesLabelsAndLength) {
  EXPECT_TRUE(is_valid_domain_name("example.com"));
  EXPECT_TRUE(is_valid_domain_name("example.com."));
  EXPECT_TRUE(is_valid_domain_name("_sip._udp.Example.COM"));
  EXPECT_FALSE(is_valid_domain_name(""));
  EXPECT_FALSE(is_valid_domain_name("."));
  EXPECT_FALSE(is_valid_domain_name("a..b"));
  EXPECT_FALSE(is_valid_domain_name(".a"));
  EXPECT_FALSE(is_valid_domain_name("a b.com"));
  EXPECT_FALSE(is_valid_domain_name(std::string("a\0b", 3)));
  EXPECT_TRUE(is_valid_domain_name(std::string(63, 'a') + ".com"));
  EXPECT_FALSE(is_valid_domain_name(std::string(64, 'a') + ".com"));
  std::string long_name;
  while (long_name.size() < 250) long_name += "abcdefghi.";
  long_name += "com";  // 253 octets
  EXPECT_EQ(long_name.size(), 253u);
  EXPECT_TRUE(is_valid_domain_name(long_name));
  EXPECT_FALSE(is_valid_domain_name(long_name + "x"));
  EXPECT_FALSE(is_valid_domain_name("example.com", 10));
  EXPECT_EQ(normalize_domain_name("Server1.Example.COM."), "server1.example.com");
}

TEST(Naptr, ServicesMapToTransports) {
  EXPECT_EQ(transport_of_naptr_service("SIPS+D2T"), TransportKind::Tls);
  EXPECT_EQ(transport_of_naptr_service("sip+d2t"), TransportKind::Tcp);
  EXPECT_EQ(transport_of_naptr_service("SIP+D2U"), TransportKind::Udp);
  EXPECT_FALSE(transport_of_naptr_service("SIP+D2S"));   // SCTP: not ours
  EXPECT_FALSE(transport_of_naptr_service("SIPS+D2W"));  // WebSocket: not ours
  EXPECT_FALSE(transport_of_naptr_service("E2U+sip"));
  EXPECT_EQ(srv_prefix(TransportKind::Tls), "_sips._tcp.");
  EXPECT_EQ(srv_prefix(TransportKind::Tcp), "_sip._tcp.");
  EXPECT_EQ(srv_prefix(TransportKind::Udp), "_sip._udp.");
}

std::vector<DnsNaptr> rfc3263_naptrs() {
  // RFC 3263 §4.1 example, listed out of order.
  return {
      {100, 50, "s", "SIP+D2U", "", "_sip._udp.example.com", 300},
      {50, 50, "s", "SIPS+D2T", "", "_sips._tcp.example.com", 300},
      {90, 50, "s", "SIP+D2T", "", "_sip._tcp.example.com", 300},
  };
}

TEST(Naptr, SortedByOrderThenPreference) {
  auto out = select_naptr(rfc3263_naptrs(), {}, false, 16);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].service, "SIPS+D2T");
  EXPECT_EQ(out[1].service, "SIP+D2T");
  EXPECT_EQ(out[2].service, "SIP+D2U");

  std::vector<DnsNaptr> prefs = {{10, 20, "S", "SIP+D2U", "", "b.example.com", 1},
                                 {10, 10, "S", "SIP+D2T", "", "a.example.com", 1}};
  out = select_naptr(prefs, {}, false, 16);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].replacement, "a.example.com");
}

TEST(Naptr, SipsAndRequiredTlsKeepOnlySipsD2t) {
  auto out = select_naptr(rfc3263_naptrs(), {}, true, 16);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].service, "SIPS+D2T");
}

TEST(Naptr, OnlyTransportsWeOffer) {
  auto out = select_naptr(rfc3263_naptrs(), TransportSet{true, false, false}, false, 16);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].service, "SIP+D2U");
  EXPECT_TRUE(select_naptr(rfc3263_naptrs(), TransportSet{true, true, false}, true, 16).empty());
}

TEST(Naptr, MalformedRecordsIgnored) {
  std::vector<DnsNaptr> bad = {
      {1, 1, "u", "SIP+D2U", "", "a.example.com", 1},                 // wrong flag
      {1, 1, "", "SIP+D2U", "", "a.example.com", 1},                  // non-terminal
      {1, 1, "s", "SIP+D2U", "!^.*$!sip:x@y!", "a.example.com", 1},   // regexp with "s"
      {1, 1, "s", "SIP+D2U", "", "", 1},                              // root replacement
      {1, 1, "s", "SIP+D2U", "", "bad..name", 1},
      {1, 1, "s", "SIP+D2U", "", std::string(300, 'a'), 1},
      {1, 1, "s", "SIP+D2S", "", "a.example.com", 1},
      {2, 1, "S", "SIP+D2T", "", "ok.example.com", 1},
  };
  auto out = select_naptr(bad, {}, false, 16);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].replacement, "ok.example.com");
  // Only the first max_records are examined.
  EXPECT_TRUE(select_naptr(bad, {}, false, 7).empty());
}

TEST(Srv, PriorityFirstWhateverTheWeights) {
  SeededRandom rng(1);
  std::vector<DnsSrv> recs = {{20, 1000, 5060, "backup.example.com", 60},
                              {10, 0, 5060, "primary.example.com", 60},
                              {30, 65535, 5060, "last.example.com", 60}};
  for (int i = 0; i < 50; ++i) {
    auto out = order_srv(recs, rng);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].target, "primary.example.com");
    EXPECT_EQ(out[1].target, "backup.example.com");
    EXPECT_EQ(out[2].target, "last.example.com");
  }
}

TEST(Srv, LoneDotMeansServiceNotOffered) {
  SeededRandom rng(1);
  EXPECT_TRUE(order_srv({{0, 0, 0, "", 60}}, rng).empty());
  EXPECT_TRUE(order_srv({{0, 0, 0, ".", 60}}, rng).empty());
  // Invalid targets are dropped, the others kept.
  auto out = order_srv({{0, 0, 5060, "bad..name", 60}, {0, 0, 5060, "ok.example.com", 60}}, rng);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].target, "ok.example.com");
}

// RFC 2782: a number is drawn in [0, sum]; with weights 10, 20, 70 the first pick is
// record 1 with probability 11/101, record 2 with 20/101, record 3 with 70/101.
TEST(Srv, WeightsGiveTheRfc2782Distribution) {
  SeededRandom rng(20240607);
  const std::vector<DnsSrv> recs = {{0, 10, 5060, "w10.example.com", 60},
                                    {0, 20, 5060, "w20.example.com", 60},
                                    {0, 70, 5060, "w70.example.com", 60}};
  constexpr int kDraws = 20000;
  std::map<std::string, int> first, second;
  for (int i = 0; i < kDraws; ++i) {
    auto out = order_srv(recs, rng);
    ASSERT_EQ(out.size(), 3u);
    first[out[0].target]++;
    if (out[0].target == "w70.example.com") second[out[1].target]++;
  }
  EXPECT_NEAR(first["w10.example.com"] / double(kDraws), 11.0 / 101, 0.015);
  EXPECT_NEAR(first["w20.example.com"] / double(kDraws), 20.0 / 101, 0.015);
  EXPECT_NEAR(first["w70.example.com"] / double(kDraws), 70.0 / 101, 0.015);
  // Once w70 is taken, the draw is in [0, 30]: w10 with 11/31, w20 with 20/31.
  const double n70 = first["w70.example.com"];
  EXPECT_NEAR(second["w10.example.com"] / n70, 11.0 / 31, 0.02);
  EXPECT_NEAR(second["w20.example.com"] / n70, 20.0 / 31, 0.02);
}

TEST(Srv, ZeroWeightHasASmallChance) {
  SeededRandom rng(7);
  const std::vector<DnsSrv> recs = {{0, 99, 5060, "heavy.example.com", 60},
                                    {0, 0, 5060, "zero.example.com", 60}};
  int zero_first = 0;
  constexpr int kDraws = 20000;
  for (int i = 0; i < kDraws; ++i) zero_first += order_srv(recs, rng)[0].target == "zero.example.com";
  EXPECT_NEAR(zero_first / double(kDraws), 1.0 / 100, 0.004);
  EXPECT_GT(zero_first, 0);
  // All weights zero: every order is possible, each record first about half the time.
  const std::vector<DnsSrv> zeros = {{0, 0, 5060, "a.example.com", 60}, {0, 0, 5060, "b.example.com", 60}};
  int a_first = 0;
  for (int i = 0; i < kDraws; ++i) a_first += order_srv(zeros, rng)[0].target == "a.example.com";
  EXPECT_EQ(a_first, kDraws);  // sum 0: the draw is always 0, the first listed wins (RFC 2782)
}

TEST(Srv, SameSeedSameOrder) {
  const std::vector<DnsSrv> recs = {{0, 5, 5060, "a.example.com", 60}, {0, 5, 5060, "b.example.com", 60},
                                    {0, 5, 5060, "c.example.com", 60}};
  SeededRandom r1(99), r2(99);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order_srv(recs, r1)[0].target, order_srv(recs, r2)[0].target);
}

}  // namespace
}  // namespace warden::sip::resolve
