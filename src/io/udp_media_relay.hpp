#pragma once
// io::UdpMediaRelay: runtime::MediaRelay on Asio UDP sockets. Each session binds, on each side,
// an even RTP port and the RTCP port above it (RFC 3550 §11) inside the configured range; the
// pair is chosen at a random place in the range (CSPRNG) so that a stranger cannot guess the
// next session's ports and latch before the party does. Ports in use by other programs are
// skipped. Datagrams are read without copying into one buffer of the relay and sent on at once
// from the other side's socket, never changed, never truncated (a datagram over
// `max_datagram_bytes` is dropped and counted).
//
// Timeouts: a session that has relayed nothing for `idle_timeout` since its last datagram is
// closed, as is one that carried nothing at all within `setup_timeout` of open() (a ringing
// call, or a proxy that forgot to close it); both are reported to the MediaRelaySink. Only
// datagrams accepted from a peer count as activity, not those dropped from strangers.
//
// Thread-safety: open(), set_peer(), close(), stats(), session_count() and set_sink() must be
// called on the loop thread (or before the loop runs): the proxy calls them from its handlers.
// The sink is called on the loop thread. The destructor may be called from any thread: it
// closes every session on the loop thread (run_sync) and tells nobody.
// Errors: create() returns base::Errc::InvalidArgument for an empty or inverted port range, a
// range without one even/odd pair, no sessions allowed, a zero idle timeout, or a wildcard bind
// address without an `advertised` address, and the OS error if a socket cannot be opened.
// open() returns SessionLimit, PortsExhausted, or the OS error of a bind that failed for a
// reason other than "address in use" (e.g. an address that is not local). Others as
// runtime::MediaRelay.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "io/event_loop.hpp"
#include "runtime/media_relay.hpp"

namespace warden::io {

struct UdpMediaRelayOptions {
  // The local address the sockets bind to (its port is ignored). A wildcard (0.0.0.0, ::)
  // needs `advertised`.
  runtime::Endpoint bind = runtime::Endpoint::loopback_v4(0);
  // The address to put in SDP when it is not `bind` (a relay behind a 1:1 NAT, or bound to the
  // wildcard). Its port is ignored. Same family as `bind`.
  std::optional<runtime::Endpoint> advertised;
  std::uint16_t port_min = 40000;  // inclusive
  std::uint16_t port_max = 49999;  // inclusive
  std::size_t max_sessions = 2000;
  base::Duration idle_timeout = std::chrono::seconds(60);
  base::Duration setup_timeout = std::chrono::minutes(5);  // zero: no limit before the first datagram
  std::size_t max_datagram_bytes = 4096;  // larger datagrams are dropped (RTP stays under the MTU)
};

class UdpMediaRelay final : public runtime::MediaRelay {
 public:
  static base::Result<std::unique_ptr<UdpMediaRelay>> create(EventLoop& loop,
                                                             const UdpMediaRelayOptions& options = {});
  ~UdpMediaRelay() override;
  UdpMediaRelay(const UdpMediaRelay&) = delete;
  UdpMediaRelay& operator=(const UdpMediaRelay&) = delete;

  base::Result<runtime::RelayAllocation> open(const runtime::RelayOpenOptions& options = {}) override;
  base::Result<void> set_peer(runtime::RelaySessionId id, runtime::RelaySide side, const runtime::Endpoint& rtp,
                              std::optional<runtime::Endpoint> rtcp = std::nullopt) override;
  void close(runtime::RelaySessionId id) override;
  base::Result<runtime::RelaySessionStats> stats(runtime::RelaySessionId id) const override;
  std::size_t session_count() const noexcept override;
  void set_sink(runtime::MediaRelaySink* sink) noexcept override;

  struct Impl;

 private:
  explicit UdpMediaRelay(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace warden::io
