// The development PKI of crypto/ as the TLS transport uses it: its files load into a TLS
// context, and a client that trusts only ca.pem completes a verified handshake by name and by
// loopback address.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "crypto/dev_pki.hpp"
#include "io/stream_transport.hpp"
#include "test_sink.hpp"

namespace warden::io {
namespace {

namespace fs = std::filesystem;
using runtime::TransportKind;
using test::TestSink;

class DevPkiTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("warden-io-dev-pki-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    std::string error;
    auto pki = crypto::ensure_dev_pki(dir_, {"sip.warden.test"}, error);
    ASSERT_TRUE(pki.ok()) << error;
    pki_ = *pki;
    loop_.start();
  }
  void TearDown() override { fs::remove_all(dir_); }

  StreamOptions server_options() const {
    StreamOptions o;
    o.tls = TlsOptions{pki_.server_certificate.string(), pki_.server_key.string(), {}, true, false};
    return o;
  }
  StreamOptions client_options() const {
    StreamOptions o;
    o.listen = false;
    o.tls = TlsOptions{{}, {}, pki_.ca_certificate.string(), true, false};
    return o;
  }

  fs::path dir_;
  crypto::DevPki pki_;
  EventLoop loop_;
  TestSink server_sink_, client_sink_;
};

TEST_F(DevPkiTlsTest, ContextsAcceptTheFiles) {
  auto server = make_tls_context(*server_options().tls, TlsRole::Server);
  EXPECT_TRUE(server.ok()) << server.error().message();
  auto client = make_tls_context(*client_options().tls, TlsRole::Client);
  EXPECT_TRUE(client.ok()) << client.error().message();
  // Mutual TLS: the server certificate also serves as a client certificate (clientAuth).
  TlsOptions mutual{pki_.server_certificate.string(), pki_.server_key.string(), pki_.ca_certificate.string(), true,
                    true};
  EXPECT_TRUE(make_tls_context(mutual, TlsRole::Server).ok());
  EXPECT_TRUE(make_tls_context(mutual, TlsRole::Client).ok());
}

TEST_F(DevPkiTlsTest, VerifiedHandshakeByNameAndByAddress) {
  auto server = StreamTransport::open(loop_, server_sink_, server_options());
  ASSERT_TRUE(server.ok()) << server.error().message();
  auto client = StreamTransport::open(loop_, client_sink_, client_options());
  ASSERT_TRUE(client.ok()) << client.error().message();

  auto by_name = (*client)->connect((*server)->local_endpoint(), "sip.warden.test");
  ASSERT_TRUE(by_name.ok());
  const std::string request = test::options_request(1, "TLS");
  ASSERT_TRUE((*client)->send(*by_name, request).ok());
  ASSERT_TRUE(server_sink_.wait_messages(1));
  EXPECT_EQ(server_sink_.messages()[0].bytes, request);
  EXPECT_EQ(server_sink_.messages()[0].kind, TransportKind::Tls);

  auto by_localhost = (*client)->connect((*server)->local_endpoint(), "localhost");
  ASSERT_TRUE(by_localhost.ok());
  ASSERT_TRUE((*client)->send(*by_localhost, test::options_request(2, "TLS")).ok());
  ASSERT_TRUE(server_sink_.wait_messages(2));

  // A fresh client sending to the address verifies IP:127.0.0.1 in the certificate.
  TestSink other_sink;
  auto other = StreamTransport::open(loop_, other_sink, client_options());
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->send((*server)->local_endpoint(), test::options_request(3, "TLS")).ok());
  ASSERT_TRUE(server_sink_.wait_messages(3));
  EXPECT_TRUE(client_sink_.closed().empty());
  EXPECT_TRUE(other_sink.closed().empty());
}

TEST_F(DevPkiTlsTest, ANameOutsideTheCertificateFails) {
  auto server = StreamTransport::open(loop_, server_sink_, server_options());
  auto client = StreamTransport::open(loop_, client_sink_, client_options());
  ASSERT_TRUE(server.ok() && client.ok());
  auto flow = (*client)->connect((*server)->local_endpoint(), "elsewhere.test");
  ASSERT_TRUE(flow.ok());
  static_cast<void>((*client)->send(*flow, test::options_request(1, "TLS")));  // may already be closed
  ASSERT_TRUE(client_sink_.wait_closed(1));
  EXPECT_TRUE(server_sink_.messages().empty());
}

}  // namespace
}  // namespace warden::io
