#pragma once
// Helpers shared by the media tests: hex to bytes, and exact-size heap copies so that
// AddressSanitizer sees a read one past the end of a truncated packet.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace warden::media::test {

inline std::vector<std::byte> hex(std::string_view text) {
  std::vector<std::byte> out;
  int high = -1;
  for (char c : text) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else continue;  // spaces and separators
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::byte>(high << 4 | v));
      high = -1;
    }
  }
  return out;
}

// A heap block of exactly `n` bytes holding the first `n` bytes of `bytes`.
struct ExactCopy {
  std::unique_ptr<std::byte[]> data;
  std::size_t size;
  ExactCopy(const std::vector<std::byte>& bytes, std::size_t n)
      : data(new std::byte[n == 0 ? 1 : n]), size(n) {
    for (std::size_t i = 0; i < n; ++i) data[i] = bytes[i];
  }
  std::span<const std::byte> view() const { return {data.get(), size}; }
};

}  // namespace warden::media::test
