#pragma once
// Helpers shared by the sip_sdp tests: reading sample files from the source tree.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

namespace warden::sip::sdp::test {

inline std::filesystem::path source_path(const std::string& relative) {
  return std::filesystem::path(WARDEN_SOURCE_DIR) / relative;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The seed corpus of the fuzzer: every typical body this component must accept.
inline std::vector<std::pair<std::string, std::string>> corpus() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : std::filesystem::directory_iterator(source_path("src/sip/sdp/fuzz/corpus"))) {
    if (e.is_regular_file()) out.emplace_back(e.path().filename().string(), read_file(e.path()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The SDP body of an RFC 5118 wire-format message (everything after the first empty line).
inline std::string rfc5118_body(const std::string& name) {
  const std::string msg = read_file(source_path("src/sip/msg/vectors/rfc5118/wire/" + name));
  const auto pos = msg.find("\r\n\r\n");
  return pos == std::string::npos ? std::string() : msg.substr(pos + 4);
}

inline std::string crlf(std::string_view lf_text) {
  std::string out;
  for (char c : lf_text) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

}  // namespace warden::sip::sdp::test
