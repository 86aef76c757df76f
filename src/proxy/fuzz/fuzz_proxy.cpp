// libFuzzer target: the whole proxy role on untrusted datagrams. Each input is cut at "\0\0\0"
// into up to 8 datagrams, delivered from two sources with the clock moving 1 s between them
// (so transaction timers, Timer C and the group commit run too). Nothing may crash, hang or
// grow without bound; what the proxy sends is parsed back and must be a well-formed message.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "crypto/csprng.hpp"
#include "proxy/proxy.hpp"
#include "runtime/manual_loop.hpp"
#include "shield/address.hpp"
#include "sip/auth/digest.hpp"
#include "sip/msg/parser.hpp"
#include "store/sqlite_store.hpp"

namespace {

using namespace warden;

// A media relay that only counts: sessions opened must be closed again as calls end.
class CountingRelay final : public runtime::MediaRelay {
 public:
  base::Result<runtime::RelayAllocation> open(const runtime::RelayOpenOptions&) override {
    if (open_ > 4096) __builtin_trap();  // sessions pile up: a leak
    runtime::RelayAllocation a;
    a.id = ++next_;
    a.a.rtp = *runtime::Endpoint::parse("192.0.2.200:40000");
    a.b.rtp = *runtime::Endpoint::parse("192.0.2.200:40002");
    ++open_;
    return a;
  }
  base::Result<void> set_peer(runtime::RelaySessionId, runtime::RelaySide, const runtime::Endpoint&,
                              std::optional<runtime::Endpoint>) override {
    return {};
  }
  void close(runtime::RelaySessionId) override { --open_; }
  base::Result<runtime::RelaySessionStats> stats(runtime::RelaySessionId) const override {
    return runtime::RelaySessionStats{};
  }
  std::size_t session_count() const noexcept override { return open_; }
  void set_sink(runtime::MediaRelaySink*) noexcept override {}

 private:
  runtime::RelaySessionId next_ = 0;
  std::size_t open_ = 0;
};

using Loop = runtime::ManualLoop;

// Checks everything the proxy sends, then forgets it.
class CheckingTransport final : public runtime::Transport {
 public:
  runtime::TransportKind kind() const noexcept override { return runtime::TransportKind::Udp; }
  runtime::Endpoint local_endpoint() const noexcept override { return runtime::Endpoint::loopback_v4(5060); }
  base::Result<runtime::FlowId> send(const runtime::Endpoint&, std::string bytes) override {
    sip::msg::Message m;
    if (!sip::msg::parse_message(bytes, m, base::Limits::Sip{}, sip::msg::Framing::Datagram).accepted())
      __builtin_trap();  // the proxy produced something it would itself refuse
    return runtime::kNoFlow;
  }
  base::Result<void> send(runtime::FlowId, std::string) override { return base::Errc::InvalidArgument; }
  base::Result<runtime::FlowId> connect(const runtime::Endpoint&, std::string) override {
    return base::Errc::InvalidArgument;
  }
  void close(runtime::FlowId) override {}
};

struct World {
  base::ManualClock clock{base::WallTime(std::chrono::seconds(1'800'000'000))};
  Loop loop{clock};
  crypto::Csprng rng;
  CheckingTransport udp;
  CountingRelay relay;
  std::unique_ptr<store::SqliteStore> store;
  std::unique_ptr<proxy::Proxy> proxy;

  World() {
    auto opened = store::SqliteStore::open(":memory:");
    if (!opened) __builtin_trap();
    store = std::move(*opened);
    store::User u;
    u.username = "alice";
    u.domain = "example.test";
    u.ha1_md5 = sip::auth::compute_ha1(sip::auth::Algorithm::Md5, "alice", "example.test", "secret");
    u.ha1_sha256 = sip::auth::compute_ha1(sip::auth::Algorithm::Sha256, "alice", "example.test", "secret");
    u.ha1_sha512_256 = sip::auth::compute_ha1(sip::auth::Algorithm::Sha512_256, "alice", "example.test", "secret");
    (void)store->add_user(u);
    // alice is registered and the first source is a peer, so calls reach a branch: the
    // privacy rules (topology hiding toward every hop) and the media relay run on what the
    // fuzzer sends.
    store::Binding b;
    b.aor = "sip:alice@example.test";
    b.contact = "sip:alice@192.0.2.9:5062";
    b.call_id = "fuzz-reg";
    b.cseq = 1;
    b.expires_at = 4'000'000'000;
    (void)store->put_binding(b);
    proxy::ProxyConfig cfg;
    cfg.domains = {"example.test"};
    cfg.peers = {*shield::Network::parse("192.0.2.1/32")};
    cfg.topology_hiding = true;
    proxy = std::make_unique<proxy::Proxy>(cfg, loop, clock, *store, rng, base::Logger{});
    proxy->add_transport(udp);
    proxy->use_media_relay(relay);
    (void)proxy->start();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World w;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const runtime::Endpoint sources[2] = {*runtime::Endpoint::parse("192.0.2.1:5060"),
                                        *runtime::Endpoint::parse("198.51.100.7:5070")};
  for (int i = 0; i < 8 && !rest.empty(); ++i) {
    const std::size_t cut = rest.find(std::string_view("\0\0\0", 3));
    const std::string datagram(rest.substr(0, cut));
    rest = cut == std::string_view::npos ? std::string_view{} : rest.substr(cut + 3);
    runtime::InboundMessage in;
    in.kind = runtime::TransportKind::Udp;
    in.local = runtime::Endpoint::loopback_v4(5060);
    in.remote = sources[i % 2];
    in.bytes = datagram;
    w.proxy->on_message(in);
    w.loop.advance(std::chrono::seconds(1));
  }
  // Let every transaction and Timer C run out now and then, so state cannot pile up.
  static unsigned runs = 0;
  if (++runs % 256 == 0) w.loop.advance(std::chrono::minutes(4));
  return 0;
}
