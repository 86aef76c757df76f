#pragma once
// Server nonces that cannot be forged and that expire (RFC 7616 §3.3, §5.4, §5.5):
//   nonce = base64url( issued-at (8 octets, seconds) || serial (8) || HMAC-SHA-256(key, first 16 || realm)[0..16) )
// Checking needs no stored state: the MAC proves we issued it for this realm, the timestamp
// says whether it is still fresh (otherwise the client is told stale=true and retries without
// asking the user again). Replay of one nonce is stopped by NonceCounter, which finds a
// nonce's count by its serial.
// The serial counts the nonces this service has issued, from 1: it makes every nonce unique
// without randomness (the MAC, not unpredictability, is what stops a forged nonce), and it
// tells whoever holds two nonces how many were issued between them (Kamailio's nonces carry
// such an index too).
// Thread-safety: issue() and check() are const and safe to call concurrently.

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/clock.hpp"

namespace warden::sip::auth {

class NonceService {
 public:
  enum class Check : std::uint8_t { Valid, Stale, Forged };
  struct Checked {
    Check state = Check::Forged;
    std::uint64_t serial = 0;  // set unless Forged
  };

  // `key` should be 32 random octets, kept for the life of the process (or shared in a cluster).
  NonceService(std::string key, base::Duration lifetime);

  std::string issue(base::WallTime now, std::string_view realm) const;
  Checked inspect(std::string_view nonce, base::WallTime now, std::string_view realm) const;
  Check check(std::string_view nonce, base::WallTime now, std::string_view realm) const {
    return inspect(nonce, now, realm).state;
  }

  static constexpr std::size_t kEncodedLength = 43;  // 32 octets in unpadded base64url

 private:
  std::string key_;
  base::Duration lifetime_;
  mutable std::atomic<std::uint64_t> issued_{0};
};

}  // namespace warden::sip::auth
