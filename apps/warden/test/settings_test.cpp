#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/error.hpp"
#include "settings.hpp"

namespace warden::app {
namespace {

namespace fs = std::filesystem;
using runtime::Endpoint;
using runtime::TransportKind;
using ::testing::HasSubstr;

// Each test gets a fresh folder for its configuration files.
class SettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("warden-settings-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& text, const std::string& name = "warden.toml") {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p;
  }
  // Loads `text` and expects failure; returns the message.
  std::string error_of(const std::string& text, const Overrides& o = {}) {
    std::string error;
    auto s = load_settings(write(text), o, error);
    EXPECT_FALSE(s.ok()) << "accepted:\n" << text;
    EXPECT_FALSE(error.empty());
    return error;
  }
  Settings load(const std::string& text, const Overrides& o = {}) {
    std::string error;
    auto s = load_settings(write(text), o, error);
    EXPECT_TRUE(s.ok()) << error;
    return s.ok() ? *s : Settings{};
  }

  fs::path dir_;
};

TEST_F(SettingsTest, DefaultsWithoutFile) {
  std::string error;
  auto s = load_settings(std::nullopt, {}, error);
  ASSERT_TRUE(s.ok()) << error;
  EXPECT_EQ(s->data_dir, fs::path("warden-data"));
  EXPECT_TRUE(s->domains.empty());
  ASSERT_EQ(s->listens.size(), 3u);
  EXPECT_EQ(s->listens[0].kind, TransportKind::Udp);
  EXPECT_EQ(s->listens[0].endpoint, Endpoint::loopback_v4(5060));
  EXPECT_EQ(s->listens[1].kind, TransportKind::Tcp);
  EXPECT_EQ(s->listens[1].endpoint, Endpoint::loopback_v4(5060));
  EXPECT_EQ(s->listens[2].kind, TransportKind::Tls);
  EXPECT_EQ(s->listens[2].endpoint, Endpoint::loopback_v4(5061));
  EXPECT_EQ(s->listens[2].text, "tls:127.0.0.1:5061");
  EXPECT_EQ(s->registrar.min_expires, 60u);
  EXPECT_EQ(s->registrar.max_expires, 3600u);
  EXPECT_EQ(s->registrar.default_expires, 3600u);
  EXPECT_EQ(s->auth.algorithms, (std::vector<std::string>{"SHA-512-256", "SHA-256", "MD5"}));
  EXPECT_EQ(s->auth.nonce_lifetime, 300u);
  EXPECT_TRUE(s->proxy.record_route);
  EXPECT_EQ(s->proxy.udp_read_coalesce_us, 4000u);
  EXPECT_EQ(s->limits.max_message_bytes, 65535u);
  EXPECT_EQ(s->log.level, base::LogLevel::Info);
  EXPECT_FALSE(s->log.json);
  EXPECT_TRUE(s->tls.certificate_file.empty());
}

TEST_F(SettingsTest, EmptyFileGivesDefaults) {
  Settings s = load("# nothing here\n");
  EXPECT_EQ(s.listens.size(), 3u);
  EXPECT_EQ(s.registrar.max_contacts, 10u);
}

TEST_F(SettingsTest, FullValidFile) {
  Settings s = load(R"(
data_dir = "/var/lib/warden"
domains  = ["example.test", "192.0.2.10"]
listen   = ["udp:0.0.0.0:5070", "tcp:[::1]:5070", "tls:192.0.2.10:5071"]

[tls]
certificate = "certs/server.pem"
private_key = "certs/server.key"
ca = "/etc/ssl/warden-ca.pem"
require_client_certificate = true

[registrar]
min_expires = 30
max_expires = 7200
default_expires = 600
max_contacts = 5

[auth]
realm = "example.test"
algorithms = ["SHA-256", "MD5"]
nonce_lifetime = 120

[proxy]
record_route = false
max_transactions_per_source = 64
udp_read_coalesce_us = 0

[limits]
max_message_bytes = 32768
max_header_section_bytes = 8192
max_line_bytes = 4096
max_headers = 64
max_vias = 20
max_body_bytes = 16384

[log]
level = "debug"
json = true
)");
  EXPECT_EQ(s.data_dir, fs::path("/var/lib/warden"));
  EXPECT_EQ(s.domains, (std::vector<std::string>{"example.test", "192.0.2.10"}));
  ASSERT_EQ(s.listens.size(), 3u);
  EXPECT_EQ(s.listens[0].kind, TransportKind::Udp);
  EXPECT_EQ(s.listens[0].endpoint, Endpoint::v4({0, 0, 0, 0}, 5070));
  EXPECT_EQ(s.listens[1].kind, TransportKind::Tcp);
  EXPECT_FALSE(s.listens[1].endpoint.is_v4());
  EXPECT_EQ(s.listens[1].endpoint.to_string(), "[::1]:5070");
  EXPECT_EQ(s.listens[2].kind, TransportKind::Tls);
  EXPECT_EQ(s.listens[2].endpoint.to_string(), "192.0.2.10:5071");
  // Relative TLS paths are relative to the configuration file's folder; absolute ones stay.
  EXPECT_EQ(fs::path(s.tls.certificate_file), fs::absolute(dir_) / "certs/server.pem");
  EXPECT_EQ(fs::path(s.tls.private_key_file), fs::absolute(dir_) / "certs/server.key");
  EXPECT_EQ(s.tls.ca_file, "/etc/ssl/warden-ca.pem");
  EXPECT_TRUE(s.tls.require_client_certificate);
  EXPECT_EQ(s.registrar.min_expires, 30u);
  EXPECT_EQ(s.registrar.max_expires, 7200u);
  EXPECT_EQ(s.registrar.default_expires, 600u);
  EXPECT_EQ(s.registrar.max_contacts, 5u);
  EXPECT_EQ(s.auth.realm, "example.test");
  EXPECT_EQ(s.auth.algorithms, (std::vector<std::string>{"SHA-256", "MD5"}));
  EXPECT_EQ(s.auth.nonce_lifetime, 120u);
  EXPECT_FALSE(s.proxy.record_route);
  EXPECT_EQ(s.proxy.max_transactions_per_source, 64u);
  EXPECT_EQ(s.proxy.udp_read_coalesce_us, 0u);
  EXPECT_EQ(s.limits.max_message_bytes, 32768u);
  EXPECT_EQ(s.limits.max_header_section_bytes, 8192u);
  EXPECT_EQ(s.limits.max_line_bytes, 4096u);
  EXPECT_EQ(s.limits.max_headers, 64u);
  EXPECT_EQ(s.limits.max_vias, 20u);
  EXPECT_EQ(s.limits.max_body_bytes, 16384u);
  EXPECT_EQ(s.limits.max_uri_bytes, base::Limits::Sip{}.max_uri_bytes);  // not in the file
  EXPECT_EQ(s.log.level, base::LogLevel::Debug);
  EXPECT_TRUE(s.log.json);
}

TEST_F(SettingsTest, ParseErrorCarriesFileLineColumn) {
  const std::string e = error_of("data_dir = \"x\"\n[registrar\nmin_expires = 1\n");
  const std::string file = (dir_ / "warden.toml").string();
  EXPECT_EQ(e.rfind(file + ":2:", 0), 0u) << e;
  EXPECT_THAT(e, HasSubstr("parse error"));
}

TEST_F(SettingsTest, MissingFileIsNamed) {
  std::string error;
  auto s = load_settings(dir_ / "absent.toml", {}, error);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.error(), base::Errc::Config);
  EXPECT_THAT(error, HasSubstr("absent.toml: cannot read"));
}

TEST_F(SettingsTest, UnknownKeysAreNamedWithAHint) {
  EXPECT_THAT(error_of("[registar]\nmin_expires = 60\n"),
              HasSubstr(":1:2: unknown key 'registar' (did you mean 'registrar'?)"));
  EXPECT_THAT(error_of("[registrar]\nmin_expire = 60\n"),
              HasSubstr(":2:1: unknown key 'registrar.min_expire' (did you mean 'registrar.min_expires'?)"));
  // Far from every known key: no hint.
  const std::string e = error_of("colour = \"blue\"\n");
  EXPECT_THAT(e, HasSubstr("unknown key 'colour'"));
  EXPECT_THAT(e, ::testing::Not(HasSubstr("did you mean")));
  // The first unknown key in the file is the one reported.
  EXPECT_THAT(error_of("[log]\nzzz = 1\nlevl = \"info\"\n"), HasSubstr("unknown key 'log.zzz'"));
}

TEST_F(SettingsTest, WrongTypesNameKeyAndExpectedType) {
  EXPECT_THAT(error_of("[registrar]\nmin_expires = \"60\"\n"),
              HasSubstr(":2:15: registrar.min_expires: expected an integer, got a string"));
  EXPECT_THAT(error_of("[registrar]\nmax_expires = 60.5\n"),
              HasSubstr("registrar.max_expires: expected an integer, got a floating-point number"));
  EXPECT_THAT(error_of("[log]\njson = 1\n"), HasSubstr("log.json: expected a boolean, got an integer"));
  EXPECT_THAT(error_of("data_dir = 5\n"), HasSubstr("data_dir: expected a string, got an integer"));
  EXPECT_THAT(error_of("domains = \"example.test\"\n"),
              HasSubstr("domains: expected an array of strings, got a string"));
  EXPECT_THAT(error_of("listen = [\"udp:127.0.0.1:5060\", 5061]\n"),
              HasSubstr("listen[1]: expected a string, got an integer"));
  EXPECT_THAT(error_of("registrar = 5\n"), HasSubstr("registrar: expected a table, got an integer"));
  EXPECT_THAT(error_of("[auth]\nalgorithms = \"MD5\"\n"),
              HasSubstr("auth.algorithms: expected an array of strings, got a string"));
}

TEST_F(SettingsTest, RangesAreChecked) {
  EXPECT_THAT(error_of("[registrar]\nmin_expires = 0\n"),
              HasSubstr("registrar.min_expires: must be from 1 to"));
  EXPECT_THAT(error_of("[registrar]\ndefault_expires = -5\n"),
              HasSubstr("registrar.default_expires: must be from 1 to"));
  EXPECT_THAT(error_of("[registrar]\nmin_expires = 7200\n"),
              HasSubstr("registrar.min_expires: must be at most registrar.max_expires (3600)"));
  EXPECT_THAT(error_of("[registrar]\nmin_expires = 120\nmax_expires = 600\ndefault_expires = 60\n"),
              HasSubstr(":4:19: registrar.default_expires: must be from registrar.min_expires (120) to "
                        "registrar.max_expires (600)"));
  EXPECT_THAT(error_of("[registrar]\nmax_expires = 1800\n"),  // default 3600 now too long
              HasSubstr("registrar.default_expires: must be from registrar.min_expires (60) to "
                        "registrar.max_expires (1800)"));
  EXPECT_THAT(error_of("[registrar]\nmax_contacts = 0\n"), HasSubstr("registrar.max_contacts: must be from 1 to"));
  EXPECT_THAT(error_of("[auth]\nnonce_lifetime = 9\n"),
              HasSubstr("auth.nonce_lifetime: must be from 10 to 86400 (got 9)"));
  EXPECT_THAT(error_of("[auth]\nnonce_lifetime = 86401\n"),
              HasSubstr("auth.nonce_lifetime: must be from 10 to 86400 (got 86401)"));
  EXPECT_THAT(error_of("[proxy]\nmax_transactions_per_source = 0\n"),
              HasSubstr("proxy.max_transactions_per_source: must be from 1 to"));
  EXPECT_THAT(error_of("[proxy]\nudp_read_coalesce_us = 50001\n"),
              HasSubstr("proxy.udp_read_coalesce_us: must be from 0 to 50000 (got 50001)"));
  EXPECT_THAT(error_of("[proxy]\nudp_read_coalesce_us = -1\n"), HasSubstr("proxy.udp_read_coalesce_us: must be from 0"));
  EXPECT_THAT(error_of("[limits]\nmax_vias = 0\n"), HasSubstr("limits.max_vias: must be from 1 to 1024 (got 0)"));
  EXPECT_THAT(error_of("[limits]\nmax_message_bytes = 1000000000\n"),
              HasSubstr("limits.max_message_bytes: must be from 1 to"));
  EXPECT_THAT(error_of("[limits]\nmax_body_bytes = 70000\n"),
              HasSubstr("limits.max_body_bytes: must be at most limits.max_message_bytes (65535)"));
  EXPECT_THAT(error_of("[limits]\nmax_line_bytes = 20000\n"),
              HasSubstr("limits.max_line_bytes: must be at most limits.max_header_section_bytes (16384)"));
}

TEST_F(SettingsTest, AlgorithmsAreKnownDistinctAndPresent) {
  EXPECT_THAT(error_of("[auth]\nalgorithms = [\"SHA-256\", \"SHA-1\"]\n"),
              HasSubstr("auth.algorithms[1]: unknown algorithm 'SHA-1' (expected SHA-512-256, SHA-256 or MD5)"));
  EXPECT_THAT(error_of("[auth]\nalgorithms = [\"MD5\", \"SHA-256\", \"MD5\"]\n"),
              HasSubstr("auth.algorithms[2]: 'MD5' is listed twice"));
  EXPECT_THAT(error_of("[auth]\nalgorithms = []\n"), HasSubstr("auth.algorithms: must name at least one algorithm"));
}

TEST_F(SettingsTest, StringValuesAreChecked) {
  EXPECT_THAT(error_of("[log]\nlevel = \"verbose\"\n"),
              HasSubstr("log.level: unknown level 'verbose' (expected debug, info, warn or error)"));
  EXPECT_THAT(error_of("listen = [\"udp:127.0.0.1:5060\", \"sctp:127.0.0.1:5060\"]\n"),
              HasSubstr("listen[1]: unknown transport 'sctp'"));
  EXPECT_THAT(error_of("listen = [\"udp:localhost:5060\"]\n"),
              HasSubstr("listen[0]: 'localhost' is a host name; listen takes an IP address literal"));
  EXPECT_THAT(error_of("domains = [\"exa mple.test\"]\n"),
              HasSubstr("domains[0]: 'exa mple.test' is not a host name or an IP address literal"));
  EXPECT_THAT(error_of("[auth]\nrealm = \"a\\\"b\"\n"), HasSubstr("auth.realm: must not contain"));
  EXPECT_THAT(error_of("data_dir = \"\"\n"), HasSubstr("data_dir: must not be empty"));
}

TEST_F(SettingsTest, ShieldAndPeers) {
  const Settings d = load("");
  EXPECT_TRUE(d.shield.enabled);
  EXPECT_TRUE(d.proxy.peers.empty());
  EXPECT_EQ(d.shield.max_auth_failures, 10u);
  const Settings s = load(
      "[proxy]\npeers = [\"192.0.2.0/24\", \"2001:db8::1\"]\nallow_any_redirect = true\n"
      "[shield]\nenabled = false\nallow = [\"10.0.0.0/8\"]\nsource_rate = 50\nban_minutes = 60\n");
  EXPECT_EQ(s.proxy.peers, (std::vector<std::string>{"192.0.2.0/24", "2001:db8::1"}));
  EXPECT_TRUE(s.proxy.allow_any_redirect);
  EXPECT_FALSE(s.shield.enabled);
  EXPECT_EQ(s.shield.allow, (std::vector<std::string>{"10.0.0.0/8"}));
  EXPECT_EQ(s.shield.source_rate, 50u);
  EXPECT_EQ(s.shield.ban_minutes, 60u);
  EXPECT_THAT(error_of("[proxy]\npeers = [\"192.0.2.0/24\", \"example.test\"]\n"),
              HasSubstr("proxy.peers[1]: 'example.test' is not a network"));
  EXPECT_THAT(error_of("[shield]\nallow = [\"10.0.0.0/33\"]\n"), HasSubstr("shield.allow[0]:"));
  EXPECT_THAT(error_of("[shield]\nsource_rate = 0\n"), HasSubstr("shield.source_rate: must be from 1"));
  EXPECT_THAT(error_of("[shield]\nbanned = true\n"), HasSubstr("banned"));
  const Settings c = load("[shield]\nblocked_prefixes = [\"+44 70\"]\nspit_threshold = 0.5\n"
                          "spit_divert_to = \"sip:spam@example.test\"\nmax_concurrent_calls = 3\n");
  EXPECT_EQ(c.shield.blocked_prefixes, (std::vector<std::string>{"+44 70"}));
  EXPECT_DOUBLE_EQ(c.shield.spit_threshold, 0.5);
  EXPECT_EQ(c.shield.max_concurrent_calls, 3u);
  EXPECT_THAT(error_of("[shield]\nblocked_prefixes = [\"premium\"]\n"),
              HasSubstr("shield.blocked_prefixes[0]: 'premium' is not a number prefix"));
  EXPECT_THAT(error_of("[shield]\nspit_threshold = 2.0\n"), HasSubstr("shield.spit_threshold: must be above 0"));
  EXPECT_THAT(error_of("[shield]\nspit_divert_to = \"mailbox\"\n"),
              HasSubstr("shield.spit_divert_to: 'mailbox' is not a SIP URI"));
  EXPECT_THAT(error_of("[shield]\nmax_concurrent_calls = 100\n"), HasSubstr("shield.max_concurrent_calls: must be from 1"));
}

TEST_F(SettingsTest, TlsNeedsCertificateAndKeyTogether) {
  EXPECT_THAT(error_of("[tls]\ncertificate = \"a.pem\"\n"),
              HasSubstr("tls.certificate: needs tls.private_key as well"));
  EXPECT_THAT(error_of("[tls]\nprivate_key = \"a.key\"\n"),
              HasSubstr("tls.private_key: needs tls.certificate as well"));
}

TEST_F(SettingsTest, ListenersMayNotShareASocket) {
  EXPECT_THAT(error_of("listen = [\"tcp:127.0.0.1:5060\", \"tls:127.0.0.1:5060\"]\n"),
              HasSubstr("listen[1]: 'tls:127.0.0.1:5060' uses the same socket as listen[0]"));
  EXPECT_THAT(error_of("listen = [\"udp:127.0.0.1:5060\", \"udp:127.0.0.1:5060\"]\n"),
              HasSubstr("listen[1]:"));
  // UDP and TCP on one port are separate sockets; port 0 lets the OS pick each time.
  Settings s = load("listen = [\"udp:127.0.0.1:5060\", \"tcp:127.0.0.1:5060\", \"tcp:127.0.0.1:0\", "
                    "\"tls:127.0.0.1:0\"]\n");
  EXPECT_EQ(s.listens.size(), 4u);
}

TEST_F(SettingsTest, OverridesReplaceFileValues) {
  const fs::path file = write(R"(
data_dir = "from-file"
domains = ["file.test"]
listen = ["udp:127.0.0.1:5080"]
[log]
level = "error"
json = false
)");
  Overrides o;
  o.data_dir = "from-cli";
  o.domains = {"cli.test", "other.test"};
  o.listens = {"tcp:[::1]:0"};
  o.log_level = "debug";
  o.log_json = true;
  std::string error;
  auto s = load_settings(file, o, error);
  ASSERT_TRUE(s.ok()) << error;
  EXPECT_EQ(s->data_dir, fs::path("from-cli"));
  EXPECT_EQ(s->domains, (std::vector<std::string>{"cli.test", "other.test"}));
  ASSERT_EQ(s->listens.size(), 1u);
  EXPECT_EQ(s->listens[0].kind, TransportKind::Tcp);
  EXPECT_EQ(s->listens[0].endpoint.to_string(), "[::1]:0");
  EXPECT_EQ(s->log.level, base::LogLevel::Debug);
  EXPECT_TRUE(s->log.json);

  // Unset overrides leave the file alone.
  auto kept = load_settings(file, Overrides{}, error);
  ASSERT_TRUE(kept.ok()) << error;
  EXPECT_EQ(kept->data_dir, fs::path("from-file"));
  EXPECT_EQ(kept->listens.size(), 1u);
  EXPECT_EQ(kept->log.level, base::LogLevel::Error);
}

TEST_F(SettingsTest, BadOverridesAreNamed) {
  Overrides o;
  o.log_level = "loud";
  EXPECT_THAT(error_of("", o), HasSubstr("log.level (command line): unknown level 'loud'"));
  Overrides l;
  l.listens = {"udp:127.0.0.1:5060", "udp:127.0.0.1"};
  EXPECT_THAT(error_of("", l), HasSubstr("listen[1] (command line): missing port in 'udp:127.0.0.1'"));
}

TEST(ParseListen, GoodInputs) {
  std::string error;
  auto a = parse_listen("udp:127.0.0.1:5060", error);
  ASSERT_TRUE(a.ok()) << error;
  EXPECT_EQ(a->kind, TransportKind::Udp);
  EXPECT_EQ(a->endpoint, Endpoint::loopback_v4(5060));
  EXPECT_EQ(a->text, "udp:127.0.0.1:5060");

  auto b = parse_listen("tls:0.0.0.0:65535", error);
  ASSERT_TRUE(b.ok()) << error;
  EXPECT_EQ(b->kind, TransportKind::Tls);
  EXPECT_EQ(b->endpoint.port(), 65535);

  auto c = parse_listen("tcp:127.0.0.1:0", error);  // the OS picks the port
  ASSERT_TRUE(c.ok()) << error;
  EXPECT_EQ(c->endpoint.port(), 0);
}

TEST(ParseListen, Ipv6) {
  std::string error;
  auto a = parse_listen("tcp:[::1]:5060", error);
  ASSERT_TRUE(a.ok()) << error;
  EXPECT_EQ(a->kind, TransportKind::Tcp);
  EXPECT_FALSE(a->endpoint.is_v4());
  EXPECT_EQ(a->endpoint.address_string(), "::1");
  EXPECT_EQ(a->endpoint.port(), 5060);

  auto b = parse_listen("udp:[2001:db8::10]:5070", error);
  ASSERT_TRUE(b.ok()) << error;
  EXPECT_EQ(b->endpoint.to_string(), "[2001:db8::10]:5070");

  auto c = parse_listen("tls:[::]:5061", error);
  ASSERT_TRUE(c.ok()) << error;
  EXPECT_EQ(c->endpoint.address_string(), "::");
}

TEST(ParseListen, BadInputsNameTheTextAndTheReason) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "expected transport:address:port"},
      {"127.0.0.1:5060", "unknown transport '127.0.0.1'"},
      {"sctp:127.0.0.1:5060", "unknown transport 'sctp' (expected udp, tcp or tls)"},
      {"UDP:127.0.0.1:5060", "unknown transport 'UDP'"},
      {"udp:", "missing address"},
      {"udp::5060", "missing address"},
      {"udp:127.0.0.1", "missing port"},
      {"udp:127.0.0.1:", "missing port"},
      {"udp:127.0.0.1:65536", "port '65536' is not a number from 0 to 65535"},
      {"udp:127.0.0.1:-1", "port '-1' is not a number"},
      {"udp:127.0.0.1:50x", "port '50x' is not a number"},
      {"udp:127.0.0.1:000005060", "port '000005060' is not a number"},
      {"udp:localhost:5060", "'localhost' is a host name"},
      {"udp:sip.example.test:5060", "'sip.example.test' is a host name"},
      {"udp:999.0.0.1:5060", "'999.0.0.1' is not an IPv4 address"},
      {"udp:::1:5060", "must be written in brackets"},
      {"udp:[::1]", "missing port"},
      {"udp:[::1]5060", "expected ':' and a port after ']'"},
      {"udp:[::1:5060", "missing ']'"},
      {"udp:[127.0.0.1]:5060", "'[127.0.0.1]' is not an IPv6 address"},
      {"udp:[fe80::1%eth0]:5060", "is not an IPv6 address"},
      {"udp:[]:5060", "missing address"},
  };
  for (const auto& [text, reason] : cases) {
    std::string error;
    auto l = parse_listen(text, error);
    EXPECT_FALSE(l.ok()) << text;
    EXPECT_EQ(l.error(), base::Errc::Config) << text;
    EXPECT_THAT(error, HasSubstr(reason)) << text;
    EXPECT_THAT(error, HasSubstr("'" + std::string(text) + "'")) << text;
  }
}

TEST(DefaultListens, LoopbackOnTheSipPorts) {
  auto d = default_listens();
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].text, "udp:127.0.0.1:5060");
  EXPECT_EQ(d[1].text, "tcp:127.0.0.1:5060");
  EXPECT_EQ(d[2].text, "tls:127.0.0.1:5061");
}

TEST_F(SettingsTest, DnsDomainPolicyAndIdentity) {
  const Settings d = load("");
  EXPECT_TRUE(d.dns.servers.empty());
  EXPECT_TRUE(d.domain_policies.empty());
  EXPECT_FALSE(d.identity.sign);
  EXPECT_TRUE(d.identity.verify);
  const Settings s = load(
      "[dns]\nservers = [\"127.0.0.1:5353\"]\nipv6 = false\n"
      "[[domain_policy]]\ndomain = \"B.Example\"\naction = \"require_tls\"\n"
      "[[domain_policy]]\ndomain = \"*\"\naction = \"deny\"\n"
      "[identity]\nsign = true\nserve = \"127.0.0.1:8443\"\nfreshness = 30\nreject_failed = true\n");
  ASSERT_EQ(s.dns.servers.size(), 1u);
  EXPECT_EQ(s.dns.servers[0], *Endpoint::parse("127.0.0.1:5353"));
  EXPECT_FALSE(s.dns.ipv6);
  ASSERT_EQ(s.domain_policies.size(), 2u);
  EXPECT_EQ(s.domain_policies[0].domain, "b.example");
  EXPECT_EQ(s.domain_policies[0].action, "require_tls");
  EXPECT_EQ(s.domain_policies[1].action, "deny");
  ASSERT_TRUE(s.identity.serve_endpoint);
  EXPECT_EQ(s.identity.serve_endpoint->port(), 8443);
  EXPECT_EQ(s.identity.freshness, 30u);
  EXPECT_TRUE(s.identity.reject_failed);

  EXPECT_THAT(error_of("[dns]\nservers = [\"localhost\"]\n"), HasSubstr("dns.servers[0]"));
  EXPECT_THAT(error_of("[[domain_policy]]\naction = \"deny\"\n"), HasSubstr("domain_policy[0].domain: is required"));
  EXPECT_THAT(error_of("[[domain_policy]]\ndomain = \"x.test\"\naction = \"block\"\n"),
              HasSubstr("domain_policy[0].action: unknown action 'block'"));
  EXPECT_THAT(error_of("[[domain_policy]]\ndomain = \"x.test\"\n[[domain_policy]]\ndomain = \"X.test\"\n"),
              HasSubstr("has a policy already"));
  EXPECT_THAT(error_of("[identity]\ninfo_url = \"http://example.test/cert.pem\"\n"),
              HasSubstr("identity.info_url: must be an https:// URL"));
  EXPECT_THAT(error_of("[identity]\nsign = true\n"), HasSubstr("identity.sign: needs identity.info_url or identity.serve"));
  EXPECT_THAT(error_of("[identity]\nserve = \"here\"\n"), HasSubstr("identity.serve"));
  EXPECT_THAT(error_of("[identity]\nsigne = true\n"), HasSubstr("did you mean 'identity.sign'"));
}


TEST_F(SettingsTest, PrivacyTransferAndTlsPeers) {
  const Settings d = load("");
  EXPECT_TRUE(d.privacy.trusted.empty());
  EXPECT_FALSE(d.privacy.topology_hiding);
  EXPECT_TRUE(d.privacy.media_relay);
  EXPECT_TRUE(d.transfer.sign);
  EXPECT_TRUE(d.transfer.verify);
  EXPECT_TRUE(d.proxy.tls_peers.empty());
  const Settings s = load(
      "[proxy]\ntls_peers = [\"B.Example\"]\n"
      "[privacy]\ntrusted = [\"10.0.0.0/8\"]\ntopology_hiding = true\nrelay_address = \"127.0.0.5\"\n"
      "relay_ports = \"20000-20099\"\n"
      "[transfer]\nsign = false\nmax_age = 60\n");
  EXPECT_EQ(s.proxy.tls_peers, std::vector<std::string>{"b.example"});
  EXPECT_EQ(s.privacy.trusted, std::vector<std::string>{"10.0.0.0/8"});
  EXPECT_TRUE(s.privacy.topology_hiding);
  EXPECT_EQ(s.privacy.relay_address, "127.0.0.5");
  EXPECT_EQ(s.privacy.relay_port_min, 20000);
  EXPECT_EQ(s.privacy.relay_port_max, 20099);
  EXPECT_FALSE(s.transfer.sign);
  EXPECT_EQ(s.transfer.max_age, 60u);

  EXPECT_THAT(error_of("[proxy]\ntls_peers = [\"not a name\"]\n"), HasSubstr("proxy.tls_peers[0]"));
  EXPECT_THAT(error_of("[privacy]\ntrusted = [\"10.0.0.0/99\"]\n"), HasSubstr("privacy.trusted[0]"));
  EXPECT_THAT(error_of("[privacy]\nrelay_address = \"relay.example\"\n"), HasSubstr("privacy.relay_address"));
  EXPECT_THAT(error_of("[privacy]\nrelay_ports = \"20001-20099\"\n"), HasSubstr("privacy.relay_ports"));
  EXPECT_THAT(error_of("[privacy]\nrelay_ports = \"30000\"\n"), HasSubstr("privacy.relay_ports"));
  EXPECT_THAT(error_of("[transfer]\nmax_age = 1\n"), HasSubstr("transfer.max_age"));
  EXPECT_THAT(error_of("[transfer]\nsigning = true\n"), HasSubstr("transfer"));
}

}  // namespace
}  // namespace warden::app
