// CertificateServer and HttpsCertificateSource over real TLS on loopback, with certificates from
// the development PKI (crypto::ensure_dev_pki): the server serves the chain and the source
// fetches it; the cache answers repeated fetches without a request (counted on the server), for
// max-age capped by max_ttl, and keeps failures for failure_ttl; concurrent fetches of a URL make
// one request; oversized bodies, untrusted servers, non-https URLs, 404s and a silent server are
// errors; a source destroyed during a fetch never calls back. The server answers 404/405/431 to
// a raw TLS client, closes a silent connection after its header timeout, and refuses connections
// over its limit.
#include <gtest/gtest.h>
#include <unistd.h>

#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "base/error.hpp"
#include "crypto/dev_pki.hpp"
#include "io/asio_endpoint.hpp"
#include "io/certificate_server.hpp"
#include "io/event_loop.hpp"
#include "io/https_certificate_source.hpp"
#include "test_pki.hpp"

namespace warden::io {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Chain = HttpsCertificateSource::Chain;
using asio::ip::tcp;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

class HttpsCertificateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("warden-https-cert-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    std::string error;
    auto pki = crypto::ensure_dev_pki(dir_ / "pki", {"certs.warden.test"}, error);
    ASSERT_TRUE(pki.ok()) << error;
    pki_ = *pki;
    auto other = crypto::ensure_dev_pki(dir_ / "other", {"certs.warden.test"}, error);
    ASSERT_TRUE(other.ok()) << error;
    other_ca_ = other->ca_certificate.string();
    // The chain we serve: the dev server certificate and its CA (any PEM chain would do).
    chain_pem_ = read_file(pki_.server_certificate) + read_file(pki_.ca_certificate);
    chain_file_ = dir_ / "chain.pem";
    write_file(chain_file_, chain_pem_);
    loop_.start();
  }

  void TearDown() override {
    loop_.run_sync([this] { source_.reset(); });
    server_.reset();
    loop_.stop();
    fs::remove_all(dir_);
  }

  CertificateServerOptions server_options() const {
    CertificateServerOptions o;
    o.tls.certificate_file = pki_.server_certificate.string();
    o.tls.private_key_file = pki_.server_key.string();
    o.chain_file = chain_file_.string();
    o.path = "/chain.pem";
    return o;
  }

  void start_server(CertificateServerOptions o) {
    auto s = CertificateServer::open(loop_, std::move(o));
    ASSERT_TRUE(s.ok()) << s.error().message();
    server_ = std::move(*s);
  }

  HttpsFetchOptions source_options() {
    HttpsFetchOptions o;
    o.ca_file = pki_.ca_certificate.string();
    o.clock = &clock_;
    return o;
  }

  void make_source(HttpsFetchOptions o) {
    auto s = HttpsCertificateSource::create(loop_, std::move(o));
    ASSERT_TRUE(s.ok()) << s.error().message();
    source_ = std::move(*s);
  }

  std::string url(const std::string& path = "/chain.pem") const {
    return "https://localhost:" + std::to_string(server_->local_endpoint().port()) + path;
  }

  // fetch() on the loop thread; waits for the answer.
  base::Result<Chain> fetch(const std::string& u) {
    auto p = std::make_shared<std::promise<base::Result<Chain>>>();
    auto f = p->get_future();
    loop_.post([this, u, p] { source_->fetch(u, [p](base::Result<Chain> r) { p->set_value(std::move(r)); }); });
    if (f.wait_for(20s) != std::future_status::ready) {
      ADD_FAILURE() << "no answer for " << u;
      return base::Errc::Internal;
    }
    return f.get();
  }

  HttpsCertificateSource::Stats stats() {
    HttpsCertificateSource::Stats s;
    loop_.run_sync([&] { s = source_->stats(); });
    return s;
  }

  void advance(base::Duration d) {
    loop_.run_sync([&] { clock_.advance(d); });
  }

  fs::path dir_;
  crypto::DevPki pki_;
  std::string other_ca_;
  std::string chain_pem_;
  fs::path chain_file_;
  base::ManualClock clock_;
  EventLoop loop_;
  std::unique_ptr<CertificateServer> server_;
  std::unique_ptr<HttpsCertificateSource> source_;
};

TEST_F(HttpsCertificateTest, ServesTheChainAndTheSourceFetchesIt) {
  start_server(server_options());
  make_source(source_options());
  auto r = fetch(url());
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].to_pem(), read_file(pki_.server_certificate));  // end entity first
  EXPECT_EQ((*r)[1].to_pem(), read_file(pki_.ca_certificate));
  EXPECT_EQ(server_->served(), 1u);
  EXPECT_EQ(stats().transfers, 1u);
}

TEST_F(HttpsCertificateTest, SecondFetchComesFromTheCache) {
  start_server(server_options());
  make_source(source_options());
  ASSERT_TRUE(fetch(url()).ok());
  auto again = fetch(url());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->size(), 2u);
  EXPECT_EQ(server_->requests(), 1u);
  EXPECT_EQ(stats().cache_hits, 1u);
  EXPECT_EQ(stats().transfers, 1u);
}

TEST_F(HttpsCertificateTest, MaxAgeDecidesTheLifetime) {
  auto so = server_options();
  so.cache_max_age = 60s;
  start_server(so);
  make_source(source_options());
  ASSERT_TRUE(fetch(url()).ok());
  advance(59s);
  ASSERT_TRUE(fetch(url()).ok());
  EXPECT_EQ(server_->requests(), 1u);
  advance(2s);  // 61 s: expired
  ASSERT_TRUE(fetch(url()).ok());
  EXPECT_EQ(server_->requests(), 2u);
}

TEST_F(HttpsCertificateTest, MaxTtlCapsMaxAge) {
  start_server(server_options());  // max-age=3600
  auto o = source_options();
  o.max_ttl = 10s;
  make_source(o);
  ASSERT_TRUE(fetch(url()).ok());
  advance(9s);
  ASSERT_TRUE(fetch(url()).ok());
  EXPECT_EQ(server_->requests(), 1u);
  advance(2s);
  ASSERT_TRUE(fetch(url()).ok());
  EXPECT_EQ(server_->requests(), 2u);
}

TEST_F(HttpsCertificateTest, NoCacheIsNotKept) {
  auto so = server_options();
  so.cache_max_age = 0s;  // Cache-Control: no-cache
  start_server(so);
  make_source(source_options());
  ASSERT_TRUE(fetch(url()).ok());
  ASSERT_TRUE(fetch(url()).ok());
  EXPECT_EQ(server_->requests(), 2u);
}

TEST_F(HttpsCertificateTest, ConcurrentFetchesOfOneUrlMakeOneRequest) {
  start_server(server_options());
  make_source(source_options());
  constexpr int kCallers = 5;
  std::vector<std::shared_ptr<std::promise<base::Result<Chain>>>> promises;
  std::vector<std::future<base::Result<Chain>>> futures;
  for (int i = 0; i < kCallers; ++i) {
    promises.push_back(std::make_shared<std::promise<base::Result<Chain>>>());
    futures.push_back(promises.back()->get_future());
  }
  const std::string u = url();
  loop_.post([&, u] {  // one task: no answer can arrive between the fetches
    for (auto& p : promises) source_->fetch(u, [p](base::Result<Chain> r) { p->set_value(std::move(r)); });
  });
  for (auto& f : futures) {
    ASSERT_EQ(f.wait_for(20s), std::future_status::ready);
    auto r = f.get();
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->size(), 2u);
  }
  EXPECT_EQ(server_->requests(), 1u);
  EXPECT_EQ(stats().transfers, 1u);
  EXPECT_EQ(stats().coalesced, static_cast<std::uint64_t>(kCallers - 1));
}

TEST_F(HttpsCertificateTest, NotFoundIsAnErrorAndIsCachedBriefly) {
  start_server(server_options());
  auto o = source_options();
  o.failure_ttl = 30s;
  make_source(o);
  auto r = fetch(url("/nothing-here.pem"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), FetchErrc::HttpStatus);
  EXPECT_EQ(server_->requests(), 1u);
  EXPECT_EQ(server_->served(), 0u);
  // Within failure_ttl: the same error, no request.
  advance(29s);
  r = fetch(url("/nothing-here.pem"));
  EXPECT_EQ(r.error(), FetchErrc::HttpStatus);
  EXPECT_EQ(server_->requests(), 1u);
  EXPECT_EQ(stats().cache_hits, 1u);
  // After it: asked again.
  advance(2s);
  r = fetch(url("/nothing-here.pem"));
  EXPECT_EQ(r.error(), FetchErrc::HttpStatus);
  EXPECT_EQ(server_->requests(), 2u);
}

TEST_F(HttpsCertificateTest, OversizedBodyIsRefused) {
  // A valid chain behind 70 KiB of text outside the PEM blocks (PEM readers skip it).
  const fs::path big = dir_ / "big.pem";
  std::string padding;
  while (padding.size() < 70 * 1024) padding += "padding line outside any PEM block, 0123456789\n";
  write_file(big, padding + chain_pem_);
  auto so = server_options();
  so.chain_file = big.string();
  so.max_chain_bytes = 256 * 1024;
  start_server(so);
  make_source(source_options());  // max_body_bytes 64 KiB
  auto r = fetch(url());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), FetchErrc::BodyTooLarge);
  // With a larger limit the same body is a chain: the refusal came from the size alone.
  loop_.run_sync([this] { source_.reset(); });
  auto o = source_options();
  o.max_body_bytes = 128 * 1024;
  make_source(o);
  auto ok = fetch(url());
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_EQ(ok->size(), 2u);
}

TEST_F(HttpsCertificateTest, BodyThatIsNotAChainIsRefused) {
  // The server refuses to serve a file without certificates ...
  const fs::path junk = dir_ / "junk.pem";
  write_file(junk, "not a certificate\n");
  auto so = server_options();
  so.chain_file = junk.string();
  auto s = CertificateServer::open(loop_, so);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), base::Errc::InvalidArgument);
}

TEST_F(HttpsCertificateTest, UntrustedServerCertificateIsRefused) {
  start_server(server_options());
  auto o = source_options();
  o.ca_file = other_ca_;  // a CA that did not issue the server's certificate
  make_source(o);
  auto r = fetch(url());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), FetchErrc::Tls);
  EXPECT_EQ(server_->requests(), 0u);  // no request was sent
}

TEST_F(HttpsCertificateTest, ServerNameMustMatch) {
  // test_pki's server certificate names DNS:warden.test and IP:127.0.0.1, not localhost.
  const test::TestPki tp = test::make_test_pki();
  ASSERT_FALSE(tp.dir.empty());
  auto so = server_options();
  so.tls.certificate_file = tp.server_cert;
  so.tls.private_key_file = tp.server_key;
  start_server(so);
  auto o = source_options();
  o.ca_file = tp.ca_cert;
  make_source(o);
  const std::string port = std::to_string(server_->local_endpoint().port());
  auto by_ip = fetch("https://127.0.0.1:" + port + "/chain.pem");
  EXPECT_TRUE(by_ip.ok()) << by_ip.error().message();
  auto by_other_name = fetch("https://localhost:" + port + "/chain.pem");
  EXPECT_EQ(by_other_name.error(), FetchErrc::Tls);
  EXPECT_EQ(server_->requests(), 1u);
  test::remove_test_pki(tp);
}

TEST_F(HttpsCertificateTest, NonHttpsUrlsAreRefusedWithoutARequest) {
  start_server(server_options());
  make_source(source_options());
  const std::string port = std::to_string(server_->local_endpoint().port());
  EXPECT_EQ(fetch("http://localhost:" + port + "/chain.pem").error(), FetchErrc::SchemeRefused);
  EXPECT_EQ(fetch("HTTP://localhost:" + port + "/chain.pem").error(), FetchErrc::SchemeRefused);
  EXPECT_EQ(fetch("ftp://localhost:" + port + "/chain.pem").error(), FetchErrc::SchemeRefused);
  EXPECT_EQ(fetch("file:///etc/passwd").error(), FetchErrc::SchemeRefused);
  EXPECT_EQ(fetch("localhost/chain.pem").error(), FetchErrc::BadUrl);
  EXPECT_EQ(fetch("https:///chain.pem").error(), FetchErrc::BadUrl);
  EXPECT_EQ(fetch("https://localhost/a b").error(), FetchErrc::BadUrl);
  EXPECT_EQ(fetch("https://localhost/" + std::string(600, 'a')).error(), FetchErrc::BadUrl);
  EXPECT_EQ(stats().transfers, 0u);
  EXPECT_EQ(stats().refused, 8u);
  EXPECT_EQ(server_->connections(), 0u);
}

TEST_F(HttpsCertificateTest, AllowHttpLetsHttpThroughForTests) {
  // A plain-TCP peer: nothing listens for HTTP here, so the answer is a connection error, not a
  // refusal of the scheme.
  asio::io_context ctx;
  tcp::acceptor closed(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = closed.local_endpoint().port();
  closed.close();
  auto o = source_options();
  o.allow_http = true;
  make_source(o);
  auto r = fetch("http://127.0.0.1:" + std::to_string(port) + "/chain.pem");
  EXPECT_EQ(r.error(), FetchErrc::Connect);
}

TEST_F(HttpsCertificateTest, SilentServerTimesOut) {
  // Listens (the kernel completes TCP handshakes) but never accepts, reads or answers.
  asio::io_context ctx;
  tcp::acceptor silent(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = silent.local_endpoint().port();
  auto o = source_options();
  o.total_timeout = 500ms;
  make_source(o);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = fetch("https://localhost:" + std::to_string(port) + "/chain.pem");
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.error(), FetchErrc::Timeout);
  EXPECT_GE(took, 450ms);
  EXPECT_LT(took, 5s);
}

TEST_F(HttpsCertificateTest, DestroyedSourceNeverCallsBack) {
  asio::io_context ctx;
  tcp::acceptor silent(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = silent.local_endpoint().port();
  auto o = source_options();
  o.total_timeout = 300ms;
  make_source(o);
  auto called = std::make_shared<std::atomic<bool>>(false);
  const std::string u = "https://localhost:" + std::to_string(port) + "/chain.pem";
  loop_.run_sync([&] { source_->fetch(u, [called](base::Result<Chain>) { *called = true; }); });
  std::this_thread::sleep_for(100ms);  // the transfer is under way
  loop_.run_sync([&] { source_.reset(); });
  std::this_thread::sleep_for(600ms);  // past the timeout that would have answered
  EXPECT_FALSE(*called);
}

TEST_F(HttpsCertificateTest, ReloadServesTheNewChain) {
  start_server(server_options());
  make_source(source_options());
  ASSERT_EQ(fetch(url())->size(), 2u);
  write_file(chain_file_, read_file(pki_.server_certificate));  // the end entity alone
  ASSERT_TRUE(server_->reload().ok());
  loop_.run_sync([this] { source_->clear_cache(); });
  auto r = fetch(url());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 1u);
  // A bad file on reload keeps the old chain.
  write_file(chain_file_, "garbage");
  EXPECT_FALSE(server_->reload().ok());
  loop_.run_sync([this] { source_->clear_cache(); });
  EXPECT_EQ(fetch(url())->size(), 1u);
}

// A raw TLS client for the server's answers to requests the source never makes.
class RawClient {
 public:
  RawClient(const std::string& ca, std::uint16_t port) : tls_(asio::ssl::context::tls_client), stream_(ctx_, tls_) {
    tls_.load_verify_file(ca);
    tls_.set_verify_mode(asio::ssl::verify_peer);
    stream_.lowest_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    stream_.handshake(asio::ssl::stream_base::client);
  }
  // Sends `bytes`, then reads until the server closes; returns what it sent.
  std::string exchange(const std::string& bytes) {
    asio::write(stream_, asio::buffer(bytes));
    std::string out;
    std::error_code ec;
    char buf[4096];
    for (;;) {
      const std::size_t n = stream_.read_some(asio::buffer(buf), ec);
      out.append(buf, n);
      if (ec) break;
    }
    return out;
  }

 private:
  asio::io_context ctx_;
  asio::ssl::context tls_;
  asio::ssl::stream<tcp::socket> stream_;
};

TEST_F(HttpsCertificateTest, ServerAnswersOtherRequestsWithErrors) {
  start_server(server_options());
  const auto port = server_->local_endpoint().port();
  const std::string ca = pki_.ca_certificate.string();
  auto ok = RawClient(ca, port).exchange("GET /chain.pem HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(ok.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << ok;
  EXPECT_NE(ok.find("Content-Type: application/pem-certificate-chain\r\n"), std::string::npos);
  EXPECT_NE(ok.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(ok.substr(ok.find("\r\n\r\n") + 4), chain_pem_);

  auto missing = RawClient(ca, port).exchange("GET /other HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(missing.rfind("HTTP/1.1 404 ", 0), 0u) << missing;
  auto post = RawClient(ca, port).exchange("POST /chain.pem HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(post.rfind("HTTP/1.1 405 ", 0), 0u) << post;
  EXPECT_NE(post.find("Allow: GET\r\n"), std::string::npos);
  auto bad = RawClient(ca, port).exchange("GET /chain.pem HTTP/1.1\nHost: localhost\n\n");
  EXPECT_EQ(bad.rfind("HTTP/1.1 400 ", 0), 0u) << bad;
  auto huge = RawClient(ca, port).exchange("GET /chain.pem HTTP/1.1\r\nHost: localhost\r\nX: " +
                                           std::string(9000, 'a') + "\r\n\r\n");
  EXPECT_EQ(huge.rfind("HTTP/1.1 431 ", 0), 0u) << huge.substr(0, 100);
  EXPECT_EQ(server_->served(), 1u);
  EXPECT_EQ(server_->requests(), 5u);
}

TEST_F(HttpsCertificateTest, SilentClientIsClosedAfterTheHeaderTimeout) {
  auto so = server_options();
  so.header_timeout = 300ms;
  start_server(so);
  RawClient client(pki_.ca_certificate.string(), server_->local_endpoint().port());
  const auto t0 = std::chrono::steady_clock::now();
  const std::string got = client.exchange("GET /chain.pem HTTP/1.1\r\n");  // never ends the head
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(got.empty());
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3s);
  EXPECT_EQ(server_->requests(), 0u);
}

TEST_F(HttpsCertificateTest, ConnectionsOverTheLimitAreClosed) {
  auto so = server_options();
  so.max_connections = 2;
  start_server(so);
  asio::io_context ctx;
  const tcp::endpoint at(asio::ip::make_address("127.0.0.1"), server_->local_endpoint().port());
  tcp::socket a(ctx), b(ctx), c(ctx);
  a.connect(at);
  b.connect(at);
  // Wait until both are accepted, so that the third is the one over the limit.
  for (int i = 0; i < 100 && server_->connections() < 2; ++i) std::this_thread::sleep_for(10ms);
  c.connect(at);
  char byte;
  std::error_code ec;
  c.read_some(asio::buffer(&byte, 1), ec);  // closed by the server at once
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  EXPECT_EQ(server_->connections(), 3u);
  // A slot frees when one of the first two goes: then a fetch works again.
  a.close();
  b.close();
  make_source(source_options());
  for (int i = 0; i < 50; ++i) {  // the server notices the closed sockets on its next read
    auto r = fetch(url());
    if (r.ok()) break;
    loop_.run_sync([this] { source_->clear_cache(); });
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(server_->served(), 1u);
}

// A TLS server on its own thread that answers every request with `response` (a redirect, say),
// one connection at a time, until destroyed.
class FixedResponseServer {
 public:
  FixedResponseServer(const crypto::DevPki& pki, std::string response)
      : tls_(asio::ssl::context::tls_server), acceptor_(ctx_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        response_(std::move(response)) {
    tls_.use_certificate_chain_file(pki.server_certificate.string());
    tls_.use_private_key_file(pki.server_key.string(), asio::ssl::context::pem);
    thread_ = std::thread([this] { serve(); });
  }
  ~FixedResponseServer() {
    stop_ = true;
    std::error_code ignored;
    tcp::socket poke(ctx_);
    poke.connect(acceptor_.local_endpoint(), ignored);  // wakes accept()
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int requests() const { return requests_; }

 private:
  void serve() {
    while (!stop_) {
      std::error_code ec;
      asio::ssl::stream<tcp::socket> s(ctx_, tls_);
      acceptor_.accept(s.lowest_layer(), ec);
      if (ec || stop_) continue;
      s.handshake(asio::ssl::stream_base::server, ec);
      if (ec) continue;
      std::string head;
      char buf[1024];
      while (head.find("\r\n\r\n") == std::string::npos && head.size() < 8192) {
        const std::size_t n = s.read_some(asio::buffer(buf), ec);
        if (ec) break;
        head.append(buf, n);
      }
      if (ec) continue;
      ++requests_;
      asio::write(s, asio::buffer(response_), ec);
      s.shutdown(ec);
    }
  }
  asio::io_context ctx_;
  asio::ssl::context tls_;
  tcp::acceptor acceptor_;
  std::string response_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

std::string redirect_to(const std::string& location) {
  return "HTTP/1.1 302 Found\r\nLocation: " + location + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
}

TEST_F(HttpsCertificateTest, OneRedirectToHttpsIsFollowed) {
  start_server(server_options());
  FixedResponseServer redirector(pki_, redirect_to(url()));
  make_source(source_options());
  auto r = fetch("https://localhost:" + std::to_string(redirector.port()) + "/moved.pem");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->size(), 2u);
  EXPECT_EQ(redirector.requests(), 1);
  EXPECT_EQ(server_->served(), 1u);
}

TEST_F(HttpsCertificateTest, RedirectToHttpIsRefused) {
  FixedResponseServer redirector(pki_, redirect_to("http://localhost:1/chain.pem"));
  make_source(source_options());
  auto r = fetch("https://localhost:" + std::to_string(redirector.port()) + "/moved.pem");
  EXPECT_EQ(r.error(), FetchErrc::SchemeRefused);
  EXPECT_EQ(redirector.requests(), 1);
}

TEST_F(HttpsCertificateTest, SecondRedirectIsRefused) {
  // again -> loop_redirector -> redirector: the first redirect is followed, the second is one
  // too many (redirector is never asked).
  FixedResponseServer redirector(pki_, "");
  make_source(source_options());
  FixedResponseServer loop_redirector(pki_, redirect_to("https://localhost:" + std::to_string(redirector.port()) + "/x"));
  FixedResponseServer again(pki_, redirect_to("https://localhost:" + std::to_string(loop_redirector.port()) + "/y"));
  auto r = fetch("https://localhost:" + std::to_string(again.port()) + "/z");
  EXPECT_EQ(r.error(), FetchErrc::TooManyRedirects);
  EXPECT_EQ(again.requests(), 1);
  EXPECT_EQ(loop_redirector.requests(), 1);
  EXPECT_EQ(redirector.requests(), 0);
}

// The TLS policy of make_tls_context() as a scanner sees it on the certificate server's port:
// tests/interop/sslscan_check.py judges sslscan's report (TLS 1.2/1.3 only, ECDHE + AEAD only).
TEST_F(HttpsCertificateTest, SslscanSeesOnlyForwardSecretAeadSuites) {
  if (!fs::exists("/usr/bin/sslscan")) GTEST_SKIP() << "sslscan is not installed (scripts/install-deps.sh)";
  start_server(server_options());
  const fs::path report = dir_ / "scan.xml";
  const std::string scan = "timeout 120 /usr/bin/sslscan --no-colour --xml=" + report.string() + " 127.0.0.1:" +
                           std::to_string(server_->local_endpoint().port()) + " > " + (dir_ / "scan.txt").string() +
                           " 2>&1";
  ASSERT_EQ(std::system(scan.c_str()), 0) << read_file(dir_ / "scan.txt");
  const std::string check = "/usr/bin/python3 " WARDEN_SOURCE_DIR "/tests/interop/sslscan_check.py " +
                            report.string() + " > " + (dir_ / "check.txt").string() + " 2>&1";
  EXPECT_EQ(std::system(check.c_str()), 0) << read_file(dir_ / "check.txt");
  EXPECT_GT(server_->connections(), 10u);  // the scan reached this server
}

}  // namespace
}  // namespace warden::io
