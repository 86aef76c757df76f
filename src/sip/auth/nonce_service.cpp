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

std::int64_t seconds(base::WallTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

NonceService::NonceService(std::string key, base::Duration lifetime) : key_(std::move(key)), lifetime_(lifetime) {}

std::string NonceService::issue(base::WallTime now, base::Random& rng, std::string_view realm) const {
  std::array<std::uint8_t, 32> raw{};
  const auto ts = static_cast<std::uint64_t>(seconds(now));
  for (int i = 0; i < 8; ++i) raw[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(ts >> (56 - 8 * i));
  rng.fill(std::as_writable_bytes(std::span(raw.data() + 8, 8)));
  const auto mac = mac_over(key_, raw.data(), realm);
  std::copy(mac.begin(), mac.begin() + 16, raw.begin() + 16);
  return encode(raw);
}

NonceService::Check NonceService::check(std::string_view nonce, base::WallTime now, std::string_view realm) const {
  std::array<std::uint8_t, 32> raw{};
  if (!decode(nonce, raw)) return Check::Forged;
  const auto mac = mac_over(key_, raw.data(), realm);
  if (!crypto::constant_time_equal(std::string_view(reinterpret_cast<const char*>(mac.data()), 16),
                                   std::string_view(reinterpret_cast<const char*>(raw.data() + 16), 16)))
    return Check::Forged;
  std::uint64_t ts = 0;
  for (int i = 0; i < 8; ++i) ts = (ts << 8) | raw[static_cast<std::size_t>(i)];
  const auto issued = static_cast<std::int64_t>(ts);
  const auto age = seconds(now) - issued;
  const auto max_age = std::chrono::duration_cast<std::chrono::seconds>(lifetime_).count();
  if (age < -5 || age > max_age) return Check::Stale;  // a little slack for clock steps
  return Check::Valid;
}

}  // namespace warden::sip::auth
