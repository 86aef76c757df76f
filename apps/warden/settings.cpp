#include "settings.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <charconv>
#include <cstring>
#include <fstream>
#include <map>
#include <span>
#include <sstream>

#include "base/error.hpp"
#include "shield/address.hpp"
#include "shield/call_guard.hpp"
#include "shield/destination_rules.hpp"
#include "sip/msg/uri.hpp"

namespace warden::app {

namespace {

namespace fs = std::filesystem;

// The keys each table accepts; anything else is reported as unknown.
constexpr std::string_view kTopKeys[] = {"data_dir", "domains", "listen", "tls",   "registrar",
                                         "auth",     "proxy",   "limits", "log",   "shield",
                                         "dns",      "domain_policy", "identity", "privacy", "transfer"};
constexpr std::string_view kPrivacyKeys[] = {"trusted", "topology_hiding", "media_relay", "relay_address", "relay_ports"};
constexpr std::string_view kTransferKeys[] = {"sign", "verify", "max_age"};
constexpr std::string_view kDnsKeys[] = {"servers", "ipv6", "timeout_ms"};
constexpr std::string_view kDomainPolicyKeys[] = {"domain", "action"};
constexpr std::string_view kIdentityKeys[] = {"sign",  "verify",        "certificate", "private_key", "info_url",
                                              "serve", "trust_anchors", "freshness",   "reject_failed"};
constexpr std::string_view kTlsKeys[] = {"certificate", "private_key", "ca", "require_client_certificate"};
constexpr std::string_view kRegistrarKeys[] = {"min_expires", "max_expires", "default_expires", "max_contacts"};
constexpr std::string_view kAuthKeys[] = {"realm", "algorithms", "nonce_lifetime"};
constexpr std::string_view kProxyKeys[] = {"record_route", "max_transactions_per_source", "peers",
                                           "allow_any_redirect", "tls_peers", "udp_read_coalesce_us"};
constexpr std::string_view kShieldKeys[] = {"enabled",      "allow",        "source_rate",
                                            "trusted_rate", "network_rate", "capacity",
                                            "max_auth_failures", "max_auth_failures_per_account",
                                            "ban_minutes",  "scanner_detection",
                                            "max_concurrent_calls", "max_call_attempts_per_minute",
                                            "blocked_prefixes", "allowed_prefixes", "block_international",
                                            "spit_threshold", "spit_divert_to"};
constexpr std::string_view kLimitsKeys[] = {"max_message_bytes", "max_header_section_bytes", "max_line_bytes",
                                            "max_headers",       "max_vias",                 "max_contacts",
                                            "max_routes",        "max_body_bytes",           "max_uri_bytes",
                                            "max_params"};
constexpr std::string_view kLogKeys[] = {"level", "json"};

constexpr std::string_view kAlgorithms[] = {"SHA-512-256", "SHA-256", "MD5"};

// Bounds. Expiry values are seconds; a year is far beyond any phone's re-registration period.
constexpr std::uint64_t kMaxExpires = 365ull * 24 * 3600;
constexpr std::uint64_t kMaxContactsPerAor = 1024;
constexpr std::uint64_t kMaxTransactionsPerSource = 65536;
constexpr std::uint64_t kMaxReadCoalesceUs = 50000;  // 50 ms: far below T1, still unnoticed by a caller
constexpr std::uint64_t kMinNonceLifetime = 10;
constexpr std::uint64_t kMaxNonceLifetime = 86400;

// A network for [proxy] peers and [shield] allow: "192.0.2.0/24", "2001:db8::/32" or an address.
std::string check_network(const std::string& text, std::size_t, const std::vector<std::string>&) {
  if (shield::Network::parse(text)) return {};
  return "'" + text + "' is not a network (expected an address or address/bits, e.g. 192.0.2.0/24)";
}

// One [limits] key: where it lives in base::Limits::Sip and how large it may be.
struct LimitKey {
  std::string_view name;
  std::size_t base::Limits::Sip::*member;
  std::uint64_t max;
};
constexpr LimitKey kLimitKeys[] = {
    {"max_message_bytes", &base::Limits::Sip::max_message_bytes, 16u << 20},
    {"max_header_section_bytes", &base::Limits::Sip::max_header_section_bytes, 1u << 20},
    {"max_line_bytes", &base::Limits::Sip::max_line_bytes, 1u << 20},
    {"max_headers", &base::Limits::Sip::max_headers, 4096},
    {"max_vias", &base::Limits::Sip::max_vias, 1024},
    {"max_contacts", &base::Limits::Sip::max_contacts, 1024},
    {"max_routes", &base::Limits::Sip::max_routes, 1024},
    {"max_body_bytes", &base::Limits::Sip::max_body_bytes, 16u << 20},
    {"max_uri_bytes", &base::Limits::Sip::max_uri_bytes, 65535},
    {"max_params", &base::Limits::Sip::max_params, 1024},
};

// Levenshtein distance, for "did you mean" hints on short key names.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The closest known key, if it is close enough to be a plausible typo.
std::optional<std::string_view> closest(std::string_view key, std::span<const std::string_view> known) {
  std::optional<std::string_view> best;
  std::size_t best_distance = 0;
  for (auto k : known) {
    const std::size_t d = edit_distance(key, k);
    if (!best || d < best_distance) {
      best = k;
      best_distance = d;
    }
  }
  const std::size_t allowed = std::max<std::size_t>(1, std::min<std::size_t>(3, key.size() / 3));
  if (best && best_distance <= allowed) return best;
  return std::nullopt;
}

std::string_view type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

std::string location(const toml::source_region& r) {
  if (!r.begin) return {};
  std::string out;
  if (r.path) out = *r.path + ":";
  out += std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column) + ": ";
  return out;
}

std::optional<base::LogLevel> parse_level(std::string_view text) {
  if (text == "debug") return base::LogLevel::Debug;
  if (text == "info") return base::LogLevel::Info;
  if (text == "warn") return base::LogLevel::Warn;
  if (text == "error") return base::LogLevel::Error;
  return std::nullopt;
}

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

// A SIP domain: a host name (RFC 3261 hostname characters) or an IP address literal.
bool valid_domain(std::string_view d) {
  if (d.empty() || d.size() > 253) return false;
  if (d.front() == '[' && d.back() == ']') d = d.substr(1, d.size() - 2);
  if (runtime::Endpoint::from_address(d, 0).ok()) return true;
  if (d.front() == '.' || d.front() == '-' || d.find("..") != std::string_view::npos) return false;
  return std::all_of(d.begin(), d.end(), is_host_char);
}

// A realm goes into a quoted-string (RFC 7616 §3.3); refuse what would need escaping.
bool valid_realm(std::string_view r) {
  return std::none_of(r.begin(), r.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f || c == '"' || c == '\\';
  });
}

// The part of parse_listen that explains what is wrong, without naming the text.
base::Result<Listen> parse_listen_reason(std::string_view text, std::string& why) {
  Listen out;
  out.text = std::string(text);
  const auto fail = [&](std::string reason) -> base::Result<Listen> {
    why = std::move(reason);
    return base::Errc::Config;
  };
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return fail("expected transport:address:port");
  const std::string_view transport = text.substr(0, colon);
  if (transport == "udp") {
    out.kind = runtime::TransportKind::Udp;
  } else if (transport == "tcp") {
    out.kind = runtime::TransportKind::Tcp;
  } else if (transport == "tls") {
    out.kind = runtime::TransportKind::Tls;
  } else {
    return fail("unknown transport '" + std::string(transport) + "' (expected udp, tcp or tls)");
  }

  const std::string_view rest = text.substr(colon + 1);
  std::string_view address;
  std::string_view port_text;
  bool bracketed = false;
  if (rest.empty()) return fail("missing address");
  if (rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return fail("missing ']' after the IPv6 address");
    address = rest.substr(1, close - 1);
    const std::string_view after = rest.substr(close + 1);
    if (after.empty()) return fail("missing port");
    if (after.front() != ':') return fail("expected ':' and a port after ']'");
    port_text = after.substr(1);
    bracketed = true;
  } else {
    const auto last = rest.rfind(':');
    if (last == std::string_view::npos) return fail("missing port");
    if (rest.find(':') != last) return fail("an IPv6 address must be written in brackets, as in 'udp:[::1]:5060'");
    address = rest.substr(0, last);
    port_text = rest.substr(last + 1);
  }
  if (address.empty()) return fail("missing address");
  if (port_text.empty()) return fail("missing port");

  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port_text.size() > 5 || port > 65535) {
    return fail("port '" + std::string(port_text) + "' is not a number from 0 to 65535");
  }

  const bool looks_v6 = address.find(':') != std::string_view::npos;
  auto endpoint = runtime::Endpoint::from_address(address, static_cast<std::uint16_t>(port));
  if (bracketed && !looks_v6) return fail("'[" + std::string(address) + "]' is not an IPv6 address");
  if (!endpoint) {
    if (bracketed) return fail("'[" + std::string(address) + "]' is not an IPv6 address");
    const bool has_letter = std::any_of(address.begin(), address.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    });
    if (has_letter) {
      return fail("'" + std::string(address) + "' is a host name; listen takes an IP address literal");
    }
    return fail("'" + std::string(address) + "' is not an IPv4 address");
  }
  out.endpoint = *endpoint;
  return out;
}

// Reads one TOML document into Settings. Every check that concerns a single value happens here;
// the checks that relate values to each other happen in validate(), after the overrides.
class Loader {
 public:
  Loader(Settings& s, std::string& error) : s_(s), error_(error) {}

  bool load_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      const int err = errno;
      error_ = file.string() + ": cannot read: " + std::strerror(err != 0 ? err : ENOENT);
      return false;
    }
    std::ostringstream content;
    content << in.rdbuf();
    if (in.bad()) {
      error_ = file.string() + ": cannot read";
      return false;
    }
    toml::table root;
    try {
      root = toml::parse(content.str(), file.string());
    } catch (const toml::parse_error& e) {
      error_ = location(e.source()) + "parse error: " + std::string(e.description());
      if (!e.source().begin) error_ = file.string() + ": " + error_;
      return false;
    }
    base_dir_ = fs::absolute(file).parent_path();
    return read_root(root);
  }

  // Where a key was written in the file, for messages about values that conflict.
  std::string where(const std::string& key) const {
    const auto it = where_.find(key);
    return it == where_.end() ? std::string{} : location(it->second);
  }

 private:
  bool fail(const toml::source_region& at, std::string_view key, std::string_view message) {
    error_ = location(at) + std::string(key) + ": " + std::string(message);
    return false;
  }
  bool wrong_type(const toml::node& n, std::string_view key, std::string_view expected) {
    return fail(n.source(), key, "expected " + std::string(expected) + ", got " + std::string(type_name(n)));
  }

  static std::string join(std::string_view prefix, std::string_view key) {
    return prefix.empty() ? std::string(key) : std::string(prefix) + "." + std::string(key);
  }

  // Refuses the first unknown key of `t` (first in the file), with a hint when one is close.
  bool check_keys(const toml::table& t, std::string_view prefix, std::span<const std::string_view> known) {
    const toml::key* first = nullptr;
    for (const auto& [k, v] : t) {
      if (std::find(known.begin(), known.end(), k.str()) != known.end()) continue;
      const auto& pos = k.source().begin;
      if (first == nullptr || pos.line < first->source().begin.line ||
          (pos.line == first->source().begin.line && pos.column < first->source().begin.column)) {
        first = &k;
      }
    }
    if (first == nullptr) return true;
    std::string message = location(first->source()) + "unknown key '" + join(prefix, first->str()) + "'";
    if (auto hint = closest(first->str(), known)) message += " (did you mean '" + join(prefix, *hint) + "'?)";
    error_ = std::move(message);
    return false;
  }

  // A sub-table: absent is fine (nullptr), anything but a table is an error.
  bool section(const toml::table& root, std::string_view name, const toml::table*& out) {
    out = nullptr;
    const toml::node* n = root.get(name);
    if (n == nullptr) return true;
    out = n->as_table();
    if (out == nullptr) return wrong_type(*n, name, "a table");
    return true;
  }

  bool read_uint(const toml::table& t, std::string_view prefix, std::string_view name, std::uint64_t lo,
                 std::uint64_t hi, auto& out) {
    const toml::node* n = t.get(name);
    if (n == nullptr) return true;
    const std::string key = join(prefix, name);
    where_[key] = n->source();
    const auto* v = n->as_integer();
    if (v == nullptr) return wrong_type(*n, key, "an integer");
    const std::int64_t x = v->get();
    if (x < 0 || static_cast<std::uint64_t>(x) < lo || static_cast<std::uint64_t>(x) > hi) {
      return fail(n->source(), key,
                  "must be from " + std::to_string(lo) + " to " + std::to_string(hi) + " (got " + std::to_string(x) + ")");
    }
    out = static_cast<std::remove_reference_t<decltype(out)>>(x);
    return true;
  }

  bool read_bool(const toml::table& t, std::string_view prefix, std::string_view name, bool& out) {
    const toml::node* n = t.get(name);
    if (n == nullptr) return true;
    const std::string key = join(prefix, name);
    where_[key] = n->source();
    const auto* v = n->as_boolean();
    if (v == nullptr) return wrong_type(*n, key, "a boolean");
    out = v->get();
    return true;
  }

  // A string value; `found` tells whether the key was present.
  bool read_string(const toml::table& t, std::string_view prefix, std::string_view name, std::string& out,
                   bool* found = nullptr) {
    if (found != nullptr) *found = false;
    const toml::node* n = t.get(name);
    if (n == nullptr) return true;
    const std::string key = join(prefix, name);
    where_[key] = n->source();
    const auto* v = n->as_string();
    if (v == nullptr) return wrong_type(*n, key, "a string");
    out = v->get();
    if (found != nullptr) *found = true;
    return true;
  }

  std::string resolve(const std::string& path) const {
    if (path.empty()) return path;
    const fs::path p(path);
    if (p.is_absolute()) return path;
    return (base_dir_ / p).lexically_normal().string();
  }

  bool read_root(const toml::table& root) {
    if (!check_keys(root, "", kTopKeys)) return false;

    bool found = false;
    std::string data_dir;
    if (!read_string(root, "", "data_dir", data_dir, &found)) return false;
    if (found) {
      if (data_dir.empty()) return fail(root.get("data_dir")->source(), "data_dir", "must not be empty");
      s_.data_dir = data_dir;
    }

    const auto check_domain = [](const std::string& d, std::size_t, const std::vector<std::string>& seen) {
      if (!valid_domain(d)) return "'" + d + "' is not a host name or an IP address literal";
      if (std::find(seen.begin(), seen.end(), d) != seen.end()) return "'" + d + "' is listed twice";
      return std::string{};
    };
    if (const toml::node* n = root.get("domains")) {
      std::vector<std::string> domains;
      if (!read_string_array(*n, "domains", domains, check_domain)) return false;
      s_.domains = std::move(domains);
    }

    std::vector<Listen> listens;
    const auto check_listen = [&listens](const std::string& text, std::size_t, const std::vector<std::string>&) {
      std::string why;
      auto l = parse_listen_reason(text, why);
      if (!l) return why + " in '" + text + "'";
      listens.push_back(std::move(*l));
      return std::string{};
    };
    if (const toml::node* n = root.get("listen")) {
      std::vector<std::string> texts;
      if (!read_string_array(*n, "listen", texts, check_listen)) return false;
      s_.listens = std::move(listens);
    }

    const toml::table* t = nullptr;
    if (!section(root, "tls", t)) return false;
    if (t != nullptr) {
      if (!check_keys(*t, "tls", kTlsKeys)) return false;
      if (!read_string(*t, "tls", "certificate", s_.tls.certificate_file)) return false;
      if (!read_string(*t, "tls", "private_key", s_.tls.private_key_file)) return false;
      if (!read_string(*t, "tls", "ca", s_.tls.ca_file)) return false;
      if (!read_bool(*t, "tls", "require_client_certificate", s_.tls.require_client_certificate)) return false;
      s_.tls.certificate_file = resolve(s_.tls.certificate_file);
      s_.tls.private_key_file = resolve(s_.tls.private_key_file);
      s_.tls.ca_file = resolve(s_.tls.ca_file);
    }

    if (!section(root, "registrar", t)) return false;
    if (t != nullptr) {
      if (!check_keys(*t, "registrar", kRegistrarKeys)) return false;
      auto& r = s_.registrar;
      if (!read_uint(*t, "registrar", "min_expires", 1, kMaxExpires, r.min_expires) ||
          !read_uint(*t, "registrar", "max_expires", 1, kMaxExpires, r.max_expires) ||
          !read_uint(*t, "registrar", "default_expires", 1, kMaxExpires, r.default_expires) ||
          !read_uint(*t, "registrar", "max_contacts", 1, kMaxContactsPerAor, r.max_contacts)) {
        return false;
      }
    }

    if (!section(root, "auth", t)) return false;
    if (t != nullptr) {
      if (!check_keys(*t, "auth", kAuthKeys)) return false;
      if (!read_string(*t, "auth", "realm", s_.auth.realm)) return false;
      if (!valid_realm(s_.auth.realm)) {
        return fail(t->get("realm")->source(), "auth.realm", "must not contain '\"', '\\' or control characters");
      }
      const auto check_algorithm = [](const std::string& a, std::size_t, const std::vector<std::string>& seen) {
        if (std::find(std::begin(kAlgorithms), std::end(kAlgorithms), a) == std::end(kAlgorithms)) {
          return "unknown algorithm '" + a + "' (expected SHA-512-256, SHA-256 or MD5)";
        }
        if (std::find(seen.begin(), seen.end(), a) != seen.end()) return "'" + a + "' is listed twice";
        return std::string{};
      };
      auto& a = s_.auth;
      if (const toml::node* n = t->get("algorithms")) {
        std::vector<std::string> algorithms;
        if (!read_string_array(*n, "auth.algorithms", algorithms, check_algorithm)) return false;
        if (algorithms.empty()) return fail(n->source(), "auth.algorithms", "must name at least one algorithm");
        a.algorithms = std::move(algorithms);
      }
      if (!read_uint(*t, "auth", "nonce_lifetime", kMinNonceLifetime, kMaxNonceLifetime, a.nonce_lifetime)) {
        return false;
      }
    }

    if (!section(root, "proxy", t)) return false;
    if (t != nullptr) {
      if (!check_keys(*t, "proxy", kProxyKeys)) return false;
      if (!read_bool(*t, "proxy", "record_route", s_.proxy.record_route) ||
          !read_uint(*t, "proxy", "max_transactions_per_source", 1, kMaxTransactionsPerSource,
                     s_.proxy.max_transactions_per_source) ||
          !read_uint(*t, "proxy", "udp_read_coalesce_us", 0, kMaxReadCoalesceUs, s_.proxy.udp_read_coalesce_us) ||
          !read_bool(*t, "proxy", "allow_any_redirect", s_.proxy.allow_any_redirect)) {
        return false;
      }
      if (const toml::node* n = t->get("peers")) {
        if (!read_string_array(*n, "proxy.peers", s_.proxy.peers, check_network)) return false;
      }
      if (const toml::node* n = t->get("tls_peers")) {
        const auto check_peer = [](const std::string& d, std::size_t, const std::vector<std::string>&) {
          return valid_domain(d) ? std::string{} : "'" + d + "' is not a domain name";
        };
        if (!read_string_array(*n, "proxy.tls_peers", s_.proxy.tls_peers, check_peer)) return false;
        for (auto& d : s_.proxy.tls_peers)
          std::transform(d.begin(), d.end(), d.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      }
    }

    if (!section(root, "shield", t)) return false;
    if (t != nullptr) {
      if (!check_keys(*t, "shield", kShieldKeys)) return false;
      auto& sh = s_.shield;
      if (!read_bool(*t, "shield", "enabled", sh.enabled) ||
          !read_bool(*t, "shield", "scanner_detection", sh.scanner_detection) ||
          !read_uint(*t, "shield", "source_rate", 1, 1000000, sh.source_rate) ||
          !read_uint(*t, "shield", "trusted_rate", 1, 1000000, sh.trusted_rate) ||
          !read_uint(*t, "shield", "network_rate", 1, 10000000, sh.network_rate) ||
          !read_uint(*t, "shield", "capacity", 1, 100000000, sh.capacity) ||
          !read_uint(*t, "shield", "max_auth_failures", 1, 100000, sh.max_auth_failures) ||
          !read_uint(*t, "shield", "max_auth_failures_per_account", 1, 100000, sh.max_auth_failures_per_account) ||
          !read_uint(*t, "shield", "ban_minutes", 1, 7 * 24 * 60, sh.ban_minutes) ||
          !read_uint(*t, "shield", "max_concurrent_calls", 1, shield::CallGuard::kMaxConcurrentCalls,
                     sh.max_concurrent_calls) ||
          !read_uint(*t, "shield", "max_call_attempts_per_minute", 1, 100000, sh.max_call_attempts_per_minute) ||
          !read_bool(*t, "shield", "block_international", sh.block_international) ||
          !read_string(*t, "shield", "spit_divert_to", sh.spit_divert_to)) {
        return false;
      }
      if (const toml::node* n = t->get("spit_threshold")) {
        where_["shield.spit_threshold"] = n->source();
        const auto v = n->value<double>();
        if (!v) return wrong_type(*n, "shield.spit_threshold", "a number");
        if (!(*v > 0 && *v <= 1)) return fail(n->source(), "shield.spit_threshold", "must be above 0 and at most 1");
        sh.spit_threshold = *v;
      }
      if (!sh.spit_divert_to.empty()) {
        sip::msg::Uri u;
        if (!sip::msg::parse_uri(sh.spit_divert_to, u) || !u.is_sip()) {
          return fail(t->get("spit_divert_to")->source(), "shield.spit_divert_to",
                      "'" + sh.spit_divert_to + "' is not a SIP URI");
        }
      }
      const auto check_prefix = [](const std::string& p, std::size_t, const std::vector<std::string>&) {
        if (shield::DestinationRules::is_valid_prefix(p, shield::DestinationConfig{}.international_prefixes)) {
          return std::string{};
        }
        return "'" + p + "' is not a number prefix (digits, optionally with + and separators)";
      };
      if (const toml::node* n = t->get("blocked_prefixes")) {
        if (!read_string_array(*n, "shield.blocked_prefixes", sh.blocked_prefixes, check_prefix)) return false;
      }
      if (const toml::node* n = t->get("allowed_prefixes")) {
        if (!read_string_array(*n, "shield.allowed_prefixes", sh.allowed_prefixes, check_prefix)) return false;
      }
      if (const toml::node* n = t->get("allow")) {
        if (!read_string_array(*n, "shield.allow", sh.allow, check_network)) return false;
      }
    }

    if (!section(root, "limits", t)) return false;
    if (t != nullptr) {
      if (!check_keys(*t, "limits", kLimitsKeys)) return false;
      for (const auto& k : kLimitKeys) {
        if (!read_uint(*t, "limits", k.name, 1, k.max, s_.limits.*k.member)) return false;
      }
    }

    if (!section(root, "dns", t)) return false;
    if (t != nullptr) {
      if (!check_keys(*t, "dns", kDnsKeys)) return false;
      if (!read_bool(*t, "dns", "ipv6", s_.dns.ipv6) ||
          !read_uint(*t, "dns", "timeout_ms", 100, 30000, s_.dns.timeout_ms)) {
        return false;
      }
      if (const toml::node* n = t->get("servers")) {
        const auto check_server = [](const std::string& text, std::size_t, const std::vector<std::string>&) {
          if (runtime::Endpoint::parse(text)) return std::string{};
          return "'" + text + "' is not ADDRESS:PORT (e.g. 127.0.0.1:53 or [::1]:53)";
        };
        if (!read_string_array(*n, "dns.servers", s_.dns.server_texts, check_server)) return false;
        for (const auto& text : s_.dns.server_texts) s_.dns.servers.push_back(*runtime::Endpoint::parse(text));
      }
    }

    if (const toml::node* n = root.get("domain_policy")) {
      where_["domain_policy"] = n->source();
      const auto* arr = n->as_array();
      if (arr == nullptr) return wrong_type(*n, "domain_policy", "an array of tables ([[domain_policy]])");
      for (std::size_t i = 0; i < arr->size(); ++i) {
        const std::string key = "domain_policy[" + std::to_string(i) + "]";
        const toml::table* e = arr->get(i)->as_table();
        if (e == nullptr) return wrong_type(*arr->get(i), key, "a table");
        if (!check_keys(*e, key, kDomainPolicyKeys)) return false;
        Settings::DomainPolicy dp;
        bool has_domain = false;
        if (!read_string(*e, key, "domain", dp.domain, &has_domain)) return false;
        if (!has_domain) return fail(arr->get(i)->source(), key + ".domain", "is required (a domain name or \"*\")");
        for (char& c : dp.domain)
          if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        if (dp.domain != "*" && !valid_domain(dp.domain))
          return fail(e->get("domain")->source(), key + ".domain", "'" + dp.domain + "' is not a domain name");
        dp.action = "allow";
        if (!read_string(*e, key, "action", dp.action)) return false;
        if (dp.action != "allow" && dp.action != "deny" && dp.action != "require_tls")
          return fail(e->get("action")->source(), key + ".action",
                      "unknown action '" + dp.action + "' (expected allow, deny or require_tls)");
        for (const auto& earlier : s_.domain_policies)
          if (earlier.domain == dp.domain)
            return fail(arr->get(i)->source(), key + ".domain", "'" + dp.domain + "' has a policy already");
        s_.domain_policies.push_back(std::move(dp));
      }
    }

    if (!section(root, "identity", t)) return false;
    if (t != nullptr) {
      if (!check_keys(*t, "identity", kIdentityKeys)) return false;
      auto& id = s_.identity;
      if (!read_bool(*t, "identity", "sign", id.sign) || !read_bool(*t, "identity", "verify", id.verify) ||
          !read_bool(*t, "identity", "reject_failed", id.reject_failed) ||
          !read_uint(*t, "identity", "freshness", 5, 3600, id.freshness) ||
          !read_string(*t, "identity", "certificate", id.certificate_file) ||
          !read_string(*t, "identity", "private_key", id.private_key_file) ||
          !read_string(*t, "identity", "info_url", id.info_url) || !read_string(*t, "identity", "serve", id.serve)) {
        return false;
      }
      id.certificate_file = resolve(id.certificate_file);
      id.private_key_file = resolve(id.private_key_file);
      if (id.certificate_file.empty() != id.private_key_file.empty())
        return fail(t->source(), "identity", "certificate and private_key go together");
      if (!id.info_url.empty() && !id.info_url.starts_with("https://"))
        return fail(t->get("info_url")->source(), "identity.info_url", "must be an https:// URL");
      if (id.info_url.size() > 512)
        return fail(t->get("info_url")->source(), "identity.info_url", "is longer than 512 bytes");
      if (!id.serve.empty()) {
        if (auto e = runtime::Endpoint::parse(id.serve)) id.serve_endpoint = *e;
        if (!id.serve_endpoint)
          return fail(t->get("serve")->source(), "identity.serve", "'" + id.serve + "' is not ADDRESS:PORT");
      }
      if (const toml::node* n = t->get("trust_anchors")) {
        const auto any = [](const std::string&, std::size_t, const std::vector<std::string>&) { return std::string{}; };
        if (!read_string_array(*n, "identity.trust_anchors", id.trust_anchors, any)) return false;
        for (auto& a : id.trust_anchors) a = resolve(a);
      }
      if (id.sign && id.info_url.empty() && id.serve.empty())
        return fail(t->source(), "identity.sign",
                    "needs identity.info_url or identity.serve (where others fetch our certificate)");
    }

    if (!section(root, "privacy", t)) return false;
    if (t != nullptr) {
      if (!check_keys(*t, "privacy", kPrivacyKeys)) return false;
      auto& pv = s_.privacy;
      std::string ports;
      if (!read_bool(*t, "privacy", "topology_hiding", pv.topology_hiding) ||
          !read_bool(*t, "privacy", "media_relay", pv.media_relay) ||
          !read_string(*t, "privacy", "relay_address", pv.relay_address) ||
          !read_string(*t, "privacy", "relay_ports", ports)) {
        return false;
      }
      if (const toml::node* n = t->get("trusted")) {
        if (!read_string_array(*n, "privacy.trusted", pv.trusted, check_network)) return false;
      }
      if (!pv.relay_address.empty() && !runtime::Endpoint::from_address(pv.relay_address, 0))
        return fail(t->get("relay_address")->source(), "privacy.relay_address",
                    "'" + pv.relay_address + "' is not an IP address");
      if (!ports.empty()) {
        unsigned lo = 0, hi = 0;
        char dash = 0;
        std::istringstream in(ports);
        if (!(in >> lo >> dash >> hi) || dash != '-' || !in.eof() || lo < 1024 || hi > 65535 || lo % 2 != 0 ||
            hi < lo + 3)
          return fail(t->get("relay_ports")->source(), "privacy.relay_ports",
                      "'" + ports + "' is not LOW-HIGH (an even LOW from 1024, HIGH at most 65535, room for two pairs)");
        pv.relay_port_min = static_cast<std::uint16_t>(lo);
        pv.relay_port_max = static_cast<std::uint16_t>(hi);
      }
    }

    if (!section(root, "transfer", t)) return false;
    if (t != nullptr) {
      if (!check_keys(*t, "transfer", kTransferKeys)) return false;
      auto& tr = s_.transfer;
      if (!read_bool(*t, "transfer", "sign", tr.sign) || !read_bool(*t, "transfer", "verify", tr.verify) ||
          !read_uint(*t, "transfer", "max_age", 10, 86400, tr.max_age)) {
        return false;
      }
    }

    if (!section(root, "log", t)) return false;
    if (t != nullptr) {
      if (!check_keys(*t, "log", kLogKeys)) return false;
      std::string level;
      if (!read_string(*t, "log", "level", level, &found)) return false;
      if (found) {
        auto l = parse_level(level);
        if (!l) {
          return fail(t->get("level")->source(), "log.level",
                      "unknown level '" + level + "' (expected debug, info, warn or error)");
        }
        s_.log.level = *l;
      }
      if (!read_bool(*t, "log", "json", s_.log.json)) return false;
    }
    return true;
  }

  // An array of strings, appended to `out`. `check(element, index, earlier elements)` returns
  // an empty string for a good element and the reason otherwise.
  template <class Check>
  bool read_string_array(const toml::node& n, const std::string& key, std::vector<std::string>& out, Check check) {
    where_[key] = n.source();
    const auto* arr = n.as_array();
    if (arr == nullptr) return wrong_type(n, key, "an array of strings");
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const toml::node& e = *arr->get(i);
      const std::string element_key = key + "[" + std::to_string(i) + "]";
      const auto* s = e.as_string();
      if (s == nullptr) return wrong_type(e, element_key, "a string");
      if (std::string why = check(s->get(), i, out); !why.empty()) return fail(e.source(), element_key, why);
      out.push_back(s->get());
    }
    return true;
  }

  Settings& s_;
  std::string& error_;
  fs::path base_dir_;
  std::map<std::string, toml::source_region> where_;
};

}  // namespace

base::Result<Listen> parse_listen(std::string_view text, std::string& error) {
  std::string why;
  auto l = parse_listen_reason(text, why);
  if (!l) error = why + " in '" + std::string(text) + "'";
  return l;
}

std::vector<Listen> default_listens() {
  std::vector<Listen> out;
  std::string ignored;
  for (std::string_view text : {"udp:127.0.0.1:5060", "tcp:127.0.0.1:5060", "tls:127.0.0.1:5061"}) {
    out.push_back(*parse_listen(text, ignored));
  }
  return out;
}

base::Result<Settings> load_settings(const std::optional<std::filesystem::path>& file, const Overrides& overrides,
                                     std::string& error) {
  error.clear();
  Settings s;
  Loader loader(s, error);
  if (file && !loader.load_file(*file)) return base::Errc::Config;

  const auto fail = [&](std::string message) -> base::Result<Settings> {
    error = std::move(message);
    return base::Errc::Config;
  };

  // Command-line overrides: checked like the file's values, named "(command line)".
  if (overrides.data_dir) {
    if (overrides.data_dir->empty()) return fail("data_dir (command line): must not be empty");
    s.data_dir = *overrides.data_dir;
  }
  if (!overrides.domains.empty()) {
    for (std::size_t i = 0; i < overrides.domains.size(); ++i) {
      const std::string& d = overrides.domains[i];
      const std::string key = "domains[" + std::to_string(i) + "] (command line): ";
      if (!valid_domain(d)) return fail(key + "'" + d + "' is not a host name or an IP address literal");
      if (std::find(overrides.domains.begin(), overrides.domains.begin() + static_cast<std::ptrdiff_t>(i), d) !=
          overrides.domains.begin() + static_cast<std::ptrdiff_t>(i)) {
        return fail(key + "'" + d + "' is listed twice");
      }
    }
    s.domains = overrides.domains;
  }
  if (!overrides.listens.empty()) {
    std::vector<Listen> listens;
    for (std::size_t i = 0; i < overrides.listens.size(); ++i) {
      std::string why;
      auto l = parse_listen(overrides.listens[i], why);
      if (!l) return fail("listen[" + std::to_string(i) + "] (command line): " + why);
      listens.push_back(std::move(*l));
    }
    s.listens = std::move(listens);
  }
  if (overrides.log_level) {
    auto l = parse_level(*overrides.log_level);
    if (!l) {
      return fail("log.level (command line): unknown level '" + *overrides.log_level +
                  "' (expected debug, info, warn or error)");
    }
    s.log.level = *l;
  }
  if (overrides.log_json) s.log.json = *overrides.log_json;

  if (s.listens.empty()) s.listens = default_listens();

  // Checks between values, after every source has been applied.
  const auto at = [&](const std::string& key) { return loader.where(key) + key; };
  const auto& r = s.registrar;
  if (r.min_expires > r.max_expires) {
    return fail(at("registrar.min_expires") + ": must be at most registrar.max_expires (" +
                std::to_string(r.max_expires) + ")");
  }
  if (r.default_expires < r.min_expires || r.default_expires > r.max_expires) {
    return fail(at("registrar.default_expires") + ": must be from registrar.min_expires (" +
                std::to_string(r.min_expires) + ") to registrar.max_expires (" + std::to_string(r.max_expires) + ")");
  }
  const auto& lim = s.limits;
  if (lim.max_header_section_bytes > lim.max_message_bytes) {
    return fail(at("limits.max_header_section_bytes") + ": must be at most limits.max_message_bytes (" +
                std::to_string(lim.max_message_bytes) + ")");
  }
  if (lim.max_body_bytes > lim.max_message_bytes) {
    return fail(at("limits.max_body_bytes") + ": must be at most limits.max_message_bytes (" +
                std::to_string(lim.max_message_bytes) + ")");
  }
  if (lim.max_line_bytes > lim.max_header_section_bytes) {
    return fail(at("limits.max_line_bytes") + ": must be at most limits.max_header_section_bytes (" +
                std::to_string(lim.max_header_section_bytes) + ")");
  }
  if (s.tls.certificate_file.empty() != s.tls.private_key_file.empty()) {
    const bool has_cert = !s.tls.certificate_file.empty();
    return fail(at(has_cert ? "tls.certificate" : "tls.private_key") + ": needs " +
                (has_cert ? "tls.private_key" : "tls.certificate") + " as well");
  }
  // Two stream listeners (TCP and TLS) cannot share an address and port; nor can two of one kind.
  for (std::size_t i = 0; i < s.listens.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      const Listen& a = s.listens[i];
      const Listen& b = s.listens[j];
      if (a.endpoint.port() == 0 || a.endpoint != b.endpoint) continue;
      if (a.kind == b.kind || (runtime::is_stream(a.kind) && runtime::is_stream(b.kind))) {
        return fail("listen[" + std::to_string(i) + "]: '" + a.text + "' uses the same socket as listen[" +
                    std::to_string(j) + "] '" + b.text + "'");
      }
    }
  }
  return s;
}

}  // namespace warden::app
