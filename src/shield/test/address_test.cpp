#include <gtest/gtest.h>

#include "shield/address.hpp"
#include "helpers.hpp"

using namespace warden::shield;
using warden::shield::test::ip;

TEST(Address, ParsesAndPrintsBothFamilies) {
  EXPECT_EQ(ip("192.0.2.1").to_string(), "192.0.2.1");
  EXPECT_TRUE(ip("192.0.2.1").is_v4());
  EXPECT_EQ(ip("192.0.2.1").bytes().size(), 4u);
  EXPECT_EQ(ip("2001:db8::1").to_string(), "2001:db8::1");
  EXPECT_FALSE(ip("2001:db8::1").is_v4());
  EXPECT_EQ(ip("2001:DB8:0:0::1"), ip("2001:db8::1"));
  EXPECT_EQ(ip("2001:db8::1").bytes().size(), 16u);
}

TEST(Address, RefusesWhatIsNotAnAddressLiteral) {
  for (const char* bad : {"", "192.0.2", "192.0.2.256", "192.0.2.1:5060", "[2001:db8::1]", "2001:db8::g",
                          "example.test", " 192.0.2.1", "2001:db8:0:0:0:0:0:0:1"}) {
    EXPECT_FALSE(Address::parse(bad).has_value()) << bad;
  }
  EXPECT_FALSE(Address::parse(std::string(60, '1')).has_value());
}

// A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; they must be the same source.
TEST(Address, V4MappedIsTheV4Address) {
  EXPECT_EQ(ip("::ffff:192.0.2.9"), ip("192.0.2.9"));
  EXPECT_TRUE(ip("::ffff:192.0.2.9").is_v4());
  const std::uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 9};
  EXPECT_EQ(*Address::from_bytes(mapped), ip("192.0.2.9"));
  const std::uint8_t v4[4] = {192, 0, 2, 9};
  EXPECT_EQ(*Address::from_bytes(v4), ip("192.0.2.9"));
  const std::uint8_t odd[5] = {1, 2, 3, 4, 5};
  EXPECT_FALSE(Address::from_bytes(odd).has_value());
  // ::ffff:0:a.b.c.d (SIIT) and ::a.b.c.d (deprecated compatible) are IPv6 addresses of their own.
  EXPECT_FALSE(ip("::192.0.2.9").is_v4());
}

TEST(Address, MaskedKeepsTheNetwork) {
  EXPECT_EQ(ip("192.0.2.77").masked(24), ip("192.0.2.0"));
  EXPECT_EQ(ip("192.0.2.77").masked(20), ip("192.0.0.0"));
  EXPECT_EQ(ip("192.0.2.77").masked(27), ip("192.0.2.64"));
  EXPECT_EQ(ip("192.0.2.77").masked(0), ip("0.0.0.0"));
  EXPECT_EQ(ip("192.0.2.77").masked(32), ip("192.0.2.77"));
  EXPECT_EQ(ip("192.0.2.77").masked(99), ip("192.0.2.77"));
  EXPECT_EQ(ip("2001:db8:1:2:3:4:5:6").masked(64), ip("2001:db8:1:2::"));
  EXPECT_EQ(ip("2001:db8:1:2:3:4:5:6").masked(48), ip("2001:db8:1::"));
  EXPECT_EQ(ip("2001:db8:1:2:3:4:5:6").masked(128), ip("2001:db8:1:2:3:4:5:6"));
}

TEST(Network, ParsesAndContains) {
  const auto net = Network::parse("192.0.2.0/24");
  ASSERT_TRUE(net);
  EXPECT_TRUE(net->contains(ip("192.0.2.200")));
  EXPECT_FALSE(net->contains(ip("192.0.3.1")));
  EXPECT_FALSE(net->contains(ip("::ffff:c000:301")));
  EXPECT_TRUE(net->contains(ip("::ffff:192.0.2.1")));
  EXPECT_FALSE(net->contains(ip("2001:db8::1")));
  const auto host = Network::parse("198.51.100.7");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->bits, 32u);
  EXPECT_TRUE(host->contains(ip("198.51.100.7")));
  EXPECT_FALSE(host->contains(ip("198.51.100.8")));
  const auto v6 = Network::parse("2001:db8::/32");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(ip("2001:db8:ffff::1")));
  EXPECT_FALSE(v6->contains(ip("2001:db9::1")));
  const auto host_bits = Network::parse("192.0.2.99/24");  // host bits are cleared
  ASSERT_TRUE(host_bits);
  EXPECT_EQ(host_bits->base, ip("192.0.2.0"));
  for (const char* bad : {"192.0.2.0/33", "2001:db8::/129", "192.0.2.0/", "192.0.2.0/x", "192.0.2.0/24/1", "/24"}) {
    EXPECT_FALSE(Network::parse(bad).has_value()) << bad;
  }
}
