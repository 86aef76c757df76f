// The one Warden binary: every role is a subcommand (docs/ARCHITECTURE.md).
#include <CLI/CLI.hpp>

#include <iostream>

#include "demo_command.hpp"
#include "parse_command.hpp"
#include "phone_command.hpp"
#include "proxy_command.hpp"
#include "user_command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Warden: a secure SIP proxy, registrar and softphone"};
  app.set_version_flag("--version", std::string("warden 0.1.0"));
  app.require_subcommand(1);
  int exit_code = 0;
  warden::app::ParseOptions parse;
  warden::app::add_parse_command(app, parse, exit_code);
  warden::app::ProxyOptions proxy;
  warden::app::add_proxy_command(app, proxy, exit_code);
  warden::app::DemoOptions demo;
  warden::app::add_demo_command(app, demo, exit_code);
  warden::app::PhoneOptions phone;
  warden::app::add_phone_command(app, phone, exit_code);
  warden::app::UserOptions user;
  warden::app::add_user_command(app, user, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;  // usage error
  }
  return exit_code;
}
