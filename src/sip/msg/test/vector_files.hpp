#pragma once
// Test helper: reads a conformance vector byte-exact.
#include <fstream>
#include <iterator>
#include <string>

namespace warden::sip::msg::test {

inline std::string vector_path(const std::string& rel) {
  return std::string(WARDEN_SOURCE_DIR) + "/src/sip/msg/vectors/" + rel;
}

inline std::string read_vector(const std::string& rel) {
  std::ifstream in(vector_path(rel), std::ios::binary);
  if (!in) return {};
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace warden::sip::msg::test
