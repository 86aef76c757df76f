#pragma once
// MediaRelay: the media relay port. The proxy uses it to put itself in the media path of a call
// when the caller asks for privacy (RFC 3323 §4.2 "session": the callee must not learn the
// caller's IP address from the session description) and, later, to carry media of NAT'd phones.
// io::UdpMediaRelay implements it on Asio; tests of the proxy can implement it with a table.
//
// One session relays one media line (one SDP m= section) between two parties:
//
//     caller  <-->  side A sockets [relay] side B sockets  <-->  callee
//
// open() allocates, on each side, an even RTP port and (unless rtcp-mux only) the RTCP port
// above it (RFC 3550 §11). A datagram that arrives on side A's RTP socket leaves from side B's
// RTP socket to B's RTP peer, and the other way round; likewise for the RTCP sockets. Payload is
// never read or changed, so SRTP, DTLS-SRTP (the fingerprints stay valid) and ICE connectivity
// checks pass end to end.
//
// Latching (symmetric RTP, RFC 4961 / RFC 7362 §4): the peer of a socket is the source of the
// first datagram it receives; until then it is the address from the SDP (set_peer()). Once a
// socket has latched, datagrams from any other source are dropped and counted, so a third party
// cannot take the stream over. set_peer() with a different address (a re-INVITE that moved the
// party) forgets the latch of that side, which then latches again on its next datagram.
//
// Sessions with no relayed datagram for the idle timeout are closed and reported to the
// MediaRelaySink (io::UdpMediaRelayOptions says how long, and bounds sessions and ports).
//
// Thread-safety: an implementation documents its own; io::UdpMediaRelay is called, and calls
// its sink, on its event-loop thread only (the proxy's loop).
// Errors (MediaRelayErrc): UnknownSession, SessionLimit, PortsExhausted, AddressFamily; the sink
// gets IdleTimeout or SetupTimeout as the reason of a close the relay decided. An implementation
// may also return an OS error.

#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>

#include "base/result.hpp"
#include "runtime/endpoint.hpp"

namespace warden::runtime {

enum class MediaRelayErrc {
  Ok = 0,
  UnknownSession,  // the id was never opened, or is closed (explicitly or by a timeout)
  SessionLimit,    // the configured number of sessions is open
  PortsExhausted,  // no free even/odd port pair left in the configured range
  AddressFamily,   // a peer of the other IP family than the relay's sockets
  IdleTimeout,     // close reason: no datagram relayed for the idle timeout after the first
  SetupTimeout,    // close reason: no datagram at all since open() for the setup timeout
};
std::string_view describe(MediaRelayErrc e) noexcept;
const std::error_category& media_relay_category() noexcept;
inline std::error_code make_error_code(MediaRelayErrc e) noexcept {
  return {static_cast<int>(e), media_relay_category()};
}

using RelaySessionId = std::uint64_t;  // never 0; never reused by one relay

// Side A faces the party that sent the offer (the caller for an INVITE with SDP); side B faces
// the party that answers (the callee).
enum class RelaySide : std::uint8_t { A, B };
std::string_view to_string(RelaySide s) noexcept;  // "A", "B"
inline RelaySide other(RelaySide s) noexcept { return s == RelaySide::A ? RelaySide::B : RelaySide::A; }

// What open() needs to know about the media line.
struct RelayOpenOptions {
  // False when both parties use rtcp-mux only (RFC 8858 a=rtcp-mux-only): no RTCP sockets.
  // With plain a=rtcp-mux offered, keep the RTCP ports: the answer may still refuse mux.
  bool rtcp = true;
};

// The local addresses of one side, to announce in the SDP sent to that side's party: side A's
// in the SDP the caller receives (the answer), side B's in the SDP the callee receives (the offer).
struct RelaySideEndpoints {
  Endpoint rtp;                 // even port
  std::optional<Endpoint> rtcp; // rtp port + 1; nullopt for rtcp-mux only
};

struct RelayAllocation {
  RelaySessionId id = 0;
  RelaySideEndpoints a;
  RelaySideEndpoints b;
};

// Counters of one side. "Received" counts what arrived on this side's sockets from its peer
// (and was relayed to the other side); "sent" what left this side's sockets to its peer.
struct RelaySideStats {
  std::uint64_t packets_received = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t packets_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t dropped_foreign = 0;   // from a source other than the latched peer
  std::uint64_t dropped_no_peer = 0;   // to be sent here, but this side has no peer yet
  std::uint64_t dropped_too_large = 0; // over the relay's datagram limit (never truncated)
  std::uint64_t send_errors = 0;       // the OS refused the send (buffer full, ICMP error)
  std::optional<Endpoint> latched_rtp;   // set once the RTP socket has latched
  std::optional<Endpoint> latched_rtcp;  // set once the RTCP socket has latched
};

struct RelaySessionStats {
  RelaySideStats a;
  RelaySideStats b;
};

// Receives the sessions the relay closed on its own (timeouts). Not called for close().
class MediaRelaySink {
 public:
  virtual ~MediaRelaySink() = default;
  virtual void on_session_closed(RelaySessionId id, std::error_code why) = 0;
};

class MediaRelay {
 public:
  virtual ~MediaRelay() = default;

  // Allocates the four (two with rtcp-mux only) local sockets of a new session.
  // Errors: SessionLimit, PortsExhausted.
  virtual base::Result<RelayAllocation> open(const RelayOpenOptions& options = {}) = 0;
  // Where `side` sends until it latches: the address and port of that party's m= line (and of
  // its RTCP, a=rtcp or port + 1 when nullopt). An unspecified address or port 0 (0.0.0.0 or
  // ::, a held stream, or an ICE offer's "c=IN IP4 0.0.0.0") means "unknown": nothing is sent
  // to that side until it latches. Errors: UnknownSession, AddressFamily.
  virtual base::Result<void> set_peer(RelaySessionId id, RelaySide side, const Endpoint& rtp,
                                      std::optional<Endpoint> rtcp = std::nullopt) = 0;
  // Closes the session and frees its ports at once. Unknown ids are ignored.
  virtual void close(RelaySessionId id) = 0;
  // Errors: UnknownSession.
  virtual base::Result<RelaySessionStats> stats(RelaySessionId id) const = 0;
  virtual std::size_t session_count() const noexcept = 0;
  // The sink for closes decided by the relay (nullptr: nobody is told). Must outlive the relay
  // or be reset before it goes.
  virtual void set_sink(MediaRelaySink* sink) noexcept = 0;
};

}  // namespace warden::runtime

template <>
struct std::is_error_code_enum<warden::runtime::MediaRelayErrc> : std::true_type {};
