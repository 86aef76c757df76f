#pragma once
// `warden user add|passwd|rm|list|import`: account management in the store.
// Passwords come from a prompt without echo, or from standard input when it is not a terminal;
// never from the command line. `import FILE` reads "user@domain,password" lines.
#include <string>

namespace CLI {
class App;
}

namespace warden::app {

struct UserOptions {
  std::string data_dir = "warden-data";
  std::string address;  // user@domain
  std::string file;     // for import
  bool no_md5 = false;
};

void add_user_command(CLI::App& app, UserOptions& opts, int& exit_code);

}  // namespace warden::app
