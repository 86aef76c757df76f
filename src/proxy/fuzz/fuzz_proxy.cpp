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
#include "sip/auth/digest.hpp"
#include "sip/msg/parser.hpp"
#include "store/sqlite_store.hpp"

namespace {

using namespace warden;

class Loop final : public runtime::EventLoop {
 public:
  explicit Loop(base::ManualClock& c) : clock_(c) {}
  struct Control final : runtime::TimerControl {
    bool cancelled = false;
    void cancel() noexcept override { cancelled = true; }
  };
  void post(runtime::Task t) override { t(); }
  runtime::TimerHandle arm(base::TimePoint at, runtime::Task t) override {
    auto c = std::make_shared<Control>();
    timers_.emplace(at, std::make_pair(c, std::move(t)));
    return runtime::TimerHandle(c);
  }
  base::TimePoint now() const noexcept override { return clock_.now(); }
  bool in_loop_thread() const noexcept override { return true; }
  void advance(base::Duration d) {
    const base::TimePoint end = clock_.now() + d;
    while (!timers_.empty() && timers_.begin()->first <= end) {
      auto node = timers_.extract(timers_.begin());
      if (node.key() > clock_.now()) clock_.set(node.key());
      if (!node.mapped().first->cancelled) node.mapped().second();
    }
    clock_.set(end);
  }

 private:
  base::ManualClock& clock_;
  std::multimap<base::TimePoint, std::pair<std::shared_ptr<Control>, runtime::Task>> timers_;
};

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
    proxy::ProxyConfig cfg;
    cfg.domains = {"example.test"};
    proxy = std::make_unique<proxy::Proxy>(cfg, loop, clock, *store, rng, base::Logger{});
    proxy->add_transport(udp);
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
