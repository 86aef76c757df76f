#include "proxy_command.hpp"

#include <CLI/CLI.hpp>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <pthread.h>
#include <signal.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <future>
#include <iostream>
#include <memory>
#include <thread>

#include "base/clock.hpp"
#include "base/error.hpp"
#include "crypto/csprng.hpp"
#include "crypto/dev_pki.hpp"
#include "io/cares_dns.hpp"
#include "io/certificate_server.hpp"
#include "io/event_loop.hpp"
#include "io/https_certificate_source.hpp"
#include "io/udp_media_relay.hpp"
#include "io/stream_transport.hpp"
#include "io/udp_transport.hpp"
#include "logging.hpp"
#include "proxy/proxy.hpp"
#include "settings.hpp"
#include "sip/auth/digest.hpp"
#include "sip/identity/referral_token.hpp"
#include "sip/identity/signer.hpp"
#include "sip/identity/verifier.hpp"
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

// The HTTPS fetcher of info URLs as the verifier's certificate port (same shape, no base).
class InfoUrlFetcher final : public sip::identity::CertificateSource {
 public:
  explicit InfoUrlFetcher(io::HttpsCertificateSource& source) : source_(source) {}
  void fetch(const std::string& url, Done done) override { source_.fetch(url, std::move(done)); }

 private:
  io::HttpsCertificateSource& source_;
};

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
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
  for (const auto& dp : s.domain_policies) {
    proxy::DomainPolicy p;
    p.domain = dp.domain;
    p.action = dp.action == "deny"          ? proxy::DomainAction::Deny
               : dp.action == "require_tls" ? proxy::DomainAction::RequireTls
                                            : proxy::DomainAction::Allow;
    c.domain_policies.push_back(std::move(p));
  }
  c.dns_ipv6 = s.dns.ipv6;
  c.reject_failed_identity = s.identity.reject_failed;
  c.tls_peers = s.proxy.tls_peers;
  for (const auto& t : s.privacy.trusted)
    if (auto n = shield::Network::parse(t)) c.trusted.push_back(*n);  // checked when the settings were read
  c.topology_hiding = s.privacy.topology_hiding;
  if (!sh.scanner_detection) {
    c.shield.scan.user_agents.clear();
    c.shield.scan.from_tag_fingerprints = false;
    c.shield.scan.max_distinct_users = 0;
    c.shield.scan.max_sequential = 0;
  }
  return c;
}

namespace {

// The proxy's work runs on the event loop thread, which glibc would give an arena of its own.
// Such an arena grows its heap a page or so at a time, one mprotect() each (2.6 % of the
// proxy's CPU under a REGISTER load, bench/README.md); the main arena grows by brk() with a
// pad. One arena is enough for the proxy's few threads, and 16 MB of pad makes growth rare.
// Must run before any thread starts.
void tune_allocator() {
#if defined(__GLIBC__)
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_TOP_PAD, 16 << 20);
#endif
}

}  // namespace

int run_proxy(const ProxyOptions& o) {
  tune_allocator();
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
  // SIP Identity: our signing certificate (the operator's or the development one), the HTTPS
  // server for it, and the trust anchors for other domains' certificates.
  const auto& ids = s.identity;
  // Without an identity certificate of its own, the TLS certificate signs (it names our
  // domains), or the development one when there is neither.
  const bool identity_needs_pki =
      (ids.sign || ids.serve_endpoint) && ids.certificate_file.empty() && s.tls.certificate_file.empty();
  std::optional<crypto::DevPki> dev_pki;
  if ((wants_tls && s.tls.certificate_file.empty()) || identity_needs_pki ||
      (ids.verify && ids.trust_anchors.empty() && s.tls.ca_file.empty())) {
    std::vector<std::string> names = s.domains;
    for (const auto& l : s.listens) names.push_back(l.endpoint.address_string());
    if (ids.serve_endpoint) names.push_back(ids.serve_endpoint->address_string());
    std::string pki_error;
    auto pki = crypto::ensure_dev_pki(s.data_dir / "pki", names, pki_error);
    if (!pki) {
      std::cerr << "warden proxy: cannot create the development certificates in " << (s.data_dir / "pki") << ": "
                << pki_error << "\n";
      return 1;
    }
    dev_pki = *pki;
  }
  if (wants_tls) {
    io::TlsOptions t;
    t.require_client_certificate = s.tls.require_client_certificate;
    // Mutual TLS with peer domains: ask every client for a certificate (those without one still
    // connect); outgoing connections present ours.
    t.request_client_certificate = !s.proxy.tls_peers.empty();
    if (!s.tls.certificate_file.empty()) {
      t.certificate_file = s.tls.certificate_file;
      t.private_key_file = s.tls.private_key_file;
      t.ca_file = s.tls.ca_file;
    } else {
      const crypto::DevPki* pki = &*dev_pki;
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
  // The media relay for calls that ask for privacy (their SDP gets the relay's address). Made
  // before the proxy: the proxy's calls close their relay sessions when it goes.
  std::unique_ptr<io::UdpMediaRelay> media_relay;
  if (s.privacy.media_relay) {
    io::UdpMediaRelayOptions ro;
    std::optional<runtime::Endpoint> bind;
    if (!s.privacy.relay_address.empty()) {
      if (auto e = runtime::Endpoint::from_address(s.privacy.relay_address, 0)) bind = *e;
    } else {
      for (const auto& l : s.listens)
        if (!bind && l.kind == runtime::TransportKind::Udp) bind = l.endpoint;
      if (!bind && !s.listens.empty()) bind = s.listens.front().endpoint;
    }
    if (bind) {
      ro.bind = *bind;
      ro.port_min = s.privacy.relay_port_min;
      ro.port_max = s.privacy.relay_port_max;
      auto r = io::UdpMediaRelay::create(loop, ro);
      if (!r) {
        std::cerr << "warden proxy: privacy.media_relay: cannot start the media relay on " << bind->address_string()
                  << ": " << r.error().message() << "\n";
        return 1;
      }
      media_relay = std::move(*r);
    }
  }
  proxy::ProxyConfig pc = proxy_config(s);
  // The key of contact tokens (privacy): kept in the data folder so that private dialogs
  // outlive a restart (their in-dialog requests still find the hidden contact).
  {
    const std::filesystem::path key_file = s.data_dir / "contact-token.key";
    std::string key = read_file(key_file.string()).value_or(std::string());
    if (key.size() != 64) {
      std::array<std::byte, 32> secret{};
      rng.fill(secret);
      key.clear();
      for (std::byte b : secret) {
        static constexpr char kHex[] = "0123456789abcdef";
        key += kHex[std::to_integer<unsigned>(b) >> 4];
        key += kHex[std::to_integer<unsigned>(b) & 15];
      }
      const std::filesystem::path tmp = key_file.string() + ".new";
      {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f << key;
        if (!f) {
          std::cerr << "warden proxy: cannot write " << tmp << "\n";
          return 1;
        }
      }
      std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
      std::filesystem::rename(tmp, key_file, ec);
      if (ec) {
        std::cerr << "warden proxy: cannot write " << key_file << ": " << ec.message() << "\n";
        return 1;
      }
    }
    pc.contact_token_key = std::move(key);
  }
  proxy::Proxy proxy(std::move(pc), loop, clock, **store, rng, log);
  if (media_relay) proxy.use_media_relay(*media_relay);

  std::vector<std::unique_ptr<runtime::Transport>> transports;
  for (const auto& l : s.listens) {
    if (l.kind == runtime::TransportKind::Udp) {
      io::UdpOptions uo;
      uo.bind = l.endpoint;
      uo.max_datagram_bytes = s.limits.max_message_bytes;
      uo.receive_buffer_bytes = 4 * 1024 * 1024;
      uo.read_coalesce = std::chrono::microseconds(s.proxy.udp_read_coalesce_us);
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

  // SIP Identity (RFC 8224): the certificate server, the signer, the verifier.
  std::string id_cert = ids.certificate_file, id_key = ids.private_key_file;
  if (id_cert.empty() && !s.tls.certificate_file.empty()) {
    id_cert = s.tls.certificate_file;
    id_key = s.tls.private_key_file;
  } else if (id_cert.empty() && dev_pki) {
    id_cert = dev_pki->server_certificate.string();
    id_key = dev_pki->server_key.string();
  }
  std::unique_ptr<io::CertificateServer> cert_server;
  std::string info_url = ids.info_url;
  if (ids.serve_endpoint) {
    io::CertificateServerOptions co;
    co.bind = *ids.serve_endpoint;
    co.tls.certificate_file = id_cert;
    co.tls.private_key_file = id_key;
    co.path = "/identity.pem";
    co.chain_file = id_cert;
    auto server = io::CertificateServer::open(loop, co);
    if (!server) {
      std::cerr << "warden proxy: identity.serve: cannot serve the certificate on " << ids.serve << ": "
                << server.error().message() << "\n";
      return 1;
    }
    cert_server = std::move(*server);
    if (info_url.empty()) info_url = cert_server->url(cert_server->local_endpoint().address_string());
  }
  std::unique_ptr<sip::identity::IdentitySigner> signer;
  if (ids.sign) {
    const auto pem = read_file(id_key);
    auto key = pem ? crypto::EcPrivateKey::from_pem(*pem) : base::Result<crypto::EcPrivateKey>(base::Errc::Io);
    if (!key) {
      std::cerr << "warden proxy: identity.private_key: " << id_key << " is not a readable ECDSA P-256 key\n";
      return 1;
    }
    signer = std::make_unique<sip::identity::IdentitySigner>(std::move(*key), info_url, rng);
  }
  std::unique_ptr<sip::identity::IdentityVerifier> verifier;
  std::optional<crypto::TrustStore> anchors_for_referrals;
  std::unique_ptr<io::HttpsCertificateSource> fetcher;
  std::unique_ptr<InfoUrlFetcher> fetch_port;
  if (ids.verify) {
    std::vector<std::string> anchors = ids.trust_anchors;
    if (anchors.empty()) anchors.push_back(!s.tls.ca_file.empty() ? s.tls.ca_file : dev_pki->ca_certificate.string());
    crypto::TrustStore store_of_anchors;
    std::string all_pem;
    for (const auto& a : anchors) {
      const auto pem = read_file(a);
      if (!pem || !store_of_anchors.add_pem(*pem)) {
        std::cerr << "warden proxy: identity.trust_anchors: " << a << " holds no readable PEM certificate\n";
        return 1;
      }
      all_pem += *pem;
      if (!all_pem.empty() && all_pem.back() != '\n') all_pem += '\n';
    }
    // The HTTPS servers of info URLs are checked against the same anchors.
    const std::filesystem::path anchors_file = s.data_dir / "identity-anchors.pem";
    {
      std::ofstream f(anchors_file, std::ios::binary | std::ios::trunc);
      f << all_pem;
      if (!f) {
        std::cerr << "warden proxy: cannot write " << anchors_file << "\n";
        return 1;
      }
    }
    sip::identity::VerifierConfig vc;
    vc.freshness = std::chrono::seconds(ids.freshness);
    anchors_for_referrals = store_of_anchors;
    verifier = std::make_unique<sip::identity::IdentityVerifier>(std::move(store_of_anchors), vc);
    io::HttpsFetchOptions fo;
    fo.ca_file = anchors_file.string();
    auto f = io::HttpsCertificateSource::create(loop, fo);
    if (!f) {
      std::cerr << "warden proxy: cannot start the certificate fetcher: " << f.error().message() << "\n";
      return 1;
    }
    fetcher = std::move(*f);
    fetch_port = std::make_unique<InfoUrlFetcher>(*fetcher);
  }
  proxy.use_identity(signer.get(), verifier.get(), fetch_port.get());

  // The transfer token: signed with the identity key, verified like Identity certificates.
  std::unique_ptr<sip::identity::ReferralSigner> referral_signer;
  std::unique_ptr<sip::identity::ReferralVerifier> referral_verifier;
  if (s.transfer.sign) {
    if (info_url.empty()) {
      log.info("transfer tokens not signed: no identity.info_url or identity.serve to publish the certificate");
    } else {
      const auto pem = read_file(id_key);
      auto key = pem ? crypto::EcPrivateKey::from_pem(*pem) : base::Result<crypto::EcPrivateKey>(base::Errc::Io);
      if (!key) {
        std::cerr << "warden proxy: transfer.sign: " << id_key
                  << " is not a readable ECDSA P-256 key (set transfer.sign = false, or an identity certificate)\n";
        return 1;
      }
      referral_signer = std::make_unique<sip::identity::ReferralSigner>(std::move(*key), info_url, rng);
    }
  }
  if (s.transfer.verify) {
    if (!anchors_for_referrals || !fetch_port) {
      log.info("transfer tokens not verified: identity.verify is off");
    } else {
      sip::identity::ReferralConfig rc;
      rc.max_age = std::chrono::seconds(s.transfer.max_age);
      referral_verifier = std::make_unique<sip::identity::ReferralVerifier>(*anchors_for_referrals, rc);
    }
  }
  proxy.use_referrals(referral_signer.get(), referral_verifier.get());


  // Other domains' servers (RFC 3263) through c-ares on the proxy's loop.
  io::CaresDnsOptions dns_options;
  dns_options.servers = s.dns.servers;
  dns_options.timeout = std::chrono::milliseconds(s.dns.timeout_ms);
  auto dns = io::CaresDns::create(loop, dns_options);
  if (!dns) {
    std::cerr << "warden proxy: cannot start the DNS resolver: " << dns.error().message() << "\n";
    return 1;
  }
  proxy.use_dns(**dns);
  if (auto r = proxy.start(); !r) {
    std::cerr << "warden proxy: cannot load the registrations: " << r.error().message() << "\n";
    return 1;
  }
  loop.start();
  if (cert_server) {
    std::cout << "identity certificate " << info_url << "\n";
    log.info("identity certificate served", {{"url", info_url}});
  }
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
      loop.post([&proxy, &cert_server] {
        proxy.reload();
        if (cert_server) (void)cert_server->reload();
      });
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
  loop.run_sync([&proxy, &transports, &dns, &fetcher, &cert_server] {
    proxy.remove_transports();
    transports.clear();
    dns->reset();
    fetcher.reset();
    cert_server.reset();
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
