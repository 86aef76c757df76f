#pragma once
// io::StreamTransport: SIP over TCP, or over TLS when StreamOptions::tls is set (RFC 3261
// §18, §26.3.1). It listens (optional) and connects; every connection is a flow with its own
// sip::msg::StreamFramer (Server role for accepted connections, Client for outgoing ones),
// and every framed message is delivered whole.
//
// What a peer cannot do to it:
// - hold a connection open without traffic: closed after `idle_timeout` (IdleTimeout);
// - dribble a message (slow loris) or stall a connect/TLS handshake: a message must complete
//   within `incomplete_message_timeout` of its first byte (IncompleteMessageTimeout);
// - break framing: any StreamFramer error closes the connection (FramingError);
// - open too many connections: `max_connections` in all, `max_connections_per_address`
//   accepted ones per source IP address (the excess is closed at once, unannounced);
// - stop reading: more than `max_send_queue_bytes` queued closes the flow (SendQueueFull).
// A peer that half-closes (sends FIN after its last request) still gets its answers: the
// connection stops reading, writes what is queued, and stays open for writing until
// `half_closed_linger` has passed without activity (TLS: until what is queued is written), then
// closes. The linger is short because a FIN cannot be told from a full close, and the flow
// counts against the per-address limit until then. A FIN in the middle of a message closes at
// once.
// A double-CRLF "ping" is answered with a CRLF "pong" (RFC 5626 §3.5.1); pongs are absorbed.
// Outgoing connections are reused by send(to) for the same Endpoint (RFC 3261 §18.1.1);
// with `reuse_inbound`, accepted ones are too (RFC 5923-style connection reuse).
//
// Thread-safety and errors: as runtime::Transport. open() returns the OS error when it cannot
// listen, and make_tls_context()'s errors. send() refuses MessageTooLarge (over
// Limits::Sip::max_message_bytes) and ConnectionLimit synchronously.

#include <memory>
#include <optional>

#include "base/clock.hpp"
#include "base/limits.hpp"
#include "base/result.hpp"
#include "io/event_loop.hpp"
#include "io/tls_context.hpp"
#include "runtime/transport.hpp"

namespace warden::io {

struct StreamOptions {
  runtime::Endpoint bind = runtime::Endpoint::loopback_v4(0);  // port 0: the OS chooses
  bool listen = true;  // false: outgoing connections only
  base::Duration idle_timeout = std::chrono::seconds(300);               // 0: none
  base::Duration incomplete_message_timeout = std::chrono::seconds(10);  // 0: none
  base::Duration half_closed_linger = std::chrono::seconds(2);  // 0: close at the FIN
  std::size_t max_connections = 4096;
  std::size_t max_connections_per_address = 32;
  std::size_t max_send_queue_bytes = 4 * 1024 * 1024;
  bool reuse_inbound = false;
  base::Limits::Sip limits{};
  std::optional<TlsOptions> tls;  // set: this is a TLS transport
};

class StreamTransport final : public runtime::Transport {
 public:
  static base::Result<std::unique_ptr<StreamTransport>> open(EventLoop& loop, runtime::TransportSink& sink,
                                                             StreamOptions options = {});
  ~StreamTransport() override;  // closes every connection; the sink is not called afterwards

  runtime::TransportKind kind() const noexcept override;
  runtime::Endpoint local_endpoint() const noexcept override;
  base::Result<runtime::FlowId> send(const runtime::Endpoint& to, std::string bytes) override;
  base::Result<void> send(runtime::FlowId flow, std::string bytes) override;
  base::Result<runtime::FlowId> connect(const runtime::Endpoint& to, std::string server_name) override;
  void close(runtime::FlowId flow) override;

  std::size_t connection_count() const;
  // Our side of an open connection (the port the OS gave it): what a UA that does not listen
  // puts in its Contact, so a proxy that reuses connections (reuse_inbound, RFC 5923) finds
  // this flow again. Known once on_flow_open was called; call it on the loop thread.
  std::optional<runtime::Endpoint> flow_local_endpoint(runtime::FlowId flow) const;  // open flows, for tests and metrics

  struct Impl;

 private:
  explicit StreamTransport(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace warden::io
