#pragma once
// Settings of `warden proxy`: the embedded defaults, overridden by a TOML file (--config), then
// by command-line flags. Validation happens once, at start-up: a bad value stops the process
// with a message that names the key ("listen[1]: unknown transport 'sctp'").
//
// TOML layout (every key optional):
//
//   data_dir = "warden-data"
//   domains  = ["example.test"]
//   listen   = ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060", "tls:127.0.0.1:5061"]
//   [tls]       certificate = "...", private_key = "...", ca = "...", require_client_certificate = false
//   [registrar] min_expires = 60, max_expires = 3600, default_expires = 3600, max_contacts = 10
//   [auth]      realm = "example.test", algorithms = ["SHA-512-256", "SHA-256", "MD5"], nonce_lifetime = 300
//   [proxy]     record_route = true, max_transactions_per_source = 256, udp_read_coalesce_us = 4000
//   [limits]    max_message_bytes = 65535, max_headers = 128, max_vias = 70, max_body_bytes = 49152
//   [log]       level = "info", json = false
//   [dns]       servers = ["127.0.0.1:53"], ipv6 = true, timeout_ms = 1500
//   [[domain_policy]] domain = "b.example" (or "*"), action = "allow" | "deny" | "require_tls"
//   [identity]  sign = false, verify = true, certificate = "...", private_key = "...",
//               info_url = "https://...", serve = "127.0.0.1:8443", trust_anchors = ["ca.pem"],
//               freshness = 60, reject_failed = false
//   [privacy]   trusted = ["10.0.0.0/8"], topology_hiding = false, media_relay = true,
//               relay_address = "", relay_ports = "30000-39999"
//   [transfer]  sign = true, verify = true, max_age = 300
//
// Thread-safety: plain values.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/limits.hpp"
#include "base/log.hpp"
#include "base/result.hpp"
#include "runtime/endpoint.hpp"
#include "runtime/transport.hpp"

namespace warden::app {

struct Listen {
  runtime::TransportKind kind = runtime::TransportKind::Udp;
  runtime::Endpoint endpoint;
  std::string text;  // as written: "udp:127.0.0.1:5060"
};

struct Settings {
  std::filesystem::path data_dir = "warden-data";
  std::vector<std::string> domains;  // empty: "localhost" and every listen address
  std::vector<Listen> listens;       // empty after loading: the embedded default (see defaults())

  struct Tls {
    std::string certificate_file;  // empty: the development CA's server certificate in data_dir
    std::string private_key_file;
    std::string ca_file;           // trust anchors for clients and outgoing connections
    bool require_client_certificate = false;
  } tls;

  struct Registrar {
    std::uint32_t min_expires = 60;     // shorter: 423 Interval Too Brief with Min-Expires
    std::uint32_t max_expires = 3600;   // longer: lowered to this
    std::uint32_t default_expires = 3600;
    std::uint32_t max_contacts = 10;    // per address-of-record
  } registrar;

  struct Auth {
    std::string realm;  // empty: the first domain
    std::vector<std::string> algorithms{"SHA-512-256", "SHA-256", "MD5"};  // offered, strongest first
    std::uint32_t nonce_lifetime = 300;  // seconds
  } auth;

  struct Proxy {
    bool record_route = true;
    std::uint32_t max_transactions_per_source = 256;
    // UDP interrupt moderation (io::UdpOptions::read_coalesce): under load the UDP sockets are
    // read every this many microseconds instead of waking for each datagram. 0 turns it off.
    std::uint32_t udp_read_coalesce_us = 4000;
    // Networks ("192.0.2.0/24", "2001:db8::/32", or one address) whose requests reach local
    // users without digest authentication: other providers, gateways, a PBX. Everybody else
    // is challenged before anything is said about a user.
    std::vector<std::string> peers;
    bool allow_any_redirect = false;  // pass on 3xx to weaker schemes/transports or other domains
    // Mutual TLS: domains whose servers, connecting to us with a client certificate that
    // verifies against [tls] ca and names the domain, are peers like those of `peers`.
    std::vector<std::string> tls_peers;
  } proxy;

  // The defences of issue 5 (src/shield). Rates are packets a second; bursts are twice that.
  struct Shield {
    bool enabled = true;
    std::vector<std::string> allow;      // never rate limited, inspected or banned
    std::uint32_t source_rate = 100;     // an unknown source
    std::uint32_t trusted_rate = 2000;   // a source that authenticated in the last hour
    std::uint32_t network_rate = 500;    // all unknown sources of one /24 or /64
    std::uint32_t capacity = 10000;      // the whole server; beyond it 503 + Retry-After
    std::uint32_t max_auth_failures = 10;             // from one source in 10 minutes: ban
    std::uint32_t max_auth_failures_per_account = 5;  // from one source against one account
    std::uint32_t ban_minutes = 10;      // the first ban; each next one of a source doubles
    bool scanner_detection = true;
    // Caller rules (toll fraud) and SPIT scoring.
    std::uint32_t max_concurrent_calls = 10;          // per account
    std::uint32_t max_call_attempts_per_minute = 30;  // per account
    std::vector<std::string> blocked_prefixes;  // added to the built-in premium-rate list
    std::vector<std::string> allowed_prefixes;  // exceptions that win over every block
    bool block_international = false;
    double spit_threshold = 0.7;  // 0..1; calls scoring this much are refused (603) or diverted
    std::string spit_divert_to;   // a SIP URI (a mailbox); empty: refuse
  } shield;

  base::Limits::Sip limits{};
  // Issue 7: the servers of other domains (RFC 3263) and what may go to and come from them.
  struct Dns {
    std::vector<runtime::Endpoint> servers;  // empty: the system's resolv.conf
    std::vector<std::string> server_texts;   // as written
    bool ipv6 = true;
    std::uint32_t timeout_ms = 1500;         // per try (two tries)
  } dns;
  struct DomainPolicy {
    std::string domain;  // lower case, or "*"
    std::string action;  // "allow", "deny", "require_tls"
  };
  std::vector<DomainPolicy> domain_policies;
  // SIP Identity (RFC 8224/8225): signing calls of our users to other domains, verifying the
  // calls that come from them, serving our certificate at the info URL.
  struct Identity {
    bool sign = false;
    bool verify = true;
    std::string certificate_file;  // PEM chain whose leaf is ECDSA P-256 and names our domains;
    std::string private_key_file;  // empty: [tls] certificate, else the development certificate
    std::string info_url;          // where others fetch it; empty: https://<serve>/identity.pem
    std::string serve;             // "ADDRESS:PORT" of the HTTPS server for it; empty: not served
    std::optional<runtime::Endpoint> serve_endpoint;
    std::vector<std::string> trust_anchors;  // CA files; empty: [tls] ca, else the development CA
    std::uint32_t freshness = 60;  // seconds of iat tolerance
    bool reject_failed = false;    // 438 instead of passing "failed" on to the callee
  } identity;
  // Privacy (RFC 3323/3325): the trust domain, topology hiding, the media relay for private calls.
  struct Privacy {
    std::vector<std::string> trusted;  // networks inside the trust domain (PAI goes there only)
    bool topology_hiding = false;      // hide our users' addresses toward every untrusted hop
    bool media_relay = true;           // relay the media of calls that ask for privacy
    std::string relay_address;         // empty: the first UDP listen address
    std::uint16_t relay_port_min = 30000;
    std::uint16_t relay_port_max = 39999;
  } privacy;
  // The transfer token (REFER with a signed Referred-By): needs the identity certificate.
  struct Transfer {
    bool sign = true;             // REFERs of our users are authenticated and get our token
    bool verify = true;           // INVITEs to our users with a token: 403 unless it holds
    std::uint32_t max_age = 300;  // seconds a token stays good
  } transfer;

  struct Log {
    base::LogLevel level = base::LogLevel::Info;
    bool json = false;
  } log;
};

// Command-line overrides; unset members leave the file's value alone.
struct Overrides {
  std::optional<std::filesystem::path> data_dir;
  std::vector<std::string> domains;  // non-empty: replaces the file's list
  std::vector<std::string> listens;  // non-empty: replaces the file's list ("udp:127.0.0.1:5060")
  std::optional<std::string> log_level;
  std::optional<bool> log_json;
};

// Parses "udp:127.0.0.1:5060", "tcp:[::1]:5060", "tls:127.0.0.1:5061". Errors name the text.
base::Result<Listen> parse_listen(std::string_view text, std::string& error);

// Loads `file` (if given) over the defaults, applies `overrides`, fills the embedded default
// listen addresses when none are given, and validates. On failure returns an error and sets
// `error` to a one-line message naming the key ("registrar.min_expires: must be at most
// registrar.max_expires (3600)", "/etc/warden.toml:12:3: parse error: ...").
base::Result<Settings> load_settings(const std::optional<std::filesystem::path>& file, const Overrides& overrides,
                                     std::string& error);

// The embedded default listen set: udp and tcp on 127.0.0.1:5060, tls on 127.0.0.1:5061.
std::vector<Listen> default_listens();

}  // namespace warden::app
