#pragma once
// `warden phone`: the softphone (src/phone/) on Asio sockets, scripted from the command line.
// The account file (TOML) names the address-of-record, credentials and the outbound proxy;
// subcommands place one call, answer one call, stay registered, or read commands from standard
// input (interactive: call, answer, hold, resume, dtmf, transfer, ...). Each event is printed on
// its own line of standard output (scripts wait for "ready"); the exit code says what
// happened (docs in apps/warden/README.md):
//   0 the call (or registration) went as asked, 2 usage or configuration error,
//   3 registration failed, 4 the call failed or was rejected, 5 media refused or failed
//   (no acceptable encryption, DTLS failure), 6 timeout (no answer, no call).
#include <chrono>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace warden::app {

struct PhoneOptions {
  std::string account;
  std::string command;  // "call", "answer", "register", "interactive"
  std::string target;   // call: the URI
  std::optional<std::string> play;
  std::optional<double> tone_hz;
  std::optional<std::string> record;
  std::optional<std::string> hangup_after;
  std::optional<std::string> timeout;
  std::optional<std::string> duration;
  bool auto_answer = false;
  bool allow_insecure_media = false;
  std::optional<std::string> codec;
  std::optional<std::string> keying;
  std::optional<std::string> report;
  std::optional<std::string> dtmf;  // call: digits to send once the call is up
  // call: Privacy header value (RFC 3323 priv-values, e.g. "id") and extra header lines
  // ("Name: value"), both checked by phone::CallHeaders before the phone starts.
  std::optional<std::string> privacy;
  std::vector<std::string> headers;
  // call/answer: hold (re-INVITE a=sendonly), resume (sendrecv) and blind transfer (REFER),
  // each this long after the answer.
  std::optional<std::string> hold_at;
  std::optional<std::string> resume_at;
  std::optional<std::string> transfer_to;
  std::optional<std::string> transfer_at;
  std::string log_level = "warn";
};

void add_phone_command(CLI::App& app, PhoneOptions& opts, int& exit_code);

// Parses "10s", "500ms", "2m", "1.5s" (a bare number is seconds). nullopt if malformed.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace warden::app
