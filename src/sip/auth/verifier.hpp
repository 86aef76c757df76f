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

#include <span>
#include <string>
#include <vector>

#include "sip/auth/digest.hpp"
#include "sip/auth/nonce_service.hpp"
#include "sip/msg/message.hpp"

namespace warden::sip::auth {

// The highest nonce-count seen per nonce (RFC 7616 §3.4: a count not above it is a replay),
// kept in a window of `window` slots indexed by the nonce's serial (NonceService). Nonces reach
// it only after their MAC was checked, so their serials are ours and distinct. A slot is only
// ever taken over by a larger serial; a nonce whose slot holds a larger one has been forgotten
// and is refused (the client is challenged again with stale=true), never accepted as new: a
// captured Authorization header cannot be replayed however many nonces were issued since.
// With the default window (131,072) a client may keep using one nonce until that many more
// have been issued (65 s at 2,000 challenges a second); then it is asked to take a fresh one.
class NonceCounter {
 public:
  enum class Verdict : std::uint8_t {
    Accepted,   // the count is above every count seen for this nonce (now remembered)
    Replayed,   // the count is not above the last one seen
    Forgotten,  // the nonce is older than the window
  };
  explicit NonceCounter(std::size_t window = std::size_t{1} << 17);  // rounded up to a power of two
  Verdict accept(std::uint64_t serial, std::uint32_t nc);
  std::size_t size() const noexcept { return used_; }  // slots in use

 private:
  struct Slot {
    std::uint64_t serial = 0;  // 0: never used (serials start at 1)
    std::uint32_t highest = 0;
  };
  std::size_t mask_;
  std::vector<Slot> slots_;  // allocated at the first accept()
  std::size_t used_ = 0;
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
  Stale,        // right password, expired (or forgotten) nonce: challenge again with stale=true
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

std::vector<std::string> make_challenges(const NonceService& nonces, base::WallTime now, std::string_view realm,
                                         bool stale, std::span<const Algorithm> offered);
// The same challenges as complete header lines ("`header`: Digest ...\r\n", one per algorithm,
// one fresh nonce for all), appended to `out`: what a 401 or 407 carries, built in one buffer.
void append_challenge_headers(const NonceService& nonces, base::WallTime now, std::string_view realm, bool stale,
                              std::span<const Algorithm> offered, std::string_view header, std::string& out);

}  // namespace warden::sip::auth
