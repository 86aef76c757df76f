#include <gtest/gtest.h>

#include <unordered_set>

#include "runtime/endpoint.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/transport.hpp"

namespace warden::runtime {
namespace {

TEST(Endpoint, ParsesAndPrintsV4) {
  auto e = Endpoint::parse("192.0.2.1:5060");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->is_v4());
  EXPECT_EQ(e->port(), 5060);
  EXPECT_EQ(e->address_string(), "192.0.2.1");
  EXPECT_EQ(e->to_string(), "192.0.2.1:5060");
  EXPECT_EQ(*e, Endpoint::v4({192, 0, 2, 1}, 5060));
}

// Every octet value prints as inet_ntop would (no leading zeros).
TEST(Endpoint, PrintsEveryIpv4OctetLikeInetNtop) {
  for (unsigned v = 0; v < 256; ++v) {
    const auto o = static_cast<std::uint8_t>(v);
    const std::string d = std::to_string(v);
    EXPECT_EQ(Endpoint::v4({o, 0, 255, o}, 1).address_string(), d + ".0.255." + d);
  }
  EXPECT_EQ(Endpoint::v4({255, 255, 255, 255}, 1).to_string(), "255.255.255.255:1");
}

TEST(Endpoint, ParsesAndPrintsV6) {
  auto e = Endpoint::parse("[2001:db8::1]:5061");
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->is_v4());
  EXPECT_EQ(e->port(), 5061);
  EXPECT_EQ(e->address_string(), "2001:db8::1");
  EXPECT_EQ(e->to_string(), "[2001:db8::1]:5061");
  auto bare = Endpoint::parse("::1");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->port(), 0);
  EXPECT_EQ(bare->to_string(), "[::1]:0");
}

TEST(Endpoint, RefusesJunk) {
  for (const char* text : {"", "1.2.3", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:5x", "[::1", "[::1]x",
                           "[1.2.3.4]:5", "host.example:5060", "1.2.3.4:-1", "[::1]:"}) {
    EXPECT_FALSE(Endpoint::parse(text).ok()) << text;
  }
}

TEST(Endpoint, HashesAndCompares) {
  std::unordered_set<Endpoint, EndpointHash> set;
  set.insert(Endpoint::loopback_v4(1));
  set.insert(Endpoint::loopback_v4(2));
  set.insert(Endpoint::loopback_v4(1));
  EXPECT_EQ(set.size(), 2u);
  EXPECT_TRUE(Endpoint::loopback_v4(1).same_address(Endpoint::loopback_v4(2)));
  EXPECT_EQ(AddressHash{}(Endpoint::loopback_v4(1)), AddressHash{}(Endpoint::loopback_v4(2)));
}

TEST(TransportErrc, HasCategoryAndText) {
  std::error_code ec = TransportErrc::IncompleteMessageTimeout;
  EXPECT_STREQ(ec.category().name(), "runtime.transport");
  EXPECT_EQ(ec.message(), "incomplete message timeout");
  EXPECT_EQ(to_string(TransportKind::Tls), "TLS");
}

struct CountingControl : TimerControl {
  int* cancels;
  explicit CountingControl(int* c) : cancels(c) {}
  void cancel() noexcept override { ++*cancels; }
};

TEST(TimerHandle, CancelsOnDestructionNotAfterDetach) {
  int cancels = 0;
  { TimerHandle h(std::make_shared<CountingControl>(&cancels)); }
  EXPECT_EQ(cancels, 1);
  {
    TimerHandle h(std::make_shared<CountingControl>(&cancels));
    h.detach();
  }
  EXPECT_EQ(cancels, 1);
  TimerHandle a(std::make_shared<CountingControl>(&cancels));
  a = TimerHandle(std::make_shared<CountingControl>(&cancels));  // the old one is cancelled
  EXPECT_EQ(cancels, 2);
}

}  // namespace
}  // namespace warden::runtime
