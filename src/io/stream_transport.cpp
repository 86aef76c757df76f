#include "io/stream_transport.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <deque>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "base/error.hpp"
#include "io/asio_endpoint.hpp"
#include "sip/msg/stream_framer.hpp"

namespace warden::io {

using asio::ip::tcp;
using runtime::Endpoint;
using runtime::FlowId;
using runtime::TransportErrc;
using SteadyTime = std::chrono::steady_clock::time_point;

namespace {

class Connection;

constexpr std::size_t kReadChunk = 16 * 1024;

bool is_ip_literal(const std::string& name) { return Endpoint::from_address(name, 0).ok(); }

}  // namespace

struct StreamTransport::Impl : std::enable_shared_from_this<Impl> {
  Impl(EventLoop& l, runtime::TransportSink& s, StreamOptions o)
      : loop(l), sink(s), options(std::move(o)), acceptor(l.context()), accept_retry(l.context()),
        kind(options.tls ? runtime::TransportKind::Tls : runtime::TransportKind::Tcp) {}

  void accept();
  void on_accept(const std::error_code& ec, tcp::socket socket);
  std::shared_ptr<Connection> new_outgoing(const Endpoint& to, std::string server_name);  // mu held
  void forget(const Connection& c);  // called by a closing connection
  void shutdown();

  EventLoop& loop;
  runtime::TransportSink& sink;
  const StreamOptions options;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  const runtime::TransportKind kind;
  std::shared_ptr<asio::ssl::context> server_tls;
  std::shared_ptr<asio::ssl::context> client_tls;
  Endpoint local;
  bool closing = false;  // loop thread only

  mutable std::mutex mu;  // guards what follows
  FlowId next_id = 1;
  std::unordered_map<FlowId, std::shared_ptr<Connection>> flows;
  std::unordered_map<Endpoint, FlowId, runtime::EndpointHash> outgoing_by_remote;
  std::unordered_map<Endpoint, FlowId, runtime::EndpointHash> inbound_by_remote;
  std::unordered_map<Endpoint, std::size_t, runtime::AddressHash, runtime::SameAddress> per_address;
};

namespace {

// One TCP or TLS connection. Everything but the constant members is touched on the loop only.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  enum class State : std::uint8_t { Idle, Connecting, Handshaking, Open, Closed };

  Connection(std::shared_ptr<StreamTransport::Impl> owner, FlowId id, bool inbound, tcp::socket socket,
             const Endpoint& remote)
      : owner_(std::move(owner)),
        id_(id),
        inbound_(inbound),
        remote_(remote),
        socket_(std::move(socket)),
        framer_(owner_->options.limits,
                inbound ? sip::msg::StreamFramer::Role::Server : sip::msg::StreamFramer::Role::Client),
        read_buffer_(kReadChunk),
        timer_(owner_->loop.context()) {
    if (owner_->kind == runtime::TransportKind::Tls) {
      tls_.emplace(socket_, inbound ? *owner_->server_tls : *owner_->client_tls);
    }
  }

  FlowId id() const noexcept { return id_; }
  bool inbound() const noexcept { return inbound_; }
  const Endpoint& remote() const noexcept { return remote_; }
  const Endpoint& local() const noexcept { return local_; }  // loop thread; set once connected

  // Client side: SNI and the name (or address) the certificate must carry.
  bool set_server_name(const std::string& name) {
    if (!tls_ || !owner_->options.tls->verify_peer) return true;
    SSL* ssl = tls_->native_handle();
    const std::string expected = name.empty() ? remote_.address_string() : name;
    if (is_ip_literal(expected)) {
      return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), expected.c_str()) == 1;
    }
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return SSL_set_tlsext_host_name(ssl, expected.c_str()) == 1 && SSL_set1_host(ssl, expected.c_str()) == 1;
  }

  void start_inbound() {
    started_ = SteadyTime::clock::now();
    std::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    local_ = from_asio(socket_.local_endpoint(ignored));
    update_deadline();
    if (tls_) {
      state_ = State::Handshaking;
      tls_->async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](const std::error_code& ec) {
        self->on_handshake(ec);
      });
    } else {
      on_open();
    }
  }

  void start_outbound() {
    if (state_ != State::Idle) return;  // closed before it started
    started_ = SteadyTime::clock::now();
    state_ = State::Connecting;
    update_deadline();
    // From the address we listen on (any port): on a host with several addresses the peer sees
    // the address its Record-Route and DNS name, and a policy keyed on it holds.
    const auto remote = to_asio<tcp::endpoint>(remote_);
    const auto bind_to = to_asio<tcp::endpoint>(owner_->options.bind);
    if (!bind_to.address().is_unspecified() && bind_to.address().is_v4() == remote.address().is_v4() &&
        bind_to.address().is_loopback() == remote.address().is_loopback()) {
      // (Only when both are loopback or both are not: a loopback address cannot reach another
      // host, and a public one need not be used toward this host's own loopback.)
      std::error_code ec;
      socket_.open(remote.protocol(), ec);
      if (!ec) socket_.bind(tcp::endpoint(bind_to.address(), 0), ec);
      if (ec) {
        on_connect(ec);
        return;
      }
    }
    socket_.async_connect(to_asio<tcp::endpoint>(remote_), [self = shared_from_this()](const std::error_code& ec) {
      self->on_connect(ec);
    });
  }

  void enqueue(std::string bytes) {
    if (state_ == State::Closed) return;
    if (queued_bytes_ + bytes.size() > owner_->options.max_send_queue_bytes) {
      close(TransportErrc::SendQueueFull);
      return;
    }
    queued_bytes_ += bytes.size();
    queue_.push_back(std::move(bytes));
    if (state_ == State::Open && !writing_) write_next();
  }

  void close(std::error_code why) {
    if (state_ == State::Closed) return;
    state_ = State::Closed;
    std::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
    owner_->forget(*this);
    if (!owner_->closing) owner_->sink.on_flow_closed(id_, remote_, why);
  }

 private:
  void on_connect(const std::error_code& ec) {
    if (state_ == State::Closed) return;
    if (ec) return close(ec);
    std::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    local_ = from_asio(socket_.local_endpoint(ignored));
    if (tls_) {
      state_ = State::Handshaking;
      tls_->async_handshake(asio::ssl::stream_base::client, [self = shared_from_this()](const std::error_code& e) {
        self->on_handshake(e);
      });
    } else {
      on_open();
    }
  }

  void on_handshake(const std::error_code& ec) {
    if (state_ == State::Closed) return;
    if (ec) return close(ec);
    // Once per flow: who the peer's verified certificate says it is (the client's on accepted
    // flows, the server's on ours).
    peer_names_ = verified_peer_names(tls_->native_handle());
    on_open();
  }

  void on_open() {
    state_ = State::Open;
    last_activity_ = SteadyTime::clock::now();
    if (!owner_->closing) owner_->sink.on_flow_open(id_, remote_);
    if (state_ != State::Open) return;  // the sink closed it
    update_deadline();
    if (!queue_.empty() && !writing_) write_next();
    read();
  }

  template <class F>
  void with_stream(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(socket_);
    }
  }

  void read() {
    with_stream([this](auto& stream) {
      stream.async_read_some(asio::buffer(read_buffer_),
                             [self = shared_from_this()](const std::error_code& ec, std::size_t n) {
                               self->on_read(ec, n);
                             });
    });
  }

  void on_read(const std::error_code& ec, std::size_t n) {
    if (state_ == State::Closed) return;
    if (ec) {
      const bool orderly = ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
      if (ec == asio::error::eof && !framer_.mid_message() && owner_->options.half_closed_linger.count() > 0) {
        // A half-close after whole messages: no more requests, but their answers may still be
        // on their way (queued, or not yet made). Stop reading; write until the linger ends.
        read_closed_ = true;
        last_activity_ = SteadyTime::clock::now();
        if (tls_ && queue_.empty() && !writing_) return close(TransportErrc::PeerClosed);
        update_deadline();
        return;
      }
      return close(orderly ? std::error_code(TransportErrc::PeerClosed) : ec);
    }
    const auto now = SteadyTime::clock::now();
    last_activity_ = now;
    if (framer_.feed(std::string_view(read_buffer_.data(), n)) != sip::msg::ParseErrc::Ok) {
      return close(TransportErrc::FramingError);
    }
    bool completed = false;
    for (;;) {
      const auto frame = framer_.next();
      using Type = sip::msg::StreamFramer::Frame::Type;
      if (frame.type == Type::NeedMore) break;
      if (frame.type == Type::Error) return close(TransportErrc::FramingError);
      completed = true;
      if (frame.type == Type::Ping) {
        enqueue("\r\n");  // RFC 5626 §3.5.1 pong
      } else if (frame.type == Type::Message) {
        deliver(frame.bytes);
      }
      if (state_ == State::Closed) return;
    }
    const bool mid = framer_.mid_message();
    if (mid && (!was_mid_ || completed)) partial_since_ = now;
    was_mid_ = mid;
    update_deadline();
    read();
  }

  void deliver(std::string_view bytes) {
    if (owner_->closing) return;
    runtime::InboundMessage msg;
    msg.kind = owner_->kind;
    msg.flow = id_;
    msg.local = local_;
    msg.remote = remote_;
    msg.bytes = bytes;
    msg.peer_names = peer_names_;
    owner_->sink.on_message(msg);
  }

  void write_next() {
    writing_ = true;
    with_stream([this](auto& stream) {
      asio::async_write(stream, asio::buffer(queue_.front()),
                        [self = shared_from_this()](const std::error_code& ec, std::size_t) { self->on_written(ec); });
    });
  }

  void on_written(const std::error_code& ec) {
    writing_ = false;
    if (state_ == State::Closed) return;
    if (ec) return close(ec);
    queued_bytes_ -= queue_.front().size();
    queue_.pop_front();
    last_activity_ = SteadyTime::clock::now();
    if (!queue_.empty()) {
      write_next();
    } else if (read_closed_ && tls_) {
      close(TransportErrc::PeerClosed);  // TLS: the peer's close_notify ends the session once flushed
    } else if (read_closed_) {
      update_deadline();
    }
  }

  // The earliest moment a limit could be hit; SteadyTime::max() for none.
  SteadyTime deadline() const {
    const auto& o = owner_->options;
    auto at = SteadyTime::max();
    const auto incomplete = o.incomplete_message_timeout;
    if (state_ != State::Open) {
      if (incomplete.count() > 0) at = started_ + incomplete;
      return at;
    }
    if (o.idle_timeout.count() > 0) at = last_activity_ + o.idle_timeout;
    if (read_closed_) return std::min(at, last_activity_ + o.half_closed_linger);
    if (incomplete.count() > 0 && framer_.mid_message()) at = std::min(at, partial_since_ + incomplete);
    return at;
  }

  void update_deadline() {
    const auto at = deadline();
    if (at == SteadyTime::max() || (timer_armed_ && timer_at_ <= at)) return;
    timer_armed_ = true;
    timer_at_ = at;
    timer_.expires_at(at);
    timer_.async_wait([self = shared_from_this()](const std::error_code& ec) {
      if (!ec) self->on_timer();
    });
  }

  void on_timer() {
    timer_armed_ = false;
    if (state_ == State::Closed) return;
    const auto now = SteadyTime::clock::now();
    const auto& o = owner_->options;
    const bool incomplete_due = o.incomplete_message_timeout.count() > 0 &&
                                (state_ != State::Open ? now >= started_ + o.incomplete_message_timeout
                                                       : framer_.mid_message() &&
                                                             now >= partial_since_ + o.incomplete_message_timeout);
    if (incomplete_due) return close(TransportErrc::IncompleteMessageTimeout);
    if (read_closed_ && now >= last_activity_ + o.half_closed_linger) return close(TransportErrc::PeerClosed);
    if (state_ == State::Open && o.idle_timeout.count() > 0 && now >= last_activity_ + o.idle_timeout) {
      return close(TransportErrc::IdleTimeout);
    }
    update_deadline();
  }

  const std::shared_ptr<StreamTransport::Impl> owner_;
  const FlowId id_;
  const bool inbound_;
  const Endpoint remote_;
  Endpoint local_;
  tcp::socket socket_;
  std::optional<asio::ssl::stream<tcp::socket&>> tls_;
  std::vector<std::string> peer_names_;  // TLS: set once, after the handshake (verified_peer_names)
  sip::msg::StreamFramer framer_;
  std::vector<char> read_buffer_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool read_closed_ = false;  // the peer half-closed: no more reads, answers still written
  State state_ = State::Idle;
  asio::steady_timer timer_;
  bool timer_armed_ = false;
  SteadyTime timer_at_{};
  SteadyTime started_{};
  SteadyTime last_activity_{};
  SteadyTime partial_since_{};
  bool was_mid_ = false;
};

}  // namespace

void StreamTransport::Impl::accept() {
  acceptor.async_accept([self = shared_from_this()](const std::error_code& ec, tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

void StreamTransport::Impl::on_accept(const std::error_code& ec, tcp::socket socket) {
  if (closing || ec == asio::error::operation_aborted) return;
  if (ec) {  // e.g. out of file descriptors: try again a little later rather than spin
    accept_retry.expires_after(std::chrono::milliseconds(100));
    accept_retry.async_wait([self = shared_from_this()](const std::error_code& e) {
      if (!e && !self->closing) self->accept();
    });
    return;
  }
  std::error_code peer_ec;
  const auto peer = socket.remote_endpoint(peer_ec);
  std::shared_ptr<Connection> conn;
  if (!peer_ec) {
    const Endpoint remote = from_asio(peer);
    std::lock_guard lock(mu);
    auto& count = per_address[remote];
    if (flows.size() < options.max_connections && count < options.max_connections_per_address) {
      ++count;
      const FlowId id = next_id++;
      conn = std::make_shared<Connection>(shared_from_this(), id, true, std::move(socket), remote);
      flows.emplace(id, conn);
      inbound_by_remote[remote] = id;
    } else if (count == 0) {
      per_address.erase(remote);
    }
  }
  if (conn) {
    conn->start_inbound();
  } else {
    std::error_code ignored;
    socket.close(ignored);  // over a limit, or already gone
  }
  accept();
}

std::shared_ptr<Connection> StreamTransport::Impl::new_outgoing(const Endpoint& to, std::string server_name) {
  const FlowId id = next_id++;
  auto conn = std::make_shared<Connection>(shared_from_this(), id, false, tcp::socket(loop.context()), to);
  if (!conn->set_server_name(server_name)) return nullptr;
  flows.emplace(id, conn);
  outgoing_by_remote[to] = id;
  return conn;
}

void StreamTransport::Impl::forget(const Connection& c) {
  std::lock_guard lock(mu);
  flows.erase(c.id());
  auto& by_remote = c.inbound() ? inbound_by_remote : outgoing_by_remote;
  if (auto it = by_remote.find(c.remote()); it != by_remote.end() && it->second == c.id()) by_remote.erase(it);
  if (c.inbound()) {
    if (auto it = per_address.find(c.remote()); it != per_address.end() && --it->second == 0) per_address.erase(it);
  }
}

void StreamTransport::Impl::shutdown() {
  closing = true;
  std::error_code ignored;
  acceptor.close(ignored);
  accept_retry.cancel();
  std::vector<std::shared_ptr<Connection>> all;
  {
    std::lock_guard lock(mu);
    for (auto& [id, conn] : flows) all.push_back(conn);
  }
  for (auto& conn : all) conn->close(TransportErrc::LocalClose);
}

base::Result<std::unique_ptr<StreamTransport>> StreamTransport::open(EventLoop& loop, runtime::TransportSink& sink,
                                                                     StreamOptions options) {
  auto impl = std::make_shared<Impl>(loop, sink, std::move(options));
  const auto& o = impl->options;
  if (o.tls) {
    if (o.listen) {
      auto server = make_tls_context(*o.tls, TlsRole::Server);
      if (!server) return server.error();
      impl->server_tls = std::move(*server);
    }
    auto client = make_tls_context(*o.tls, TlsRole::Client);
    if (!client) return client.error();
    impl->client_tls = std::move(*client);
  }
  impl->local = o.bind;
  if (o.listen) {
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
    asio::post(loop.context(), [impl] { if (!impl->closing) impl->accept(); });
  }
  return std::unique_ptr<StreamTransport>(new StreamTransport(std::move(impl)));
}

StreamTransport::~StreamTransport() {
  impl_->loop.run_sync([impl = impl_] { impl->shutdown(); });
}

runtime::TransportKind StreamTransport::kind() const noexcept { return impl_->kind; }

Endpoint StreamTransport::local_endpoint() const noexcept { return impl_->local; }

base::Result<FlowId> StreamTransport::send(const Endpoint& to, std::string bytes) {
  if (bytes.size() > impl_->options.limits.max_message_bytes) return TransportErrc::MessageTooLarge;
  std::shared_ptr<Connection> conn;
  bool fresh = false;
  {
    std::lock_guard lock(impl_->mu);
    std::optional<FlowId> open;
    if (auto it = impl_->outgoing_by_remote.find(to); it != impl_->outgoing_by_remote.end()) {
      open = it->second;
    } else if (auto in = impl_->inbound_by_remote.find(to);
               impl_->options.reuse_inbound && in != impl_->inbound_by_remote.end()) {
      open = in->second;
    }
    if (open) {
      conn = impl_->flows.at(*open);
    } else {
      if (impl_->flows.size() >= impl_->options.max_connections) return TransportErrc::ConnectionLimit;
      conn = impl_->new_outgoing(to, {});
      if (!conn) return base::Errc::Crypto;
      fresh = true;
    }
  }
  const FlowId id = conn->id();
  asio::post(impl_->loop.context(), [conn = std::move(conn), fresh, bytes = std::move(bytes)]() mutable {
    if (fresh) conn->start_outbound();
    conn->enqueue(std::move(bytes));
  });
  return id;
}

base::Result<void> StreamTransport::send(FlowId flow, std::string bytes) {
  if (bytes.size() > impl_->options.limits.max_message_bytes) return TransportErrc::MessageTooLarge;
  std::shared_ptr<Connection> conn;
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->flows.find(flow);
    if (it == impl_->flows.end()) return TransportErrc::UnknownFlow;
    conn = it->second;
  }
  asio::post(impl_->loop.context(),
             [conn = std::move(conn), bytes = std::move(bytes)]() mutable { conn->enqueue(std::move(bytes)); });
  return {};
}

base::Result<FlowId> StreamTransport::connect(const Endpoint& to, std::string server_name) {
  std::shared_ptr<Connection> conn;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->flows.size() >= impl_->options.max_connections) return TransportErrc::ConnectionLimit;
    conn = impl_->new_outgoing(to, std::move(server_name));
    if (!conn) return base::Errc::InvalidArgument;
  }
  const FlowId id = conn->id();
  asio::post(impl_->loop.context(), [conn = std::move(conn)] { conn->start_outbound(); });
  return id;
}

void StreamTransport::close(FlowId flow) {
  std::shared_ptr<Connection> conn;
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->flows.find(flow);
    if (it == impl_->flows.end()) return;
    conn = it->second;
  }
  asio::post(impl_->loop.context(), [conn = std::move(conn)] { conn->close(TransportErrc::LocalClose); });
}

std::optional<runtime::Endpoint> StreamTransport::flow_local_endpoint(runtime::FlowId flow) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->flows.find(flow);
  if (it == impl_->flows.end() || it->second->local().port() == 0) return std::nullopt;
  return it->second->local();
}

std::size_t StreamTransport::connection_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->flows.size();
}

}  // namespace warden::io
