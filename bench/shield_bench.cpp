// shield_bench: what a flood costs warden per packet, through the whole Proxy::on_message path
// (no sockets: the packets are handed to the proxy as a transport would), against the cost of
// a request the proxy parses and answers.
//
//   answered/options        an OPTIONS for the proxy from an unknown source: admission, parse,
//                           sanity, transaction, inspection, 200 (the baseline)
//   answered/invite_407     an INVITE for a local user from a stranger: challenged with one 407
//   dropped/banned          a packet from a banned source: dropped before parsing
//   dropped/over_rate       a packet from a source over its rate: dropped before parsing
//   dropped/many_sources    a flood from 1,048,576 distinct addresses in 4,096 /24 networks that
//                           are over their rate (every source new to the tables, evicting)
//   admit/known_source      Shield::admit alone for one source under its rate
// After the runs a table gives ns per packet and the ratio answered/options ÷ each, i.e. how many
// dropped packets cost what one answered request costs. Not a test: it prints figures.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "base/error.hpp"
#include "base/log.hpp"
#include "crypto/csprng.hpp"
#include "proxy/proxy.hpp"
#include "store/sqlite_store.hpp"
#include "summary_reporter.hpp"

namespace warden::bench {
namespace {

using runtime::Endpoint;
using runtime::TransportKind;

// Timers are never due in these runs: the loop only keeps them.
class IdleLoop final : public runtime::EventLoop {
 public:
  explicit IdleLoop(const base::Clock& c) : clock_(c) {}
  struct Control final : runtime::TimerControl {
    void cancel() noexcept override {}
  };
  void post(runtime::Task t) override { t(); }
  runtime::TimerHandle arm(base::TimePoint, runtime::Task) override {
    return runtime::TimerHandle(std::make_shared<Control>());
  }
  base::TimePoint now() const noexcept override { return clock_.now(); }
  bool in_loop_thread() const noexcept override { return true; }

 private:
  const base::Clock& clock_;
};

// Counts what the proxy sends and throws it away.
class SinkTransport final : public runtime::Transport {
 public:
  TransportKind kind() const noexcept override { return TransportKind::Udp; }
  Endpoint local_endpoint() const noexcept override { return Endpoint::loopback_v4(5060); }
  base::Result<runtime::FlowId> send(const Endpoint&, std::string bytes) override {
    ++sent;
    bytes_sent += bytes.size();
    return runtime::kNoFlow;
  }
  base::Result<void> send(runtime::FlowId, std::string) override { return base::Errc::InvalidArgument; }
  base::Result<runtime::FlowId> connect(const Endpoint&, std::string) override { return base::Errc::InvalidArgument; }
  void close(runtime::FlowId) override {}
  std::uint64_t sent = 0;
  std::uint64_t bytes_sent = 0;
};

struct Rig {
  base::ManualClock clock{base::WallTime(std::chrono::seconds(1'800'000'000))};
  IdleLoop loop{clock};
  crypto::Csprng rng;
  std::unique_ptr<store::SqliteStore> store;
  SinkTransport udp;
  std::unique_ptr<proxy::Proxy> proxy;

  explicit Rig(const proxy::ProxyConfig& cfg) {
    auto opened = store::SqliteStore::open(":memory:");
    if (!opened) {
      std::fprintf(stderr, "shield_bench: cannot open an in-memory store\n");
      std::exit(1);
    }
    store = std::move(*opened);
    clock.set(base::TimePoint(std::chrono::hours(1)));
    proxy = std::make_unique<proxy::Proxy>(cfg, loop, clock, *store, rng, base::Logger{});
    proxy->add_transport(udp);
    (void)proxy->start();
  }
  void deliver(const Endpoint& from, std::string_view bytes) {
    runtime::InboundMessage in;
    in.kind = TransportKind::Udp;
    in.local = Endpoint::loopback_v4(5060);
    in.remote = from;
    in.bytes = bytes;
    proxy->on_message(in);
  }
};

proxy::ProxyConfig config() {
  proxy::ProxyConfig c;
  c.domains = {"example.test"};
  // Large enough that the baseline measures the work, not the gates.
  c.shield.admission.per_source = {1e9, 1e9};
  c.shield.admission.per_network = {1e9, 1e9};
  c.shield.admission.capacity = 1e12;
  c.shield.admission.capacity_burst = 1e12;
  c.shield.scan.max_distinct_users = 0;
  c.shield.scan.max_sequential = 0;
  return c;
}

std::string request(const std::string& method, const std::string& ruri, const std::string& branch) {
  return method + " " + ruri + " SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bK" + branch + ";rport\r\n"
         "Max-Forwards: 70\r\n"
         "From: <sip:flood@elsewhere.test>;tag=8a7b3c\r\n"
         "To: <" + ruri + ">\r\n"
         "Call-ID: " + branch + "@198.51.100.7\r\n"
         "CSeq: 1 " + method + "\r\n"
         "Contact: <sip:flood@198.51.100.7:5062>\r\n"
         "User-Agent: load\r\n"
         "Content-Length: 0\r\n\r\n";
}

// Distinct branches so that every request opens a new transaction, prepared before timing.
std::vector<std::string> requests(const std::string& method, const std::string& ruri, std::size_t n) {
  std::vector<std::string> v;
  v.reserve(n);
  for (std::size_t i = 0; i < n; ++i) v.push_back(request(method, ruri, "-b" + std::to_string(i)));
  return v;
}

void answered(benchmark::State& state, const std::string& method, const std::string& ruri) {
  Rig rig(config());
  const auto msgs = requests(method, ruri, 1 << 16);
  const Endpoint from = *Endpoint::parse("198.51.100.7:5062");
  std::size_t i = 0;
  for (auto _ : state) {
    rig.deliver(from, msgs[i++ & (msgs.size() - 1)]);
    // Transactions linger for their retransmission timers; the idle loop never fires them, so
    // the table is renewed now and then to keep it at a realistic size (not timed).
    if ((i & 0xffff) == 0) {
      state.PauseTiming();
      rig.proxy.reset();
      rig.proxy = std::make_unique<proxy::Proxy>(config(), rig.loop, rig.clock, *rig.store, rig.rng, base::Logger{});
      rig.proxy->add_transport(rig.udp);
      (void)rig.proxy->start();
      state.ResumeTiming();
    }
  }
  state.counters["sent/pkt"] = benchmark::Counter(static_cast<double>(rig.udp.sent) / static_cast<double>(i));
}

void BM_answered_options(benchmark::State& state) { answered(state, "OPTIONS", "sip:example.test"); }
void BM_answered_invite_407(benchmark::State& state) { answered(state, "INVITE", "sip:bob@example.test"); }

void BM_dropped_banned(benchmark::State& state) {
  Rig rig(config());
  const Endpoint from = *Endpoint::parse("203.0.113.9:5060");
  rig.proxy->shield()->ban(*shield::Address::parse("203.0.113.9"), "bench", rig.clock.now());
  const std::string msg = request("INVITE", "sip:bob@example.test", "-banned");
  for (auto _ : state) rig.deliver(from, msg);
  if (rig.udp.sent != 0) state.SkipWithError("a banned source got an answer");
}

void BM_dropped_over_rate(benchmark::State& state) {
  proxy::ProxyConfig cfg = config();
  cfg.shield.admission.per_source = {100, 200};  // the default
  Rig rig(cfg);
  const Endpoint from = *Endpoint::parse("203.0.113.10:5060");
  const std::string msg = request("INVITE", "sip:bob@example.test", "-rate");
  for (int i = 0; i < 300; ++i) rig.deliver(from, msg);  // past the burst (not timed)
  const std::uint64_t before = rig.udp.sent;
  for (auto _ : state) rig.deliver(from, msg);  // the manual clock stands still: no refill
  if (rig.udp.sent != before) state.SkipWithError("a source over its rate got an answer");
}

void BM_dropped_many_sources(benchmark::State& state) {
  proxy::ProxyConfig cfg = config();
  cfg.shield.admission.per_source = {100, 200};
  cfg.shield.admission.per_network = {5, 10};  // small, so that filling them is quick
  Rig rig(cfg);
  const std::string msg = request("INVITE", "sip:bob@example.test", "-many");
  // Fill every /24 of 10.0.0.0/8 that the loop will use past its network rate (not timed).
  for (std::uint32_t net = 0; net < 4096; ++net) {
    const Endpoint e = *Endpoint::parse("10." + std::to_string(net >> 8) + "." + std::to_string(net & 255) + ".1:5060");
    for (int k = 0; k < 12; ++k) rig.deliver(e, msg);
  }
  std::uint32_t n = 0;
  std::vector<Endpoint> sources;
  sources.reserve(1 << 20);
  for (std::uint32_t k = 0; k < (1u << 20); ++k) {
    const std::uint32_t net = k & 4095, host = 2 + (k >> 12);
    sources.push_back(*Endpoint::parse("10." + std::to_string(net >> 8) + "." + std::to_string(net & 255) + "." +
                                       std::to_string(host & 255) + ":5060"));
  }
  const std::uint64_t before = rig.udp.sent;
  for (auto _ : state) rig.deliver(sources[n++ & ((1u << 20) - 1)], msg);
  state.counters["answered/pkt"] =
      benchmark::Counter(static_cast<double>(rig.udp.sent - before) / static_cast<double>(n ? n : 1));
}

void BM_admit_known_source(benchmark::State& state) {
  shield::ShieldConfig cfg;
  cfg.admission.per_source = {1e9, 1e9};
  cfg.admission.per_network = {1e9, 1e9};
  cfg.admission.capacity = 1e12;
  cfg.admission.capacity_burst = 1e12;
  shield::Shield sh(cfg);
  const auto a = *shield::Address::parse("198.51.100.7");
  base::TimePoint t{};
  for (auto _ : state) {
    t += std::chrono::microseconds(1);
    benchmark::DoNotOptimize(sh.admit(a, t));
  }
}

BENCHMARK(BM_answered_options)->Name("answered/options");
BENCHMARK(BM_answered_invite_407)->Name("answered/invite_407");
BENCHMARK(BM_dropped_banned)->Name("dropped/banned");
BENCHMARK(BM_dropped_over_rate)->Name("dropped/over_rate");
BENCHMARK(BM_dropped_many_sources)->Name("dropped/many_sources");
BENCHMARK(BM_admit_known_source)->Name("admit/known_source");

}  // namespace
}  // namespace warden::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  warden::bench::SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  const auto base = reporter.result("answered/options");
  std::printf("\n%-24s %12s %22s\n", "path", "ns/packet", "packets per OPTIONS");
  for (const char* name : {"answered/options", "answered/invite_407", "dropped/banned", "dropped/over_rate",
                           "dropped/many_sources", "admit/known_source"}) {
    const auto r = reporter.result(name);
    if (!r) continue;
    if (base)
      std::printf("%-24s %12.0f %22.1f\n", name, r->cpu_ns, base->cpu_ns / r->cpu_ns);
    else
      std::printf("%-24s %12.0f %22s\n", name, r->cpu_ns, "-");
  }
  if (base) {
    std::printf("\nOne core drops about %.1f million packets a second from banned or flooding sources,\n"
                "and answers about %.0f thousand OPTIONS a second (without socket costs).\n",
                1e3 / std::max(1.0, reporter.result("dropped/banned") ? reporter.result("dropped/banned")->cpu_ns : 1e9),
                1e6 / base->cpu_ns);
  }
  benchmark::Shutdown();
  return 0;
}
