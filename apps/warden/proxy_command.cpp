#include "proxy_command.hpp"

#include <CLI/CLI.hpp>
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <iostream>
#include <memory>
#include <thread>

#include "base/clock.hpp"
#include "crypto/csprng.hpp"
#include "crypto/dev_pki.hpp"
#include "io/event_loop.hpp"
#include "io/stream_transport.hpp"
#include "io/udp_transport.hpp"
#include "logging.hpp"
#include "proxy/proxy.hpp"
#include "settings.hpp"
#include "sip/auth/digest.hpp"
#include "store/sqlite_store.hpp"

namespace warden::app {

namespace {

std::string_view scheme_of(runtime::TransportKind k) {
  switch (k) {
    case runtime::TransportKind::Udp: return "udp";
    case runtime::TransportKind::Tcp: return "tcp";
    case runtime::TransportKind::Tls: return "tls";
  }
  return "udp";
}

proxy::ProxyConfig proxy_config(const Settings& s) {
  proxy::ProxyConfig c;
  c.domains = s.domains.empty() ? std::vector<std::string>{"localhost"} : s.domains;
  c.registrar.min_expires = s.registrar.min_expires;
  c.registrar.max_expires = s.registrar.max_expires;
  c.registrar.default_expires = s.registrar.default_expires;
  c.registrar.max_contacts = s.registrar.max_contacts;
  c.algorithms.clear();
  for (const auto& name : s.auth.algorithms)
    if (auto a = sip::auth::algorithm_from_name(name)) c.algorithms.push_back(*a);
  c.nonce_lifetime = std::chrono::seconds(s.auth.nonce_lifetime);
  c.record_route = s.proxy.record_route;
  c.max_transactions_per_source = s.proxy.max_transactions_per_source;
  c.limits = s.limits;
  for (const auto& p : s.proxy.peers)
    if (auto n = shield::Network::parse(p)) c.peers.push_back(*n);  // checked when the settings were read
  c.allow_any_redirect = s.proxy.allow_any_redirect;
  const auto& sh = s.shield;
  c.shield_enabled = sh.enabled;
  for (const auto& a : sh.allow)
    if (auto n = shield::Network::parse(a)) c.shield.allow.push_back(*n);
  c.shield.admission.per_source = {static_cast<double>(sh.source_rate), 2.0 * sh.source_rate};
  c.shield.admission.per_trusted_source = {static_cast<double>(sh.trusted_rate), 2.0 * sh.trusted_rate};
  c.shield.admission.per_network = {static_cast<double>(sh.network_rate), 2.0 * sh.network_rate};
  c.shield.admission.capacity = sh.capacity;
  c.shield.admission.capacity_burst = sh.capacity;
  c.shield.brute_force.max_failures = sh.max_auth_failures;
  c.shield.brute_force.max_failures_per_account = sh.max_auth_failures_per_account;
  c.shield.bans.first = std::chrono::minutes(sh.ban_minutes);
  c.call_guard.max_concurrent_calls = sh.max_concurrent_calls;
  c.call_guard.max_attempts_per_minute = sh.max_call_attempts_per_minute;
  c.destinations.extra_blocked = sh.blocked_prefixes;
  c.destinations.allowed = sh.allowed_prefixes;
  c.destinations.block_international = sh.block_international;
  c.spit.threshold = sh.spit_threshold;
  c.spit.divert_to = sh.spit_divert_to;
  if (!sh.scanner_detection) {
    c.shield.scan.user_agents.clear();
    c.shield.scan.from_tag_fingerprints = false;
    c.shield.scan.max_distinct_users = 0;
    c.shield.scan.max_sequential = 0;
  }
  return c;
}

int run_proxy(const ProxyOptions& o) {
  Overrides ov;
  if (o.data_dir) ov.data_dir = *o.data_dir;
  ov.domains = o.domains;
  ov.listens = o.listens;
  ov.log_level = o.log_level;
  if (o.log_json) ov.log_json = true;
  std::string error;
  std::optional<std::filesystem::path> file;
  if (o.config) file = *o.config;
  auto loaded = load_settings(file, ov, error);
  if (!loaded) {
    std::cerr << "warden proxy: " << error << "\n";
    return 2;
  }
  const Settings s = std::move(*loaded);
  base::Logger log = make_logger(s.log.level, s.log.json);

  std::error_code ec;
  std::filesystem::create_directories(s.data_dir, ec);
  if (ec) {
    std::cerr << "warden proxy: cannot create data_dir " << s.data_dir << ": " << ec.message() << "\n";
    return 1;
  }
  auto store = store::SqliteStore::open((s.data_dir / "warden.db").string());
  if (!store) {
    std::cerr << "warden proxy: cannot open the store in " << s.data_dir << ": " << store.error().message() << "\n";
    return 1;
  }

  // TLS material: the operator's, or the development CA's in the data folder.
  std::optional<io::TlsOptions> tls;
  bool wants_tls = false;
  for (const auto& l : s.listens) wants_tls = wants_tls || l.kind == runtime::TransportKind::Tls;
  if (wants_tls) {
    io::TlsOptions t;
    t.require_client_certificate = s.tls.require_client_certificate;
    if (!s.tls.certificate_file.empty()) {
      t.certificate_file = s.tls.certificate_file;
      t.private_key_file = s.tls.private_key_file;
      t.ca_file = s.tls.ca_file;
    } else {
      std::vector<std::string> names = s.domains;
      for (const auto& l : s.listens) names.push_back(l.endpoint.address_string());
      std::string pki_error;
      auto pki = crypto::ensure_dev_pki(s.data_dir / "pki", names, pki_error);
      if (!pki) {
        std::cerr << "warden proxy: cannot create the development certificates in " << (s.data_dir / "pki")
                  << ": " << pki_error << "\n";
        return 1;
      }
      t.certificate_file = pki->server_certificate.string();
      t.private_key_file = pki->server_key.string();
      t.ca_file = s.tls.ca_file.empty() ? pki->ca_certificate.string() : s.tls.ca_file;
      log.info("development certificate", {{"ca", pki->ca_certificate.string()},
                                            {"certificate", pki->server_certificate.string()}});
    }
    tls = t;
  }

  // Signals are taken by sigwait() on this thread; every other thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  base::SystemClock clock;
  crypto::Csprng rng;
  io::EventLoop loop;
  proxy::Proxy proxy(proxy_config(s), loop, clock, **store, rng, log);

  std::vector<std::unique_ptr<runtime::Transport>> transports;
  for (const auto& l : s.listens) {
    if (l.kind == runtime::TransportKind::Udp) {
      io::UdpOptions uo;
      uo.bind = l.endpoint;
      uo.max_datagram_bytes = s.limits.max_message_bytes;
      uo.receive_buffer_bytes = 4 * 1024 * 1024;
      auto t = io::UdpTransport::open(loop, proxy, uo);
      if (!t) {
        std::cerr << "warden proxy: cannot listen on " << l.text << ": " << t.error().message() << "\n";
        return 1;
      }
      transports.push_back(std::move(*t));
    } else {
      io::StreamOptions so;
      so.bind = l.endpoint;
      so.limits = s.limits;
      so.reuse_inbound = true;  // reach registered UAs over the connection they registered on
      if (l.kind == runtime::TransportKind::Tls) so.tls = tls;
      auto t = io::StreamTransport::open(loop, proxy, so);
      if (!t) {
        std::cerr << "warden proxy: cannot listen on " << l.text << ": " << t.error().message() << "\n";
        return 1;
      }
      transports.push_back(std::move(*t));
    }
  }
  for (auto& t : transports) proxy.add_transport(*t);
  if (auto r = proxy.start(); !r) {
    std::cerr << "warden proxy: cannot load the registrations: " << r.error().message() << "\n";
    return 1;
  }
  loop.start();
  for (auto& t : transports) {
    std::cout << "listening " << scheme_of(t->kind()) << ':' << t->local_endpoint().to_string() << "\n";
    log.info("listening", {{"transport", scheme_of(t->kind())}, {"address", t->local_endpoint().to_string()}});
  }
  std::cout << "ready" << std::endl;

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      log.info("SIGHUP: reload");
      loop.post([&proxy] { proxy.reload(); });
      continue;
    }
    break;
  }
  // Drain: refuse new work, let open transactions finish (at most 64*T1 = 32 s).
  log.info("draining");
  loop.post([&proxy] { proxy.drain(); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(32);
  while (std::chrono::steady_clock::now() < deadline) {
    std::promise<bool> idle;
    auto f = idle.get_future();
    loop.post([&proxy, &idle] { idle.set_value(proxy.idle()); });
    if (f.get()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const proxy::ProxyStats st = proxy.stats();
  // The proxy forgets the transports before they go: a timer firing between here and stop()
  // (a retransmission, a tarpitted challenge) must not send through a destroyed transport.
  loop.run_sync([&proxy, &transports] {
    proxy.remove_transports();
    transports.clear();
  });
  loop.stop();
  log.info("stopped", {{"requests", st.requests},
                       {"responses", st.responses},
                       {"registrations", st.registrations},
                       {"forwarded", st.forwarded},
                       {"auth_failures", st.auth_failures}});
  return 0;
}

}  // namespace

void add_proxy_command(CLI::App& app, ProxyOptions& opts, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("proxy", "Run the SIP registrar and stateful proxy");
  cmd->add_option("--config", opts.config, "TOML configuration file");
  cmd->add_option("--data-dir", opts.data_dir, "Folder of the store and certificates (default warden-data)");
  cmd->add_option("--domain", opts.domains, "A domain this proxy serves (repeatable; default localhost + listen addresses)");
  cmd->add_option("--listen", opts.listens, "udp|tcp|tls:ADDRESS:PORT (repeatable; default udp+tcp 127.0.0.1:5060, tls 127.0.0.1:5061)");
  cmd->add_option("--log-level", opts.log_level, "debug, info, warn or error")->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  cmd->add_flag("--log-json", opts.log_json, "Log one JSON object per line");
  cmd->callback([&opts, &exit_code] { exit_code = run_proxy(opts); });
}

}  // namespace warden::app
