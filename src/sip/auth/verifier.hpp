#pragma once
// Server-side digest verification (RFC 3261 §22.4, RFC 7616 §3.4, §3.5, §5):
// - NonceCounter remembers the highest nonce-count seen per nonce, so a captured
//   Authorization header cannot be replayed (RFC 7616 §5.5);
// - DigestVerifier checks credentials against an account's stored HA1 values: realm, a
//   supported algorithm, qop auth or auth-int (answers without qop are refused: they cannot be
//   protected against replay), our own unexpired nonce, the response in constant time, the
//   nonce-count, and no downgrade below the strongest algorithm the account has used;
// - make_challenges() builds WWW-Authenticate / Proxy-Authenticate values, strongest first
//   (RFC 8760 §2.4).
// Unknown users are verified against a dummy key with the same work, so the answer and its
// timing do not tell whether the user exists.
// Thread-safety: NonceCounter and DigestVerifier are not thread-safe; make_challenges is.

#include <deque>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "sip/auth/digest.hpp"
#include "sip/auth/nonce_service.hpp"
#include "sip/msg/message.hpp"

namespace warden::sip::auth {

// The highest nonce-count seen per nonce (RFC 7616 §3.4: a count not above it is a replay), for
// the `max_nonces` most recent nonces. Nonces reach it only after their MAC was checked, so they
// are ours and distinct: each is kept as a 64-bit hash of its text. Two nonces sharing a hash
// could only make a fresh answer look like a replay (challenged again), never a replay pass.
class NonceCounter {
 public:
  explicit NonceCounter(std::size_t max_nonces = 100000) : max_(max_nonces) {}
  // True if `nc` is above every count seen for `nonce` (and remembers it).
  bool accept(std::string_view nonce, std::uint32_t nc);
  std::size_t size() const noexcept { return highest_.size(); }

 private:
  std::size_t max_;
  std::unordered_map<std::uint64_t, std::uint32_t> highest_;
  std::deque<std::uint64_t> order_;  // oldest first, for eviction
};

// What the store keeps for one account.
struct AccountKeys {
  std::string ha1_md5;
  std::string ha1_sha256;
  std::string ha1_sha512_256;
  Algorithm strongest_used = Algorithm::Md5;  // raised after a success with a stronger one
  bool allow_md5 = true;
  const std::string& ha1(Algorithm a) const noexcept {
    return a == Algorithm::Md5 ? ha1_md5 : a == Algorithm::Sha256 ? ha1_sha256 : ha1_sha512_256;
  }
};
AccountKeys make_account_keys(std::string_view username, std::string_view realm, std::string_view password);

enum class Outcome : std::uint8_t {
  Ok,
  Stale,        // right password, expired nonce: challenge again with stale=true
  Invalid,      // wrong password, unknown user, foreign or forged nonce, malformed answer
  Replay,       // nonce-count not above the last one seen
  Downgrade,    // weaker algorithm than this account has already used
};
std::string_view to_string(Outcome o) noexcept;

struct VerifyResult {
  Outcome outcome = Outcome::Invalid;
  Algorithm algorithm = Algorithm::Md5;
};

class DigestVerifier {
 public:
  DigestVerifier(const NonceService& nonces, NonceCounter& counter, std::string realm)
      : nonces_(nonces), counter_(counter), realm_(std::move(realm)) {}

  // `account` is null for an unknown user. `body` is the message body (for auth-int).
  VerifyResult verify(const msg::Credentials& c, std::string_view method, std::string_view body,
                      const AccountKeys* account, base::WallTime now);

 private:
  const NonceService& nonces_;
  NonceCounter& counter_;
  std::string realm_;
};

std::vector<std::string> make_challenges(const NonceService& nonces, base::Random& rng, base::WallTime now,
                                         std::string_view realm, bool stale, std::span<const Algorithm> offered);
// The same challenges as complete header lines ("`header`: Digest ...\r\n", one per algorithm,
// one fresh nonce for all), appended to `out`: what a 401 or 407 carries, built in one buffer.
void append_challenge_headers(const NonceService& nonces, base::Random& rng, base::WallTime now,
                              std::string_view realm, bool stale, std::span<const Algorithm> offered,
                              std::string_view header, std::string& out);

}  // namespace warden::sip::auth
