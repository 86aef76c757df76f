#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>

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
using Names = std::vector<std::string>;

// certificate_domain_names() of a PEM file's first certificate.
Names names_in(const std::string& pem_file) {
  FILE* f = std::fopen(pem_file.c_str(), "r");
  if (f == nullptr) return {"<unreadable>"};
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  Names names = certificate_domain_names(cert);
  X509_free(cert);
  return names;
}

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

// --- Mutual TLS between domains (RFC 5922 §7.4): the server asks, the client may answer. ---

class PeerNamesTest : public TlsTransportTest {
 protected:
  // A server that asks for (does not require) a client certificate from the test CA.
  std::unique_ptr<StreamTransport> requesting_server() {
    auto so = server_options();
    so.tls->ca_file = pki_->ca_cert;
    so.tls->request_client_certificate = true;
    return open(server_sink_, so);
  }
  // A client that verifies the server against the test CA and presents `cert` (if any).
  std::unique_ptr<StreamTransport> client_with(const std::string& cert, const std::string& key) {
    auto co = client_options(pki_->ca_cert);
    co.tls->certificate_file = cert;
    co.tls->private_key_file = key;
    return open(client_sink_, co);
  }
  // Sends a request on a new flow and waits for the server to get it; false if it did not.
  bool request(StreamTransport& client, const StreamTransport& server, int cseq = 1) {
    auto flow = client.connect(server.local_endpoint(), "warden.test");
    if (!flow.ok()) return false;
    static_cast<void>(client.send(*flow, test::options_request(cseq, "TLS")));
    return server_sink_.wait_messages(1);
  }
};

TEST_F(PeerNamesTest, NamesComeFromSubjectAltNamesLowerCasedWithoutWildcardsOrAddresses) {
  EXPECT_EQ(names_in(pki_->peer_cert), (Names{"b.test", "edge.b.test", "sip.b.test"}));
  EXPECT_EQ(names_in(pki_->server_cert), (Names{"warden.test"}));  // IP:127.0.0.1 is no name
  EXPECT_EQ(names_in(pki_->cn_only_cert), (Names{"cn-only.test"}));  // no subjectAltName: the CN
  EXPECT_TRUE(certificate_domain_names(nullptr).empty());
}

TEST_F(PeerNamesTest, AcceptedFlowCarriesTheClientCertificatesNames) {
  auto server = requesting_server();
  auto client = client_with(pki_->peer_cert, pki_->peer_key);
  ASSERT_TRUE(server && client);
  ASSERT_TRUE(request(*client, *server));
  const auto got = server_sink_.messages()[0];
  EXPECT_EQ(got.bytes, test::options_request(1, "TLS"));
  EXPECT_EQ(got.peer_names, (Names{"b.test", "edge.b.test", "sip.b.test"}));

  // Every later message of the flow carries them too.
  ASSERT_TRUE(client->send(server->local_endpoint(), test::options_request(2, "TLS")).ok());
  ASSERT_TRUE(server_sink_.wait_messages(2));
  EXPECT_EQ(server_sink_.messages()[1].flow, got.flow);
  EXPECT_EQ(server_sink_.messages()[1].peer_names, got.peer_names);
}

TEST_F(PeerNamesTest, ClientWithoutCertificateStillConnectsAndProvesNothing) {
  auto server = requesting_server();
  auto client = open(client_sink_, client_options(pki_->ca_cert));
  ASSERT_TRUE(server && client);
  ASSERT_TRUE(request(*client, *server));
  const auto got = server_sink_.messages()[0];
  EXPECT_EQ(got.bytes, test::options_request(1, "TLS"));
  EXPECT_TRUE(got.peer_names.empty());
  // The flow works both ways; the client's side names the server it verified.
  ASSERT_TRUE(server->send(got.flow, test::ok_response()).ok());
  ASSERT_TRUE(client_sink_.wait_messages(1));
  EXPECT_EQ(client_sink_.messages()[0].peer_names, (Names{"warden.test"}));
}

TEST_F(PeerNamesTest, CertificateFromAnotherCaIsRefusedAtTheHandshake) {
  auto server = requesting_server();
  auto client = client_with(pki_->stranger_cert, pki_->stranger_key);  // claims b.test
  ASSERT_TRUE(server && client);
  auto flow = client->connect(server->local_endpoint(), "warden.test");
  ASSERT_TRUE(flow.ok());
  static_cast<void>(client->send(*flow, test::options_request(1, "TLS")));
  ASSERT_TRUE(server_sink_.wait_closed(1));
  EXPECT_NE(server_sink_.closed()[0].why.category(), runtime::transport_category());  // a TLS error
  EXPECT_TRUE(server_sink_.opened().empty());
  ASSERT_TRUE(client_sink_.wait_closed(1));  // TLS 1.3: the client learns it from the server's alert
  EXPECT_TRUE(server_sink_.messages().empty());
}

TEST_F(PeerNamesTest, CommonNameIsTheNameOnlyWithoutSubjectAltNames) {
  auto server = requesting_server();
  auto client = client_with(pki_->cn_only_cert, pki_->cn_only_key);
  ASSERT_TRUE(server && client);
  ASSERT_TRUE(request(*client, *server));
  EXPECT_EQ(server_sink_.messages()[0].peer_names, (Names{"cn-only.test"}));
}

TEST_F(PeerNamesTest, OutgoingFlowCarriesTheServerCertificatesNames) {
  auto server = requesting_server();
  auto client = client_with(pki_->peer_cert, pki_->peer_key);
  ASSERT_TRUE(server && client);
  server_sink_.on_received = [&](const test::Received& r) {
    EXPECT_TRUE(server->send(r.flow, test::ok_response()).ok());
  };
  ASSERT_TRUE(request(*client, *server));
  ASSERT_TRUE(client_sink_.wait_messages(1));
  const auto answer = client_sink_.messages()[0];
  EXPECT_EQ(answer.bytes, test::ok_response());
  EXPECT_EQ(answer.peer_names, (Names{"warden.test"}));
  EXPECT_EQ(server_sink_.messages()[0].peer_names, (Names{"b.test", "edge.b.test", "sip.b.test"}));
}

TEST_F(PeerNamesTest, NoNamesWithoutVerification) {
  // A server that does not ask: a client's certificate is never sent, so it proves nothing.
  auto server = open(server_sink_, server_options());
  // A client that does not verify the server: the server's certificate proves nothing either.
  auto co = client_options({});
  co.tls->verify_peer = false;
  co.tls->certificate_file = pki_->peer_cert;
  co.tls->private_key_file = pki_->peer_key;
  auto client = open(client_sink_, co);
  ASSERT_TRUE(server && client);
  server_sink_.on_received = [&](const test::Received& r) {
    EXPECT_TRUE(server->send(r.flow, test::ok_response()).ok());
  };
  ASSERT_TRUE(request(*client, *server));
  EXPECT_TRUE(server_sink_.messages()[0].peer_names.empty());
  ASSERT_TRUE(client_sink_.wait_messages(1));
  EXPECT_TRUE(client_sink_.messages()[0].peer_names.empty());
}

TEST_F(PeerNamesTest, RequiredClientCertificateAlsoNamesThePeer) {
  auto so = server_options();
  so.tls->ca_file = pki_->ca_cert;
  so.tls->require_client_certificate = true;
  so.tls->request_client_certificate = true;  // require wins: a client without one is refused
  auto server = open(server_sink_, so);
  auto client = client_with(pki_->peer_cert, pki_->peer_key);
  ASSERT_TRUE(server && client);
  ASSERT_TRUE(request(*client, *server));
  EXPECT_EQ(server_sink_.messages()[0].peer_names, (Names{"b.test", "edge.b.test", "sip.b.test"}));

  TestSink anonymous_sink;
  auto anonymous = open(anonymous_sink, client_options(pki_->ca_cert));
  ASSERT_TRUE(anonymous);
  auto flow = anonymous->connect(server->local_endpoint(), "warden.test");
  ASSERT_TRUE(flow.ok());
  static_cast<void>(anonymous->send(*flow, test::options_request(2, "TLS")));
  ASSERT_TRUE(anonymous_sink.wait_closed(1));
  ASSERT_TRUE(server_sink_.wait_closed(1));
  EXPECT_EQ(server_sink_.messages().size(), 1u);
}

TEST_F(PeerNamesTest, RequestingWithoutCaFileUsesTheSystemStore) {
  // Requiring needs the CA that issues client certificates; asking may trust the system store
  // (RFC 5922 peers with certificates from public CAs).
  TlsOptions o{pki_->server_cert, pki_->server_key, {}, true, false};
  o.request_client_certificate = true;
  EXPECT_TRUE(make_tls_context(o, TlsRole::Server).ok());
  o.require_client_certificate = true;
  EXPECT_EQ(make_tls_context(o, TlsRole::Server).error(), base::Errc::Config);
}

}  // namespace
}  // namespace warden::io
