#pragma once
// `warden proxy`: the registrar and stateful proxy (src/proxy/) on Asio transports.
// With no configuration it listens on 127.0.0.1 (UDP and TCP 5060, TLS 5061), keeps its data in
// ./warden-data/ (SQLite store, development CA and server certificate) and prints what it
// listens on, then "ready". SIGTERM/SIGINT drain open transactions and exit 0; SIGHUP forgets
// cached accounts so password changes apply at once.
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace warden::app {

struct ProxyOptions {
  std::optional<std::string> config;
  std::optional<std::string> data_dir;
  std::vector<std::string> domains;
  std::vector<std::string> listens;
  std::optional<std::string> log_level;
  bool log_json = false;
};

void add_proxy_command(CLI::App& app, ProxyOptions& opts, int& exit_code);

}  // namespace warden::app
