#include "io/certificate_server.hpp"

#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <array>
#include <atomic>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>

#include "base/error.hpp"
#include "crypto/certificate.hpp"
#include "io/asio_endpoint.hpp"

namespace warden::io {

using asio::ip::tcp;

namespace {

class Connection;

// Reads and checks the chain file: at most `limit` bytes, at least one PEM certificate.
base::Result<std::shared_ptr<const std::string>> load_chain(const std::string& file, std::size_t limit) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return base::Errc::Io;
  std::string bytes;
  bytes.resize(limit + 1);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (in.bad()) return base::Errc::Io;
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  if (bytes.size() > limit) return base::Errc::LimitExceeded;
  crypto::PemLimits pem_limits;
  pem_limits.max_pem_bytes = limit;
  auto chain = crypto::Certificate::chain_from_pem(bytes, pem_limits);
  if (!chain) return base::Errc::InvalidArgument;
  return std::make_shared<const std::string>(std::move(bytes));
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}

}  // namespace

struct CertificateServer::Impl : std::enable_shared_from_this<Impl> {
  Impl(EventLoop& l, CertificateServerOptions o) : loop(l), options(std::move(o)), acceptor(l.context()),
                                                   accept_retry(l.context()) {}

  void accept();
  void on_accept(const std::error_code& ec, tcp::socket socket);
  void shutdown();
  std::shared_ptr<const std::string> chain() const {
    std::lock_guard lock(mu);
    return chain_bytes;
  }
  // The whole response for a parsed (or refused) request head.
  std::string respond(const HttpHeadResult& r);

  EventLoop& loop;
  const CertificateServerOptions options;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  std::shared_ptr<asio::ssl::context> tls;
  runtime::Endpoint local;
  bool closing = false;                           // loop thread only
  std::set<std::shared_ptr<Connection>> active;  // loop thread only

  mutable std::mutex mu;
  std::shared_ptr<const std::string> chain_bytes;  // guarded by mu

  std::atomic<std::uint64_t> requests{0}, served{0}, connections{0};
};

namespace {

// One accepted connection: TLS handshake, read the head, write one response, close_notify, close.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<CertificateServer::Impl> server, tcp::socket socket)
      : server_(std::move(server)), stream_(std::move(socket), *server_->tls),
        header_timer_(server_->loop.context()), life_timer_(server_->loop.context()) {}

  void start() {
    header_timer_.expires_after(server_->options.header_timeout);
    header_timer_.async_wait([self = shared_from_this()](const std::error_code& ec) {
      if (!ec) self->close();
    });
    life_timer_.expires_after(server_->options.connection_timeout);
    life_timer_.async_wait([self = shared_from_this()](const std::error_code& ec) {
      if (!ec) self->close();
    });
    stream_.async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](const std::error_code& ec) {
      if (ec) return self->close();
      self->read();
    });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    std::error_code ignored;
    header_timer_.cancel();
    life_timer_.cancel();
    stream_.lowest_layer().close(ignored);
    server_->active.erase(shared_from_this());
  }

 private:
  void read() {
    stream_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](const std::error_code& ec,
                                                                               std::size_t n) {
      if (ec || self->closed_) return self->close();
      self->on_read(n);
    });
  }

  void on_read(std::size_t n) {
    const auto& limits = server_->options.head_limits;
    // Never keep more than the head limit: what lies beyond cannot be part of an acceptable head.
    const std::size_t room = limits.max_head_bytes - std::min(limits.max_head_bytes, head_.size());
    head_.append(chunk_.data(), std::min(n, room));
    const HttpHeadResult r = parse_http_request_head(head_, limits);
    if (r.status == HttpHeadStatus::NeedMore) return read();
    header_timer_.cancel();
    response_ = server_->respond(r);
    asio::async_write(stream_, asio::buffer(response_), [self = shared_from_this()](const std::error_code& ec,
                                                                                      std::size_t) {
      if (ec) return self->close();
      // close_notify; completes when the client closes too (or the connection timeout fires).
      self->stream_.async_shutdown([self](const std::error_code&) { self->close(); });
    });
  }

  std::shared_ptr<CertificateServer::Impl> server_;
  asio::ssl::stream<tcp::socket> stream_;
  asio::steady_timer header_timer_;
  asio::steady_timer life_timer_;
  std::array<char, 2048> chunk_{};
  std::string head_;
  std::string response_;
  bool closed_ = false;
};

}  // namespace

std::string CertificateServer::Impl::respond(const HttpHeadResult& r) {
  requests.fetch_add(1, std::memory_order_relaxed);
  int status = r.http_status;
  std::shared_ptr<const std::string> body;
  if (r.status == HttpHeadStatus::Complete) {
    if (r.head.target != options.path) {
      status = 404;
    } else if (r.head.method != "GET") {
      status = 405;
    } else {
      status = 200;
      body = chain();
    }
  }
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason_phrase(status)) + "\r\n";
  if (status == 200) {
    served.fetch_add(1, std::memory_order_relaxed);
    out += "Content-Type: application/pem-certificate-chain\r\n";
    out += options.cache_max_age.count() > 0 ? "Cache-Control: max-age=" + std::to_string(options.cache_max_age.count())
                                             : std::string("Cache-Control: no-cache");
    out += "\r\nContent-Length: " + std::to_string(body->size()) + "\r\n";
  } else {
    if (status == 405) out += "Allow: GET\r\n";
    out += "Content-Length: 0\r\n";
  }
  out += "Connection: close\r\n\r\n";
  if (body) out += *body;
  return out;
}

void CertificateServer::Impl::accept() {
  acceptor.async_accept([self = shared_from_this()](const std::error_code& ec, tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

void CertificateServer::Impl::on_accept(const std::error_code& ec, tcp::socket socket) {
  if (closing || ec == asio::error::operation_aborted) return;
  if (ec) {  // e.g. out of file descriptors: try again a little later rather than spin
    accept_retry.expires_after(std::chrono::milliseconds(100));
    accept_retry.async_wait([self = shared_from_this()](const std::error_code& e) {
      if (!e && !self->closing) self->accept();
    });
    return;
  }
  connections.fetch_add(1, std::memory_order_relaxed);
  if (active.size() >= options.max_connections) {
    std::error_code ignored;
    socket.close(ignored);
  } else {
    auto conn = std::make_shared<Connection>(shared_from_this(), std::move(socket));
    active.insert(conn);
    conn->start();
  }
  accept();
}

void CertificateServer::Impl::shutdown() {
  closing = true;
  std::error_code ignored;
  acceptor.close(ignored);
  accept_retry.cancel();
  auto all = active;  // close() erases from `active`
  for (const auto& conn : all) conn->close();
}

base::Result<std::unique_ptr<CertificateServer>> CertificateServer::open(EventLoop& loop,
                                                                         CertificateServerOptions options) {
  if (options.path.empty() || options.path.front() != '/') return base::Errc::InvalidArgument;
  auto impl = std::make_shared<Impl>(loop, std::move(options));
  const auto& o = impl->options;
  auto chain = load_chain(o.chain_file, o.max_chain_bytes);
  if (!chain) return chain.error();
  impl->chain_bytes = std::move(*chain);
  auto tls = make_tls_context(o.tls, TlsRole::Server);
  if (!tls) return tls.error();
  impl->tls = std::move(*tls);

  const auto bind_to = to_asio<tcp::endpoint>(o.bind);
  std::error_code ec;
  impl->acceptor.open(bind_to.protocol(), ec);
  if (ec) return ec;
  impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (ec) return ec;
  impl->acceptor.bind(bind_to, ec);
  if (ec) return ec;
  impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return ec;
  const auto bound = impl->acceptor.local_endpoint(ec);
  if (ec) return ec;
  impl->local = from_asio(bound);
  asio::post(loop.context(), [impl] {
    if (!impl->closing) impl->accept();
  });
  return std::unique_ptr<CertificateServer>(new CertificateServer(std::move(impl)));
}

CertificateServer::~CertificateServer() {
  impl_->loop.run_sync([impl = impl_] { impl->shutdown(); });
}

runtime::Endpoint CertificateServer::local_endpoint() const noexcept { return impl_->local; }

std::string CertificateServer::url(const std::string& host) const {
  return "https://" + host + ":" + std::to_string(impl_->local.port()) + impl_->options.path;
}

base::Result<void> CertificateServer::reload() {
  auto chain = load_chain(impl_->options.chain_file, impl_->options.max_chain_bytes);
  if (!chain) return chain.error();
  std::lock_guard lock(impl_->mu);
  impl_->chain_bytes = std::move(*chain);
  return {};
}

std::uint64_t CertificateServer::requests() const noexcept { return impl_->requests.load(); }
std::uint64_t CertificateServer::served() const noexcept { return impl_->served.load(); }
std::uint64_t CertificateServer::connections() const noexcept { return impl_->connections.load(); }

}  // namespace warden::io
