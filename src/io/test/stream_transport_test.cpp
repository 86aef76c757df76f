#include "io/stream_transport.hpp"

#include <gtest/gtest.h>

#include <asio/ip/tcp.hpp>
#include <random>
#include <thread>

#include "test_sink.hpp"

namespace warden::io {
namespace {

using namespace std::chrono_literals;
using runtime::TransportErrc;
using runtime::TransportKind;
using test::RawClient;
using test::TestSink;

StreamOptions client_only() {
  StreamOptions o;
  o.listen = false;
  return o;
}

class StreamTransportTest : public ::testing::Test {
 protected:
  void SetUp() override { loop_.start(); }

  std::unique_ptr<StreamTransport> open(TestSink& sink, StreamOptions options = {}) {
    auto t = StreamTransport::open(loop_, sink, std::move(options));
    EXPECT_TRUE(t.ok()) << t.error().message();
    return t.ok() ? std::move(*t) : nullptr;
  }

  EventLoop loop_;
  TestSink server_sink_, client_sink_;
};

TEST_F(StreamTransportTest, RoundTripAndConnectionReuse) {
  auto server = open(server_sink_);
  auto client = open(client_sink_, client_only());
  ASSERT_TRUE(server && client);
  EXPECT_EQ(server->kind(), TransportKind::Tcp);
  EXPECT_NE(server->local_endpoint().port(), 0);

  const std::string request = test::options_request(1, "TCP");
  auto flow = client->send(server->local_endpoint(), request);
  ASSERT_TRUE(flow.ok());
  ASSERT_TRUE(server_sink_.wait_messages(1));
  const auto got = server_sink_.messages()[0];
  EXPECT_EQ(got.bytes, request);
  EXPECT_EQ(got.kind, TransportKind::Tcp);
  EXPECT_NE(got.flow, runtime::kNoFlow);
  EXPECT_EQ(got.local, server->local_endpoint());
  EXPECT_EQ(got.remote.address_string(), "127.0.0.1");
  EXPECT_TRUE(got.peer_names.empty());  // TCP proves no name
  ASSERT_TRUE(server_sink_.wait_opened(1));
  EXPECT_EQ(server_sink_.opened()[0].flow, got.flow);

  // The response goes back on the flow the request came on.
  ASSERT_TRUE(server->send(got.flow, test::ok_response()).ok());
  ASSERT_TRUE(client_sink_.wait_messages(1));
  EXPECT_EQ(client_sink_.messages()[0].bytes, test::ok_response());
  EXPECT_EQ(client_sink_.messages()[0].flow, *flow);
  EXPECT_EQ(client_sink_.messages()[0].remote, server->local_endpoint());

  // A second request to the same endpoint reuses the connection.
  auto again = client->send(server->local_endpoint(), test::options_request(2, "TCP"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *flow);
  ASSERT_TRUE(server_sink_.wait_messages(2));
  EXPECT_EQ(server_sink_.messages()[1].flow, got.flow);
  EXPECT_EQ(server->connection_count(), 1u);
}

TEST_F(StreamTransportTest, ReuseInboundSendsOnTheAcceptedConnection) {
  StreamOptions so;
  so.reuse_inbound = true;
  auto server = open(server_sink_, so);
  auto client = open(client_sink_, client_only());
  ASSERT_TRUE(server && client);
  auto flow = client->send(server->local_endpoint(), test::options_request(1, "TCP"));
  ASSERT_TRUE(flow.ok());
  ASSERT_TRUE(server_sink_.wait_messages(1));
  const auto got = server_sink_.messages()[0];
  auto back = server->send(got.remote, test::options_request(7, "TCP"));  // a request towards the client
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, got.flow);
  ASSERT_TRUE(client_sink_.wait_messages(1));
  EXPECT_EQ(client_sink_.messages()[0].flow, *flow);
}

TEST_F(StreamTransportTest, FramesMessagesAcrossArbitrarySegments) {
  auto server = open(server_sink_);
  ASSERT_TRUE(server);
  const std::vector<std::string> messages = {test::options_request(1, "TCP"),
                                             test::message_request("hello\r\n\r\nworld", 2),
                                             test::message_request(std::string(3000, 'b'), 3),
                                             test::options_request(4, "TCP")};
  std::string stream;
  for (const auto& m : messages) stream += m;

  RawClient raw(server->local_endpoint());
  // The first message one byte at a time, the rest in random chunks (fixed seed).
  std::size_t pos = 0;
  for (; pos < messages[0].size(); ++pos) raw.write(stream.substr(pos, 1));
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<std::size_t> chunk(1, 700);
  while (pos < stream.size()) {
    const std::size_t n = std::min(chunk(rng), stream.size() - pos);
    raw.write(std::string_view(stream).substr(pos, n));
    pos += n;
  }
  ASSERT_TRUE(server_sink_.wait_messages(messages.size()));
  const auto got = server_sink_.messages();
  ASSERT_EQ(got.size(), messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(got[i].bytes, messages[i]) << i;
    EXPECT_EQ(got[i].flow, got[0].flow);
    EXPECT_EQ(got[i].remote, raw.local());
  }
}

TEST_F(StreamTransportTest, AnswersPingWithPong) {
  auto server = open(server_sink_);
  ASSERT_TRUE(server);
  RawClient raw(server->local_endpoint());
  raw.write("\r\n\r\n");
  EXPECT_EQ(raw.read_exact(2), "\r\n");
  // The connection stays usable.
  raw.write(test::options_request(1, "TCP"));
  ASSERT_TRUE(server_sink_.wait_messages(1));
}

TEST_F(StreamTransportTest, ClosesSlowLoris) {
  StreamOptions so;
  so.incomplete_message_timeout = 300ms;
  auto server = open(server_sink_, so);
  ASSERT_TRUE(server);
  const std::string request = test::options_request(1, "TCP");
  RawClient raw(server->local_endpoint());
  const auto start = std::chrono::steady_clock::now();
  raw.write(std::string_view(request).substr(0, request.size() / 2));
  ASSERT_TRUE(raw.wait_closed_by_peer());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
  ASSERT_TRUE(server_sink_.wait_closed(1));
  EXPECT_EQ(server_sink_.closed()[0].why, TransportErrc::IncompleteMessageTimeout);
  EXPECT_TRUE(server_sink_.messages().empty());
}

TEST_F(StreamTransportTest, AHalfClosedConnectionStillGetsItsAnswers) {
  StreamOptions so;
  so.half_closed_linger = 1500ms;  // long enough that a slow test thread does not outlive it
  auto server = open(server_sink_, so);
  ASSERT_TRUE(server);
  RawClient raw(server->local_endpoint());
  raw.write(test::options_request(1, "TCP"));
  raw.shutdown_write();  // the client's last request: FIN right after it
  ASSERT_TRUE(server_sink_.wait_messages(1));
  const auto flow = server_sink_.messages()[0].flow;
  std::this_thread::sleep_for(100ms);  // the FIN has been read by now
  // Two answers made after the FIN, one at once and one later, both reach the client.
  ASSERT_TRUE(server->send(flow, test::ok_response(1)).ok());
  EXPECT_EQ(raw.read_exact(test::ok_response(1).size()), test::ok_response(1));
  std::this_thread::sleep_for(150ms);
  ASSERT_TRUE(server->send(flow, test::ok_response(2)).ok());
  EXPECT_EQ(raw.read_exact(test::ok_response(2).size()), test::ok_response(2));
  // Then, quiet for the linger, the server closes.
  ASSERT_TRUE(raw.wait_closed_by_peer());
  ASSERT_TRUE(server_sink_.wait_closed(1));
  EXPECT_EQ(server_sink_.closed()[0].why, TransportErrc::PeerClosed);
}

TEST_F(StreamTransportTest, AFinInTheMiddleOfAMessageClosesAtOnce) {
  auto server = open(server_sink_);
  ASSERT_TRUE(server);
  RawClient raw(server->local_endpoint());
  const std::string request = test::options_request(1, "TCP");
  raw.write(std::string_view(request).substr(0, 40));
  raw.shutdown_write();
  ASSERT_TRUE(raw.wait_closed_by_peer());
  ASSERT_TRUE(server_sink_.wait_closed(1));
  EXPECT_TRUE(server_sink_.messages().empty());
}

TEST_F(StreamTransportTest, ClosesIdleConnections) {
  StreamOptions so;
  so.idle_timeout = 300ms;
  auto server = open(server_sink_, so);
  ASSERT_TRUE(server);
  RawClient raw(server->local_endpoint());
  raw.write(test::options_request(1, "TCP"));
  ASSERT_TRUE(server_sink_.wait_messages(1));
  ASSERT_TRUE(raw.wait_closed_by_peer());
  ASSERT_TRUE(server_sink_.wait_closed(1));
  EXPECT_EQ(server_sink_.closed()[0].why, TransportErrc::IdleTimeout);
}

TEST_F(StreamTransportTest, FramingErrorClosesTheConnection) {
  auto server = open(server_sink_);
  ASSERT_TRUE(server);
  RawClient raw(server->local_endpoint());
  // No Content-Length: a stream cannot be framed.
  raw.write("OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKx\r\n\r\n");
  ASSERT_TRUE(raw.wait_closed_by_peer());
  ASSERT_TRUE(server_sink_.wait_closed(1));
  EXPECT_EQ(server_sink_.closed()[0].why, TransportErrc::FramingError);
}

TEST_F(StreamTransportTest, LimitsConnectionsPerSourceAddress) {
  StreamOptions so;
  so.max_connections_per_address = 2;
  auto server = open(server_sink_, so);
  ASSERT_TRUE(server);
  auto first = std::make_unique<RawClient>(server->local_endpoint());
  first->write(test::options_request(1, "TCP"));
  ASSERT_TRUE(server_sink_.wait_messages(1));
  RawClient second(server->local_endpoint());
  second.write(test::options_request(2, "TCP"));
  ASSERT_TRUE(server_sink_.wait_messages(2));

  RawClient third(server->local_endpoint());  // the kernel accepts; Warden closes it at once
  EXPECT_TRUE(third.wait_closed_by_peer());
  EXPECT_EQ(server->connection_count(), 2u);

  // The first two still work; closing one makes room again.
  first->write(test::options_request(3, "TCP"));
  ASSERT_TRUE(server_sink_.wait_messages(3));
  first.reset();
  ASSERT_TRUE(server_sink_.wait_closed(1));
  EXPECT_EQ(server_sink_.closed()[0].why, TransportErrc::PeerClosed);
  RawClient fourth(server->local_endpoint());
  fourth.write(test::options_request(4, "TCP"));
  ASSERT_TRUE(server_sink_.wait_messages(4));
}

TEST_F(StreamTransportTest, ReportsRefusedConnections) {
  runtime::Endpoint closed_port;
  {
    asio::io_context ctx;
    asio::ip::tcp::acceptor probe(ctx, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    closed_port = runtime::Endpoint::loopback_v4(probe.local_endpoint().port());
  }
  auto client = open(client_sink_, client_only());
  ASSERT_TRUE(client);
  auto flow = client->send(closed_port, test::options_request(1, "TCP"));
  ASSERT_TRUE(flow.ok());
  ASSERT_TRUE(client_sink_.wait_closed(1));
  EXPECT_EQ(client_sink_.closed()[0].flow, *flow);
  EXPECT_EQ(client_sink_.closed()[0].why, asio::error::connection_refused);
  EXPECT_EQ(client->send(*flow, "x").error(), TransportErrc::UnknownFlow);
}

TEST_F(StreamTransportTest, RefusesOversizedMessagesAndUnknownFlows) {
  auto client = open(client_sink_, client_only());
  ASSERT_TRUE(client);
  EXPECT_EQ(client->send(runtime::Endpoint::loopback_v4(5060), std::string(70000, 'x')).error(),
            TransportErrc::MessageTooLarge);
  EXPECT_EQ(client->send(runtime::FlowId{42}, "x").error(), TransportErrc::UnknownFlow);
}

TEST_F(StreamTransportTest, LocalCloseIsReported) {
  auto server = open(server_sink_);
  auto client = open(client_sink_, client_only());
  ASSERT_TRUE(server && client);
  auto flow = client->send(server->local_endpoint(), test::options_request(1, "TCP"));
  ASSERT_TRUE(flow.ok());
  ASSERT_TRUE(server_sink_.wait_messages(1));
  client->close(*flow);
  ASSERT_TRUE(client_sink_.wait_closed(1));
  EXPECT_EQ(client_sink_.closed()[0].why, TransportErrc::LocalClose);
  ASSERT_TRUE(server_sink_.wait_closed(1));
  EXPECT_EQ(server_sink_.closed()[0].why, TransportErrc::PeerClosed);
}

}  // namespace
}  // namespace warden::io
