#include "io/udp_transport.hpp"

#include <sys/socket.h>

#include <asio/ip/udp.hpp>
#include <asio/post.hpp>
#include <vector>

#include "base/error.hpp"
#include "io/asio_endpoint.hpp"

namespace warden::io {

using asio::ip::udp;
using runtime::Endpoint;
using runtime::FlowId;
using runtime::TransportErrc;

struct UdpTransport::Impl : std::enable_shared_from_this<Impl> {
  Impl(EventLoop& l, runtime::TransportSink& s, const UdpOptions& o)
      : loop(l), sink(s), options(o), socket(l.context()), buffer(o.max_datagram_bytes + 1) {}

  void receive() {
    socket.async_receive_from(asio::buffer(buffer), sender,
                              [self = shared_from_this()](const std::error_code& ec, std::size_t n) {
                                self->on_receive(ec, n);
                              });
  }

  void on_receive(const std::error_code& ec, std::size_t n) {
    if (closing || ec == asio::error::operation_aborted) return;
    if (!ec && n > 0 && n <= options.max_datagram_bytes && !only_line_breaks(n)) {
      runtime::InboundMessage msg;
      msg.kind = runtime::TransportKind::Udp;
      msg.local = local;
      msg.remote = from_asio(sender);
      msg.bytes = std::string_view(buffer.data(), n);
      sink.on_message(msg);
    }
    // A receive error on an unconnected socket (e.g. an ICMP report) concerns one datagram only.
    if (!closing) receive();
  }

  bool only_line_breaks(std::size_t n) const noexcept {
    for (std::size_t i = 0; i < n; ++i) {
      if (buffer[i] != '\r' && buffer[i] != '\n') return false;
    }
    return true;
  }

  void shutdown() {
    closing = true;
    std::error_code ignored;
    socket.close(ignored);
  }

  EventLoop& loop;
  runtime::TransportSink& sink;
  UdpOptions options;
  udp::socket socket;
  std::vector<char> buffer;
  udp::endpoint sender;
  Endpoint local;
  bool closing = false;  // loop thread only
};

base::Result<std::unique_ptr<UdpTransport>> UdpTransport::open(EventLoop& loop, runtime::TransportSink& sink,
                                                               const UdpOptions& options) {
  auto impl = std::make_shared<Impl>(loop, sink, options);
  const auto bind_to = to_asio<udp::endpoint>(options.bind);
  std::error_code ec;
  impl->socket.open(bind_to.protocol(), ec);
  if (ec) return ec;
  if (options.reuse_port) {
    impl->socket.set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true), ec);
    if (ec) return ec;
  }
  if (options.receive_buffer_bytes > 0) {
    impl->socket.set_option(udp::socket::receive_buffer_size(options.receive_buffer_bytes), ec);
    if (ec) return ec;
  }
  impl->socket.bind(bind_to, ec);
  if (ec) return ec;
  const auto bound = impl->socket.local_endpoint(ec);
  if (ec) return ec;
  impl->local = from_asio(bound);
  asio::post(loop.context(), [impl] { if (!impl->closing) impl->receive(); });
  return std::unique_ptr<UdpTransport>(new UdpTransport(std::move(impl)));
}

UdpTransport::~UdpTransport() {
  impl_->loop.run_sync([impl = impl_] { impl->shutdown(); });
}

Endpoint UdpTransport::local_endpoint() const noexcept { return impl_->local; }

base::Result<FlowId> UdpTransport::send(const Endpoint& to, std::string bytes) {
  if (bytes.size() > impl_->options.max_datagram_bytes) return TransportErrc::MessageTooLarge;
  if (to.family() != impl_->local.family()) return base::Errc::InvalidArgument;
  if (impl_->loop.in_loop_thread()) {
    if (impl_->closing) return TransportErrc::LocalClose;
    std::error_code ec;
    impl_->socket.send_to(asio::buffer(bytes), to_asio<udp::endpoint>(to), 0, ec);
    if (ec) return ec;
    return runtime::kNoFlow;
  }
  asio::post(impl_->loop.context(), [impl = impl_, to, bytes = std::move(bytes)] {
    if (impl->closing) return;
    std::error_code ignored;
    impl->socket.send_to(asio::buffer(bytes), to_asio<udp::endpoint>(to), 0, ignored);
  });
  return runtime::kNoFlow;
}

base::Result<void> UdpTransport::send(FlowId /*flow*/, std::string /*bytes*/) {
  return TransportErrc::NotSupported;
}

base::Result<FlowId> UdpTransport::connect(const Endpoint& /*to*/, std::string /*server_name*/) {
  return TransportErrc::NotSupported;
}

}  // namespace warden::io
