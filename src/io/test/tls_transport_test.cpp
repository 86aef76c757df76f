#include <gtest/gtest.h>

#include "base/error.hpp"
#include "io/stream_transport.hpp"
#include "test_pki.hpp"
#include "test_sink.hpp"

namespace warden::io {
namespace {

using namespace std::chrono_literals;
using runtime::TransportErrc;
using runtime::TransportKind;
using test::TestSink;

class TlsTransportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = new test::TestPki(test::make_test_pki()); }
  static void TearDownTestSuite() {
    test::remove_test_pki(*pki_);
    delete pki_;
  }
  void SetUp() override {
    ASSERT_FALSE(pki_->dir.empty()) << "could not make the test PKI";
    loop_.start();
  }

  StreamOptions server_options() const {
    StreamOptions o;
    o.tls = TlsOptions{pki_->server_cert, pki_->server_key, {}, true, false};
    return o;
  }
  StreamOptions client_options(std::string ca_file) const {
    StreamOptions o;
    o.listen = false;
    o.tls = TlsOptions{{}, {}, std::move(ca_file), true, false};
    return o;
  }
  std::unique_ptr<StreamTransport> open(TestSink& sink, StreamOptions options) {
    auto t = StreamTransport::open(loop_, sink, std::move(options));
    EXPECT_TRUE(t.ok()) << t.error().message();
    return t.ok() ? std::move(*t) : nullptr;
  }

  static test::TestPki* pki_;
  EventLoop loop_;
  TestSink server_sink_, client_sink_;
};

test::TestPki* TlsTransportTest::pki_ = nullptr;

TEST_F(TlsTransportTest, RoundTripWithVerifiedHostName) {
  auto server = open(server_sink_, server_options());
  auto client = open(client_sink_, client_options(pki_->ca_cert));
  ASSERT_TRUE(server && client);
  EXPECT_EQ(server->kind(), TransportKind::Tls);

  auto flow = client->connect(server->local_endpoint(), "warden.test");
  ASSERT_TRUE(flow.ok());
  const std::string request = test::options_request(1, "TLS");
  ASSERT_TRUE(client->send(*flow, request).ok());  // queued until the handshake is done
  ASSERT_TRUE(server_sink_.wait_messages(1));
  const auto got = server_sink_.messages()[0];
  EXPECT_EQ(got.bytes, request);
  EXPECT_EQ(got.kind, TransportKind::Tls);

  ASSERT_TRUE(server->send(got.flow, test::ok_response()).ok());
  ASSERT_TRUE(client_sink_.wait_messages(1));
  EXPECT_EQ(client_sink_.messages()[0].bytes, test::ok_response());
  EXPECT_EQ(client_sink_.messages()[0].flow, *flow);
  EXPECT_EQ(client_sink_.messages()[0].kind, TransportKind::Tls);
  ASSERT_TRUE(client_sink_.wait_opened(1));
  EXPECT_TRUE(client_sink_.closed().empty());
}

TEST_F(TlsTransportTest, SendToAnAddressVerifiesTheIpAddress) {
  auto server = open(server_sink_, server_options());
  auto client = open(client_sink_, client_options(pki_->ca_cert));
  ASSERT_TRUE(server && client);
  ASSERT_TRUE(client->send(server->local_endpoint(), test::options_request(1, "TLS")).ok());
  ASSERT_TRUE(server_sink_.wait_messages(1));  // the certificate carries IP:127.0.0.1
}

TEST_F(TlsTransportTest, ClientRefusesAMismatchingHostName) {
  auto server = open(server_sink_, server_options());
  auto client = open(client_sink_, client_options(pki_->ca_cert));
  ASSERT_TRUE(server && client);
  auto flow = client->connect(server->local_endpoint(), "evil.test");
  ASSERT_TRUE(flow.ok());
  // The handshake may already have failed: then the flow is gone and send() says UnknownFlow.
  static_cast<void>(client->send(*flow, test::options_request(1, "TLS")));
  ASSERT_TRUE(client_sink_.wait_closed(1));
  EXPECT_EQ(client_sink_.closed()[0].flow, *flow);
  EXPECT_NE(client_sink_.closed()[0].why.category(), runtime::transport_category());  // a TLS error
  EXPECT_TRUE(client_sink_.opened().empty());
  ASSERT_TRUE(server_sink_.wait_closed(1));  // the server saw the handshake fail
  EXPECT_TRUE(server_sink_.messages().empty());
}

TEST_F(TlsTransportTest, ClientRefusesAnUnknownIssuer) {
  auto server = open(server_sink_, server_options());
  auto client = open(client_sink_, client_options(pki_->other_ca_cert));
  ASSERT_TRUE(server && client);
  auto flow = client->connect(server->local_endpoint(), "warden.test");
  ASSERT_TRUE(flow.ok());
  // The handshake may already have failed: then the flow is gone and send() says UnknownFlow.
  static_cast<void>(client->send(*flow, test::options_request(1, "TLS")));
  ASSERT_TRUE(client_sink_.wait_closed(1));
  EXPECT_TRUE(client_sink_.opened().empty());
  ASSERT_TRUE(server_sink_.wait_closed(1));
  EXPECT_TRUE(server_sink_.messages().empty());
}

TEST_F(TlsTransportTest, MutualTlsRequiresAClientCertificate) {
  auto so = server_options();
  so.tls->ca_file = pki_->ca_cert;
  so.tls->require_client_certificate = true;
  auto server = open(server_sink_, so);
  ASSERT_TRUE(server);

  {  // no client certificate: the server refuses the handshake
    TestSink anonymous_sink;
    auto anonymous = open(anonymous_sink, client_options(pki_->ca_cert));
    ASSERT_TRUE(anonymous);
    auto flow = anonymous->connect(server->local_endpoint(), "warden.test");
    ASSERT_TRUE(flow.ok());
    static_cast<void>(anonymous->send(*flow, test::options_request(1, "TLS")));
    ASSERT_TRUE(server_sink_.wait_closed(1));
    ASSERT_TRUE(anonymous_sink.wait_closed(1));
    EXPECT_TRUE(server_sink_.messages().empty());
  }

  auto co = client_options(pki_->ca_cert);
  co.tls->certificate_file = pki_->client_cert;
  co.tls->private_key_file = pki_->client_key;
  auto client = open(client_sink_, co);
  ASSERT_TRUE(client);
  auto flow = client->connect(server->local_endpoint(), "warden.test");
  ASSERT_TRUE(flow.ok());
  ASSERT_TRUE(client->send(*flow, test::options_request(2, "TLS")).ok());
  ASSERT_TRUE(server_sink_.wait_messages(1));
  EXPECT_EQ(server_sink_.messages()[0].bytes, test::options_request(2, "TLS"));
}

TEST_F(TlsTransportTest, StalledHandshakeIsClosed) {
  auto so = server_options();
  so.incomplete_message_timeout = 300ms;
  auto server = open(server_sink_, so);
  ASSERT_TRUE(server);
  test::RawClient raw(server->local_endpoint());  // connects, never says ClientHello
  ASSERT_TRUE(raw.wait_closed_by_peer());
  ASSERT_TRUE(server_sink_.wait_closed(1));
  EXPECT_EQ(server_sink_.closed()[0].why, TransportErrc::IncompleteMessageTimeout);
}

TEST_F(TlsTransportTest, BadConfigurationIsRefused) {
  StreamOptions o;
  o.tls = TlsOptions{};  // a server without certificate
  EXPECT_EQ(StreamTransport::open(loop_, server_sink_, o).error(), base::Errc::Config);
  o.tls = TlsOptions{pki_->dir + "/missing.pem", pki_->server_key, {}, true, false};
  EXPECT_FALSE(StreamTransport::open(loop_, server_sink_, o).ok());
}

}  // namespace
}  // namespace warden::io
