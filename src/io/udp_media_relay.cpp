#include "io/udp_media_relay.hpp"

#include <algorithm>
#include <array>
#include <asio/ip/udp.hpp>
#include <unordered_map>
#include <vector>

#include "base/error.hpp"
#include "crypto/csprng.hpp"
#include "io/asio_endpoint.hpp"

namespace warden::io {

using asio::ip::udp;
using runtime::Endpoint;
using runtime::MediaRelayErrc;
using runtime::RelaySessionId;
using runtime::RelaySide;

namespace {

constexpr int kRtp = 0;
constexpr int kRtcp = 1;
// Datagrams read per readiness notification before the socket goes back to the loop, so one
// busy stream cannot starve the others.
constexpr int kBurst = 32;

bool is_unspecified(const Endpoint& e) noexcept {
  const auto b = e.address_bytes();
  return e.port() == 0 || std::all_of(b.begin(), b.end(), [](std::uint8_t x) { return x == 0; });
}

int index(RelaySide s) noexcept { return s == RelaySide::A ? 0 : 1; }

}  // namespace

// One session. Its sockets' handlers keep it alive with a shared_ptr; once `closed` is set they
// touch nothing else (the relay may be gone).
struct RelaySession : std::enable_shared_from_this<RelaySession> {
  struct Socket {
    explicit Socket(asio::io_context& ctx) : sock(ctx) {}
    udp::socket sock;
    Endpoint local;
    std::optional<Endpoint> sdp_peer;  // from set_peer(); nullopt or unspecified: unknown
    std::optional<Endpoint> latched;   // the source of the first datagram received
  };
  struct Side {
    std::array<std::unique_ptr<Socket>, 2> sockets;  // [kRtp], [kRtcp] (null for rtcp-mux only)
    runtime::RelaySideStats stats;
  };

  RelaySessionId id = 0;
  std::array<Side, 2> sides;
  bool closed = false;
  bool carried = false;  // a datagram has been relayed
  base::TimePoint last_activity{};
  runtime::TimerHandle timer;
};

struct UdpMediaRelay::Impl {
  Impl(EventLoop& l, const UdpMediaRelayOptions& o, Endpoint announce)
      : loop(l), options(o), advertised(announce), used(std::size_t{o.port_max} - o.port_min + 1, false),
        buffer(o.max_datagram_bytes + 1) {}

  // --- ports ---------------------------------------------------------------------------------

  bool port_free(std::uint32_t port) const noexcept { return !used[port - options.port_min]; }
  void mark(std::uint16_t port, bool in_use) noexcept { used[port - options.port_min] = in_use; }

  // Binds one socket to `port` on the bind address. Returns the OS error.
  std::error_code bind_one(RelaySession::Socket& s, std::uint16_t port) {
    std::error_code ec;
    const auto ep = to_asio<udp::endpoint>(options.bind.with_port(port));
    s.sock.open(ep.protocol(), ec);
    if (!ec) s.sock.bind(ep, ec);
    if (!ec) s.sock.non_blocking(true, ec);
    if (ec) {
      std::error_code ignored;
      s.sock.close(ignored);
      return ec;
    }
    s.local = advertised.with_port(port);
    return {};
  }

  // Allocates one side: an even RTP port and, with `rtcp`, the odd port above it.
  base::Result<RelaySession::Side> allocate_side(bool rtcp) {
    const std::uint32_t first_even = options.port_min + (options.port_min & 1u);
    const std::uint32_t last_needed = rtcp ? 1u : 0u;
    if (first_even + last_needed > options.port_max) return MediaRelayErrc::PortsExhausted;
    const std::uint32_t candidates = (options.port_max - last_needed - first_even) / 2 + 1;
    const auto start = static_cast<std::uint32_t>(rng.uniform(candidates));
    for (std::uint32_t i = 0; i < candidates; ++i) {
      const auto port = static_cast<std::uint16_t>(first_even + 2 * ((start + i) % candidates));
      if (!port_free(port) || (rtcp && !port_free(port + 1u))) continue;
      RelaySession::Side side;
      side.sockets[kRtp] = std::make_unique<RelaySession::Socket>(loop.context());
      std::error_code ec = bind_one(*side.sockets[kRtp], port);
      if (!ec && rtcp) {
        side.sockets[kRtcp] = std::make_unique<RelaySession::Socket>(loop.context());
        ec = bind_one(*side.sockets[kRtcp], static_cast<std::uint16_t>(port + 1));
        if (ec) {
          std::error_code ignored;
          side.sockets[kRtp]->sock.close(ignored);
        }
      }
      if (ec == asio::error::address_in_use || ec == asio::error::access_denied) continue;
      if (ec) return ec;
      mark(port, true);
      if (rtcp) mark(static_cast<std::uint16_t>(port + 1), true);
      return side;
    }
    return MediaRelayErrc::PortsExhausted;
  }

  void release_side(RelaySession::Side& side) {
    for (auto& s : side.sockets) {
      if (!s) continue;
      std::error_code ignored;
      s->sock.close(ignored);
      mark(s->local.port(), false);
    }
  }

  // --- receiving -----------------------------------------------------------------------------

  void wait(const std::shared_ptr<RelaySession>& session, int side, int kind) {
    auto& sock = session->sides[side].sockets[kind]->sock;
    sock.async_wait(udp::socket::wait_read, [this, session, side, kind](const std::error_code& ec) {
      if (session->closed || ec == asio::error::operation_aborted) return;
      drain(session, side, kind);
      if (!session->closed) wait(session, side, kind);
    });
  }

  void drain(const std::shared_ptr<RelaySession>& session, int side, int kind) {
    for (int n = 0; n < kBurst && !session->closed; ++n) {
      auto& in = *session->sides[side].sockets[kind];
      udp::endpoint sender;
      std::error_code ec;
      const std::size_t size = in.sock.receive_from(asio::buffer(buffer), sender, 0, ec);
      if (ec) return;  // would_block: drained; any other error concerns one datagram only
      relay(*session, side, kind, from_asio(sender), size);
    }
  }

  void relay(RelaySession& session, int side, int kind, const Endpoint& source, std::size_t size) {
    auto& from = session.sides[side];
    auto& in = *from.sockets[kind];
    if (size > options.max_datagram_bytes) {
      ++from.stats.dropped_too_large;
      return;
    }
    if (in.latched && *in.latched != source) {
      ++from.stats.dropped_foreign;
      return;
    }
    if (!in.latched) {
      in.latched = source;
      (kind == kRtp ? from.stats.latched_rtp : from.stats.latched_rtcp) = source;
    }
    ++from.stats.packets_received;
    from.stats.bytes_received += size;
    session.last_activity = loop.now();
    if (!session.carried) {
      session.carried = true;
      arm(session, session.last_activity + options.idle_timeout);
    }

    auto& to = session.sides[1 - side];
    auto& out = *to.sockets[kind];
    std::optional<Endpoint> dest = out.latched;
    if (!dest && out.sdp_peer && !is_unspecified(*out.sdp_peer)) dest = out.sdp_peer;
    if (!dest) {
      ++to.stats.dropped_no_peer;
      return;
    }
    std::error_code ec;
    out.sock.send_to(asio::buffer(buffer.data(), size), to_asio<udp::endpoint>(*dest), 0, ec);
    if (ec) {
      ++to.stats.send_errors;
      return;
    }
    ++to.stats.packets_sent;
    to.stats.bytes_sent += size;
  }

  // --- timeouts ------------------------------------------------------------------------------

  void arm(RelaySession& session, base::TimePoint at) {
    std::weak_ptr<RelaySession> weak = session.weak_from_this();
    session.timer = loop.arm(at, [this, weak] {
      auto s = weak.lock();
      if (s && !s->closed) expire(*s);
    });
  }

  void expire(RelaySession& session) {
    const base::TimePoint now = loop.now();
    if (!session.carried) {
      finish(session.id, MediaRelayErrc::SetupTimeout);
      return;
    }
    const base::TimePoint deadline = session.last_activity + options.idle_timeout;
    if (now >= deadline) {
      finish(session.id, MediaRelayErrc::IdleTimeout);
    } else {
      arm(session, deadline);  // traffic came since: look again when it could be idle
    }
  }

  void finish(RelaySessionId id, MediaRelayErrc why) {
    close(id);
    if (sink) sink->on_session_closed(id, why);
  }

  void close(RelaySessionId id) {
    auto it = sessions.find(id);
    if (it == sessions.end()) return;
    std::shared_ptr<RelaySession> session = std::move(it->second);
    sessions.erase(it);
    session->closed = true;
    session->timer.cancel();
    for (auto& side : session->sides) release_side(side);
  }

  RelaySession* find(RelaySessionId id) const {
    auto it = sessions.find(id);
    return it == sessions.end() ? nullptr : it->second.get();
  }

  EventLoop& loop;
  UdpMediaRelayOptions options;
  Endpoint advertised;  // address announced for every socket (port replaced)
  runtime::MediaRelaySink* sink = nullptr;
  std::unordered_map<RelaySessionId, std::shared_ptr<RelaySession>> sessions;
  std::vector<bool> used;     // port - port_min -> bound by one of our sessions
  std::vector<char> buffer;   // one more byte than the limit, to see datagrams over it
  RelaySessionId next_id = 1;
  crypto::Csprng rng;
};

base::Result<std::unique_ptr<UdpMediaRelay>> UdpMediaRelay::create(EventLoop& loop,
                                                                   const UdpMediaRelayOptions& options) {
  if (options.port_min == 0 || options.port_min > options.port_max || options.max_sessions == 0 ||
      options.idle_timeout <= base::Duration::zero() || options.setup_timeout < base::Duration::zero() ||
      options.max_datagram_bytes == 0 || options.max_datagram_bytes > 65535) {
    return base::Errc::InvalidArgument;
  }
  // One even RTP port with its RTCP port above must fit.
  const std::uint32_t first_even = options.port_min + (options.port_min & 1u);
  if (first_even + 1 > options.port_max) return base::Errc::InvalidArgument;
  Endpoint announce = options.advertised.value_or(options.bind);
  if (announce.family() != options.bind.family() || is_unspecified(announce.with_port(1))) {
    return base::Errc::InvalidArgument;
  }
  announce = announce.with_port(0);
  return std::unique_ptr<UdpMediaRelay>(new UdpMediaRelay(std::make_unique<Impl>(loop, options, announce)));
}

UdpMediaRelay::UdpMediaRelay(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

UdpMediaRelay::~UdpMediaRelay() {
  impl_->loop.run_sync([impl = impl_.get()] {
    std::vector<RelaySessionId> ids;
    ids.reserve(impl->sessions.size());
    for (const auto& [id, session] : impl->sessions) ids.push_back(id);
    for (RelaySessionId id : ids) impl->close(id);
  });
}

base::Result<runtime::RelayAllocation> UdpMediaRelay::open(const runtime::RelayOpenOptions& options) {
  Impl& r = *impl_;
  if (r.sessions.size() >= r.options.max_sessions) return MediaRelayErrc::SessionLimit;
  auto a = r.allocate_side(options.rtcp);
  if (!a) return a.error();
  auto b = r.allocate_side(options.rtcp);
  if (!b) {
    r.release_side(*a);
    return b.error();
  }
  auto session = std::make_shared<RelaySession>();
  session->id = r.next_id++;
  session->sides[0] = std::move(*a);
  session->sides[1] = std::move(*b);
  session->last_activity = r.loop.now();

  runtime::RelayAllocation out;
  out.id = session->id;
  auto describe_side = [](const RelaySession::Side& s) {
    runtime::RelaySideEndpoints e;
    e.rtp = s.sockets[kRtp]->local;
    if (s.sockets[kRtcp]) e.rtcp = s.sockets[kRtcp]->local;
    return e;
  };
  out.a = describe_side(session->sides[0]);
  out.b = describe_side(session->sides[1]);

  r.sessions.emplace(session->id, session);
  if (r.options.setup_timeout > base::Duration::zero()) r.arm(*session, session->last_activity + r.options.setup_timeout);
  for (int side = 0; side < 2; ++side) {
    for (int kind : {kRtp, kRtcp}) {
      if (session->sides[side].sockets[kind]) r.wait(session, side, kind);
    }
  }
  return out;
}

base::Result<void> UdpMediaRelay::set_peer(RelaySessionId id, RelaySide side, const Endpoint& rtp,
                                           std::optional<Endpoint> rtcp) {
  RelaySession* session = impl_->find(id);
  if (!session) return MediaRelayErrc::UnknownSession;
  if (!rtcp && rtp.port() != 0 && rtp.port() < 65535) rtcp = rtp.with_port(static_cast<std::uint16_t>(rtp.port() + 1));
  const auto family = impl_->options.bind.family();
  for (const auto& e : {std::optional<Endpoint>(rtp), rtcp}) {
    if (e && !is_unspecified(*e) && e->family() != family) return MediaRelayErrc::AddressFamily;
  }
  auto& s = session->sides[index(side)];
  auto update = [](RelaySession::Socket& sock, std::optional<Endpoint> peer) {
    // A party announced elsewhere than before has moved: let it latch again.
    if (sock.sdp_peer && sock.sdp_peer != peer) sock.latched.reset();
    sock.sdp_peer = peer;
  };
  update(*s.sockets[kRtp], rtp);
  if (!s.sockets[kRtp]->latched) s.stats.latched_rtp.reset();
  if (s.sockets[kRtcp]) {
    update(*s.sockets[kRtcp], rtcp);
    if (!s.sockets[kRtcp]->latched) s.stats.latched_rtcp.reset();
  }
  return {};
}

void UdpMediaRelay::close(RelaySessionId id) { impl_->close(id); }

base::Result<runtime::RelaySessionStats> UdpMediaRelay::stats(RelaySessionId id) const {
  const RelaySession* session = impl_->find(id);
  if (!session) return MediaRelayErrc::UnknownSession;
  return runtime::RelaySessionStats{session->sides[0].stats, session->sides[1].stats};
}

std::size_t UdpMediaRelay::session_count() const noexcept { return impl_->sessions.size(); }

void UdpMediaRelay::set_sink(runtime::MediaRelaySink* sink) noexcept { impl_->sink = sink; }

}  // namespace warden::io
