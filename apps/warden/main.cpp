// The one Warden binary: every role is a subcommand (docs/ARCHITECTURE.md).
#include <CLI/CLI.hpp>

#include <execinfo.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <iostream>

#include "demo_command.hpp"
#include "parse_command.hpp"
#include "phone_command.hpp"
#include "proxy_command.hpp"
#include "user_command.hpp"

namespace {

// A crash prints the signal and the call stack on stderr before the default action (core dump):
// the only trace a crash in a test run on another machine leaves. Only async-signal-safe calls.
void on_crash(int sig) {
  const char* name = sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" : sig == SIGFPE ? "SIGFPE" : "SIGILL";
  (void)!write(STDERR_FILENO, "warden: fatal signal ", 21);
  (void)!write(STDERR_FILENO, name, std::strlen(name));
  (void)!write(STDERR_FILENO, ", call stack:\n", 14);
  void* frames[64];
  const int n = backtrace(frames, 64);
  backtrace_symbols_fd(frames, n, STDERR_FILENO);
  signal(sig, SIG_DFL);
  raise(sig);
}

void install_crash_report() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return;  // the sanitizers' own reports are better
#endif
  void* warm[1];
  (void)backtrace(warm, 1);  // loads libgcc now, not inside the handler
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL}) {
    struct sigaction sa {};
    sa.sa_handler = on_crash;
    sa.sa_flags = SA_RESETHAND;
    sigaction(sig, &sa, nullptr);
  }
}

}  // namespace

int main(int argc, char** argv) {
  install_crash_report();
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
