#include "user_command.hpp"

#include <CLI/CLI.hpp>
#include <termios.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "base/error.hpp"
#include "sip/auth/digest.hpp"
#include "store/sqlite_store.hpp"

namespace warden::app {

namespace {

using sip::auth::Algorithm;

bool split_address(const std::string& address, std::string& user, std::string& domain) {
  const auto at = address.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == address.size() || address.find('@', at + 1) != std::string::npos)
    return false;
  user = address.substr(0, at);
  domain = address.substr(at + 1);
  for (char c : user + domain)
    if (static_cast<unsigned char>(c) <= ' ' || c == ',' || c == ':' || c == ';' || c == '"') return false;
  return true;
}

store::User make_user(const std::string& user, const std::string& domain, const std::string& password, bool no_md5) {
  store::User u;
  u.username = user;
  u.domain = domain;
  u.ha1_md5 = sip::auth::compute_ha1(Algorithm::Md5, user, domain, password);
  u.ha1_sha256 = sip::auth::compute_ha1(Algorithm::Sha256, user, domain, password);
  u.ha1_sha512_256 = sip::auth::compute_ha1(Algorithm::Sha512_256, user, domain, password);
  u.allow_md5 = !no_md5;
  return u;
}

// Reads a password: at a terminal, twice without echo; otherwise one line of standard input.
bool read_password(std::string& out) {
  if (!isatty(STDIN_FILENO)) return static_cast<bool>(std::getline(std::cin, out)) && !out.empty();
  auto ask = [](const char* prompt, std::string& line) {
    std::cerr << prompt << std::flush;
    termios old{};
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    const bool ok = static_cast<bool>(std::getline(std::cin, line));
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
    return ok;
  };
  std::string again;
  if (!ask("Password: ", out) || !ask("Again: ", again)) return false;
  if (out != again) {
    std::cerr << "warden user: the passwords differ\n";
    return false;
  }
  return !out.empty();
}

base::Result<std::unique_ptr<store::SqliteStore>> open_store(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::cerr << "warden user: cannot create " << dir << ": " << ec.message() << "\n";
    return base::Errc::Io;
  }
  auto s = store::SqliteStore::open(dir + "/warden.db");
  if (!s) std::cerr << "warden user: cannot open the store in " << dir << "\n";
  return s;
}

int run(const std::string& verb, const UserOptions& o) {
  auto s = open_store(o.data_dir);
  if (!s) return 1;
  auto& db = **s;
  std::string user, domain;
  if (verb == "add" || verb == "passwd" || verb == "rm") {
    if (!split_address(o.address, user, domain)) {
      std::cerr << "warden user: '" << o.address << "' is not user@domain\n";
      return 2;
    }
  }
  if (verb == "add" || verb == "passwd") {
    std::string password;
    if (!read_password(password)) {
      std::cerr << "warden user: no password given\n";
      return 1;
    }
    const auto u = make_user(user, domain, password, o.no_md5);
    auto r = verb == "add" ? db.add_user(u) : db.update_user(u);
    if (!r) {
      std::cerr << "warden user: " << o.address
                << (r.error() == base::Errc::InvalidArgument ? " already exists"
                    : r.error() == base::Errc::NotFound      ? " does not exist"
                                                             : ": the store refused: " + db.last_error())
                << "\n";
      return 1;
    }
    std::cout << (verb == "add" ? "added " : "password changed for ") << o.address << "\n";
    return 0;
  }
  if (verb == "rm") {
    auto r = db.remove_user(user, domain);
    if (!r) {
      std::cerr << "warden user: " << o.address << " does not exist\n";
      return 1;
    }
    std::cout << "removed " << o.address << "\n";
    return 0;
  }
  if (verb == "list") {
    auto users = db.list_users();
    if (!users) return 1;
    for (const auto& u : *users) std::cout << u.username << "@" << u.domain << (u.allow_md5 ? "" : " (no MD5)") << "\n";
    return 0;
  }
  // import FILE: user@domain,password per line; blank lines and # comments skipped.
  std::ifstream in(o.file);
  if (!in) {
    std::cerr << "warden user: cannot read " << o.file << "\n";
    return 2;
  }
  std::string line;
  int lineno = 0, added = 0, failed = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const auto comma = line.find(',');
    if (comma == std::string::npos || !split_address(line.substr(0, comma), user, domain) || comma + 1 == line.size()) {
      std::cerr << o.file << ":" << lineno << ": expected user@domain,password\n";
      ++failed;
      continue;
    }
    auto r = db.add_user(make_user(user, domain, line.substr(comma + 1), o.no_md5));
    if (!r) {
      std::cerr << o.file << ":" << lineno << ": " << line.substr(0, comma)
                << (r.error() == base::Errc::InvalidArgument ? " already exists" : ": the store refused") << "\n";
      ++failed;
      continue;
    }
    ++added;
  }
  std::cout << "imported " << added << " accounts, " << failed << " lines refused\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace

void add_user_command(CLI::App& app, UserOptions& o, int& exit_code) {
  auto* user = app.add_subcommand("user", "Manage accounts in the store");
  user->require_subcommand(1);
  user->add_option("--data-dir", o.data_dir, "Folder holding the store")->capture_default_str();
  auto add_address = [&o](CLI::App* c) { c->add_option("address", o.address, "user@domain")->required(); };
  auto* add = user->add_subcommand("add", "Create an account; the password is read from a prompt or stdin");
  add_address(add);
  add->add_flag("--no-md5", o.no_md5, "Refuse MD5 digests for this account");
  auto* passwd = user->add_subcommand("passwd", "Change an account's password");
  add_address(passwd);
  passwd->add_flag("--no-md5", o.no_md5, "Refuse MD5 digests for this account");
  auto* rm = user->add_subcommand("rm", "Remove an account");
  add_address(rm);
  user->add_subcommand("list", "List accounts");
  auto* import = user->add_subcommand("import", "Create accounts from a CSV file of user@domain,password lines");
  import->add_option("file", o.file, "CSV file")->required();
  import->add_flag("--no-md5", o.no_md5, "Refuse MD5 digests for these accounts");
  for (auto* c : {add, passwd, rm, user->get_subcommand("list"), import}) {
    c->add_option("--data-dir", o.data_dir, "Folder holding the store")->capture_default_str();
    const std::string verb = c->get_name();
    c->callback([verb, &o, &exit_code] { exit_code = run(verb, o); });
  }
}

}  // namespace warden::app
