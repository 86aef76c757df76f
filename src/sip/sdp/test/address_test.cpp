#include <gtest/gtest.h>

#include "sip/sdp/address.hpp"

using namespace warden::sip::sdp;

TEST(Address, Ipv4) {
  EXPECT_TRUE(is_ipv4_address("192.0.2.1"));
  EXPECT_TRUE(is_ipv4_address("0.0.0.0"));
  EXPECT_TRUE(is_ipv4_address("255.255.255.255"));
  EXPECT_FALSE(is_ipv4_address("256.0.0.1"));
  EXPECT_FALSE(is_ipv4_address("01.2.3.4"));
  EXPECT_FALSE(is_ipv4_address("1.2.3"));
  EXPECT_FALSE(is_ipv4_address("1.2.3.4."));
  EXPECT_FALSE(is_ipv4_address("1.2.3.4.5"));
  EXPECT_FALSE(is_ipv4_address("1..3.4"));
  EXPECT_FALSE(is_ipv4_address(""));
  EXPECT_FALSE(is_ipv4_address("1234.1.1.1"));
}

TEST(Address, Ipv6) {
  for (const char* good : {"::", "::1", "2001:db8::20", "2001:db8::1", "::ffff:192.0.2.1",
                           "2001:2345:6789:ABCD:EF01:2345:6789:ABCD", "1:2:3:4:5:6:7::", "ff15::101",
                           "1:2:3:4:5:6:1.2.3.4", "fe80::", "2001:db8:a0b:12f0::1"}) {
    EXPECT_TRUE(is_ipv6_address(good)) << good;
  }
  for (const char* bad : {"", ":", ":1", "1:", "1:::2", "1::2::3", "1:2:3:4:5:6:7:8:9",
                          "1::2:3:4:5:6:7:8", "12345::", "[2001:db8::1]", "2001:db8::1%eth0",
                          "::ffff:192.0.2", "::1.2.3.4.5", "g::1", "1:2:3:4:5:6:7", "1.2.3.4",
                          "2001:db8:::192.0.2.1"}) {
    EXPECT_FALSE(is_ipv6_address(bad)) << bad;
  }
}

TEST(Address, FqdnAndUnicast) {
  EXPECT_TRUE(is_fqdn("host.example.com"));
  EXPECT_TRUE(is_fqdn("a-b.local"));
  EXPECT_FALSE(is_fqdn("1.2.3"));  // numbers and dots only: an invalid IPv4 address
  EXPECT_FALSE(is_fqdn("bad_host"));
  EXPECT_FALSE(is_fqdn(""));
  EXPECT_TRUE(is_unicast_address(AddrType::Ip4, "198.51.100.1"));
  EXPECT_TRUE(is_unicast_address(AddrType::Ip4, "host.atlanta.example.com"));
  EXPECT_FALSE(is_unicast_address(AddrType::Ip4, "2001:db8::1"));
  EXPECT_TRUE(is_unicast_address(AddrType::Ip6, "2001:db8::1"));
  EXPECT_FALSE(is_unicast_address(AddrType::Ip6, "999.1.1.1"));
  EXPECT_TRUE(is_unicast_address(AddrType::Other, "anything@goes"));
  EXPECT_FALSE(is_unicast_address(AddrType::Other, "with space"));
}

TEST(Address, Multicast) {
  EXPECT_TRUE(is_multicast(AddrType::Ip4, "224.2.17.12"));
  EXPECT_TRUE(is_multicast(AddrType::Ip4, "239.255.255.255"));
  EXPECT_FALSE(is_multicast(AddrType::Ip4, "192.0.2.1"));
  EXPECT_FALSE(is_multicast(AddrType::Ip4, "240.0.0.1"));
  EXPECT_TRUE(is_multicast(AddrType::Ip6, "ff15::101"));
  EXPECT_TRUE(is_multicast(AddrType::Ip6, "FF02::1"));
  EXPECT_FALSE(is_multicast(AddrType::Ip6, "ff::1"));
  EXPECT_FALSE(is_multicast(AddrType::Ip6, "2001:db8::1"));
}

TEST(Address, TypeNames) {
  EXPECT_EQ(addr_type_from_text("IP4"), AddrType::Ip4);
  EXPECT_EQ(addr_type_from_text("IP6"), AddrType::Ip6);
  EXPECT_EQ(addr_type_from_text("ip4"), AddrType::Other);
  EXPECT_EQ(net_type_from_text("IN"), NetType::In);
  EXPECT_EQ(net_type_from_text("ATM"), NetType::Other);
  EXPECT_EQ(to_string(AddrType::Ip6), "IP6");
}
