// register_bench: what one authenticated registration costs warden's proxy in user space,
// through the whole Proxy::on_message path but without sockets: the REGISTER, its 401, the
// REGISTER with digest credentials and the 200 after the group commit to SQLite (a WAL
// database in a temporary folder, as `warden proxy` keeps it).
//
// It offers what proxy_vs_kamailio.sh's `reg` load offers, on a simulated clock: 10,000
// accounts cycled, 2,000 registrations a second from four source addresses (the clock moves
// 500 us per registration, so the group commit gathers about ten, and transactions leave the
// table 32 s after their answer). Before timing, 70,000 registrations (35 s of simulated time)
// bring the transaction table, the user cache and the store to their steady state.
//
// Only the proxy's work is timed (manual time around the two deliveries and the clock's
// advance); the client's side (reading the nonce, computing the digest) is not. Printed: ns per
// registration, heap allocations per registration (alloc_counter.cpp, proxy side only), and
// what the proxy sent. Not a test: it fails only when the proxy does not answer as expected.
//
//   build/release/bench/register_bench
//   build/release/bench/register_bench --benchmark_repetitions=5

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include <benchmark/benchmark.h>

#include "alloc_counter.hpp"
#include "base/error.hpp"
#include "base/log.hpp"
#include "crypto/csprng.hpp"
#include "proxy/proxy.hpp"
#include "runtime/manual_loop.hpp"
#include "sip/auth/digest.hpp"
#include "store/sqlite_store.hpp"

namespace warden::bench {
namespace {

namespace auth = sip::auth;
using runtime::Endpoint;
using runtime::TransportKind;

constexpr const char* kDomain = "bench.test";
constexpr int kAccounts = 10000;
constexpr int kSources = 4;
constexpr auto kStep = std::chrono::microseconds(500);  // 2,000 registrations a second

// Keeps the last message sent and counts the rest.
class LastSent final : public runtime::Transport {
 public:
  TransportKind kind() const noexcept override { return TransportKind::Udp; }
  Endpoint local_endpoint() const noexcept override { return Endpoint::loopback_v4(5060); }
  base::Result<runtime::FlowId> send(const Endpoint&, std::string bytes) override {
    if (bytes.compare(0, 12, "SIP/2.0 200 ") == 0) ++ok;
    else if (bytes.compare(0, 12, "SIP/2.0 401 ") == 0) ++challenges;
    else ++other;
    last = std::move(bytes);
    return runtime::kNoFlow;
  }
  base::Result<void> send(runtime::FlowId, std::string) override { return base::Errc::InvalidArgument; }
  base::Result<runtime::FlowId> connect(const Endpoint&, std::string) override { return base::Errc::InvalidArgument; }
  void close(runtime::FlowId) override {}
  std::string last;
  std::uint64_t ok = 0, challenges = 0, other = 0;
};

struct Account {
  std::string name;
  std::string ha1;
};

class Rig {
 public:
  Rig() {
    dir_ = std::filesystem::temp_directory_path() /
           ("warden-register-bench-" + std::to_string(static_cast<long>(::getpid())));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto opened = store::SqliteStore::open((dir_ / "warden.db").string());
    if (!opened) {
      std::fprintf(stderr, "register_bench: cannot open a store in %s\n", dir_.c_str());
      std::exit(1);
    }
    store_ = std::move(*opened);
    for (int i = 0; i < kAccounts; ++i) {
      store::User u;
      u.username = "user" + std::to_string(i);
      u.domain = kDomain;
      u.ha1_md5 = auth::compute_ha1(auth::Algorithm::Md5, u.username, kDomain, "secret");
      if (!store_->add_user(u)) {
        std::fprintf(stderr, "register_bench: cannot add %s\n", u.username.c_str());
        std::exit(1);
      }
      accounts_.push_back({u.username, u.ha1_md5});
    }
    clock_.set(base::TimePoint(std::chrono::hours(1)));
    proxy::ProxyConfig cfg;
    cfg.domains = {kDomain};
    cfg.algorithms = {auth::Algorithm::Md5};  // what SIPp answers in proxy_vs_kamailio.sh
    cfg.max_transactions_per_source = 65536;
    proxy_ = std::make_unique<proxy::Proxy>(cfg, loop_, clock_, *store_, rng_, base::Logger{});
    proxy_->add_transport(udp_);
    if (!proxy_->start()) {
      std::fprintf(stderr, "register_bench: the proxy does not start\n");
      std::exit(1);
    }
    for (int s = 0; s < kSources; ++s)
      sources_.push_back(*Endpoint::parse("127.0.0." + std::to_string(11 + s) + ":5070"));
  }
  ~Rig() {
    proxy_.reset();
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // One registration; the time the proxy spent on it is added to `spent`. False when the
  // proxy did not challenge as expected.
  bool register_once(std::chrono::nanoseconds& spent, std::uint64_t& allocs) {
    const std::uint64_t n = next_++;
    const Account& a = accounts_[n % accounts_.size()];
    const Endpoint& from = sources_[n % sources_.size()];
    const std::string call_id = std::to_string(n) + "-reg@127.0.0.1";
    const std::string first = request(a, from, call_id, n, 1, {});

    auto t0 = std::chrono::steady_clock::now();
    std::uint64_t a0 = allocations();
    deliver(from, first);
    allocs += allocations() - a0;
    spent += std::chrono::steady_clock::now() - t0;

    const std::string& challenge = udp_.last;
    if (challenge.compare(0, 12, "SIP/2.0 401 ") != 0) return false;
    const auto at = challenge.find("nonce=\"");
    if (at == std::string::npos) return false;
    const auto end = challenge.find('"', at + 7);
    const std::string nonce = challenge.substr(at + 7, end - at - 7);
    const std::string uri = std::string("sip:") + kDomain;
    auth::DigestInput in;
    in.method = "REGISTER";
    in.uri = uri;
    in.nonce = nonce;
    in.nc = "00000001";
    in.cnonce = "6b8b4567";
    in.qop = "auth";
    const std::string response = auth::compute_response(auth::Algorithm::Md5, a.ha1, in);
    const std::string credentials = "Authorization: Digest username=\"" + a.name + "\",realm=\"" + kDomain +
                                    "\",cnonce=\"6b8b4567\",nc=00000001,qop=auth,uri=\"" + uri + "\",nonce=\"" +
                                    nonce + "\",response=\"" + response + "\",algorithm=MD5\r\n";
    const std::string second = request(a, from, call_id, n, 2, credentials);

    t0 = std::chrono::steady_clock::now();
    a0 = allocations();
    deliver(from, second);
    loop_.advance(kStep);  // the group commit, every 5 ms; transactions ending after 32 s
    allocs += allocations() - a0;
    spent += std::chrono::steady_clock::now() - t0;
    return true;
  }

  const LastSent& sent() const { return udp_; }
  std::uint64_t done() const { return next_; }

 private:
  std::string request(const Account& a, const Endpoint& from, const std::string& call_id, std::uint64_t n, int cseq,
                      const std::string& credentials) const {
    const std::string host = from.to_string();
    std::string r = std::string("REGISTER sip:") + kDomain + " SIP/2.0\r\n";
    r += "Via: SIP/2.0/UDP " + host + ";branch=z9hG4bK-" + std::to_string(n) + "-" + std::to_string(cseq) + ";rport\r\n";
    r += "Max-Forwards: 70\r\n";
    r += "From: <sip:" + a.name + "@" + kDomain + ">;tag=" + std::to_string(n) + "r1\r\n";
    r += "To: <sip:" + a.name + "@" + kDomain + ">\r\n";
    r += "Call-ID: " + call_id + "\r\n";
    r += "CSeq: " + std::to_string(cseq) + " REGISTER\r\n";
    r += "Contact: <sip:" + a.name + "@127.0.0.1:9>\r\n";
    r += credentials;
    r += "Expires: 3600\r\nUser-Agent: warden-interop-sipp\r\nContent-Length: 0\r\n\r\n";
    return r;
  }
  void deliver(const Endpoint& from, const std::string& bytes) {
    runtime::InboundMessage in;
    in.kind = TransportKind::Udp;
    in.local = Endpoint::loopback_v4(5060);
    in.remote = from;
    in.bytes = bytes;
    proxy_->on_message(in);
  }

  std::filesystem::path dir_;
  base::ManualClock clock_{base::WallTime(std::chrono::seconds(1'800'000'000))};
  runtime::ManualLoop loop_{clock_};
  crypto::Csprng rng_;
  std::unique_ptr<store::SqliteStore> store_;
  LastSent udp_;
  std::unique_ptr<proxy::Proxy> proxy_;
  std::vector<Account> accounts_;
  std::vector<Endpoint> sources_;
  std::uint64_t next_ = 0;
};

// REGISTER_BENCH_WARMUP and REGISTER_BENCH_REGS change the counts (e.g. smaller under
// valgrind --tool=callgrind, whose instruction counts do not move with the machine's load).
long from_env(const char* name, long fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return (end != nullptr && *end == '\0' && n >= 0) ? n : fallback;
}

void BM_register(benchmark::State& state) {
  Rig rig;
  std::chrono::nanoseconds ignored{};
  std::uint64_t ignored_allocs = 0;
  const long warmup = from_env("REGISTER_BENCH_WARMUP", 70000);
  for (long i = 0; i < warmup; ++i) {
    if (!rig.register_once(ignored, ignored_allocs)) {
      state.SkipWithError("the proxy did not challenge a REGISTER during the warm-up");
      return;
    }
  }
  const std::uint64_t ok0 = rig.sent().ok, other0 = rig.sent().other;
  std::uint64_t allocs = 0, n = 0;
  for (auto _ : state) {
    std::chrono::nanoseconds spent{};
    if (!rig.register_once(spent, allocs)) {
      state.SkipWithError("the proxy did not challenge a REGISTER");
      return;
    }
    ++n;
    state.SetIterationTime(std::chrono::duration<double>(spent).count());
  }
  const std::uint64_t ok = rig.sent().ok - ok0;
  // The last group commit of the run may still be waiting for its window.
  if (ok + 16 < n || rig.sent().other != other0) {
    state.SkipWithError("registrations were refused or left unanswered");
    return;
  }
  state.counters["allocs/reg"] = benchmark::Counter(static_cast<double>(allocs) / static_cast<double>(n));
  state.counters["200/reg"] = benchmark::Counter(static_cast<double>(ok) / static_cast<double>(n));
}

BENCHMARK(BM_register)
    ->Name("register/md5")
    ->UseManualTime()
    ->Iterations(from_env("REGISTER_BENCH_REGS", 100000))
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace warden::bench

BENCHMARK_MAIN();
