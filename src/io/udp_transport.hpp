#pragma once
// io::UdpTransport: SIP over UDP (RFC 3261 §18) on one bound socket. Each datagram is one
// message; it is delivered with its source address and port, which the upper layer puts in
// Via `received`/`rport` (RFC 3581 §4) and sends the response back to (§4: symmetric response
// routing; send() uses this same socket, so the response leaves from the port the request
// reached). Datagrams made only of CR/LF (keep-alives) are dropped.
//
// With `reuse_port`, several UdpTransports (one per EventLoop thread) can bind the same address
// and port; the kernel spreads datagrams between them by source (SO_REUSEPORT).
//
// Thread-safety and errors: as runtime::Transport. open() returns the OS error when the socket
// cannot be bound. send() returns MessageTooLarge over `max_datagram_bytes`, InvalidArgument for
// a destination of the other address family; on the loop thread it sends at once and returns
// the OS error, elsewhere it posts the send and errors are dropped. send_batched() gathers
// responses and sends them together (sendmmsg) at the end of each received batch.
//
// Under load (UdpOptions::read_coalesce) the socket is read by timer rather than woken for
// each datagram: on a busy server most of the CPU a datagram costs is the wake-up, not the
// reading.

#include <chrono>
#include <memory>

#include "base/result.hpp"
#include "io/event_loop.hpp"
#include "runtime/transport.hpp"

namespace warden::io {

struct UdpOptions {
  runtime::Endpoint bind = runtime::Endpoint::loopback_v4(0);  // port 0: the OS chooses
  bool reuse_port = false;                                      // SO_REUSEPORT
  std::size_t max_datagram_bytes = 65507;                       // larger datagrams are dropped
  int receive_buffer_bytes = 0;                                 // SO_RCVBUF when > 0
  // Interrupt moderation. 0: every datagram that reaches an empty socket wakes the loop. Above 0:
  // once the loop is woken twice within this time, the socket is read every read_coalesce from
  // a timer instead (a datagram then waits up to this long, and one wake-up serves all that came
  // meanwhile), until two such reads in a row find nothing. A read that finds more than 64
  // datagrams brings the next one forward in proportion (a flood must not fill the buffer).
  std::chrono::microseconds read_coalesce{0};
};

class UdpTransport final : public runtime::Transport {
 public:
  static base::Result<std::unique_ptr<UdpTransport>> open(EventLoop& loop, runtime::TransportSink& sink,
                                                          const UdpOptions& options = {});
  ~UdpTransport() override;  // closes the socket; the sink is not called afterwards

  runtime::TransportKind kind() const noexcept override { return runtime::TransportKind::Udp; }
  runtime::Endpoint local_endpoint() const noexcept override;
  base::Result<runtime::FlowId> send(const runtime::Endpoint& to, std::string bytes) override;
  base::Result<void> send(runtime::FlowId flow, std::string bytes) override;
  // On the loop thread: held until the batch of received datagrams being delivered has been
  // handled (or until the loop's current task is done), then sent with the others in one
  // sendmmsg(). Elsewhere: as send(), errors dropped.
  void send_batched(const runtime::Endpoint& to, std::string bytes) override;
  base::Result<runtime::FlowId> connect(const runtime::Endpoint& to, std::string server_name) override;
  void close(runtime::FlowId /*flow*/) override {}

  // Whether the socket is read by timer now (read_coalesce). Loop thread only; for tests.
  bool reading_by_timer() const noexcept;

  struct Impl;

 private:
  explicit UdpTransport(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace warden::io
