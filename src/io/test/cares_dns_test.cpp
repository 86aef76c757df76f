// io::parse_dns_answer on crafted messages (vectors, every truncation, compression loops), and
// io::CaresDns against a dnsmasq started by the test on 127.0.0.1 and a port it picks,
// with sip::resolve::ServerLocator on top (NAPTR → SRV → A/AAAA from a real server).

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/random.hpp"
#include "io/cares_dns.hpp"
#include "io/dns_wire.hpp"
#include "sip/msg/uri.hpp"
#include "sip/resolve/dns_cache.hpp"
#include "sip/resolve/server_locator.hpp"

extern char** environ;

namespace warden::io {
namespace {

using runtime::DnsAnswer;
using runtime::DnsErrc;
using runtime::DnsType;

// ---- wire decoder ----

struct Msg {
  std::vector<std::uint8_t> b;
  void u8(unsigned v) { b.push_back(static_cast<std::uint8_t>(v)); }
  void u16(unsigned v) { u8(v >> 8); u8(v & 0xFF); }
  void u32(std::uint32_t v) { u16(v >> 16); u16(v & 0xFFFF); }
  void name(const std::string& n) {
    std::size_t s = 0;
    while (s < n.size()) {
      std::size_t e = n.find('.', s);
      if (e == std::string::npos) e = n.size();
      u8(static_cast<unsigned>(e - s));
      for (std::size_t i = s; i < e; ++i) u8(static_cast<unsigned char>(n[i]));
      s = e + 1;
    }
    u8(0);
  }
  void text(const std::string& t) {
    u8(static_cast<unsigned>(t.size()));
    for (char c : t) u8(static_cast<unsigned char>(c));
  }
};

// Header, one question for `qname`, then answers appended by the caller (an = count).
Msg header(const std::string& qname, DnsType t, unsigned an) {
  Msg m;
  m.u16(0x1234); m.u16(0x8180); m.u16(1); m.u16(an); m.u16(0); m.u16(0);
  m.name(qname); m.u16(static_cast<unsigned>(t)); m.u16(1);
  return m;
}

Msg srv_message() {
  Msg m = header("_sip._udp.example.com", DnsType::SRV, 2);
  // Record 1: owner as a pointer to the question name (offset 12), target compressed too.
  m.u16(0xC00C); m.u16(33); m.u16(1); m.u32(3600);
  Msg rd; rd.u16(10); rd.u16(60); rd.u16(5060); rd.name("server1.example.com");
  m.u16(static_cast<unsigned>(rd.b.size())); m.b.insert(m.b.end(), rd.b.begin(), rd.b.end());
  m.u16(0xC00C); m.u16(33); m.u16(1); m.u32(0x80000000u);  // top bit set: TTL 0
  Msg rd2; rd2.u16(20); rd2.u16(0); rd2.u16(5070);
  rd2.u8(7); for (char c : std::string("server2")) rd2.u8(static_cast<unsigned char>(c));
  rd2.u16(0xC000 | 22);  // "example.com" inside the question name (12 + 1+4 + 1+4 = 22)
  m.u16(static_cast<unsigned>(rd2.b.size())); m.b.insert(m.b.end(), rd2.b.begin(), rd2.b.end());
  return m;
}

TEST(DnsWire, SrvWithCompressionAndTtls) {
  const Msg m = srv_message();
  auto r = parse_dns_answer(m.b, DnsType::SRV);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->srv.size(), 2u);
  EXPECT_EQ(r->srv[0].target, "server1.example.com");
  EXPECT_EQ(r->srv[0].priority, 10);
  EXPECT_EQ(r->srv[0].weight, 60);
  EXPECT_EQ(r->srv[0].port, 5060);
  EXPECT_EQ(r->srv[0].ttl, 3600u);
  EXPECT_EQ(r->srv[1].target, "server2.example.com");
  EXPECT_EQ(r->srv[1].ttl, 0u);
}

TEST(DnsWire, NaptrAndAddresses) {
  Msg m = header("example.com", DnsType::NAPTR, 1);
  m.u16(0xC00C); m.u16(35); m.u16(1); m.u32(300);
  Msg rd; rd.u16(50); rd.u16(51); rd.text("s"); rd.text("SIPS+D2T"); rd.text(""); rd.name("_sips._tcp.example.com");
  m.u16(static_cast<unsigned>(rd.b.size())); m.b.insert(m.b.end(), rd.b.begin(), rd.b.end());
  auto r = parse_dns_answer(m.b, DnsType::NAPTR);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->naptr.size(), 1u);
  EXPECT_EQ(r->naptr[0].order, 50);
  EXPECT_EQ(r->naptr[0].preference, 51);
  EXPECT_EQ(r->naptr[0].flags, "s");
  EXPECT_EQ(r->naptr[0].service, "SIPS+D2T");
  EXPECT_EQ(r->naptr[0].replacement, "_sips._tcp.example.com");
  EXPECT_EQ(r->naptr[0].ttl, 300u);

  Msg a = header("h.example.com", DnsType::A, 3);
  a.u16(0xC00C); a.u16(5); a.u16(1); a.u32(60);  // a CNAME first: skipped
  Msg cn; cn.name("x.example.com");
  a.u16(static_cast<unsigned>(cn.b.size())); a.b.insert(a.b.end(), cn.b.begin(), cn.b.end());
  a.u16(0xC00C); a.u16(1); a.u16(1); a.u32(42); a.u16(4); a.u8(192); a.u8(0); a.u8(2); a.u8(7);
  a.u16(0xC00C); a.u16(1); a.u16(1); a.u32(43); a.u16(3); a.u8(1); a.u8(2); a.u8(3);  // bad length: ignored
  auto ra = parse_dns_answer(a.b, DnsType::A);
  ASSERT_TRUE(ra);
  ASSERT_EQ(ra->addresses.size(), 1u);
  EXPECT_EQ(ra->addresses[0].address.address_string(), "192.0.2.7");
  EXPECT_EQ(ra->addresses[0].ttl, 42u);
}

TEST(DnsWire, EveryTruncationFailsCleanly) {
  const Msg m = srv_message();
  for (std::size_t n = 0; n < m.b.size(); ++n) {
    auto r = parse_dns_answer(std::span(m.b.data(), n), DnsType::SRV);
    EXPECT_FALSE(r.ok() && r->srv.size() == 2) << n;
  }
  // And every single-octet mutation is decoded or refused without reading out of bounds.
  for (std::size_t i = 0; i < m.b.size(); ++i) {
    for (unsigned v : {0x00u, 0x3Fu, 0xC0u, 0xFFu}) {
      Msg x = m;
      x.b[i] = static_cast<std::uint8_t>(v);
      (void)parse_dns_answer(x.b, DnsType::SRV);
    }
  }
}

TEST(DnsWire, CompressionLoopsAndBadNames) {
  Msg m = header("loop.test", DnsType::SRV, 1);
  m.u16(0xC00C); m.u16(33); m.u16(1); m.u32(60);
  const std::size_t rd_at = m.b.size() + 2;
  m.u16(8); m.u16(0); m.u16(0); m.u16(5060);
  m.u16(static_cast<unsigned>(0xC000 | (rd_at + 6)));  // a pointer to itself
  EXPECT_EQ(parse_dns_answer(m.b, DnsType::SRV).error(), DnsErrc::Malformed);

  Msg bad = header("bad.test", DnsType::SRV, 1);
  bad.u16(0xC00C); bad.u16(33); bad.u16(1); bad.u32(60);
  Msg rd; rd.u16(0); rd.u16(0); rd.u16(5060); rd.name("a.b");
  rd.b[7] = '.';  // the label "a" becomes "." : a dot inside a label
  bad.u16(static_cast<unsigned>(rd.b.size())); bad.b.insert(bad.b.end(), rd.b.begin(), rd.b.end());
  auto r = parse_dns_answer(bad.b, DnsType::SRV);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->srv.empty());  // the record is skipped, the answer is not an error

  // More records than the limit: the rest are skipped.
  auto many = parse_dns_answer(srv_message().b, DnsType::SRV, 1);
  ASSERT_TRUE(many);
  EXPECT_EQ(many->srv.size(), 1u);
}

// ---- against dnsmasq ----

std::uint16_t free_udp_port() {
  int s = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

class Dnsmasq {
 public:
  explicit Dnsmasq(std::vector<std::string> records) {
    if (::access("/usr/sbin/dnsmasq", X_OK) != 0) return;
    port_ = free_udp_port();
    std::vector<std::string> args = {"/usr/sbin/dnsmasq", "--no-daemon", "--conf-file=/dev/null",
                                     "--port=" + std::to_string(port_), "--listen-address=127.0.0.1",
                                     "--bind-interfaces", "--no-resolv", "--no-hosts", "--user=root",
                                     "--pid-file=", "--local-ttl=77", "--log-facility=/dev/null"};
    for (auto& r : records) args.push_back(r);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
  }
  ~Dnsmasq() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool running() const { return pid_ > 0; }
  std::uint16_t port() const { return port_; }

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

// Runs `fn` on the loop thread and waits for the callback it hands back.
base::Result<DnsAnswer> ask(EventLoop& loop, runtime::DnsResolver& dns, const std::string& name, DnsType t) {
  std::promise<base::Result<DnsAnswer>> p;
  auto f = p.get_future();
  loop.post([&] { dns.query(name, t, [&](base::Result<DnsAnswer> r) { p.set_value(std::move(r)); }); });
  if (f.wait_for(std::chrono::seconds(10)) != std::future_status::ready) return DnsErrc::Timeout;
  return f.get();
}

class SeqRandom final : public base::Random {
 public:
  void fill(std::span<std::byte> out) noexcept override {
    for (auto& b : out) b = static_cast<std::byte>(n_++ * 97 + 13);
  }

 private:
  unsigned n_ = 0;
};

TEST(CaresDns, QueriesDnsmasq) {
  Dnsmasq server({
      "--naptr-record=a.test,10,10,S,SIPS+D2T,,_sips._tcp.a.test",
      "--naptr-record=a.test,20,10,S,SIP+D2U,,_sip._udp.a.test",
      "--srv-host=_sips._tcp.a.test,sip1.a.test,5061,0,10",
      "--srv-host=_sip._udp.a.test,sip2.a.test,5060,0,10",
      "--host-record=sip1.a.test,127.0.0.11",
      "--host-record=sip2.a.test,127.0.0.12,::1",
      "--local=/a.test/",  // answer for a.test alone: NODATA and NXDOMAIN, never forward
  });
  if (!server.running()) GTEST_SKIP() << "dnsmasq not installed (scripts/install-deps.sh)";

  EventLoop loop;
  loop.start();
  std::unique_ptr<CaresDns> dns;
  loop.run_sync([&] {
    CaresDnsOptions o;
    o.servers = {runtime::Endpoint::loopback_v4(server.port())};
    o.timeout = std::chrono::milliseconds(300);
    o.tries = 2;
    auto c = CaresDns::create(loop, o);
    ASSERT_TRUE(c);
    dns = std::move(*c);
  });
  ASSERT_TRUE(dns);

  // dnsmasq needs a moment to bind: retry the first query.
  base::Result<DnsAnswer> a = DnsErrc::Timeout;
  for (int i = 0; i < 50; ++i) {
    a = ask(loop, *dns, "sip1.a.test", DnsType::A);
    if (a) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(a) << a.error().message();
  ASSERT_EQ(a->addresses.size(), 1u);
  EXPECT_EQ(a->addresses[0].address.address_string(), "127.0.0.11");
  EXPECT_EQ(a->addresses[0].ttl, 77u);

  auto n = ask(loop, *dns, "a.test", DnsType::NAPTR);
  ASSERT_TRUE(n) << n.error().message();
  ASSERT_EQ(n->naptr.size(), 2u);

  auto s = ask(loop, *dns, "_sips._tcp.a.test", DnsType::SRV);
  ASSERT_TRUE(s) << s.error().message();
  ASSERT_EQ(s->srv.size(), 1u);
  EXPECT_EQ(s->srv[0].target, "sip1.a.test");
  EXPECT_EQ(s->srv[0].port, 5061);

  auto six = ask(loop, *dns, "sip2.a.test", DnsType::AAAA);
  ASSERT_TRUE(six);
  ASSERT_EQ(six->addresses.size(), 1u);
  EXPECT_EQ(six->addresses[0].address.address_string(), "::1");

  auto nodata = ask(loop, *dns, "sip1.a.test", DnsType::AAAA);
  ASSERT_TRUE(nodata) << nodata.error().message();
  EXPECT_TRUE(nodata->empty());

  auto nx = ask(loop, *dns, "nothing.a.test", DnsType::A);
  EXPECT_EQ(nx.error(), DnsErrc::NameNotFound);

  // The whole RFC 3263 walk over the real server, through the cache.
  base::SystemClock clock;
  SeqRandom rng;
  std::optional<sip::resolve::TargetList> list;
  std::promise<void> done;
  std::unique_ptr<sip::resolve::DnsCache> cache;
  std::unique_ptr<sip::resolve::ServerLocator> locator;
  std::optional<sip::resolve::LocateHandle> handle;
  const std::string text = "sip:bob@a.test";
  loop.post([&] {
    cache = std::make_unique<sip::resolve::DnsCache>(*dns, clock);
    locator = std::make_unique<sip::resolve::ServerLocator>(*cache, rng);
    sip::msg::Uri uri;
    ASSERT_TRUE(sip::msg::parse_uri(text, uri));
    handle.emplace(locator->locate(uri, {}, [&](base::Result<sip::resolve::TargetList> r) {
      if (r) list = *r;
      done.set_value();
    }));
  });
  ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  ASSERT_TRUE(list);
  std::vector<std::string> got;
  for (const auto& t : list->targets())
    got.push_back(std::string(runtime::to_string(t.transport)) + " " + t.endpoint.to_string());
  EXPECT_EQ(got, (std::vector<std::string>{"TLS 127.0.0.11:5061", "UDP 127.0.0.12:5060", "UDP [::1]:5060"}));

  loop.run_sync([&] {
    handle.reset();
    locator.reset();
    cache.reset();
    dns.reset();
  });
  loop.stop();
}

TEST(CaresDns, DeadServerTimesOutAndDestructionCancels) {
  EventLoop loop;
  loop.start();
  std::unique_ptr<CaresDns> dns;
  const std::uint16_t port = free_udp_port();  // nobody listens there
  loop.run_sync([&] {
    CaresDnsOptions o;
    o.servers = {runtime::Endpoint::loopback_v4(port)};
    o.timeout = std::chrono::milliseconds(100);
    o.tries = 1;
    dns = CaresDns::create(loop, o).value();
  });
  auto r = ask(loop, *dns, "x.test", DnsType::A);
  EXPECT_FALSE(r);  // refused (ICMP) or timed out, never an answer

  // A query in flight when the resolver is destroyed is answered Cancelled, once.
  int calls = 0;
  std::error_code why;
  loop.run_sync([&] {
    CaresDnsOptions o;
    o.servers = {runtime::Endpoint::loopback_v4(free_udp_port())};  // destroyed before any reply
    o.timeout = std::chrono::milliseconds(5000);
    auto other = CaresDns::create(loop, o).value();
    other->query("y.test", DnsType::A, [&](base::Result<DnsAnswer> a) {
      ++calls;
      why = a.error();
    });
    other.reset();
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(why, DnsErrc::Cancelled);
  loop.run_sync([&] { dns.reset(); });
  loop.stop();
}

}  // namespace
}  // namespace warden::io
