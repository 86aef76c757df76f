#pragma once
// `warden parse FILE...`: parse SIP messages from files and report each verdict as one JSON
// object per line. Exit status: 0 if every file parsed as valid, 1 if any did not, 2 on a
// usage error or an unreadable file.

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace warden::app {

struct ParseOptions {
  std::vector<std::string> files;
  std::string role = "proxy";
  std::string transport = "udp";
};

void add_parse_command(CLI::App& app, ParseOptions& opts, int& exit_code);
int run_parse(const ParseOptions& opts);

}  // namespace warden::app
