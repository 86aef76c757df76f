#pragma once
// Byte views and an owning byte buffer. SIP is text with binary bodies, so the codecs work on
// std::string_view over raw octets (NUL is an ordinary byte: never use C-string functions on it).

#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace warden::base {

using ByteView = std::span<const std::byte>;
using MutableByteView = std::span<std::byte>;

inline std::string_view as_chars(ByteView b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline ByteView as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// A growable owning buffer. The data pointer survives moves (unlike a short std::string),
// so views into it stay valid when the buffer is moved to a new owner.
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(std::string_view s) : data_(s.size()) {
    if (!s.empty()) std::memcpy(data_.data(), s.data(), s.size());
  }
  std::string_view view() const noexcept { return {data_.data(), data_.size()}; }
  ByteView bytes() const noexcept { return as_bytes(view()); }
  std::size_t size() const noexcept { return data_.size(); }
  bool empty() const noexcept { return data_.empty(); }
  void append(std::string_view s) { data_.insert(data_.end(), s.begin(), s.end()); }
  void clear() noexcept { data_.clear(); }
  char* data() noexcept { return data_.data(); }

 private:
  std::vector<char> data_;
};

}  // namespace warden::base
