// io::UdpMediaRelay on loopback: plain UDP sockets play the caller, the callee and a stranger,
// and exchange datagrams through relay sessions.
#include "io/udp_media_relay.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/error.hpp"

namespace warden::io {
namespace {

using namespace std::chrono_literals;
using runtime::Endpoint;
using runtime::MediaRelayErrc;
using runtime::RelayAllocation;
using runtime::RelaySessionId;
using runtime::RelaySide;

// A blocking IPv4 UDP socket on 127.0.0.1 (port 0: any) for the test thread.
class Peer {
 public:
  explicit Peer(std::uint16_t port = 0) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    local_ = Endpoint::loopback_v4(ntohs(a.sin_port));
  }
  ~Peer() { ::close(fd_); }
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  bool bound() const { return bound_; }
  const Endpoint& local() const { return local_; }

  void send(const Endpoint& to, const std::string& bytes) const {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    std::memcpy(&a.sin_addr, to.address_bytes().data(), 4);
    a.sin_port = htons(to.port());
    ASSERT_EQ(::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a),
              static_cast<ssize_t>(bytes.size()));
  }

  struct Datagram {
    Endpoint from;
    std::string bytes;
  };
  // The next datagram within `timeout`, or nullopt.
  std::optional<Datagram> receive(std::chrono::milliseconds timeout = 2000ms) const {
    timeval tv{};
    tv.tv_sec = timeout.count() / 1000;
    tv.tv_usec = (timeout.count() % 1000) * 1000;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::vector<char> buf(70000);
    sockaddr_in a{};
    socklen_t len = sizeof a;
    const ssize_t n = ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&a), &len);
    if (n < 0) return std::nullopt;
    std::array<std::uint8_t, 4> addr{};
    std::memcpy(addr.data(), &a.sin_addr, 4);
    return Datagram{Endpoint::v4(addr, ntohs(a.sin_port)), std::string(buf.data(), static_cast<std::size_t>(n))};
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
  Endpoint local_;
};

// Records the sessions the relay closed on its own; the test thread waits on it.
class Sink final : public runtime::MediaRelaySink {
 public:
  void on_session_closed(RelaySessionId id, std::error_code why) override {
    std::lock_guard lock(mu_);
    closed_.emplace_back(id, why);
    cv_.notify_all();
  }
  bool wait(std::size_t n, std::chrono::milliseconds timeout = 3000ms) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return closed_.size() >= n; });
  }
  std::vector<std::pair<RelaySessionId, std::error_code>> closed() {
    std::lock_guard lock(mu_);
    return closed_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<RelaySessionId, std::error_code>> closed_;
};

// A relay on a started loop; every call goes through the loop thread, as the proxy's would.
struct Fixture {
  explicit Fixture(UdpMediaRelayOptions options = {}) {
    loop.start();
    auto r = UdpMediaRelay::create(loop, options);
    EXPECT_TRUE(r.ok()) << r.error().message();
    if (r) relay = std::move(*r);
    if (relay) loop.run_sync([&] { relay->set_sink(&sink); });
  }
  ~Fixture() {
    relay.reset();
    loop.stop();
  }
  template <class F>
  auto on_loop(F f) {
    std::optional<decltype(f())> out;
    loop.run_sync([&] { out.emplace(f()); });
    return std::move(*out);
  }
  base::Result<RelayAllocation> open(runtime::RelayOpenOptions o = {}) {
    return on_loop([&] { return relay->open(o); });
  }
  base::Result<void> set_peer(RelaySessionId id, RelaySide side, const Endpoint& rtp,
                              std::optional<Endpoint> rtcp = std::nullopt) {
    return on_loop([&] { return relay->set_peer(id, side, rtp, rtcp); });
  }
  base::Result<runtime::RelaySessionStats> stats(RelaySessionId id) {
    return on_loop([&] { return relay->stats(id); });
  }
  std::size_t count() {
    return on_loop([&] { return relay->session_count(); });
  }
  void close(RelaySessionId id) {
    loop.run_sync([&] { relay->close(id); });
  }

  EventLoop loop;
  Sink sink;
  std::unique_ptr<UdpMediaRelay> relay;
};

// Options with a small port range somewhere in 50000-59999 where nothing else is bound: tests
// of several people run on this machine, so the range is picked at random and checked.
UdpMediaRelayOptions small_range(std::uint16_t ports) {
  static std::mt19937 gen{std::random_device{}()};
  UdpMediaRelayOptions o;
  for (int attempt = 0; attempt < 50; ++attempt) {
    const auto base = static_cast<std::uint16_t>(50000 + 2 * std::uniform_int_distribution<int>(0, 4900)(gen));
    bool all_free = true;
    for (std::uint16_t p = base; p < base + ports; ++p) {
      Peer probe(p);
      all_free = all_free && probe.bound();
    }
    if (!all_free) continue;
    o.port_min = base;
    o.port_max = static_cast<std::uint16_t>(base + ports - 1);
    return o;
  }
  ADD_FAILURE() << "no free port range";
  return o;
}

TEST(UdpMediaRelay, RelaysRtpAndRtcpBothWaysUnchanged) {
  Fixture f;
  ASSERT_TRUE(f.relay);
  auto alloc = f.open();
  ASSERT_TRUE(alloc.ok()) << alloc.error().message();
  // Even RTP ports, RTCP just above, inside the default range, on the bind address.
  for (const auto* side : {&alloc->a, &alloc->b}) {
    EXPECT_EQ(side->rtp.port() % 2, 0);
    EXPECT_GE(side->rtp.port(), 40000);
    EXPECT_LE(side->rtp.port(), 49998);
    ASSERT_TRUE(side->rtcp.has_value());
    EXPECT_EQ(side->rtcp->port(), side->rtp.port() + 1);
    EXPECT_EQ(side->rtp.address_string(), "127.0.0.1");
  }
  EXPECT_NE(alloc->a.rtp, alloc->b.rtp);

  Peer caller_rtp, caller_rtcp, callee_rtp, callee_rtcp;
  ASSERT_TRUE(f.set_peer(alloc->id, RelaySide::A, caller_rtp.local(), caller_rtcp.local()).ok());
  ASSERT_TRUE(f.set_peer(alloc->id, RelaySide::B, callee_rtp.local(), callee_rtcp.local()).ok());

  // Every octet value, and a full-MTU packet: nothing is changed on the way.
  std::string payload;
  for (int i = 0; i < 1400; ++i) payload.push_back(static_cast<char>(i & 0xff));

  caller_rtp.send(alloc->a.rtp, payload);
  auto got = callee_rtp.receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->bytes, payload);
  EXPECT_EQ(got->from, alloc->b.rtp);  // the callee sees the relay, never the caller

  callee_rtp.send(alloc->b.rtp, "answer-rtp");
  got = caller_rtp.receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->bytes, "answer-rtp");
  EXPECT_EQ(got->from, alloc->a.rtp);

  caller_rtcp.send(*alloc->a.rtcp, "caller-rtcp");
  got = callee_rtcp.receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->bytes, "caller-rtcp");
  EXPECT_EQ(got->from, *alloc->b.rtcp);

  callee_rtcp.send(*alloc->b.rtcp, "callee-rtcp");
  got = caller_rtcp.receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->bytes, "callee-rtcp");
  EXPECT_EQ(got->from, *alloc->a.rtcp);

  auto st = f.stats(alloc->id);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->a.packets_received, 2u);
  EXPECT_EQ(st->a.bytes_received, payload.size() + std::string("caller-rtcp").size());
  EXPECT_EQ(st->a.packets_sent, 2u);
  EXPECT_EQ(st->b.packets_received, 2u);
  EXPECT_EQ(st->b.packets_sent, 2u);
  EXPECT_EQ(st->b.bytes_sent, payload.size() + std::string("caller-rtcp").size());
  EXPECT_EQ(st->a.latched_rtp, caller_rtp.local());
  EXPECT_EQ(st->a.latched_rtcp, caller_rtcp.local());
  EXPECT_EQ(st->b.latched_rtp, callee_rtp.local());
  EXPECT_EQ(st->a.dropped_foreign + st->b.dropped_foreign + st->a.dropped_no_peer + st->b.dropped_no_peer, 0u);
}

TEST(UdpMediaRelay, RtcpDefaultsToRtpPortPlusOne) {
  Fixture f(small_range(8));
  auto alloc = f.open();
  ASSERT_TRUE(alloc.ok()) << alloc.error().message();
  // A callee whose SDP names port P gets its RTCP on P + 1 (RFC 3550 §11).
  std::unique_ptr<Peer> callee_rtp, callee_rtcp;
  for (int attempt = 0; attempt < 20 && !callee_rtcp; ++attempt) {
    callee_rtp = std::make_unique<Peer>();
    if (callee_rtp->local().port() == 65535) continue;
    callee_rtcp = std::make_unique<Peer>(static_cast<std::uint16_t>(callee_rtp->local().port() + 1));
    if (!callee_rtcp->bound()) callee_rtcp.reset();
  }
  ASSERT_TRUE(callee_rtcp);
  ASSERT_TRUE(f.set_peer(alloc->id, RelaySide::B, callee_rtp->local()).ok());
  Peer caller;
  caller.send(*alloc->a.rtcp, "rtcp");
  auto got = callee_rtcp->receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->bytes, "rtcp");
}

TEST(UdpMediaRelay, LatchesOnTheFirstSourceAndRefusesAThirdSender) {
  Fixture f(small_range(8));
  auto alloc = f.open();
  ASSERT_TRUE(alloc.ok()) << alloc.error().message();
  Peer caller, callee, callee_nat_port, stranger;
  ASSERT_TRUE(f.set_peer(alloc->id, RelaySide::A, caller.local()).ok());
  // The callee's SDP names one port; behind a NAT its media comes from another.
  ASSERT_TRUE(f.set_peer(alloc->id, RelaySide::B, callee.local()).ok());

  // Before side B latches, the caller's media goes to the SDP address.
  caller.send(alloc->a.rtp, "to-sdp-address");
  auto got = callee.receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->bytes, "to-sdp-address");

  // The callee's first datagram comes from the NAT port: side B latches there.
  callee_nat_port.send(alloc->b.rtp, "from-nat");
  got = caller.receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->bytes, "from-nat");
  caller.send(alloc->a.rtp, "to-latched");
  got = callee_nat_port.receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->bytes, "to-latched");
  EXPECT_FALSE(callee.receive(200ms)) << "nothing more to the SDP address after latching";

  // A stranger on either side is dropped, and nothing reaches the parties.
  stranger.send(alloc->b.rtp, "hijack-b");
  stranger.send(alloc->a.rtp, "hijack-a");
  EXPECT_FALSE(caller.receive(300ms));
  EXPECT_FALSE(callee_nat_port.receive(100ms));
  // The parties still talk.
  callee_nat_port.send(alloc->b.rtp, "still-here");
  got = caller.receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->bytes, "still-here");

  auto st = f.stats(alloc->id);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->a.dropped_foreign, 1u);
  EXPECT_EQ(st->b.dropped_foreign, 1u);
  EXPECT_EQ(st->b.latched_rtp, callee_nat_port.local());
  EXPECT_EQ(st->a.latched_rtp, caller.local());

  // A re-INVITE that moves the callee: the latch of side B is forgotten, B latches again.
  Peer callee_moved;
  ASSERT_TRUE(f.set_peer(alloc->id, RelaySide::B, callee_moved.local()).ok());
  caller.send(alloc->a.rtp, "after-move");
  got = callee_moved.receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->bytes, "after-move");
  // The same SDP address again keeps the latch of side A.
  ASSERT_TRUE(f.set_peer(alloc->id, RelaySide::A, caller.local()).ok());
  st = f.stats(alloc->id);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->a.latched_rtp, caller.local());
  EXPECT_FALSE(st->b.latched_rtp.has_value());
}

TEST(UdpMediaRelay, WithoutAPeerDatagramsAreCountedNotSent) {
  Fixture f(small_range(8));
  auto alloc = f.open();
  ASSERT_TRUE(alloc.ok()) << alloc.error().message();
  Peer caller;
  // No SDP for side B yet (the INVITE is still ringing), or an unspecified address (hold).
  caller.send(alloc->a.rtp, "early");
  ASSERT_TRUE(f.set_peer(alloc->id, RelaySide::B, *Endpoint::parse("0.0.0.0:9")).ok());
  caller.send(alloc->a.rtp, "held");
  for (int i = 0; i < 100; ++i) {
    auto st = f.stats(alloc->id);
    ASSERT_TRUE(st.ok());
    if (st->b.dropped_no_peer == 2) break;
    std::this_thread::sleep_for(10ms);
  }
  auto st = f.stats(alloc->id);
  EXPECT_EQ(st->b.dropped_no_peer, 2u);
  EXPECT_EQ(st->a.packets_received, 2u);
  EXPECT_EQ(st->b.packets_sent, 0u);
}

TEST(UdpMediaRelay, OversizedDatagramsAreDroppedNotTruncated) {
  auto o = small_range(8);
  o.max_datagram_bytes = 200;
  Fixture f(o);
  auto alloc = f.open();
  ASSERT_TRUE(alloc.ok());
  Peer caller, callee;
  ASSERT_TRUE(f.set_peer(alloc->id, RelaySide::B, callee.local()).ok());
  caller.send(alloc->a.rtp, std::string(201, 'x'));
  caller.send(alloc->a.rtp, std::string(200, 'y'));
  auto got = callee.receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->bytes, std::string(200, 'y'));
  auto st = f.stats(alloc->id);
  EXPECT_EQ(st->a.dropped_too_large, 1u);
  EXPECT_EQ(st->a.packets_received, 1u);
}

TEST(UdpMediaRelay, RtcpMuxOnlyAllocatesOnePortPerSide) {
  Fixture f(small_range(8));
  auto alloc = f.open(runtime::RelayOpenOptions{.rtcp = false});
  ASSERT_TRUE(alloc.ok());
  EXPECT_FALSE(alloc->a.rtcp.has_value());
  EXPECT_FALSE(alloc->b.rtcp.has_value());
  EXPECT_EQ(alloc->a.rtp.port() % 2, 0);
  Peer caller, callee;
  ASSERT_TRUE(f.set_peer(alloc->id, RelaySide::A, caller.local()).ok());
  ASSERT_TRUE(f.set_peer(alloc->id, RelaySide::B, callee.local()).ok());
  callee.send(alloc->b.rtp, "muxed-rtcp");  // RTCP and RTP share the port (RFC 5761)
  auto got = caller.receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->bytes, "muxed-rtcp");
}

TEST(UdpMediaRelay, IdleSessionIsClosedAndReported) {
  auto o = small_range(8);
  o.idle_timeout = 1000ms;
  Fixture f(o);
  auto alloc = f.open();
  ASSERT_TRUE(alloc.ok());
  Peer caller, callee;
  ASSERT_TRUE(f.set_peer(alloc->id, RelaySide::B, callee.local()).ok());
  // Traffic every 150 ms for 1.5 s keeps it open past the idle timeout.
  auto last = std::chrono::steady_clock::now();
  auto longest_gap = std::chrono::steady_clock::duration::zero();
  int received = 0;
  for (int i = 0; i < 10; ++i) {
    caller.send(alloc->a.rtp, "tick");
    if (callee.receive(500ms)) ++received;
    std::this_thread::sleep_for(150ms);
    const auto now = std::chrono::steady_clock::now();
    longest_gap = std::max(longest_gap, now - last);
    last = now;
  }
  if (longest_gap < 800ms) {  // unless a loaded machine stalled this thread
    EXPECT_EQ(received, 10);
    EXPECT_EQ(f.count(), 1u);
    EXPECT_TRUE(f.sink.closed().empty());
  }
  // Then silence: closed with IdleTimeout.
  ASSERT_TRUE(f.sink.wait(1));
  auto closed = f.sink.closed();
  EXPECT_EQ(closed[0].first, alloc->id);
  EXPECT_EQ(closed[0].second, MediaRelayErrc::IdleTimeout);
  EXPECT_EQ(f.count(), 0u);
  EXPECT_EQ(f.stats(alloc->id).error(), MediaRelayErrc::UnknownSession);
  EXPECT_EQ(f.set_peer(alloc->id, RelaySide::A, caller.local()).error(), MediaRelayErrc::UnknownSession);
  // Its ports are free again, and nothing is relayed any more.
  Peer reuse(alloc->a.rtp.port());
  EXPECT_TRUE(reuse.bound());
}

TEST(UdpMediaRelay, SessionThatNeverCarriesMediaIsClosedAfterTheSetupTimeout) {
  auto o = small_range(8);
  o.setup_timeout = 200ms;
  Fixture f(o);
  auto alloc = f.open();
  ASSERT_TRUE(alloc.ok());
  ASSERT_TRUE(f.sink.wait(1));
  EXPECT_EQ(f.sink.closed()[0].second, MediaRelayErrc::SetupTimeout);
  EXPECT_EQ(f.count(), 0u);
}

TEST(UdpMediaRelay, SessionLimit) {
  auto o = small_range(40);
  o.max_sessions = 2;
  Fixture f(o);
  auto s1 = f.open();
  auto s2 = f.open();
  ASSERT_TRUE(s1.ok() && s2.ok());
  EXPECT_NE(s1->id, s2->id);
  auto s3 = f.open();
  ASSERT_FALSE(s3.ok());
  EXPECT_EQ(s3.error(), MediaRelayErrc::SessionLimit);
  f.close(s1->id);
  auto s4 = f.open();
  ASSERT_TRUE(s4.ok());
  EXPECT_NE(s4->id, s1->id);  // ids are never reused
}

TEST(UdpMediaRelay, ExhaustedPortRangeIsAClearErrorAndCloseFreesThePorts) {
  // Four ports: one session with RTCP (two pairs) and no more.
  Fixture f(small_range(4));
  auto s1 = f.open();
  ASSERT_TRUE(s1.ok()) << s1.error().message();
  auto s2 = f.open();
  ASSERT_FALSE(s2.ok());
  EXPECT_EQ(s2.error(), MediaRelayErrc::PortsExhausted);
  EXPECT_EQ(s2.error().message(), "no free port pair left in the media relay port range");
  EXPECT_EQ(std::string(s2.error().category().name()), "runtime.media_relay");
  EXPECT_EQ(f.count(), 1u);  // the failed open left nothing behind

  f.close(s1->id);
  f.close(s1->id);    // twice: ignored
  f.close(987654);    // unknown: ignored
  EXPECT_EQ(f.count(), 0u);
  auto s3 = f.open();
  ASSERT_TRUE(s3.ok()) << s3.error().message();
  f.close(s3->id);
  // Closed sessions hold no socket: the test can bind every port of the range.
  for (std::uint16_t p : {s3->a.rtp.port(), s3->a.rtcp->port(), s3->b.rtp.port(), s3->b.rtcp->port()}) {
    Peer probe(p);
    EXPECT_TRUE(probe.bound()) << p;
  }
}

TEST(UdpMediaRelay, PortsBoundByOthersAreSkipped) {
  auto o = small_range(8);
  Fixture f(o);
  // Another program holds the first pair: the relay takes the other two.
  Peer squatter(o.port_min);
  ASSERT_TRUE(squatter.bound());
  auto s1 = f.open();
  ASSERT_TRUE(s1.ok()) << s1.error().message();
  for (const auto& e : {s1->a.rtp, s1->b.rtp}) EXPECT_NE(e.port(), o.port_min);
  auto s2 = f.open();
  ASSERT_FALSE(s2.ok());
  EXPECT_EQ(s2.error(), MediaRelayErrc::PortsExhausted);
}

TEST(UdpMediaRelay, RefusesPeersOfTheOtherFamily) {
  Fixture f(small_range(4));
  auto alloc = f.open();
  ASSERT_TRUE(alloc.ok());
  auto v6 = Endpoint::parse("[2001:db8::1]:5004");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(f.set_peer(alloc->id, RelaySide::A, *v6).error(), MediaRelayErrc::AddressFamily);
  EXPECT_EQ(f.set_peer(999, RelaySide::A, Endpoint::loopback_v4(5004)).error(), MediaRelayErrc::UnknownSession);
}

TEST(UdpMediaRelay, CreateChecksItsOptions) {
  EventLoop loop;
  auto bad = [&](UdpMediaRelayOptions o) {
    auto r = UdpMediaRelay::create(loop, o);
    return !r.ok() && r.error() == base::Errc::InvalidArgument;
  };
  UdpMediaRelayOptions o;
  o.port_min = 5000;
  o.port_max = 4000;
  EXPECT_TRUE(bad(o));
  o.port_min = 40001;  // odd, and no even/odd pair above it
  o.port_max = 40002;
  EXPECT_TRUE(bad(o));
  o = {};
  o.max_sessions = 0;
  EXPECT_TRUE(bad(o));
  o = {};
  o.idle_timeout = base::Duration::zero();
  EXPECT_TRUE(bad(o));
  o = {};
  o.bind = *Endpoint::parse("0.0.0.0");
  EXPECT_TRUE(bad(o));  // a wildcard needs an advertised address
  o.advertised = *Endpoint::parse("[2001:db8::1]");
  EXPECT_TRUE(bad(o));  // of the same family
  o.advertised = *Endpoint::parse("192.0.2.7");
  EXPECT_TRUE(UdpMediaRelay::create(loop, o).ok());
}

TEST(UdpMediaRelay, AnnouncesTheAdvertisedAddress) {
  auto o = small_range(4);
  o.advertised = *Endpoint::parse("192.0.2.7");
  Fixture f(o);
  auto alloc = f.open();
  ASSERT_TRUE(alloc.ok());
  EXPECT_EQ(alloc->a.rtp.address_string(), "192.0.2.7");
  EXPECT_EQ(alloc->b.rtcp->address_string(), "192.0.2.7");
}

}  // namespace
}  // namespace warden::io
