#pragma once
// Transport: a SIP transport (RFC 3261 §18) as the protocol roles see it. It sends bytes to an
// Endpoint or on a flow (one TCP/TLS connection), and hands every received message, already
// framed, to a TransportSink. Implementations: io::UdpTransport, io::StreamTransport (TCP, TLS).
//
// Flows: a FlowId names one connection of one transport (kNoFlow for UDP). Responses to a
// request that came on a flow should go back on that flow (RFC 3261 §18.2.2); on UDP they go
// to the source Endpoint of the request (RFC 3581 symmetric response routing).
//
// Thread-safety: send(), connect(), close() and local_endpoint() may be called from any
// thread. The sink is called on the transport's loop thread only, one call at a time, and
// never after the transport's destructor has returned.
// Errors: synchronous refusals come back as the Result (TransportErrc, or an OS error);
// failures after the call returned (connect refused, TLS verification failed, peer reset)
// come to TransportSink::on_flow_closed. A UDP datagram that the OS refuses after send()
// returned is dropped, as a lost datagram would be.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "base/result.hpp"
#include "runtime/endpoint.hpp"
#include "runtime/transport_errc.hpp"

namespace warden::runtime {

enum class TransportKind : std::uint8_t { Udp, Tcp, Tls };
std::string_view to_string(TransportKind k) noexcept;  // "UDP", "TCP", "TLS" (Via transport)
inline bool is_stream(TransportKind k) noexcept { return k != TransportKind::Udp; }

using FlowId = std::uint64_t;
inline constexpr FlowId kNoFlow = 0;

// One received SIP message: a whole datagram, or one frame cut from a stream.
struct InboundMessage {
  TransportKind kind = TransportKind::Udp;
  FlowId flow = kNoFlow;    // the connection it came on; kNoFlow for UDP
  Endpoint local;           // where it arrived
  Endpoint remote;          // its source as the socket saw it (RFC 3581 received / rport)
  std::string_view bytes;   // one complete message; valid only during the call
  // TLS only: who the peer proved to be (RFC 5922 §7.1): the DNS subjectAltNames, lower case
  // (the subject's CN when it has none), of the certificate the peer presented on this flow
  // and that verified against our trust anchors: on an accepted flow the client's certificate
  // (io::TlsOptions::request_client_certificate / require_client_certificate), on a flow we
  // opened the server's. Empty for UDP and TCP, for a TLS client without a certificate, and
  // when verification is off. Valid only during the call, like `bytes` (copy it to keep it).
  std::span<const std::string> peer_names;
};

// Receives what a transport delivers. Called on the transport's loop thread.
class TransportSink {
 public:
  virtual ~TransportSink() = default;
  virtual void on_message(const InboundMessage& msg) = 0;
  // A connection was accepted, or an outgoing one is established (TLS: after the handshake).
  virtual void on_flow_open(FlowId /*flow*/, const Endpoint& /*remote*/) {}
  // A connection is gone; `why` says why (TransportErrc, an OS error or a TLS error).
  virtual void on_flow_closed(FlowId /*flow*/, const Endpoint& /*remote*/, std::error_code /*why*/) {}
};

class Transport {
 public:
  virtual ~Transport() = default;

  virtual TransportKind kind() const noexcept = 0;
  // The bound address; with port 0 requested, the port the OS chose.
  virtual Endpoint local_endpoint() const noexcept = 0;

  // Sends one message to `to`. UDP: one datagram from the bound socket (so a response goes out
  // from the port the request came to), returns kNoFlow. TCP/TLS: on the open connection to
  // `to` if there is one (see StreamOptions::reuse_inbound), otherwise on a new connection;
  // returns the flow used. A TLS connection opened here verifies the peer's IP address: use
  // connect() to verify a host name.
  virtual base::Result<FlowId> send(const Endpoint& to, std::string bytes) = 0;
  // Sends on an open flow. UnknownFlow if it is closed; NotSupported on UDP.
  virtual base::Result<void> send(FlowId flow, std::string bytes) = 0;
  // Sends one message whose failure nobody needs to hear about (a response over UDP: RFC 3261
  // §17.2 has the client retransmit its request if the response is lost). A transport may
  // hold it for a moment to send it with others: UdpTransport gathers, on its loop thread, what
  // is sent while it delivers a batch of datagrams (or in one run of the loop's other work) and
  // sends them with one system call. Errors, including the synchronous refusals of send(), are
  // dropped as a lost datagram would be.
  virtual void send_batched(const Endpoint& to, std::string bytes) { (void)send(to, std::move(bytes)); }
  // Opens a connection to `to`; TLS verifies the certificate against `server_name` (a DNS
  // name, sent as SNI, or an IP literal). Messages sent before it is open are queued.
  virtual base::Result<FlowId> connect(const Endpoint& to, std::string server_name) = 0;
  // Closes a flow; on_flow_closed(LocalClose) follows. Unknown flows are ignored.
  virtual void close(FlowId flow) = 0;
};

}  // namespace warden::runtime
