#include "io/udp_transport.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include <asio/ip/udp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <vector>

#include "base/error.hpp"
#include "io/asio_endpoint.hpp"

namespace warden::io {

using asio::ip::udp;
using runtime::Endpoint;
using runtime::FlowId;
using runtime::TransportErrc;

struct UdpTransport::Impl : std::enable_shared_from_this<Impl> {
  // Datagrams are read with recvmmsg(): up to kBatch per system call, until the socket is empty
  // or kPerWakeup have been handled (then the loop's other work gets its turn). Under load one
  // wake-up of the loop serves every datagram queued meanwhile instead of one.
  static constexpr unsigned kBatch = 8;
  static constexpr unsigned kPerWakeup = 64;

  Impl(EventLoop& l, runtime::TransportSink& s, const UdpOptions& o)
      : loop(l), sink(s), options(o), socket(l.context()), pace_timer(l.context()) {
    for (auto& b : buffers) b.resize(o.max_datagram_bytes + 1);
  }

  // How the loop learns that datagrams wait (UdpOptions::read_coalesce):
  //  - readiness: `socket` registers `fd` with the loop's reactor, and a datagram reaching an
  //    empty socket wakes the loop;
  //  - paced: under load the descriptor is taken out of the reactor (socket.release(), so an
  //    arriving datagram wakes nobody) and read every read_coalesce from a timer. Once
  //    kIdleReadsToStop paced reads in a row find nothing it is registered again.
  // The descriptor `fd` stays open in both; every send and receive uses it.
  static constexpr unsigned kIdleReadsToStop = 2;

  void receive() {
    socket.async_wait(udp::socket::wait_read,
                      [self = shared_from_this()](const std::error_code& ec) { self->on_readable(ec); });
  }

  // The loop's reactor is edge-triggered: wait again only once the socket is empty. After a full
  // budget the rest is read from a posted task, behind whatever else the loop has to do.
  void on_readable(const std::error_code& ec) {
    if (closing || ec == asio::error::operation_aborted) return;
    if (!ec && drain()) {
      asio::post(loop.context(), [self = shared_from_this()] { self->on_readable({}); });
      return;
    }
    if (closing) return;
    // A wake-up sooner than read_coalesce after the previous one: the datagrams come faster
    // than one per interval, and reading them by timer costs fewer wake-ups.
    const auto now = std::chrono::steady_clock::now();
    const bool busy = options.read_coalesce.count() > 0 && now - last_wakeup < options.read_coalesce;
    last_wakeup = now;
    if (busy && start_pacing()) return;
    receive();
  }

  bool start_pacing() {
    std::error_code ec;
    (void)socket.release(ec);  // the reactor forgets the descriptor; `fd` stays open
    if (ec) return false;
    paced = true;
    idle_reads = 0;
    read_count = 0;
    arm_pace();
    return true;
  }

  // The next timed read, read_coalesce after this one; sooner when this one found more than
  // kPerWakeup datagrams, so that a flood does not fill the socket's buffer between two reads
  // (the kernel would then drop good datagrams with the bad).
  void arm_pace() {
    auto wait = options.read_coalesce;
    if (read_count > kPerWakeup) wait = wait * kPerWakeup / read_count;
    pace_timer.expires_after(wait);
    pace_timer.async_wait([self = shared_from_this()](const std::error_code& ec) {
      if (!ec) {
        self->read_count = 0;
        self->on_pace();
      }
    });
  }

  // One timed read: until the socket is empty, a budget at a time (read_count adds up).
  void on_pace() {
    if (closing) return;
    if (drain()) {
      asio::post(loop.context(), [self = shared_from_this()] { self->on_pace(); });
      return;
    }
    if (closing) return;
    idle_reads = read_count == 0 ? idle_reads + 1 : 0;
    if (idle_reads < kIdleReadsToStop) {
      arm_pace();
      return;
    }
    std::error_code ec;
    socket.assign(protocol, fd, ec);  // a datagram queued meanwhile makes it ready at once
    if (ec) {
      arm_pace();  // the reactor refused the descriptor: go on reading by timer
      return;
    }
    paced = false;
    last_wakeup = std::chrono::steady_clock::now();
    receive();
  }

  // True when the budget ran out before the socket was empty.
  bool drain() {
    std::array<mmsghdr, kBatch> headers{};
    std::array<iovec, kBatch> iov{};
    for (unsigned handled = 0; handled < kPerWakeup && !closing;) {
      for (unsigned i = 0; i < kBatch; ++i) {
        iov[i] = {buffers[i].data(), buffers[i].size()};
        headers[i] = {};
        headers[i].msg_hdr.msg_name = senders[i].data();
        headers[i].msg_hdr.msg_namelen = static_cast<socklen_t>(senders[i].capacity());
        headers[i].msg_hdr.msg_iov = &iov[i];
        headers[i].msg_hdr.msg_iovlen = 1;
      }
      const int n = ::recvmmsg(fd, headers.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (n < 0 && errno == EINTR) continue;
      // EAGAIN: the socket is empty. Another error concerns one datagram (an unconnected socket
      // reports nothing else): the rest is read later, since no new edge may come for it.
      if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK && !closing;
      if (n == 0) return false;
      delivering = true;
      for (int i = 0; i < n && !closing; ++i) {
        const std::size_t len = headers[i].msg_len;
        if ((headers[i].msg_hdr.msg_flags & MSG_TRUNC) != 0 || len == 0 || len > options.max_datagram_bytes ||
            only_line_breaks(buffers[i], len))
          continue;
        senders[i].resize(headers[i].msg_hdr.msg_namelen);
        runtime::InboundMessage msg;
        msg.kind = runtime::TransportKind::Udp;
        msg.local = local;
        msg.remote = from_asio(senders[i]);
        msg.bytes = std::string_view(buffers[i].data(), len);
        sink.on_message(msg);
      }
      delivering = false;
      send_gathered();  // the answers to this batch leave before the next batch is read
      handled += static_cast<unsigned>(n);
      read_count += static_cast<unsigned>(n);
      if (static_cast<unsigned>(n) < kBatch) return false;  // the socket is empty
    }
    return !closing;
  }

  // Loop thread. Held while a batch is delivered (drain sends it) or until the posted task
  // runs after the loop's current work; sent at once when kGather are waiting.
  void gather(const Endpoint& to, std::string bytes) {
    if (closing || bytes.size() > options.max_datagram_bytes || to.family() != local.family()) return;
    gathered.push_back(Outgoing{to_asio<udp::endpoint>(to), std::move(bytes)});
    if (gathered.size() >= kGather) {
      send_gathered();
    } else if (!delivering && !send_posted) {
      send_posted = true;
      asio::post(loop.context(), [self = shared_from_this()] {
        self->send_posted = false;
        self->send_gathered();
      });
    }
  }

  // sendmmsg() for everything gathered. A datagram the OS refuses is dropped; a
  // full socket buffer is waited for once, up to kFullWaitMs, then the rest are dropped.
  void send_gathered() {
    if (gathered.empty()) return;
    std::array<mmsghdr, kGather> headers{};
    std::array<iovec, kGather> iov{};
    const std::size_t n = gathered.size();
    for (std::size_t i = 0; i < n; ++i) {
      iov[i] = {gathered[i].bytes.data(), gathered[i].bytes.size()};
      headers[i].msg_hdr.msg_name = gathered[i].to.data();
      headers[i].msg_hdr.msg_namelen = static_cast<socklen_t>(gathered[i].to.size());
      headers[i].msg_hdr.msg_iov = &iov[i];
      headers[i].msg_hdr.msg_iovlen = 1;
    }
    for (std::size_t sent = 0; sent < n && fd >= 0;) {
      const int r = ::sendmmsg(fd, headers.data() + sent, static_cast<unsigned>(n - sent), 0);
      if (r > 0) {
        sent += static_cast<std::size_t>(r);
        continue;
      }
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd p{fd, POLLOUT, 0};
        if (::poll(&p, 1, kFullWaitMs) > 0) continue;
        break;  // the buffer stayed full: the rest are dropped, the loop waits no longer
      }
      ++sent;  // this datagram is refused and dropped: the rest still go
    }
    gathered.clear();
  }

  static bool only_line_breaks(const std::vector<char>& buffer, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) {
      if (buffer[i] != '\r' && buffer[i] != '\n') return false;
    }
    return true;
  }
  void shutdown() {
    send_gathered();
    closing = true;
    std::error_code ignored;
    pace_timer.cancel();
    if (paced) {
      ::close(fd);
      paced = false;
    } else {
      socket.close(ignored);
    }
    fd = -1;
  }

  EventLoop& loop;
  runtime::TransportSink& sink;
  UdpOptions options;
  udp::socket socket;  // registers `fd` with the reactor while not paced
  udp protocol = udp::v4();
  int fd = -1;  // the socket's descriptor, open until shutdown()
  bool closing = false;  // loop thread only
  // Paced reading (loop thread only).
  bool paced = false;
  unsigned idle_reads = 0;  // paced reads in a row that found nothing
  unsigned read_count = 0;  // datagrams read by the current timed read
  std::chrono::steady_clock::time_point last_wakeup{};
  asio::steady_timer pace_timer;
  std::array<std::vector<char>, kBatch> buffers;
  std::array<udp::endpoint, kBatch> senders;
  Endpoint local;

  // What send_batched() holds until the end of the current batch (loop thread only).
  static constexpr std::size_t kGather = 64;
  static constexpr int kFullWaitMs = 1000;
  struct Outgoing {
    udp::endpoint to;
    std::string bytes;
  };
  std::vector<Outgoing> gathered;
  bool delivering = false;   // inside drain(), between recvmmsg() and send_gathered()
  bool send_posted = false;  // a task to send what is gathered is queued
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
  impl->protocol = bind_to.protocol();
  impl->fd = impl->socket.native_handle();
  asio::post(loop.context(), [impl] { if (!impl->closing) impl->receive(); });
  return std::unique_ptr<UdpTransport>(new UdpTransport(std::move(impl)));
}

UdpTransport::~UdpTransport() {
  impl_->loop.run_sync([impl = impl_] { impl->shutdown(); });
}

Endpoint UdpTransport::local_endpoint() const noexcept { return impl_->local; }

bool UdpTransport::reading_by_timer() const noexcept { return impl_->paced; }

base::Result<FlowId> UdpTransport::send(const Endpoint& to, std::string bytes) {
  if (bytes.size() > impl_->options.max_datagram_bytes) return TransportErrc::MessageTooLarge;
  if (to.family() != impl_->local.family()) return base::Errc::InvalidArgument;
  if (impl_->loop.in_loop_thread()) {
    if (impl_->closing) return TransportErrc::LocalClose;
    const auto dest = to_asio<udp::endpoint>(to);
    if (::sendto(impl_->fd, bytes.data(), bytes.size(), 0, dest.data(), static_cast<socklen_t>(dest.size())) < 0)
      return std::error_code(errno, std::system_category());
    return runtime::kNoFlow;
  }
  asio::post(impl_->loop.context(), [impl = impl_, to, bytes = std::move(bytes)] {
    if (impl->closing) return;
    const auto dest = to_asio<udp::endpoint>(to);
    (void)::sendto(impl->fd, bytes.data(), bytes.size(), 0, dest.data(), static_cast<socklen_t>(dest.size()));
  });
  return runtime::kNoFlow;
}

void UdpTransport::send_batched(const Endpoint& to, std::string bytes) {
  if (!impl_->loop.in_loop_thread()) {
    (void)send(to, std::move(bytes));
    return;
  }
  impl_->gather(to, std::move(bytes));
}

base::Result<void> UdpTransport::send(FlowId /*flow*/, std::string /*bytes*/) {
  return TransportErrc::NotSupported;
}

base::Result<FlowId> UdpTransport::connect(const Endpoint& /*to*/, std::string /*server_name*/) {
  return TransportErrc::NotSupported;
}

}  // namespace warden::io
