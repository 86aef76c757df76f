#pragma once
// Server nonces that cannot be forged and that expire (RFC 7616 §3.3, §5.4, §5.5):
//   nonce = base64url( issued-at (8 octets, seconds) || random (8) || HMAC-SHA-256(key, first 16 || realm)[0..16) )
// Checking needs no stored state: the MAC proves we issued it for this realm, the timestamp
// says whether it is still fresh (otherwise the client is told stale=true and retries without
// asking the user again). Replay of one nonce is stopped by NonceCounter.
// Thread-safety: issue() and check() are const and safe to call concurrently.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/clock.hpp"
#include "base/random.hpp"

namespace warden::sip::auth {

class NonceService {
 public:
  enum class Check : std::uint8_t { Valid, Stale, Forged };

  // `key` should be 32 random octets, kept for the life of the process (or shared in a cluster).
  NonceService(std::string key, base::Duration lifetime);

  std::string issue(base::WallTime now, base::Random& rng, std::string_view realm) const;
  Check check(std::string_view nonce, base::WallTime now, std::string_view realm) const;

  static constexpr std::size_t kEncodedLength = 43;  // 32 octets in unpadded base64url

 private:
  std::string key_;
  base::Duration lifetime_;
};

}  // namespace warden::sip::auth
