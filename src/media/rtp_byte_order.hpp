#pragma once
// Network byte order loads and stores for the RTP and RTCP codecs. The caller has checked the
// bounds; these never look beyond the bytes they are given.
// Thread-safety: pure functions.

#include <cstddef>
#include <cstdint>

namespace warden::media::wire {

inline std::uint8_t u8(const std::byte* p) noexcept { return static_cast<std::uint8_t>(p[0]); }
inline std::uint16_t u16(const std::byte* p) noexcept {
  return static_cast<std::uint16_t>((u8(p) << 8) | u8(p + 1));
}
inline std::uint32_t u24(const std::byte* p) noexcept {
  return (std::uint32_t{u8(p)} << 16) | (std::uint32_t{u8(p + 1)} << 8) | u8(p + 2);
}
inline std::uint32_t u32(const std::byte* p) noexcept {
  return (std::uint32_t{u16(p)} << 16) | u16(p + 2);
}
inline std::uint64_t u64(const std::byte* p) noexcept {
  return (std::uint64_t{u32(p)} << 32) | u32(p + 4);
}

inline void put8(std::byte* p, std::uint32_t v) noexcept { p[0] = static_cast<std::byte>(v & 0xff); }
inline void put16(std::byte* p, std::uint32_t v) noexcept {
  put8(p, v >> 8);
  put8(p + 1, v);
}
inline void put24(std::byte* p, std::uint32_t v) noexcept {
  put8(p, v >> 16);
  put16(p + 1, v);
}
inline void put32(std::byte* p, std::uint32_t v) noexcept {
  put16(p, v >> 16);
  put16(p + 2, v);
}
inline void put64(std::byte* p, std::uint64_t v) noexcept {
  put32(p, static_cast<std::uint32_t>(v >> 32));
  put32(p + 4, static_cast<std::uint32_t>(v));
}

}  // namespace warden::media::wire
