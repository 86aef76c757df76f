#include "sip/auth/nonce_service.hpp"

#include <array>

#include "crypto/hash.hpp"

namespace warden::sip::auth {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(const std::array<std::uint8_t, 32>& in) {
  std::string out;
  out.reserve(NonceService::kEncodedLength);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::uint8_t b : in) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  return out;
}

bool decode(std::string_view s, std::array<std::uint8_t, 32>& out) {
  if (s.size() != NonceService::kEncodedLength) return false;
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t n = 0;
  for (char c : s) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n < out.size()) out[n++] = static_cast<std::uint8_t>((acc >> bits) & 0xff);
    }
  }
  return n == out.size();
}

std::array<std::uint8_t, 32> mac_over(const std::string& key, const std::uint8_t* first16, std::string_view realm) {
  // The MAC covers the 16 bytes and the realm, one after the other: on the stack when the
  // realm is of a usual length.
  std::array<char, 16 + 240> small;
  if (realm.size() <= small.size() - 16) {
    std::copy(first16, first16 + 16, small.begin());
    std::copy(realm.begin(), realm.end(), small.begin() + 16);
    return crypto::hmac_sha256(key, std::string_view(small.data(), 16 + realm.size()));
  }
  std::string data(reinterpret_cast<const char*>(first16), 16);
  data.append(realm);
  return crypto::hmac_sha256(key, data);
}

void put_u64(std::uint8_t* out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
}

std::uint64_t get_u64(const std::uint8_t* in) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | in[i];
  return v;
}

std::int64_t seconds(base::WallTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

NonceService::NonceService(std::string key, base::Duration lifetime) : key_(std::move(key)), lifetime_(lifetime) {}

std::string NonceService::issue(base::WallTime now, std::string_view realm) const {
  std::array<std::uint8_t, 32> raw{};
  put_u64(raw.data(), static_cast<std::uint64_t>(seconds(now)));
  put_u64(raw.data() + 8, issued_.fetch_add(1, std::memory_order_relaxed) + 1);
  const auto mac = mac_over(key_, raw.data(), realm);
  std::copy(mac.begin(), mac.begin() + 16, raw.begin() + 16);
  return encode(raw);
}

NonceService::Checked NonceService::inspect(std::string_view nonce, base::WallTime now, std::string_view realm) const {
  std::array<std::uint8_t, 32> raw{};
  if (!decode(nonce, raw)) return {};
  const auto mac = mac_over(key_, raw.data(), realm);
  if (!crypto::constant_time_equal(std::string_view(reinterpret_cast<const char*>(mac.data()), 16),
                                   std::string_view(reinterpret_cast<const char*>(raw.data() + 16), 16)))
    return {};
  Checked out;
  out.serial = get_u64(raw.data() + 8);
  const auto issued = static_cast<std::int64_t>(get_u64(raw.data()));
  const auto age = seconds(now) - issued;
  const auto max_age = std::chrono::duration_cast<std::chrono::seconds>(lifetime_).count();
  out.state = age < -5 || age > max_age ? Check::Stale : Check::Valid;  // a little slack for clock steps
  return out;
}

}  // namespace warden::sip::auth
