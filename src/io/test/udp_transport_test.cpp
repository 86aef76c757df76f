#include "io/udp_transport.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "test_sink.hpp"

namespace warden::io {
namespace {

using runtime::TransportKind;
using test::TestSink;

// Where a raw socket sends to reach `udp` (bound on 127.0.0.1).
sockaddr_in loopback_address_of(const UdpTransport& udp) {
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(udp.local_endpoint().port());
  dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return dst;
}

TEST(UdpTransport, BindsAnEphemeralPort) {
  EventLoop loop;
  TestSink sink;
  auto udp = UdpTransport::open(loop, sink);
  ASSERT_TRUE(udp.ok()) << udp.error().message();
  EXPECT_NE((*udp)->local_endpoint().port(), 0);
  EXPECT_EQ((*udp)->local_endpoint().address_string(), "127.0.0.1");
  EXPECT_EQ((*udp)->kind(), TransportKind::Udp);
}

TEST(UdpTransport, RoundTripWithSymmetricResponse) {
  EventLoop loop;
  loop.start();
  TestSink alice_sink, bob_sink;
  auto alice = UdpTransport::open(loop, alice_sink);
  auto bob = UdpTransport::open(loop, bob_sink);
  ASSERT_TRUE(alice.ok() && bob.ok());
  // Bob answers every request to its source, from the loop thread (the inline send path).
  bob_sink.on_received = [&](const test::Received& r) {
    EXPECT_TRUE(loop.in_loop_thread());
    EXPECT_TRUE((*bob)->send(r.remote, test::ok_response()).ok());
  };

  const std::string request = test::options_request();
  auto sent = (*alice)->send((*bob)->local_endpoint(), request);
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(*sent, runtime::kNoFlow);

  ASSERT_TRUE(bob_sink.wait_messages(1));
  const auto got = bob_sink.messages()[0];
  EXPECT_EQ(got.bytes, request);
  EXPECT_EQ(got.kind, TransportKind::Udp);
  EXPECT_EQ(got.flow, runtime::kNoFlow);
  EXPECT_EQ(got.remote, (*alice)->local_endpoint());  // received / rport
  EXPECT_EQ(got.local, (*bob)->local_endpoint());
  EXPECT_TRUE(got.peer_names.empty());

  ASSERT_TRUE(alice_sink.wait_messages(1));
  const auto answer = alice_sink.messages()[0];
  EXPECT_EQ(answer.bytes, test::ok_response());
  EXPECT_EQ(answer.remote, (*bob)->local_endpoint());  // the response left from the port the request reached
}

TEST(UdpTransport, DropsKeepAlivesAndOversizedSends) {
  EventLoop loop;
  loop.start();
  TestSink a_sink, b_sink;
  auto a = UdpTransport::open(loop, a_sink);
  auto b = UdpTransport::open(loop, b_sink);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->send((*b)->local_endpoint(), "\r\n\r\n").ok());
  ASSERT_TRUE((*a)->send((*b)->local_endpoint(), test::options_request(2)).ok());
  ASSERT_TRUE(b_sink.wait_messages(1));
  EXPECT_EQ(b_sink.messages()[0].bytes, test::options_request(2));

  auto big = (*a)->send((*b)->local_endpoint(), std::string(70000, 'x'));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error(), runtime::TransportErrc::MessageTooLarge);
  EXPECT_EQ((*a)->send(runtime::FlowId{1}, "x").error(), runtime::TransportErrc::NotSupported);
  auto v6 = runtime::Endpoint::parse("[::1]:5060");
  EXPECT_FALSE((*a)->send(*v6, "x").ok());
}

// Datagrams queued before the loop reads (more than one wake-up's budget of 64, from two
// senders): every one arrives once, in order, with its own sender; an oversized one and a
// keep-alive in the middle of the burst are dropped without touching their neighbours.
TEST(UdpTransport, ABurstIsReadWholeInOrderWithEachSender) {
  EventLoop loop;  // not started yet: the burst waits in the socket
  TestSink sink;
  UdpOptions o;
  o.max_datagram_bytes = 1000;
  o.receive_buffer_bytes = 1 << 20;
  auto udp = UdpTransport::open(loop, sink, o);
  ASSERT_TRUE(udp.ok());
  sockaddr_in dst = loopback_address_of(**udp);
  int senders[2];
  runtime::Endpoint sender_ends[2];
  for (int k = 0; k < 2; ++k) {
    senders[k] = ::socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(senders[k], 0);
    sockaddr_in any{};
    any.sin_family = AF_INET;
    any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(senders[k], reinterpret_cast<sockaddr*>(&any), sizeof any), 0);
    socklen_t len = sizeof any;
    ASSERT_EQ(::getsockname(senders[k], reinterpret_cast<sockaddr*>(&any), &len), 0);
    sender_ends[k] = runtime::Endpoint::loopback_v4(ntohs(any.sin_port));
  }
  constexpr int kCount = 150;
  auto send = [&](int k, const std::string& bytes) {
    ASSERT_EQ(::sendto(senders[k], bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst),
              static_cast<ssize_t>(bytes.size()));
  };
  for (int i = 1; i <= kCount; ++i) {
    send(i % 2, test::options_request(i));
    if (i == 70) send(0, std::string(1001, 'x'));  // one byte over the limit
    if (i == 71) send(1, "\r\n\r\n");
  }
  loop.start();
  ASSERT_TRUE(sink.wait_messages(kCount));
  const auto got = sink.messages();
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kCount));
  for (int i = 1; i <= kCount; ++i) {
    EXPECT_EQ(got[static_cast<std::size_t>(i - 1)].bytes, test::options_request(i));
    EXPECT_EQ(got[static_cast<std::size_t>(i - 1)].remote, sender_ends[i % 2]);
  }
  for (int fd : senders) ::close(fd);
}

// Interrupt moderation: two wake-ups within read_coalesce switch the socket to timed reads;
// datagrams sent meanwhile all arrive, in order, answers still leave from the socket, and once
// the senders stop the socket goes back to waking the loop. Destroying the transport while it
// reads by timer closes the socket.
TEST(UdpTransport, UnderLoadTheSocketIsReadByTimerUntilItGoesQuiet) {
  auto open_fds = [] {
    return std::distance(std::filesystem::directory_iterator("/proc/self/fd"), std::filesystem::directory_iterator{});
  };
  EventLoop loop;
  loop.start();
  TestSink client_sink;
  auto client = UdpTransport::open(loop, client_sink);
  ASSERT_TRUE(client.ok());
  const auto fds_before = open_fds();  // the loop's own descriptors exist by now
  {
    TestSink sink;
    UdpOptions o;
    o.read_coalesce = std::chrono::milliseconds(500);  // long enough that two sends are "within" it
    auto udp = UdpTransport::open(loop, sink, o);
    ASSERT_TRUE(udp.ok());
    auto by_timer = [&] {
      bool v = false;
      loop.run_sync([&] { v = (*udp)->reading_by_timer(); });
      return v;
    };
    sink.on_received = [&](const test::Received& r) { (void)(*udp)->send(r.remote, test::ok_response()); };
    const auto to = (*udp)->local_endpoint();
    EXPECT_FALSE(by_timer());
    ASSERT_TRUE((*client)->send(to, test::options_request(1)).ok());
    ASSERT_TRUE(sink.wait_messages(1));
    EXPECT_FALSE(by_timer());  // one wake-up is not load
    ASSERT_TRUE((*client)->send(to, test::options_request(2)).ok());
    ASSERT_TRUE(sink.wait_messages(2));
    EXPECT_TRUE(by_timer());
    constexpr int kCount = 40;
    for (int i = 3; i <= kCount; ++i) ASSERT_TRUE((*client)->send(to, test::options_request(i)).ok());
    ASSERT_TRUE(sink.wait_messages(kCount));
    const auto got = sink.messages();
    ASSERT_EQ(got.size(), static_cast<std::size_t>(kCount));
    for (int i = 1; i <= kCount; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i - 1)].bytes, test::options_request(i));
    ASSERT_TRUE(client_sink.wait_messages(kCount));  // every answer came back
    // Quiet: two empty timed reads (1 s), then the socket wakes the loop again.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (by_timer() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(by_timer());
    ASSERT_TRUE((*client)->send(to, test::options_request(kCount + 1)).ok());
    ASSERT_TRUE(sink.wait_messages(kCount + 1));
    // Back under load, then torn down while reading by timer.
    ASSERT_TRUE((*client)->send(to, test::options_request(kCount + 2)).ok());
    ASSERT_TRUE(sink.wait_messages(kCount + 2));
    EXPECT_TRUE(by_timer());
  }
  EXPECT_EQ(open_fds(), fds_before);  // the socket was closed though the reactor had let it go
}

TEST(UdpTransport, WithoutReadCoalesceEveryDatagramWakesTheLoop) {
  EventLoop loop;
  loop.start();
  TestSink sink, client_sink;
  auto udp = UdpTransport::open(loop, sink);
  auto client = UdpTransport::open(loop, client_sink);
  ASSERT_TRUE(udp.ok() && client.ok());
  for (int i = 1; i <= 20; ++i) ASSERT_TRUE((*client)->send((*udp)->local_endpoint(), test::options_request(i)).ok());
  ASSERT_TRUE(sink.wait_messages(20));
  bool by_timer = true;
  loop.run_sync([&] { by_timer = (*udp)->reading_by_timer(); });
  EXPECT_FALSE(by_timer);
}

// Answers given with send_batched() while a batch of datagrams is delivered leave together
// once the batch is handled: none has reached the client while the batch is still being read,
// and all of them arrive, in order. Outside a batch (a posted task, another thread) they go out
// too; one over the size limit is dropped.
TEST(UdpTransport, BatchedAnswersLeaveAfterTheBatchInOrder) {
  EventLoop loop;  // not started yet: the requests wait in the socket and are read as one batch
  TestSink sink;
  UdpOptions o;
  o.max_datagram_bytes = 1000;
  auto udp = UdpTransport::open(loop, sink, o);
  ASSERT_TRUE(udp.ok());
  sockaddr_in dst = loopback_address_of(**udp);
  const int client = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(client, 0);
  timeval tv{5, 0};
  ASSERT_EQ(::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  constexpr int kCount = 6;  // fewer than one recvmmsg() batch
  for (int i = 1; i <= kCount; ++i) {
    const std::string req = test::options_request(i);
    ASSERT_EQ(::sendto(client, req.data(), req.size(), 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst),
              static_cast<ssize_t>(req.size()));
  }
  std::vector<bool> client_had_answer;  // loop thread, while the batch is delivered
  sink.on_received = [&](const test::Received& r) {
    char probe[2048];
    client_had_answer.push_back(::recv(client, probe, sizeof probe, MSG_DONTWAIT | MSG_PEEK) >= 0);
    (*udp)->send_batched(r.remote, "answer " + r.bytes.substr(r.bytes.find("CSeq:")));
  };
  loop.start();
  ASSERT_TRUE(sink.wait_messages(kCount));
  std::vector<std::string> answers;
  char buf[2048];
  for (int i = 0; i < kCount; ++i) {
    const ssize_t n = ::recv(client, buf, sizeof buf, 0);
    ASSERT_GT(n, 0) << "answer " << i + 1 << " missing";
    answers.emplace_back(buf, static_cast<std::size_t>(n));
  }
  const auto got = sink.messages();
  for (int i = 0; i < kCount; ++i) {
    const std::string& req = got[static_cast<std::size_t>(i)].bytes;
    EXPECT_EQ(answers[static_cast<std::size_t>(i)], "answer " + req.substr(req.find("CSeq:")));
  }
  loop.run_sync([&] { EXPECT_EQ(client_had_answer, std::vector<bool>(kCount, false)); });

  // A posted task's answers, an oversized one (dropped), one from this thread.
  sink.on_received = nullptr;
  sockaddr_in self{};
  socklen_t len = sizeof self;
  ASSERT_EQ(::getsockname(client, reinterpret_cast<sockaddr*>(&self), &len), 0);
  const auto client_end = runtime::Endpoint::loopback_v4(ntohs(self.sin_port));
  loop.run_sync([&] {
    (*udp)->send_batched(client_end, "later 1");
    (*udp)->send_batched(client_end, std::string(1001, 'x'));
    (*udp)->send_batched(client_end, "later 2");
  });
  auto expect_next = [&](const std::string& want) {
    const ssize_t n = ::recv(client, buf, sizeof buf, 0);
    ASSERT_GT(n, 0) << want;
    EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)), want);
  };
  expect_next("later 1");
  expect_next("later 2");
  (*udp)->send_batched(client_end, "from another thread");
  expect_next("from another thread");
  ::close(client);
}

TEST(UdpTransport, ReusePortLetsOneSocketPerLoopShareAPort) {
  EventLoop loop1, loop2, client_loop;
  loop1.start();
  loop2.start();
  client_loop.start();
  TestSink shared_sink, client_sink;  // TestSink is thread-safe: both loops call it
  UdpOptions first;
  first.reuse_port = true;
  auto s1 = UdpTransport::open(loop1, shared_sink, first);
  ASSERT_TRUE(s1.ok()) << s1.error().message();
  UdpOptions second = first;
  second.bind = (*s1)->local_endpoint();
  auto s2 = UdpTransport::open(loop2, shared_sink, second);
  ASSERT_TRUE(s2.ok()) << s2.error().message();
  EXPECT_EQ((*s1)->local_endpoint(), (*s2)->local_endpoint());

  auto client = UdpTransport::open(client_loop, client_sink);
  ASSERT_TRUE(client.ok());
  for (int i = 1; i <= 20; ++i) ASSERT_TRUE((*client)->send((*s1)->local_endpoint(), test::options_request(i)).ok());
  ASSERT_TRUE(shared_sink.wait_messages(20));
}

}  // namespace
}  // namespace warden::io
