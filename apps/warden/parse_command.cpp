#include "parse_command.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>

#include "base/limits.hpp"
#include "sip/msg/parser.hpp"
#include "sip/msg/sanity.hpp"

namespace warden::app {

namespace {

using namespace sip::msg;

constexpr std::string_view kBodyTypes[] = {"application/sdp"};

// Reads at most `cap` bytes: anything longer is refused by the parser's size limit anyway.
bool read_input(const std::string& path, std::size_t cap, std::string& out) {
  out.clear();
  std::istream* in = &std::cin;
  std::ifstream file;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) return false;
    in = &file;
  }
  std::vector<char> chunk(8192);
  while (out.size() <= cap && in->read(chunk.data(), static_cast<std::streamsize>(chunk.size())).gcount() > 0) {
    out.append(chunk.data(), static_cast<std::size_t>(in->gcount()));
  }
  return !in->bad();
}

nlohmann::ordered_json report(const std::string& name, std::string_view bytes, const ParseOptions& o, bool& valid) {
  static const base::Limits limits;
  Message m;
  const Framing framing = o.transport == "udp" ? Framing::Datagram : Framing::Stream;
  Verdict v = parse_message(bytes, m, limits.sip, framing);
  if (v.accepted()) {
    SanityOptions so;
    so.role = o.role == "uas" ? Role::Uas : o.role == "registrar" ? Role::Registrar : Role::Proxy;
    so.body_types = kBodyTypes;
    v = check(m, so);
  }
  valid = v.accepted();
  nlohmann::ordered_json j;
  j["file"] = name;
  j["valid"] = valid;
  if (!m.method_text.empty() || m.is_response()) {
    j["kind"] = m.is_request() ? "request" : "response";
    if (m.is_request())
      j["method"] = std::string(m.method_text);
    else
      j["status"] = m.status == 0 ? nlohmann::ordered_json() : nlohmann::ordered_json(m.status);
  }
  j["action"] = std::string(to_string(v.action));
  if (v.action == Action::Respond) j["response"] = v.status;
  if (!valid) j["reason"] = std::string(describe(v.error));
  return j;
}

}  // namespace

void add_parse_command(CLI::App& app, ParseOptions& opts, int& exit_code) {
  auto* cmd = app.add_subcommand("parse", "Parse SIP messages and print a JSON verdict per file");
  cmd->add_option("files", opts.files, "Files holding one SIP message each; - reads standard input")
      ->required();
  cmd->add_option("--role", opts.role, "Judge as this element: proxy, uas or registrar")
      ->check(CLI::IsMember({"proxy", "uas", "registrar"}))
      ->capture_default_str();
  cmd->add_option("--transport", opts.transport,
                  "udp: one datagram, trailing octets ignored; tcp: a stream frame, Content-Length required")
      ->check(CLI::IsMember({"udp", "tcp"}))
      ->capture_default_str();
  cmd->callback([&opts, &exit_code] { exit_code = run_parse(opts); });
}

int run_parse(const ParseOptions& opts) {
  static const base::Limits limits;
  bool all_valid = true;
  std::string bytes;
  for (const auto& path : opts.files) {
    if (!read_input(path, limits.sip.max_message_bytes, bytes)) {
      std::cerr << "warden parse: cannot read " << path << "\n";
      return 2;
    }
    bool valid = false;
    auto j = report(path, bytes, opts, valid);
    all_valid = all_valid && valid;
    std::cout << j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
  }
  return all_valid ? 0 : 1;
}

}  // namespace warden::app
